"""Vector indexes behind one small interface, so backends can be swapped and contract-tested.

Vectors are unit length, so inner product is cosine similarity. ``FlatIndex`` is exact;
``HNSWIndex`` is approximate and chosen automatically above ``HNSW_THRESHOLD`` vectors,
where exact search stops being cheap (≈14 ms at 100k, ≈144 ms at 1M vectors here).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

# Measured on 100k real MiniLM vectors: exact search 6 ms a query, HNSW 0.54 ms at recall@10
# 0.983 (benchmarks/RESULTS_scale.md); below ~50k the exact index is fast enough and exact.
HNSW_THRESHOLD = 50_000


class VectorIndex(Protocol):
    kind: ClassVar[str]

    def __len__(self) -> int: ...

    @property
    def dim(self) -> int: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids, shape (len(queries), min(k, len(self))), best first."""
        ...

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, in that order, shape (len(ids), dim)."""
        ...

    def save(self, path: Path) -> None: ...


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    return vectors


class _FaissIndex:
    kind: ClassVar[str] = ""

    def __init__(self, index) -> None:  # a faiss.Index
        self._index = index

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_matrix(queries)
        k = min(int(k), len(self))
        if k <= 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        scores, ids = self._index.search(queries, k)
        return scores, ids

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        # The searcher scores candidates found by one index against the other (a sentence
        # BM25 found, the paragraph of every candidate): a lookup, not a search.
        ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        if ids.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_batch(ids)

    def save(self, path: Path) -> None:
        import faiss

        # Through a Python file, not faiss's own fopen: that takes only a str path (a folder
        # name that is not valid UTF-8 made it a TypeError), and a full disk then raises an
        # OSError naming the file instead of a C++ assertion. As fast: a 768 MB flat index loads in
        # 0.96 s this way, 1.01 s through faiss's path (181 MB HNSW: 0.16 s / 0.14 s).
        try:
            with open(path, "wb") as fh:
                faiss.write_index(self._index, faiss.PyCallbackIOWriter(fh.write))
        except OSError as exc:
            if exc.filename is None:  # raised by fh.write inside faiss: say which file
                exc.filename = str(path)
            raise


class FlatIndex(_FaissIndex):
    kind = "flat"

    @classmethod
    def build(cls, vectors: np.ndarray) -> "FlatIndex":
        import faiss

        vectors = _as_matrix(vectors)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return cls(index)


class HNSWIndex(_FaissIndex):
    kind = "hnsw"
    M = 32
    EF_CONSTRUCTION = 80
    # 256, not 64: on the 1M benchmark index (real vectors in 108 dimension-shuffled copies, a
    # clustered layout) recall@10 was 0.69 at 64, 0.91 at 256, 0.95 at 1024, for 0.6 / 1.5 /
    # 2.5 ms per query (benchmarks/RESULTS_scale.md); a millisecond buys the margin.
    EF_SEARCH = 256

    @classmethod
    def build(cls, vectors: np.ndarray) -> "HNSWIndex":
        import faiss

        vectors = _as_matrix(vectors)
        index = faiss.IndexHNSWFlat(vectors.shape[1], cls.M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = cls.EF_CONSTRUCTION
        index.add(vectors)
        index.hnsw.efSearch = cls.EF_SEARCH
        return cls(index)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        # efSearch must cover k, or HNSW returns fewer than k neighbours.
        self._index.hnsw.efSearch = max(self.EF_SEARCH, int(k))
        return super().search(queries, k)


BACKENDS: dict[str, type[_FaissIndex]] = {"flat": FlatIndex, "hnsw": HNSWIndex}


def build_index(vectors: np.ndarray, kind: str | None = None) -> _FaissIndex:
    """Build the backend that fits the corpus size (or the one asked for)."""
    if kind is None:
        kind = "hnsw" if len(vectors) >= HNSW_THRESHOLD else "flat"
    return BACKENDS[kind].build(vectors)


def load_index(path: Path, kind: str) -> _FaissIndex:
    import faiss

    if kind not in BACKENDS:
        raise ValueError(f"unknown index kind {kind!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    # faiss raises RuntimeError on truncated or garbled files; callers treat that as corrupt.
    with open(path, "rb") as fh:  # a Python file for any path, as in save()
        return BACKENDS[kind](faiss.read_index(faiss.PyCallbackIOReader(fh.read)))
