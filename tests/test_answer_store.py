"""Posted answers kept for their buttons: compact, and not kept forever."""

import sqlite3

from bot.answer_store import KEEP_SECONDS, AnswerState, AnswerStore, new_key
from retrieval.models import Answer, Passage

PASSAGE = Passage("a.txt", "Títle", "2025-01-23", 3, 2, "Ünïcode “quoted” sentence.", "Before. Ünïcode “quoted” sentence. After.", 0.5, 8, 34)
ANSWER = Answer("what?", True, None, (PASSAGE,), (PASSAGE,))


def test_an_answer_comes_back_whole(tmp_path):
    store = AnswerStore(tmp_path)
    state = AnswerState(new_key(), ANSWER, asker_id=7, scope=None, deletable=False, page=1)
    store.save(state)
    assert store.get(state.key, None) == state


def test_a_running_bot_drops_answers_older_than_a_month(tmp_path):
    now = [1_000_000.0]
    store = AnswerStore(tmp_path, clock=lambda: now[0])
    store.save(AnswerState(new_key(), ANSWER, 1, 2, True))
    now[0] += KEEP_SECONDS + 2 * 3600  # the bot kept running: no restart prunes for it
    store.save(AnswerState(new_key(), ANSWER, 1, 2, True))
    with sqlite3.connect(store.path(2)) as db:
        assert db.execute("SELECT count(*) FROM answers").fetchone()[0] == 1
