"""Sentence splitting that survives news text: ``Dr.``, ``U.S.``, ``10,000``, ``2.4`` and
curly quotes that span several sentences.

pysbd's rule-based segmenter handles abbreviations and numbers offline. Left alone it
keeps a whole multi-sentence quotation as one "sentence", which would make the bold
"best sentence" a whole paragraph; so quotation marks are masked with spaces (same
length, so offsets hold) before segmenting, and each span then takes back the quotation
marks that touch it. The attribution ("..., said X.") stays with the quote's last sentence.
"""

from __future__ import annotations

from functools import lru_cache

OPENING = "“‘\"«"
CLOSING = "”’\"»"
_MASK = str.maketrans({c: " " for c in "“”\"«»"})


@lru_cache(maxsize=1)
def _segmenter():  # pysbd builds regexes on construction: do it once
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character spans of the sentences of ``text``.

    Spans exclude surrounding whitespace; together they cover every non-space character.
    """
    if not text.strip():
        return []
    masked = text.translate(_MASK)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segmenter().segment(masked):
        stripped = piece.strip()
        if not stripped:
            continue
        start = masked.find(stripped, cursor)
        if start < 0:  # pysbd never rewrites text with clean=False; be safe anyway
            start = cursor
        end = start + len(stripped)
        cursor = end
        while start > 0 and text[start - 1] in OPENING and (not spans or start - 1 >= spans[-1][1]):
            start -= 1
        while end < len(text) and text[end] in CLOSING:
            end += 1
        cursor = max(cursor, end)
        spans.append((start, end))
    return spans
