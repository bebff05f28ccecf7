"""Sentence structure, found once at index time and stored with the generation.

spaCy's parser, tagger and entity recogniser cost milliseconds per sentence, far more than a
question may spend, so they run when the index is built (in the same pass that finds people,
through its annotation cache) and every paragraph's result is stored compactly beside its
text. A question then reads the parse of the few paragraphs it looks at.

A ``Parse`` holds, for one paragraph: its tokens (character span, coarse part of speech,
dependency label, index of the head token), its named entities and its noun chunks. Offsets
are characters of the paragraph text, like the sentences' ``start``/``end``.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any, NamedTuple


class Token(NamedTuple):
    start: int
    end: int
    pos: str  # coarse part of speech: NOUN, PROPN, NUM, VERB...
    dep: str  # dependency label: nsubj, dobj, pobj, appos...
    head: int  # index of the head token in the paragraph (itself for a root)


class Span(NamedTuple):
    start: int  # characters of the paragraph text
    end: int
    label: str  # entity label (PERSON, DATE...) or "CHUNK" for a noun chunk


class Phrase(NamedTuple):
    """A candidate answer phrase, found at index time (phrases.py): tokens [first, last)."""

    first: int
    last: int
    labels: tuple[str, ...]  # entity labels, CHUNK, PHRASE, WORD or a pattern's label
    sentence: int  # index of its sentence in the paragraph
    root: int  # its syntactic head token
    terms: tuple[str, ...]  # its lexical terms (lexical.tokenize)


@dataclass(frozen=True)
class Parse:
    tokens: tuple[Token, ...] = ()
    ents: tuple[Span, ...] = ()
    chunks: tuple[Span, ...] = ()
    # Reading aids, added at index time once the sentences are known (phrases.prepare):
    terms: tuple[tuple[int, str], ...] = ()  # (token, lexical term) for every term of the text
    phrases: tuple[Phrase, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tokens)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "t": [list(t) for t in self.tokens],
            "e": [list(e) for e in self.ents],
            "c": [[c.start, c.end] for c in self.chunks],
        }
        if self.terms or self.phrases:
            data["m"] = [list(t) for t in self.terms]
            data["p"] = [[p.first, p.last, list(p.labels), p.sentence, p.root, list(p.terms)] for p in self.phrases]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Parse":
        return cls(
            tuple(Token(*t) for t in data.get("t", ())),
            tuple(Span(*e) for e in data.get("e", ())),
            tuple(Span(a, b, "CHUNK") for a, b in data.get("c", ())),
            tuple((int(i), str(term)) for i, term in data.get("m", ())),
            tuple(Phrase(a, b, tuple(labels), s, r, tuple(terms)) for a, b, labels, s, r, terms in data.get("p", ())),
        )

    def encode(self) -> bytes:
        """Compressed JSON (the index keeps one per paragraph); nothing for an empty parse."""
        if not self.tokens:
            return b""
        return zlib.compress(json.dumps(self.to_json(), separators=(",", ":")).encode(), 6)

    @classmethod
    def decode(cls, blob: bytes | None) -> "Parse":
        if not blob:
            return EMPTY
        try:
            return cls.from_json(json.loads(zlib.decompress(blob)))
        except (zlib.error, ValueError, TypeError):  # a damaged row costs features, not the answer
            return EMPTY

    def tokens_between(self, start: int, end: int) -> range:
        """Indexes of the tokens inside characters ``[start, end)`` (a sentence, a span)."""
        lo = _first_at_or_after(self.tokens, start)
        hi = _first_at_or_after(self.tokens, end)
        return range(lo, hi)


EMPTY = Parse()


def _first_at_or_after(tokens: tuple[Token, ...], offset: int) -> int:
    lo, hi = 0, len(tokens)
    while lo < hi:
        mid = (lo + hi) // 2
        if tokens[mid].start < offset:
            lo = mid + 1
        else:
            hi = mid
    return lo


def from_spacy(sdoc: Any) -> Parse:
    """The parts of a spaCy ``Doc`` that questions use (no parser: no heads or chunks)."""
    has_parse = sdoc.has_annotation("DEP")
    tokens = tuple(
        Token(t.idx, t.idx + len(t.text), t.pos_, t.dep_ if has_parse else "", t.head.i if has_parse else t.i)
        for t in sdoc
    )
    ents = tuple(Span(e.start_char, e.end_char, e.label_) for e in sdoc.ents)
    chunks = tuple(Span(c.start_char, c.end_char, "CHUNK") for c in sdoc.noun_chunks) if has_parse else ()
    return Parse(tokens, ents, chunks)
