"""Reported speech: what people said or did, outside quotation marks.

"Rehman directed ...", "He announced plans ..." is not a quotation; it is offered where no
quotation matches. A pronoun subject is resolved only when the paragraph has named exactly
one person before it, and the result says it was inferred.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from ..models import Document, Person, citation_for
from .aliases import AliasMatcher
from .quotes import MIN_UNATTRIBUTED_WORDS, quote_spans
from .words import SPEECH_VERBS

REPORTING_VERBS = tuple(
    dict.fromkeys(
        [
            *SPEECH_VERBS,
            *(
                "directed expressed shared paid thanked praised condemned demanded welcomed described "
                "suggested proposed appealed invited called criticised criticized rejected accused denied "
                "reiterated hoped believes believed pointed announced offered reaffirmed informed briefed "
                "requested ordered instructed proposed"
            ).split(),
        ]
    )
)
_REPORTING = re.compile(
    r"^\s+(?:(?:also|then|later|further|again|had|has|have|would|will|repeatedly)\s+){0,2}"
    r"(?P<verb>" + "|".join(REPORTING_VERBS) + r")\b"
)
_PRONOUN_SUBJECT = re.compile(
    r"(?<![\w’'])(?P<pronoun>[Hh]e|[Ss]he)\s+(?:(?:also|then|later|further|again|had|has|have|would|will)\s+){0,2}"
    r"(?P<verb>" + "|".join(REPORTING_VERBS) + r")\b"
)
_MASK = "\x00"


@dataclass(frozen=True)
class ReportedSpeech:
    """A sentence reporting what someone said or did, without quoting them."""

    text: str  # the sentence
    speaker: str | None  # full name, or None when the subject is a pronoun we cannot resolve
    doc: str
    title: str
    date: str | None
    paragraph: int
    sentence: int
    verb: str
    speaker_inferred: bool = False  # "He announced ..." resolved to the one person named before it
    page: int | None = None
    section: str | None = None
    local_paragraph: int | None = None  # within the page or section (None: ``paragraph``)

    @property
    def citation(self) -> str:
        return citation_for(self.title, self.date, self.local_paragraph or self.paragraph, page=self.page, section=self.section)

    def to_record(self) -> dict[str, Any]:
        """What the index stores (``from_record`` reads it back)."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ReportedSpeech:
        return cls(**record)


def _masked(text: str) -> str:
    """The text with its quotations (not scare quotes such as “a monument”) blanked out."""
    out = list(text)
    for start, end in quote_spans(text):
        if len(text[start:end].split()) < MIN_UNATTRIBUTED_WORDS:
            continue
        for i in range(max(0, start - 1), min(len(text), end + 1)):
            out[i] = _MASK
    return "".join(out)


def _introduces_quote(rest: str) -> bool:
    """The words after a reporting verb are (mostly) a quotation: "said: “…”", "told reporters that “…”"."""
    if _MASK not in rest:
        return False
    head = rest[: rest.index(_MASK)]
    return len(head.split()) <= 4 and len(rest.replace(_MASK, "").split()) <= 6


def reported_speech(documents: Sequence[Document], people: Sequence[Person]) -> list[ReportedSpeech]:
    """Sentences where a person (or "he"/"she") says, announces, directs ... something, outside
    quotation marks; one item per sentence, in reading order."""
    items: list[ReportedSpeech] = []
    for doc in documents:
        matcher = AliasMatcher.for_document(people, doc.doc)
        for para in doc.paragraphs:
            masked = _masked(para.text)
            named_before: list[str] = []  # people named so far in this paragraph (outside quotes)
            for sent in para.sentences:
                seg = masked[sent.start : sent.end]
                hits = [(a, b, names) for a, b, names in matcher.finditer(seg)]
                found: tuple[str | None, str, bool] | None = None
                for a, b, names in hits:
                    m = _REPORTING.match(seg[b:])
                    if not m or len(names) != 1:
                        continue
                    if seg[:a].rstrip(" ,").endswith(_MASK) or _introduces_quote(seg[b + m.end() :]):
                        continue  # "“…,” Okafor told reporters" / "X said: “…”": a quotation's attribution
                    found = (next(iter(names)), m.group("verb"), False)
                    break
                if found is None and (m := _PRONOUN_SUBJECT.search(seg)):
                    if not seg[: m.start()].rstrip(" ,").endswith(_MASK) and not _introduces_quote(seg[m.end() :]):
                        earlier = set(named_before)
                        if len(earlier) == 1:
                            found = (next(iter(earlier)), m.group("verb"), True)
                        else:
                            found = (None, m.group("verb"), False)
                if found is not None:
                    who, verb, inferred = found
                    items.append(
                        ReportedSpeech(
                            sent.text, who, doc.doc, doc.title, doc.date, para.number, sent.number, verb, inferred,
                            **doc.where(para.number),
                        )
                    )
                for a, b, names in hits:
                    if len(names) == 1:
                        named_before.append(next(iter(names)))
                    else:
                        named_before.extend(names)
    return items
