"""Many libraries in one process: the shared one and every server's own (``retrieval.libraries``).

What a user would notice: a server's documents answer in that server and nowhere else (not
in another server, not in a DM); an empty library answers nothing without failing; a
library unloaded to stay in budget still finishes the question it was answering; a rebuild
of one library never holds up a question to another; votes stay with their server, and the
votes of an older install move into the servers' own files without loss.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
import weakref
from pathlib import Path

import pytest

from retrieval import (
    CitebotError,
    Libraries,
    ReadOnlyLibrary,
    SettingsError,
    StorageError,
    UnknownLibrary,
    add_document,
    check_server_id,
    parse_server_id,
    remove_document,
    split_state_file,
)
from retrieval.api import Citebot
from retrieval.libraries import merge_answers
from retrieval.models import Answer, Passage
from retrieval.query import feedback
from retrieval.query.feedback import FeedbackStore
from retrieval.settings import Settings

A, B, C = 111111111111111111, 222222222222222222, 333333333333333333

ROWING = """date 2025-03-02
# Larkspur Rowing Club annual meeting

Oxford - The Larkspur Rowing Club held its annual meeting on Sunday at the boathouse.

Members elected Imogen Vardy as treasurer of the club. "We will buy two new boats this spring," said Imogen Vardy.

The club has 48 members and trains on the river every Saturday morning.
"""
ROWING_Q = "How many members does the rowing club have?"

CHESS = """date 2025-04-10
# Quillfeather Chess Society news

Leeds - The Quillfeather Chess Society opened a new club room on Market Street.

The society's president, Barnaby Oakshott, announced a winter chess tournament. "Every player is welcome, beginners too," said Barnaby Oakshott.

The chess tournament starts on 12 December and has 64 places.
"""
CHESS_Q = "When does the chess tournament start?"
SEED_Q = "How many tents were sent?"


def passages(answer: Answer) -> list[Passage]:
    return [*answer.results, *answer.more]


def add(libraries: Libraries, server: int | None, name: str, text: str):
    add_document(libraries.seeds_folder(server, create=True), name, text.encode(), max_bytes=1 << 20)
    return libraries.library(server).reindex()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, seed_citebot, embedder) -> Libraries:
    """The seed article as the shared library; server A has the rowing club's news, B the
    chess society's. Built once: tests here only read it."""
    data = tmp_path_factory.mktemp("data")
    libraries = Libraries(seed_citebot.settings.with_overrides(data_dir=data), embedder)
    add(libraries, A, "club.txt", ROWING)
    add(libraries, B, "club.txt", CHESS)  # the same file name as A's: still two documents
    return libraries


@pytest.fixture
def libraries(tmp_path, embedder) -> Libraries:
    """A fresh data folder whose shared library is a one-document seeds folder."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "club.txt").write_text(ROWING)
    return Libraries(Settings(seeds_dir=seeds, index_dir=tmp_path / "index", data_dir=tmp_path / "data"), embedder)


# ---- a server's own documents answer there ---------------------------------------------------


def test_a_server_scope_answers_from_its_library_and_the_shared_one_ranked_together(two_servers):
    scope = two_servers.scope(A)
    own = scope.ask(ROWING_Q)
    assert own.answered and own.short_answer == "48"
    assert own.results[0].library == A and "48 members" in own.results[0].text
    shared = scope.ask(SEED_Q)
    assert shared.answered and shared.short_answer == "10,000"
    assert shared.results[0].library is None and "10,000 tents" in shared.results[0].text
    # The same answer the shared library gives alone: A's documents add nothing to it.
    assert shared.to_json() == two_servers.shared.ask(SEED_Q).to_json()


def test_a_scope_over_the_shared_library_alone_answers_exactly_as_the_library(two_servers, seed_citebot):
    dm = two_servers.scope(None)
    for question in (SEED_Q, "What did Rehman announce?", "Where did the meeting take place?", "How do I bake bread?"):
        assert dm.ask(question, k=5).to_json() == seed_citebot.ask(question, k=5).to_json()
        assert dm.ask(question).more == seed_citebot.ask(question).more


def test_results_say_which_library_they_are_from_in_json(two_servers):
    own = two_servers.scope(A).ask(ROWING_Q).to_json()["results"][0]
    assert own["library"] == str(A)
    # The shared library's JSON is what it always was.
    assert "library" not in two_servers.scope(A).ask(SEED_Q).to_json()["results"][0]
    quote = next(q for q in two_servers.scope(A).quotes().quotes if q.library == A)
    assert quote.to_json()["library"] == str(A)
    person = two_servers.scope(A).who("Imogen Vardy").person
    assert person is not None and {"doc": "club.txt", "paragraph": 2, "page": None, "section": None, "library": str(A)} in person.to_json()["mentions"]


def test_sources_people_and_quotes_cover_the_scope(two_servers):
    scope = two_servers.scope(A)
    titles = [(s.title, s.library) for s in scope.sources()]
    assert ("Larkspur Rowing Club annual meeting", A) in titles
    assert any(library is None for _, library in titles)
    assert [s.date for s in scope.sources()] == sorted((s.date for s in scope.sources()), reverse=True)
    names = [p.name for p in scope.people()]
    assert "Imogen Vardy" in names and any("Rehman" in n for n in names)
    said = scope.quotes(speaker="Imogen Vardy").quotes
    assert [q.text for q in said] == ["We will buy two new boats this spring"]


def test_context_comes_from_the_library_the_passage_is_from(two_servers):
    scope = two_servers.scope(A)
    best = scope.ask(ROWING_Q).results[0]
    around = scope.context(best)
    assert best in around and len(around) > 1
    assert all(p.library == A and p.doc == "club.txt" for p in around)
    assert "trains on the river" in " ".join(p.text for p in around)


def test_the_shared_library_can_be_left_out_of_a_server_scope(two_servers):
    scope = two_servers.scope(A, shared=False)
    assert all(s.library == A for s in scope.sources())
    answer = scope.ask(SEED_Q)
    assert not answer.answered and all(p.library == A for p in passages(answer))


# ---- nothing of one server's library anywhere else ---------------------------------------------


@pytest.mark.parametrize("where", [A, None], ids=["other server", "DM"])
def test_nothing_of_a_server_library_appears_in_another_server_or_a_dm(two_servers, where):
    scope = two_servers.scope(where)
    for question in (CHESS_Q, "Barnaby Oakshott", "Quillfeather chess society club room Market Street"):
        answer = scope.ask(question, k=10)
        assert all(p.library != B for p in passages(answer))
        shown = str([p.to_json() for p in passages(answer)])
        assert "Quillfeather" not in shown and "Oakshott" not in shown
    assert all(s.library != B for s in scope.sources())
    assert "Barnaby Oakshott" not in [p.name for p in scope.people()]
    assert scope.who("Barnaby Oakshott").person is None
    assert all(q.library != B for q in scope.quotes().quotes)
    assert not any("Oakshott" in (q.speaker or "") for q in scope.quotes("chess tournament").quotes)
    if where is None:  # a DM sees no server's library at all
        assert all(s.library is None for s in scope.sources())
        assert all(p.library is None for p in passages(scope.ask(ROWING_Q, k=10)))


def test_a_passage_of_another_server_is_never_looked_up_there(two_servers):
    theirs = two_servers.scope(B).ask(CHESS_Q).results[0]
    assert len(two_servers.scope(B).context(theirs)) > 1
    assert two_servers.scope(A).context(theirs) == [theirs]  # B's library is not read
    assert two_servers.scope(None).context(theirs) == [theirs]


# ---- empty, growing and shrinking libraries ----------------------------------------------------


def test_a_server_library_starts_empty_and_answers_nothing_without_error(libraries):
    scope = libraries.scope(C, shared=False)
    answer = scope.ask(ROWING_Q)
    assert (answer.answered, answer.results, answer.short_answer) == (False, (), None)
    assert scope.sources() == [] and scope.people() == [] and scope.quotes().quotes == ()
    assert scope.who("Imogen Vardy").person is None
    # Asking makes nothing on disk: a server that never adds a document has no folder.
    assert not libraries.folder(C).exists() and libraries.servers() == []
    report = libraries.library(C).reindex()
    assert report.documents == 0 and not libraries.folder(C).exists()


def test_removing_the_last_document_empties_the_library_for_good(libraries):
    add(libraries, C, "chess.txt", CHESS)
    assert libraries.scope(C, shared=False).ask(CHESS_Q).answered
    remove_document(libraries.seeds_folder(C), "chess.txt")
    report = libraries.library(C).reindex()
    assert report.documents == 0 and report.removed == ("chess.txt",)
    assert libraries.scope(C, shared=False).sources() == []
    assert not libraries.scope(C, shared=False).ask(CHESS_Q).results
    # A process started afterwards finds it empty too, not the last index.
    again = Libraries(libraries.settings, libraries.embedder)
    assert again.scope(C, shared=False).sources() == [] and again.servers() == [C]


def test_a_document_added_by_hand_is_indexed_on_first_use(libraries):
    seeds = libraries.seeds_folder(C, create=True)
    (seeds / "chess.txt").write_text(CHESS)
    answer = libraries.scope(C).ask(CHESS_Q)
    assert answer.answered and answer.results[0].library == C


# ---- loading, unloading, and one library's rebuild beside another's questions ------------------


def test_libraries_beyond_the_budget_are_unloaded_least_recently_used_first(two_servers, embedder):
    libraries = Libraries(two_servers.settings, embedder, budget=1)
    in_flight = libraries.scope(A)  # a question that is still being answered holds its libraries
    searcher = weakref.ref(in_flight.libraries[0].searcher)
    assert libraries.loaded() == [A]
    libraries.scope(B).ask(CHESS_Q)
    assert libraries.loaded() == [B]
    # Unloaded, but the question in flight still gets its answer.
    assert in_flight.ask(ROWING_Q).results[0].library == A
    del in_flight
    gc.collect()
    assert searcher() is None  # freed once nothing uses it
    assert libraries.scope(A).ask(ROWING_Q).short_answer == "48"
    assert libraries.loaded() == [A]


class Gate:
    """A progress factory that holds the build it is given to half way until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, total: int, description: str) -> "Gate":
        self.entered.set()
        assert self.release.wait(30), "test never released the rebuild"
        return self

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_rebuild_of_one_library_never_blocks_questions_to_another(libraries):
    add(libraries, A, "club.txt", ROWING)
    add(libraries, B, "chess.txt", CHESS)
    before = libraries.scope(A).ask(ROWING_Q).to_json()
    (libraries.seeds_folder(B) / "more.txt").write_text("The chess society also runs a junior league on Tuesdays.")
    gate = Gate()
    reports = []
    worker = threading.Thread(target=lambda: reports.append(libraries.library(B).reindex(progress=gate)))
    worker.start()
    try:
        assert gate.entered.wait(30)
        # B is rebuilding: A, the shared library and B itself (from its old index) all answer.
        assert libraries.scope(A).ask(ROWING_Q).to_json() == before
        assert libraries.scope(None).ask(ROWING_Q).answered
        assert libraries.scope(B, shared=False).ask(CHESS_Q).answered
        # And the shared library can be rebuilt meanwhile.
        assert libraries.shared.reindex().documents == 1
        assert libraries.library(B).busy
    finally:
        gate.release.set()
        worker.join(30)
    assert reports[0].added == ("more.txt",)


def test_many_threads_asking_many_servers_each_get_their_own_answers(two_servers, embedder):
    libraries = Libraries(two_servers.settings, embedder, budget=1)
    wrong: list[str] = []

    def ask(server: int, question: str, library: int) -> None:
        for _ in range(5):
            answer = libraries.scope(server, shared=False).ask(question)
            if not answer.answered or {p.library for p in passages(answer)} != {library}:
                wrong.append(f"{server}: {answer.to_json()}")

    threads = [threading.Thread(target=ask, args=job) for job in [(A, ROWING_Q, A), (B, CHESS_Q, B)] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not wrong


def test_a_reader_of_the_shared_library_never_rebuilds_it_and_follows_the_builder(two_servers, tmp_path, embedder):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "rowing.txt").write_text(ROWING)
    settings = Settings(seeds_dir=seeds, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    reader = Libraries(settings, embedder, build_shared=False)
    with pytest.raises(CitebotError, match="only reads"):
        reader.scope(None).ask(ROWING_Q)  # nothing built yet, and this process does not build
    builder = Libraries(settings, embedder)
    builder.shared.ensure_index()
    assert reader.scope(None).ask(ROWING_Q).answered
    (seeds / "chess.txt").write_text(CHESS)
    assert not reader.scope(None).ask(CHESS_Q).answered  # out of date: served as it is
    with pytest.raises(ReadOnlyLibrary):
        reader.shared.reindex()
    assert reader.refresh() == []
    builder.shared.reindex()
    assert reader.refresh() == [None]
    assert reader.scope(None).ask(CHESS_Q).answered


def test_a_library_changed_by_another_process_is_picked_up_by_refresh(libraries, embedder):
    add(libraries, C, "club.txt", ROWING)
    assert not libraries.scope(C, shared=False).ask(CHESS_Q).answered
    elsewhere = Libraries(libraries.settings, embedder)  # the command line, say
    add(elsewhere, C, "chess.txt", CHESS)
    assert libraries.documents(C) == ["chess.txt", "club.txt"] and libraries.documents(A) == []
    assert libraries.refresh() == [C]
    assert libraries.scope(C, shared=False).ask(CHESS_Q).answered
    for name in ("chess.txt", "club.txt"):
        remove_document(elsewhere.seeds_folder(C), name)
    elsewhere.library(C).reindex()
    assert libraries.refresh() == [C]
    assert libraries.scope(C, shared=False).sources() == []


# ---- votes ----------------------------------------------------------------------------------


def test_votes_live_with_their_server_and_apply_there_only(libraries):
    add(libraries, A, "club.txt", ROWING)  # the same name and text as the shared library's document
    add(libraries, B, "club.txt", ROWING)
    question = "What does the club train on?"
    theirs = libraries.scope(A).ask(question)
    server_passage = next(p for p in passages(theirs) if p.library == A)
    shared_passage = next(p for p in passages(theirs) if p.library is None and p.paragraph == server_passage.paragraph)
    libraries.feedback(A).vote(A, 42, question, server_passage, -1)
    assert (libraries.folder(A) / "state" / "feedback.sqlite").is_file()
    assert not (libraries.folder(B) / "state" / "feedback.sqlite").exists()
    after = {(p.library, p.paragraph): p.score for p in passages(libraries.scope(A).ask(question))}
    before = {(p.library, p.paragraph): p.score for p in passages(theirs)}
    key = (A, server_passage.paragraph)
    assert after[key] < before[key]  # A's vote on A's copy
    assert after[(None, shared_passage.paragraph)] == before[(None, shared_passage.paragraph)]  # not the shared copy
    assert libraries.scope(B).ask(question).to_json() == libraries.scope(B).ask(question).to_json()
    b_scores = {(p.library, p.paragraph): p.score for p in passages(libraries.scope(B).ask(question))}
    assert b_scores[(B, server_passage.paragraph)] == before[key]  # B's ranking is untouched
    assert libraries.feedback(B).stats(B) == ([], [])


def test_votes_of_an_older_install_move_into_each_servers_file(libraries, embedder):
    old = FeedbackStore(libraries.shared.feedback_path, embedder.encode)
    p = libraries.shared.ask(ROWING_Q).results[0]
    old.vote(A, 1, ROWING_Q, p, 1)
    old.vote(A, 2, ROWING_Q, p, 1)
    old.vote(B, 3, ROWING_Q, p, -1)
    old.close()

    up, _ = libraries.feedback(A).stats(A)
    assert [(v.up, v.down) for v in up] == [(2, 0)]
    assert libraries.library(B).feedback.stats(B)[1][0].down == 1  # whichever way its votes are reached
    assert not libraries.shared.feedback_path.exists()
    kept = libraries.shared.feedback_path.with_name("feedback.sqlite.migrated")
    assert sqlite3.connect(kept).execute("SELECT count(*) FROM votes").fetchone() == (3,)
    # The old votes still nudge A's answers (they were on the shared passage, keyed as before).
    boosted = libraries.scope(A).ask(ROWING_Q).results[0]
    assert (boosted.library, boosted.paragraph) == (None, p.paragraph) and boosted.score > p.score
    # Done once: a later start finds nothing to split and loses nothing.
    again = Libraries(libraries.settings, embedder)
    assert again.feedback(A).stats(A)[0][0].up == 2


def test_votes_that_cannot_move_yet_never_stop_questions(libraries, embedder, monkeypatch, caplog):
    FeedbackStore(libraries.shared.feedback_path, embedder.encode).close()

    def disk_full(*args):
        raise StorageError("cannot split feedback.sqlite: database or disk is full")

    monkeypatch.setattr("retrieval.libraries.split_votes", disk_full)
    assert libraries.scope(A).ask(ROWING_Q).answered
    assert "are not moved to each server's file yet: cannot split feedback.sqlite: database or disk is full" in caplog.text
    assert libraries.shared.feedback_path.exists()  # kept for the next start to move


# ---- splitting a state file by server ----------------------------------------------------------

# Laid out like the posted answers: a key of its own, and the server (None in a DM).
SCHEMA = "CREATE TABLE IF NOT EXISTS notes (server INTEGER, key TEXT PRIMARY KEY, text TEXT NOT NULL);"


def old_file(path: Path, rows: list[tuple]) -> Path:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO notes VALUES (?,?,?)", rows)
    db.commit()
    db.close()
    return path


def rows_of(path: Path) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT * FROM notes ORDER BY server, key").fetchall()
    finally:
        db.close()


ROWS = [(1, "a", "one"), (1, "b", "two"), (2, "c", "three"), (None, "d", "a DM's")]


def test_a_state_file_splits_by_its_key_and_is_kept(tmp_path):
    source = old_file(tmp_path / "notes.sqlite", ROWS)
    written = split_state_file(source, SCHEMA, "server", lambda v: tmp_path / f"{v}" / "notes.sqlite")
    assert set(written) == {1, 2, None}
    assert rows_of(written[1]) == ROWS[:2] and rows_of(written[2]) == [ROWS[2]] and rows_of(written[None]) == [ROWS[3]]
    assert not source.exists() and set(rows_of(tmp_path / "notes.sqlite.migrated")) == set(ROWS)
    assert split_state_file(source, SCHEMA, "server", lambda v: tmp_path / f"{v}" / "notes.sqlite") == {}


def test_a_split_that_stopped_half_way_resumes_without_copying_twice(tmp_path):
    source = old_file(tmp_path / "notes.sqlite", ROWS)
    seen: list[object] = []

    def crash_on_second(value):
        seen.append(value)
        if len(seen) == 2:
            raise OSError(28, "No space left on device")
        return tmp_path / f"{value}" / "notes.sqlite"

    with pytest.raises(CitebotError, match="No space left"):
        split_state_file(source, SCHEMA, "server", crash_on_second)
    first = seen[0]
    assert source.exists()  # not renamed: the split is not finished
    assert rows_of(tmp_path / f"{first}" / "notes.sqlite") == [r for r in ROWS if r[0] == first]
    assert not list(tmp_path.rglob("*.tmp"))
    written = split_state_file(source, SCHEMA, "server", lambda v: tmp_path / f"{v}" / "notes.sqlite")
    assert {r for path in written.values() for r in rows_of(path)} == set(ROWS)
    assert sum(len(rows_of(path)) for path in written.values()) == len(ROWS)  # none twice
    assert not source.exists()


def test_rows_a_new_file_gained_meanwhile_are_kept_beside_the_old_ones(tmp_path):
    source = old_file(tmp_path / "notes.sqlite", ROWS)
    (tmp_path / "1").mkdir()
    newer = old_file(tmp_path / "1" / "notes.sqlite", [(1, "a", "changed since"), (1, "e", "new")])
    split_state_file(source, SCHEMA, "server", lambda v: tmp_path / f"{v}" / "notes.sqlite")
    assert rows_of(newer) == [(1, "a", "changed since"), (1, "b", "two"), (1, "e", "new")]


def test_rows_with_no_place_stay_in_the_kept_file(tmp_path, caplog):
    source = old_file(tmp_path / "notes.sqlite", ROWS)
    written = split_state_file(source, SCHEMA, "server", lambda v: tmp_path / f"{v}.sqlite" if v == 1 else None)
    assert set(written) == {1}
    assert "2 rows of notes.sqlite belong to no server" in caplog.text
    assert len(rows_of(tmp_path / "notes.sqlite.migrated")) == 4


def test_two_splits_at_once_split_once(tmp_path):
    source = old_file(tmp_path / "notes.sqlite", ROWS)
    results: list[dict] = []
    threads = [
        threading.Thread(target=lambda: results.append(split_state_file(source, SCHEMA, "server", lambda v: tmp_path / f"{v}" / "notes.sqlite")))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(len(r) for r in results) == [0, 3]
    assert sum(len(rows_of(p)) for p in max(results, key=len).values()) == len(ROWS)
    assert not list(tmp_path.glob("notes.sqlite.migrated-*"))


def test_a_table_without_a_primary_key_cannot_be_split(tmp_path):
    schema = "CREATE TABLE IF NOT EXISTS log (server INTEGER, text TEXT);"
    db = sqlite3.connect(tmp_path / "log.sqlite")
    db.executescript(schema)
    db.close()
    with pytest.raises(ValueError, match="primary key"):
        split_state_file(tmp_path / "log.sqlite", schema, "server", lambda v: tmp_path / "x.sqlite")
    assert (tmp_path / "log.sqlite").exists()


def test_the_votes_schema_splits_by_server(tmp_path):
    # The schema the votes really have: keyed by server, with a primary key.
    source = tmp_path / "feedback.sqlite"
    sqlite3.connect(source).executescript(feedback._SCHEMA)
    assert feedback.split_votes(source, lambda v: tmp_path / f"{v}.sqlite") == {}
    assert (tmp_path / "feedback.sqlite.migrated").exists()


# ---- server ids, forgetting, the budget setting --------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, True, 2**64, "123", 1.0, None])
def test_only_a_discord_id_names_a_server_library(bad):
    with pytest.raises(UnknownLibrary, match="not a server id"):
        check_server_id(bad)


@pytest.mark.parametrize("text", ["", " ", "12a", "../1", "-5", "1e3", "１２３", "0", str(2**64)])
def test_a_typed_server_id_is_digits_of_a_discord_id(text):
    with pytest.raises(UnknownLibrary, match="not a server id"):
        parse_server_id(text)


def test_parse_server_id_accepts_a_discord_id():
    assert parse_server_id(" 123456789012345678 ") == 123456789012345678


def test_forgetting_a_server_moves_its_library_aside_whole(libraries):
    add(libraries, C, "chess.txt", CHESS)
    libraries.feedback(C)  # its votes file
    aside = libraries.forget(C)
    assert aside.parent == libraries.servers_dir / "removed" and aside.name.startswith(f"{C}-")
    assert (aside / "seeds" / "chess.txt").read_text() == CHESS
    assert (aside / "state" / "feedback.sqlite").is_file() and (aside / "index" / "CURRENT").is_file()
    assert not libraries.folder(C).exists() and libraries.servers() == [] and C not in libraries.loaded()
    assert libraries.scope(C, shared=False).sources() == []
    with pytest.raises(UnknownLibrary, match="has no library"):
        libraries.forget(C)


def test_the_library_budget_is_a_checked_setting():
    assert Settings.from_env({}, dotenv=False).library_budget == Settings().library_budget
    assert Settings.from_env({"CITEBOT_LIBRARY_BUDGET": "5"}, dotenv=False).library_budget == 5
    for bad in ("0", "many", "-3"):
        with pytest.raises(SettingsError, match="CITEBOT_LIBRARY_BUDGET must be a whole number from 1 to 1000000"):
            Settings.from_env({"CITEBOT_LIBRARY_BUDGET": bad}, dotenv=False)


# ---- merging answers --------------------------------------------------------------------------


def make_passage(doc: str, score: float, library: int | None) -> Passage:
    return Passage(doc, doc, None, 1, 1, doc, doc, score, 0, len(doc), library)


def test_answers_merge_by_score_and_the_best_answered_gives_the_short_answer():
    server = Answer("q", True, "48", (make_passage("s1", 0.6, A), make_passage("s2", 0.5, A)), (make_passage("s3", 0.31, A),))
    shared = Answer("q", True, "10,000", (make_passage("h1", 0.7, None),), (make_passage("h2", 0.2, None),))
    merged = merge_answers([server, shared], k=2, pool=10)
    assert merged.answered and merged.short_answer == "10,000"
    assert [p.doc for p in merged.results] == ["h1", "s1"]
    assert [p.doc for p in merged.more] == ["s2"]  # under half the best score is noise, as in one library


def test_a_library_that_does_not_answer_adds_nothing_beside_one_that_does():
    server = Answer("q", True, "48", (make_passage("s1", 0.5, A),))
    shared = Answer("q", False, None, (make_passage("h1", 0.55, None),))
    merged = merge_answers([server, shared], k=3, pool=10)
    assert (merged.short_answer, [p.doc for p in merged.results]) == ("48", ["s1"])
    neither = merge_answers([Answer("q", False, None, (make_passage("s1", 0.2, A),)), shared], k=3, pool=10)
    assert not neither.answered and neither.short_answer is None
    assert [p.doc for p in neither.results] == ["h1", "s1"]


def test_a_merged_answer_ranks_no_more_than_one_library_would():
    many = Answer("q", True, "x", tuple(make_passage(f"s{i}", 0.9 - i / 100, A) for i in range(10)))
    more = Answer("q", True, "y", tuple(make_passage(f"h{i}", 0.85 - i / 100, None) for i in range(10)))
    merged = merge_answers([many, more], k=3, pool=10)
    assert len(merged.results) + len(merged.more) == 10


def test_a_citebot_for_a_server_library_is_empty_before_its_folder_exists(tmp_path, embedder):
    citebot = Citebot(Settings(seeds_dir=tmp_path / "none", index_dir=tmp_path / "index"), embedder, library=A)
    assert citebot.sources() == [] and not citebot.ask(ROWING_Q).answered
    assert not (tmp_path / "index").exists()
