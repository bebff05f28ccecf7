"""Looking people and quotes up: "who is NAME?" by any alias or with a typo, and "what did
NAME say about TOPIC?" ranked by meaning, pointing at reported speech when no quote fits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..errors import QuestionError
from ..models import Person, Quote
from .extras import PeopleIndex
from .names import core_tokens, is_subsequence, normalize_name
from .words import HONORIFICS, TITLE_ROLES

MAX_NAME_CHARS = 200
FUZZY_THRESHOLD = 85.0
# A topic must be at least this close to a quote (cosine) for the quote to count as about it.
QUOTE_MIN_SIMILARITY = 0.2

_LEADING_TITLE = re.compile(r"^(?:(?:" + "|".join(re.escape(h) for h in sorted(HONORIFICS | TITLE_ROLES, key=len, reverse=True)) + r")\s+)+", re.IGNORECASE)


@dataclass(frozen=True)
class PersonMatch:
    """The answer to "who is NAME?": the person, or ``None`` with the closest names."""

    person: Person | None
    suggestions: list[str] = field(default_factory=list)
    ambiguous: bool = False  # the name fits several people: see ``suggestions``

    def not_found(self, name: str) -> str:
        """The one wording for a name that matched no one (``citebot who``, the chat, /who,
        /quote's speaker). ``name`` as the caller shows it: edges pass it made safe to print."""
        hint = f" Closest: {', '.join(self.suggestions)}." if self.suggestions else ""
        return f"No one called {name!r} in the documents.{hint}"


@dataclass(frozen=True)
class QuoteResult:
    quotes: tuple[Quote, ...]
    note: str | None = None  # e.g. no quote matched: the closest reported speech


def check_name(name: str) -> str:
    """A name as the user gave it (already cleaned like any user text), or ``QuestionError``."""
    if len(name) > MAX_NAME_CHARS:
        raise QuestionError(f"the name is too long ({len(name):,} characters; the limit is {MAX_NAME_CHARS})")
    return name


def find_person(people: Sequence[Person], name: str) -> PersonMatch:
    """Look a person up by any alias, case-insensitively, tolerating a typo."""
    from rapidfuzz import fuzz

    query = normalize_name(name or "")
    if not query or not people:
        return PersonMatch(None, [p.name for p in people[:5]])
    bare = _LEADING_TITLE.sub("", query) or query

    def all_names(p: Person) -> list[str]:
        return [p.name, *p.aliases]

    # 1. an exact alias
    for q in dict.fromkeys((query, bare)):
        hits = [p for p in people if any(normalize_name(a) == q for a in all_names(p))]
        if len(hits) == 1:
            return PersonMatch(hits[0])
        if len(hits) > 1:
            exact = [p for p in hits if normalize_name(p.name) == q]
            if len(exact) == 1:
                return PersonMatch(exact[0])
            return PersonMatch(None, [p.name for p in hits], ambiguous=True)
    # 2. part of exactly one name ("Hafiz", "Naeem Rehman")
    q_core = core_tokens(bare)
    if q_core:
        hits = [p for p in people if any(is_subsequence(q_core, core_tokens(a)) for a in all_names(p))]
        if len(hits) == 1:
            return PersonMatch(hits[0])
        if len(hits) > 1:
            return PersonMatch(None, [p.name for p in hits], ambiguous=True)
    # 3. a typo: the closest alias, if it is close and clearly closer than anyone else's
    scored = []
    for p in people:
        best = max(max(fuzz.ratio(bare, normalize_name(a)), fuzz.ratio(query, normalize_name(a))) for a in all_names(p))
        scored.append((best, p))
    scored.sort(key=lambda t: -t[0])
    top, person = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if top >= FUZZY_THRESHOLD and top - runner_up >= 5:
        return PersonMatch(person)
    return PersonMatch(None, [p.name for _, p in scored[:3]])


def find_quotes(
    index: PeopleIndex, topic: str | None, speaker: str | None, encode: Callable[[list[str]], np.ndarray]
) -> QuoteResult:
    """Quotes ranked by meaning against ``topic`` (all, in reading order, when no topic), by
    ``speaker`` (any alias). ``encode`` gives unit vectors, so a dot product is a cosine."""
    quotes = list(index.quotes)
    if speaker:
        match = find_person(index.people, speaker)
        if match.person is None:
            return QuoteResult((), match.not_found(speaker))
        quotes = [q for q in quotes if q.speaker == match.person.name]
    if not topic or not topic.strip() or not quotes:
        return QuoteResult(tuple(quotes), None if quotes else _reported_note(index, topic, encode))
    vectors = encode([topic] + [q.text for q in quotes])
    scores = vectors[1:] @ vectors[0]
    order = np.argsort(-scores)
    ranked = tuple(quotes[i] for i in order if scores[i] >= QUOTE_MIN_SIMILARITY)
    return QuoteResult(ranked, None if ranked else _reported_note(index, topic, encode))


def _reported_note(index: PeopleIndex, topic: str | None, encode: Callable[[list[str]], np.ndarray]) -> str:
    """No quote matched: point at the closest reported speech, which is not a quote."""
    about = f" about {topic!r}" if topic else ""
    if not index.reported:
        return f"No direct quote{about} in the documents."
    if topic:
        vectors = encode([topic] + [r.text for r in index.reported])
        best = int((vectors[1:] @ vectors[0]).argmax())
    else:
        best = 0
    r = index.reported[best]
    return f"No direct quote{about}. Closest reported speech (not a quote): “{r.text}” ({r.citation})"
