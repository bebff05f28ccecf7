"""Many libraries in one process: the shared one and every server's own, over one model.

A **library** is a set of documents with its own seeds folder, index generations, caches
and state: one ``Citebot``. The **shared library** is where it always was (the seeds and
index folders of the settings, its state in the data folder), so an install from before
libraries keeps working unchanged. Each **server library** lives in the data folder::

    servers/<server id>/
        seeds/                   its documents (``add_document``/``remove_document``)
        removed/                 documents removed from it
        index/                   its index generations, caches and LOCK
        state/feedback.sqlite    the server's votes (on any passage of its scope)
    servers/removed/<id>-<time>/ a library ``forget`` moved aside, whole
    feedback.sqlite.migrated     the one votes file of older versions, once split by server

A server library starts empty (it answers nothing, lists nothing: not an error), is loaded
on first use and unloaded least-recently-used beyond the budget (``CITEBOT_LIBRARY_BUDGET``).
Unloading drops the reference only: a question still using its searcher finishes, and the
searcher is freed after it (as ``Citebot._swap`` does with a replaced one). Every library
has its own locks, so a reindex of one never blocks a question to another.

A question is asked of a ``Scope``: a server's library and the shared one (or the shared one
alone, in a DM), ranked together. Nothing of one server's library is ever in another's scope.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

from .api import FEEDBACK_FILE, Citebot, adjuster, quotes_in, who_in
from .documents.seeds import list_documents
from .errors import CitebotError, ReindexRunning, StorageError, UnknownLibrary
from .index.embedder import Embedder
from .index.store import IndexLock, fsync_dir
from .models import Answer, LibraryId, Passage, Person, SourceInfo
from .people import PeopleIndex, PersonMatch, QuoteResult
from .query.feedback import FeedbackStore, split_votes
from .query.question import AskOptions, Mode, Question, parse_question
from .query.search import RELATIVE_FLOOR, QueryVectors
from .settings import Settings

log = logging.getLogger(__name__)

SERVERS_FOLDER = "servers"
FORGOTTEN_FOLDER = "removed"  # inside servers/: never a server id, so never a library
MAX_SERVER_ID = 2**64 - 1  # a Discord id is an unsigned 64-bit snowflake


def check_server_id(server_id: object) -> int:
    """``server_id`` if it can name a server's library (a positive 64-bit whole number), else
    ``UnknownLibrary``: it becomes a folder name, so nothing else may get through."""
    if isinstance(server_id, bool) or not isinstance(server_id, int) or not 0 < server_id <= MAX_SERVER_ID:
        raise UnknownLibrary(f"{str(server_id)[:40]!r} is not a server id (a Discord id: a whole number)")
    return server_id


def server_folder(data_dir: Path, server_id: int) -> Path:
    """Where server ``server_id``'s library lives under the data folder: ``seeds/``, ``index/``
    and ``state/`` (its votes, and the bot's settings and posted answers of that server)."""
    return Path(data_dir) / SERVERS_FOLDER / str(check_server_id(server_id))


def parse_server_id(text: str) -> int:
    """A server id typed by a person (``--server ID``), or ``UnknownLibrary`` in one line."""
    raw = text.strip()
    if not raw.isascii() or not raw.isdigit():
        raise UnknownLibrary(f"{raw[:40]!r} is not a server id (a Discord id: digits only)")
    return check_server_id(int(raw))


def library_label(library: LibraryId) -> str:
    """How a library is named to people: "the shared library" or "server 123's library"."""
    return "the shared library" if library is None else f"server {library}'s library"


class Libraries:
    """The shared library and every server's, loaded as used. Thread-safe: the bot calls it
    from worker threads.

    ``budget`` (default ``settings.library_budget``) is how many server libraries stay loaded;
    ``build_shared=False`` makes this process a reader of the shared library, which another
    process builds (``Citebot(builds=False)``; ``refresh_shared`` picks up what it publishes).
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        budget: int | None = None,
        build_shared: bool = True,
    ) -> None:
        self.settings = settings
        self.budget = settings.library_budget if budget is None else budget
        if self.budget < 1:
            raise ValueError("the library budget is at least 1")
        self.shared = Citebot(settings, embedder, builds=build_shared)
        self.embedder: Embedder = self.shared.embedder  # loaded once, for every library
        self._loaded: OrderedDict[int, Citebot] = OrderedDict()
        self._lock = threading.Lock()  # guards _loaded only: never held while loading or building
        self._votes_split = False
        self._votes_lock = threading.Lock()

    # ---- where things are ----------------------------------------------------------------

    @property
    def servers_dir(self) -> Path:
        return Path(self.settings.state_dir) / SERVERS_FOLDER

    def folder(self, server_id: int) -> Path:
        """Server ``server_id``'s library folder (it may not exist: an empty library)."""
        return server_folder(self.settings.state_dir, server_id)

    def settings_for(self, server_id: int | None) -> Settings:
        """The settings of one library: the shared one's are this instance's own."""
        if server_id is None:
            return self.settings
        folder = self.folder(server_id)
        return replace(self.settings, seeds_dir=folder / "seeds", index_dir=folder / "index", data_dir=folder / "state")

    def seeds_folder(self, server_id: int | None, *, create: bool = False) -> Path:
        """The seeds folder of a library, for ``add_document``/``remove_document``/``list_documents``;
        ``create`` makes a server's (a new library's first document needs it)."""
        seeds = Path(self.settings_for(server_id).seeds_dir)
        if create and server_id is not None:
            try:
                seeds.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CitebotError(f"cannot create {seeds}: {exc.strerror or exc}") from exc
        return seeds

    def documents(self, server_id: int | None) -> list[str]:
        """The document names in a library's seeds folder (what ``remove_document`` can name);
        none for a server's library that was never given one."""
        seeds = self.seeds_folder(server_id)
        if server_id is not None and not seeds.is_dir():
            return []
        return list_documents(seeds)

    def servers(self) -> list[int]:
        """The servers that have a library folder (documents added once, or votes), by id."""
        try:
            names = [entry.name for entry in self.servers_dir.iterdir() if entry.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(int(n) for n in names if n.isascii() and n.isdigit() and 0 < int(n) <= MAX_SERVER_ID)

    # ---- libraries -----------------------------------------------------------------------

    def library(self, server_id: int | None) -> Citebot:
        """One library: the shared one for ``None``, else that server's (made on first use,
        loaded on its first question). The least recently used beyond the budget is unloaded."""
        if server_id is None:
            return self.shared
        server_id = check_server_id(server_id)
        self._split_old_votes()  # before any server's votes file can be opened
        with self._lock:
            citebot = self._loaded.get(server_id)
            if citebot is not None:
                self._loaded.move_to_end(server_id)
                return citebot
            citebot = Citebot(self.settings_for(server_id), self.embedder, library=server_id)
            self._loaded[server_id] = citebot
            self._unload_beyond_budget()
        return citebot

    def _unload_beyond_budget(self) -> None:
        """Drop the least recently used libraries past the budget (called with the lock held).
        One that is rebuilding stays until it is done: a second ``Citebot`` over the same
        folder would find the index locked by the first."""
        excess = len(self._loaded) - self.budget
        for server_id in list(self._loaded)[:-1]:  # never the one just asked for
            if excess <= 0:
                break
            if not self._loaded[server_id].busy:
                del self._loaded[server_id]
                excess -= 1

    def loaded(self) -> list[int]:
        """The server libraries held now, least recently used first."""
        with self._lock:
            return list(self._loaded)

    def refresh(self) -> list[LibraryId]:
        """Switch every loaded library to the generation another process has published for
        it since (``citebot index``/``add``/``remove`` on the command line, or the process that
        builds the shared library); returns the libraries that switched. Cheap (a small file
        read per loaded library): a bot can call it every few seconds."""
        with self._lock:
            loaded = list(self._loaded.values())
        return [c.library for c in (self.shared, *loaded) if c.refresh()]

    def scope(self, server_id: int | None, *, shared: bool = True) -> Scope:
        """What a question in ``server_id`` is answered from: its library and, unless
        ``shared=False`` (the server turned it off), the shared library. ``None`` (a DM): the
        shared library alone. Ask for a scope per request; do not keep one."""
        libraries: list[Citebot] = []
        if server_id is not None:
            libraries.append(self.library(server_id))
        if shared or server_id is None:
            libraries.append(self.shared)
        votes = (lambda: self._existing_votes(server_id)) if server_id is not None else (lambda: None)
        return Scope(tuple(libraries), server_id, votes, self.settings, self.embedder)

    # ---- votes ---------------------------------------------------------------------------

    def feedback(self, server_id: int) -> FeedbackStore:
        """Server ``server_id``'s votes (``servers/<id>/state/feedback.sqlite``, made on first
        use). Votes from before libraries are moved into it first (``split_votes``)."""
        return self.library(server_id).feedback

    def _existing_votes(self, server_id: int) -> FeedbackStore | None:
        """The votes to apply to a question, without making a file for a server that never voted."""
        return self.library(server_id).existing_feedback()

    def _split_old_votes(self) -> None:
        """Older versions kept every server's votes in one file beside the shared index:
        each server's rows move to its own file, once, before any of them is opened. A disk
        that refuses is logged and tried again on the next start: questions go on meanwhile,
        and a vote cast meanwhile is kept beside the old ones when they move."""
        if self._votes_split:
            return
        with self._votes_lock:
            if self._votes_split:
                return

            def destination(scope: Any) -> Path | None:
                try:
                    return Path(self.settings_for(scope).state_dir) / FEEDBACK_FILE
                except UnknownLibrary:
                    return None

            try:
                split_votes(self.shared.feedback_path, destination)
            except StorageError as exc:
                log.error("the votes of %s are not moved to each server's file yet: %s", self.shared.feedback_path, exc)
            self._votes_split = True

    def close(self) -> None:
        """Close every loaded library's votes file and unload the server libraries (a front
        end that stops calls it). Using the libraries again loads them again."""
        with self._lock:
            loaded = list(self._loaded.values())
            self._loaded.clear()
        for citebot in (self.shared, *loaded):
            citebot.close()

    # ---- forgetting ----------------------------------------------------------------------

    def forget(self, server_id: int) -> Path:
        """Move server ``server_id``'s whole library (documents, index, votes) aside to
        ``servers/removed/<id>-<time>/`` and return where; nothing is deleted. Raises
        ``UnknownLibrary`` when the server has no library folder and ``ReindexRunning`` while
        its index is being rebuilt (here or by another process)."""
        folder = self.folder(server_id)
        if not folder.is_dir():
            raise UnknownLibrary(f"server {server_id} has no library in {self.servers_dir}")
        with self._lock:
            citebot = self._loaded.pop(server_id, None)
        if citebot is not None and citebot.busy:
            with self._lock:
                self._loaded[server_id] = citebot
            raise ReindexRunning(f"{library_label(server_id)} is being rebuilt; forget it once that is done")
        lock = IndexLock(folder / "index")
        if (folder / "index").is_dir() and not lock.acquire():
            raise ReindexRunning(f"{library_label(server_id)} is being rebuilt by another process; forget it once that is done")
        try:
            aside = self.servers_dir / FORGOTTEN_FOLDER / f"{server_id}-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(2)}"
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.rename(folder, aside)
        except OSError as exc:
            raise CitebotError(f"cannot move {folder} aside: {exc.strerror or exc}") from exc
        finally:
            lock.release()
        fsync_dir(self.servers_dir)
        log.info("%s moved to %s", library_label(server_id), aside)
        return aside


class Scope:
    """The libraries one question is answered from (a server's and the shared one, or the
    shared one alone), with the question API of ``Citebot``: ``parse_question``, ``ask``,
    ``sources``, ``people``, ``who``, ``quotes``, ``context``. Results from all of them are
    ranked together, and each says which library it is from (``library``: ``None`` for the
    shared one, else the server id).

    Made by ``Libraries.scope``; short-lived (a library it holds may be unloaded meanwhile,
    and is then freed when the scope is)."""

    def __init__(
        self,
        libraries: Sequence[Citebot],
        server_id: int | None,
        votes: Callable[[], FeedbackStore | None],
        settings: Settings,
        embedder: Embedder,
    ) -> None:
        self.libraries = tuple(libraries)
        self.server_id = server_id
        self._votes = votes
        self.settings = settings
        self.embedder = embedder

    def includes(self, library: LibraryId) -> bool:
        """Is ``library`` (a result's ``library``) one this scope answers from?"""
        return any(c.library == library for c in self.libraries)

    def parse_question(self, text: str | None, *, since: str | None = None, until: str | None = None) -> Question:
        """As ``Citebot.parse_question``: a ``Question`` under the limits, or ``QuestionError``."""
        return parse_question(text, since=since, until=until, max_chars=self.settings.max_question_chars)

    def ask(
        self,
        question: Question | str,
        k: int = 3,
        *,
        since: str | None = None,
        until: str | None = None,
        mode: Mode = "hybrid",
        pool: int = AskOptions.pool,
    ) -> Answer:
        """The answer from every library of the scope, ranked together. The question is
        embedded once for all of them; the server's votes and a time the question names nudge
        each library's ranking as they would one library's. Each library decides whether it
        answers; the passages of those that do are merged by score (the short answer is the
        best one's), and when none does, the closest passages of all are."""
        if not isinstance(question, Question):
            question = self.parse_question(question, since=since, until=until)
        elif since is not None or until is not None:
            raise TypeError("a parsed Question carries its own since/until")
        options = AskOptions(k=k, mode=mode, pool=pool, scope=self.server_id)
        vectors = QueryVectors(self.embedder.encode)
        votes = self._votes() if self.server_id is not None else None
        adjust = adjuster(question, votes, self.server_id, vectors)
        answers = [c.searcher.ask(question, options, adjust=adjust, vectors=vectors) for c in self.libraries]
        return merge_answers(answers, options.k, options.pool)

    def sources(self) -> list[SourceInfo]:
        """Every library's documents, newest first; undated ones last."""
        sources = [s for c in self.libraries for s in c.searcher.sources()]
        dated = sorted((s for s in sources if s.date), key=lambda s: (s.date, s.doc), reverse=True)
        return dated + [s for s in sources if not s.date]

    def _people_index(self) -> PeopleIndex:
        return PeopleIndex.merged([c.searcher.people_index for c in self.libraries])

    def people(self) -> list[Person]:
        """Everyone the scope's documents name; a person named in two libraries is one."""
        return list(self._people_index().people)

    def who(self, name: str) -> PersonMatch:
        return who_in(self.people(), name)

    def quotes(self, topic: str | None = None, speaker: str | None = None) -> QuoteResult:
        """Quotes from every library, ranked together by meaning against ``topic``."""
        return quotes_in(self._people_index(), topic, speaker, self.settings.max_question_chars, self.embedder.encode)

    def context(self, passage: Passage) -> list[Passage]:
        """The sentences around ``passage``, from the library it is from. A passage of a
        library outside this scope is returned alone: no other library is ever read for it."""
        for citebot in self.libraries:
            if citebot.library == passage.library:
                return citebot.context(passage)
        return [passage]


def merge_answers(answers: Sequence[Answer], k: int, pool: int) -> Answer:
    """Several libraries' answers to one question as one. One answer is returned as it is, so a
    scope of one library answers exactly as that library does."""
    if len(answers) == 1:
        return answers[0]
    answered = [a for a in answers if a.answered and a.results]
    # A library whose documents do not answer would only add noise beside one whose do.
    chosen = answered or list(answers)
    passages = sorted((p for a in chosen for p in (*a.results, *a.more)), key=lambda p: -p.score)
    short = confidence = None
    if answered:
        best = max(answered, key=lambda a: a.results[0].score)
        short, confidence = best.short_answer, best.short_answer_confidence
        floor = passages[0].score * RELATIVE_FLOOR  # as within one library: far weaker is noise
        passages = [p for p in passages if p.score >= floor]
    passages = passages[: max(k, pool)]
    return Answer(answers[0].question, bool(answered), short, tuple(passages[:k]), tuple(passages[k:]), confidence)
