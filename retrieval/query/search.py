"""Hybrid search: sentence vectors + paragraph vectors + BM25, fused, grouped by paragraph.

A sentence is scored with its paragraph's context so "He announced plans..." is found by
"What did Rehman announce?" (the paragraph names Rehman), while the sentence itself stays
the unit that is shown in bold and cited.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from .abstain import Vocabulary
from .answers import has_answer_type, identity_answer, role_answer, short_answer
from .question import AskOptions, Mode, Question
from .reader import (
    RULE_CONFIDENCE,
    ParagraphInput,
    ReaderModel,
    Reading,
    confident,
    kinds_fit,
    read,
    reader_model,
    short_for,
    typed_answer_missing,
)
from .said import speaker_answer
from ..index.parses import Parse
from ..index.embedder import Embedder
from ..index.vectors import load_index
from ..index.lexical import LexicalIndex, tokenize
from ..models import Answer, LibraryId, Passage, SourceInfo
from ..people import PeopleIndex
from ..index.chunks import CHUNKS_FILE, ChunkStore, is_dateline, vocabulary_texts
from ..index.store import Manifest, read_manifest

log = logging.getLogger(__name__)

# Fusion weights, tuned on benchmarks/eval_seed.jsonl (see README, "Quality").
SENTENCE_WEIGHT = 0.5  # the rest goes to the paragraph's vector
LEXICAL_WEIGHT = 0.15
# More weight on the question's words when some chunk holds nearly all of them (its BM25 score
# near the sum of the terms' idf): a question written from the text ("In what year did the
# Normans invade at Bannow Bay?") says itself where it was written, while a paraphrase
# ("Who used to run Hamas?") shares few words with anything and relies on the vectors.
# Measured on the SQuAD articles and the seed sets (benchmarks/RESULTS_squad.md).
LEXICAL_SPECIFIC_WEIGHT = 0.2
# A sentence holding an expression of the type the question asks for (a date for "when",
# a number for "how many", a place for "where", a name for "who") gets this much more.
TYPE_BOOST = 0.12
# Weight of BM25 when choosing which sentence of a paragraph to show (see _rank).
SENTENCE_LEXICAL_WEIGHT = 0.35
# How many best-matching paragraphs contribute all their sentences as candidates.
TOP_PARAGRAPHS = 8
# A result scoring under this share of the best result's score is not shown.
RELATIVE_FLOOR = 0.5
CANDIDATES = 64
PARSE_CACHE = 256  # paragraphs whose decoded parse is kept (a few kB each)
# Abstention: calibrated on the off-topic questions of the evaluation set.
MIN_DENSE = 0.30
MIN_DENSE_WITH_TERMS = 0.22


class QueryVectors:
    """The vector of each text a question is embedded as, computed once for one question:
    its search in each library of a scope and its votes share one embedding, whether or not
    the embedder caches questions."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray]) -> None:
        self._encode = encode
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, text: str) -> np.ndarray:
        vector = self._vectors.get(text)
        if vector is None:
            vector = self._vectors[text] = self._encode([text])[0]
        return vector


class Searcher:
    """Answers questions from one loaded index generation. Thread-safe for reading."""

    def __init__(self, folder: Path, embedder: Embedder, *, verify: bool = True, library: LibraryId = None) -> None:
        self.folder: Path | None = folder
        self.generation: str | None = folder.name  # which index answered: generations never change once written
        self.library = library  # what it serves says which library it is from
        self.manifest: Manifest = read_manifest(folder, verify=verify)
        self.embedder = embedder
        self._sentences = load_index(folder / "sentences.faiss", self.manifest.index_kind)
        self._paragraphs = load_index(folder / "paragraphs.faiss", self.manifest.paragraph_index_kind)
        self._lexical = LexicalIndex.load(folder / "bm25")
        self.chunks = ChunkStore(folder / CHUNKS_FILE, library)
        self.documents: list[SourceInfo] = self.chunks.documents
        self.extras = self.chunks.extras
        self._para_doc = self.chunks.paragraph_doc
        self._para_number = self.chunks.paragraph_number
        self._sent_para = self.chunks.sentence_paragraph
        # First sentence row of each paragraph, to pull a paragraph's sentences as candidates.
        self._para_first = np.searchsorted(self._sent_para, np.arange(len(self._para_doc)), side="left")
        self._para_end = np.searchsorted(self._sent_para, np.arange(len(self._para_doc)), side="right")
        self._read_cache: dict[int, tuple[str, tuple[tuple[int, int], ...], Parse] | None] = {}
        # The models that read the best paragraph (retrieval/data/reader.json); None: rules only.
        self.reader: ReaderModel | None = reader_model()
        saved = self.extras.get("vocabulary")
        if saved is not None:
            self.vocab = Vocabulary.from_json(saved, embedder.known_words())
        else:  # a generation written before the vocabulary was stored with it
            self.vocab = Vocabulary.from_texts(vocabulary_texts(self.chunks.read_documents()), embedder.known_words())

    def close(self) -> None:
        self.chunks.close()

    @functools.cached_property
    def people_index(self) -> PeopleIndex:
        """People, quotes and reported speech of this generation, read once (autocomplete asks
        on every keystroke)."""
        return PeopleIndex.from_extras(self.extras).in_library(self.library)

    # ---- public API -------------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        return list(self.documents)

    def ask(
        self,
        question: Question,
        options: AskOptions = AskOptions(),
        adjust: Callable[[list[Passage]], list[float]] | None = None,
        vectors: QueryVectors | None = None,
    ) -> Answer:
        """The answer to ``question``, taken as ``parse_question`` made it (not checked again).
        ``vectors`` embeds the question (default: this searcher's embedder, uncached)."""
        question = question.with_repair(self.vocab.correct)  # "Wher was..." asks where
        k, mode = options.k, options.mode
        ranked, evidence = self._rank(question, mode, vectors or QueryVectors(self.embedder.encode))
        if not ranked:
            return Answer(question.text, False, None, ())
        pooled = ranked[: max(k, options.pool)]
        passages = [self.chunks.passage(sid, score) for sid, score in pooled]
        if adjust is not None:
            # Bounded nudges from outside the text (votes, a time the question names);
            # whether the question is answerable at all still rests on the text alone.
            boosts = adjust(passages)
            order = sorted(range(len(passages)), key=lambda i: -(passages[i].score + boosts[i]))
            passages = [replace(passages[i], score=passages[i].score + boosts[i]) for i in order]
            pooled = [pooled[i] for i in order]
        said = speaker_answer(question.repaired, passages, self.people_index.quotes)
        if said is not None:
            # "Who said ...?" and a best passage inside a quotation: its speaker, from the quote index.
            first, speaker = said
            passages.insert(0, passages.pop(first))
            pooled.insert(0, pooled.pop(first))
            reading, (short, confidence) = None, (speaker, RULE_CONFIDENCE)
        else:
            # The best paragraph is read: the sentence that holds the answer is shown, which is
            # not always the one most similar to the question, and its best phrase is scored.
            reading, passages[0] = self._read(question, pooled[0][0], passages, evidence)
            short, confidence = self._short(question, pooled[0][0], passages[0], reading)
        best_doc = self.documents[self._para_doc[self._sent_para[pooled[0][0]]]]
        # A question about the article itself ("what date is this from?") resembles no sentence,
        # but the dateline's metadata answers it.
        from_metadata = short is not None and is_dateline(passages[0].paragraph) and short in (best_doc.date, best_doc.place)
        answered = (from_metadata or self._answerable(question.repaired, evidence, mode)) and self._checks_pass(
            question, passages[0], short, reading
        )
        if not answered:
            return Answer(question.text, False, None, tuple(passages[:k]), tuple(passages[k:]))
        # Passages far weaker than the best one are noise next to a clear answer.
        floor = passages[0].score * RELATIVE_FLOOR
        passages = [p for p in passages if p.score >= floor]
        return Answer(question.text, True, short, tuple(passages[:k]), tuple(passages[k:]), confidence if short else None)

    def _read(
        self, question: Question, sentence_id: int, passages: list[Passage], evidence: dict
    ) -> tuple[Reading | None, Passage]:
        """Read the best passage's paragraph; returns the reading and the passage showing the
        sentence it chose (the same passage when there is no parse to read)."""
        para = int(self._sent_para[sentence_id])
        stored = self._to_read(para)
        if stored is None:
            return None, passages[0]
        text, spans, parse = stored
        first = int(self._para_first[para])
        scored = evidence.get("sentences", {})
        runner_up = passages[1].score if len(passages) > 1 else 0.0
        paragraph = ParagraphInput(
            text,
            spans,
            parse,
            tuple(scored.get(first + i) for i in range(len(spans))),
            sentence_id - first,
            {"ret_score": passages[0].score, "ret_margin": passages[0].score - runner_up},
        )
        doc = self.documents[self._para_doc[para]]
        people = self.people_index.people

        def patterns(index: int) -> str | None:  # the hand-written patterns' answer in that sentence
            shown = passages[0] if index == sentence_id - first else self.chunks.passage(first + index, passages[0].score)
            return short_answer(question.repaired, shown, kind=question.kind, date=doc.date, place=doc.place, people=people)

        reading = read(question, paragraph, self._lexical.idf, self.reader, patterns)
        chosen = reading.sentence
        if confident(reading, self.reader):
            chosen = reading.candidates[0].sentence  # the short answer must be in the bold sentence
            reading.sentence = chosen
        if chosen == sentence_id - first:
            return reading, passages[0]
        return reading, self.chunks.passage(first + chosen, passages[0].score)

    def _to_read(self, paragraph: int) -> tuple[str, tuple[tuple[int, int], ...], Parse] | None:
        """Paragraph ``paragraph``'s text, sentence spans and decoded parse (None: no parse),
        kept for the last few paragraphs read."""
        if paragraph in self._read_cache:
            return self._read_cache[paragraph]
        stored = self.chunks.paragraph_to_read(paragraph)
        found = None
        if stored is not None:
            text, spans, blob = stored
            parse = Parse.decode(blob)
            found = (text, spans, parse) if parse else None
        if len(self._read_cache) >= PARSE_CACHE:
            self._read_cache.pop(next(iter(self._read_cache)), None)
        self._read_cache[paragraph] = found
        return found

    def _short(
        self, question: Question, sentence_id: int, passage: Passage, reading: Reading | None
    ) -> tuple[str | None, float | None]:
        doc = self.documents[self._para_doc[self._sent_para[sentence_id]]]
        people = self.people_index.people
        if reading is None:  # no parse (spaCy missing when the index was built): the patterns alone
            return short_answer(question.repaired, passage, kind=question.kind, date=doc.date, place=doc.place, people=people), None
        return short_for(question, passage, reading, self.reader, date=doc.date, place=doc.place, people=people)

    def _checks_pass(self, parsed: Question, best: Passage, short: str | None, reading: Reading | None = None) -> bool:
        """Near misses score as high as real answers, so similarity can't reject them. These
        checks can: the question names something the documents never mention ("Qatar"); it
        asks when / how many / how long and the best sentence has no such expression; or it
        asks who holds a role and the text names the role without a holder, or someone
        else's ("JI's Director" for "Hamas's director")."""
        question, kind = parsed.repaired, parsed.kind
        if self.vocab.unknown_names(question):
            return False
        if reading is not None:
            if short is None and typed_answer_missing(reading):
                return False
        else:
            if kind in ("when", "number", "duration") and short is None:
                return False
            if kind == "where" and short is None and re.search(
                r"\b(countr(y|ies)|cit(y|ies)|nations?|town|villages?)\b", question.lower()
            ):
                return False
        if role_answer(question, best.text, self.people_index.people) is not None:
            return True  # "who is <a person the documents name>?" ("who is khaled mashal")
        checked, _ = identity_answer(question, best.text)
        return not checked or _ is not None

    # ---- ranking ----------------------------------------------------------------------

    def _rank(self, parsed: Question, mode: Mode, vectors: QueryVectors):
        question = parsed.text
        total = len(self._sent_para)
        if total == 0:
            return [], {}
        allowed = self._allowed_paragraphs(parsed.since, parsed.until)
        candidates: set[int] = set()
        dense_s: dict[int, float] = {}
        if mode in ("hybrid", "dense"):
            query = vectors(self.vocab.spell_out(question))
            scores, ids = self._sentences.search(query[None, :], CANDIDATES)
            for score, sid in zip(scores[0], ids[0]):
                if sid >= 0:
                    dense_s[int(sid)] = float(score)
            # The best paragraphs bring all their sentences: "He announced..." rides on ¶'s name.
            _, top_paras = self._paragraphs.search(query[None, :], TOP_PARAGRAPHS)
            for p in top_paras[0]:
                # A paragraph of thousands of sentences (a one-line file) would make every
                # sentence a candidate; its vector only saw its start anyway.
                if p >= 0 and self._para_end[p] - self._para_first[p] <= CANDIDATES:
                    candidates.update(range(int(self._para_first[p]), int(self._para_end[p])))
            candidates.update(dense_s)
        lexical = np.zeros(0, dtype=np.float32)
        lex_max = 0.0
        if mode in ("hybrid", "lexical"):
            fixed = parsed.repaired
            lexical = self._lexical.scores(" ".join([fixed, *self.vocab.expansions(fixed)]))
            lex_max = float(lexical.max()) if lexical.size else 0.0
            if lex_max > 0:
                top = np.argpartition(-lexical, min(CANDIDATES, total - 1))[:CANDIDATES]
                candidates.update(int(i) for i in top if lexical[i] > 0)
        if allowed is not None:
            candidates = {c for c in candidates if self._sent_para[c] in allowed}
        if not candidates:
            return [], {}
        cand = np.fromiter(sorted(candidates), dtype=np.int64)
        if mode != "lexical":
            missing = [c for c in cand if c not in dense_s]
            if missing:
                vectors = self._sentences.reconstruct(np.asarray(missing, dtype=np.int64))
                for c, v in zip(missing, vectors @ query):
                    dense_s[int(c)] = float(v)
            s = np.array([dense_s[int(c)] for c in cand], dtype=np.float32)
            # Only the candidates' paragraphs are scored: a full scan costs ~30 ms at 1M sentences.
            paras, where = np.unique(self._sent_para[cand], return_inverse=True)
            p = (self._paragraphs.reconstruct(paras) @ query)[where].astype(np.float32)
            dense = SENTENCE_WEIGHT * s + (1 - SENTENCE_WEIGHT) * p
        else:
            s = p = dense = np.zeros(len(cand), dtype=np.float32)
        lex = lexical[cand] / lex_max if lex_max > 0 else np.zeros(len(cand), dtype=np.float32)
        if mode == "hybrid":
            weight = self._lexical.query_weight(parsed.repaired)
            specific = min(1.0, lex_max / weight) if weight > 0 else 0.0
            combined = dense + (LEXICAL_WEIGHT + LEXICAL_SPECIFIC_WEIGHT * specific) * lex
            if TYPE_BOOST:
                combined = combined + TYPE_BOOST * self._type_fits(parsed, cand)
        elif mode == "dense":
            combined = dense
        else:
            combined = lex
        order = np.argsort(-combined, kind="stable")
        # Paragraphs are ranked by their best sentence; the sentence shown for a paragraph is
        # then picked with more weight on the question's own words: inside one paragraph the
        # context is shared, so a word match ("announce") is what tells sentences apart.
        within = combined + (SENTENCE_LEXICAL_WEIGHT - LEXICAL_WEIGHT) * lex if mode == "hybrid" else combined
        pick: dict[int, int] = {}
        for i in order:
            para = int(self._sent_para[cand[i]])
            if para not in pick or within[i] > within[pick[para]]:
                pick[para] = int(i)
        seen: set[int] = set()
        ranked: list[tuple[int, float]] = []
        for i in order:
            para = int(self._sent_para[cand[i]])
            if para in seen:
                continue  # one result per paragraph
            seen.add(para)
            ranked.append((int(cand[pick[para]]), float(combined[i])))
        best = pick[int(self._sent_para[cand[order[0]]])]
        evidence = {
            # Per candidate sentence: (score used to pick a paragraph's sentence, its own vector's
            # similarity, its BM25 share): what the reader weighs against its own features.
            "sentences": {int(c): (float(w), float(d), float(x)) for c, w, d, x in zip(cand, within, s, lex)},
            "sentence": float(s[best]),
            "paragraph": float(p[best]),
            "dense": float(dense[best]),
            "max_sentence": float(s.max()),
            "max_paragraph": float(p.max()),
            "lexical": float(lex[best]),
            "best_paragraph": int(self._sent_para[cand[best]]),
            "best_sentence": int(cand[best]),
        }
        return ranked, evidence

    def _type_fits(self, parsed: Question, cand: np.ndarray) -> np.ndarray:
        """1 for each candidate sentence holding a phrase of the type the question asks for
        (a date for "when", a person for "who"...), other than what the question says."""
        if not self.chunks.has_parses:  # built without spaCy: the patterns of answers.py
            kind = parsed.kind
            if not kind:
                return np.zeros(len(cand), dtype=np.float32)
            texts = self.chunks.sentence_texts(cand)
            return np.array([self._has_type(kind, parsed.text, int(c), texts[int(c)]) for c in cand], dtype=np.float32)
        want = parsed.wants
        if want.kind in (None, "thing"):
            return np.zeros(len(cand), dtype=np.float32)
        kinds = self.chunks.sentence_kinds(cand)
        q_lower, q_terms = parsed.repaired.lower(), set(want.terms)
        out = np.zeros(len(cand), dtype=np.float32)
        for i, c in enumerate(cand):
            para = int(self._sent_para[c])
            if is_dateline(int(self._para_number[para])) and want.kind in ("date", "place"):
                doc = self.documents[self._para_doc[para]]
                if doc.date if want.kind == "date" else doc.place:
                    out[i] = 1.0  # the dateline's date and place answer questions about the event it reports
                    continue
            out[i] = kinds_fit(kinds.get(int(c)), want, q_lower, q_terms)
        return out

    def _has_type(self, kind: str, question: str, sentence: int, text: str) -> bool:
        para = int(self._sent_para[sentence])
        doc = self.documents[self._para_doc[para]]
        dateline = is_dateline(int(self._para_number[para]))
        return has_answer_type(
            kind,
            question,
            text,
            date=doc.date if dateline else None,
            place=doc.place if dateline else None,
        )

    def _allowed_paragraphs(self, since: str | None, until: str | None) -> set[int] | None:
        if not since and not until:
            return None
        docs = {
            i
            for i, d in enumerate(self.documents)
            if d.date and (not since or d.date >= since) and (not until or d.date <= until)
        }
        return {int(p) for p in np.flatnonzero(np.isin(self._para_doc, list(docs)))}

    def _answerable(self, question: str, evidence: dict, mode: Mode) -> bool:
        """Does the best passage answer at all? Similarity alone is weak on near misses,
        so a middling score also needs the question's rarer words in the passage."""
        if mode == "lexical":
            return evidence["lexical"] > 0 and self._term_coverage(question, evidence["best_sentence"]) >= 0.5
        strength = max(evidence["max_sentence"], evidence["max_paragraph"])
        if strength >= MIN_DENSE:
            return True
        return strength >= MIN_DENSE_WITH_TERMS and self._term_coverage(question, evidence["best_sentence"]) >= 0.5

    def _term_coverage(self, question: str, sentence_id: int) -> float:
        """Share of the question's terms in the passage of the sentence: its paragraph, as far
        as a passage shows it."""
        terms = set(tokenize(question))
        if not terms:
            return 0.0
        text = self.chunks.passage(sentence_id, 0.0).paragraph_text
        return len(terms & set(tokenize(text))) / len(terms)

    def context(self, passage: Passage, radius: int = 1) -> list[Passage]:
        """The sentence with up to ``radius`` neighbours each side, within its document
        (crossing paragraph boundaries: the sentence before a paragraph's first is context too)."""
        sid = self.chunks.find_sentence(passage.doc, passage.paragraph, passage.sentence)
        if sid is None:  # the index changed since the passage was shown
            return [passage]
        doc_id = self._para_doc[self._sent_para[sid]]
        out = []
        for neighbour in range(max(0, sid - radius), min(len(self._sent_para), sid + radius + 1)):
            if self._para_doc[self._sent_para[neighbour]] == doc_id:
                out.append(passage if neighbour == sid else self.chunks.passage(neighbour, 0.0))
        return out


class EmptySearcher:
    """What a library without documents serves (a server's library before its first
    document): no sources, no people, and every question unanswered. Not an error: asking a
    server that has added nothing yet is normal."""

    folder: Path | None = None
    generation: str | None = None
    people_index = PeopleIndex()

    def __init__(self, library: LibraryId = None) -> None:
        self.library = library

    def sources(self) -> list[SourceInfo]:
        return []

    def ask(
        self,
        question: Question,
        options: AskOptions = AskOptions(),
        adjust: Callable[[list[Passage]], list[float]] | None = None,
        vectors: QueryVectors | None = None,
    ) -> Answer:
        return Answer(question.text, False, None, ())

    def context(self, passage: Passage, radius: int = 1) -> list[Passage]:
        return [passage]

    def close(self) -> None:
        pass
