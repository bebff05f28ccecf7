"""Typed results shared by every part of citebot.

Everything the front ends show is one of these: they carry their source reference
(document, paragraph, sentence) so a renderer never has to look anything up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sentence:
    """One sentence of a paragraph; the unit we retrieve."""

    doc: str  # document id: the file name inside the seeds folder
    paragraph: int  # 1-based, reading order
    number: int  # 1-based inside its paragraph
    text: str
    start: int  # character offsets inside the paragraph text
    end: int


@dataclass(frozen=True)
class Paragraph:
    doc: str
    number: int
    text: str
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Document:
    doc: str  # file name, unique inside the seeds folder
    title: str
    date: str | None  # ISO YYYY-MM-DD from a leading ``date`` header
    place: str | None  # from a dateline such as ``Doha - ...``
    paragraphs: tuple[Paragraph, ...]
    sha256: str  # hash of the file's bytes: the manifest compares these

    @property
    def sentence_count(self) -> int:
        return sum(len(p.sentences) for p in self.paragraphs)

    def paragraph(self, number: int) -> Paragraph:
        return self.paragraphs[number - 1]


@dataclass(frozen=True)
class SkippedFile:
    """A file in the seeds folder that is not indexed, and why."""

    name: str
    reason: str


def citation_for(title: str, date: str | None, paragraph: int) -> str:
    when = f", {date}" if date else ""
    return f"{title}{when}, ¶{paragraph}"


# Which library a result is from: ``None`` is the shared library, an int the server whose own
# library it is (``retrieval.libraries``). Results carry it so that "Show context", votes and
# stored answers go back to the library the passage came from.
LibraryId = int | None


def library_json(library: LibraryId) -> dict[str, Any]:
    """The ``"library"`` entry of a result's JSON: the server id as a string for a server's
    library; nothing for the shared one, whose JSON is what it was before libraries existed."""
    return {} if library is None else {"library": str(library)}


@dataclass(frozen=True)
class Passage:
    """One result: the best sentence of a paragraph, shown inside that paragraph."""

    doc: str
    title: str
    date: str | None
    paragraph: int
    sentence: int
    text: str  # the best sentence
    paragraph_text: str
    score: float
    sentence_start: int = 0  # where ``text`` sits inside ``paragraph_text``
    sentence_end: int = 0
    library: LibraryId = None

    @property
    def citation(self) -> str:
        return citation_for(self.title, self.date, self.paragraph)

    def to_json(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "title": self.title,
            "date": self.date,
            "paragraph": self.paragraph,
            "sentence": self.sentence,
            "text": self.text,
            "paragraph_text": self.paragraph_text,
            "score": round(float(self.score), 4),
            "citation": self.citation,
        } | library_json(self.library)


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    short_answer: str | None
    results: tuple[Passage, ...]
    # Ranked passages beyond ``results``, for "More results" paging.
    more: tuple[Passage, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answered": self.answered,
            "short_answer": self.short_answer,
            "results": [r.to_json() for r in self.results],
        }


@dataclass(frozen=True)
class SourceInfo:
    """What ``/sources`` and ``citebot sources`` list."""

    doc: str
    title: str
    date: str | None
    place: str | None
    paragraphs: int
    sentences: int
    library: LibraryId = None


# People and quotes have two JSON forms: ``to_json`` is what ``--json`` prints (a person's
# roles as text, a count of their quotes), and ``to_record``/``from_record`` is what the index
# stores, read back to the same object.


# Neither form stores the library: an index is the same whichever library holds it, and
# ``Searcher`` tags what it serves with the library it serves it for.


@dataclass(frozen=True)
class Mention:
    doc: str
    paragraph: int
    library: LibraryId = None

    def to_record(self) -> dict[str, Any]:
        return {"doc": self.doc, "paragraph": self.paragraph}

    def to_json(self) -> dict[str, Any]:
        return self.to_record() | library_json(self.library)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Mention:
        return cls(record["doc"], record["paragraph"])


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str | None  # full name, or None when the source does not name one
    doc: str
    title: str
    date: str | None
    paragraph: int
    library: LibraryId = None

    @property
    def citation(self) -> str:
        return citation_for(self.title, self.date, self.paragraph)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "speaker": self.speaker,
            "doc": self.doc,
            "paragraph": self.paragraph,
            "citation": self.citation,
        } | library_json(self.library)

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        del record["library"]
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Quote:
        return cls(**record)


@dataclass(frozen=True)
class Role:
    title: str  # as the text states it: "current head", "Director of Foreign Affairs"
    organisation: str | None = None

    def __str__(self) -> str:
        return f"{self.title}, {self.organisation}" if self.organisation else self.title

    def to_record(self) -> dict[str, Any]:
        return {"title": self.title, "organisation": self.organisation}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Role:
        return cls(record["title"], record["organisation"])


@dataclass(frozen=True)
class Person:
    name: str
    aliases: tuple[str, ...]
    roles: tuple[Role, ...]
    mentions: tuple[Mention, ...]
    quotes: tuple[Quote, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "roles": [str(r) for r in self.roles],
            "mentions": [m.to_json() for m in self.mentions],
            "quotes": len(self.quotes),
        }

    def to_record(self) -> dict[str, Any]:
        """Without the quotes: the index stores each quotation once, in its list of every
        quotation, and ``people.attach_quotes`` gives each person theirs back."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "roles": [r.to_record() for r in self.roles],
            "mentions": [m.to_record() for m in self.mentions],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Person:
        return cls(
            name=record["name"],
            aliases=tuple(record["aliases"]),
            roles=tuple(Role.from_record(r) for r in record["roles"]),
            mentions=tuple(Mention.from_record(m) for m in record["mentions"]),
        )
