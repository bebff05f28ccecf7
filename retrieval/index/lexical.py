"""Lexical (BM25) search over sentence chunks, with bm25s: sparse matrices, saves to disk,
and answers in well under a millisecond at the seed scale."""

from __future__ import annotations

import logging
import re
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
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + keep
            break
    # "announce" and "announced" must meet: drop a final silent e as well.
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def tokenize(text: str) -> list[str]:
    import bm25s.stopwords as sw

    stop = set(sw.STOPWORDS_EN) | _EXTRA_STOPWORDS
    out = []
    for token in _TOKEN.findall(text.lower().replace("’s", "").replace("'s", "")):
        for part in token.replace("’", "'").split("-") if "-" in token else (token,):
            if part[:1].isdigit():
                out.append(part.replace(",", ""))
            elif len(part) > 1 and part not in stop:
                out.append(_stem(part))
        if "-" in token:
            out.append(token.replace("’", "'"))  # keep "al-khidmat" whole as well
    return out


class LexicalIndex:
    def __init__(self, retriever, size: int) -> None:  # a bm25s.BM25
        self._bm25 = retriever
        self.size = size

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

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)
        (folder / "size.txt").write_text(str(self.size))

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25.load(str(folder), show_progress=False, mmap=False)
        return cls(retriever, int((folder / "size.txt").read_text()))
