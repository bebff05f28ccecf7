"""'Who said ...?' answered from the quote index: the speaker of the quotation that holds it.

A question such as "Who said Pakistanis are committed to Gaza's reconstruction?" is about a
quotation. Retrieval finds the sentence; when that sentence lies inside a quotation the
index knows (people/quotes.py, found at index time with its speaker), the answer is the speaker's
full name, or that the source does not name one ("... said the ." names nobody). A sentence
outside every quotation is left to the reader (it may be reported speech: "Rehman directed").
"""

from __future__ import annotations

import re
from typing import Sequence

from ..models import Passage, Quote

NO_SPEAKER = "the source does not name the speaker"

_WHO_SAID = re.compile(
    r"^\s*who(?:'s|’s)?\s+(?:(?:has|had|have|did|was|is)\s+)?"
    # Not "wrote": "Who wrote "On the Computational Complexity of Algorithms"?" asks for an
    # author, and a title in quotation marks is not speech.
    r"(?:said|says|say|stated|states|state|told|tells|declared|declares|announced|announces|added|"
    r"remarked|claimed|claims|insisted|warned|warns|promised|vowed|quoted|spoke|speaks)\b",
    re.IGNORECASE,
)
_QUOTE_MARKS = re.compile(r"[\"“”‘’'«»]")
# A sentence belongs to a quotation when this much of its start is in the quotation's text.
_PREFIX_CHARS = 40


def asks_who_said(question: str) -> bool:
    return bool(_WHO_SAID.match(question))


def _plain(text: str) -> str:
    return " ".join(_QUOTE_MARKS.sub(" ", text).lower().split())


def quote_holding(passage: Passage, quotes: Sequence[Quote]) -> Quote | None:
    """The quotation (from the people index) whose text holds ``passage``'s sentence."""
    sentence = _plain(passage.text)
    if not sentence:
        return None
    probe = sentence[:_PREFIX_CHARS].rstrip(" ,.")
    for quote in quotes:
        if quote.doc != passage.doc or quote.paragraph != passage.paragraph:
            continue
        text = _plain(quote.text)
        if probe and (probe in text or (len(text) >= 20 and text[:_PREFIX_CHARS] in sentence)):
            return quote
    return None


def speaker_answer(question: str, passages: Sequence[Passage], quotes: Sequence[Quote],
                   near: float = 0.95) -> tuple[int, str] | None:
    """For a "who said" question: the first passage inside a quotation among the best one and
    those scoring within ``near`` of it, and that quotation's speaker (or ``NO_SPEAKER``)."""
    if not quotes or not passages or not asks_who_said(question):
        return None
    top = passages[0].score
    for i, passage in enumerate(passages):
        if i and passage.score < top * near:
            break
        quote = quote_holding(passage, quotes)
        if quote is not None:
            return i, quote.speaker or NO_SPEAKER
    return None
