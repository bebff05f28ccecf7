"""Answers the bot has posted, kept in SQLite so their buttons keep working.

A button's custom id carries only an action and a key (Discord allows 100 characters); the
rest — the question, every ranked passage, who asked, the page shown — lives here. In-memory
views die with the process or their timeout, and Discord then shows "This interaction failed"
under every earlier answer; with this store a click after a restart behaves as before it.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from retrieval.models import Answer, Passage
from retrieval.state import open_state_db

# Buttons older than this answer "ask again": their passages may be long reindexed away.
KEEP_SECONDS = 30 * 24 * 3600
# A bot runs for months: old answers are also dropped as it goes, not only at start-up.
PRUNE_EVERY_SECONDS = 3600


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
    )


class AnswerStore:
    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._pruned = 0.0
        self._lock = threading.Lock()
        self._db = open_state_db(
            path,
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, created REAL NOT NULL, asker_id INTEGER NOT NULL,"
            " scope INTEGER, deletable INTEGER NOT NULL, page INTEGER NOT NULL, answer BLOB NOT NULL);"
            "CREATE INDEX IF NOT EXISTS answers_created ON answers (created);",
        )

    def save(self, state: AnswerState) -> None:
        now = self._clock()
        # Compressed: passages repeat their paragraphs' text (5.4 kB an answer on the seeds,
        # 1.6 kB compressed), and a busy server posts thousands of answers a day.
        answer = zlib.compress(json.dumps(_answer_to_json(state.answer)).encode(), 6)
        row = (state.key, now, state.asker_id, state.scope, int(state.deletable), state.page, answer)
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?,?,?)", row)
        if now - self._pruned >= PRUNE_EVERY_SECONDS:
            self.prune()

    def get(self, key: str) -> AnswerState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT asker_id, scope, deletable, page, answer FROM answers WHERE key = ? AND created >= ?",
                (key, self._clock() - KEEP_SECONDS),
            ).fetchone()
        if row is None:
            return None
        try:
            answer = _answer_from_json(json.loads(zlib.decompress(row[4])))
        except (ValueError, TypeError, KeyError, zlib.error):
            return None  # written by an incompatible version: the button says "ask again"
        return AnswerState(key, answer, int(row[0]), row[1], bool(row[2]), int(row[3]))

    def set_page(self, key: str, page: int) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE answers SET page = ? WHERE key = ?", (page, key))

    def prune(self) -> int:
        self._pruned = self._clock()
        with self._lock, self._db:
            return self._db.execute("DELETE FROM answers WHERE created < ?", (self._pruned - KEEP_SECONDS,)).rowcount

    def close(self) -> None:
        self._db.close()
