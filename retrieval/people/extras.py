"""The people index: people, quotations and reported speech of one index generation, as the
index's extras store them and as the API serves them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..models import Person, Quote
from .quotes import attach_quotes
from .reported import ReportedSpeech


@dataclass(frozen=True)
class PeopleIndex:
    people: tuple[Person, ...] = ()  # each with the quotations attributed to them
    quotes: tuple[Quote, ...] = ()  # every quotation, attributed or not, in reading order
    reported: tuple[ReportedSpeech, ...] = ()

    @classmethod
    def of(cls, people: Sequence[Person], quotes: Sequence[Quote], reported: Sequence[ReportedSpeech]) -> PeopleIndex:
        return cls(tuple(attach_quotes(people, quotes)), tuple(quotes), tuple(reported))

    def to_extras(self) -> dict[str, object]:
        return {
            "people": [p.to_record() for p in self.people],
            "quotes": [q.to_record() for q in self.quotes],
            "reported": [r.to_record() for r in self.reported],
        }

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> PeopleIndex:
        return cls.of(
            [Person.from_record(p) for p in extras.get("people", [])],
            [Quote.from_record(q) for q in extras.get("quotes", [])],
            [ReportedSpeech.from_record(r) for r in extras.get("reported", [])],
        )
