"""The small SQLite files of state beside the index: votes, server settings, posted answers.

They are not rebuilt from the seeds like the index, so a damaged one is kept for whoever
wants to recover it, and a disk that refuses is told apart from damage (``errors.sqlite_refused``).
A file that used to hold every server's rows is split into one file per server by
``split_state_file`` (the upgrade to one library and one set of state files per server).
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

from .errors import StorageError, first_line, sqlite_refused

log = logging.getLogger(__name__)


def open_state_db(path: Path, schema: str) -> sqlite3.Connection:
    """Open one of the small SQLite files of state (votes, server settings, posted answers).

    A damaged file must not stop the bot from answering: it is moved aside whole (the bytes
    stay for whoever wants to recover them) and an empty one takes its place. A file whose
    tables are not laid out as ``schema`` says (another program's, or another version's) is
    damage too: every read and write would fail. A disk that refuses (full, an I/O error,
    locked by another process) is not damage: that raises ``StorageError`` and the file stays.
    """
    path.parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False)
        try:
            db.executescript(schema)
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            _check_layout(db, schema)
        except sqlite3.Error:
            db.close()
            raise
        return db

    try:
        try:
            return connect()
        except sqlite3.Error as exc:
            if sqlite_refused(exc):
                raise
            aside = _set_aside(path)
            log.error("%s is damaged (%s): moved to %s, starting an empty one", path, first_line(exc), aside.name)
            return connect()
    except sqlite3.Error as exc:  # only a refusal gets here: a new file cannot be damaged
        raise StorageError(f"cannot use {path}: {first_line(exc)}") from exc


def _set_aside(path: Path) -> Path:
    """Move a damaged state file out of the way, whole, under a name that says so."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(path, aside)
    for suffix in ("-journal", "-wal", "-shm"):  # they belong to the damaged file
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return aside


def _check_layout(db: sqlite3.Connection, schema: str) -> None:
    """Raise ``sqlite3.DatabaseError`` unless every table of ``schema`` has its columns, in
    order (rows are written positionally). The expected layout comes from ``schema`` itself."""
    expected = sqlite3.connect(":memory:")
    try:
        expected.executescript(schema)
        tables = [row[0] for row in expected.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            want = [row[1] for row in expected.execute(f'PRAGMA table_info("{table}")')]
            have = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            if have != want:
                raise sqlite3.DatabaseError(f"table {table} has columns ({', '.join(have)}), not ({', '.join(want)})")
    finally:
        expected.close()


# What a split file is renamed to once every row has its new file: kept, never deleted.
MIGRATED_SUFFIX = ".migrated"


def split_state_file(
    source: Path, schema: str, column: str, destination: Callable[[Any], Path | None]
) -> dict[Any, Path]:
    """Split the state file ``source`` (laid out as ``schema``) into one file per value of
    ``column``: the rows whose ``column`` is that value (``None`` too) go, in every table, to
    a new file at ``destination(value)`` laid out as ``schema``. Then ``source`` is renamed
    ``<name>.migrated`` (or ``<name>.migrated-<time>`` when that exists), kept whole.

    Idempotent and crash-safe: each new file is written completely under a temporary name
    and only then given its name; into a destination that exists already (an earlier,
    interrupted run wrote it, or the store has made it since) the rows are added in one
    transaction, a row whose primary key is there already keeping the one there. ``source``
    is renamed last, so a split that stopped part way resumes on the next call and a
    finished one (no ``source``) does nothing. Two processes may call it at once: one
    splits, the other waits and finds it done. ``destination`` may return ``None`` for a
    value that has no place (not a server id): those rows stay only in the renamed file, and
    a warning says how many.

    Columns are matched by name, so an old file from before a column was added splits into
    the new layout (the new column takes its default). Returns ``{value: path}`` for every
    value whose file now exists. A damaged ``source`` (not SQLite, or a table of ``schema``
    without ``column``) is moved aside as ``open_state_db`` does (nothing to split then); a
    disk that refuses raises ``StorageError``. Every table of ``schema`` must have ``column`` and a primary key (so a
    resumed split never copies a row twice; SQLite lets NULLs repeat in one, so keep
    ``column`` out of it if it may be NULL), else ``ValueError``.
    """
    try:
        fd = os.open(source, os.O_RDONLY)
    except FileNotFoundError:
        return {}  # split already, or there never was one
    try:
        _lock_exclusive(fd)
        try:
            if not os.path.samestat(os.fstat(fd), os.stat(source)):
                return {}  # another process split it and renamed it while this one waited
        except FileNotFoundError:
            return {}
        tables = _tables_of(schema, column)
        try:
            db = _open_old(source, tables, column)
        except sqlite3.DatabaseError as exc:
            if sqlite_refused(exc):
                raise StorageError(f"cannot split {source}: {first_line(exc)}") from exc
            aside = _set_aside(source)
            log.error("%s cannot be split (%s): moved to %s; starting without it", source, first_line(exc), aside.name)
            return {}
        try:
            written = _split_rows(db, schema, tables, column, destination, source)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot split {source}: {first_line(exc)}") from exc
        except OSError as exc:
            raise StorageError(f"cannot split {source}: {exc.strerror or exc} ({exc.filename or source})") from exc
        finally:
            db.close()
        try:
            _keep_aside(source)
        except OSError as exc:
            raise StorageError(f"cannot rename {source} once split: {exc.strerror or exc}") from exc
        return written
    finally:
        os.close(fd)  # releases the lock


def _open_old(source: Path, tables: list[str], column: str) -> sqlite3.Connection:
    """``source`` opened to be split: sound SQLite whose tables (those it has) hold ``column``,
    else ``sqlite3.DatabaseError``."""
    db = sqlite3.connect(source)
    try:
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("quick_check failed")
        for table in tables:
            have = _columns(db, table)
            if have and column not in have:
                raise sqlite3.DatabaseError(f"table {table} has no column {column} (it has {', '.join(have)})")
    except sqlite3.Error:
        db.close()
        raise
    return db


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]


def _lock_exclusive(fd: int) -> None:
    """Wait for the exclusive ``flock`` on ``fd`` (released by the kernel if the holder dies).
    Closing ``fd`` releases it; no SQLite connection to the file may be open by then (closing
    any descriptor of a file drops the process's POSIX locks on it, SQLite's included)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: one process at a time is the user's to ensure
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _tables_of(schema: str, column: str) -> list[str]:
    """The tables of ``schema``, each checked to have ``column`` and a primary key."""
    expected = sqlite3.connect(":memory:")
    try:
        expected.executescript(schema)
        names = [row[0] for row in expected.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            info = expected.execute(f'PRAGMA table_info("{name}")').fetchall()
            if column not in [row[1] for row in info]:
                raise ValueError(f"table {name} has no column {column!r} to split by")
            if not any(row[5] for row in info):
                raise ValueError(f"table {name} has no primary key: a resumed split could copy its rows twice")
        return names
    finally:
        expected.close()


def _split_rows(
    db: sqlite3.Connection,
    schema: str,
    tables: list[str],
    column: str,
    destination: Callable[[Any], Path | None],
    source: Path,
) -> dict[Any, Path]:
    wanted = _layout(schema)
    tables = [t for t in tables if _columns(db, t)]  # a table the old file never had holds no rows
    values: list[Any] = []
    for table in tables:
        for (value,) in db.execute(f'SELECT DISTINCT "{column}" FROM "{table}"'):
            if value not in values:
                values.append(value)
    written: dict[Any, Path] = {}
    homeless = 0
    for value in values:
        target = destination(value)
        if target is None:
            homeless += sum(db.execute(f'SELECT count(*) FROM "{t}" WHERE "{column}" IS ?', (value,)).fetchone()[0] for t in tables)
            continue
        rows = {t: _rows(db, t, [c for c in wanted[t] if c in _columns(db, t)], column, value) for t in tables}
        if target.exists() or not _write_whole(target, schema, rows):
            _add_missing(target, schema, rows)  # it has a file already: add what that lacks
        written[value] = target
    if homeless:
        log.warning("%d rows of %s belong to no server; they stay in the kept copy", homeless, source.name)
    log.info("split %s into %d files", source, len(written))
    return written


Rows = dict[str, tuple[list[str], list[tuple]]]  # table -> (the columns copied, their rows)


def _layout(schema: str) -> dict[str, list[str]]:
    """Each table of ``schema`` with its columns, in order."""
    expected = sqlite3.connect(":memory:")
    try:
        expected.executescript(schema)
        names = [row[0] for row in expected.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: _columns(expected, name) for name in names}
    finally:
        expected.close()


def _rows(db: sqlite3.Connection, table: str, columns: list[str], column: str, value: Any) -> tuple[list[str], list[tuple]]:
    names = ", ".join(f'"{c}"' for c in columns)
    return columns, db.execute(f'SELECT {names} FROM "{table}" WHERE "{column}" IS ?', (value,)).fetchall()


def _insert(db: sqlite3.Connection, rows: Rows, verb: str = "INSERT") -> None:
    for table, (columns, table_rows) in rows.items():
        if table_rows:
            names = ", ".join(f'"{c}"' for c in columns)
            db.executemany(f'{verb} INTO "{table}" ({names}) VALUES ({",".join("?" * len(columns))})', table_rows)


def _add_missing(target: Path, schema: str, rows: Rows) -> None:
    """Add to an existing file the rows it lacks, all in one transaction."""
    db = open_state_db(target, schema)
    try:
        with db:
            _insert(db, rows, "INSERT OR IGNORE")
    finally:
        db.close()


def _write_whole(target: Path, schema: str, rows: Rows) -> bool:
    """A new SQLite file at ``target`` holding ``rows``, all of it or nothing: written under a
    temporary name, flushed, then linked to ``target``. False, and nothing written over,
    when a file appeared there meanwhile."""
    from .index.store import fsync_dir

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        out = sqlite3.connect(tmp)
        try:
            out.executescript(schema)
            with out:
                _insert(out, rows)
        finally:
            out.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError:  # no hard links on this filesystem
            if target.exists():
                return False
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)
    return True


def _keep_aside(source: Path) -> Path:
    from .index.store import fsync_dir

    kept = source.with_name(source.name + MIGRATED_SUFFIX)
    if kept.exists():
        kept = source.with_name(f"{source.name}{MIGRATED_SUFFIX}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}")
    os.replace(source, kept)
    fsync_dir(source.parent)
    log.info("%s is split into one file per server; the old file is kept as %s", source.name, kept.name)
    return kept
