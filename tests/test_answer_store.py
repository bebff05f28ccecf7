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


def test_a_kept_answer_still_cites_its_page_section_and_source(tmp_path):
    # The buttons of an answer posted before a restart cite the same place as the answer did.
    located = Passage("r.pdf", "Report", None, 4, 1, "Lamp.", "Lamp.", 0.5, 0, 5,
                      url="https://harbour.example/r.pdf", page=2, section="Lighthouse", local_paragraph=2)
    store = AnswerStore(tmp_path)
    state = AnswerState(new_key(), Answer("q", True, None, (located,)), asker_id=7, scope=None, deletable=False)
    store.save(state)
    (back,) = store.get(state.key, None).answer.results
    assert back == located and back.citation == "Report, § Lighthouse, p. 2, ¶2"
