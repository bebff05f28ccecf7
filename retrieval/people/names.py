"""Names compared as names: a normalised key, the words that identify a name, one name's
words inside another's, and the given-name and surname aliases of a full name."""

from __future__ import annotations

import re
from typing import Sequence

from .words import HONORIFICS, HYPHEN_PREFIX, PARTICLES


def normalize_name(text: str) -> str:
    """Comparison key for names and aliases: case, apostrophes and spacing do not count."""
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'")
    text = re.sub(r"['’]s$", "", text.strip())
    return " ".join(text.casefold().split())


def core_tokens(name: str) -> tuple[str, ...]:
    """The words of a name that identify it: no particles, no titles, casefolded."""
    out = []
    for part in normalize_name(name).split():
        if part in PARTICLES or part in HONORIFICS:
            continue
        out.append(part)
    return tuple(out)


def _same_token(a: str, b: str) -> bool:
    return a == b or HYPHEN_PREFIX.sub("", a) == HYPHEN_PREFIX.sub("", b)


def is_subsequence(short: Sequence[str], long: Sequence[str]) -> bool:
    it = iter(long)
    return all(any(_same_token(s, t) for t in it) for s in short)


_NAME_SUFFIX = re.compile(r"(?:[IVX]{1,4}|Jr\.?|Sr\.?|Junior|Senior)")


def generated_aliases(name: str) -> list[str]:
    """Given names and surname: "Hafiz Naeem ur Rehman" -> "Hafiz Naeem", "ur Rehman"."""
    words = name.split()
    while len(words) > 1 and _NAME_SUFFIX.fullmatch(words[-1]):
        words = words[:-1]  # "Abdullah II", "Martin Luther King Jr."
    if len(words) < 2:
        return [" ".join(words)] if words and " ".join(words) != name else []
    s = len(words) - 1
    while s - 1 > 0 and words[s - 1].casefold() in PARTICLES:
        s -= 1
    given = words[:s]
    surname = words[s:]
    out = []
    if given and not all(w.casefold() in PARTICLES for w in given):
        out.append(" ".join(given))
    out.append(" ".join(surname))
    return out
