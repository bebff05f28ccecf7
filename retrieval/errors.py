"""Errors the library raises; the edges (CLI, Discord) turn them into messages.

Also the one rule for telling what a failure from below (the OS, SQLite, FAISS) means:
a damaged file, or a disk that refused (full, an I/O error, locked, no permission).
"""

from __future__ import annotations

import re
import sqlite3


class CitebotError(Exception):
    """Base class: its message is fit to show a user as it is."""


class SeedsFolderError(CitebotError):
    """The seeds folder is missing or cannot be read."""


class QuestionError(CitebotError):
    """A question that cannot be asked: empty, too long, or nothing but symbols."""


class IndexUnavailable(CitebotError):
    """A persisted index is missing, partial, corrupted or from another model/format."""


class IndexFolderError(CitebotError):
    """The index folder cannot be used: a file stands where it or one of its parents should be."""


class NoDocumentsError(CitebotError):
    """The seeds folder holds no readable document."""


class SettingsError(CitebotError):
    """An environment variable (or .env line) holds a value citebot cannot use."""


class DocumentUnreadable(CitebotError):
    """A document file whose format cannot be read: a scan without text, an encrypted or
    damaged PDF, a Word file that is not a zip or unpacks too large, text that is not UTF-8."""


class FetchError(CitebotError):
    """A URL could not be fetched: the name does not resolve, the server is unreachable or
    too slow, or it answered with an error."""


class FetchRefused(FetchError):
    """A URL that citebot will not fetch: not http(s), a private address, too large, too many
    redirects, or a content type that is not a document."""


class StorageError(CitebotError):
    """A file of state could not be used because the disk refused, not because it is damaged."""


class ModelError(CitebotError):
    """The configured model cannot be found or loaded."""


class ReindexRunning(CitebotError):
    """A reindex is already in progress (in this process or another one on the same index)."""


class ReindexFailed(CitebotError):
    """A rebuild failed part way (disk full, a library error); the previous index keeps
    serving and ``CURRENT`` is untouched. The original exception is the ``__cause__``."""


class ReadOnlyLibrary(CitebotError):
    """This process only reads a library's index; another one rebuilds it."""


class UnknownLibrary(CitebotError):
    """A server id that names no library (not a Discord id, or no library kept for it)."""


class SeedRejected(CitebotError):
    """A document that cannot be added or removed; the message says why."""


class DocumentNotFound(SeedRejected):
    """``remove_document`` was given a name that is not in the seeds folder."""


# SQLite's primary result codes for "the disk or another process said no": the file may be
# perfectly good, so it must never be moved aside or deleted as damaged.
_SQLITE_REFUSALS = {3, 5, 6, 7, 8, 10, 13, 14}  # PERM BUSY LOCKED NOMEM READONLY IOERR FULL CANTOPEN
_SQLITE_REFUSAL_TEXT = (  # Python < 3.11 has no sqlite_errorcode: the same errors by their text
    "database or disk is full", "disk i/o error", "unable to open database", "readonly database",
    "database is locked", "database table is locked", "access permission denied", "out of memory",
)
# FAISS wraps the reason in where it was thrown:
# "Error in void faiss::write_index(...) at /project/faiss/impl/index_write.cpp:499: Error: ..."
_FAISS_WHERE = re.compile(r"^Error in .*? at \S+:\d+: ")


def sqlite_refused(exc: BaseException) -> bool:
    """True when SQLite failed because of the disk or another process, not a damaged file."""
    if not isinstance(exc, sqlite3.Error):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_REFUSALS  # extended codes keep the primary in the low byte
    return any(text in str(exc).lower() for text in _SQLITE_REFUSAL_TEXT)


def first_line(exc: BaseException) -> str:
    """An exception's message as one line: the first that says something, FAISS's C++
    location dropped (its messages run to several lines and name source files)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return _FAISS_WHERE.sub("", lines[0]) if lines else type(exc).__name__


def storage_reason(exc: BaseException, where: object = None) -> str | None:
    """Why storage failed, in one line; ``None`` when ``exc`` is not a storage failure.
    ``where`` (a folder) is named when the error names no file (SQLite's never do).

    Storage failures are expected (a full disk happens): they need a message, not a traceback.
    """
    if isinstance(exc, RuntimeError) and _FAISS_WHERE.match(str(exc)):
        return first_line(exc)  # names its file already
    if isinstance(exc, OSError):
        reason = exc.strerror or first_line(exc)
        where = exc.filename or where
    elif sqlite_refused(exc):
        reason = first_line(exc)
    else:
        return None
    return f"{reason} ({where})" if where else reason
