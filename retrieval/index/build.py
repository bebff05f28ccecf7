"""Building one index generation: documents in, a published generation and its report out.

``build_generation`` is the one build: ``Citebot.reindex`` calls it with the model behind
the embedding cache, the scale benchmark with vectors it already has. What each chunk's
texts are comes from ``chunks``; how a generation is written and published from ``store``.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..documents.loading import LoadResult
from ..errors import IndexUnavailable
from ..models import Document, SkippedFile
from ..query.abstain import Vocabulary
from ..text.show import shown
from .aids import ReadingAids
from .chunks import lexical_texts, paragraph_texts, sentence_texts, vocabulary_texts
from .lexical import LexicalIndex
from .store import current_generation, new_generation_folder, publish, read_manifest, write_generation

log = logging.getLogger(__name__)

# texts -> one unit vector per text, and how many of them the model had to compute
Vectors = Callable[[list[str]], tuple[np.ndarray, int]]


@dataclass(frozen=True)
class Extracted:
    """What is stored beside the documents' texts: people, quotes, ... (JSON-serialisable)
    and, when spaCy read them, the reader's aids (each paragraph's parse, each sentence's
    typed phrases). One spaCy pass makes both."""

    extras: dict[str, object]
    aids: ReadingAids | None = None


# the documents -> what is stored beside them
Extras = Callable[[tuple[Document, ...]], Extracted]


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


def build_generation(
    index_dir: Path,
    loaded: LoadResult,
    *,
    model_id: str,
    vectors: Vectors,
    extras: Extras,
    before_publish: Callable[[Path], None] | None = None,
    reason: str = "requested",
    started: float | None = None,
) -> ReindexReport:
    """Index ``loaded.documents`` into a new generation of ``index_dir`` and publish it.

    ``before_publish`` gets the complete generation's folder before ``CURRENT`` names it
    (``Citebot`` loads it back there: what it serves is what is on disk); if it raises, the
    generation is not published. On any failure the new folder is removed and ``CURRENT``
    still names the previous generation. Call with the ``IndexLock`` held (publishing
    sweeps old generations). ``started`` is the ``perf_counter`` the report's seconds count
    from (default: now).
    """
    started = time.perf_counter() if started is None else started
    previous = previous_documents(index_dir)
    docs = loaded.documents
    sentences = sentence_texts(docs)
    contexts = paragraph_texts(docs)
    matrix, embedded = vectors(sentences + contexts)
    lexical = LexicalIndex.build(lexical_texts(docs))
    extracted = extras(docs)
    stored = dict(extracted.extras)
    stored["vocabulary"] = Vocabulary.from_texts(vocabulary_texts(docs)).to_json()
    folder = new_generation_folder(index_dir)
    try:
        write_generation(
            folder,
            docs,
            loaded.skipped,
            matrix[: len(sentences)],
            matrix[len(sentences) :],
            model_id,
            stored,
            lexical.save,
            loaded.hashes,
            aids=extracted.aids,
        )
        if before_publish is not None:
            before_publish(folder)
        publish(index_dir, folder)
    except BaseException:
        if current_generation(index_dir) != folder:
            shutil.rmtree(folder, ignore_errors=True)  # never leave a half-built generation
        raise
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


def previous_documents(index_dir: Path) -> dict[str, str]:
    """doc -> sha256 of the generation serving now (what the report compares against)."""
    folder = current_generation(index_dir)
    if folder is None:
        return {}
    try:
        return read_manifest(folder, verify=False).documents
    except IndexUnavailable:
        return {}
