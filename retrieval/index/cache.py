"""Work worth keeping between builds, in SQLite: key -> bytes, stamped when used, pruned when not.

Two caches use it: sentence vectors (``store.EmbeddingCache``) and spaCy's annotations of
paragraphs (``people.AnnotationCache``). With both, a reindex after one document changed
runs the models over that document only.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from ..errors import first_line, sqlite_refused

if TYPE_CHECKING:  # typing.Self is 3.11+; the project supports 3.10
    from typing_extensions import Self

log = logging.getLogger(__name__)

# Entries no build has used for this long are dropped. Long enough that a document taken out
# and put back (or a model tried and reverted) costs nothing; short enough that a busy
# server's edits don't grow the cache without end.
CACHE_KEEP_SECONDS = 30 * 24 * 3600
# Stamped at most once a day: rewriting every row on every build cost 17 s at 1M vectors.
STAMP_SECONDS = 24 * 3600


class BlobCache:
    """Bytes by key. Every :meth:`lookup` stamps the keys it is asked for; :meth:`prune`
    drops the ones no build has asked for in ``CACHE_KEEP_SECONDS``."""

    def __init__(self, path: Path, *, table: str, column: str, clock: Callable[[], float] | None = None) -> None:
        self.path = path
        self._table, self._column = table, column
        self._clock = clock or time.time
        self._lock = threading.Lock()
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if sqlite_refused(exc):  # a full or failing disk: the cache is fine, the build is not
                raise
            # It is only a cache: a damaged one costs recomputing, not a failed build.
            log.warning("cache %s is unreadable (%s); starting a new one", path, first_line(exc))
            path.unlink(missing_ok=True)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False)
        table, column = self._table, self._column
        try:
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, {column} BLOB NOT NULL, used REAL NOT NULL DEFAULT 0)")
            if "used" not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
                # Written before pruning existed: its entries count as old.
                db.execute(f"ALTER TABLE {table} ADD COLUMN used REAL NOT NULL DEFAULT 0")
            db.execute(f"SELECT count(*) FROM {table}").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def lookup(self, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        now = self._clock()
        table, column = self._table, self._column
        with self._lock, self._db:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                found.update(self._db.execute(f"SELECT key, {column} FROM {table} WHERE key IN ({marks})", chunk).fetchall())
                self._db.execute(
                    f"UPDATE {table} SET used = ? WHERE used < ? AND key IN ({marks})", [now, now - STAMP_SECONDS, *chunk]
                )
        return found

    def store(self, items: Iterable[tuple[str, bytes]]) -> None:
        now = self._clock()
        with self._lock, self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO {self._table} (key, {self._column}, used) VALUES (?, ?, ?)",
                ((key, value, now) for key, value in items),
            )

    def prune(self, keep_seconds: float = CACHE_KEEP_SECONDS) -> int:
        """Drop entries no build has used for ``keep_seconds``; returns how many went."""
        with self._lock:
            with self._db:
                removed = self._db.execute(f"DELETE FROM {self._table} WHERE used < ?", (self._clock() - keep_seconds,)).rowcount
                left = self._db.execute(f"SELECT count(*) FROM {self._table}").fetchone()[0]
            # Deleted rows only free pages inside the file; give the disk back when it is worth it.
            if removed and removed >= left:
                self._db.execute("VACUUM")
        if removed:
            log.info("%s: dropped %d entries unused for %.0f days", self.path.name, removed, keep_seconds / 86400)
        return removed

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        # Pruned only after a build that used the cache went through: a failed one may
        # not have asked for (and so stamped) everything the next one needs.
        try:
            if exc_type is None:
                self.prune()
        finally:
            self.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute(f"SELECT count(*) FROM {self._table}").fetchone()[0])

    def close(self) -> None:
        self._db.close()
