"""The persisted index: round trip, stale detection, corruption, embedding cache."""

import json

from retrieval.api import Citebot
from retrieval.errors import ReindexFailed
from retrieval.index.store import EmbeddingCache, current_generation

ARTICLE = "date 2024-03-01\nOslo - The council approved a new bridge. It will cost 40 million kroner.\n\nThe mayor, Kari Nordmann, said work starts in May."


def test_round_trip_reuses_the_persisted_index(make_citebot, embedder):
    citebot = make_citebot({"bridge.txt": ARTICLE})
    report = citebot.ensure_index()
    assert report is not None and report.added == ("bridge.txt",)
    # A new process (a new Citebot) loads what is on disk instead of rebuilding.
    again = Citebot(citebot.settings, embedder=embedder)
    assert again.ensure_index() is None
    answer = again.ask("How much will the bridge cost?")
    assert answer.answered and answer.results[0].paragraph == 1


def test_changed_document_makes_the_index_stale_and_the_cache_saves_work(make_citebot, embedder):
    citebot = make_citebot({"bridge.txt": ARTICLE})
    citebot.ensure_index()
    seeds = citebot.settings.seeds_dir
    (seeds / "bridge.txt").write_text(ARTICLE + "\n\nA third paragraph about ferries.")
    (seeds / "extra.md").write_text("# Ferries\n\nFerries run every hour.")
    report = Citebot(citebot.settings, embedder=embedder).ensure_index()
    assert report is not None
    assert report.changed == ("bridge.txt",) and report.added == ("extra.md",)
    # Only the new sentences and the paragraphs that changed went through the model.
    assert 0 < report.embedded < report.sentences + report.paragraphs


def test_removed_document_is_reported(make_citebot, embedder):
    citebot = make_citebot({"bridge.txt": ARTICLE, "other.txt": "Something else entirely."})
    citebot.ensure_index()
    (citebot.settings.seeds_dir / "other.txt").unlink()
    report = Citebot(citebot.settings, embedder=embedder).ensure_index()
    assert report.removed == ("other.txt",)
    assert [s.doc for s in Citebot(citebot.settings, embedder=embedder).sources()] == ["bridge.txt"]


def test_truncated_vectors_file_forces_a_rebuild(make_citebot, embedder):
    citebot = make_citebot({"bridge.txt": ARTICLE})
    citebot.ensure_index()
    faiss_file = current_generation(citebot.settings.index_dir) / "sentences.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:64])
    fresh = Citebot(citebot.settings, embedder=embedder)
    report = fresh.ensure_index()
    assert report is not None and "manifest" in report.reason
    assert fresh.ask("When does work start?").results[0].paragraph == 2


def test_model_change_forces_a_rebuild(make_citebot, embedder):
    citebot = make_citebot({"bridge.txt": ARTICLE})
    citebot.ensure_index()
    manifest_path = current_generation(citebot.settings.index_dir) / "manifest.json"
    data = json.loads(manifest_path.read_text())
    data["model_id"] = "some-other-model"
    manifest_path.write_text(json.dumps(data))
    report = Citebot(citebot.settings, embedder=embedder).ensure_index()
    assert report is not None and "model changed" in report.reason


def test_failed_rebuild_keeps_the_old_index_serving(make_citebot, monkeypatch):
    citebot = make_citebot({"bridge.txt": ARTICLE})
    citebot.ensure_index()
    before = citebot.ask("How much will the bridge cost?")
    (citebot.settings.seeds_dir / "more.txt").write_text("Another document about tunnels.")

    import retrieval.index.build as build

    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "write_generation", explode)
    try:
        citebot.reindex()
    except ReindexFailed as exc:
        # Wrapped so every edge shows it as a CitebotError; the cause stays attached.
        assert "No space left on device" in str(exc) and isinstance(exc.__cause__, OSError)
    else:
        raise AssertionError("the rebuild should have failed")
    after = citebot.ask("How much will the bridge cost?")
    assert after.to_json() == before.to_json()
    assert [s.doc for s in citebot.sources()] == ["bridge.txt"]


def test_large_corpus_gets_approximate_indexes_for_sentences_and_paragraphs(make_citebot, embedder, monkeypatch):
    import retrieval.index.vectors as index_module

    monkeypatch.setattr(index_module, "HNSW_THRESHOLD", 3)
    citebot = make_citebot({"bridge.txt": ARTICLE, "ferry.md": "# Ferries\n\nFerries run hourly.\n\nTickets cost 5 kroner."})
    citebot.ensure_index()
    manifest = json.loads((current_generation(citebot.settings.index_dir) / "manifest.json").read_text())
    assert manifest["index_kind"] == "hnsw" and manifest["paragraph_index_kind"] == "hnsw"
    again = Citebot(citebot.settings, embedder=embedder)
    assert again.ensure_index() is None  # reloads with the recorded kinds
    assert again.ask("How much does a ferry ticket cost?").results[0].doc == "ferry.md"


def test_a_generation_built_from_vectors_the_caller_has_is_served_as_it_is(make_citebot, embedder):
    """The build the benchmarks share with ``reindex``: any source of vectors, same generation."""
    from retrieval.documents.loading import load_documents
    from retrieval.index.build import Extracted, build_generation
    from retrieval.index.chunks import paragraph_texts, sentence_texts
    from retrieval.index.store import IndexLock

    citebot = make_citebot({"bridge.txt": ARTICLE})
    loaded = load_documents(citebot.settings.seeds_dir)
    asked: list[str] = []

    def vectors(texts):
        asked.extend(texts)
        return embedder.encode(texts), 0

    citebot.index_dir.mkdir()
    lock = IndexLock(citebot.index_dir)
    assert lock.acquire()
    try:
        report = build_generation(citebot.index_dir, loaded, model_id=embedder.model_id, vectors=vectors, extras=lambda docs: Extracted({}))
    finally:
        lock.release()
    assert report.added == ("bridge.txt",) and report.embedded == 0 and report.sentences == 3
    assert asked == sentence_texts(loaded.documents) + paragraph_texts(loaded.documents)
    assert citebot.ensure_index() is None  # it matches the seeds and the model: nothing to rebuild
    assert citebot.generation == report.generation
    assert citebot.ask("How much will the bridge cost?").results[0].paragraph == 1


def test_same_size_rewrite_of_an_index_file_is_caught(make_citebot, embedder):
    citebot = make_citebot({"bridge.txt": ARTICLE})
    citebot.ensure_index()
    sqlite_file = current_generation(citebot.settings.index_dir) / "chunks.sqlite"
    data = bytearray(sqlite_file.read_bytes())
    data[-100:] = b"\xff" * 100  # same size, different bytes: the quick check must not pass it
    sqlite_file.write_bytes(bytes(data))
    report = Citebot(citebot.settings, embedder=embedder).ensure_index()
    assert report is not None and "manifest" in report.reason


class _Calendar:
    """``time`` for retrieval.index.cache with a settable date: the cache's month passes in a test."""

    def __init__(self) -> None:
        import time

        self._time = time
        self.now = time.time()

    def __getattr__(self, name):
        return getattr(self._time, name)

    def time(self) -> float:
        return self.now


OTHER = "Ferries run every hour from the old harbour. The last one leaves at midnight."


def _cached(citebot) -> int:
    cache = EmbeddingCache(citebot.settings.index_dir / "embeddings.sqlite")
    try:
        return len(cache)
    finally:
        cache.close()


def test_a_document_put_back_within_a_month_is_not_embedded_again(make_citebot, monkeypatch):
    calendar = _Calendar()
    monkeypatch.setattr("retrieval.index.cache.time", calendar)
    citebot = make_citebot({"bridge.txt": ARTICLE, "ferry.txt": OTHER})
    citebot.ensure_index()
    seeds = citebot.settings.seeds_dir
    (seeds / "ferry.txt").unlink()
    calendar.now += 20 * 86400
    assert citebot.reindex().removed == ("ferry.txt",)
    (seeds / "ferry.txt").write_text(OTHER)
    calendar.now += 5 * 86400
    report = citebot.reindex()
    assert report.added == ("ferry.txt",) and report.embedded == 0


def test_vectors_no_build_used_for_a_month_leave_the_cache(make_citebot, monkeypatch):
    calendar = _Calendar()
    monkeypatch.setattr("retrieval.index.cache.time", calendar)
    citebot = make_citebot({"bridge.txt": ARTICLE, "ferry.txt": OTHER})
    citebot.ensure_index()
    full = _cached(citebot)
    seeds = citebot.settings.seeds_dir
    (seeds / "ferry.txt").unlink()
    calendar.now += 20 * 86400
    citebot.reindex()
    assert _cached(citebot) == full  # still inside the month: kept in case it comes back
    calendar.now += 20 * 86400
    citebot.reindex()
    assert _cached(citebot) < full  # the ferry sentences went; the bridge ones were used again
    assert citebot.ask("How much will the bridge cost?").answered
    (seeds / "ferry.txt").write_text(OTHER)
    assert citebot.reindex().embedded > 0  # back after the month: embedded anew


HARBOUR = "date 2024-03-05\nBergen - Harbour master Ola Hansen said the ferries will run all night.\n\nHansen thanked the crews."


def test_a_reindex_splits_and_tags_only_new_paragraphs_and_finds_the_same_people(make_citebot, monkeypatch):
    import retrieval.documents.sentences as sentences
    import retrieval.people.nlp as spacy_pass  # the one spaCy pass of a build
    from retrieval.people import extract_people
    from retrieval.documents.loading import load_documents

    citebot = make_citebot({"bridge.txt": ARTICLE, "ferry.txt": OTHER})
    citebot.ensure_index()
    nlp = spacy_pass.get_nlp()
    assert nlp is not None, "spaCy's English model is a dependency"
    read: list[str] = []

    class Reading:
        """spaCy's pipeline, noting every text it is given."""

        def __getattr__(self, name):
            return getattr(nlp, name)

        def pipe(self, texts, **options):
            texts = list(texts)
            read.extend(texts)
            return nlp.pipe(texts, **options)

    split: list[str] = []
    real_split = sentences.split_sentences

    def splitting(text):
        split.append(text)
        return real_split(text)

    monkeypatch.setattr(spacy_pass, "get_nlp", lambda: Reading())
    monkeypatch.setattr(sentences, "split_sentences", splitting)
    (citebot.settings.seeds_dir / "harbour.txt").write_text(HARBOUR)
    citebot.reindex()
    monkeypatch.setattr(sentences, "split_sentences", real_split)
    new = load_documents(citebot.settings.seeds_dir).documents
    harbour = sorted(p.text for d in new if d.doc == "harbour.txt" for p in d.paragraphs)
    assert sorted(read) == harbour and sorted(split) == harbour

    # Annotations from the cache give what a build from nothing gives.
    monkeypatch.setattr(spacy_pass, "get_nlp", lambda: nlp)
    fresh = extract_people(new)
    assert [(p.name, p.roles, p.mentions) for p in citebot.people()] == [(p.name, p.roles, p.mentions) for p in fresh]
    assert "Ola Hansen" in {p.name for p in fresh}
