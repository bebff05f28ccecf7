"""Typed results shared by every part of citebot.

Everything the front ends show is one of these: they carry their source reference
(document, paragraph, sentence) so a renderer never has to look anything up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Sequence


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
    page: int | None = None  # 1-based page of a PDF where the paragraph starts
    section: str | None = None  # the heading it stands under, when the document has headings


@dataclass(frozen=True)
class Document:
    doc: str  # file name, unique inside the seeds folder
    title: str
    date: str | None  # ISO YYYY-MM-DD from a leading ``date`` header
    place: str | None  # from a dateline such as ``Doha - ...``
    paragraphs: tuple[Paragraph, ...]
    sha256: str  # hash of the file's bytes: the manifest compares these
    url: str | None = None  # where it was fetched from (its ``.source.json``) or the page says it lives
    author: str | None = None  # a web page's byline
    site: str | None = None  # a web page's site name
    pages: int | None = None  # a PDF's page count

    @property
    def sentence_count(self) -> int:
        return sum(len(p.sentences) for p in self.paragraphs)

    def paragraph(self, number: int) -> Paragraph:
        return self.paragraphs[number - 1]

    @cached_property
    def _local_numbers(self) -> tuple[int, ...]:
        return local_numbers(self.paragraphs)

    def where(self, number: int) -> dict[str, Any]:
        """Where paragraph ``number`` is, as a citation says it: the fields ``Passage``,
        ``Quote`` and ``Mention`` carry (``page``, ``section``, ``local_paragraph``)."""
        paragraph = self.paragraph(number)
        return {"page": paragraph.page, "section": paragraph.section, "local_paragraph": self._local_numbers[number - 1]}


def local_numbers(paragraphs: Sequence[Paragraph]) -> tuple[int, ...]:
    """Each paragraph's number as a citation shows it: counted within its page when the
    document has pages (a PDF: the paragraphs that begin on that page), else within its
    section (the run of paragraphs under one heading), else in the whole document.

    "p. 3, ¶2" is then the second paragraph of page 3 and "§ Funding, ¶2" the second under
    Funding, which is where a reader looks; ``paragraph`` stays the number in the document.
    """
    out: list[int] = []
    previous: tuple[str, object] | None = None
    for p in paragraphs:
        key = ("page", p.page) if p.page is not None else ("section", p.section)
        out.append(out[-1] + 1 if out and key == previous else 1)
        previous = key
    return tuple(out)


@dataclass(frozen=True)
class SkippedFile:
    """A file in the seeds folder that is not indexed, and why."""

    name: str
    reason: str


def citation_for(
    title: str, date: str | None, paragraph: int, *, page: int | None = None, section: str | None = None
) -> str:
    """"Title, 2025-01-23, ¶7"; a document with headings or pages says where the paragraph
    is: "Title, § Funding, ¶2", "Report, p. 3, ¶2". ``paragraph`` is the number to show:
    within the page or section when one is given (``local_numbers``).

    The one citation format: the console prints it, the JSON carries it, and the bot's
    embeds pass it their escaped, italic title."""
    when = f", {date}" if date else ""
    where = f", § {section}" if section else ""
    if page is not None:
        where += f", p. {page}"
    return f"{title}{when}{where}, ¶{paragraph}"


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
    url: str | None = None  # the document's source (a fetched or saved web page)
    page: int | None = None  # of a PDF, where the paragraph starts
    section: str | None = None  # the heading the paragraph stands under
    local_paragraph: int | None = None  # its number within the page or section (None: ``paragraph``)
    library: LibraryId = None

    @property
    def cited_paragraph(self) -> int:
        """The ¶ number a citation shows (see ``local_numbers``)."""
        return self.local_paragraph or self.paragraph

    @property
    def citation(self) -> str:
        return citation_for(self.title, self.date, self.cited_paragraph, page=self.page, section=self.section)

    def to_json(self) -> dict[str, Any]:
        # ``paragraph`` stays the number in the whole document; the citation counts within
        # the page or section.
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
            "url": self.url,
            "page": self.page,
            "section": self.section,
        } | library_json(self.library)


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    short_answer: str | None
    results: tuple[Passage, ...]
    # Ranked passages beyond ``results``, for "More results" paging.
    more: tuple[Passage, ...] = ()
    # How likely ``short_answer`` is exactly right (0-1); None when there is none. A short
    # answer is only given at or above a calibrated threshold (see retrieval/query/reader/).
    short_answer_confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answered": self.answered,
            "short_answer": self.short_answer,
            "short_answer_confidence": (
                None if self.short_answer_confidence is None else round(float(self.short_answer_confidence), 3)
            ),
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
    url: str | None = None  # the document's source, when it has one
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
    page: int | None = None
    section: str | None = None
    local_paragraph: int | None = None
    library: LibraryId = None

    @property
    def cited_paragraph(self) -> int:
        return self.local_paragraph or self.paragraph

    def to_record(self) -> dict[str, Any]:
        return {"doc": self.doc, "paragraph": self.paragraph, "page": self.page, "section": self.section,
                "local_paragraph": self.local_paragraph}

    def to_json(self) -> dict[str, Any]:
        return {"doc": self.doc, "paragraph": self.paragraph, "page": self.page, "section": self.section} | library_json(
            self.library
        )

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Mention:
        return cls(record["doc"], record["paragraph"], record.get("page"), record.get("section"),
                   record.get("local_paragraph"))


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str | None  # full name, or None when the source does not name one
    doc: str
    title: str
    date: str | None
    paragraph: int
    url: str | None = None
    page: int | None = None
    section: str | None = None
    local_paragraph: int | None = None  # within the page or section (None: ``paragraph``)
    library: LibraryId = None

    @property
    def cited_paragraph(self) -> int:
        return self.local_paragraph or self.paragraph

    @property
    def citation(self) -> str:
        return citation_for(self.title, self.date, self.cited_paragraph, page=self.page, section=self.section)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "speaker": self.speaker,
            "doc": self.doc,
            "paragraph": self.paragraph,
            "citation": self.citation,
            "url": self.url,
            "page": self.page,
            "section": self.section,
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
