"""Lexical (BM25) search over sentence chunks, with bm25s: sparse matrices, saves to disk,
and answers in well under a millisecond at the seed scale."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

# Question words carry no evidence of an answer; bm25s' English list keeps some of them.
_EXTRA_STOPWORDS = {"who", "whom", "whose", "what", "when", "where", "which", "why", "how", "did", "does", "do", "many", "much", "said", "say"}
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)


def _stem(word: str) -> str:
    # A light stemmer (plural and -ed/-ing) is enough to match "tents"/"tent",
    # "announced"/"announce"; a real stemmer library would be one more dependency.
    for suffix, keep in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + keep
            break
    # "announce" and "announced" must meet: drop a final silent e as well.
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


@functools.lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    # Built once: building it per call was most of tokenize's time (60 µs a call).
    import bm25s.stopwords as sw

    return frozenset(sw.STOPWORDS_EN) | _EXTRA_STOPWORDS


def _terms(token: str, stop: frozenset[str]) -> list[str]:
    out = []
    for part in token.replace("’", "'").split("-") if "-" in token else (token,):
        if part[:1].isdigit():
            out.append(part.replace(",", ""))
        elif len(part) > 1 and part not in stop:
            out.append(_stem(part))
    if "-" in token:
        out.append(token.replace("’", "'"))  # keep "al-khidmat" whole as well
    return out


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
        return decomposed[0]
    return ch


def fold(text: str) -> str:
    """Accents off, one character for one ("Hervé" -> "Herve"), so offsets still hold:
    questions are typed without the accents the documents have."""
    if text.isascii():
        return text
    return "".join(_fold_char(ch) for ch in text)


def tokenize(text: str) -> list[str]:
    stop = _stopwords()
    out = []
    for token in _TOKEN.findall(fold(text.lower()).replace("’s", "").replace("'s", "")):
        out.extend(_terms(token, stop))
    return out


def term_spans(text: str) -> list[tuple[int, int, str]]:
    """``tokenize``'s terms with where each comes from in ``text``: (start, end, term)."""
    stop = _stopwords()
    # Same length as ``text``: a possessive ending becomes spaces, so offsets still hold.
    lowered = re.sub(r"[’']s\b", "  ", fold(text.lower()))
    return [(m.start(), m.end(), term) for m in _TOKEN.finditer(lowered) for term in _terms(m.group(0), stop)]


class LexicalIndex:
    def __init__(self, retriever, size: int) -> None:  # a bm25s.BM25
        self._bm25 = retriever
        self.size = size
        self._df: np.ndarray | None = None  # chunks holding each term, read from the matrix on first use

    @classmethod
    def build(cls, texts: Sequence[str]) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25()
        # bm25s wants at least one token per document; an empty chunk gets a placeholder.
        corpus = [tokenize(t) or ["\u2400"] for t in texts]
        retriever.index(corpus, show_progress=False)
        return cls(retriever, len(texts))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when no term matches)."""
        tokens = [t for t in tokenize(query) if t in self._bm25.vocab_dict]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def query_weight(self, query: str) -> float:
        """About what a chunk holding every term of ``query`` once would score: the sum of its
        distinct terms' idf (a term no chunk has counts as the rarest). A best score near it
        means some chunk holds nearly every term."""
        return float(sum(self.idf(t) for t in dict.fromkeys(tokenize(query))))

    def idf(self, term: str) -> float:
        """How rare ``term`` is among the chunks (BM25's idf); terms no chunk has count as rarest."""
        if self._df is None:
            indptr = np.asarray(self._bm25.scores["indptr"])
            self._df = np.diff(indptr)
        n = self.size or 1
        i = self._bm25.vocab_dict.get(term)
        df = int(self._df[i]) if i is not None and i < len(self._df) else 0
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)
        (folder / "size.txt").write_text(str(self.size))

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25.load(str(folder), show_progress=False, mmap=False)
        return cls(retriever, int((folder / "size.txt").read_text()))
