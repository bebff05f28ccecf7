"""Answers the bot has posted, kept in SQLite so their buttons keep working.

A button's custom id carries only an action and a key (Discord allows 100 characters); the
rest — the question, every ranked passage, who asked, the page shown — lives here. In-memory
views die with the process or their timeout, and Discord then shows "This interaction failed"
under every earlier answer; with this store a click after a restart behaves as before it.

Each server's answers are in its own state folder (``servers/<id>/state/answers.sqlite``),
the DMs' in ``dm/``: a click is looked up where it happens, so an answer posted in one
server cannot be acted on from another.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from retrieval import Answer, Passage

from .server_state import OPEN_FILES, Scope, StateFiles, split_old_file

# Buttons older than this answer "ask again": their passages may be long reindexed away.
KEEP_SECONDS = 30 * 24 * 3600
# A bot runs for months: old answers are dropped when a server's file is opened, and then
# hourly while it stays open.
PRUNE_EVERY_SECONDS = 3600
ANSWERS_FILE = "answers.sqlite"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, created REAL NOT NULL, asker_id INTEGER NOT NULL,"
    " scope INTEGER, deletable INTEGER NOT NULL, page INTEGER NOT NULL, answer BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS answers_created ON answers (created);"
)
# Before per-server state: every server's answers in one file in the data folder.
OLD_FILE = "answers.sqlite"


@dataclass
class AnswerState:
    key: str
    answer: Answer
    asker_id: int
    scope: int | None  # the server, for votes; None in DMs
    deletable: bool
    page: int = 0


def new_key() -> str:
    return secrets.token_hex(8)


def _answer_to_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answered": answer.answered,
        "short_answer": answer.short_answer,
        "short_answer_confidence": answer.short_answer_confidence,
        # Every field, not Passage.to_json(): the offsets are needed to bold the sentence again.
        "results": [dataclasses.asdict(p) for p in answer.results],
        "more": [dataclasses.asdict(p) for p in answer.more],
    }


def _answer_from_json(data: dict[str, Any]) -> Answer:
    return Answer(
        data["question"],
        bool(data["answered"]),
        data["short_answer"],
        tuple(Passage(**p) for p in data["results"]),
        tuple(Passage(**p) for p in data["more"]),
        data.get("short_answer_confidence"),  # rows written before it was stored have none
    )


class AnswerStore:
    """Posted answers of every server and of DMs, each in its own file under ``data_dir``.
    Opening the store upgrades an old install's single ``answers.sqlite`` into the servers'
    files (kept, renamed: ``server_state.split_old_file``), so earlier answers' buttons work on."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], float] = time.time, max_open: int = OPEN_FILES) -> None:
        self._clock = clock
        self._pruned: dict[Scope, float] = {}  # when each open file was last pruned
        split_old_file(data_dir, OLD_FILE, "scope", ANSWERS_FILE, SCHEMA)
        self._files = StateFiles(
            data_dir, ANSWERS_FILE, SCHEMA, max_open=max_open,
            on_open=self._prune_file, on_close=lambda scope: self._pruned.pop(scope, None),
        )

    def path(self, scope: Scope) -> Path:
        return self._files.path(scope)

    def open(self, scope: Scope) -> None:
        """Open (creating) the file of ``scope`` now, rather than at its first answer."""
        with self._files.connection(scope):
            pass

    def save(self, state: AnswerState) -> None:
        now = self._clock()
        # Compressed: passages repeat their paragraphs' text (5.4 kB an answer on the seeds,
        # 1.6 kB compressed), and a busy server posts thousands of answers a day.
        answer = zlib.compress(json.dumps(_answer_to_json(state.answer)).encode(), 6)
        row = (state.key, now, state.asker_id, state.scope, int(state.deletable), state.page, answer)
        with self._files.connection(state.scope) as db:
            assert db is not None  # created on demand
            with db:
                db.execute("INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?,?,?)", row)
            if now - self._pruned.get(state.scope, now) >= PRUNE_EVERY_SECONDS:
                self._prune_file(state.scope, db)

    def get(self, key: str, scope: Scope) -> AnswerState | None:
        """The answer ``key`` posted where ``scope`` says (the server a click came from, or
        None for a DM); None when it is not there, or too old."""
        with self._files.connection(scope, create=False) as db:
            row = db.execute(
                "SELECT asker_id, scope, deletable, page, answer FROM answers WHERE key = ? AND created >= ?",
                (key, self._clock() - KEEP_SECONDS),
            ).fetchone() if db is not None else None
        if row is None:
            return None
        try:
            answer = _answer_from_json(json.loads(zlib.decompress(row[4])))
        except (ValueError, TypeError, KeyError, zlib.error):
            return None  # written by an incompatible version: the button says "ask again"
        return AnswerState(key, answer, int(row[0]), row[1], bool(row[2]), int(row[3]))

    def set_page(self, state: AnswerState) -> None:
        """Remember the page ``state`` shows now (its buttons act on that page)."""
        with self._files.connection(state.scope, create=False) as db:
            if db is not None:
                with db:
                    db.execute("UPDATE answers SET page = ? WHERE key = ?", (state.page, state.key))

    def prune(self) -> int:
        """Drop answers older than ``KEEP_SECONDS`` from every file open now; how many."""
        return sum(self._files.for_each_open(self._prune_file))

    def _prune_file(self, scope: Scope, db: sqlite3.Connection) -> int:
        now = self._pruned[scope] = self._clock()
        with db:
            return db.execute("DELETE FROM answers WHERE created < ?", (now - KEEP_SECONDS,)).rowcount

    def close(self) -> None:
        self._files.close()
