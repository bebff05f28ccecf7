"""Who said what: direct quotations with their speakers.

A quotation is text between double quotation marks (curly “…” or straight "…"), possibly
several sentences long, inside one paragraph. Its speaker is whoever the text attributes it
to, in the usual news forms:

* ``“…,” said Darwish.`` / ``“…,” Darwish said.`` / ``“…,” according to Darwish.``
* ``Darwish said: “…”`` / ``According to Darwish, “…”``
* ``“…,” said Darwish, “…”`` (an interrupted quotation: both halves are his)
* an unattributed quotation right after an attributed one in the same paragraph continues it.

The name is resolved to a full name through the people's aliases in that document. When the
text does not name anyone ("said the .", "said a city official", "he said") the speaker is
``None``: pronouns are never resolved for quotations. An organisation named as the speaker
("Hamas said: …") is kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence

from ..models import Document, Person, Quote
from .aliases import AliasMatcher
from .words import GROUP_NOUNS, HONORIFICS, ROLE_WORDS, SPEECH_VERB_RE, STOP_WORDS

# A quotation shorter than this with no attribution is a scare quote or a title, not speech.
MIN_UNATTRIBUTED_WORDS = 4

# Words naming a speaker: no clause punctuation, but "Dr." and initials are fine.
_WHO_CHAR = r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|Rev|Gen|Lt|Col|Capt|Sgt|Sen|Rep|Gov|St|Hon|Jr|Sr|[A-Z])\.|[^.,;:!?“”\"()])"
_WHO = r"(?P<who>" + _WHO_CHAR + r"{1,80}?)"
_WHO_AFTER_VERB = r"(?P<who>" + _WHO_CHAR + r"{0,80})"

# After the closing mark.
_AFTER_VERB_WHO = re.compile(r"^\s*[,.!?]?\s*(?P<verb>" + SPEECH_VERB_RE + r")\s+" + _WHO_AFTER_VERB)
_AFTER_WHO_VERB = re.compile(r"^\s*(?P<comma>,)?\s*" + _WHO + r"\s+(?P<verb>" + SPEECH_VERB_RE + r")\b")
_AFTER_ACCORDING = re.compile(r"^\s*,?\s*according to\s+(?P<who>[^.,;:!?“”\"()]{1,80})")
# Before the opening mark.
_BEFORE_VERB_WHO = re.compile(
    r"(?:^|,)\s*(?P<verb>" + SPEECH_VERB_RE + r")\s+" + _WHO + r"\s*[,:]\s*$", re.IGNORECASE
)  # ", said Qazi, “…”" (an interrupted quotation) or "Said Qazi: “…”"
_BEFORE_ACCORDING = re.compile(r"according to\s+(?P<who>[^,“”\"]{1,80}),\s*$", re.IGNORECASE)
_VERB_WORD = re.compile(r"\b(?P<verb>" + SPEECH_VERB_RE + r")\b")
# What may stand between the verb and the opening mark: nothing, or a few words ending in
# ":", "," or "that" ("said in a statement:", "told reporters that").
_VERB_TAIL = re.compile(r"\s*|(?:\s+[^:“”\".!?]{1,60}?)?(?:\s+that|\s*[:,])\s*")
_PRONOUNS = frozenset("he she they i we it you".split())
_OPENERS = re.compile(r"[“\"]")


def quote_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each quotation's content (inside the marks) in ``text``.

    A quotation opened but not closed in the paragraph runs to its end (news style for a
    quotation continued in the next paragraph).
    """
    spans: list[tuple[int, int]] = []
    i = 0
    while True:
        m = _OPENERS.search(text, i)
        if not m:
            break
        closing = "”" if m.group() == "“" else '"'
        c = text.find(closing, m.end())
        if c < 0:
            if text[m.end() :].strip():
                spans.append((m.end(), len(text)))
            break
        if text[m.end() : c].strip():
            spans.append((m.end(), c))
        i = c + 1
    return spans


@dataclass(frozen=True)
class _Attribution:
    found: bool  # the text has an attribution form at all
    speaker: str | None  # resolved full name, an organisation as written, or None (unnamed)


def _speaker_from(who: str, matcher: AliasMatcher) -> str | None:
    """Resolve the words naming a speaker; ``None`` when they name no one."""
    who = who.strip()
    if not who:
        return None
    hits = sorted(matcher.finditer(who), key=lambda h: h[1] - h[0], reverse=True)
    if hits:
        start, end, names = hits[0]
        if len(names) == 1:
            return next(iter(names))
        return who[start:end]  # more than one person fits: keep the name as written
    words = who.split()
    if len(words) == 1 and words[0].casefold() in _PRONOUNS:
        return None
    lowered = {w.casefold().strip("’'") for w in words}
    if lowered & (ROLE_WORDS | GROUP_NOUNS | {"source", "sources", "official", "officials", "witness", "resident"}):
        return None  # "a Hamas spokesman", "a city official": nobody named
    # A capitalised name the people index does not hold (an organisation such as "Hamas").
    caps = re.findall(r"[A-Z][\w’'\-]*(?:\s+(?:ur|bin|al|de|van|der|von)?\s*[A-Z][\w’'\-]*)*", who)
    caps = [c for c in caps if c.casefold() not in HONORIFICS and c.split()[0].casefold() not in STOP_WORDS]
    return caps[0] if caps else None


def _attribution(text: str, start: int, end: int, prev_end: int, matcher: AliasMatcher) -> _Attribution:
    """The attribution of the quotation whose content is ``text[start:end]``."""
    content = text[start:end].rstrip()
    close = end + 1 if end < len(text) else end
    nxt = _OPENERS.search(text, close)
    after = text[close : nxt.start() if nxt else len(text)]
    if m := _AFTER_VERB_WHO.match(after):
        return _Attribution(True, _speaker_from(m.group("who"), matcher))
    if m := _AFTER_ACCORDING.match(after):
        return _Attribution(True, _speaker_from(m.group("who"), matcher))
    if (m := _AFTER_WHO_VERB.match(after)) and (m.group("comma") or content[-1:] in ",?!—–"):
        if len(m.group("who").split()) <= 7:
            return _Attribution(True, _speaker_from(m.group("who"), matcher))
    before = text[prev_end : max(prev_end, start - 1)]
    # only the sentence the quotation opens in
    cut = list(re.finditer(r"[.!?]\s+(?=[A-Z“\"])", before))
    if cut:
        before = before[cut[-1].end() :]
    return _before_attribution(before, matcher)


def _before_attribution(before: str, matcher: AliasMatcher) -> _Attribution:
    if (m := _BEFORE_VERB_WHO.search(before)) and not before[: m.start()].strip(" ,"):
        return _Attribution(True, _speaker_from(m.group("who"), matcher))
    if m := _BEFORE_ACCORDING.search(before):
        return _Attribution(True, _speaker_from(m.group("who"), matcher))
    verbs = list(_VERB_WORD.finditer(before))
    if not verbs or not _VERB_TAIL.fullmatch(before[verbs[-1].end() :]):
        return _Attribution(False, None)
    subject = before[: verbs[-1].start()].rstrip()
    if subject.endswith(","):  # "Morgan Ashby, the construction firm that ..., said:"
        subject = subject.rstrip(" ,")
        if "," in subject:
            subject = subject[: subject.rindex(",")]
    who = subject.rsplit(",", 1)[-1]
    return _Attribution(True, _speaker_from(who, matcher))


_CONTINUES = re.compile(
    r"\s*[,.!?]?\s*(?:" + SPEECH_VERB_RE + r"\s+[^.“”\"]{1,80}|[^.“”\"]{1,80}\s+" + SPEECH_VERB_RE + r"(?:\s+[^.“”\"]{1,40})?)[.,]\s*"
)


def extract_quotes(documents: Sequence[Document], people: Sequence[Person]) -> list[Quote]:
    """Every direct quotation in the documents, in reading order, with its speaker."""
    quotes: list[Quote] = []
    for doc in documents:
        matcher = AliasMatcher.for_document(people, doc.doc)
        for para in doc.paragraphs:
            text = para.text
            prev_end = 0
            prev: _Attribution | None = None
            for start, end in quote_spans(text):
                attribution = _attribution(text, start, end, prev_end, matcher)
                if (
                    not attribution.found
                    and prev is not None
                    and prev.found
                    and _CONTINUES.fullmatch(text[prev_end : start - 1])
                ):
                    attribution = _Attribution(True, prev.speaker)  # the same speaker goes on
                body = text[start:end].strip().rstrip(",").rstrip()
                if attribution.found or len(body.split()) >= MIN_UNATTRIBUTED_WORDS:
                    quotes.append(Quote(
                        body, attribution.speaker, doc.doc, doc.title, doc.date, para.number,
                        url=doc.url, **doc.where(para.number),
                    ))
                prev_end = min(len(text), end + 1)
                prev = attribution
    return quotes


def attach_quotes(people: Sequence[Person], quotes: Sequence[Quote]) -> list[Person]:
    """The people again, each with the quotations attributed to them."""
    by_speaker: dict[str, list[Quote]] = {}
    for q in quotes:
        if q.speaker:
            by_speaker.setdefault(q.speaker, []).append(q)
    return [replace(p, quotes=tuple(by_speaker.get(p.name, ()))) for p in people]
