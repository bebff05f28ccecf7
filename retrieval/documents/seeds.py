"""Adding and removing documents in the seeds folder: safe names, checked bytes, no loss.

Pure file handling, no Discord: the bot's ``/seed`` commands and any other front end call
these. Nothing here ever deletes a document: a write goes through a temporary file that is
swapped in whole, and a removal moves the file to ``removed/`` beside the seeds folder.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import secrets
import shutil
import stat
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .fetch import Fetched
from .formats import SUFFIX_FOR_TYPE, Extracted, extract
from .loading import DOCUMENT_SUFFIXES, document_from, list_document_files
from .sources import Source, source_name
from ..text.sizes import over_limit
from ..errors import CitebotError, DocumentNotFound, DocumentUnreadable, SeedRejected, SeedsFolderError
from ..models import Document
from ..index.store import fsync_dir
from ..text.show import is_hidden_character, shown

__all__ = [
    "MAX_NAME_BYTES",
    "MAX_NAME_CHARS",
    "REMOVED_FOLDER",
    "Stored",
    "add_document",
    "add_fetched",
    "check_document_bytes",
    "document_key",
    "fetched_name",
    "find_document",
    "hidden_characters",
    "list_documents",
    "removed_dir",
    "remove_document",
    "safe_document_name",
    "store_document",
]

MAX_NAME_CHARS = 100  # also Discord's limit for an option value, so /seed remove can name any file
REMOVED_FOLDER = "removed"

# Device names Windows resolves whatever follows the first dot ("con.txt" and "CON.tar.txt"
# are the console), so a seeds folder copied to or shared with Windows would break on them.
# Windows also reads the superscript digits as digits (COM¹ is COM1), and CONIN$/CONOUT$.
log = logging.getLogger(__name__)

_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{port}{digit}" for port in ("com", "lpt") for digit in "0123456789¹²³"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters Windows refuses in names; refused here too so the folder stays portable.
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')

# Two removals of the same name at once must not pick the same free name in removed/ (a
# rename onto it would silently drop the older copy): one process-wide lock serialises them.
_write_lock = threading.Lock()
# Bytes, not characters, limit a file name (255 on most filesystems); the rest is room for
# the temporary-file and timestamp decorations added around it.
MAX_NAME_BYTES = 200


def hidden_characters(name: str) -> list[str]:
    """The characters of ``name`` that ``is_hidden_character`` flags, in order."""
    return [c for c in name if is_hidden_character(c)]


def safe_document_name(name: str) -> str:
    """``name`` if it is safe to create inside the seeds folder, else raise ``SeedRejected``.

    Every message is printable: a name is quoted with ``repr`` (which spells out what cannot
    be shown) or, when it holds invisible characters, not quoted at all.
    """
    if not name or not name.strip():
        raise SeedRejected("the file name is empty")
    if "\x00" in name:
        raise SeedRejected("the file name contains a NUL byte")
    if _CONTROL.search(name):
        raise SeedRejected("the file name contains control characters")
    hidden = hidden_characters(name)
    if hidden:
        codes = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in hidden))
        raise SeedRejected(
            f"the file name contains invisible, blank, line-breaking or direction-changing characters ({codes})"
        )
    if "/" in name or "\\" in name:
        raise SeedRejected(f"{name!r}: the file name must not contain / or \\ (no folders)")
    if ".." in name:
        raise SeedRejected(f"{name!r}: the file name must not contain '..'")
    if name.startswith("."):
        raise SeedRejected(f"{name!r}: hidden files (names starting with '.') are not allowed")
    if len(name) > MAX_NAME_CHARS or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise SeedRejected(f"the file name is {len(name)} characters long; the limit is {MAX_NAME_CHARS}")
    if name != name.strip() or name.endswith("."):
        raise SeedRejected(f"{name!r}: the file name must not start or end with a space or end with '.'")
    if _WINDOWS_FORBIDDEN.search(name):
        raise SeedRejected(f'{name!r}: the file name must not contain any of < > : " | ? *')
    suffix = Path(name).suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        allowed = " or ".join(DOCUMENT_SUFFIXES)
        raise SeedRejected(f"{name!r}: only {allowed} files can be documents")
    base = name.split(".", 1)[0].strip()
    if base.lower() in _WINDOWS_RESERVED:
        raise SeedRejected(f"{name!r}: {base} is a reserved device name on Windows")
    # Compatibility forms and decomposed accents look like (or are) another name: "ｘ.txt"
    # beside "x.txt", "ﬁle.txt" beside "file.txt". NFKC folds them; refuse what it changes.
    normal = unicodedata.normalize("NFKC", name)
    if normal != name:
        raise SeedRejected(
            f"{name!r}: the file name has look-alike or compatibility characters; write it as {normal!r}"
        )
    return name


def check_document_bytes(name: str, data: bytes, max_bytes: int, url: str | None = None) -> Document:
    """The document ``data`` holds, read as the loader will (its suffix says the format);
    ``SeedRejected`` unless it is non-empty, small enough and readable, with some text."""
    return document_from(name, _checked_extract(name, data, max_bytes, url), hashlib.sha256(data).hexdigest())


def _checked_extract(name: str, data: bytes, max_bytes: int, url: str | None = None) -> Extracted:
    if not data:
        raise SeedRejected(f"{name}: the file is empty")
    if len(data) > max_bytes:
        raise SeedRejected(f"{name} is {over_limit(len(data), max_bytes)}")
    # The loader would skip it anyway; refusing now tells the moderator instead of a log line.
    try:
        extracted = extract(name, data, url=url)
    except DocumentUnreadable as exc:
        raise SeedRejected(f"{name}: {exc}") from None
    if not extracted.blocks:
        raise SeedRejected(f"{name}: no text after the headers")
    return extracted


def _seeds_folder(seeds_dir: Path | str) -> Path:
    folder = Path(seeds_dir)
    if not folder.is_dir():
        raise SeedsFolderError(f"seeds folder not found: {folder}")
    return folder


def add_document(
    seeds_dir: Path | str, name: str, data: bytes, *, replace: bool = False, max_bytes: int = 1 << 20
) -> Path:
    """Write ``data`` as document ``name`` atomically and return its path.

    Raises ``SeedRejected`` (bad name, size or bytes, or an existing document without
    ``replace``) or ``SeedsFolderError``/``CitebotError`` when the folder cannot be written.
    """
    return store_document(seeds_dir, name, data, replace=replace, max_bytes=max_bytes).path


def store_document(
    seeds_dir: Path | str, name: str, data: bytes, *, replace: bool = False, max_bytes: int = 1 << 20
) -> Stored:
    """``add_document``, returning what was stored: the document as the loader will read it
    (title, date, paragraphs, pages), for a reply that shows whether extraction went right."""
    name = safe_document_name(name)
    document = check_document_bytes(name, data, max_bytes)
    folder = _seeds_folder(seeds_dir)
    target = folder / name
    _check_free(target, replace)
    existed = target.exists()
    return Stored(_write(folder, name, data, replace), document, replaced=existed)


def _check_free(target: Path, replace: bool) -> None:
    if target.is_dir():
        raise SeedRejected(f"{target.name} is a folder in the seeds folder, not a document")
    if not replace and (target.exists() or target.is_symlink()):
        raise SeedRejected(f"{target.name} already exists; use replace to overwrite it")


def _write(folder: Path, name: str, data: bytes, replace: bool) -> Path:
    """``data`` as ``folder/name``, whole or not at all; an existing file only with ``replace``."""
    target = folder / name
    # Hidden and no document suffix: neither the loader nor a watcher ever sees a half-written file.
    tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, target)
        else:
            _publish_new(tmp, target)
    except FileExistsError:
        raise SeedRejected(f"{name} already exists; use replace to overwrite it") from None
    except OSError as exc:
        raise CitebotError(f"could not write {name}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(folder)
    return target


@dataclass(frozen=True)
class Stored:
    """A document as it was added to the seeds folder: what a moderator is told, so a page
    whose extraction went wrong (no date, one paragraph, the wrong title) shows at once."""

    path: Path  # the bytes as they came (an upload, a file, what the server sent)
    document: Document  # as the loader will read it: title, date, paragraphs, pages
    source: Path | None = None  # the ``.source.json`` beside a fetched document
    replaced: bool = False  # a document of that name was there before

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def title(self) -> str:
        return self.document.title

    @property
    def date(self) -> str | None:
        return self.document.date

    @property
    def paragraphs(self) -> int:
        return len(self.document.paragraphs)

    @property
    def pages(self) -> int | None:
        return self.document.pages

    @property
    def url(self) -> str | None:
        return self.document.url


# A name taken from a page title stops at this many characters (then the suffix).
_NAME_FROM_TITLE_CHARS = 80


def _name_candidates(title: str | None, url: str) -> list[str]:
    """Stems to name a fetched document by, best first: its title, the URL's last path
    segment, the URL's host."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    segment = segment.rsplit(".", 1)[0] if "." in segment else segment
    return [c for c in (title, segment, parts.hostname) if c]


def _clean_stem(text: str) -> str:
    """``text`` as the stem of a portable file name: no characters ``safe_document_name``
    refuses, no look-alikes, at most ``_NAME_FROM_TITLE_CHARS`` characters, cut at a space."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if is_hidden_character(c) or _CONTROL.match(c) else c for c in text)
    text = _WINDOWS_FORBIDDEN.sub(" ", text.replace("/", " ").replace("\\", " "))
    text = re.sub(r"\.{2,}", ".", " ".join(text.split())).strip(" .")
    # At most so many characters, and bytes (a name's limit on disk), cut at a space.
    while len(text) > _NAME_FROM_TITLE_CHARS or len(text.encode("utf-8")) > MAX_NAME_BYTES - 20:
        cut = text[: min(len(text) - 1, _NAME_FROM_TITLE_CHARS)]
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" .")
    return text


def fetched_name(title: str | None, url: str, suffix: str) -> str:
    """A safe document name for a page fetched from ``url``: from its title when it has
    one, else from the URL; with the suffix of its type."""
    for candidate in _name_candidates(title, url) + ["document"]:
        name = _clean_stem(candidate) + suffix
        try:
            return safe_document_name(name)
        except SeedRejected:
            continue
    return "document" + suffix


def add_fetched(
    seeds_dir: Path | str,
    fetched: Fetched,
    *,
    name: str | None = None,
    replace: bool = False,
    max_bytes: int = 1 << 20,
) -> Stored:
    """Store what ``fetch`` returned as a document: the original bytes under ``name`` (default:
    one made from the page's title or URL, with the suffix its type has) and, beside it,
    ``<name>.source.json`` with the URL, the time of the fetch and the declared type, so a
    reindex never needs the network and a citation can be checked against its source.

    Raises ``SeedRejected`` as ``add_document`` does (an existing name without ``replace``,
    bytes that are not a readable document of that type) or ``CitebotError`` when the folder
    cannot be written. Nothing is left half-written.
    """
    suffix = SUFFIX_FOR_TYPE.get(fetched.media_type)
    if suffix is None:
        raise SeedRejected(f"{fetched.media_type or 'no type'} is not a document type")
    folder = _seeds_folder(seeds_dir)
    from_url = fetched_name(None, fetched.final_url, suffix)
    extracted = _checked_extract(name or from_url, fetched.data, max_bytes, url=fetched.final_url)
    # Named by the title the document states (a web page's, a PDF's); a file without one
    # (most PDFs) by the publisher's own file name in the URL, not by its first sentence.
    name = safe_document_name(name or fetched_name(extracted.title, fetched.final_url, suffix))
    if Path(name).suffix.lower() != suffix:
        raise SeedRejected(f"{name}: the server sent {fetched.media_type}, so the name must end in {suffix}")
    target = folder / name
    _check_free(target, replace)
    existed = target.exists()
    sha256 = hashlib.sha256(fetched.data).hexdigest()
    source = Source(fetched.url, fetched.final_url, fetched.fetched_at, fetched.content_type, sha256, len(fetched.data))
    # The source first: when the document appears (and a watcher reindexes), its URL is
    # there. Should the document not be written, the source file goes back to what it was.
    side = folder / source_name(name)
    before = side.read_bytes() if side.is_file() and not side.is_symlink() else None
    _write(folder, side.name, source.to_bytes(), replace=True)
    try:
        path = _write(folder, name, fetched.data, replace)
    except BaseException:
        if before is None:
            side.unlink(missing_ok=True)
        else:
            _write(folder, side.name, before, replace=True)
        raise
    return Stored(path, document_from(name, extracted, sha256), side, replaced=existed)


def _publish_new(tmp: Path, target: Path) -> None:
    """Give ``tmp`` the name ``target`` only if nothing has it, atomically.

    A hard link fails when the name exists, so a file dropped there meanwhile (by hand, or
    by a concurrent command) is never overwritten. Filesystems without hard links fall back
    to check-then-rename.
    """
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        with _write_lock:
            if target.exists() or target.is_symlink():
                raise FileExistsError(target) from None
            os.replace(tmp, target)


def removed_dir(seeds_dir: Path | str) -> Path:
    """Where removed documents go: beside the seeds folder, so they are never indexed."""
    return Path(seeds_dir).parent / REMOVED_FOLDER


# Most filesystems limit a name to 255 bytes; a removed copy's time stamp must still fit.
_NAME_MAX_BYTES = 255


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    if not target.exists():
        return target
    # Keep every older removed copy: the new one gets the time of removal in its name.
    stem, suffix = Path(name).stem, Path(name).suffix
    stamp = time.strftime("%Y%m%dT%H%M%S")
    # A name dropped in by hand may already be near the limit: shorten the stem, not the stamp.
    room = _NAME_MAX_BYTES - len(os.fsencode(f".{stamp}-999{suffix}"))
    while stem and len(os.fsencode(stem)) > room:
        stem = stem[:-1]
    target = folder / f"{stem}.{stamp}{suffix}"
    n = 2
    while target.exists():
        target = folder / f"{stem}.{stamp}-{n}{suffix}"
        n += 1
    return target


def document_key(name: str) -> str:
    """A short stable token standing for document ``name``: ``#`` and 16 hex digits.

    For front ends that cannot carry every name exactly (Discord option values are at most
    100 characters and its client trims and collapses spaces). It can never be a document's
    own name (no document suffix), and ``find_document`` resolves it only against the files
    actually listed, so it never turns into a path.
    """
    return "#" + hashlib.blake2s(os.fsencode(name), digest_size=8).hexdigest()


def find_document(seeds_dir: Path | str, name: str) -> Path:
    """The document file in the seeds folder named exactly ``name`` (or whose ``document_key`` it is).

    Matches against the folder's listing and returns the listed path, never a path built from
    ``name``: any file that is there can be found, whatever rules it breaks for new names
    (it may have been copied in by hand), and nothing outside the folder can be.
    """
    files = list_document_files(_seeds_folder(seeds_dir))
    for path in files:
        if path.name == name:
            return path
    if name.startswith("#"):
        keyed = [path for path in files if document_key(path.name) == name]
        if len(keyed) == 1:
            return keyed[0]
    raise DocumentNotFound(f"there is no document named {name}")


def remove_document(seeds_dir: Path | str, name: str) -> Path:
    """Move document ``name`` to ``removed/`` beside the seeds folder; return where it went.

    ``name`` is resolved by ``find_document`` (exact name or its key), so files added by hand
    with names ``add_document`` would refuse can still be removed.
    """
    folder = _seeds_folder(seeds_dir)
    source = find_document(folder, name)
    name = source.name
    destination_folder = removed_dir(folder)
    with _write_lock:
        try:
            destination_folder.mkdir(exist_ok=True)
            destination = _free_name(destination_folder, name)
            _move(source, destination)
        except FileNotFoundError:
            raise DocumentNotFound(f"there is no document named {name}") from None
        except OSError as exc:
            raise CitebotError(f"could not move {name} to {destination_folder}: {exc.strerror or exc}") from exc
        _move_source(source, destination)
        fsync_dir(folder)
        fsync_dir(destination_folder)
    return destination


def _move_source(document: Path, moved_to: Path) -> None:
    """The ``.source.json`` of a removed document goes with it, named after where it went."""
    side = document.with_name(source_name(document.name))
    try:
        if not stat.S_ISREG(os.lstat(side).st_mode):
            return  # a link or anything else is not the document's own to move
    except OSError:
        return  # none (or a document name so long that no source name fits beside it)
    try:
        _move(side, moved_to.with_name(source_name(moved_to.name)))
    except OSError as exc:
        # The document is already out of the index's way; its source is only metadata.
        log.warning("removed %s but could not move %s: %s", shown(document.name), shown(side.name), exc.strerror or exc)


def _move(source: Path, destination: Path) -> None:
    try:
        # Within one filesystem a rename is atomic: the file is never in neither place.
        os.rename(source, destination)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # The seeds folder is its own mount (a container volume): copy durably, then unlink.
        tmp = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.tmp")
        try:
            shutil.copy2(source, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, destination)
        finally:
            tmp.unlink(missing_ok=True)
        source.unlink()


def list_documents(seeds_dir: Path | str) -> list[str]:
    """The document names in the seeds folder (what ``/seed remove`` can name)."""
    return [p.name for p in list_document_files(Path(seeds_dir))]
