"""Looking people up: "who is NAME?" by any alias, in part, or with a typo."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from ..models import Person
from .names import core_tokens, is_subsequence, normalize_name
from .words import HONORIFICS, TITLE_ROLES

FUZZY_THRESHOLD = 85.0

_LEADING_TITLE = re.compile(r"^(?:(?:" + "|".join(re.escape(h) for h in sorted(HONORIFICS | TITLE_ROLES, key=len, reverse=True)) + r")\s+)+", re.IGNORECASE)


@dataclass(frozen=True)
class PersonMatch:
    """The answer to "who is NAME?": the person, or ``None`` with the closest names."""

    person: Person | None
    suggestions: list[str] = field(default_factory=list)
    ambiguous: bool = False  # the name fits several people: see ``suggestions``


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
