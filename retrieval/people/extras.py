"""The people index: people, quotations and reported speech of one index generation, as the
index's extras store them and as the API serves them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

from ..models import LibraryId, Person, Quote
from .names import normalize_name
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

    def in_library(self, library: LibraryId) -> PeopleIndex:
        """The same index with every mention and quotation saying which library it is from
        (``None``, the shared library, is how the index stores them)."""
        if library is None:
            return self
        quotes = tuple(replace(q, library=library) for q in self.quotes)
        people = tuple(
            replace(
                p,
                mentions=tuple(replace(m, library=library) for m in p.mentions),
                quotes=tuple(replace(q, library=library) for q in p.quotes),
            )
            for p in self.people
        )
        return PeopleIndex(people, quotes, self.reported)

    @classmethod
    def merged(cls, indexes: Sequence[PeopleIndex]) -> PeopleIndex:
        """Several libraries' people as one index: a person of the same name in two libraries
        is one person (their aliases, roles, mentions and quotes together), so "who is X?"
        over a server's library and the shared one is not ambiguous with X twice."""
        if len(indexes) == 1:
            return indexes[0]
        people: dict[str, Person] = {}
        for index in indexes:
            for person in index.people:
                key = normalize_name(person.name)
                same = people.get(key)
                people[key] = person if same is None else _joined(same, person)
        return cls(
            tuple(people.values()),
            tuple(q for index in indexes for q in index.quotes),
            tuple(r for index in indexes for r in index.reported),
        )


def _joined(a: Person, b: Person) -> Person:
    return replace(
        a,
        aliases=tuple(dict.fromkeys(a.aliases + b.aliases)),
        roles=tuple(dict.fromkeys(a.roles + b.roles)),
        mentions=a.mentions + b.mentions,
        quotes=a.quotes + b.quotes,
    )
