"""Reading the seeds folder into documents, paragraphs and sentences.

Every file with a document suffix (``DOCUMENT_SUFFIXES``: text, Markdown, web pages, PDF,
Word) is a document; ``formats`` turns its bytes into paragraphs and metadata, by suffix.
Files that cannot be read (not UTF-8, a scan without text, an encrypted or damaged PDF, a
Word file that unpacks too large) are skipped with the reason, never fatal. A document
fetched from a URL has a ``<name>.source.json`` beside it (``sources``) that gives its URL.

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
from dataclasses import dataclass
from pathlib import Path

from ..errors import DocumentUnreadable, SeedsFolderError
from ..models import Document, Paragraph, Sentence, SkippedFile
from ..progress import ProgressFactory
from .formats import SUFFIXES, Extracted, extract
from .formats.cache import ExtractCache, cached_extract
from .formats.text import DATELINE as _DATELINE
from .formats.text import decode_text, layout
from .sentences import SplitCache, split_many, split_sentences
from .sources import MAX_SOURCE_BYTES, Source, source_name
from ..settings import DEFAULT_MAX_DOCUMENT_BYTES
from ..text.show import shown, web_url
from ..text.sizes import over_limit, size_text

log = logging.getLogger(__name__)

__all__ = ["DOCUMENT_SUFFIXES", "LoadResult", "SeedEntry", "decode_text", "inspect_entry", "list_document_files",
           "load_documents", "document_from", "extract_document", "parse_document", "read_entry", "scan_seeds", "seed_fingerprint"]

# The one list of what can be a document: the loader, /seed add's name rule and the watcher use it.
DOCUMENT_SUFFIXES = SUFFIXES

# Never follow a link when opening, never wait on a FIFO (both absent on Windows).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class LoadResult:
    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...]
    hashes: dict[str, str]  # every candidate file, indexed or skipped -> its ``seed_fingerprint`` value


@dataclass(frozen=True)
class SeedEntry:
    """One candidate of the seeds folder (a document suffix, not hidden), as ``inspect_entry`` judged it."""

    name: str  # as shown and stored (a name that is not UTF-8 has its bad bytes spelled out)
    path: Path  # the entry in the folder
    real: Path  # what it names once links are followed: the path to open
    stat: os.stat_result | None  # of ``real``, when it is a document
    problem: str | None  # why it is not a document; None when it is one

    @property
    def fingerprint(self) -> str:
        """A skipped entry's stand-in for a content hash: stable, as its content is never read."""
        return f"skipped: {self.problem}"


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


def _source_file(entry: SeedEntry) -> tuple[str, str, bytes | None] | None:
    """(name, fingerprint, bytes) of the ``.source.json`` beside document ``entry``; None
    when it has none. Judged like a document (a link out of the folder is never read)."""
    path = entry.path.with_name(source_name(entry.path.name))
    if not os.path.lexists(path):
        return None
    root = Path(os.path.realpath(entry.path.parent))
    side = inspect_entry(path, root, MAX_SOURCE_BYTES)
    data, fingerprint, _ = _fingerprint(side, MAX_SOURCE_BYTES)
    return side.name, fingerprint, data


def _source_of(entry: SeedEntry, side: tuple[str, str, bytes | None] | None, sha256: str) -> Source | None:
    """The source a document's ``.source.json`` states, when it is readable and describes these bytes."""
    if side is None or side[2] is None:
        return None
    try:
        source = Source.from_bytes(side[2])
    except ValueError as exc:
        log.warning("ignoring %s: %s", shown(side[0]), exc)
        return None
    if source.sha256 != sha256:
        log.info("ignoring %s: %s was changed since it was fetched", shown(side[0]), shown(entry.name))
        return None
    return source


def seed_fingerprint(seeds_dir: Path, max_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES) -> dict[str, str]:
    """name -> sha256 (or a skipped file's stable stand-in) for every candidate of a seeds
    folder and the source file beside each document: the manifest stores the same map
    (``LoadResult.hashes``), so any difference means the index is out of date."""
    hashes: dict[str, str] = {}
    for entry in scan_seeds(seeds_dir, max_bytes):
        hashes[entry.name] = _fingerprint(entry, max_bytes)[1]
        if entry.problem is None and (side := _source_file(entry)) is not None:
            hashes[side[0]] = side[1]
    return hashes


def load_documents(
    seeds_dir: Path,
    splits: SplitCache | None = None,
    progress: ProgressFactory | None = None,
    max_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES,
    extracts: ExtractCache | None = None,
) -> LoadResult:
    """Every document of ``seeds_dir``; ``splits`` keeps the sentence splits of unchanged
    paragraphs between builds (pysbd is most of the time spent here), ``extracts`` the text
    of unchanged PDF, Word and web pages (pypdf and trafilatura are slow). A file larger
    than ``max_bytes`` is skipped, unread."""
    outcomes: list[tuple[str, str, Extracted | None]] = []  # (name, sha256 or reason, extracted)
    hashes: dict[str, str] = {}
    for entry in scan_seeds(seeds_dir, max_bytes):
        data, hashes[entry.name], problem = _fingerprint(entry, max_bytes)
        if data is None:
            outcomes.append((entry.name, problem or "", None))
            continue
        side = _source_file(entry)
        if side is not None:
            hashes[side[0]] = side[1]
        source = _source_of(entry, side, hashes[entry.name])
        try:
            url = source.final_url if source else None
            extracted = cached_extract(entry.name, data, hashes[entry.name], url=url, cache=extracts)
        except DocumentUnreadable as exc:
            outcomes.append((entry.name, str(exc), None))
            continue
        outcomes.append((entry.name, hashes[entry.name], extracted))
    # All paragraphs in one call, so the cache is asked once, not once per paragraph.
    texts = [b.text for _, _, extracted in outcomes if extracted for b in extracted.blocks]
    spans = iter(split_many(texts, splits, progress))
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for name, detail, extracted in outcomes:
        if extracted is not None:
            document = _assemble(name, extracted, [next(spans) for _ in extracted.blocks], detail)
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


def _assemble(doc: str, extracted: Extracted, spans: list[list[tuple[int, int]]], sha256: str) -> Document:
    paragraphs: list[Paragraph] = []
    for number, (block, block_spans) in enumerate(zip(extracted.blocks, spans), start=1):
        text = block.text
        sentences = tuple(Sentence(doc, number, i, text[a:b], a, b) for i, (a, b) in enumerate(block_spans, start=1))
        paragraphs.append(Paragraph(doc, number, text, sentences, page=block.page, section=block.section))
    title = extracted.title
    if title is None:
        title = _title_from_text(paragraphs, extracted.place) if paragraphs else Path(doc).stem
    return Document(
        doc, title, extracted.date, extracted.place, tuple(paragraphs), sha256,
        # Only an http(s) URL is a document's address: a page's own canonical link may say anything.
        url=web_url(extracted.url), author=extracted.author, site=extracted.site, pages=extracted.pages,
    )


def parse_document(doc: str, text: str, sha256: str = "") -> Document:
    """Turn one text document into paragraphs and sentences with metadata."""
    extracted = layout(text)
    return _assemble(doc, extracted, [split_sentences(b.text) for b in extracted.blocks], sha256)


def extract_document(doc: str, data: bytes, sha256: str = "", url: str | None = None) -> Document:
    """Any document's bytes (its name's suffix says the format) as paragraphs and sentences.
    Raises ``DocumentUnreadable`` with the reason when the format cannot be read."""
    return document_from(doc, extract(doc, data, url=url), sha256)


def document_from(doc: str, extracted: Extracted, sha256: str = "") -> Document:
    """An extracted document's paragraphs split into sentences, titled, under the name ``doc``."""
    return _assemble(doc, extracted, [split_sentences(b.text) for b in extracted.blocks], sha256)


def _title_from_text(paragraphs: list[Paragraph], place: str | None) -> str:
    """A plain-text article has no title line: use the start of its first sentence."""
    first = paragraphs[0].sentences[0].text if paragraphs[0].sentences else paragraphs[0].text
    if place and (m := _DATELINE.match(first)):
        first = first[m.end() :]
    first = re.split(r",\s|;\s|:\s", first, maxsplit=1)[0].rstrip(".")
    if len(first) > 80:
        first = first[:80].rsplit(" ", 1)[0] + "…"
    return first
