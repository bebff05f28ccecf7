"""Sentence splitting that survives news text: ``Dr.``, ``U.S.``, ``10,000``, ``2.4`` and
curly quotes that span several sentences.

pysbd's rule-based segmenter handles abbreviations and numbers offline. Left alone it
keeps a whole multi-sentence quotation as one "sentence", which would make the bold
"best sentence" a whole paragraph; so quotation marks are masked with spaces (same
length, so offsets hold) before segmenting, and each span then takes back the quotation
marks that touch it. The attribution ("..., said X.") stays with the quote's last sentence.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from ..index.cache import BlobCache
from ..progress import ProgressFactory, track

OPENING = "“‘\"«"
CLOSING = "”’\"»"
_MASK = str.maketrans({c: " " for c in "“”\"«»"})


@lru_cache(maxsize=1)
def _segmenter():  # pysbd builds regexes on construction: do it once
    import pysbd
    import pysbd.abbreviation_replacer

    pysbd.abbreviation_replacer.re = _PatternCache()
    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def _segment(text: str) -> list[str]:
    """pysbd's sentences of ``text``. ``Segmenter.segment`` would then locate each one by
    compiling it as a regex and searching the text from its start (quadratic in the
    sentences of a piece); ``_split_piece`` locates them itself."""
    segmenter = _segmenter()
    return segmenter.processor(text).process() or []


class _PatternCache:
    """``re`` as pysbd's abbreviation pass sees it: the same functions over a cache that holds
    all its patterns. It builds one for each abbreviation it meets, as written (" No", " st",
    ...), and ``re`` keeps 512: a long text recompiled about 80 patterns per 4,000 characters,
    half of the time spent splitting."""

    def __getattr__(self, name: str):
        return getattr(re, name)

    def sub(self, pattern, repl, string, count=0, flags=0):
        return _compiled(pattern, flags).sub(repl, string, count)

    def findall(self, pattern, string, flags=0):
        return _compiled(pattern, flags).findall(string)


@lru_cache(maxsize=16384)
def _compiled(pattern: str, flags: int) -> re.Pattern:
    return re.compile(pattern, flags)


# pysbd's time grows faster than the text (10 us a character at 2k, 29 us at 64k, and a
# 5.8 MB one-line file ran for over ten minutes), so long paragraphs go to it in pieces.
PIECE_CHARS = 4000
# A safe place to cut: after a lower-case word or a number and a full stop, before a capital
# ("Dr. Rehman" and "U.S. Army" are not sentence ends; "delegates. The" is).
_PIECE_END = re.compile(r"(?:\b[a-z]{3,}|\d)[.!?][\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


def _pieces(text: str) -> list[tuple[int, str]]:
    """``text`` cut into ``(offset, piece)`` of at most ``PIECE_CHARS``, at a sentence end
    when there is one (else at a space, else anywhere)."""
    pieces = []
    start = 0
    while len(text) - start > PIECE_CHARS:
        window = text[start : start + PIECE_CHARS]
        ends = [m.end() for m in _PIECE_END.finditer(window)]
        cut = ends[-1] if ends and ends[-1] > PIECE_CHARS // 4 else window.rfind(" ") + 1
        if cut <= 0:
            cut = PIECE_CHARS
        pieces.append((start, text[start : start + cut]))
        start += cut
    pieces.append((start, text[start:]))
    return pieces


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character spans of the sentences of ``text``.

    Spans exclude surrounding whitespace; together they cover every non-space character.
    """
    if len(text) <= PIECE_CHARS:
        return _split_piece(text)
    return [(offset + a, offset + b) for offset, piece in _pieces(text) for a, b in _split_piece(piece)]


def _split_piece(text: str) -> list[tuple[int, int]]:
    if not text.strip():
        return []
    masked = text.translate(_MASK)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segment(masked):
        stripped = piece.strip()
        if not stripped:
            continue
        start = masked.find(stripped, cursor)
        if start < 0:  # not in the text as written: pysbd's own segment() drops these too
            continue
        end = start + len(stripped)
        cursor = end
        while start > 0 and text[start - 1] in OPENING and (not spans or start - 1 >= spans[-1][1]):
            start -= 1
        while end < len(text) and text[end] in CLOSING:
            end += 1
        cursor = max(cursor, end)
        spans.append((start, end))
    return spans


class SplitCache(BlobCache):
    """Sentence spans keyed by (splitter, paragraph text). pysbd compiles regexes as it goes
    (thousands per 10k sentences, more than ``re`` keeps), so it is the slow part of reading
    the seeds: 3.5 s per 10k sentences, repeated for every unchanged document at each reindex."""

    def __init__(self, path: Path, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__(path, table="splits", column="spans", clock=clock)


@lru_cache(maxsize=1)
def _splitter_id() -> str:
    from importlib.metadata import version

    # Bump the suffix when split_sentences changes what it returns.
    return f"pysbd-{version('pysbd')}/masked-quotes-1/pieces-{PIECE_CHARS}"


def split_many(
    texts: Sequence[str], cache: SplitCache | None = None, progress: ProgressFactory | None = None
) -> list[list[tuple[int, int]]]:
    """``split_sentences`` of each text, through ``cache`` when given; ``progress`` shows the
    texts actually split."""
    keys = [hashlib.sha1(f"{_splitter_id()}\0{t}".encode()).hexdigest() for t in texts]
    found: dict[str, list[tuple[int, int]]] = {}
    if cache is not None:
        found = {k: [(int(a), int(b)) for a, b in json.loads(v)] for k, v in cache.lookup(keys).items()}
    missing = {k: t for k, t in zip(keys, texts) if k not in found}
    computed = {k: split_sentences(t) for k, t in track(missing.items(), len(missing), progress, "splitting")}
    if cache is not None:
        cache.store((k, json.dumps(v).encode()) for k, v in computed.items())
    found.update(computed)
    return [found[k] for k in keys]
