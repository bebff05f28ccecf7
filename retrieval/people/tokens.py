"""Words of a paragraph as name-finding sees them: possessives split off ("Hamas's"),
abbreviated titles and initials kept whole ("Dr.", "John F. Kennedy"), acronyms marked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .words import ABBREVIATED_TITLES, HONORIFICS, PARTICLE_PREFIX, ROLE_WORDS, TITLE_ROLES


@dataclass(frozen=True)
class Tok:
    text: str  # without a possessive ending
    start: int
    end: int  # end of ``text`` (the possessive ending, if any, lies after it)
    kind: str  # word | acronym | title | initial | number | punct
    poss: bool = False

    @property
    def lower(self) -> str:
        return self.text.casefold()

    @property
    def is_cap(self) -> bool:
        if self.kind in ("acronym", "initial", "title"):
            return True
        return self.kind == "word" and self.text[:1].isupper()


_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}")
_TOKEN_RE = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_](?:\w|[-'’](?=[^\W\d_]))*|\d[\d,.]*\d|\d|\S")


def tokenize(text: str) -> list[Tok]:
    raw = [(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    toks: list[Tok] = []
    i = 0
    while i < len(raw):
        word, a, b = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if _ACRONYM.fullmatch(word):
            toks.append(Tok(word, a, b, "acronym"))
        elif word[:1].isalpha() or word[:1] == "_":
            poss = False
            core = word
            if len(word) > 2 and word[-2:] in ("’s", "'s"):
                core, poss = word[:-2], True
            elif word.endswith("s") and nxt and nxt[0] in ("'", "’") and nxt[1] == b and (
                nxt[2] >= len(text) or not text[nxt[2]].isalnum()
            ):  # plural possessive: "Holdings' chief executive"
                poss = True
                i += 1
            kind = "word"
            if (
                nxt
                and nxt[0] == "."
                and nxt[1] == b
                and not poss
                and (core.casefold() in ABBREVIATED_TITLES)
                and core[:1].isupper()
            ):
                core, kind = core + ".", "title"
                b = nxt[2]
                i += 1
            elif (
                len(core) == 1
                and core.isupper()
                and nxt
                and nxt[0] == "."
                and nxt[1] == b
                and i + 2 < len(raw)
                and raw[i + 2][0][:1].isupper()
            ):  # an initial: "John F. Kennedy"
                core, kind = core + ".", "initial"
                b = nxt[2]
                i += 1
            elif len(core) >= 2 and core.isupper() and core.isalpha():
                kind = "acronym"
            toks.append(Tok(core, a, a + len(core) if kind not in ("title", "initial") else b, kind, poss))
        elif word[:1].isdigit():
            toks.append(Tok(word, a, b, "number"))
        else:
            toks.append(Tok(word, a, b, "punct"))
        i += 1
    return toks


def is_honorific(tok: Tok) -> bool:
    return tok.is_cap and tok.lower in HONORIFICS


def is_title_role(tok: Tok) -> bool:
    return tok.is_cap and tok.lower in TITLE_ROLES


def is_role_word(tok: Tok) -> bool:
    return tok.kind in ("word", "title", "acronym") and tok.lower in ROLE_WORDS


def is_name_part(tok: Tok) -> bool:
    if tok.kind in ("initial",):
        return True
    if tok.kind == "acronym":
        return True
    if tok.kind != "word":
        return False
    return tok.text[:1].isupper() or bool(PARTICLE_PREFIX.match(tok.text))

