"""Hybrid search: sentence vectors + paragraph vectors + BM25, fused, grouped by paragraph.

A sentence is scored with its paragraph's context so "He announced plans..." is found by
"What did Rehman announce?" (the paragraph names Rehman), while the sentence itself stays
the unit that is shown in bold and cited.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sqlite3
import threading
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Callable, Literal, Sequence

import numpy as np

from .abstain import Vocabulary
from .answers import has_answer_type, identity_answer, question_kind, role_answer, short_answer
from .embedder import Embedder
from .errors import QuestionError
from .index import load_index
from .lexical import LexicalIndex, tokenize
from .models import Answer, Document, Passage, SourceInfo
from .parses import Parse
from .reader import RULE_CONFIDENCE, ParagraphInput, Reading, confident, read, short_for, typed_answer_missing
from .said import speaker_answer
from .scorer import ReaderModel, reader_model
from .spans import kinds_fit
from .wants import wants
from .store import Manifest, read_manifest

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]

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


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """User text as the search sees it: NFC, whitespace folded, no invisible characters."""
    # Lone surrogates are bytes that were not UTF-8 (Python hands them over from argv and
    # stdin that way); the tokenizer cannot take them, and they are not text the user meant.
    cleaned = unicodedata.normalize("NFC", _SURROGATE.sub(" ", text))
    # Control characters separate words ("who\0met"); zero-width ones join them ("Ga\u200bza").
    cleaned = "".join(
        " " if unicodedata.category(ch) == "Cc" else "" if unicodedata.category(ch) == "Cf" else ch for ch in cleaned
    )
    return " ".join(cleaned.split())


def check_question(question: str, max_chars: int = 1000) -> str:
    """Normalise a question or raise ``QuestionError`` with a message for the user."""
    if question is None:
        raise QuestionError("the question is empty")
    cleaned = clean_text(question)
    if not cleaned:
        raise QuestionError("the question is empty")
    if len(cleaned) > max_chars:
        raise QuestionError(f"the question is too long ({len(cleaned):,} characters; the limit is {max_chars:,})")
    if not any(ch.isalnum() for ch in cleaned):
        raise QuestionError("the question has no words to search for")
    return cleaned


def document_headers(documents: Sequence[SourceInfo | Document]) -> list[str]:
    """Title and place of each document: words the vocabulary must know besides the text."""
    return [" ".join(filter(None, (d.title, d.place))) for d in documents]


def _dictionary(embedder: Embedder) -> frozenset[str]:
    """Whole words the embedding model knows: real words, which typo repair must not touch."""
    try:
        from .embedder import resolve_model

        _, path = resolve_model(getattr(embedder, "spec"))
        return _read_dictionary(str(Path(path) / "vocab.txt"))
    except Exception:  # a stand-in embedder or a model without a WordPiece vocabulary
        return frozenset()


@functools.lru_cache(maxsize=4)
def _read_dictionary(path: str) -> frozenset[str]:
    return frozenset(w for w in Path(path).read_text(encoding="utf-8").split() if w.isalpha())


class Searcher:
    """Answers questions from one loaded index generation. Thread-safe for reading."""

    def __init__(self, folder: Path, embedder: Embedder, *, verify: bool = True) -> None:
        self.folder = folder
        self.generation = folder.name  # which index answered: generations never change once written
        self.manifest: Manifest = read_manifest(folder, verify=verify)
        self.embedder = embedder
        self._sentences = load_index(folder / "sentences.faiss", self.manifest.index_kind)
        self._paragraphs = load_index(folder / "paragraphs.faiss", self.manifest.paragraph_index_kind)
        self._lexical = LexicalIndex.load(folder / "bm25")
        self._db = sqlite3.connect(f"file:{folder / 'chunks.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.documents: list[SourceInfo] = [
            SourceInfo(*row)
            for row in self._db.execute(
                "SELECT doc, title, date, place, paragraphs, sentences FROM documents ORDER BY id"
            )
        ]
        para_doc = np.fromiter((r[0] for r in self._db.execute("SELECT doc_id FROM paragraphs ORDER BY id")), dtype=np.int32)
        self._para_doc = para_doc - 1
        self._sent_para = np.fromiter((r[0] for r in self._db.execute("SELECT paragraph_id FROM sentences ORDER BY id")), dtype=np.int32) - 1
        # First sentence row of each paragraph, to pull a paragraph's sentences as candidates.
        self._para_first = np.searchsorted(self._sent_para, np.arange(len(self._para_doc)), side="left")
        self._para_end = np.searchsorted(self._sent_para, np.arange(len(self._para_doc)), side="right")
        self.skipped = dict(self._db.execute("SELECT name, reason FROM skipped").fetchall())
        self.extras = {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM extras")}
        self._doc_tokens: dict[int, set[str]] = {}
        self._parses: dict[int, Parse] = {}
        self._corrections: dict[str, str] = {}
        # Built with spaCy: sentences carry their typed phrases and paragraphs their parse.
        self._typed = self._db.execute("SELECT 1 FROM parses LIMIT 1").fetchone() is not None
        # The models that read the best paragraph (retrieval/data/reader.json); None: rules only.
        self.reader: ReaderModel | None = reader_model()
        self._para_number = np.fromiter((r[0] for r in self._db.execute("SELECT number FROM paragraphs ORDER BY id")), dtype=np.int32)
        saved = self.extras.get("vocabulary")
        if saved is not None:
            self.vocab = Vocabulary.from_json(saved, _dictionary(embedder))
        else:  # a generation written before the vocabulary was stored with it
            self.vocab = Vocabulary.for_corpus(
                (r[0] for r in self._db.execute("SELECT text FROM paragraphs")),
                document_headers(self.documents),
                _dictionary(embedder),
            )

    def close(self) -> None:
        self._db.close()

    # ---- public API -------------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        return list(self.documents)

    def ask(
        self,
        question: str,
        k: int = 3,
        *,
        since: str | None = None,
        until: str | None = None,
        mode: Mode = "hybrid",
        max_chars: int = 1000,
        pool: int = 10,
        adjust: Callable[[list[Passage]], list[float]] | None = None,
    ) -> Answer:
        question = check_question(question, max_chars)
        k = max(1, int(k))
        ranked, evidence = self._rank(question, mode, since, until)
        if not ranked:
            return Answer(question, False, None, ())
        pooled = ranked[: max(k, pool)]
        passages = [self._passage(sid, score) for sid, score in pooled]
        if adjust is not None:
            # Bounded nudges from outside the text (votes, a time the question names);
            # whether the question is answerable at all still rests on the text alone.
            boosts = adjust(passages)
            order = sorted(range(len(passages)), key=lambda i: -(passages[i].score + boosts[i]))
            passages = [replace(passages[i], score=passages[i].score + boosts[i]) for i in order]
            pooled = [pooled[i] for i in order]
        fixed = self._corrected(question)  # "Wher was..." asks where
        said = speaker_answer(fixed, passages, self.extras.get("quotes", []))
        if said is not None:
            # "Who said ...?" and a best passage inside a quotation: its speaker, from the quote index.
            first, speaker = said
            passages.insert(0, passages.pop(first))
            pooled.insert(0, pooled.pop(first))
            reading, (short, confidence) = None, (speaker, RULE_CONFIDENCE)
        else:
            # The best paragraph is read: the sentence that holds the answer is shown, which is
            # not always the one most similar to the question, and its best phrase is scored.
            reading, passages[0] = self._read(fixed, pooled[0][0], passages, evidence)
            short, confidence = self._short(fixed, pooled[0][0], passages[0], reading)
        best_doc = self.documents[self._para_doc[self._sent_para[pooled[0][0]]]]
        # A question about the article itself ("what date is this from?") resembles no sentence,
        # but the dateline's metadata answers it.
        from_metadata = short is not None and passages[0].paragraph == 1 and short in (best_doc.date, best_doc.place)
        answered = (from_metadata or self._answerable(fixed, evidence, mode)) and self._checks_pass(
            fixed, passages[0], short, reading
        )
        if not answered:
            return Answer(question, False, None, tuple(passages[:k]), tuple(passages[k:]))
        # Passages far weaker than the best one are noise next to a clear answer.
        floor = passages[0].score * RELATIVE_FLOOR
        passages = [p for p in passages if p.score >= floor]
        return Answer(question, True, short, tuple(passages[:k]), tuple(passages[k:]), confidence if short else None)

    def _read(self, question: str, sentence_id: int, passages: list[Passage], evidence: dict) -> tuple[Reading | None, Passage]:
        """Read the best passage's paragraph; returns the reading and the passage showing the
        sentence it chose (the same passage when there is no parse to read)."""
        para = int(self._sent_para[sentence_id])
        parse = self._parse(para)
        if not parse:
            return None, passages[0]
        first = int(self._para_first[para])
        with self._lock:
            spans = tuple(
                (a, b) for a, b in self._db.execute(
                    "SELECT start, end FROM sentences WHERE paragraph_id = ? ORDER BY number", (para + 1,)
                )
            )
        scored = evidence.get("sentences", {})
        runner_up = passages[1].score if len(passages) > 1 else 0.0
        paragraph = ParagraphInput(
            passages[0].paragraph_text,
            spans,
            parse,
            tuple(scored.get(first + i) for i in range(len(spans))),
            sentence_id - first,
            {"ret_score": passages[0].score, "ret_margin": passages[0].score - runner_up},
        )
        doc = self.documents[self._para_doc[para]]
        people = self.extras.get("people")

        def patterns(index: int) -> str | None:  # the hand-written patterns' answer in that sentence
            a, b = spans[index]
            shown = replace(passages[0], sentence=index + 1, text=passages[0].paragraph_text[a:b], sentence_start=a, sentence_end=b)
            return short_answer(question, shown, date=doc.date, place=doc.place, people=people)

        reading = read(question, paragraph, self._idf, self.reader, patterns)
        chosen = reading.sentence
        if confident(reading, self.reader):
            chosen = reading.candidates[0].sentence  # the short answer must be in the bold sentence
            reading.sentence = chosen
        if chosen == sentence_id - first:
            return reading, passages[0]
        return reading, self._passage(first + chosen, passages[0].score)

    def _parse(self, paragraph: int) -> Parse:
        cached = self._parses.get(paragraph)
        if cached is None:
            with self._lock:
                row = self._db.execute("SELECT data FROM parses WHERE paragraph_id = ?", (paragraph + 1,)).fetchone()
            cached = Parse.decode(row[0] if row else None)
            if len(self._parses) >= PARSE_CACHE:
                self._parses.pop(next(iter(self._parses)))
            self._parses[paragraph] = cached
        return cached

    def _corrected(self, question: str) -> str:
        """The question with its typos repaired; asked for three times a question, made once."""
        found = self._corrections.get(question)
        if found is None:
            if len(self._corrections) >= PARSE_CACHE:
                self._corrections.pop(next(iter(self._corrections)))
            found = self._corrections[question] = self.vocab.correct(question)
        return found

    def _idf(self, term: str) -> float:
        return self._lexical.idf(term)

    def _short(self, question: str, sentence_id: int, passage: Passage, reading: Reading | None) -> tuple[str | None, float | None]:
        doc = self.documents[self._para_doc[self._sent_para[sentence_id]]]
        people = self.extras.get("people")
        if reading is None:  # no parse (spaCy missing when the index was built): the patterns alone
            return short_answer(question, passage, date=doc.date, place=doc.place, people=people), None
        return short_for(question, passage, reading, self.reader, date=doc.date, place=doc.place, people=people)

    def _checks_pass(self, question: str, best: Passage, short: str | None, reading: Reading | None = None) -> bool:
        """Near misses score as high as real answers, so similarity can't reject them. These
        checks can: the question names something the documents never mention ("Qatar"); it
        asks when / how many / how long and the best sentence has no such expression; or it
        asks who holds a role and the text names the role without a holder, or someone
        else's ("JI's Director" for "Hamas's director")."""
        if self.vocab.unknown_names(question):
            return False
        if reading is not None:
            if short is None and typed_answer_missing(reading):
                return False
        else:
            kind = question_kind(question)
            if kind in ("when", "number", "duration") and short is None:
                return False
            if kind == "where" and short is None and re.search(r"\b(countr(y|ies)|cit(y|ies)|nations?|town|villages?)\b", question.lower()):
                return False
        if role_answer(question, best.text, self.extras.get("people")) is not None:
            return True  # "who is <a person the documents name>?" ("who is khaled mashal")
        checked, _ = identity_answer(question, best.text)
        return not checked or _ is not None

    # ---- ranking ----------------------------------------------------------------------

    def _rank(self, question: str, mode: Mode, since: str | None, until: str | None):
        total = len(self._sent_para)
        if total == 0:
            return [], {}
        allowed = self._allowed_paragraphs(since, until)
        candidates: set[int] = set()
        dense_s: dict[int, float] = {}
        if mode in ("hybrid", "dense"):
            query = self.embedder.encode([self.vocab.spell_out(question)])[0]
            scores, ids = self._sentences.search(query[None, :], CANDIDATES)
            for score, sid in zip(scores[0], ids[0]):
                if sid >= 0:
                    dense_s[int(sid)] = float(score)
            # The best paragraphs bring all their sentences: "He announced..." rides on ¶'s name.
            _, top_paras = self._paragraphs.search(query[None, :], TOP_PARAGRAPHS)
            for p in top_paras[0]:
                if p >= 0:
                    candidates.update(range(int(self._para_first[p]), int(self._para_end[p])))
            candidates.update(dense_s)
        lexical = np.zeros(0, dtype=np.float32)
        lex_max = 0.0
        if mode in ("hybrid", "lexical"):
            fixed = self._corrected(question)
            lexical_query = " ".join([fixed, *self.vocab.expansions(fixed)])
            lexical = self._lexical.scores(lexical_query)
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
                vectors = self._sentences._index.reconstruct_batch(np.asarray(missing, dtype=np.int64))
                for c, v in zip(missing, vectors @ query):
                    dense_s[int(c)] = float(v)
            s = np.array([dense_s[int(c)] for c in cand], dtype=np.float32)
            # Only the candidates' paragraphs are scored: a full scan costs ~30 ms at 1M sentences.
            paras, where = np.unique(self._sent_para[cand], return_inverse=True)
            p = (self._paragraphs._index.reconstruct_batch(paras.astype(np.int64)) @ query)[where].astype(np.float32)
            dense = SENTENCE_WEIGHT * s + (1 - SENTENCE_WEIGHT) * p
        else:
            s = p = dense = np.zeros(len(cand), dtype=np.float32)
        lex = lexical[cand] / lex_max if lex_max > 0 else np.zeros(len(cand), dtype=np.float32)
        if mode == "hybrid":
            weight = self._lexical.query_weight(fixed)
            specific = min(1.0, lex_max / weight) if weight > 0 else 0.0
            combined = dense + (LEXICAL_WEIGHT + LEXICAL_SPECIFIC_WEIGHT * specific) * lex
            if TYPE_BOOST:
                combined = combined + TYPE_BOOST * self._type_fits(question, cand)
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
        }
        return ranked, evidence

    def _sentence_texts(self, ids: np.ndarray) -> dict[int, str]:
        """Texts of candidate sentences (not kept in memory: a million would cost ~150 MB)."""
        wanted = [int(i) + 1 for i in ids]
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, text FROM sentences WHERE id IN ({','.join('?' * len(wanted))})", wanted
            ).fetchall()
        return {row_id - 1: text for row_id, text in rows}

    def _type_fits(self, question: str, cand: np.ndarray) -> np.ndarray:
        """1 for each candidate sentence holding a phrase of the type the question asks for
        (a date for "when", a person for "who"...), other than what the question says."""
        if not self._typed:  # built without spaCy: the patterns of answers.py
            kind = question_kind(question)
            if not kind:
                return np.zeros(len(cand), dtype=np.float32)
            texts = self._sentence_texts(cand)
            return np.array([self._has_type(kind, question, int(c), texts[int(c)]) for c in cand], dtype=np.float32)
        want = wants(self._corrected(question))
        if want.kind in (None, "thing"):
            return np.zeros(len(cand), dtype=np.float32)
        wanted = [int(i) + 1 for i in cand]
        with self._lock:
            kinds = dict(self._db.execute(
                f"SELECT id, kinds FROM sentences WHERE id IN ({','.join('?' * len(wanted))})", wanted
            ).fetchall())
        q_lower, q_terms = question.lower(), set(want.terms)
        out = np.zeros(len(cand), dtype=np.float32)
        for i, c in enumerate(cand):
            para = int(self._sent_para[c])
            if self._para_number[para] == 1 and want.kind in ("date", "place"):
                doc = self.documents[self._para_doc[para]]
                if (doc.date if want.kind == "date" else doc.place):
                    out[i] = 1.0  # the dateline's date and place answer questions about the event it reports
                    continue
            out[i] = kinds_fit(kinds.get(int(c) + 1), want, q_lower, q_terms)
        return out

    def _has_type(self, kind: str, question: str, sentence: int, text: str) -> bool:
        para = int(self._sent_para[sentence])
        doc = self.documents[self._para_doc[para]]
        dateline = self._para_number[para] == 1
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
            return evidence["lexical"] > 0 and self._term_coverage(question, evidence["best_paragraph"]) >= 0.5
        strength = max(evidence["max_sentence"], evidence["max_paragraph"])
        if strength >= MIN_DENSE:
            return True
        return strength >= MIN_DENSE_WITH_TERMS and self._term_coverage(question, evidence["best_paragraph"]) >= 0.5

    def _term_coverage(self, question: str, paragraph: int) -> float:
        terms = set(tokenize(question))
        if not terms:
            return 0.0
        with self._lock:  # one SQLite connection shared by the threads that ask questions
            text = self._db.execute("SELECT text FROM paragraphs WHERE id = ?", (paragraph + 1,)).fetchone()[0]
        return len(terms & set(tokenize(text))) / len(terms)

    def context(self, passage: Passage, radius: int = 1) -> list[Passage]:
        """The sentence with up to ``radius`` neighbours each side, within its document
        (crossing paragraph boundaries: the sentence before a paragraph's first is context too)."""
        with self._lock:
            row = self._db.execute(
                """SELECT s.id, d.id FROM sentences s JOIN paragraphs p ON p.id = s.paragraph_id
                   JOIN documents d ON d.id = p.doc_id WHERE d.doc = ? AND p.number = ? AND s.number = ?""",
                (passage.doc, passage.paragraph, passage.sentence),
            ).fetchone()
        if row is None:  # the index changed since the passage was shown
            return [passage]
        sid, doc_id = row[0] - 1, row[1] - 1
        out = []
        for neighbour in range(max(0, sid - radius), min(len(self._sent_para), sid + radius + 1)):
            if self._para_doc[self._sent_para[neighbour]] == doc_id:
                out.append(passage if neighbour == sid else self._passage(neighbour, 0.0))
        return out

    def _passage(self, sentence_id: int, score: float) -> Passage:
        with self._lock:
            row = self._db.execute(
                """SELECT s.number, s.text, s.start, s.end, p.number, p.text, d.doc, d.title, d.date
                   FROM sentences s JOIN paragraphs p ON p.id = s.paragraph_id JOIN documents d ON d.id = p.doc_id
                   WHERE s.id = ?""",
                (sentence_id + 1,),
            ).fetchone()
        number, text, start, end, para_no, para_text, doc, title, date = row
        return Passage(doc, title, date, para_no, number, text, para_text, score, start, end)
