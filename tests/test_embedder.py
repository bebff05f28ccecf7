"""The numpy query path must give the reference model's vectors."""

import numpy as np

from retrieval.index.embedder import NumpyBertEmbedder, SentenceTransformerEmbedder, resolve_model


def test_default_model_resolves_to_the_packaged_folder():
    model_id, path = resolve_model("packaged:all-MiniLM-L6-v2")
    assert model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert NumpyBertEmbedder.supports(path)


def test_numpy_path_matches_sentence_transformers():
    model_id, path = resolve_model("packaged:all-MiniLM-L6-v2")
    texts = [
        "What did Rehman announce?",
        "He announced plans to form a delegation of internationally recognized figures.",
        "Ünïcödé, emoji 😀 and an @everyone ping",
        "word " * 400,  # longer than the model's window: both truncate the same way
    ]
    fast = NumpyBertEmbedder(path, model_id).encode(texts)
    reference = SentenceTransformerEmbedder().encode(texts)
    cosines = (fast * reference).sum(axis=1)
    assert np.all(cosines > 0.9999), cosines
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_every_embedder_knows_the_words_of_its_model_and_a_folder_without_a_word_list_knows_none(tmp_path):
    from retrieval.index.embedder import load_embedder

    model_id, path = resolve_model("packaged:all-MiniLM-L6-v2")
    for embedder in (load_embedder(), NumpyBertEmbedder(path, model_id), SentenceTransformerEmbedder()):
        words = embedder.known_words()
        assert {"where", "announced", "delegation"} <= words  # real words: typo repair leaves them alone
        assert not any(w.startswith("##") or not w.isalpha() for w in words)  # no word pieces
    assert SentenceTransformerEmbedder(str(tmp_path)).known_words() == frozenset()
