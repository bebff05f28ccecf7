"""What goes into the index, and the table that keeps it.

Every text the index is made of is decided here, so the build, the searcher and the
benchmarks cannot drift apart:

* a sentence's vector is made from the sentence alone (``sentence_texts``);
* a paragraph's vector from its text, with the document's date and place added on the
  dateline paragraph (``paragraph_texts``);
* BM25 sees each sentence twice, the sentence before it, and the dateline's date and place
  (``lexical_texts``);
* the typo vocabulary learns every paragraph as written plus each document's title and
  place (``vocabulary_texts``).

The first paragraph is the dateline ("Doha - ..."): the document's date and place belong
to it and to no other paragraph (``is_dateline``).

``ChunkStore`` is ``chunks.sqlite``, a generation's documents, paragraphs and sentences:
written once by the build, then read (read-only) by the searcher. Row ``n`` of the sentence
and paragraph tables is row ``n - 1`` of their vector indexes; the store speaks 0-based ids.
Each paragraph keeps its page and section and the number a citation shows for it
(``models.local_numbers``), each document its URL, so a passage read back cites its place.
Built with spaCy, each paragraph also keeps its parse and each sentence its typed phrases
(``aids``): what the reader of the best paragraph needs, read for the few paragraphs a
question looks at.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..models import Document, LibraryId, Paragraph, Passage, Sentence, SkippedFile, SourceInfo, local_numbers

if TYPE_CHECKING:
    from .aids import ReadingAids

CHUNKS_FILE = "chunks.sqlite"
DATELINE_PARAGRAPH = 1

# A passage carries its paragraph up to this many characters each side of the sentence: a
# one-line file is one paragraph of megabytes, which every result, stored answer and
# coverage check would otherwise copy whole. Real paragraphs fit well inside it.
PASSAGE_CONTEXT_CHARS = 5000
ELLIPSIS = "…"


def is_dateline(paragraph: int) -> bool:
    """Does paragraph number ``paragraph`` (1-based) carry the document's date and place?"""
    return paragraph == DATELINE_PARAGRAPH


# ---- the texts ----------------------------------------------------------------------------


def sentence_texts(documents: Sequence[Document]) -> list[str]:
    """What each sentence's vector is made from, in sentence-id order."""
    return [s.text for d in documents for p in d.paragraphs for s in p.sentences]


def paragraph_texts(documents: Sequence[Document]) -> list[str]:
    """What each paragraph's vector is made from, in paragraph-id order."""
    return [paragraph_context(d, p.number) for d in documents for p in d.paragraphs]


def paragraph_context(document: Document, number: int) -> str:
    """A paragraph's text, with the document's metadata on the dateline paragraph.

    The dateline paragraph carries the date and place so "when/where was the meeting"
    lands there even though the text says neither word.
    """
    text = document.paragraph(number).text
    if is_dateline(number) and (document.date or document.place):
        when = f" on {human_date(document.date)}" if document.date else ""
        where = f" in {document.place}" if document.place else ""
        text = f"{text} (Reported{where}{when}.)"
    return text


def human_date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return time.strftime("%d %B %Y", time.strptime(iso, "%Y-%m-%d")).lstrip("0")
    except ValueError:
        return iso


def lexical_texts(documents: Sequence[Document]) -> list[str]:
    """What BM25 sees per sentence: the sentence, plus the sentence before it so a pronoun
    sentence ("He announced...") still matches the name it refers to, plus the document's
    place and date on the dateline paragraph."""
    out = []
    for d in documents:
        for p in d.paragraphs:
            meta = " ".join(filter(None, [d.place, d.date])) if is_dateline(p.number) else ""
            previous = ""
            for s in p.sentences:
                out.append(" ".join(filter(None, [s.text, s.text, previous, meta])))
                previous = s.text
    return out


def document_headers(documents: Sequence[SourceInfo | Document]) -> list[str]:
    """Title and place of each document: words the vocabulary must know besides the text."""
    return [" ".join(filter(None, (d.title, d.place))) for d in documents]


def vocabulary_texts(documents: Sequence[Document]) -> list[str]:
    """What the typo vocabulary learns: every paragraph as written, then the headers."""
    return [p.text for d in documents for p in d.paragraphs] + document_headers(documents)


# ---- the table ----------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE documents (id INTEGER PRIMARY KEY, doc TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
    date TEXT, place TEXT, sha256 TEXT NOT NULL, paragraphs INTEGER NOT NULL, sentences INTEGER NOT NULL,
    url TEXT, author TEXT, site TEXT, pages INTEGER);
CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, number INTEGER NOT NULL,
    text TEXT NOT NULL, page INTEGER, section TEXT, local INTEGER NOT NULL);
CREATE TABLE sentences (id INTEGER PRIMARY KEY, paragraph_id INTEGER NOT NULL, number INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, kinds TEXT);
CREATE TABLE skipped (name TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE extras (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE parses (paragraph_id INTEGER PRIMARY KEY, data BLOB NOT NULL);
"""


class ChunkStore:
    """A generation's ``chunks.sqlite``, open read-only; thread-safe for reading.

    What every question needs is held in memory as arrays (which document each paragraph
    is in, which paragraph each sentence is in); texts stay on disk: a million sentences
    would cost ~150 MB.
    """

    def __init__(self, path: Path, library: LibraryId = None) -> None:
        self.path = path
        self.library = library  # every result and source says which library it is from
        # A URI ending in ?mode=ro: a reader never creates or writes the file.
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.documents: list[SourceInfo] = [
            SourceInfo(*row, library=library)
            for row in self._db.execute(
                "SELECT doc, title, date, place, paragraphs, sentences, url FROM documents ORDER BY id"
            )
        ]
        self.paragraph_doc = self._column("SELECT doc_id FROM paragraphs ORDER BY id") - 1
        self.paragraph_number = self._column("SELECT number FROM paragraphs ORDER BY id")
        self.sentence_paragraph = self._column("SELECT paragraph_id FROM sentences ORDER BY id") - 1
        self.skipped: dict[str, str] = dict(self._db.execute("SELECT name, reason FROM skipped").fetchall())
        self.extras: dict[str, Any] = {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM extras")}
        # Built with spaCy: paragraphs carry their parse and sentences their typed phrases.
        self.has_parses = self._db.execute("SELECT 1 FROM parses LIMIT 1").fetchone() is not None

    def _column(self, sql: str) -> np.ndarray:
        return np.fromiter((r[0] for r in self._db.execute(sql)), dtype=np.int32)

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def write(
        path: Path,
        documents: Sequence[Document],
        skipped: Sequence[SkippedFile],
        extras: dict[str, object],
        aids: ReadingAids | None = None,
    ) -> None:
        """Write a new ``chunks.sqlite`` holding ``documents`` in order (ids from 1), with
        ``aids`` (each paragraph's encoded parse, each sentence's typed phrases) when given."""
        db = sqlite3.connect(path)
        try:
            with db:
                db.executescript(_SCHEMA)
                paragraph_id = sentence_id = 0
                kinds = iter(aids.sentence_kinds if aids is not None else ())
                for doc_id, d in enumerate(documents, start=1):
                    db.execute(
                        "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (doc_id, d.doc, d.title, d.date, d.place, d.sha256, len(d.paragraphs), d.sentence_count,
                         d.url, d.author, d.site, d.pages),
                    )
                    for p, local in zip(d.paragraphs, local_numbers(d.paragraphs)):
                        paragraph_id += 1
                        db.execute(
                            "INSERT INTO paragraphs VALUES (?,?,?,?,?,?,?)",
                            (paragraph_id, doc_id, p.number, p.text, p.page, p.section, local),
                        )
                        rows = []
                        for s in p.sentences:
                            sentence_id += 1
                            rows.append((sentence_id, paragraph_id, s.number, s.text, s.start, s.end, next(kinds, None)))
                        db.executemany("INSERT INTO sentences VALUES (?,?,?,?,?,?,?)", rows)
                db.executemany("INSERT INTO skipped VALUES (?,?)", [(s.name, s.reason) for s in skipped])
                db.executemany("INSERT INTO extras VALUES (?,?)", [(k, json.dumps(v)) for k, v in extras.items()])
                if aids is not None:
                    db.executemany(
                        "INSERT INTO parses VALUES (?,?)", ((i, blob) for i, blob in enumerate(aids.parses, start=1) if blob)
                    )
        finally:
            db.close()

    # ---- reading ----------------------------------------------------------------------

    def sentence_texts(self, ids: Sequence[int] | np.ndarray) -> dict[int, str]:
        """The texts of sentences ``ids``, by id."""
        wanted = [int(i) + 1 for i in ids]
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, text FROM sentences WHERE id IN ({','.join('?' * len(wanted))})", wanted
            ).fetchall()
        return {row_id - 1: text for row_id, text in rows}

    def sentence_kinds(self, ids: Sequence[int] | np.ndarray) -> dict[int, str | None]:
        """The stored typed phrases (``aids.sentence_kinds``' JSON) of sentences ``ids``, by id."""
        wanted = [int(i) + 1 for i in ids]
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, kinds FROM sentences WHERE id IN ({','.join('?' * len(wanted))})", wanted
            ).fetchall()
        return {row_id - 1: kinds for row_id, kinds in rows}

    def paragraph_to_read(self, paragraph: int) -> tuple[str, tuple[tuple[int, int], ...], bytes] | None:
        """Paragraph ``paragraph`` (0-based) whole, its sentences' character spans and its
        encoded parse; None when it has no parse (built without spaCy, or too long to parse,
        so never a megabyte paragraph)."""
        with self._lock:
            row = self._db.execute("SELECT data FROM parses WHERE paragraph_id = ?", (paragraph + 1,)).fetchone()
            if row is None:
                return None
            (text,) = self._db.execute("SELECT text FROM paragraphs WHERE id = ?", (paragraph + 1,)).fetchone()
            spans = tuple(
                (a, b) for a, b in self._db.execute(
                    "SELECT start, end FROM sentences WHERE paragraph_id = ? ORDER BY number", (paragraph + 1,)
                )
            )
        return text, spans, row[0]

    def find_sentence(self, doc: str, paragraph: int, sentence: int) -> int | None:
        """The id of sentence ``sentence`` of paragraph ``paragraph`` of ``doc``; None when
        this generation has no such sentence."""
        with self._lock:
            row = self._db.execute(
                """SELECT s.id FROM sentences s JOIN paragraphs p ON p.id = s.paragraph_id
                   JOIN documents d ON d.id = p.doc_id WHERE d.doc = ? AND p.number = ? AND s.number = ?""",
                (doc, paragraph, sentence),
            ).fetchone()
        return None if row is None else row[0] - 1

    def passage(self, sentence_id: int, score: float) -> Passage:
        """Sentence ``sentence_id`` as a result, inside its paragraph as far as
        ``PASSAGE_CONTEXT_CHARS`` each side reaches."""
        reach = PASSAGE_CONTEXT_CHARS
        with self._lock:
            # SQLite cuts the window, so a megabyte paragraph is never copied out whole.
            row = self._db.execute(
                """SELECT s.number, s.text, s.start, s.end, p.number, d.doc, d.title, d.date,
                          substr(p.text, max(s.start - ?, 0) + 1, s.end - max(s.start - ?, 0) + ?),
                          s.start > ?, length(p.text) > s.end + ?, d.url, p.page, p.section, p.local
                   FROM sentences s JOIN paragraphs p ON p.id = s.paragraph_id JOIN documents d ON d.id = p.doc_id
                   WHERE s.id = ?""",
                (reach, reach, reach, reach, reach, sentence_id + 1),
            ).fetchone()
        number, text, start, end, para_no, doc, title, date, window, cut_before, cut_after, url, page, section, local = row
        offset = max(start - reach, 0)
        window, offset = _excerpt(window, offset, start, end, bool(cut_before), bool(cut_after))
        return Passage(
            doc, title, date, para_no, number, text, window, score, start - offset, end - offset,
            url=url, page=page, section=section, local_paragraph=local, library=self.library,
        )

    def read_documents(self) -> tuple[Document, ...]:
        """Every document as the build was given it (all text in memory: for rebuilding what
        an index is made of, e.g. a generation written before it stored its vocabulary)."""
        with self._lock:
            docs = self._db.execute(
                "SELECT id, doc, title, date, place, sha256, url, author, site, pages FROM documents ORDER BY id"
            ).fetchall()
            paragraphs = self._db.execute(
                "SELECT id, doc_id, number, text, page, section FROM paragraphs ORDER BY id"
            ).fetchall()
            sentences = self._db.execute("SELECT paragraph_id, number, text, start, end FROM sentences ORDER BY id").fetchall()
        by_paragraph: dict[int, list[tuple]] = {}
        for row in sentences:
            by_paragraph.setdefault(row[0], []).append(row)
        names = {doc_id: doc for doc_id, doc, *_ in docs}
        by_doc: dict[int, list[Paragraph]] = {}
        for para_id, doc_id, number, text, page, section in paragraphs:
            doc = names[doc_id]
            sents = tuple(Sentence(doc, number, n, t, s, e) for _, n, t, s, e in by_paragraph.get(para_id, ()))
            by_doc.setdefault(doc_id, []).append(Paragraph(doc, number, text, sents, page=page, section=section))
        return tuple(
            Document(doc, title, date, place, tuple(by_doc.get(doc_id, ())), sha256,
                     url=url, author=author, site=site, pages=pages)
            for doc_id, doc, title, date, place, sha256, url, author, site, pages in docs
        )


def _excerpt(window: str, offset: int, start: int, end: int, cut_before: bool, cut_after: bool) -> tuple[str, int]:
    """``window`` (the paragraph from ``offset``) with the words cut at its edges dropped and
    "…" where the paragraph goes on; returns it and the paragraph offset its first character
    stands for (so the sentence's offsets stay right)."""
    if cut_after:
        space = window.rfind(" ", end - offset)
        window = (window[:space] if space > 0 else window) + " " + ELLIPSIS
    if cut_before:
        space = window.find(" ", 0, start - offset)
        drop = space + 1 if space >= 0 else 0
        prefix = ELLIPSIS + " "
        window = prefix + window[drop:]
        offset += drop - len(prefix)
    return window, offset
