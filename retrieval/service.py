"""The one API both front ends use: ask, sources, who, quote, and (re)indexing.

``Citebot`` owns the serving ``Searcher`` and swaps it for a new one only when a rebuild
has fully succeeded, so a question asked during a reindex is answered from the old index,
and a failed reindex leaves the old index serving.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .documents import LoadResult, list_document_files, load_documents
from .embedder import Embedder, load_embedder
from .errors import CitebotError, IndexUnavailable, NoDocumentsError
from .lexical import LexicalIndex
from .models import Answer, Document, Mention, Person, Quote, Role, SkippedFile, SourceInfo
from .search import Searcher
from .settings import Settings
from .store import (
    EmbeddingCache,
    current_generation,
    new_generation_folder,
    paragraph_context,
    publish,
    read_manifest,
    seed_fingerprint,
    write_generation,
)

log = logging.getLogger(__name__)


class ReindexRunning(CitebotError):
    """A reindex is already in progress."""


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

    def summary(self) -> str:
        parts = [f"{self.documents} documents, {self.paragraphs} paragraphs, {self.sentences} sentences in {self.seconds:.1f}s"]
        for label, names in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        if self.skipped:
            parts.append("skipped: " + "; ".join(f"{s.name} ({s.reason})" for s in self.skipped))
        parts.append(f"{self.embedded} texts embedded, the rest from cache")
        return "\n".join(parts)


# A topic must be at least this close to a quote (cosine) for the quote to count as about it.
QUOTE_MIN_SIMILARITY = 0.2

ProgressFactory = Callable[[int, str], Any]  # (total, description) -> object with update(n) and close()


def build_extras(documents: tuple[Document, ...]) -> dict[str, object]:
    """People, quotes and reported speech, found once at index time and stored with the index."""
    from .people import extract_people
    from .quotes import extract_quotes, reported_speech

    people = extract_people(documents)
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

    # ---- index lifecycle ---------------------------------------------------------------

    @property
    def index_dir(self) -> Path:
        return Path(self.settings.index_dir)

    @property
    def searcher(self) -> Searcher:
        """The serving searcher; loads (or builds) the index on first use."""
        searcher = self._searcher
        if searcher is None:
            self.ensure_index()
            searcher = self._searcher
            assert searcher is not None
        return searcher

    def ensure_index(self, progress: ProgressFactory | None = None) -> ReindexReport | None:
        """Serve the persisted index if it matches the seeds and model; rebuild it otherwise.

        Returns the rebuild report, or ``None`` when the persisted index was fine.
        """
        reason = self._stale_reason()
        if reason is None:
            try:
                self._swap(Searcher(current_generation(self.index_dir), self.embedder))  # type: ignore[arg-type]
                return None
            except IndexUnavailable as exc:
                reason = str(exc)
            except Exception as exc:  # faiss/sqlite/bm25 raise their own kinds on damaged files
                reason = f"index unreadable: {exc}"
        log.info("rebuilding the index: %s", reason)
        return self.reindex(progress=progress, reason=reason)

    def _stale_reason(self) -> str | None:
        folder = current_generation(self.index_dir)
        if folder is None:
            return "no index yet"
        try:
            manifest = read_manifest(folder, verify=True)
        except IndexUnavailable as exc:
            return str(exc)
        if manifest.model_id != self.embedder.model_id:
            return f"model changed ({manifest.model_id} -> {self.embedder.model_id})"
        try:
            seeds = seed_fingerprint(list_document_files(self.settings.seeds_dir))
        except CitebotError:
            # Seeds gone while an index exists: keep serving what we have.
            log.warning("seeds folder unavailable; serving the existing index")
            return None
        if seeds != manifest.seeds:
            return "documents changed"
        return None

    def reindex(self, progress: ProgressFactory | None = None, reason: str = "requested") -> ReindexReport:
        """Build a new generation from the seeds and swap it in; the old one serves until then."""
        if not self._reindex_lock.acquire(blocking=False):
            raise ReindexRunning("a reindex is already running")
        try:
            return self._reindex(progress, reason)
        finally:
            self._reindex_lock.release()

    def _reindex(self, progress: ProgressFactory | None, reason: str) -> ReindexReport:
        started = time.perf_counter()
        loaded: LoadResult = load_documents(self.settings.seeds_dir)
        if not loaded.documents:
            detail = "; ".join(f"{s.name}: {s.reason}" for s in loaded.skipped)
            raise NoDocumentsError(
                f"no readable documents in {self.settings.seeds_dir}" + (f" (skipped {detail})" if detail else "")
            )
        previous = self._previous_documents()
        docs = loaded.documents
        self.index_dir.mkdir(parents=True, exist_ok=True)
        cache = EmbeddingCache(self.index_dir / "embeddings.sqlite")
        try:
            sentences = [s.text for d in docs for p in d.paragraphs for s in p.sentences]
            contexts = [paragraph_context(d, p.number) for d in docs for p in d.paragraphs]
            texts = sentences + contexts
            bar = progress(len(texts), "embedding") if progress else None

            def encode(batch: list[str]):
                out = []
                for start in range(0, len(batch), 256):
                    chunk = batch[start : start + 256]
                    out.append(self.embedder.encode(chunk, batch_size=64))
                    if bar is not None:
                        bar.update(len(chunk))
                import numpy as np

                return np.concatenate(out) if out else np.zeros((0, self.embedder.dim), np.float32)

            vectors, embedded = cache.embed(texts, self.embedder.model_id, encode, self.embedder.dim)
            if bar is not None:
                bar.close()
        finally:
            cache.close()
        lexical = LexicalIndex.build(lexical_texts(docs))
        folder = new_generation_folder(self.index_dir)
        write_generation(
            folder,
            docs,
            loaded.skipped,
            vectors[: len(sentences)],
            vectors[len(sentences) :],
            self.embedder.model_id,
            build_extras(docs),
            lexical.save,
            loaded.hashes,
        )
        searcher = Searcher(folder, self.embedder)  # load it back: what we serve is what is on disk
        publish(self.index_dir, folder)
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
        )
        log.info("index rebuilt (%s): %s", reason, report.summary().replace("\n", "; "))
        return report

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
        # The old searcher is not closed: a question in flight may still be using it.

    # ---- questions ---------------------------------------------------------------------

    def ask(self, question: str, k: int = 3, **options: Any) -> Answer:
        options.setdefault("max_chars", self.settings.max_question_chars)
        return self.searcher.ask(question, k, **options)

    def sources(self) -> list[SourceInfo]:
        return self.searcher.sources()

    def people(self) -> list[Person]:
        return people_from_extras(self.searcher.extras)

    def who(self, name: str) -> PersonLookup:
        from .people import find_person

        match = find_person(self.people(), name)
        return PersonLookup(match.person, list(match.suggestions))

    def quotes(self, topic: str | None = None, speaker: str | None = None) -> QuoteResult:
        """Quotes ranked by meaning against ``topic`` (all when no topic), by ``speaker``."""
        searcher = self.searcher
        people = self.people()
        quotes = quotes_from_extras(searcher.extras)
        if speaker and speaker.strip():
            match = self.who(speaker)
            if match.person is None:
                hint = f" Closest: {', '.join(match.suggestions)}." if match.suggestions else ""
                return QuoteResult((), f"No one called {speaker!r} in the documents.{hint}")
            quotes = [q for q in quotes if q.speaker == match.person.name]
        if not topic or not topic.strip() or not quotes:
            return QuoteResult(tuple(quotes), None if quotes else self._reported_note(topic, people))
        import numpy as np

        vectors = self.embedder.encode([topic] + [q.text for q in quotes])
        scores = vectors[1:] @ vectors[0]
        order = np.argsort(-scores)
        ranked = tuple(quotes[i] for i in order if scores[i] >= QUOTE_MIN_SIMILARITY)
        return QuoteResult(ranked, None if ranked else self._reported_note(topic, people))

    def _reported_note(self, topic: str | None, people: list[Person]) -> str:
        """No quote matched: point at the closest reported speech, which is not a quote."""
        about = f" about {topic!r}" if topic else ""
        reported = self.searcher.extras.get("reported", [])
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
