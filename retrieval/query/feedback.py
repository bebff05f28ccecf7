"""Votes on shown passages, and the bounded nudge they give later rankings.

One vote per (scope, user, question, passage); a changed vote replaces the old one. Each
server's votes live in its own file (``libraries.Libraries.feedback``); ``scope`` is still
the server id in every row, so the one file of older versions splits by it. A vote
counts for a later question in proportion to how similar the two questions are (below
``SIMILAR`` cosine it does not count at all), and the summed effect on a passage's score is
squashed into ``±MAX_BOOST``. So votes reorder near ties but a passage cannot overtake one
that matches more than ``2 * MAX_BOOST`` better: "clearly better" stays on top.
"""

from __future__ import annotations

import math
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..models import Passage
from ..state import open_state_db, split_state_file

MAX_BOOST = 0.05
SIMILAR = 0.6  # question cosine where a vote starts to count; full weight at 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    scope INTEGER NOT NULL, user_id INTEGER NOT NULL, question_key TEXT NOT NULL, passage TEXT NOT NULL,
    value INTEGER NOT NULL, question TEXT NOT NULL, question_vector BLOB NOT NULL,
    doc TEXT NOT NULL, title TEXT NOT NULL, date TEXT, paragraph INTEGER NOT NULL, sentence INTEGER NOT NULL,
    text TEXT NOT NULL, updated REAL NOT NULL,
    PRIMARY KEY (scope, user_id, question_key, passage));
CREATE INDEX IF NOT EXISTS votes_scope ON votes (scope, passage);
"""


def passage_key(p: Passage) -> str:
    """A shared-library passage is keyed as before libraries existed (its old votes still
    count); a server library's names its library, so its "notes.txt" is not the shared one's."""
    where = "" if p.library is None else f"{p.library}/"
    return f"{where}{p.doc}#{p.paragraph}#{p.sentence}"


def question_key(question: str) -> str:
    """Votes on "How many tents?" and "how many tents" are the same vote."""
    folded = unicodedata.normalize("NFKC", question).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


@dataclass(frozen=True)
class PassageVotes:
    doc: str
    title: str
    date: str | None
    paragraph: int
    sentence: int
    text: str
    up: int
    down: int


def split_votes(source: Path, destination: Callable[[int], Path | None]) -> dict[int, Path]:
    """Older versions kept every server's votes in one file: move each server's rows to its
    own file at ``destination(server id)`` (``state.split_state_file``: whole files, resumable,
    the old file kept as ``<name>.migrated``)."""
    return split_state_file(source, _SCHEMA, "scope", destination)


class FeedbackStore:
    def __init__(self, path: Path, encode: Callable[[list[str]], np.ndarray]) -> None:
        self._db = open_state_db(path, _SCHEMA)
        self._lock = threading.Lock()
        self._encode = encode

    def vote(self, scope: int, user_id: int, question: str, passage: Passage, value: int) -> None:
        if value not in (1, -1):
            raise ValueError("a vote is +1 or -1")
        vector = self._encode([question])[0].astype(np.float32)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (scope, user_id, question_key(question), passage_key(passage), value, question, vector.tobytes(),
                 passage.doc, passage.title, passage.date, passage.paragraph, passage.sentence, passage.text, time.time()),
            )

    def boosts(self, scope: int, question_vector: np.ndarray, passages: Sequence[Passage]) -> list[float]:
        """The score change for each passage from this scope's votes on similar questions."""
        keys = [passage_key(p) for p in passages]
        if not keys:
            return []
        with self._lock:
            rows = self._db.execute(
                f"SELECT passage, value, question_vector FROM votes WHERE scope = ? AND passage IN ({','.join('?' * len(keys))})",
                (scope, *keys),
            ).fetchall()
        totals = dict.fromkeys(keys, 0.0)
        for key, value, blob in rows:
            similarity = float(np.frombuffer(blob, dtype=np.float32) @ question_vector)
            weight = (similarity - SIMILAR) / (1 - SIMILAR)
            if weight > 0:
                totals[key] += value * min(weight, 1.0)
        return [MAX_BOOST * math.tanh(totals[k] / 2) for k in keys]

    def reset(self, scope: int) -> int:
        with self._lock, self._db:
            return self._db.execute("DELETE FROM votes WHERE scope = ?", (scope,)).rowcount

    def stats(self, scope: int, limit: int = 5) -> tuple[list[PassageVotes], list[PassageVotes]]:
        """The most up-voted and the most down-voted passages of a scope."""
        with self._lock:
            rows = self._db.execute(
                """SELECT doc, title, date, paragraph, sentence, text,
                          SUM(value > 0), SUM(value < 0)
                   FROM votes WHERE scope = ? GROUP BY passage""",
                (scope,),
            ).fetchall()
        items = [PassageVotes(*row) for row in rows]
        up = sorted((i for i in items if i.up), key=lambda i: (-i.up, i.down))[:limit]
        down = sorted((i for i in items if i.down), key=lambda i: (-i.down, i.up))[:limit]
        return up, down

    def close(self) -> None:
        self._db.close()
