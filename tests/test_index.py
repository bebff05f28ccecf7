"""The contract every vector index backend passes: build, save, reload, search, k > count,
and the lookup of stored vectors by id (the searcher scores candidates with it)."""

import numpy as np
import pytest

from retrieval.index.vectors import BACKENDS, build_index, load_index


def unit_vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_backend_contract(kind, tmp_path):
    vectors = unit_vectors(200)
    index = build_index(vectors, kind)
    assert len(index) == 200 and index.dim == 32

    scores, ids = index.search(vectors[:5], 3)
    assert ids.shape == (5, 3)
    assert list(ids[:, 0]) == [0, 1, 2, 3, 4]  # each vector finds itself first
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first

    path = tmp_path / f"{kind}.faiss"
    index.save(path)
    reloaded = load_index(path, kind)
    again_scores, again_ids = reloaded.search(vectors[:5], 3)
    assert np.array_equal(again_ids, ids)
    assert np.allclose(again_scores, scores)

    # Looking vectors up by id gives them back as built, in the order asked, after a reload too.
    wanted = np.array([7, 0, 199, 7])
    for source in (index, reloaded):
        looked_up = source.reconstruct(wanted)
        assert looked_up.shape == (4, 32)
        assert np.allclose(looked_up, vectors[wanted], atol=1e-6)
    assert index.reconstruct(np.array([], dtype=np.int64)).shape == (0, 32)

    # Asking for more neighbours than there are vectors returns them all, no padding ids.
    small = build_index(unit_vectors(4), kind)
    scores, ids = small.search(unit_vectors(1, seed=9), 10)
    assert sorted(ids[0].tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_truncated_index_file_is_refused(kind, tmp_path):
    path = tmp_path / "x.faiss"
    build_index(unit_vectors(50), kind).save(path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RuntimeError):
        load_index(path, kind)


def test_large_corpus_switches_to_approximate_index(monkeypatch):
    import retrieval.index.vectors as index_module

    monkeypatch.setattr(index_module, "HNSW_THRESHOLD", 100)
    assert build_index(unit_vectors(150)).kind == "hnsw"
    assert build_index(unit_vectors(50)).kind == "flat"
