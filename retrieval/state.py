"""The small SQLite files of state beside the index: votes, server settings, posted answers.

They are not rebuilt from the seeds like the index, so a damaged one is kept for whoever
wants to recover it, and a disk that refuses is told apart from damage (``errors.sqlite_refused``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

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
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(path, aside)
            for suffix in ("-journal", "-wal", "-shm"):  # they belong to the damaged file
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            log.error("%s is damaged (%s): moved to %s, starting an empty one", path, first_line(exc), aside.name)
            return connect()
    except sqlite3.Error as exc:  # only a refusal gets here: a new file cannot be damaged
        raise StorageError(f"cannot use {path}: {first_line(exc)}") from exc


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
