"""Where each server's bot state lives, and the open SQLite files of many servers.

Layout under the data folder (``CITEBOT_DATA_DIR``)::

    servers/<server id>/state/   settings.sqlite, answers.sqlite (and that server's votes)
    dm/                          answers given in DMs

No two servers share a writable file, so each process of a sharded bot touches only the
files of the servers on its shards (and the one holding shard 0 the DMs' too: Discord sends
every DM to shard 0). A store opens a server's file on first use and keeps the most recently
used ``OPEN_FILES`` open: a bot in thousands of servers must not hold thousands of files.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from retrieval import UnknownLibrary, open_state_db, server_folder, split_state_file

DM_DIR = "dm"
# Open SQLite files per store: the busy servers' stay open, a quiet one costs an open
# (a few milliseconds) when it is used again.
OPEN_FILES = 64

Scope = int | None  # a server's id, or None for DMs
T = TypeVar("T")


def state_folder(data_dir: Path, scope: Scope) -> Path:
    """The folder of a server's state (``scope`` its id: the core's ``server_folder``, where
    that server's votes are too), or of DMs' (``scope`` None). ``UnknownLibrary`` for an id
    that cannot name a server."""
    if scope is None:
        return Path(data_dir) / DM_DIR
    return server_folder(data_dir, scope) / "state"


def _folder_for_old_key(data_dir: Path) -> Callable[[object], Path | None]:
    def folder(key: object) -> Path | None:
        try:
            return state_folder(data_dir, key)  # type: ignore[arg-type]
        except UnknownLibrary:
            return None  # not a server's: left in the kept old file

    return folder


def split_old_file(data_dir: Path, old_name: str, key_column: str, new_name: str, schema: str) -> None:
    """Upgrade an install from before per-server state: ``<data dir>/<old_name>``, one file
    for every server, becomes ``new_name`` in each server's folder (the DMs' rows in
    ``dm/``), and the old file is kept renamed (``retrieval.split_state_file``)."""
    folder = _folder_for_old_key(data_dir)

    def target(key: object) -> Path | None:
        where = folder(key)
        return where / new_name if where is not None else None

    split_state_file(Path(data_dir) / old_name, schema, key_column, target)


class StateFiles:
    """One SQLite file per server (``name`` in its state folder, laid out as ``schema``),
    opened on first use; at most ``max_open`` stay open, the least recently used closed first.

    Every use holds one lock (:meth:`connection`), so a connection is never closed under a
    caller: the stores' reads and writes are small, and were serialised by one lock before.
    """

    def __init__(
        self,
        data_dir: Path,
        name: str,
        schema: str,
        *,
        max_open: int = OPEN_FILES,
        on_open: Callable[[Scope, sqlite3.Connection], None] | None = None,
        on_close: Callable[[Scope], None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.name = name
        self._schema = schema
        self._max_open = max(1, max_open)
        self._on_open = on_open
        self._on_close = on_close
        self._open: OrderedDict[Scope, sqlite3.Connection] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False

    def path(self, scope: Scope) -> Path:
        return state_folder(self.data_dir, scope) / self.name

    @contextlib.contextmanager
    def connection(self, scope: Scope, *, create: bool = True) -> Iterator[sqlite3.Connection | None]:
        """The open file of ``scope``, held for the block. With ``create=False`` a server
        that has no file yet gets None (a read needs no new folder for every server that
        ever spoke). Raises ``sqlite3.ProgrammingError`` once the store is closed, like a
        closed connection; ``StorageError`` for a disk that refuses (``open_state_db``)."""
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            db = self._open.get(scope)
            if db is not None:
                self._open.move_to_end(scope)
            else:
                path = self.path(scope)
                if not create and not path.exists():
                    yield None
                    return
                db = self._open_file(scope, path)
            yield db

    def _open_file(self, scope: Scope, path: Path) -> sqlite3.Connection:
        db = open_state_db(path, self._schema)
        self._open[scope] = db
        if self._on_open is not None:
            self._on_open(scope, db)
        while len(self._open) > self._max_open:
            evicted, old = self._open.popitem(last=False)
            old.close()
            if self._on_close is not None:
                self._on_close(evicted)
        return db

    def for_each_open(self, func: Callable[[Scope, sqlite3.Connection], T]) -> list[T]:
        """``func`` on every file open now, under the lock (work on all of them: pruning)."""
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            return [func(scope, db) for scope, db in self._open.items()]

    @property
    def open_count(self) -> int:
        return len(self._open)

    def close(self) -> None:
        with self._lock:  # not under a use still running on a worker thread
            self._closed = True
            while self._open:
                scope, db = self._open.popitem(last=False)
                db.close()
                if self._on_close is not None:
                    self._on_close(scope)
