"""The one API both front ends use: ask, sources, who, quote, and (re)indexing.

``Citebot`` owns the serving ``Searcher`` and swaps it for a new one only when a rebuild
has fully succeeded, so a question asked during a reindex is answered from the old index,
and a failed reindex leaves the old index serving.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .documents.loading import LoadResult, load_documents, seed_fingerprint
from .index.embedder import Embedder, load_embedder
from .text.dates import parse_day, time_in_question
from .errors import (
    CitebotError,
    IndexFolderError,
    IndexUnavailable,
    NoDocumentsError,
    QuestionError,
    first_line,
    storage_reason,
)
from .query.feedback import FeedbackStore
from .index.lexical import LexicalIndex
from .models import Answer, Document, Mention, Passage, Person, Quote, Role, SkippedFile, SourceInfo
from .query.abstain import Vocabulary
from .progress import ProgressFactory
from .query.search import Searcher, clean_text, document_headers
from .documents.formats.cache import ExtractCache
from .documents.sentences import SplitCache
from .settings import Settings
from .text.show import shown
from .index.store import (
    EmbeddingCache,
    IndexLock,
    current_generation,
    new_generation_folder,
    paragraph_context,
    publish,
    read_current,
    read_manifest,
    write_generation,
)

if TYPE_CHECKING:
    from .people.extract import AnnotationCache

log = logging.getLogger(__name__)


class ReindexRunning(CitebotError):
    """A reindex is already in progress (in this process or another one on the same index)."""


class ReindexFailed(CitebotError):
    """A rebuild failed part way (disk full, a library error); the previous index keeps
    serving and ``CURRENT`` is untouched. The original exception is the ``__cause__``."""


@dataclass(frozen=True)
class ReindexReport:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]
    documents: int
    paragraphs: int
    sentences: int
    embedded: int  # texts that had to go through the model (the rest came from the cache)
    seconds: float
    reason: str = "requested"
    generation: str = ""  # the folder now named in CURRENT

    def summary(self) -> str:
        parts = [f"{self.documents} documents, {self.paragraphs} paragraphs, {self.sentences} sentences in {self.seconds:.1f}s"]
        # File names are whatever the folder holds: shown, so none can split the summary
        # into forged lines or act on the terminal that prints it.
        for label, names in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if names:
                parts.append(f"{label}: {', '.join(map(shown, names))}")
        if self.skipped:
            parts.append("skipped: " + "; ".join(f"{shown(s.name)} ({shown(s.reason)})" for s in self.skipped))
        parts.append(f"{len(self.unchanged)} unchanged; {self.embedded} texts embedded, the rest from cache")
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "generation": self.generation,
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": list(self.removed),
            "unchanged": list(self.unchanged),
            "skipped": [{"name": s.name, "reason": s.reason} for s in self.skipped],
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "sentences": self.sentences,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class IndexState:
    """What is on disk, as ``ensure_index`` sees it."""

    folder: Path | None  # the generation CURRENT names, if it names one
    problem: str | None  # why a rebuild is needed; None when it matches the seeds and model
    usable: bool  # intact and from this model and format: it can serve, even if out of date
    damaged: bool = False  # missing, partial or corrupted (logged as a warning)


# How much a document dated in the time a question names is preferred (same scale as scores).
TIME_BOOST = 0.05

# A topic must be at least this close to a quote (cosine) for the quote to count as about it.
QUOTE_MIN_SIMILARITY = 0.2



def build_extras(
    documents: tuple[Document, ...], cache: AnnotationCache | None = None, progress: ProgressFactory | None = None
) -> dict[str, object]:
    """People, quotes and reported speech, found once at index time and stored with the index."""
    from .people.extract import extract_people
    from .people.quotes import extract_quotes, reported_speech

    people = extract_people(documents, cache, progress)
    quotes = extract_quotes(documents, people)
    return {
        "people": [
            p.to_json() | {"roles_detail": [r.__dict__ for r in p.roles], "mentions": [m.__dict__ for m in p.mentions]}
            for p in people
        ],
        "quotes": [q.to_json() | {"title": q.title, "date": q.date} for q in quotes],
        "reported": [r.to_json() for r in reported_speech(documents, people)],
    }


class Citebot:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder: Embedder = embedder or load_embedder(settings.model)
        self._searcher: Searcher | None = None
        self._swap_lock = threading.Lock()
        self._reindex_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._feedback: FeedbackStore | None = None
        self._people_cache: tuple[Searcher, list[Person]] | None = None

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
    def searcher(self) -> Searcher:
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
        if state.usable and state.folder is not None:
            try:
                self._serve(state.folder)
            except Exception as exc:  # faiss/sqlite/bm25 raise their own kinds on damaged files
                state = IndexState(state.folder, f"index unreadable: {first_line(exc)}", usable=False, damaged=True)
        if state.problem is None:
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

    def _serve(self, folder: Path) -> None:
        current = self._searcher
        if current is not None and current.folder == folder:
            return
        # _inspect_index has just checked every file against the manifest: hashing a
        # million-sentence index twice would double the start-up time.
        self._swap(Searcher(folder, self.embedder, verify=False))

    def reindex(self, progress: ProgressFactory | None = None, reason: str = "requested") -> ReindexReport:
        """Build a new generation from the seeds and swap it in; the old one serves until then.

        Raises ``ReindexRunning`` when a build is already running (here or in another
        process), ``SeedsFolderError``/``NoDocumentsError`` for an unusable seeds folder, and
        ``ReindexFailed`` for anything else (its cause attached). Whatever the error, the
        previous index keeps serving and ``CURRENT`` still names it; the message says so.
        """
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
        loaded = self._load_documents(progress)
        if not loaded.documents:
            detail = "; ".join(f"{s.name}: {s.reason}" for s in loaded.skipped)
            raise NoDocumentsError(
                f"no readable documents in {self.settings.seeds_dir}" + (f" (skipped {detail})" if detail else "")
            )
        previous = self._previous_documents()
        docs = loaded.documents
        sentences = [s.text for d in docs for p in d.paragraphs for s in p.sentences]
        contexts = [paragraph_context(d, p.number) for d in docs for p in d.paragraphs]
        vectors, embedded = self._embed(sentences + contexts, progress)
        lexical = LexicalIndex.build(lexical_texts(docs))
        extras = self._extras(docs, progress)
        extras["vocabulary"] = Vocabulary.for_corpus(
            (p.text for d in docs for p in d.paragraphs), document_headers(docs)
        ).to_json()
        folder = new_generation_folder(self.index_dir)
        try:
            write_generation(
                folder,
                docs,
                loaded.skipped,
                vectors[: len(sentences)],
                vectors[len(sentences) :],
                self.embedder.model_id,
                extras,
                lexical.save,
                loaded.hashes,
            )
            searcher = Searcher(folder, self.embedder)  # load it back: what we serve is what is on disk
            publish(self.index_dir, folder)
        except BaseException:
            if current_generation(self.index_dir) != folder:
                shutil.rmtree(folder, ignore_errors=True)  # never leave a half-built generation
            raise
        self._swap(searcher)
        now = {d.doc: d.sha256 for d in docs}
        report = ReindexReport(
            added=tuple(sorted(set(now) - set(previous))),
            changed=tuple(sorted(d for d in now if d in previous and previous[d] != now[d])),
            removed=tuple(sorted(set(previous) - set(now))),
            unchanged=tuple(sorted(d for d in now if previous.get(d) == now[d])),
            skipped=loaded.skipped,
            documents=len(docs),
            paragraphs=len(contexts),
            sentences=len(sentences),
            embedded=embedded,
            seconds=time.perf_counter() - started,
            reason=reason,
            generation=folder.name,
        )
        log.info("index rebuilt (%s): %s", reason, report.summary().replace("\n", "; "))
        return report

    def _load_documents(self, progress: ProgressFactory | None) -> LoadResult:
        with SplitCache(self.index_dir / "splits.sqlite") as splits, ExtractCache(self.index_dir / "extracts.sqlite") as extracts:
            return load_documents(self.settings.seeds_dir, splits, progress, self.settings.max_document_bytes, extracts)

    def _extras(self, docs: tuple[Document, ...], progress: ProgressFactory | None) -> dict[str, object]:
        from .people.extract import AnnotationCache

        with AnnotationCache(self.index_dir / "annotations.sqlite") as cache:
            return build_extras(docs, cache, progress)

    def _embed(self, texts: list[str], progress: ProgressFactory | None) -> tuple[Any, int]:
        """Vectors for ``texts``, through the cache; returns them and how many were computed."""

        def encode(batch: list[str]) -> Any:  # only texts the cache lacks
            return self.embedder.encode(batch, batch_size=64)

        with EmbeddingCache(self.index_dir / "embeddings.sqlite") as cache:
            return cache.embed(texts, self.embedder.model_id, encode, self.embedder.dim, progress)

    def _previous_documents(self) -> dict[str, str]:
        folder = current_generation(self.index_dir)
        if folder is None:
            return {}
        try:
            return read_manifest(folder, verify=False).documents
        except IndexUnavailable:
            return {}

    def _swap(self, searcher: Searcher) -> None:
        with self._swap_lock:
            self._searcher = searcher
        # The old searcher is not closed: a question in flight may still be using it. It is
        # freed (its SQLite connection closed) when the last such question lets go of it.

    # ---- questions ---------------------------------------------------------------------

    def ask(
        self,
        question: str,
        k: int = 3,
        *,
        scope: int | None = None,
        since: str | None = None,
        until: str | None = None,
        **options: Any,
    ) -> Answer:
        """The answer to ``question``. ``scope`` (a Discord server id) applies that
        community's votes; ``since``/``until`` (YYYY-MM-DD) keep only documents dated so;
        a time named in the question ("in January 2025") prefers documents from then."""
        options.setdefault("max_chars", self.settings.max_question_chars)
        since, until = parse_day(since, "since"), parse_day(until, "until")
        if since and until and since > until:
            raise QuestionError("since must not be after until")
        adjust = self._adjuster(question, scope)
        return self.searcher.ask(question, k, since=since, until=until, adjust=adjust, **options)

    def _adjuster(self, question: str, scope: int | None):
        named = time_in_question(question)
        votes = self.feedback if scope is not None else None
        if named is None and votes is None:
            return None

        def adjust(passages: list[Passage]) -> list[float]:
            boosts = [0.0] * len(passages)
            if named is not None:
                start, end = named
                boosts = [b + (TIME_BOOST if p.date and start <= p.date <= end else 0.0) for b, p in zip(boosts, passages)]
            if votes is not None:
                vector = self.embedder.encode([question])[0]
                boosts = [b + v for b, v in zip(boosts, votes.boosts(scope, vector, passages))]
            return boosts

        return adjust

    @property
    def feedback(self) -> FeedbackStore:
        if self._feedback is None:
            with self._swap_lock:
                if self._feedback is None:
                    self._feedback = FeedbackStore(self.settings.state_dir / "feedback.sqlite", self.embedder.encode)
        return self._feedback

    def sources(self) -> list[SourceInfo]:
        """Indexed documents, newest first; undated ones last."""
        sources = self.searcher.sources()  # once: a reindex may swap the searcher in between
        dated = sorted((s for s in sources if s.date), key=lambda s: (s.date, s.doc), reverse=True)
        return dated + [s for s in sources if not s.date]

    def context(self, passage: Passage) -> list[Passage]:
        """The cited sentence with the sentences around it (for "Show context")."""
        return self.searcher.context(passage)

    def people(self) -> list[Person]:
        return self._people_of(self.searcher)

    def _people_of(self, searcher: Searcher) -> list[Person]:
        # Parsed once per index generation: autocomplete asks on every keystroke.
        cached = self._people_cache
        if cached is None or cached[0] is not searcher:
            cached = (searcher, people_from_extras(searcher.extras))
            self._people_cache = cached
        return cached[1]

    def who(self, name: str) -> PersonLookup:
        return lookup_person(self.people(), _clean_name(name))

    def quotes(self, topic: str | None = None, speaker: str | None = None) -> QuoteResult:
        """Quotes ranked by meaning against ``topic`` (all when no topic), by ``speaker``."""
        # One searcher for the whole call: a reindex may swap in another mid-way.
        searcher = self.searcher
        quotes = quotes_from_extras(searcher.extras)
        speaker = _clean_name(speaker) if speaker else None
        topic = clean_text(topic) if topic else None
        if topic and len(topic) > self.settings.max_question_chars:
            raise QuestionError(f"the topic is too long ({len(topic):,} characters; the limit is {self.settings.max_question_chars:,})")
        if speaker:
            match = lookup_person(self._people_of(searcher), speaker)
            if match.person is None:
                hint = f" Closest: {', '.join(match.suggestions)}." if match.suggestions else ""
                return QuoteResult((), f"No one called {speaker!r} in the documents.{hint}")
            quotes = [q for q in quotes if q.speaker == match.person.name]
        if not topic or not topic.strip() or not quotes:
            return QuoteResult(tuple(quotes), None if quotes else self._reported_note(topic, searcher))
        import numpy as np

        vectors = self.embedder.encode([topic] + [q.text for q in quotes])
        scores = vectors[1:] @ vectors[0]
        order = np.argsort(-scores)
        ranked = tuple(quotes[i] for i in order if scores[i] >= QUOTE_MIN_SIMILARITY)
        return QuoteResult(ranked, None if ranked else self._reported_note(topic, searcher))

    def _reported_note(self, topic: str | None, searcher: Searcher) -> str:
        """No quote matched: point at the closest reported speech, which is not a quote."""
        about = f" about {topic!r}" if topic else ""
        reported = searcher.extras.get("reported", [])
        if not reported:
            return f"No direct quote{about} in the documents."
        texts = [r["text"] for r in reported]
        if topic:
            vectors = self.embedder.encode([topic] + texts)
            best = int((vectors[1:] @ vectors[0]).argmax())
        else:
            best = 0
        r = reported[best]
        return (
            f"No direct quote{about}. Closest reported speech (not a quote): “{r['text']}” "
            f"({r.get('citation') or r['doc'] + ', ¶' + str(r['paragraph'])})"
        )


def lexical_texts(documents: tuple[Document, ...]) -> list[str]:
    """What BM25 sees per sentence: the sentence, plus the sentence before it so a pronoun
    sentence ("He announced...") still matches the name it refers to, plus the document's
    place and date on the dateline paragraph."""
    out = []
    for d in documents:
        for p in d.paragraphs:
            meta = " ".join(filter(None, [d.place, d.date])) if p.number == 1 else ""
            previous = ""
            for s in p.sentences:
                out.append(" ".join(filter(None, [s.text, s.text, previous, meta])))
                previous = s.text
    return out


@dataclass(frozen=True)
class PersonLookup:
    person: Person | None
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QuoteResult:
    quotes: tuple[Quote, ...]
    note: str | None = None  # e.g. no quote matched: the closest reported speech


MAX_NAME_CHARS = 200


def _clean_name(name: str) -> str:
    cleaned = clean_text(name)
    if len(cleaned) > MAX_NAME_CHARS:
        raise QuestionError(f"the name is too long ({len(cleaned):,} characters; the limit is {MAX_NAME_CHARS})")
    return cleaned


def lookup_person(people: list[Person], name: str) -> PersonLookup:
    from .people.extract import find_person

    match = find_person(people, name)
    return PersonLookup(match.person, list(match.suggestions))


def people_from_extras(extras: dict[str, Any]) -> list[Person]:
    quotes = quotes_from_extras(extras)
    people = []
    for p in extras.get("people", []):
        people.append(
            Person(
                name=p["name"],
                aliases=tuple(p.get("aliases", ())),
                roles=tuple(Role(**r) for r in p.get("roles_detail", ())),
                mentions=tuple(Mention(**m) for m in p.get("mentions", ())),
                quotes=tuple(q for q in quotes if q.speaker == p["name"]),
            )
        )
    return people


def quotes_from_extras(extras: dict[str, Any]) -> list[Quote]:
    return [
        Quote(q["text"], q.get("speaker"), q["doc"], q.get("title", q["doc"]), q.get("date"), q["paragraph"])
        for q in extras.get("quotes", [])
    ]
