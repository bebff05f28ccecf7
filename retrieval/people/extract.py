"""Who the documents name: people, their aliases, roles and mentions.

spaCy's small English model alone gets news names wrong (it misses "Hafiz Naeem ur Rehman",
calls "Hafiz Naeem" an organisation and "Jamaat-e-Islami" a person), so it is one source of
evidence among several:

* capitalised-word sequences are the candidates, split by titles (``candidates``);
* roles written around them (``roles``) and everything else their contexts say is person or
  non-person evidence, pooled over the whole collection (``evidence``);
* document consistency decides which person a partial name is, per document (``merge``).
"""

from __future__ import annotations

from typing import Sequence

from ..models import Document, Person
from ..progress import ProgressFactory
from .candidates import ParagraphContext
from .evidence import Evidence, Occurrence, collect
from .extras import PeopleIndex
from .merge import merge
from .nlp import Annotation, AnnotationCache, annotate_paragraphs
from .quotes import extract_quotes
from .reported import reported_speech
from .tokens import tokenize


def build_extras(
    documents: Sequence[Document],
    cache: AnnotationCache | None = None,
    progress: ProgressFactory | None = None,
    annotations: Sequence[Annotation] | None = None,
) -> dict[str, object]:
    """People, quotes and reported speech, found once at index time and stored with the index
    (``PeopleIndex.from_extras`` reads them back). ``annotations`` (``annotate_paragraphs``')
    spare spaCy a second pass when the build has them already."""
    return extract_all(documents, cache, progress, annotations).to_extras()


def extract_all(
    documents: Sequence[Document],
    cache: AnnotationCache | None = None,
    progress: ProgressFactory | None = None,
    annotations: Sequence[Annotation] | None = None,
) -> PeopleIndex:
    """Everyone the documents name, every quotation and every piece of reported speech."""
    people = find_people(documents, cache, progress, annotations)
    return PeopleIndex.of(people, extract_quotes(documents, people), reported_speech(documents, people))


def extract_people(
    documents: Sequence[Document], cache: AnnotationCache | None = None, progress: ProgressFactory | None = None
) -> list[Person]:
    """Everyone the documents name, each with the quotations attributed to them."""
    return list(extract_all(documents, cache, progress).people)


def find_people(
    documents: Sequence[Document],
    cache: AnnotationCache | None = None,
    progress: ProgressFactory | None = None,
    annotations: Sequence[Annotation] | None = None,
) -> list[Person]:
    """Everyone the documents name, in order of first mention (without their quotes).
    ``cache`` keeps spaCy's annotations of unchanged paragraphs between builds; ``progress``
    makes a bar for the paragraphs spaCy reads."""
    documents = list(documents)
    evidence = Evidence()
    occurrences: list[Occurrence] = []
    for ctx in _contexts(documents, cache, progress, annotations):
        occurrences.extend(collect(ctx, evidence))
    return merge(documents, occurrences, evidence)


def _contexts(
    documents: Sequence[Document],
    cache: AnnotationCache | None = None,
    progress: ProgressFactory | None = None,
    annotations: Sequence[Annotation] | None = None,
) -> list[ParagraphContext]:
    paragraphs = [(di, doc, para) for di, doc in enumerate(documents) for para in doc.paragraphs]
    found = annotate_paragraphs(documents, cache, progress) if annotations is None else annotations
    out = []
    for (di, doc, para), (pos, ents, _) in zip(paragraphs, found):
        starts = {s.start for s in para.sentences}
        out.append(ParagraphContext(doc, di, para.number, para.text, tokenize(para.text), starts, pos, ents))
    return out
