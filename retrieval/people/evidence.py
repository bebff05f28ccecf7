"""What each name candidate is, on the evidence of its contexts, pooled over the collection.

* person evidence: a title or role before the name ("current head Hassan Darwish"), a role in
  apposition ("JI's Director of Foreign Affairs, Asif Luqman Qazi"), speaking ("said Rehman"),
  spaCy's PERSON label;
* non-person evidence: organisation suffixes (Foundation, Party, Holdings, "-e-" compounds),
  acronyms, use before a role or a group noun ("Hamas leader ...", "Hamas leaders"),
  "the X", ", which", an organisation apposition ("X, the construction firm"), spaCy's
  ORG/GPE/NORP labels, the dateline place, deities. Some of it is "hard": such a name is
  never a person.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from .candidates import ParagraphContext, segments, sequences
from .names import core_tokens, normalize_name
from .roles import RawRole, list_organisation, role_after, role_before
from .words import (
    CALENDAR,
    DEITIES,
    GROUP_NOUNS,
    NON_PERSON_PREFIXES,
    NON_PERSON_SUFFIXES,
    ORG_APPOSITION_NOUNS,
    SPEECH_VERB_RE,
)

_PERSON_WEIGHTS = {"title": 3.0, "role": 3.0, "speaker": 2.0, "spacy_person": 1.5, "who": 1.0}
_OTHER_WEIGHTS = {
    "org_role": -4.0,
    "org_apposition": -4.0,
    "which": -3.0,
    "place": -3.0,
    "group_noun": -2.0,
    "the": -2.0,
    "spacy_place": -2.0,
    "spacy_norp": -2.0,
    "spacy_org": -1.5,
}
_HARD = {"org_suffix", "izafat", "acronym", "deity", "calendar"}

_ATTRIBUTION_BEFORE = re.compile(r"(?:[”\"]\s*,?|,)\s*" + SPEECH_VERB_RE + r"\s+$|\baccording to\s+$")
_ATTRIBUTION_AFTER = re.compile(r"^\s+" + SPEECH_VERB_RE + r"\b")
_ORG_APPOSITION = re.compile(
    r"^\s*,\s+(?:the|a|an)\s+(?:(?!(?:of|for|at|in|with|from)\b)[\w-]+\s+){0,3}?(?:"
    + "|".join(ORG_APPOSITION_NOUNS)
    + r")\b"
)


def hard_evidence(surface: str) -> set[str]:
    out = set()
    words = surface.split()
    lower = [w.casefold() for w in words]
    if lower[-1] in NON_PERSON_SUFFIXES or lower[0] in NON_PERSON_PREFIXES:
        out.add("org_suffix")
    if re.search(r"[a-z]-e-[A-Z]", surface):
        out.add("izafat")  # Jamaat-e-Islami, Tehreek-e-Insaf
    if all(w.replace(".", "").isupper() and len(w.replace(".", "")) >= 2 for w in words):
        out.add("acronym")
    if len(words) == 1 and lower[0] in DEITIES:
        out.add("deity")
    if len(words) == 1 and lower[0] in CALENDAR:
        out.add("calendar")
    return out


class Evidence:
    """The kinds of evidence seen for each name key, over the whole collection."""

    def __init__(self) -> None:
        self.kinds: dict[str, set[str]] = defaultdict(set)

    def add(self, key: str, kind: str) -> None:
        self.kinds[key].add(kind)

    def hard(self, key: str) -> bool:
        return bool(self.kinds.get(key, set()) & _HARD)

    def score(self, key: str) -> float:
        kinds = self.kinds.get(key, set())
        return sum(_PERSON_WEIGHTS.get(k, 0.0) + _OTHER_WEIGHTS.get(k, 0.0) for k in kinds)

    def is_person(self, key: str) -> bool:
        kinds = self.kinds.get(key, set())
        if kinds & _HARD:
            return False
        return bool(kinds & _PERSON_WEIGHTS.keys()) and self.score(key) > 0

    def is_strong_single(self, key: str) -> bool:
        """A one-word name nobody's full name explains: needs a title, a role or spaCy's PERSON,
        and no organisation or place label ("Hamas said ..." is not a person)."""
        kinds = self.kinds.get(key, set())
        return (
            self.is_person(key)
            and self.score(key) >= 2
            and bool(kinds & {"title", "role", "spacy_person"})
            and not kinds & {"spacy_org", "spacy_place", "spacy_norp", "org_role", "group_noun"}
        )

    def is_organisation(self, key: str) -> bool:
        kinds = self.kinds.get(key, set())
        return bool(kinds & {"org_suffix", "izafat", "acronym", "org_role", "org_apposition", "group_noun", "which"})



@dataclass
class Occurrence:
    """One occurrence of a capitalised name candidate."""

    doc: str
    doc_index: int
    paragraph: int
    start: int
    text: str
    key: str
    core: tuple[str, ...]
    title: str | None = None  # titles written right before it ("Dr.", "Emir")
    roles: list[RawRole] = field(default_factory=list)


def collect(ctx: ParagraphContext, evidence: Evidence) -> list[Occurrence]:
    """The name candidates of one paragraph, each with the roles written around it; what each
    context says of a candidate goes into ``evidence``."""
    toks, text = ctx.toks, ctx.text
    occs: list[Occurrence] = []
    for run in sequences(ctx):
        for titles, name in segments(ctx, run):
            first, last = name[0], name[-1]
            start, end = toks[first].start, toks[last].end
            surface = text[start:end]
            key = normalize_name(surface)
            core = core_tokens(surface)
            if not core:
                continue
            occ = Occurrence(ctx.doc.doc, ctx.doc_index, ctx.number, start, surface, key, core)
            if titles:
                occ.title = text[toks[titles[0]].start : toks[titles[-1]].end]
                evidence.add(key, "title")
            for kind in hard_evidence(surface):
                evidence.add(key, kind)
            label = ctx.ents.get((start, end))
            if label == "PERSON":
                evidence.add(key, "spacy_person")
            elif label in ("ORG",):
                evidence.add(key, "spacy_org")
            elif label in ("GPE", "LOC", "FAC"):
                evidence.add(key, "spacy_place")
            elif label == "NORP":
                evidence.add(key, "spacy_norp")
            if ctx.doc.place and key == normalize_name(ctx.doc.place) and start == 0:
                evidence.add(key, "place")
            before, after = text[max(0, start - 60) : start], text[end : end + 80]
            follow = after[2:] if toks[last].poss else after
            if re.search(r"\bthe\s+$", before, re.IGNORECASE):
                evidence.add(key, "the")
            nxt = re.match(r"\s+([a-z][\w-]*)", follow)
            if nxt and nxt.group(1) in GROUP_NOUNS:
                evidence.add(key, "group_noun")
            if not toks[last].poss:
                if re.match(r"^\s*,\s+which\b", after):
                    evidence.add(key, "which")
                elif re.match(r"^\s*,\s+who\b", after):
                    evidence.add(key, "who")
                if _ORG_APPOSITION.match(after):
                    evidence.add(key, "org_apposition")
                if (_ATTRIBUTION_BEFORE.search(before) and re.match(r"^\s*(?:[,.;:!?]|$)", after)) or (
                    _ATTRIBUTION_AFTER.match(after)
                ):
                    evidence.add(key, "speaker")
            for raw in (role_before(ctx, first), role_after(ctx, last)):
                if raw is None:
                    continue
                occ.roles.append(raw)
                evidence.add(key, "role")
                if raw.org:
                    evidence.add(normalize_name(raw.org), "org_role")
            if occ.roles and not any(r.org for r in occ.roles):
                listed = list_organisation(ctx, start)
                if listed:
                    for raw in occ.roles:
                        raw.org = listed
            occs.append(occ)
    return occs
