"""The small SQLite files of state beside the index: votes, server settings, posted answers.

They are not rebuilt from the seeds like the index, so a damaged one is kept for whoever
wants to recover it, and a disk that refuses is told apart from damage (``errors.sqlite_refused``).
One file shared by many servers is split into a file per server by :func:`split_state_file`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


class _Unsplittable(sqlite3.DatabaseError):
    """The old file is sound SQLite but not the table it should be: damage, for a split."""


def split_state_file(
    old: Path,
    table: str,
    key_column: str,
    path_for_key: Callable[[Any], Path | None],
    schema: str,
    *,
    kept_suffix: str = ".before-split",
) -> int | None:
    """Split a state file that many keys (servers) share into one file per key: the rows of
    ``table`` whose ``key_column`` is ``k`` go to ``path_for_key(k)`` (None: not kept, logged),
    a file laid out as ``schema`` says and opened with :func:`open_state_db`. Columns are
    matched by name; one the new layout adds takes its default. Then ``old`` is renamed
    ``<name><kept_suffix>`` (with a time if that name is taken) and kept, never deleted.

    Idempotent and crash-safe (given a primary key in ``table``): each new file gets its rows
    in one transaction, with INSERT OR IGNORE, and ``old`` keeps its name until every new file holds its rows; so a split stopped
    anywhere is finished by the next call, and a row a new file already has (written since, or
    by the earlier try) is never overwritten. Processes starting together (one per shard)
    split once: the others wait on a lock beside ``old``, then find it gone.

    A damaged ``old`` (not SQLite, or ``table`` without ``key_column``, or rows the new layout
    refuses) is moved aside as ``open_state_db`` moves a damaged file, and what it held stays
    there; a disk that refuses raises ``StorageError`` and leaves ``old`` where it is.
    Returns how many keys were split, or None when there is no ``old``.
    """
    old = Path(old)
    if not old.exists():
        return None
    lock = old.with_name(f".{old.name}.split-lock")
    with _exclusive(lock):
        if not old.exists():  # another process split it while we waited
            return None
        try:
            count = _split(old, table, key_column, path_for_key, schema)
        except sqlite3.Error as exc:
            if sqlite_refused(exc):
                raise StorageError(f"cannot split {old}: {first_line(exc)}") from exc
            aside = _set_aside(old)
            log.error("%s cannot be split (%s): moved to %s; starting without it", old, first_line(exc), aside.name)
            count = 0
        else:
            kept = old.with_name(old.name + kept_suffix)
            if kept.exists():
                kept = kept.with_name(f"{kept.name}-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(old, kept)
            log.info("split %s into %d files, one per %s; the old file is kept as %s", old, count, key_column, kept.name)
        # ``old`` is gone, so whoever waits on the lock, or opens it anew, finds nothing to do.
        lock.unlink(missing_ok=True)
        return count


def _split(old: Path, table: str, key_column: str, path_for_key: Callable[[Any], Path | None], schema: str) -> int:
    src = sqlite3.connect(old)
    try:
        if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("quick_check failed")
        have = [row[1] for row in src.execute(f'PRAGMA table_info("{table}")')]
        if not have:
            return 0  # sound, and never written to: nothing to split
        if key_column not in have:
            raise _Unsplittable(f"table {table} has no column {key_column} (it has {', '.join(have)})")
        count = 0
        for (key,) in src.execute(f'SELECT DISTINCT "{key_column}" FROM "{table}"').fetchall():
            target = path_for_key(key)
            if target is None:
                log.warning("%s: rows with %s = %r belong to no file; left in the old file", old, key_column, key)
                continue
            _copy_rows(src, table, key_column, key, target, schema, have)
            count += 1
        return count
    finally:
        src.close()


def _copy_rows(src: sqlite3.Connection, table: str, key_column: str, key: Any, target: Path, schema: str,
               have: list[str]) -> None:
    db = open_state_db(target, schema)
    try:
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")') if row[1] in have]
        names = ", ".join(f'"{c}"' for c in columns)
        rows = src.execute(f'SELECT {names} FROM "{table}" WHERE "{key_column}" IS ?', (key,))
        with db:  # one transaction: a new file has all its rows, or none
            db.executemany(f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})', rows)
    finally:
        db.close()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an ``flock`` on ``lock_path`` (waiting for it): one process at a time. The kernel
    drops it when the holder dies, so a killed split never leaves the lock held."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the split is idempotent, a second one finds little to do
        yield
        return
    with open(lock_path, "ab") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield


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
