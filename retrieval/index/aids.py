"""The reading aids stored with an index generation: each paragraph's prepared parse and each
sentence's typed phrases (phrases.py), built from spaCy's annotations at index time.

They are cached beside spaCy's annotations (same file, their own keys): a reindex after one
document changed prepares that document's paragraphs only. A paragraph's entry depends on its
text, its sentence boundaries, the spaCy pipeline and the document-wide kinds of the names it
mentions (name_kinds.py), so any of those changing makes a new entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from ..models import Document
from .name_kinds import document_labels
from .phrases import prepare, sentence_kinds

if TYPE_CHECKING:
    from ..people.nlp import Annotation, AnnotationCache

AIDS_VERSION = "aids-5"  # change when what prepare() stores changes


@dataclass(frozen=True)
class ReadingAids:
    """What ``chunks.sqlite`` keeps for the reader, in paragraph and sentence order."""

    parses: Sequence[bytes]  # each paragraph's encoded prepared parse (b"" without one)
    sentence_kinds: Sequence[str | None]  # each sentence's typed phrases as JSON (None: none)


def reading_aids(
    documents: Sequence[Document],
    annotations: Sequence[Annotation],
    cache: AnnotationCache | None,
    pipeline: str,
) -> ReadingAids:
    """Per paragraph (in order) its encoded prepared parse; per sentence its typed phrases."""
    parses = iter(a.parse for a in annotations)
    work: list[tuple[str, Any, Any, dict[str, str]]] = []  # key, paragraph, parse, its names' kinds
    for doc in documents:
        mine = [(p, next(parses)) for p in doc.paragraphs]
        labels = _labels(doc, mine, cache, pipeline)
        for p, parse in mine:
            named = {n: k for n, k in labels.items() if n in p.text}
            spans = [(s.start, s.end) for s in p.sentences]
            key = hashlib.sha1(
                "\0".join([AIDS_VERSION, pipeline, p.text, json.dumps(spans), json.dumps(named, sort_keys=True)]).encode()
            ).hexdigest()
            work.append((key, p, parse, named))
    found = cache.lookup([k for k, *_ in work]) if cache is not None else {}
    blobs: list[bytes] = []
    kinds: list[str | None] = []
    fresh: list[tuple[str, bytes]] = []
    for key, p, parse, named in work:
        entry = found.get(key)
        if entry is None:
            prepared = prepare(parse, p.text, [(s.start, s.end) for s in p.sentences], named)
            entry = json.dumps(sentence_kinds(prepared, p.text, len(p.sentences))).encode() + b"\n" + prepared.encode()
            fresh.append((key, entry))
        head, _, blob = bytes(entry).partition(b"\n")
        blobs.append(blob)
        kinds.extend(json.loads(head))
    if fresh and cache is not None:
        cache.store(fresh)
    return ReadingAids(blobs, kinds)


def _labels(doc: Document, mine: list, cache: AnnotationCache | None, pipeline: str) -> dict[str, str]:
    """The document's names whose mentions agree on a kind, cached by the document's bytes."""
    key = hashlib.sha1("\0".join([AIDS_VERSION, "labels", pipeline, doc.sha256 or doc.doc]).encode()).hexdigest()
    hit = cache.lookup([key]).get(key) if cache is not None and doc.sha256 else None
    if hit is not None:
        return json.loads(hit)
    labels = document_labels((p.text, parse) for p, parse in mine)
    if cache is not None and doc.sha256:
        cache.store([(key, json.dumps(labels).encode())])
    return labels
