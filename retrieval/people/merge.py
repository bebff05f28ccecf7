"""Document consistency: which person each name candidate is, and each person's aliases,
roles and mentions.

A confirmed full name inside a longer one is that longer name ("Hafiz Naeem" in "Hafiz Naeem
ur Rehman"), and a candidate whose words are a subsequence of exactly one confirmed full name
in the same document is that person ("Rehman"). Pronouns are never resolved. Which person a
partial name refers to is decided per document; the same full name in several documents is
one person.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from ..models import Document, Mention, Person, Role
from .aliases import AliasMatcher
from .evidence import Evidence, Occurrence, hard_evidence
from .names import generated_aliases, is_subsequence, normalize_name
from .roles import RawRole
from .words import HYPHEN_PREFIX, STOP_WORDS

log = logging.getLogger(__name__)


def merge(documents: Sequence[Document], occurrences: Sequence[Occurrence], evidence: Evidence) -> list[Person]:
    """The people behind ``occurrences``, in order of first mention."""
    resolved = _resolve(documents, occurrences, evidence)
    builders = _build(resolved, evidence, _abbreviations(documents))
    return _people(documents, builders)


def _resolve(
    documents: Sequence[Document], occurrences: Sequence[Occurrence], evidence: Evidence
) -> list[tuple[Occurrence, str]]:
    """Each occurrence that is a person, with the key of that person's full name."""
    by_doc: dict[str, list[Occurrence]] = defaultdict(list)
    for occ in occurrences:
        by_doc[occ.doc].append(occ)
    resolved: list[tuple[Occurrence, str]] = []
    for doc in documents:
        occs = by_doc.get(doc.doc, [])
        full = {o.key: o.core for o in occs if len(o.core) >= 2 and evidence.is_person(o.key)}
        # a confirmed full name inside a longer one is that longer name ("Hafiz Naeem" in "Hafiz Naeem ur Rehman")
        canonical: dict[str, str] = {}
        inside_full = _Containing(full)
        for key, core in full.items():
            longer = [k for k in inside_full(core) if k != key and len(full[k]) > len(core)]
            canonical[key] = longer[0] if len(longer) == 1 else key
        targets = _Containing({k: full[k] for k in set(canonical.values())})
        for occ in occs:
            if evidence.hard(occ.key):
                continue
            if occ.key in canonical:
                resolved.append((occ, canonical[occ.key]))
                continue
            matches = targets(occ.core)
            if len(matches) == 1:
                resolved.append((occ, matches[0]))
            elif len(matches) > 1:
                log.debug("%s ¶%d: %r could be %s; left unresolved", occ.doc, occ.paragraph, occ.text, matches)
            elif evidence.is_person(occ.key) and (len(occ.core) >= 2 or evidence.is_strong_single(occ.key)):
                resolved.append((occ, occ.key))  # a single name with its own evidence ("Dr. Darwish said")
    return resolved


def _build(
    resolved: Sequence[tuple[Occurrence, str]], evidence: Evidence, abbreviations: dict[str, dict[str, str]]
) -> dict[str, _Builder]:
    """One builder per person: the same full name in several documents is one person."""
    builders: dict[str, _Builder] = {}
    for occ, key in resolved:
        b = builders.get(key)
        pos = (occ.doc_index, occ.paragraph, occ.start)
        if b is None:
            b = builders[key] = _Builder(key, pos)
        b.first_seen = min(b.first_seen, pos)
        b.docs.add(occ.doc)
        if occ.key == key:
            b.surfaces[occ.text] += 1
        else:
            b.add_alias(occ.text)
        if occ.title:
            b.add_alias(f"{occ.title} {occ.text}")
        for raw in occ.roles:
            _add_role(b.roles, _finish_role(raw, evidence, abbreviations.get(occ.doc, {})))
    for b in builders.values():
        if not b.surfaces:  # only ever seen partially across documents: keep the longest form
            longest = max(b.aliases.values(), key=len)
            b.surfaces[longest] += 1
        for alias in generated_aliases(b.name):
            b.add_alias(alias)
    return builders


def _people(documents: Sequence[Document], builders: dict[str, _Builder]) -> list[Person]:
    """The people, in order of first mention. Their mentions: every paragraph naming them by
    an alias that is unambiguous in that document."""
    mentions: dict[str, set[tuple[int, int]]] = defaultdict(set)
    doc_index = {d.doc: i for i, d in enumerate(documents)}
    for doc in documents:
        present = [b for b in builders.values() if doc.doc in b.docs]
        if not present:
            continue
        mapping: dict[str, set[str]] = defaultdict(set)
        for b in present:
            for alias in [b.name, *b.aliases.values()]:
                mapping[alias].add(b.key)
        matcher = AliasMatcher(mapping)
        for para in doc.paragraphs:
            for _, _, keys in matcher.finditer(para.text):
                if len(keys) == 1:
                    mentions[next(iter(keys))].add((doc_index[doc.doc], para.number))

    people = []
    for b in sorted(builders.values(), key=lambda b: b.first_seen):
        name = b.name
        norm_name = normalize_name(name)
        aliases = tuple(a for n, a in b.aliases.items() if n != norm_name)
        ments = tuple(Mention(documents[d].doc, p, **documents[d].where(p)) for d, p in sorted(mentions.get(b.key, ())))
        people.append(Person(name=name, aliases=aliases, roles=tuple(b.roles), mentions=ments))
    return people


@dataclass
class _Builder:
    """A person while their occurrences are gathered."""

    key: str
    first_seen: tuple[int, int, int]
    surfaces: Counter = field(default_factory=Counter)
    aliases: dict[str, str] = field(default_factory=dict)  # normalized -> surface
    roles: list[Role] = field(default_factory=list)
    docs: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        # the most frequent full spelling; ties go to the first seen
        return max(self.surfaces.items(), key=lambda kv: kv[1])[0]

    def add_alias(self, alias: str) -> None:
        norm = normalize_name(alias)
        if norm and norm not in self.aliases:
            self.aliases[norm] = alias


def _add_role(roles: list[Role], role: Role) -> None:
    """Add a role once; a role with its organisation replaces the same role without one."""
    for i, r in enumerate(roles):
        if r.title.casefold() != role.title.casefold():
            continue
        if r.organisation == role.organisation or role.organisation is None:
            return
        if r.organisation is None:
            roles[i] = role
            return
    roles.append(role)


def _resolve_org(org: str | None, abbreviations: dict[str, str]) -> str | None:
    if not org:
        return None
    org = re.sub(r"['’]s?$", "", org.strip())
    return abbreviations.get(org, org)


def _finish_role(raw: RawRole, evidence: Evidence, abbreviations: dict[str, str]) -> Role:
    title, org = raw.core, raw.org
    if raw.of_tail:
        tail = raw.of_tail
        org_like = evidence.is_organisation(normalize_name(tail)) or bool(
            hard_evidence(tail) & {"org_suffix", "acronym", "izafat"}
        )
        if org is None and tail[:1].isupper() and org_like:
            org = tail  # "spokeswoman for the Al-Khidmat Foundation"
        else:
            title = f"{title} {raw.of_phrase or 'of ' + tail}"  # "Director of Foreign Affairs"
    return Role(title, _resolve_org(org, abbreviations))


_ABBREVIATION_AFTER = re.compile(
    r"(?P<full>[A-Z][\w’'\-]*(?:\s+(?:of|for|and|the|de|al|e|&)?\s*[A-Z][\w’'\-]*)*)\s+\((?P<abbr>[A-Z]{2,8})\)"
)
_ABBREVIATION_BEFORE = re.compile(r"\b(?P<abbr>[A-Z]{2,8})\s+\((?P<full>[A-Z][^()]{2,80})\)")


def _initials(full: str) -> str:
    return "".join(p[0] for p in re.split(r"[\s\-]+", full) if p and p[0].isupper())


def _abbreviations(documents: Sequence[Document]) -> dict[str, dict[str, str]]:
    """Per document, the abbreviations it defines: "Jamaat-e-Islami (JI)" or "JI (Jamaat-e-Islami)"."""
    out: dict[str, dict[str, str]] = {}
    for doc in documents:
        found = out.setdefault(doc.doc, {})
        for para in doc.paragraphs:
            for rx in (_ABBREVIATION_AFTER, _ABBREVIATION_BEFORE):
                for m in rx.finditer(para.text):
                    full, abbr = m.group("full").strip(), m.group("abbr")
                    words = full.split()
                    while words and words[0].casefold() in STOP_WORDS:
                        words = words[1:]
                    full = " ".join(words)
                    initials = _initials(full)
                    if full and is_subsequence(list(abbr), list(initials)) and initials.startswith(abbr[0]):
                        found.setdefault(abbr, full)
    return out


class _Containing:
    """``core -> keys of the names it is a subsequence of`` (in the names' order), through an
    index of their words and remembered per core: testing every name for every occurrence
    grew as occurrences x names, which a long document has many of both."""

    def __init__(self, names: dict[str, tuple[str, ...]]) -> None:
        self._names = names
        self._order = {key: i for i, key in enumerate(names)}
        self._by_word: dict[str, set[str]] = defaultdict(set)
        for key, core in names.items():
            for word in core:
                self._by_word[HYPHEN_PREFIX.sub("", word)].add(key)
        self._known: dict[tuple[str, ...], list[str]] = {}

    def __call__(self, core: tuple[str, ...]) -> list[str]:
        if core not in self._known:
            # Every word of ``core`` must be in the name (up to an "al-" prefix: _same_token).
            words = [self._by_word.get(HYPHEN_PREFIX.sub("", w), set()) for w in core]
            candidates = set.intersection(*words) if words else set(self._names)
            self._known[core] = sorted(
                (k for k in candidates if is_subsequence(core, self._names[k])), key=self._order.__getitem__
            )
        return self._known[core]
