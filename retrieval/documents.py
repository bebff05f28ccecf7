"""Reading the seeds folder into documents, paragraphs and sentences.

Every ``.txt`` and ``.md`` file is a document. A leading ``date YYYY-MM-DD`` header and a
dateline (``Doha - ...``) become metadata; the dateline stays in the paragraph text so a
question about the place still finds it. Files that are not readable text are skipped
with a reason, never fatal.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import SeedsFolderError
from .models import Document, Paragraph, Sentence, SkippedFile
from .progress import ProgressFactory
from .sentences import SplitCache, split_many, split_sentences

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = (".txt", ".md")

_DATE_HEADER = re.compile(r"^\s*date\s*:?\s*(\d{4}-\d{2}-\d{2})\b[ \t]*\n?", re.IGNORECASE)
# A dateline: one to four capitalised words, then a dash, at the very start of the text.
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][\w'’.]*(?:[ ,]+[A-Z][\w'’.]*){0,3})\s+[-–—]\s+(?=\S)"
)
_MD_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
_TITLE_HEADER = re.compile(r"^\s*title\s*:\s*(?P<title>.+?)\s*$", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
# Control characters other than newline and tab mean the bytes are not prose.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class LoadResult:
    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...]
    hashes: dict[str, str]  # every candidate file, indexed or skipped -> sha256 of its bytes


def list_document_files(seeds_dir: Path) -> list[Path]:
    """The document files of a seeds folder, in a stable order. Raises if the folder is unusable."""
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.exists():
        raise SeedsFolderError(f"seeds folder not found: {seeds_dir}")
    if not seeds_dir.is_dir():
        raise SeedsFolderError(f"seeds folder is not a folder: {seeds_dir}")
    try:
        entries = sorted(seeds_dir.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise SeedsFolderError(f"cannot read seeds folder {seeds_dir}: {exc.strerror or exc}") from exc
    return [
        p
        for p in entries
        if p.suffix.lower() in DOCUMENT_SUFFIXES and not p.name.startswith(".") and p.is_file()
    ]


def decode_text(data: bytes) -> str:
    """Decode document bytes, or raise ``ValueError`` with a reason a moderator understands."""
    if not data.strip():
        raise ValueError("empty file")
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes), or UTF-16 text: save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (invalid byte at offset {exc.start})") from exc
    if len(_CONTROL.findall(text)) > max(3, len(text) // 1000):
        raise ValueError("binary file (control characters)")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise ValueError("empty file")
    return text


def load_documents(seeds_dir: Path, splits: SplitCache | None = None, progress: ProgressFactory | None = None) -> LoadResult:
    """Every document of ``seeds_dir``; ``splits`` keeps the sentence splits of unchanged
    paragraphs between builds (pysbd is most of the time spent here)."""
    outcomes: list[tuple[str, str, _Layout | None]] = []  # (name, sha256 or reason, layout)
    hashes: dict[str, str] = {}
    for path in list_document_files(seeds_dir):
        hashes[path.name] = "unreadable"
        try:
            data = path.read_bytes()
            hashes[path.name] = hashlib.sha256(data).hexdigest()
            outcomes.append((path.name, hashes[path.name], _layout(decode_text(data))))
        except OSError as exc:
            outcomes.append((path.name, f"cannot read: {exc.strerror or exc}", None))
        except ValueError as exc:
            outcomes.append((path.name, str(exc), None))
    # All paragraphs in one call, so the cache is asked once, not once per paragraph.
    spans = iter(split_many([b for _, _, layout in outcomes if layout for b in layout.blocks], splits, progress))
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for name, detail, layout in outcomes:
        if layout is not None:
            document = _assemble(name, layout, [next(spans) for _ in layout.blocks], detail)
            if document.paragraphs:
                documents.append(document)
                continue
            detail = "no text after the headers"
        skipped.append(SkippedFile(name, detail))
    # With nothing readable the build fails with an error naming every skipped file: the
    # same reasons logged beside it would say it twice.
    for file in skipped if documents else ():
        log.warning("skipping %s: %s", file.name, file.reason)
    return LoadResult(tuple(documents), tuple(skipped), hashes)


@dataclass(frozen=True)
class _Layout:
    """A document's text before sentence splitting."""

    title: str | None
    date: str | None
    place: str | None
    blocks: tuple[str, ...]  # the paragraphs' texts, whitespace folded


def _layout(text: str) -> _Layout:
    text = text.strip()
    date = None
    title = None
    # Headers may come in either order at the top: ``date ...`` and ``title: ...``.
    for _ in range(2):
        if m := _DATE_HEADER.match(text):
            date = m.group(1)
            text = text[m.end() :].lstrip()
        first_line = text.split("\n", 1)[0]
        if title is None and (m := (_TITLE_HEADER.match(first_line) or _MD_HEADING.match(first_line))):
            title = m.group("title")
            text = text[len(first_line) :].lstrip()

    place = None
    if m := _DATELINE.match(text):
        place = m.group("place").rstrip(",")

    blocks = (" ".join(b.split()) for b in _BLANK_LINES.split(text))
    # Markdown headings inside the body are section titles, not prose to cite.
    return _Layout(title, date, place, tuple(b for b in blocks if b and not _MD_HEADING.match(b)))


def _assemble(doc: str, layout: _Layout, spans: list[list[tuple[int, int]]], sha256: str) -> Document:
    paragraphs: list[Paragraph] = []
    for number, (block, block_spans) in enumerate(zip(layout.blocks, spans), start=1):
        sentences = tuple(Sentence(doc, number, i, block[a:b], a, b) for i, (a, b) in enumerate(block_spans, start=1))
        paragraphs.append(Paragraph(doc, number, block, sentences))
    title = layout.title
    if title is None:
        title = _title_from_text(paragraphs, layout.place) if paragraphs else Path(doc).stem
    return Document(doc, title, layout.date, layout.place, tuple(paragraphs), sha256)


def parse_document(doc: str, text: str, sha256: str = "") -> Document:
    """Turn one document's text into paragraphs and sentences with metadata."""
    layout = _layout(text)
    return _assemble(doc, layout, [split_sentences(b) for b in layout.blocks], sha256)


def _title_from_text(paragraphs: list[Paragraph], place: str | None) -> str:
    """A plain-text article has no title line: use the start of its first sentence."""
    first = paragraphs[0].sentences[0].text if paragraphs[0].sentences else paragraphs[0].text
    if place and (m := _DATELINE.match(first)):
        first = first[m.end() :]
    first = re.split(r",\s|;\s|:\s", first, maxsplit=1)[0].rstrip(".")
    if len(first) > 80:
        first = first[:80].rsplit(" ", 1)[0] + "…"
    return first
