"""Reindexing and recovery under faults: whatever fails, the last good index keeps answering.

Covers the issue's fault-injection list: an exception in the middle of a rebuild, a failure
while writing files (disk full), a truncated FAISS file, a manifest that does not match, a
killed rebuild process; plus a seeds folder that vanishes, concurrent reindexes and the
report a moderator sees.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import retrieval.api as service
import retrieval.index.build as build
import retrieval.index.store as store
from retrieval.errors import CitebotError, NoDocumentsError, ReindexFailed, ReindexRunning, SeedsFolderError
from retrieval.api import Citebot
from retrieval.index.store import CURRENT, current_generation

ROOT = Path(__file__).resolve().parents[1]

BRIDGE = "date 2024-03-01\nOslo - The council approved a new bridge. It will cost 40 million kroner.\n\nThe mayor, Kari Nordmann, said work starts in May."
FERRY = "# Ferries\n\nThe ferry to Bergen leaves every hour from pier seven."
LIGHTHOUSE = "# Skerry lighthouse\n\nThe lighthouse on Skerry Island is painted bright green."

BRIDGE_Q = "How much will the bridge cost?"
LIGHTHOUSE_Q = "What colour is the lighthouse on Skerry Island?"


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def gist(answer) -> tuple:
    """What an answer says, without scores or the tail of the ranking (both shift when
    another document joins the index)."""
    best = answer.results[0]
    return answer.answered, answer.short_answer, best.doc, best.paragraph, best.sentence


def generations(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.glob("gen-*")}


@pytest.fixture
def built(make_citebot) -> Citebot:
    """A Citebot serving a good index over one document."""
    citebot = make_citebot({"bridge.txt": BRIDGE})
    citebot.ensure_index()
    return citebot


class GatedEmbedder:
    """The real embedder, except that calls from a thread named "rebuild..." wait on
    ``release`` once armed, so a test can hold a rebuild half way while questions run."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts, **kwargs):
        if self.armed and threading.current_thread().name.startswith("rebuild"):
            self.entered.set()
            assert self.release.wait(30), "test never released the rebuild"
        return self.inner.encode(texts, **kwargs)

    def known_words(self) -> frozenset[str]:
        return self.inner.known_words()


# ---- the report ---------------------------------------------------------------------------


def test_report_says_added_changed_removed_unchanged_and_skipped(make_citebot):
    citebot = make_citebot({"bridge.txt": BRIDGE, "ferry.md": FERRY, "old.txt": "An old note about trams."})
    first = citebot.ensure_index()
    assert first is not None and first.added == ("bridge.txt", "ferry.md", "old.txt")
    seeds = citebot.settings.seeds_dir
    (seeds / "ferry.md").write_text(FERRY + "\n\nA night ferry runs on Fridays.")
    (seeds / "old.txt").unlink()
    (seeds / "lighthouse.md").write_text(LIGHTHOUSE)
    (seeds / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (seeds / "utf16.txt").write_bytes("hello".encode("utf-16"))

    report = citebot.reindex()

    assert report.added == ("lighthouse.md",)
    assert report.changed == ("ferry.md",)
    assert report.removed == ("old.txt",)
    assert report.unchanged == ("bridge.txt",)
    assert {s.name: s.reason for s in report.skipped} == {
        "photo.txt": "binary file (contains NUL bytes), or UTF-16 text: save it as UTF-8",
        "utf16.txt": "binary file (contains NUL bytes), or UTF-16 text: save it as UTF-8",
    }
    assert report.seconds > 0 and report.generation == citebot.generation == current_generation(citebot.index_dir).name
    # Incremental: the unchanged document's sentences came from the cache.
    assert 0 < report.embedded < report.sentences + report.paragraphs
    data = json.loads(json.dumps(report.to_json()))
    assert data["added"] == ["lighthouse.md"] and data["removed"] == ["old.txt"] and data["unchanged"] == ["bridge.txt"]
    assert {"name": "photo.txt", "reason": report.skipped[0].reason} in data["skipped"]
    assert data["generation"] == report.generation and data["seconds"] >= 0
    summary = report.summary()
    assert "added: lighthouse.md" in summary and "skipped: photo.txt (binary file" in summary

    again = citebot.reindex()
    assert again.embedded == 0 and again.added == again.changed == again.removed == ()
    assert again.unchanged == ("bridge.txt", "ferry.md", "lighthouse.md")


# ---- one rebuild at a time, questions meanwhile from the old index -----------------------------


def test_second_reindex_while_one_runs_says_already_running(make_citebot, embedder):
    gated = GatedEmbedder(embedder)
    citebot = make_citebot({"bridge.txt": BRIDGE})
    citebot = Citebot(citebot.settings, embedder=gated)
    citebot.ensure_index()
    old_generation = citebot.generation
    before = citebot.ask(BRIDGE_Q).to_json()
    (citebot.settings.seeds_dir / "lighthouse.md").write_text(LIGHTHOUSE)

    gated.armed = True
    outcome: dict[str, object] = {}
    worker = threading.Thread(target=lambda: outcome.update(report=citebot.reindex()), name="rebuild")
    worker.start()
    try:
        assert gated.entered.wait(30)
        with pytest.raises(ReindexRunning, match="already running"):
            citebot.reindex()
        # Another process on the same index folder is refused too (the flock on LOCK).
        with pytest.raises(ReindexRunning, match="already running"):
            Citebot(citebot.settings, embedder=embedder).reindex()
        # Questions meanwhile: the old index answers, unchanged.
        assert citebot.ask(BRIDGE_Q).to_json() == before
        assert not citebot.ask(LIGHTHOUSE_Q).answered
        assert citebot.generation == old_generation
        assert current_generation(citebot.index_dir).name == old_generation
    finally:
        gated.release.set()
        worker.join(30)
    assert outcome["report"].added == ("lighthouse.md",)
    assert citebot.generation != old_generation
    assert citebot.ask(LIGHTHOUSE_Q).results[0].doc == "lighthouse.md"
    # The lock is free again.
    assert citebot.reindex().embedded == 0


# ---- a rebuild that fails leaves the old index serving ----------------------------------------


def _fail_faiss_write(monkeypatch):
    import faiss

    monkeypatch.setattr(faiss, "write_index", disk_full)


def _fail_bm25_write(monkeypatch):
    monkeypatch.setattr(build.LexicalIndex, "save", disk_full)


def _fail_sqlite_write(monkeypatch):
    real = sqlite3.connect

    def connect(database, *args, **kwargs):
        if str(database).endswith("chunks.sqlite"):  # the new generation's; readers open ...?mode=ro
            raise sqlite3.OperationalError("database or disk is full")
        return real(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


def _fail_named_write(name: str):
    def inject(monkeypatch):
        real = store.atomic_write_text

        def write(path, text):
            if Path(path).name == name:
                disk_full()
            real(path, text)

        monkeypatch.setattr(store, "atomic_write_text", write)

    return inject


def _fail_fsync(monkeypatch):
    monkeypatch.setattr(store, "_fsync_file", disk_full)


def _fail_people(monkeypatch):
    def explode(documents, cache=None, progress=None, annotations=None):
        raise ValueError("people extraction blew up")

    monkeypatch.setattr(service, "build_extras", explode)


def _fail_loading_back(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("Error in faiss::read_index: unexpected EOF")

    monkeypatch.setattr(service, "Searcher", explode)


FAILURES = {
    "disk full writing FAISS": (_fail_faiss_write, "No space left on device"),
    "disk full writing BM25": (_fail_bm25_write, "No space left on device"),
    "disk full in SQLite": (_fail_sqlite_write, "database or disk is full"),
    "disk full flushing files": (_fail_fsync, "No space left on device"),
    "disk full writing the manifest": (_fail_named_write("manifest.json"), "No space left on device"),
    "disk full writing CURRENT": (_fail_named_write(CURRENT), "No space left on device"),
    "exception mid-rebuild": (_fail_people, "people extraction blew up"),
    "new generation unreadable": (_fail_loading_back, "unexpected EOF"),
}


@pytest.mark.parametrize("inject", FAILURES.values(), ids=FAILURES.keys())
def test_failed_rebuild_keeps_the_old_index_and_leaves_no_trace(built, monkeypatch, inject):
    inject_fault, message = inject
    index_dir = built.index_dir
    before = built.ask(BRIDGE_Q).to_json()
    on_disk = generations(index_dir)
    pointer = (index_dir / CURRENT).read_bytes()
    (built.settings.seeds_dir / "lighthouse.md").write_text(LIGHTHOUSE)

    inject_fault(monkeypatch)
    with pytest.raises(ReindexFailed) as failed:
        built.reindex()
    assert isinstance(failed.value, CitebotError) and failed.value.__cause__ is not None
    assert message in str(failed.value) and "previous index keeps answering" in str(failed.value)

    assert built.ask(BRIDGE_Q).to_json() == before
    assert [s.doc for s in built.sources()] == ["bridge.txt"]
    assert (index_dir / CURRENT).read_bytes() == pointer
    assert generations(index_dir) == on_disk, "a failed build must not leave a generation behind"
    assert not [p for p in index_dir.iterdir() if p.name.endswith(".tmp")]

    # The fault goes away: the next reindex works, and a fresh start serves its result.
    monkeypatch.undo()
    report = built.reindex()
    assert report.added == ("lighthouse.md",)
    restarted = Citebot(built.settings, embedder=built.embedder)
    assert restarted.ensure_index() is None
    assert restarted.ask(LIGHTHOUSE_Q).results[0].doc == "lighthouse.md"


def test_failed_rebuild_on_start_still_serves_the_intact_old_index(built, monkeypatch, caplog):
    """Documents changed while the bot was down and the rebuild fails: the old index answers."""
    before = built.ask(BRIDGE_Q).to_json()
    (built.settings.seeds_dir / "lighthouse.md").write_text(LIGHTHOUSE)
    _fail_faiss_write(monkeypatch)
    restarted = Citebot(built.settings, embedder=built.embedder)
    with pytest.raises(ReindexFailed):
        restarted.ensure_index()  # the caller learns it failed...
    assert restarted.generation == built.generation  # ...and the old index is loaded
    assert restarted.ask(BRIDGE_Q).to_json() == before
    # A front end that just asks (``citebot ask``) gets the old index and a logged error.
    caplog.set_level(logging.ERROR, logger="retrieval.api")
    lazy = Citebot(built.settings, embedder=built.embedder)
    assert lazy.ask(BRIDGE_Q).to_json() == before
    assert any("serving the previous index" in r.getMessage() for r in caplog.records)


def test_stray_generations_are_swept_by_the_next_successful_build(built):
    index_dir = built.index_dir
    old = current_generation(index_dir)
    half = index_dir / "gen-20000101T000000-dead01"  # a killed build: no manifest
    half.mkdir()
    (half / "sentences.faiss").write_bytes(b"\0" * 10)
    unpublished = index_dir / "gen-20000101T000000-dead02"  # killed after its manifest
    shutil.copytree(old, unpublished)
    (index_dir / ".CURRENT.abcd1234.tmp").write_text("gen-x")

    built.reindex()
    assert generations(index_dir) == {built.generation, old.name}  # the previous one stays a while
    assert not (index_dir / ".CURRENT.abcd1234.tmp").exists()
    built.reindex()
    assert len(generations(index_dir)) == 2


# ---- recovery on start ----------------------------------------------------------------------


def _truncate(name):
    def damage(index_dir: Path) -> None:
        path = current_generation(index_dir) / name
        path.write_bytes(path.read_bytes()[:64])

    return damage


def _edit_manifest(change):
    def damage(index_dir: Path) -> None:
        path = current_generation(index_dir) / "manifest.json"
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return damage


def _point_current_at(content: bytes):
    def damage(index_dir: Path) -> None:
        (index_dir / CURRENT).write_bytes(content)

    return damage


def _corrupt_bm25(index_dir: Path) -> None:
    folder = current_generation(index_dir) / "bm25"
    victim = sorted(p for p in folder.iterdir() if p.suffix == ".json")[0]
    victim.write_text("{not json")


def _remove(name):
    def damage(index_dir: Path) -> None:
        (current_generation(index_dir) / name).unlink()

    return damage


DAMAGE = {
    "truncated sentence vectors": (_truncate("sentences.faiss"), "does not match its manifest"),
    "truncated paragraph vectors": (_truncate("paragraphs.faiss"), "does not match its manifest"),
    "truncated chunks database": (_truncate("chunks.sqlite"), "does not match its manifest"),
    "corrupted BM25 file": (_corrupt_bm25, "does not match its manifest"),
    "manifest size mismatch": (_edit_manifest(lambda d: d["files"]["chunks.sqlite"].update(size=1)), "does not match"),
    "manifest hash mismatch": (_edit_manifest(lambda d: d["files"]["sentences.faiss"].update(sha256="0" * 64)), "does not match"),
    "manifest missing a file": (_edit_manifest(lambda d: d["files"].pop("paragraphs.faiss")), "does not list every data file"),
    "manifest garbage": (lambda i: (current_generation(i) / "manifest.json").write_text("{\"format_version\": "), "manifest unreadable"),
    "generation without manifest": (_remove("manifest.json"), "partial index"),
    "data file missing": (_remove("chunks.sqlite"), "index file missing"),
    "CURRENT names a missing folder": (_point_current_at(b"gen-20990101T000000-gone00\n"), "index folder missing"),
    "garbage in CURRENT": (_point_current_at(b"\xff\xfe\x00\x01garbage"), "damaged"),
    "CURRENT names a path": (_point_current_at(b"../../etc\n"), "damaged"),
    "empty CURRENT": (_point_current_at(b""), "damaged"),
    "no CURRENT": (lambda i: (i / CURRENT).unlink(), "no index yet"),
    "index folder gone": (lambda i: shutil.rmtree(i), "no index yet"),
    "format change": (_edit_manifest(lambda d: d.update(format_version=0)), "index format 0"),
    "model change": (_edit_manifest(lambda d: d.update(model_id="other-model")), "model changed"),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_start_rebuilds_a_missing_partial_or_corrupted_index(built, caplog, damage):
    do_damage, reason = damage
    expected = built.ask(BRIDGE_Q).to_json()
    do_damage(built.index_dir)

    caplog.set_level(logging.INFO, logger="retrieval.api")
    restarted = Citebot(built.settings, embedder=built.embedder)
    report = restarted.ensure_index()

    assert report is not None and reason in report.reason
    assert any("rebuilding the index" in r.getMessage() for r in caplog.records), "the rebuild is logged"
    assert restarted.ask(BRIDGE_Q).to_json() == expected
    # What it rebuilt is good: the next start loads it as it is.
    assert Citebot(built.settings, embedder=built.embedder).ensure_index() is None


def test_damaged_caches_are_replaced_not_fatal(built):
    for cache in ("embeddings.sqlite", "splits.sqlite", "annotations.sqlite"):
        (built.index_dir / cache).write_bytes(b"this is not a database" * 100)
    (built.settings.seeds_dir / "lighthouse.md").write_text(LIGHTHOUSE)
    report = built.reindex()
    # The new document is one text; the unchanged one had to be embedded again as well.
    assert report.added == ("lighthouse.md",) and report.embedded > 1
    assert built.ask(BRIDGE_Q).answered and built.reindex().embedded == 0  # and the new cache works


# ---- a rebuild process killed part way ---------------------------------------------------------

# Runs the real citebot (packaged model) in a child process and pauses it at a chosen point
# inside the build, printing a marker; the test then kills it with SIGKILL. No sleeps decide
# the outcome: the child is killed exactly at the pause.
KILLED_BUILD = r"""
import sys, time
from pathlib import Path
import retrieval.index.embedder as embedder
import retrieval.index.vectors as index
import retrieval.index.build as build
import retrieval.index.store as store
from retrieval.api import Citebot
from retrieval.settings import Settings

seeds, index_dir, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

def pause():
    print("PAUSED", flush=True)
    time.sleep(120)

if point == "after-faiss":  # mid-write: one data file written, the rest not
    save = index._FaissIndex.save
    def save_then_pause(self, path):
        save(self, path)
        if Path(path).name == "sentences.faiss":
            pause()
    index._FaissIndex.save = save_then_pause
elif point == "before-publish":  # the generation is complete but not yet named in CURRENT
    publish = build.publish
    def pause_then_publish(*args):
        pause()
        publish(*args)
    build.publish = pause_then_publish
elif point == "mid-embedding":  # two batches of vectors back from the model, the rest not
    store.EMBED_BATCH = 16  # a few dozen texts make several batches
    encode, calls = embedder.ModelEmbedder.encode, []
    def encode_or_pause(self, texts, **kwargs):
        calls.append(len(texts))
        if len(calls) == 3:
            pause()
        return encode(self, texts, **kwargs)
    embedder.ModelEmbedder.encode = encode_or_pause

Citebot(Settings(seeds_dir=seeds, index_dir=index_dir)).reindex()
print("FINISHED", flush=True)
"""


def run_and_kill(seeds: Path, index_dir: Path, point: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(seeds), str(index_dir), point],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    watchdog = threading.Timer(120, child.kill)  # never hang the suite if the marker never comes
    watchdog.start()
    try:
        line = child.stdout.readline().strip()
        assert line == "PAUSED", f"child did not reach {point!r} (printed {line!r}, exit {child.poll()})"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        watchdog.cancel()
        child.kill()
        child.stdout.close()


@pytest.mark.parametrize("point", ["after-faiss", "before-publish"])
def test_killed_rebuild_leaves_the_old_index_serving(built, point):
    old = built.generation
    expected = gist(built.ask(BRIDGE_Q))
    (built.settings.seeds_dir / "lighthouse.md").write_text(LIGHTHOUSE)

    run_and_kill(built.settings.seeds_dir, built.index_dir, point)

    assert current_generation(built.index_dir).name == old
    assert len(generations(built.index_dir)) == 2, "the killed build left its folder behind"
    # The next start: the old index is intact, so it answers at once while the rebuild
    # (the documents changed) replaces it and sweeps the dead folder.
    restarted = Citebot(built.settings, embedder=built.embedder)
    report = restarted.ensure_index()
    assert report is not None and report.reason == "documents changed" and report.added == ("lighthouse.md",)
    assert generations(built.index_dir) == {old, restarted.generation}
    assert gist(restarted.ask(BRIDGE_Q)) == expected
    assert restarted.ask(LIGHTHOUSE_Q).results[0].doc == "lighthouse.md"


def test_killed_first_build_is_rebuilt_on_the_next_start(make_citebot):
    citebot = make_citebot({"bridge.txt": BRIDGE})
    run_and_kill(citebot.settings.seeds_dir, citebot.index_dir, "after-faiss")
    assert not (citebot.index_dir / CURRENT).exists() and len(generations(citebot.index_dir)) == 1

    report = citebot.ensure_index()
    assert report is not None and report.reason == "no index yet"
    assert generations(citebot.index_dir) == {citebot.generation}
    assert citebot.ask(BRIDGE_Q).answered


def test_killed_build_keeps_the_vectors_it_embedded(make_citebot):
    # 62 sentences in four paragraphs, no two texts alike: several batches of 16.
    paragraphs = [
        " ".join(f"Crate {p * 20 + i} on pier {i % 7} holds {3 * i + p} tins of {word}." for i in range(20))
        for p, word in enumerate(("herring", "apricots", "paint"))
    ]
    citebot = make_citebot({"ledger.txt": "\n\n".join(paragraphs) + "\n\nThe harbour cat is called Mildred. She sleeps on the ferry."})
    run_and_kill(citebot.settings.seeds_dir, citebot.index_dir, "mid-embedding")

    report = citebot.ensure_index()
    assert report is not None and report.reason == "no index yet"
    texts = report.sentences + report.paragraphs  # all distinct: each one needs a vector
    assert report.embedded == texts - 2 * 16, "the two batches embedded before the kill were embedded again"
    # The shortest texts go first, so the cat's came from the killed build's cache.
    assert "Mildred" in citebot.ask("What is the harbour cat called?").results[0].text


# ---- the seeds folder vanishes or becomes unreadable ----------------------------------------------


def _rename_away(seeds: Path, monkeypatch) -> None:
    seeds.rename(seeds.with_name("seeds-moved"))


def _replace_with_file(seeds: Path, monkeypatch) -> None:
    shutil.rmtree(seeds)
    seeds.write_text("not a folder")


def _unreadable(seeds: Path, monkeypatch) -> None:
    # Tests may run as root, which chmod cannot lock out: fail the listing instead.
    real = Path.iterdir

    def iterdir(self):
        if self == seeds:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)


VANISH = {
    "moved away": (_rename_away, "seeds folder not found: "),
    "replaced by a file": (_replace_with_file, "seeds folder is not a folder: "),
    "unreadable": (_unreadable, "cannot read seeds folder "),
}


@pytest.mark.parametrize("vanish", VANISH.values(), ids=VANISH.keys())
def test_seeds_folder_vanishing_keeps_the_last_good_index(built, monkeypatch, caplog, vanish):
    make_vanish, message = vanish
    seeds = built.settings.seeds_dir
    expected = built.ask(BRIDGE_Q).to_json()
    pointer = (built.index_dir / CURRENT).read_bytes()

    make_vanish(seeds, monkeypatch)

    assert built.ask(BRIDGE_Q).to_json() == expected
    with pytest.raises(SeedsFolderError) as failed:
        built.reindex()
    assert str(failed.value).startswith(message) and str(seeds) in str(failed.value)
    assert "previous index keeps answering" in str(failed.value)
    assert built.ask(BRIDGE_Q).to_json() == expected
    assert (built.index_dir / CURRENT).read_bytes() == pointer
    # A restart meanwhile serves the index it has, with a warning.
    caplog.set_level(logging.WARNING, logger="retrieval.api")
    restarted = Citebot(built.settings, embedder=built.embedder)
    assert restarted.ensure_index() is None
    assert restarted.ask(BRIDGE_Q).to_json() == expected
    assert any(message.strip() in r.getMessage() for r in caplog.records)


def test_seeds_folder_emptied_keeps_the_last_good_index(built):
    expected = built.ask(BRIDGE_Q).to_json()
    (built.settings.seeds_dir / "bridge.txt").unlink()
    with pytest.raises(NoDocumentsError, match="no readable documents"):
        built.reindex()
    assert built.ask(BRIDGE_Q).to_json() == expected


def test_a_one_line_document_too_long_for_spacy_is_indexed_with_the_rest(built):
    # 120,000 characters on one line: one paragraph over what spaCy is given, split in pieces.
    words = " ".join(f"ledger{i}" for i in range(15_000))
    (built.settings.seeds_dir / "dump.txt").write_text(f"The warehouse ledger lists {words} and closes with zebra crossings.")
    report = built.reindex()
    assert report.added == ("dump.txt",) and not report.skipped
    answer = built.ask("zebra crossings")
    assert answer.results[0].doc == "dump.txt" and "zebra crossings" in answer.results[0].text
    assert built.ask(BRIDGE_Q).answered


def test_a_damaged_index_with_no_seeds_does_not_claim_an_index_still_answers(built):
    (current_generation(built.index_dir) / "manifest.json").write_text("{")
    shutil.rmtree(built.settings.seeds_dir)
    restarted = Citebot(built.settings, embedder=built.embedder)
    with pytest.raises(SeedsFolderError) as failed:
        restarted.ask(BRIDGE_Q)
    assert str(failed.value) == f"seeds folder not found: {built.settings.seeds_dir}"


def test_no_index_and_no_seeds_is_a_plain_error(make_citebot):
    citebot = make_citebot()
    shutil.rmtree(citebot.settings.seeds_dir)
    with pytest.raises(SeedsFolderError) as failed:
        citebot.ask(BRIDGE_Q)
    assert str(failed.value) == f"seeds folder not found: {citebot.settings.seeds_dir}"


# ---- what the logs may hold ---------------------------------------------------------------------


def test_questions_are_not_logged_at_the_default_level(built, caplog):
    caplog.set_level(logging.INFO)
    secret = "Whisper zebra-quartz-7781 how much will the bridge cost?"
    built.ask(secret)
    built.reindex()
    assert not [r for r in caplog.records if "zebra-quartz" in r.getMessage()]
