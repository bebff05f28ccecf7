"""Watching the seeds folder for documents added, changed or removed by hand.

Polling, not inotify: it needs no dependency, works on network and container mounts, and a
seeds folder holds few files, so one ``stat`` per file every couple of seconds is nothing.

A change is acted on only once the folder has stayed the same for ``debounce`` seconds, so
copying in ten files (or one large file, written in pieces) means one reindex, not ten.

Two ways to run it, sharing one state machine (``ChangeDebouncer``):

* ``SeedWatcher`` — a daemon thread; ``on_change`` runs on that thread.
* ``watch_seeds`` — an asyncio task; ``on_change`` may be a coroutine function, and is
  awaited on the event loop (run heavy work from it with ``asyncio.to_thread``).

Either way, ``on_change`` raising ``ReindexRunning`` means "try again": the change stays
pending and ``on_change`` is called again on a later poll. Any other exception is logged
and the change counts as handled (the next change triggers again), so a persistent failure
does not turn into a reindex every two seconds.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Mapping

from .loading import scan_seeds
from ..errors import CitebotError, ReindexRunning

log = logging.getLogger(__name__)

# name -> (size, mtime_ns) for a document: enough to notice one added, removed, rewritten or
# replaced. A skipped entry (a link out of the folder, a FIFO...) maps to the reason instead:
# what it points at is never looked at, so a /proc file changing on every read is no change.
Snapshot = Mapping[str, "tuple[int, int] | str"]
OnChange = Callable[[], "None | Awaitable[None]"]


def snapshot(seeds_dir: Path) -> dict[str, tuple[int, int] | str] | None:
    """The candidates of ``seeds_dir``, judged by ``inspect_entry``; ``None`` when the folder is unusable.

    No size limit here: a file's size is already in its entry, and the reindex it triggers
    skips one that is too big, by name.
    """
    try:
        entries = scan_seeds(Path(seeds_dir), max_bytes=None)
    except CitebotError:
        return None
    return {
        e.name: (e.stat.st_size, e.stat.st_mtime_ns) if e.stat is not None else e.problem or "skipped"
        for e in entries
    }


def _name_skipped(snap: Snapshot, before: Snapshot | None) -> None:
    """Warn once about each entry newly skipped (and so not indexed), with the reason."""
    for name, value in snap.items():
        if isinstance(value, str) and (before is None or before.get(name) != value):
            log.warning("seeds folder: not a document, skipped: %s (%s)", name, value)


@dataclass
class ChangeDebouncer:
    """Decides, poll by poll, when the seeds folder has changed and then settled.

    Pure state, no clock or I/O of its own, so tests drive it with made-up times.
    """

    debounce: float
    baseline: Snapshot | None = None  # what the index was last built from (as far as we know)
    _last: Snapshot | None = None  # what the previous poll saw
    _changed_at: float | None = None  # when the folder last looked different from the poll before
    missing: bool = False

    def start(self, snap: Snapshot | None) -> None:
        self.baseline = self._last = snap
        if snap is not None:
            _name_skipped(snap, None)
        self.missing = snap is None
        if self.missing:
            log.warning("seeds folder is missing or unreadable; watching for it to come back")

    def observe(self, snap: Snapshot | None, now: float) -> bool:
        """Record one poll; True when ``on_change`` should be called now."""
        if snap is None:
            if not self.missing:  # say it once, not every poll
                log.warning("seeds folder vanished or became unreadable; the current index keeps answering")
            self.missing = True
            self._changed_at = None  # nothing to rebuild from: wait for the folder to return
            return False
        if self.missing:
            log.info("seeds folder is back")
            self.missing = False
            self._last = None  # whatever it holds now is news: compare it with the baseline
        if snap != self._last:
            _name_skipped(snap, self._last)
            self._last = snap
            self._changed_at = now
        if snap == self.baseline:
            self._changed_at = None  # changed and changed back: nothing to do
            return False
        return self._changed_at is not None and now - self._changed_at >= self.debounce

    def handled(self, retry: bool = False) -> None:
        """``on_change`` ran: the current state is the new baseline (unless it must retry)."""
        if retry:
            return  # still pending; the next poll past the debounce tries again
        self.baseline = self._last
        self._changed_at = None


class SeedWatcher:
    """Polls ``seeds_dir`` on a daemon thread and calls ``on_change`` once changes settle.

    ``with SeedWatcher(...):`` or ``start()``/``stop()``. ``poll()`` runs one step on the
    caller's thread (tests use it with a fake clock).
    """

    def __init__(
        self,
        seeds_dir: Path | str,
        on_change: Callable[[], None],
        interval: float = 2.0,
        debounce: float = 3.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seeds_dir = Path(seeds_dir)
        self.on_change = on_change
        self.interval = interval
        self._clock = clock
        self._state = ChangeDebouncer(debounce)
        self._state.start(snapshot(self.seeds_dir))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> bool:
        """One look at the folder; returns True when it called ``on_change``."""
        if not self._state.observe(snapshot(self.seeds_dir), self._clock()):
            return False
        self._state.handled(retry=_call(self.on_change))
        return True

    def start(self) -> "SeedWatcher":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="citebot-seed-watcher", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> "SeedWatcher":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the watcher must outlive any one bad poll
                log.exception("seed watcher poll failed")


async def watch_seeds(
    seeds_dir: Path | str,
    on_change: OnChange,
    interval: float = 2.0,
    debounce: float = 3.0,
    *,
    started: asyncio.Event | None = None,
) -> None:
    """The asyncio variant: run as a task (``asyncio.create_task``); cancel it to stop.

    ``on_change`` may return an awaitable (an ``async def``), which is awaited here, so
    the next poll waits for the reindex it started. ``started`` is set once the first look
    is taken: what changes after that is noticed (what changed before is the baseline).
    """
    seeds_dir = Path(seeds_dir)
    loop = asyncio.get_running_loop()
    state = ChangeDebouncer(debounce)
    # stat() calls can block on a slow mount: keep them off the event loop.
    state.start(await asyncio.to_thread(snapshot, seeds_dir))
    if started is not None:
        started.set()
    while True:
        await asyncio.sleep(interval)
        try:
            snap = await asyncio.to_thread(snapshot, seeds_dir)
            if state.observe(snap, loop.time()):
                state.handled(retry=await _acall(on_change))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("seed watcher poll failed")


def _is_retry(exc: BaseException) -> bool:
    return isinstance(exc, ReindexRunning)


def _call(on_change: Callable[[], object]) -> bool:
    """Run a synchronous ``on_change``; True when it asked to be retried."""
    try:
        on_change()
    except Exception as exc:
        return _report(exc)
    return False


async def _acall(on_change: OnChange) -> bool:
    try:
        result = on_change()
        if inspect.isawaitable(result):
            await result
    except Exception as exc:
        return _report(exc)
    return False


def _report(exc: Exception) -> bool:
    if _is_retry(exc):
        log.info("seeds changed while a reindex runs; trying again shortly")
        return True
    log.error("reindex after a seeds change failed: %s", exc, exc_info=not isinstance(exc, CitebotError))
    return False
