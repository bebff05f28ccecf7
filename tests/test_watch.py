"""The seeds-folder watcher: debounced, polling, quiet about a vanished folder.

The state machine is driven with a made-up clock (``SeedWatcher.poll`` with ``clock=``), so
no test depends on timing; the thread and asyncio runners get one short live test each.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

import pytest

from retrieval.errors import ReindexRunning, SeedsFolderError
from retrieval.documents.watch import SeedWatcher, snapshot, watch_seeds


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def seeds(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "a.txt").write_text("Alpha document.")
    return folder


def make_watcher(seeds: Path, on_change=None, debounce: float = 3.0):
    clock = Clock()
    calls: list[float] = []
    watcher = SeedWatcher(seeds, on_change or (lambda: calls.append(clock.now)), interval=1.0, debounce=debounce, clock=clock)
    return watcher, clock, calls


def poll_at(watcher: SeedWatcher, clock: Clock, *times: float) -> list[bool]:
    out = []
    for t in times:
        clock.now = t
        out.append(watcher.poll())
    return out


def test_snapshot_sees_documents_only(seeds):
    (seeds / "notes.md").write_text("Notes.")
    (seeds / ".hidden.txt").write_text("Upload in progress.")
    (seeds / "picture.png").write_bytes(b"\x89PNG")
    (seeds / "sub").mkdir()
    (seeds / "sub" / "inner.txt").write_text("Not at the top level.")
    snap = snapshot(seeds)
    assert set(snap) == {"a.txt", "notes.md"}
    assert snap["a.txt"][0] == len("Alpha document.")
    assert snapshot(seeds / "missing") is None


def snapshot_within(folder: Path, seconds: float = 20.0):
    """``snapshot`` on a thread, so a FIFO that blocked it would fail the test instead of hanging."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(snapshot(folder)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "snapshot hung"
    return out[0]


def test_links_out_and_special_files_are_named_once_and_their_targets_ignored(seeds, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="retrieval.documents.watch")
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRETPW=hunter2")
    (seeds / "leak.txt").symlink_to(secret)
    (seeds / "status.txt").symlink_to("/proc/self/status")  # different on every read
    os.mkfifo(seeds / "pipe.txt")
    snap = snapshot_within(seeds)
    assert snap["leak.txt"] == snap["status.txt"] == "a link leading outside the seeds folder"
    assert snap["pipe.txt"] == "a FIFO, not a file"

    watcher, clock, calls = make_watcher(seeds)
    named = [r.getMessage() for r in caplog.records]
    assert any("leak.txt (a link leading outside the seeds folder)" in m for m in named)
    assert any("pipe.txt (a FIFO, not a file)" in m for m in named)
    secret.write_text("SECRETPW=changed, and longer")  # what a link out names is never looked at
    assert poll_at(watcher, clock, 1, 5, 10) == [False, False, False]
    assert len(caplog.records) == len(named)  # named once, not every poll

    (seeds / "shadow.txt").symlink_to("/etc/shadow")  # a new one: the index would list it as skipped
    assert poll_at(watcher, clock, 11, 15) == [False, True]
    assert any("shadow.txt (a link leading outside" in r.getMessage() for r in caplog.records)


def test_a_link_inside_the_folder_is_watched_through(seeds):
    (seeds / "alias.txt").symlink_to("a.txt")
    watcher, clock, calls = make_watcher(seeds)
    assert snapshot(seeds)["alias.txt"] == snapshot(seeds)["a.txt"]
    (seeds / "a.txt").write_text("Alpha document, rewritten.")
    assert poll_at(watcher, clock, 1, 5) == [False, True]


def test_calls_once_after_changes_settle(seeds):
    watcher, clock, calls = make_watcher(seeds)
    assert poll_at(watcher, clock, 1, 2) == [False, False]  # nothing changed

    (seeds / "b.txt").write_text("Beta")
    assert poll_at(watcher, clock, 3, 5) == [False, False]  # seen at 3; only 2 s quiet at 5
    (seeds / "b.txt").write_text("Beta, longer now")  # still being written: the wait restarts
    assert poll_at(watcher, clock, 5.5, 8) == [False, False]
    assert poll_at(watcher, clock, 8.5) == [True] and calls == [8.5]
    assert poll_at(watcher, clock, 9, 20, 30) == [False, False, False]  # once, not every poll

    (seeds / "a.txt").unlink()
    assert poll_at(watcher, clock, 31, 33, 34) == [False, False, True]
    assert calls == [8.5, 34]


def test_a_burst_of_files_is_one_call(seeds):
    watcher, clock, calls = make_watcher(seeds)
    for i in range(10):
        (seeds / f"doc{i}.txt").write_text(f"Document {i}.")
        poll_at(watcher, clock, i * 0.5)
    assert poll_at(watcher, clock, 7.5, 8) == [True, False]
    assert calls == [7.5]


def test_rewrite_with_same_size_is_noticed_by_mtime(seeds):
    watcher, clock, calls = make_watcher(seeds)
    path = seeds / "a.txt"
    path.write_text("Alpha DOCUMENT.")  # same length as before
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # coarse-clock file systems
    assert poll_at(watcher, clock, 1, 4) == [False, True]


def test_change_reverted_before_settling_is_no_change(seeds):
    watcher, clock, calls = make_watcher(seeds)
    (seeds / "temp.txt").write_text("Oops")
    poll_at(watcher, clock, 1)
    (seeds / "temp.txt").unlink()
    assert poll_at(watcher, clock, 2, 10, 20) == [False, False, False]
    assert calls == []


def test_vanished_folder_warns_once_and_does_not_call(seeds, caplog):
    caplog.set_level(logging.WARNING, logger="retrieval.documents.watch")
    watcher, clock, calls = make_watcher(seeds)
    moved = seeds.with_name("elsewhere")
    seeds.rename(moved)
    assert poll_at(watcher, clock, *range(1, 30)) == [False] * 29
    assert calls == []
    warnings = [r for r in caplog.records if "vanished" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING

    # Back with the same files: nothing to do. Back with a new one: one call.
    moved.rename(seeds)
    assert poll_at(watcher, clock, 30, 40) == [False, False]
    seeds.rename(moved)
    poll_at(watcher, clock, 41)
    (moved / "new.txt").write_text("New.")
    moved.rename(seeds)
    assert poll_at(watcher, clock, 42, 44, 45) == [False, False, True]
    assert calls == [45]


def test_pending_change_survives_the_folder_blinking(seeds):
    watcher, clock, calls = make_watcher(seeds)
    (seeds / "b.txt").write_text("Beta")
    poll_at(watcher, clock, 1)
    moved = seeds.with_name("elsewhere")
    seeds.rename(moved)
    poll_at(watcher, clock, 2)
    moved.rename(seeds)
    assert poll_at(watcher, clock, 3, 5, 6) == [False, False, True]


def test_reindex_running_is_retried_other_errors_are_not(seeds, caplog):
    attempts: list[float] = []
    clock_ref: list[Clock] = []
    errors = [ReindexRunning("a reindex is already running"), None, SeedsFolderError("seeds folder not found: x"), None]

    def on_change() -> None:
        attempts.append(clock_ref[0].now)
        error = errors.pop(0)
        if error is not None:
            raise error

    watcher, clock, _ = make_watcher(seeds, on_change)
    clock_ref.append(clock)
    (seeds / "b.txt").write_text("Beta")
    poll_at(watcher, clock, 1, 4, 5, 6)
    assert attempts == [4, 5]  # refused while a build runs, so tried again at the next poll

    caplog.set_level(logging.ERROR, logger="retrieval.documents.watch")
    (seeds / "c.txt").write_text("Gamma")
    poll_at(watcher, clock, 7, 10, 11, 12)
    assert attempts == [4, 5, 10]  # failed: logged, and not retried until the next change
    assert any("seeds folder not found" in r.getMessage() for r in caplog.records)


def test_thread_watcher_reindexes_a_dropped_file(make_citebot):
    citebot = make_citebot({"bridge.txt": "Oslo - The council approved a new bridge. It will cost 40 million kroner."})
    citebot.ensure_index()
    reports = []
    done = threading.Event()

    def on_change() -> None:
        reports.append(citebot.reindex(reason="seeds folder changed"))
        done.set()

    with SeedWatcher(citebot.settings.seeds_dir, on_change, interval=0.02, debounce=0.1):
        (citebot.settings.seeds_dir / "ferry.md").write_text("# Ferries\n\nThe ferry to Bergen leaves every hour.")
        assert done.wait(20)
    assert len(reports) == 1 and reports[0].added == ("ferry.md",) and reports[0].reason == "seeds folder changed"
    assert citebot.ask("How often does the ferry to Bergen leave?").results[0].doc == "ferry.md"


def test_async_watcher_awaits_a_coroutine_callback(seeds):
    async def main() -> int:
        calls = 0
        changed = asyncio.Event()
        looked = asyncio.Event()

        async def on_change() -> None:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0)
            changed.set()

        task = asyncio.create_task(watch_seeds(seeds, on_change, interval=0.02, debounce=0.1, started=looked))
        await asyncio.wait_for(looked.wait(), 20)  # its baseline is taken: now change the folder
        await asyncio.to_thread((seeds / "b.txt").write_text, "Beta")
        await asyncio.wait_for(changed.wait(), 20)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return calls

    assert asyncio.run(main()) == 1
