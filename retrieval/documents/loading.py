"""Reading the seeds folder into documents, paragraphs and sentences.

Every ``.txt`` and ``.md`` file is a document. A leading ``date YYYY-MM-DD`` header and a
dateline (``Doha - ...``) become metadata; the dateline stays in the paragraph text so a
question about the place still finds it. Files that are not readable text are skipped
with a reason, never fatal.

A document is a regular file whose real path is inside the seeds folder. ``inspect_entry``
alone decides that (the loader, the staleness fingerprint, the watcher and ``/seed remove``
all go through it): a link that leaves the folder, a device, a FIFO, a socket, a folder
named ``x.txt``, a link loop or a dangling link is skipped and named with the reason, and
is never opened, so a FIFO cannot block indexing and ``/proc`` is never read.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import SeedsFolderError
from ..models import Document, Paragraph, Sentence, SkippedFile
from ..progress import ProgressFactory
from .sentences import SplitCache, split_many, split_sentences
from ..settings import DEFAULT_MAX_DOCUMENT_BYTES
from ..text.show import shown

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
# Never follow a link when opening, never wait on a FIFO (both absent on Windows).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class LoadResult:
    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...]
    hashes: dict[str, str]  # every candidate file, indexed or skipped -> its ``seed_fingerprint`` value


@dataclass(frozen=True)
class SeedEntry:
    """One candidate of the seeds folder (a ``.txt``/``.md`` name, not hidden), as ``inspect_entry`` judged it."""

    name: str  # as shown and stored (a name that is not UTF-8 has its bad bytes spelled out)
    path: Path  # the entry in the folder
    real: Path  # what it names once links are followed: the path to open
    stat: os.stat_result | None  # of ``real``, when it is a document
    problem: str | None  # why it is not a document; None when it is one

    @property
    def fingerprint(self) -> str:
        """A skipped entry's stand-in for a content hash: stable, as its content is never read."""
        return f"skipped: {self.problem}"


def size_text(n: int) -> str:
    """A byte count as people read it: 812 bytes, 14 KiB, 12.3 MiB."""
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"


def over_limit(size: int, limit: int) -> str:
    """Why a file is too big: "12.3 MiB; the limit is 10.0 MiB" (exact bytes when rounding would hide it)."""
    if size_text(size) == size_text(limit):
        return f"{size:,} bytes; the limit is {limit:,} bytes"
    return f"{size_text(size)}; the limit is {size_text(limit)}"


def _kind(mode: int) -> str | None:
    """Why a file of this mode is not a document; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    return "not a regular file"


def _shown_name(name: str) -> str:
    """``name`` as valid text: bytes that are not UTF-8 (``os.listdir`` hands them over as
    lone surrogates, which SQLite and a terminal refuse) become ``\\xe9``-style escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def inspect_entry(path: Path, root: Path, max_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES) -> SeedEntry:
    """Is ``path`` (an entry of the folder whose resolved path is ``root``) a document, or why not?

    Only ``stat`` calls, never ``open``: opening a FIFO blocks, and reading ``/proc`` or a
    device is exactly what must not happen. ``max_bytes=None`` checks no size (``/seed
    remove`` must reach a file that is too big to index).
    """
    name = _shown_name(path.name)

    def skip(problem: str) -> SeedEntry:
        return SeedEntry(name, path, path, None, problem)

    if name != path.name:
        return skip("the file name is not valid UTF-8; rename it")
    try:
        lst = os.lstat(path)
        if stat.S_ISLNK(lst.st_mode):
            try:
                os.stat(path)
            except FileNotFoundError:
                return skip("a dangling link: what it names does not exist")
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    return skip("a link loop")
                raise
            # Resolved once, then only ``real`` is used: the stat below and ``read_entry``'s
            # identity check both look at the very file that was found to be inside.
            real = Path(os.path.realpath(path))
            if not real.is_relative_to(root):
                return skip("a link leading outside the seeds folder")
            if any(part.startswith(".") for part in real.relative_to(root).parts):
                return skip("a link to a hidden file")  # .env, an upload in progress
            st = os.stat(real)
        else:
            real, st = path, lst
    except OSError as exc:
        return skip(f"cannot read: {exc.strerror or exc}")
    if problem := _kind(st.st_mode):
        return skip(problem)
    if max_bytes is not None and st.st_size > max_bytes:
        return skip(over_limit(st.st_size, max_bytes))
    return SeedEntry(name, path, real, st, None)


def scan_seeds(seeds_dir: Path, max_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES) -> list[SeedEntry]:
    """Every candidate of a seeds folder, judged, in a stable order. Raises if the folder is unusable."""
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.exists():
        raise SeedsFolderError(f"seeds folder not found: {seeds_dir}")
    if not seeds_dir.is_dir():
        raise SeedsFolderError(f"seeds folder is not a folder: {seeds_dir}")
    try:
        entries = sorted(seeds_dir.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise SeedsFolderError(f"cannot read seeds folder {seeds_dir}: {exc.strerror or exc}") from exc
    root = Path(os.path.realpath(seeds_dir))
    out = []
    for path in entries:
        if path.suffix.lower() not in DOCUMENT_SUFFIXES or path.name.startswith("."):
            continue
        entry = inspect_entry(path, root, max_bytes)
        if entry.problem is None or os.path.lexists(path):  # gone since the listing: not there
            out.append(entry)
    return out


def list_document_files(seeds_dir: Path, max_bytes: int | None = None) -> list[Path]:
    """The documents of a seeds folder (``inspect_entry`` accepted them), in a stable order.

    No size limit unless one is given: this is what ``/seed remove`` can name."""
    return [e.path for e in scan_seeds(seeds_dir, max_bytes) if e.problem is None]


def read_entry(entry: SeedEntry, max_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of a document ``inspect_entry`` accepted.

    Opened without following a link and without blocking, then checked to be the very file
    that was inspected: if it was swapped since (for a FIFO, or a link out of the folder),
    ``ValueError`` says so rather than anything being read from it.
    """
    assert entry.stat is not None, "read_entry needs an entry that is a document"
    fd = os.open(entry.real, _OPEN_FLAGS)
    with open(fd, "rb", closefd=True) as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (entry.stat.st_dev, entry.stat.st_ino):
            raise ValueError("replaced while being read")
        if max_bytes is None:
            data = fh.read()
        else:
            # Sized by the stat, not the limit: read(n) allocates n bytes up front. One byte
            # more than the stat said shows a file that grew since; read on to the limit.
            expected = min(st.st_size, max_bytes)
            data = fh.read(expected + 1)
            if len(data) > expected:
                data += fh.read(max_bytes + 1 - len(data))
    if max_bytes is not None and len(data) > max_bytes:  # it grew past the limit since the stat
        raise ValueError(f"grew past the limit of {size_text(max_bytes)} while being read")
    return data


def _fingerprint(entry: SeedEntry, max_bytes: int | None) -> tuple[bytes | None, str, str | None]:
    """(bytes, fingerprint, problem) of one entry: what the loader and ``seed_fingerprint`` share."""
    if entry.problem is not None:
        return None, entry.fingerprint, entry.problem
    try:
        data = read_entry(entry, max_bytes)
    except OSError as exc:
        return None, "unreadable", f"cannot read: {exc.strerror or exc}"
    except ValueError as exc:
        return None, f"skipped: {exc}", str(exc)
    return data, hashlib.sha256(data).hexdigest(), None


def seed_fingerprint(seeds_dir: Path, max_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES) -> dict[str, str]:
    """name -> sha256 (or a skipped file's stable stand-in) for every candidate of a seeds
    folder: the manifest stores the same map (``LoadResult.hashes``), so any difference means
    the index is out of date."""
    return {e.name: _fingerprint(e, max_bytes)[1] for e in scan_seeds(seeds_dir, max_bytes)}


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


def load_documents(
    seeds_dir: Path,
    splits: SplitCache | None = None,
    progress: ProgressFactory | None = None,
    max_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES,
) -> LoadResult:
    """Every document of ``seeds_dir``; ``splits`` keeps the sentence splits of unchanged
    paragraphs between builds (pysbd is most of the time spent here). A file larger than
    ``max_bytes`` is skipped, unread."""
    outcomes: list[tuple[str, str, _Layout | None]] = []  # (name, sha256 or reason, layout)
    hashes: dict[str, str] = {}
    for entry in scan_seeds(seeds_dir, max_bytes):
        data, hashes[entry.name], problem = _fingerprint(entry, max_bytes)
        if data is None:
            outcomes.append((entry.name, problem or "", None))
            continue
        try:
            outcomes.append((entry.name, hashes[entry.name], _layout(decode_text(data))))
        except ValueError as exc:
            outcomes.append((entry.name, str(exc), None))
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
        log.warning("skipping %s: %s", shown(file.name), file.reason)
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
