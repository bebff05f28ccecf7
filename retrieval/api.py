"""One library's API: ask, sources, who, quote, and (re)indexing.

``Citebot`` owns the serving ``Searcher`` and swaps it for a new one only when a rebuild
has fully succeeded, so a question asked during a reindex is answered from the old index,
and a failed reindex leaves the old index serving.

A ``Citebot`` is one library: the shared one (``library=None``, today's seeds folder), or a
server's own (``library=<server id>``), which may hold no documents at all: it then serves
nothing, without error. ``libraries.Libraries`` holds many of them over one embedding model.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .documents.loading import LoadResult, load_documents, seed_fingerprint
from .index.embedder import Embedder, load_embedder
from .errors import (
    CitebotError,
    IndexFolderError,
    IndexUnavailable,
    NoDocumentsError,
    QuestionError,
    ReadOnlyLibrary,
    ReindexFailed,
    ReindexRunning,
    first_line,
    storage_reason,
)
from .query.feedback import FeedbackStore
from .index.build import Extracted, ReindexReport, build_generation, previous_documents
from .models import Answer, Document, LibraryId, Passage, Person, SourceInfo
from .people import AnnotationCache, PeopleIndex, PersonMatch, QuoteResult, build_extras, check_name, find_person, find_quotes
from .progress import ProgressFactory
from .query.question import AskOptions, Mode, Question, parse_question
from .query.search import EmptySearcher, QueryVectors, Searcher
from .text.clean import clean_text
from .documents.formats.cache import ExtractCache
from .documents.sentences import SplitCache
from .settings import Settings
from .index.store import (
    EmbeddingCache,
    IndexLock,
    current_generation,
    read_current,
    read_manifest,
    unpublish,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexState:
    """What is on disk, as ``ensure_index`` sees it."""

    folder: Path | None  # the generation CURRENT names, if it names one
    problem: str | None  # why a rebuild is needed; None when it matches the seeds and model
    usable: bool  # intact and from this model and format: it can serve, even if out of date
    damaged: bool = False  # missing, partial or corrupted (logged as a warning)


FEEDBACK_FILE = "feedback.sqlite"  # a library's votes, in its state folder

# How much a document dated in the time a question names is preferred (same scale as scores).
TIME_BOOST = 0.05


class Citebot:
    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, *, library: LibraryId = None, builds: bool = True
    ) -> None:
        """One library over ``settings``' seeds and index folders. ``library`` is the server
        whose own library this is (``None``: the shared one); what it serves says so, and a
        server's library may be empty. ``builds=False``: this process only reads the index
        (another one rebuilds it): an out-of-date index keeps serving, ``reindex`` raises
        ``ReadOnlyLibrary``, and ``refresh`` switches to a generation the other publishes."""
        self.settings = settings
        self.embedder: Embedder = embedder or load_embedder(settings.model)
        self.library = library
        self.builds = builds
        self._searcher: Searcher | EmptySearcher | None = None
        self._swap_lock = threading.Lock()
        self._reindex_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._feedback: FeedbackStore | None = None

    # ---- index lifecycle ---------------------------------------------------------------

    @property
    def index_dir(self) -> Path:
        return Path(self.settings.index_dir)

    @property
    def generation(self) -> str | None:
        """Name of the serving index generation (``None`` before the index is loaded)."""
        searcher = self._searcher
        return searcher.generation if searcher is not None else None

    @property
    def busy(self) -> bool:
        """A reindex is running in this process."""
        return self._reindex_lock.locked()

    @property
    def searcher(self) -> Searcher | EmptySearcher:
        """The serving searcher; loads (or builds) the index on first use."""
        searcher = self._searcher
        if searcher is None:
            with self._load_lock:  # many first questions at once: load once
                if self._searcher is None:
                    problem = self.ensure_serving()
                    if problem is not None:
                        log.error("serving the previous index: %s", problem)
            searcher = self._searcher
            assert searcher is not None
        return searcher

    def ensure_serving(self, progress: ProgressFactory | None = None) -> CitebotError | None:
        """``ensure_index`` for front ends that answer questions: when the rebuild cannot
        happen (it failed, or another process is running it) but an index loaded, that index
        serves and the error is returned for the front end to mention, not raised. Raises
        only when there is nothing to answer from."""
        try:
            self.ensure_index(progress)
        except CitebotError as exc:
            # ensure_index loads an intact but out-of-date index before rebuilding it:
            # answering from that beats refusing every question.
            if self._searcher is None:
                raise
            return exc
        return None

    def ensure_index(self, progress: ProgressFactory | None = None) -> ReindexReport | None:
        """Serve the persisted index if it matches the seeds and model; rebuild it otherwise.

        Returns the rebuild report, or ``None`` when the persisted index was fine (nothing
        is reloaded when it is already the one serving). An index that is intact but out of
        date is loaded first: it answers while the rebuild runs, and keeps answering if the
        rebuild fails (the error still propagates, see ``reindex``).
        """
        state = self._inspect_index()
        if state.folder is None and not state.damaged and self.library is not None and not self._has_candidates():
            self._swap(EmptySearcher(self.library))  # a server's library before its first document
            return None
        if state.usable and state.folder is not None:
            try:
                self._serve(state.folder)
            except Exception as exc:  # faiss/sqlite/bm25 raise their own kinds on damaged files
                state = IndexState(state.folder, f"index unreadable: {first_line(exc)}", usable=False, damaged=True)
        if state.problem is None:
            return None
        if not self.builds:
            if self._searcher is None:
                raise IndexUnavailable(f"{state.problem}: this process only reads the index of {self.index_dir}, another one builds it")
            log.info("serving an index that is out of date (%s): another process rebuilds it", state.problem)
            return None
        if state.damaged:
            log.warning("rebuilding the index from the seeds, the one on disk is unusable: %s", state.problem)
        else:
            log.info("rebuilding the index: %s", state.problem)
        return self.reindex(progress=progress, reason=state.problem)

    def _inspect_index(self) -> IndexState:
        folder, why = read_current(self.index_dir)
        if folder is None:
            return IndexState(None, why, usable=False, damaged=why != "no index yet")
        try:
            manifest = read_manifest(folder, verify=True)
        except IndexUnavailable as exc:
            return IndexState(folder, str(exc), usable=False, damaged=True)
        if manifest.model_id != self.embedder.model_id or manifest.dim != self.embedder.dim:
            change = f"{manifest.model_id}/{manifest.dim} -> {self.embedder.model_id}/{self.embedder.dim}"
            return IndexState(folder, f"model changed ({change})", usable=False)
        try:
            seeds = seed_fingerprint(self.settings.seeds_dir, self.settings.max_document_bytes)
        except CitebotError as exc:
            # Seeds gone while an index exists: keep serving what we have.
            log.warning("%s; serving the existing index", exc)
            return IndexState(folder, None, usable=True)
        if seeds != manifest.seeds:
            return IndexState(folder, "documents changed", usable=True)
        return IndexState(folder, None, usable=True)

    def _has_candidates(self) -> bool:
        """Does the seeds folder hold anything to index (or to skip with a reason)?"""
        try:
            return bool(seed_fingerprint(self.settings.seeds_dir, self.settings.max_document_bytes))
        except CitebotError:  # no seeds folder: a server's library that was never given a document
            return False

    def _serve(self, folder: Path) -> None:
        current = self._searcher
        if current is not None and current.folder == folder:
            return
        # _inspect_index has just checked every file against the manifest: hashing a
        # million-sentence index twice would double the start-up time.
        self._swap(Searcher(folder, self.embedder, verify=False, library=self.library))

    def refresh(self) -> bool:
        """Serve the generation ``CURRENT`` names if it is not the one serving: another process
        (``citebot index``, or the one that builds a shared library) has published a new one.
        Never rebuilds. True when it switched; a generation that cannot be loaded is logged
        and the current one keeps serving."""
        folder, _ = read_current(self.index_dir)
        current = self._searcher
        if current is None:
            return False  # nothing loaded yet: the first question loads whatever is current
        if folder is None:
            if self.library is not None and current.folder is not None and not (self.index_dir / "CURRENT").exists():
                self._swap(EmptySearcher(self.library))  # its last document was removed elsewhere
                return True
            return False
        if current.folder == folder:
            return False
        try:
            manifest = read_manifest(folder, verify=True)
            if manifest.model_id != self.embedder.model_id or manifest.dim != self.embedder.dim:
                raise IndexUnavailable(f"built with {manifest.model_id}/{manifest.dim}")
            searcher = Searcher(folder, self.embedder, verify=False, library=self.library)
        except Exception as exc:  # damaged, partial, another model: keep what serves
            log.warning("not switching to index %s: %s", folder.name, first_line(exc))
            return False
        self._swap(searcher)
        return True

    def reindex(self, progress: ProgressFactory | None = None, reason: str = "requested") -> ReindexReport:
        """Build a new generation from the seeds and swap it in; the old one serves until then.

        Raises ``ReindexRunning`` when a build is already running (here or in another
        process), ``SeedsFolderError``/``NoDocumentsError`` for an unusable seeds folder, and
        ``ReindexFailed`` for anything else (its cause attached). Whatever the error, the
        previous index keeps serving and ``CURRENT`` still names it; the message says so.
        A server's library with no documents left becomes empty instead of failing.
        """
        if not self.builds:
            raise ReadOnlyLibrary(f"this process only reads the index of {self.index_dir}; another one rebuilds it")
        if self.library is not None and not Path(self.settings.seeds_dir).exists() and not self.index_dir.exists():
            # A server's library that was never given a document: nothing to build, and no
            # folder to make for it.
            self._swap(EmptySearcher(self.library))
            return self._empty_report(LoadResult((), (), {}), reason, time.perf_counter())
        if not self._reindex_lock.acquire(blocking=False):
            raise ReindexRunning("a reindex is already running")
        try:
            lock = self._lock_index_dir()
            try:
                return self._reindex(progress, reason)
            except Exception as exc:
                raise self._failure(exc) from exc
            finally:
                lock.release()
        finally:
            self._reindex_lock.release()

    def _lock_index_dir(self) -> IndexLock:
        lock = IndexLock(self.index_dir)
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            what = "it is a file" if self.index_dir.is_file() else "part of its path is a file"
            raise IndexFolderError(f"index folder {self.index_dir} cannot be used: {what}") from exc
        except OSError as exc:
            raise self._failure(exc) from exc
        try:
            acquired = lock.acquire()
        except OSError as exc:
            raise self._failure(exc) from exc
        if not acquired:
            raise ReindexRunning("a reindex is already running (in another process)")
        return lock

    def _failure(self, exc: Exception) -> CitebotError:
        """The error a moderator sees, in one line: what went wrong, and whether an index
        still answers. Every caller reports it (the CLI prints it, the bot logs or shows
        it), so expected failures are not logged here as well; only a bug is, with its
        traceback."""
        tail = "; the previous index keeps answering" if self._previous_serves() else ""
        if isinstance(exc, CitebotError):
            log.debug("reindex failed: %s", exc)
            try:
                return type(exc)(f"{exc}{tail}")
            except TypeError:  # a subclass with another constructor
                return ReindexFailed(f"{exc}{tail}")
        reason = storage_reason(exc, self.index_dir)  # a full disk, an I/O error: expected, the reason says it all
        if reason is not None:
            log.debug("reindex failed: %s", reason, exc_info=exc)
        else:
            reason = first_line(exc)
            log.error("reindex failed: %s", reason, exc_info=exc)  # unexpected: keep where it came from
        return ReindexFailed(f"reindex failed: {reason}{tail}")

    def _previous_serves(self) -> bool:
        """Is there an index answering while this rebuild failed? One loaded here, or an intact
        one on disk (a bot in another process serves it); a damaged one answers nothing."""
        if self._searcher is not None:
            return True
        try:
            current = current_generation(self.index_dir)
            if current is None:
                return False
            read_manifest(current, verify=True)
        except (IndexUnavailable, OSError):
            return False
        return True

    def _reindex(self, progress: ProgressFactory | None, reason: str) -> ReindexReport:
        started = time.perf_counter()
        if self.library is not None and not Path(self.settings.seeds_dir).is_dir():
            loaded = LoadResult((), (), {})  # never given a document: nothing to read
        else:
            loaded = self._load_documents(progress)
        if not loaded.documents and self.library is not None:
            return self._publish_empty(loaded, reason, started)
        if not loaded.documents:
            detail = "; ".join(f"{s.name}: {s.reason}" for s in loaded.skipped)
            raise NoDocumentsError(
                f"no readable documents in {self.settings.seeds_dir}" + (f" (skipped {detail})" if detail else "")
            )
        loaded_back: list[Searcher] = []
        report = build_generation(
            self.index_dir,
            loaded,
            model_id=self.embedder.model_id,
            vectors=lambda texts: self._embed(texts, progress),
            extras=lambda docs: self._extras(docs, progress),
            # Load it back before publishing: what we serve is what is on disk.
            before_publish=lambda folder: loaded_back.append(Searcher(folder, self.embedder, library=self.library)),
            reason=reason,
            started=started,
        )
        self._swap(loaded_back[0])
        return report

    def _publish_empty(self, loaded: LoadResult, reason: str, started: float) -> ReindexReport:
        """A server's library whose documents are all gone serves nothing (not the last
        index, which would keep answering from removed documents)."""
        removed = tuple(sorted(previous_documents(self.index_dir)))
        unpublish(self.index_dir)
        self._swap(EmptySearcher(self.library))
        log.info("library %s has no documents: it answers nothing until one is added", self.library)
        return self._empty_report(loaded, reason, started, removed)

    @staticmethod
    def _empty_report(loaded: LoadResult, reason: str, started: float, removed: tuple[str, ...] = ()) -> ReindexReport:
        return ReindexReport(
            added=(), changed=(), removed=removed, unchanged=(), skipped=loaded.skipped, documents=0,
            paragraphs=0, sentences=0, embedded=0, seconds=time.perf_counter() - started, reason=reason,
        )

    def _load_documents(self, progress: ProgressFactory | None) -> LoadResult:
        with SplitCache(self.index_dir / "splits.sqlite") as splits, ExtractCache(self.index_dir / "extracts.sqlite") as extracts:
            return load_documents(self.settings.seeds_dir, splits, progress, self.settings.max_document_bytes, extracts)

    def _extras(self, docs: tuple[Document, ...], progress: ProgressFactory | None) -> Extracted:
        """People and quotes (the extras) and the reader's aids: one spaCy pass for both."""
        from .index.aids import reading_aids
        from .people.nlp import annotate_paragraphs, pipeline_id

        with AnnotationCache(self.index_dir / "annotations.sqlite") as cache:
            annotations = annotate_paragraphs(docs, cache, progress)
            extras = build_extras(docs, cache, progress, annotations)
            # Candidate answers and where each term is are found here, once, not per question.
            return Extracted(extras, reading_aids(docs, annotations, cache, pipeline_id()))

    def _embed(self, texts: list[str], progress: ProgressFactory | None) -> tuple[Any, int]:
        """Vectors for ``texts``, through the cache; returns them and how many were computed."""

        def encode(batch: list[str]) -> Any:  # only texts the cache lacks
            return self.embedder.encode(batch, batch_size=64)

        with EmbeddingCache(self.index_dir / "embeddings.sqlite") as cache:
            return cache.embed(texts, self.embedder.model_id, encode, self.embedder.dim, progress)

    def _swap(self, searcher: Searcher | EmptySearcher) -> None:
        with self._swap_lock:
            self._searcher = searcher
        # The old searcher is not closed: a question in flight may still be using it. It is
        # freed (its SQLite connection closed) when the last such question lets go of it.

    # ---- questions ---------------------------------------------------------------------

    def parse_question(self, text: str | None, *, since: str | None = None, until: str | None = None) -> Question:
        """``text`` as a ``Question`` under this citebot's limits, or ``QuestionError`` (one
        line, for the user): front ends call it as a question arrives, to fail fast."""
        return parse_question(text, since=since, until=until, max_chars=self.settings.max_question_chars)

    def ask(
        self,
        question: Question | str,
        k: int = 3,
        *,
        scope: int | None = None,
        since: str | None = None,
        until: str | None = None,
        mode: Mode = "hybrid",
        pool: int = AskOptions.pool,
    ) -> Answer:
        """The answer to ``question``. ``scope`` (a Discord server id) applies that
        community's votes; a time named in the question ("in January 2025") prefers
        documents from then. A ``Question`` from ``parse_question`` is taken as it is (its
        date filters with it); text is parsed here, with ``since``/``until`` (YYYY-MM-DD)
        keeping only documents dated so."""
        if not isinstance(question, Question):
            question = self.parse_question(question, since=since, until=until)
        elif since is not None or until is not None:
            raise TypeError("a parsed Question carries its own since/until")
        options = AskOptions(k=k, mode=mode, pool=pool, scope=scope)
        vectors = QueryVectors(self.embedder.encode)
        votes = self.feedback if scope is not None else None
        adjust = adjuster(question, votes, scope, vectors)
        return self.searcher.ask(question, options, adjust=adjust, vectors=vectors)

    @property
    def feedback_path(self) -> Path:
        return Path(self.settings.state_dir) / FEEDBACK_FILE

    def existing_feedback(self) -> FeedbackStore | None:
        """The votes, if any were ever cast: no file is made to find there are none."""
        if self._feedback is None and not self.feedback_path.exists():
            return None
        return self.feedback

    @property
    def feedback(self) -> FeedbackStore:
        if self._feedback is None:
            with self._swap_lock:
                if self._feedback is None:
                    self._feedback = FeedbackStore(self.feedback_path, self.embedder.encode)
        return self._feedback

    def close(self) -> None:
        """Close the file this library keeps open between questions (its votes); using the
        votes again reopens it. The searcher is not closed: a question still running keeps
        it, and it is freed after (as a replaced one is, see ``_swap``)."""
        with self._swap_lock:
            feedback, self._feedback = self._feedback, None
        if feedback is not None:
            feedback.close()

    def sources(self) -> list[SourceInfo]:
        """Indexed documents, newest first; undated ones last."""
        sources = self.searcher.sources()  # once: a reindex may swap the searcher in between
        dated = sorted((s for s in sources if s.date), key=lambda s: (s.date, s.doc), reverse=True)
        return dated + [s for s in sources if not s.date]

    def context(self, passage: Passage) -> list[Passage]:
        """The cited sentence with the sentences around it (for "Show context")."""
        return self.searcher.context(passage)

    def people(self) -> list[Person]:
        return list(self.searcher.people_index.people)

    def who(self, name: str) -> PersonMatch:
        return who_in(self.people(), name)

    def quotes(self, topic: str | None = None, speaker: str | None = None) -> QuoteResult:
        """Quotes ranked by meaning against ``topic`` (all when no topic), by ``speaker``."""
        # One searcher for the whole call: a reindex may swap in another mid-way.
        return quotes_in(self.searcher.people_index, topic, speaker, self.settings.max_question_chars, self.embedder.encode)


# The rules below are shared by one library (``Citebot``) and a scope over several
# (``libraries.Scope``): a question over two libraries is nudged, and a name or topic
# checked, exactly as over one.


def adjuster(
    question: Question, votes: FeedbackStore | None, scope: int | None, vectors: QueryVectors
) -> Callable[[list[Passage]], list[float]] | None:
    """The bounded nudges of a question's ranking: a time the question names prefers
    documents from then; ``votes`` (the server ``scope``'s) prefer passages voted up there."""
    named = question.named_time
    if named is None and (votes is None or scope is None):
        return None

    def adjust(passages: list[Passage]) -> list[float]:
        boosts = [0.0] * len(passages)
        if named is not None:
            start, end = named
            boosts = [b + (TIME_BOOST if p.date and start <= p.date <= end else 0.0) for b, p in zip(boosts, passages)]
        if votes is not None and scope is not None:
            boosts = [b + v for b, v in zip(boosts, votes.boosts(scope, vectors(question.text), passages))]
        return boosts

    return adjust


def who_in(people: list[Person], name: str) -> PersonMatch:
    return find_person(people, check_name(clean_text(name)))


def quotes_in(
    index: PeopleIndex, topic: str | None, speaker: str | None, max_chars: int, encode: Callable[[list[str]], Any]
) -> QuoteResult:
    speaker = check_name(clean_text(speaker)) if speaker else None
    topic = clean_text(topic) if topic else None
    if topic and len(topic) > max_chars:
        raise QuestionError(f"the topic is too long ({len(topic):,} characters; the limit is {max_chars:,})")
    return find_quotes(index, topic, speaker, encode)


