"""Short answers: the few words of the best sentence that answer a who / where / when /
how many / which-organisation question. Extractive only; ``None`` when unsure.

The rule: find candidate spans of the right type in the best sentence (numbers, names,
organisations, places), drop the ones the question already names, and take the one
closest to where the question's own words appear in the sentence.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from .lexical import tokenize
from .models import Passage

_NAME_WORD = r"(?:Dr\.\s|Mr\.\s|Ms\.\s|Mrs\.\s)?[A-Z][\w’'.]*(?:-[A-Za-z][\w’']*)*"
_PARTICLE = r"(?:ur|bin|ibn|al|el|de|da|van|von|der|le|la|du)"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD})*")
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)*(?:\s+(?:thousand|million|billion|per\s?cent|percent|%))?(?:\s+(?:years?|months?|weeks?|days?|hours?))?|\b(?:millions|thousands|hundreds|dozens)\b",
    re.IGNORECASE,
)
_ORG_WORDS = re.compile(
    r"\b(Foundation|Party|Movement|Organi[sz]ation|Council|Committee|Association|Union|Agency|Ministry|"
    r"Institute|University|Company|Corporation|Group|Bank|Front|League|Society|Trust|Islami|Hamas|Fund)\b"
)
_WEEKDAY_MONTH = re.compile(
    r"\b(?:(?:\d{1,2}\s+)?(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?:\s+\d{1,2})?(?:,?\s+\d{4})?|\d{4}-\d{2}-\d{2}|(?:after|before|following|until|since)\s+the\s+\w+|last\s+\w+|yesterday|today)\b",
)
_STOP_CAPS = {"The", "A", "An", "He", "She", "They", "We", "It", "His", "Her", "Their", "Our", "During", "Following", "After", "Until", "In", "On", "This", "That"}


def question_kind(question: str) -> str | None:
    q = question.lower().strip()
    if re.search(r"\bhow (many|much)\b", q):
        return "number"
    if re.search(r"\b(when|what date|what day|which date|what year)\b", q):
        return "when"
    if re.search(r"\b(where|which city|what city|which country|what place)\b", q):
        return "where"
    if re.search(r"\b(which|what) (organi[sz]ation|charity|party|group|foundation|movement|org)\b", q):
        return "org"
    if re.search(r"\b(who|whom|whose)\b", q):
        return "who"
    return None


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0).strip(" ,.")) for m in pattern.finditer(text)]


def _names(text: str, people: Sequence[dict[str, Any]] | None) -> list[tuple[int, int, str]]:
    spans = []
    for start, end, value in _spans(_NAME, text):
        words = value.split()
        while words and words[0] in _STOP_CAPS:
            start = text.find(words[1], start) if len(words) > 1 else end
            words = words[1:]
        if words:
            spans.append((start, end, " ".join(words)))
    if people:
        # Prefer the people index's full names when a span is one of a person's aliases.
        resolved = []
        for start, end, value in spans:
            for person in people:
                aliases = {a.lower() for a in [person.get("name", "")] + list(person.get("aliases", []))}
                if value.lower() in aliases or any(value.lower().endswith(" " + a) for a in aliases if " " in a):
                    value = person["name"] if value.lower() not in aliases else value
                    break
            resolved.append((start, end, value))
        spans = resolved
    return spans


def _closest(spans: list[tuple[int, int, str]], question: str, text: str) -> str | None:
    q_terms = set(tokenize(question))
    q_lower = question.lower()
    spans = [s for s in spans if s[2] and s[2].lower() not in q_lower and not set(tokenize(s[2])) <= q_terms]
    if not spans:
        return None
    anchors = [m.start() for m in re.finditer(r"[^\W_]+(?:-[^\W_]+)*", text) if tokenize(m.group(0)) and set(tokenize(m.group(0))) & q_terms]
    if not anchors:
        return spans[0][2] if len(spans) == 1 else None

    def distance(span: tuple[int, int, str]) -> float:
        # An apposition ("current head Hassan Darwish") puts the answer just after the clue.
        return min((span[0] - a) if a <= span[0] else (a - span[1]) * 1.5 for a in anchors)

    return min(spans, key=distance)[2]


def short_answer(
    question: str,
    passage: Passage,
    *,
    date: str | None = None,
    place: str | None = None,
    people: Sequence[dict[str, Any]] | None = None,
) -> str | None:
    kind = question_kind(question)
    if kind is None:
        return None
    text = passage.text
    if kind == "number":
        return _closest(_spans(_NUMBER, text), question, text)
    if kind == "when":
        found = _closest(_spans(_WEEKDAY_MONTH, text), question, text)
        if found:
            return found
        # The dateline paragraph is dated by the document itself.
        return date if passage.paragraph == 1 and date else None
    if kind == "where":
        if place and passage.paragraph == 1 and re.search(r"\b(meet|meeting|held|take place|took place|where was|where were|where did)\b", question.lower()):
            return place
        spans = [(m.start(1), m.end(1), m.group(1)) for m in re.finditer(rf"\b(?:in|to|at|from)\s+({_NAME.pattern})", text)]
        return _closest(spans, question, text)
    if kind == "org":
        spans = [s for s in _names(text, None) if _ORG_WORDS.search(s[2]) or re.fullmatch(r"[A-Z]{2,6}", s[2])]
        return _closest(spans, question, text)
    names = _names(text, people)
    people_names = {p.get("name", "").lower() for p in people or []}
    if people:
        alias_set = {a.lower() for p in people for a in [p.get("name", "")] + list(p.get("aliases", []))}
        names = [s for s in names if s[2].lower() in alias_set or s[2].lower() in people_names]
    else:
        names = [s for s in names if not _ORG_WORDS.search(s[2]) and len(s[2].split()) >= 2]
    return _closest(names, question, text)


def has_answer_type(kind: str, question: str, text: str, *, date: str | None = None, place: str | None = None) -> bool:
    """Does ``text`` hold an expression of the type a ``kind`` question asks for, other than
    what the question already says? ``date``/``place`` are the dateline's metadata, if any."""
    q_lower = question.lower()

    def fresh(spans: list[tuple[int, int, str]]) -> bool:
        return any(v and v.lower() not in q_lower for _, _, v in spans)

    if kind == "number":
        return fresh(_spans(_NUMBER, text))
    if kind == "when":
        return bool(date) or fresh(_spans(_WEEKDAY_MONTH, text))
    if kind == "where":
        spans = [(m.start(1), m.end(1), m.group(1)) for m in re.finditer(rf"\b(?:in|to|at|from)\s+({_NAME.pattern})", text)]
        return bool(place) or fresh(spans)
    if kind == "org":
        return fresh([s for s in _names(text, None) if _ORG_WORDS.search(s[2]) or re.fullmatch(r"[A-Z]{2,6}", s[2])])
    return fresh(_names(text, None))
