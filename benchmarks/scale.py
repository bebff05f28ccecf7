"""Speed and scale: the seeds, 10k, 100k and 1M sentences, one markdown table.

    python benchmarks/scale.py                          # seeds,10k,100k,1m (uses cached builds)
    python benchmarks/scale.py --sizes seeds,10k --quick
    python benchmarks/scale.py --sizes 100k --rebuild   # measure the build again

Every corpus size runs in child processes of its own (so peak RSS is per size and per phase):

* build: ``Citebot.reindex()`` on a folder of real English documents (``benchmarks/corpus.py``)
  with timers around its stages (document loading, embedding through the embedding cache,
  BM25, people/quotes extraction, writing the generation, loading it back), then the model
  alone (sentence-transformers ``encode``, batch 64) on a sample of the same texts, so the
  pipeline's embedding throughput is reported as a % of the model's. Builds are cached under
  ``benchmarks/.cache/`` with their numbers; ``--rebuild`` measures again.
* serve: the time to load the persisted index as ``citebot`` does (manifest check, seed
  fingerprint, FAISS, BM25, SQLite), then 200 questions in process: query embedding alone
  (the floor) and the shipped ``Citebot.ask``, p50/p95/p99; the same questions through a
  plain brute-force baseline (numpy dot over every sentence and paragraph vector plus a
  linear BM25 scan over every token of the corpus, fused the same way); recall@10 of the
  sentence index against exact search.

The 1M row is NOT a 1M-sentence real corpus embedded by the model: it is the 100k corpus
repeated ten times under new document names (the 10k corpus x108 while no 100k build exists),
with the real embeddings copied: copy 0 unchanged, every other copy with its 384 dimensions
shuffled by a fixed per-copy permutation plus Gaussian noise (sigma 0.01), renormalised. Each
copy keeps the real neighbourhood structure, and copies do not collapse onto each other
(plain noisy copies did, and cut the HNSW graph into islands). It measures search, memory,
disk and load at that size, and the table says so.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from timers import Timers  # noqa: E402

import corpus  # noqa: E402

CACHE = corpus.CACHE
SIZES = ("seeds", "10k", "100k", "1m")
PERTURB_SIGMA = 0.01
MODEL_SAMPLE = 2000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def seeds_dir(size: str) -> Path:
    if size == "seeds":
        return ROOT / "seeds"
    if size == "1m":
        source = json.loads(stats_path("1m").read_text())["source"] if stats_path("1m").exists() else replica_source()
        return CACHE / f"corpus-1m-from-{source}"
    return corpus.build(corpus.parse_size(size))


def replica_source() -> str:
    return "100k" if stats_path("100k").exists() else "10k"


def index_dir(size: str) -> Path:
    return CACHE / f"index-v{corpus.VERSION}-{size}"


def stats_path(size: str) -> Path:
    return index_dir(size) / "build-stats.json"


def servable(size: str) -> bool:
    """Can the current code read the cached generation of ``size`` as it is?"""
    from retrieval.index.store import current_generation, read_manifest

    generation = current_generation(index_dir(size))
    try:
        read_manifest(generation, verify=False)
    except Exception:  # no generation, or the index format moved on since it was built
        return False
    return True


def dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# ---- build (child process) --------------------------------------------------------------




def build_child(size: str) -> None:
    import random

    import retrieval.api as service
    import retrieval.index.build as build
    from retrieval.index.chunks import paragraph_texts, sentence_texts
    from retrieval.index.embedder import load_embedder
    from retrieval.settings import Settings

    folder, target = seeds_dir(size), index_dir(size)
    if size == "1m":
        return build_replicated(target)
    embedder = load_embedder()
    started = time.perf_counter()
    embedder._reference._load()  # the model load is reported apart from the throughput
    model_load = time.perf_counter() - started
    embedder.warm_up()
    timers = Timers()
    timers.wrap(service, "load_documents", "load documents + split sentences")
    timers.wrap(service.EmbeddingCache, "embed", "embedding (cache + model)")
    timers.wrap(build.LexicalIndex, "build", "BM25 build")
    timers.wrap(service, "build_extras", "people/quotes extraction")
    timers.wrap(build, "write_generation", "write generation (FAISS, SQLite, BM25 save, hashes)")
    timers.wrap(service, "Searcher", "load it back")
    encoded = []
    original_encode = embedder.encode

    def counting_encode(texts, **kwargs):
        encoded.append(len(texts))
        return original_encode(texts, **kwargs)

    embedder.encode = counting_encode
    citebot = service.Citebot(Settings(seeds_dir=folder, index_dir=target), embedder=embedder)
    log(f"{size}: reindex of {folder}")
    started = time.perf_counter()
    report = citebot.reindex()
    total = time.perf_counter() - started
    build_rss = peak_rss_mb()
    log(f"{size}: built in {total:.1f}s; model alone on a sample")
    # The model alone on the same kind of text: a sample of what the pipeline embedded.
    docs = service.load_documents(folder).documents
    texts = sentence_texts(docs) + paragraph_texts(docs)
    sample = random.Random(0).sample(texts, min(MODEL_SAMPLE, len(texts)))
    model = embedder._reference._load()
    model.encode(sample[:64], batch_size=64)
    started = time.perf_counter()
    model.encode(sample, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    model_alone = len(sample) / (time.perf_counter() - started)
    stats = {
        "size": size,
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "documents": report.documents,
        "sentences": report.sentences,
        "paragraphs": report.paragraphs,
        "texts embedded": report.embedded,
        "model load s": model_load,
        "total s": total,
        "stages s": dict(timers),
        "model alone texts/s": model_alone,
        "model sample": len(sample),
        "build peak RSS MB": build_rss,
        "torch threads": __import__("torch").get_num_threads(),
    }
    stats_path(size).write_text(json.dumps(stats, indent=2))
    log(f"{size}: {json.dumps(stats)}")


def build_replicated(target: Path) -> None:
    """The 1M row: the 100k corpus x10 under new names, its real vectors copied and perturbed
    (the 10k corpus x100 when the 100k build is not there yet; the table says which)."""
    import dataclasses

    import numpy as np

    import retrieval.index.build as build
    from retrieval.documents.loading import LoadResult, load_documents
    from retrieval.index import vectors as index_module
    from retrieval.index.chunks import CHUNKS_FILE, ChunkStore
    from retrieval.index.store import IndexLock, current_generation, read_manifest
    from retrieval.index.vectors import load_index

    source = replica_source()
    source_folder, source_index = seeds_dir(source), index_dir(source)
    generation = current_generation(source_index)
    if generation is None:
        raise SystemExit("build the 100k (or 10k) index first (--sizes 100k)")
    manifest = read_manifest(generation, verify=False)
    copies = -(-1_000_000 // manifest.sentences)
    sent = load_index(generation / "sentences.faiss", manifest.index_kind)
    para = load_index(generation / "paragraphs.faiss", manifest.paragraph_index_kind)
    sent_vectors = sent.reconstruct(np.arange(len(sent)))
    para_vectors = para.reconstruct(np.arange(len(para)))
    chunks = ChunkStore(generation / CHUNKS_FILE)
    source_extras = chunks.extras
    chunks.close()
    del sent, para
    started = time.perf_counter()
    loaded = load_documents(source_folder)
    folder = CACHE / f"corpus-1m-from-{source}"
    folder.mkdir(parents=True, exist_ok=True)
    documents, hashes = [], {}
    for copy in range(copies):
        for d in loaded.documents:
            name = f"r{copy}_{d.doc}"
            link = folder / name
            if not link.exists():
                os.link(source_folder / d.doc, link)
            documents.append(dataclasses.replace(d, doc=name))
            hashes[name] = loaded.hashes[d.doc]
    load_s = time.perf_counter() - started
    rng = np.random.default_rng(0)

    # Copy k's dimensions are shuffled by a fixed permutation (then perturbed): every copy keeps
    # the real neighbourhood structure of the real vectors, but copies do not pile up on each
    # other. Plain noisy copies (the first attempt) made clusters of 100 near-duplicates, which
    # cut the HNSW graph into islands (recall@10 0.51) and say nothing about real corpora.
    perms = [np.arange(sent_vectors.shape[1])] + [rng.permutation(sent_vectors.shape[1]) for _ in range(copies - 1)]

    def replicate(vectors: np.ndarray, out: np.ndarray) -> None:
        noise = np.random.default_rng(1)
        for copy in range(copies):
            block = np.array(vectors[:, perms[copy]], dtype=np.float32)
            if copy:
                block += noise.normal(0, PERTURB_SIGMA, vectors.shape).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            out[copy * len(vectors) : (copy + 1) * len(vectors)] = block

    sentence_count, paragraph_count = len(sent_vectors) * copies, len(para_vectors) * copies

    def replicated_vectors(texts: list[str]) -> tuple[np.ndarray, int]:
        # In the order the build asks for them (every sentence, then every paragraph), one
        # matrix filled in place: no second copy of a million vectors. Nothing is embedded.
        assert len(texts) == sentence_count + paragraph_count
        matrix = np.empty((len(texts), sent_vectors.shape[1]), dtype=np.float32)
        replicate(sent_vectors, matrix[:sentence_count])
        replicate(para_vectors, matrix[sentence_count:])
        log(f"1m: {sentence_count:,} sentence vectors, {paragraph_count:,} paragraph vectors; BM25, then the generation")
        return matrix, 0

    timers = Timers({f"load documents ({source}, then renamed x{copies})": load_s})
    timers.wrap(build.LexicalIndex, "build", "BM25 build")
    timers.wrap(build.Vocabulary, "from_texts", "vocabulary")
    timers.wrap(build, "write_generation", "write generation (FAISS, SQLite, BM25 save, hashes)")
    timers.wrap(index_module, "build_index", "of which the vector indexes (HNSW) build")
    target.mkdir(parents=True, exist_ok=True)
    lock = IndexLock(target)
    assert lock.acquire(), f"another build holds {target}"
    try:
        build.build_generation(
            target,
            LoadResult(tuple(documents), loaded.skipped, hashes),
            model_id="sentence-transformers/all-MiniLM-L6-v2",
            vectors=replicated_vectors,
            # People and quotes as the source found them (spaCy over 1M sentences would take
            # hours and say nothing new; nor any reading aids: the replica is for speed at scale);
            # the vocabulary the build makes itself.
            extras=lambda docs: build.Extracted({k: v for k, v in source_extras.items() if k != "vocabulary"}),
            reason="1m replica",
        )
    finally:
        lock.release()
    stats = {
        "size": "1m",
        "source": source,
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "documents": len(documents),
        "sentences": sentence_count,
        "paragraphs": paragraph_count,
        "texts embedded": 0,
        "replicated": f"NOT embedded: the {source} real corpus x{copies}, its real vectors copied with dimensions shuffled per copy and perturbed (sigma {PERTURB_SIGMA}); copy 0 is the real index",
        "total s": sum(v for k, v in timers.items() if not k.startswith("of which")),
        "stages s": dict(timers),
        "build peak RSS MB": peak_rss_mb(),
    }
    stats_path("1m").write_text(json.dumps(stats, indent=2))
    log(f"1m: {json.dumps(stats)}")


# ---- serve (child process) --------------------------------------------------------------


def questions(folder: Path, count: int) -> list[str]:
    """The seed evaluation questions, then questions made from corpus sentences (deterministic)."""
    import random
    import re

    out = [json.loads(line)["question"] for line in (ROOT / "benchmarks" / "eval_seed.jsonl").read_text().splitlines() if line.strip()]
    files = sorted(p for p in folder.glob("*.txt") if not p.name.startswith("000_"))
    rng = random.Random(42)
    templates = ("What does the text say about {}?", "Why {}?", "Who {}?", "How {}?", "What happened when {}?")
    while len(out) < count and files:
        text = rng.choice(files).read_text(encoding="utf-8").split("\n\n")
        paragraph = rng.choice(text[1:] or text)
        words = re.findall(r"[A-Za-z][A-Za-z'-]+", paragraph)
        if len(words) < 12:
            continue
        start = rng.randrange(0, len(words) - 8)
        out.append(rng.choice(templates).format(" ".join(words[start : start + rng.randrange(5, 9)])))
    return out[:count]


class BruteForce:
    """The baseline: every vector dotted, every token scanned, fused like the shipped search."""

    def __init__(self, searcher) -> None:
        import numpy as np

        from retrieval.index.chunks import lexical_texts
        from retrieval.index.lexical import tokenize

        self.sentences = searcher._sentences.reconstruct(np.arange(len(searcher._sentences)))
        self.paragraphs = searcher._paragraphs.reconstruct(np.arange(len(searcher._paragraphs)))
        self.sent_para = searcher._sent_para
        vocab: dict[str, int] = {}
        ids, lengths = [], []
        # The same texts the shipped BM25 indexed, from the documents the index holds.
        for text in lexical_texts(searcher.chunks.read_documents()):
            tokens = tokenize(text)
            lengths.append(len(tokens))
            ids.extend(vocab.setdefault(t, len(vocab)) for t in tokens)
        self.vocab = vocab
        self.tokens = np.asarray(ids, dtype=np.int32)
        self.lengths = np.asarray(lengths, dtype=np.float32)
        self.owner = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
        self.avg = float(self.lengths.mean()) if len(lengths) else 1.0

    def bm25(self, query: str):
        import numpy as np

        from retrieval.index.lexical import tokenize

        scores = np.zeros(len(self.lengths), dtype=np.float32)
        n = len(self.lengths)
        for term in set(tokenize(query)):
            tid = self.vocab.get(term)
            if tid is None:
                continue
            hits = self.owner[self.tokens == tid]  # the linear scan: every token of the corpus
            tf = np.bincount(hits, minlength=n).astype(np.float32)
            df = int(np.count_nonzero(tf))
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
            scores += idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * self.lengths / self.avg))
        return scores

    def ask(self, query_vector, question: str, k: int = 10):
        import numpy as np

        s = self.sentences @ query_vector
        p = self.paragraphs @ query_vector
        lex = self.bm25(question)
        top = float(lex.max()) if lex.size else 0.0
        combined = 0.5 * s + 0.5 * p[self.sent_para] + (0.15 * lex / top if top > 0 else 0)
        best = np.argpartition(-combined, min(k, len(combined) - 1))[:k]
        return best[np.argsort(-combined[best])]


def serve_child(size: str, count: int, quick: bool, hnsw_probe: bool) -> None:
    import numpy as np

    from retrieval.documents.loading import seed_fingerprint
    from retrieval.index.embedder import load_embedder
    from retrieval.index.vectors import HNSWIndex, load_index
    from retrieval.index.lexical import LexicalIndex
    from retrieval.query.search import Searcher
    from retrieval.api import Citebot
    from retrieval.settings import Settings
    from retrieval.index.store import current_generation, read_manifest

    import retrieval.index.embedder as embedder_module

    folder, target = seeds_dir(size), index_dir(size)
    generation = current_generation(target)
    out: dict[str, object] = {"size": size}
    # Every question is new to the model in the main measurements; the cache is measured apart.
    embedder_module.QUERY_CACHE_SIZE = 0
    embedder = load_embedder()
    base_rss = peak_rss_mb()
    if size == "1m" and not servable(size):
        raise SystemExit("the cached 1m build cannot be served: run again with --rebuild")
    # Load as `citebot` does: staleness check (manifest + every file hashed, seeds hashed), then
    # the Searcher (which checks the manifest again). Timed as a whole, then in parts.
    started = time.perf_counter()
    citebot = Citebot(Settings(seeds_dir=folder, index_dir=target), embedder=embedder)
    rebuilt = citebot.ensure_index()
    out["load s"] = time.perf_counter() - started
    if rebuilt is not None:
        # The code moved on since the cached build (e.g. a new index format): citebot rebuilt
        # it, re-using the cached embeddings. Load the new generation again, timed.
        log(f"{size}: the cached index was rebuilt first ({rebuilt.reason}, {rebuilt.seconds:.0f}s)")
        out["rebuilt before serving"] = f"{rebuilt.reason} ({rebuilt.seconds:.0f} s, {rebuilt.embedded} texts embedded)"
        generation = current_generation(target)
        started = time.perf_counter()
        citebot = Citebot(Settings(seeds_dir=folder, index_dir=target), embedder=embedder)
        assert citebot.ensure_index() is None
        out["load s"] = time.perf_counter() - started
    searcher = citebot.searcher
    parts = {}
    t = time.perf_counter(); read_manifest(generation, verify=True); parts["manifest check (sha256 of data files)"] = time.perf_counter() - t
    t = time.perf_counter(); seed_fingerprint(folder); parts["seed fingerprint (sha256 of documents)"] = time.perf_counter() - t
    manifest = read_manifest(generation, verify=False)
    t = time.perf_counter(); load_index(generation / "sentences.faiss", manifest.index_kind); parts["FAISS read"] = time.perf_counter() - t
    t = time.perf_counter(); LexicalIndex.load(generation / "bm25"); parts["BM25 load"] = time.perf_counter() - t
    t = time.perf_counter(); Searcher(generation, embedder, verify=False).close(); parts["Searcher(verify=False) total"] = time.perf_counter() - t
    out["load parts s"] = parts
    out["index kind"] = manifest.index_kind
    out["sentences"] = manifest.sentences
    out["disk bytes"] = dir_bytes(generation)
    out["disk bytes by file"] = {p.name: (dir_bytes(p) if p.is_dir() else p.stat().st_size) for p in generation.iterdir()}
    gc.collect()

    qs = questions(folder, count)
    embedder.warm_up()
    for q in qs[:5]:
        citebot.ask(q)
    embed_ms, ask_ms = [], []
    vectors = []
    for q in qs:
        t = time.perf_counter()
        vectors.append(embedder.encode([q])[0])
        embed_ms.append((time.perf_counter() - t) * 1000)
    for q in qs:
        t = time.perf_counter()
        citebot.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
    embedder_module.QUERY_CACHE_SIZE = 1024
    for q in qs:
        citebot.ask(q)
    cached_ms = []
    for q in qs:
        t = time.perf_counter()
        citebot.ask(q)
        cached_ms.append((time.perf_counter() - t) * 1000)
    embedder_module.QUERY_CACHE_SIZE = 0
    out["repeated ask ms"] = cached_ms
    out["load average"] = os.getloadavg()
    out["questions"] = len(qs)
    out["embed ms"] = embed_ms
    out["ask ms"] = ask_ms
    out["serve peak RSS MB"] = peak_rss_mb()
    out["model-only RSS MB"] = base_rss

    # Dense search alone: the shipped index vs exact numpy over every vector.
    queries = np.asarray(vectors, dtype=np.float32)
    index = searcher._sentences
    search_ms = []
    for qv in queries:
        t = time.perf_counter()
        index.search(qv[None, :], 64)
        search_ms.append((time.perf_counter() - t) * 1000)
    out["index search ms"] = search_ms
    lex_ms = []
    for q in qs:
        t = time.perf_counter()
        searcher._lexical.scores(searcher.vocab.correct(q))
        lex_ms.append((time.perf_counter() - t) * 1000)
    out["bm25s ms"] = lex_ms
    if not quick or size in ("seeds", "10k"):
        log(f"{size}: brute-force baseline")
        base = BruteForce(searcher)
        dot_ms, scan_ms, base_ms = [], [], []
        exact = []
        for qv, q in zip(queries, qs):
            t = time.perf_counter()
            s = base.sentences @ qv
            top = np.argpartition(-s, min(10, len(s) - 1))[:10]
            exact.append(set(top[np.argsort(-s[top])][:10].tolist()))
            dot_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            base.bm25(q)
            scan_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            base.ask(embedder.encode([q])[0], q)
            base_ms.append((time.perf_counter() - t) * 1000)
        out["numpy dot ms"] = dot_ms
        out["bm25 scan ms"] = scan_ms
        out["baseline ask ms"] = base_ms
        _, ids = index.search(queries, 10)
        out["recall@10"] = float(np.mean([len(set(row.tolist()) & e) / min(10, len(e)) for row, e in zip(ids, exact)]))
        if hnsw_probe and manifest.index_kind == "flat" and len(base.sentences) >= 50_000:
            # What the approximate index would give at this size (not chosen below the threshold).
            log(f"{size}: HNSW probe")
            t = time.perf_counter()
            probe = HNSWIndex.build(base.sentences)
            out["hnsw probe build s"] = time.perf_counter() - t
            probe_ms = []
            for qv in queries:
                t = time.perf_counter()
                probe.search(qv[None, :], 64)
                probe_ms.append((time.perf_counter() - t) * 1000)
            _, ids = probe.search(queries, 10)
            out["hnsw probe ms"] = probe_ms
            out["hnsw probe recall@10"] = float(np.mean([len(set(row.tolist()) & e) / 10 for row, e in zip(ids, exact)]))
        del base
    out["peak RSS MB (incl. baseline)"] = peak_rss_mb()
    (target / "serve-stats.json").write_text(json.dumps(out))
    log(f"{size}: served; p50 ask {percentile(ask_ms, 50):.1f} ms")


# ---- the table --------------------------------------------------------------------------


def run_child(args: list[str]) -> None:
    subprocess.run([sys.executable, __file__, *args], check=True)


def fmt_ms(values: list[float]) -> str:
    return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f} / {percentile(values, 99):.1f}"


def table(sizes: list[str]) -> str:
    rows: list[tuple[str, list[str]]] = []
    data = []
    for size in sizes:
        b = json.loads(stats_path(size).read_text()) if stats_path(size).exists() else {}
        s = json.loads((index_dir(size) / "serve-stats.json").read_text()) if (index_dir(size) / "serve-stats.json").exists() else {}
        data.append((size, b, s))

    def row(name, fn):
        cells = []
        for size, b, s in data:
            try:
                cells.append(fn(b, s))
            except (KeyError, ZeroDivisionError, TypeError, ValueError):
                cells.append("–")
        rows.append((name, cells))

    p50 = lambda v: percentile(v, 50)  # noqa: E731
    row("corpus", lambda b, s: b.get("replicated") or ("seed article" if b["size"] == "seeds" else "real text, embedded by the model"))
    row("documents / paragraphs / sentences", lambda b, s: f"{b['documents']:,} / {b['paragraphs']:,} / {b['sentences']:,}")
    row("build measured", lambda b, s: b["measured"])
    row("texts embedded (sentences + paragraph contexts)", lambda b, s: f"{b['texts embedded']:,}")
    emb = "embedding (cache + model)"
    row("embedding throughput, pipeline (texts/s)", lambda b, s: f"{b['texts embedded'] / b['stages s'][emb]:,.0f}" if b["texts embedded"] else "– (reused)")
    row("model alone, same texts (texts/s)", lambda b, s: f"{b['model alone texts/s']:,.0f}")
    row("pipeline as % of model alone (target ≥ 80%)",
        lambda b, s: f"{100 * b['texts embedded'] / b['stages s'][emb] / b['model alone texts/s']:.0f}%" if b["texts embedded"] else "–")
    row("indexing throughput, all but embedding (sentences/s)",
        lambda b, s: f"{b['sentences'] / (b['total s'] - b['stages s'].get(emb, 0)):,.0f}")
    row("indexing throughput without people/quotes (sentences/s)",
        lambda b, s: f"{b['sentences'] / (b['total s'] - b['stages s'].get(emb, 0) - b['stages s'].get('people/quotes extraction', 0)):,.0f}")
    row("build wall total (s)", lambda b, s: f"{b['total s']:.1f}")
    row("build stages (s)", lambda b, s: "; ".join(f"{k.split(' (')[0]} {v:.1f}" for k, v in b["stages s"].items()))
    row("build peak RSS (MB)", lambda b, s: f"{b['build peak RSS MB']:,.0f}")
    row("sentence index", lambda b, s: s["index kind"])
    row("query embedding alone p50 / p95 / p99 (ms) — the floor", lambda b, s: fmt_ms(s["embed ms"]))
    row("warm ask p50 / p95 / p99 (ms)", lambda b, s: fmt_ms(s["ask ms"]))
    row("repeated question (query-vector cache hit) p50 / p95 / p99 (ms)", lambda b, s: fmt_ms(s["repeated ask ms"]))
    row("load average during the query run (1/5/15 min)", lambda b, s: " / ".join(f"{x:.1f}" for x in s["load average"]))
    row("warm ask p50 minus embedding p50 (ms)", lambda b, s: f"{p50(s['ask ms']) - p50(s['embed ms']):.1f}")
    row("shipped index search p50 (ms, k=64)", lambda b, s: f"{p50(s['index search ms']):.2f}")
    row("numpy dot over all vectors p50 (ms)", lambda b, s: f"{p50(s['numpy dot ms']):.2f}")
    row("bm25s p50 (ms) / linear BM25 scan p50 (ms)", lambda b, s: f"{p50(s['bm25s ms']):.2f} / {p50(s['bm25 scan ms']):.2f}")
    row("brute-force ask p50 (ms)", lambda b, s: f"{p50(s['baseline ask ms']):.1f}")
    row("shipped / brute-force: ask, vector search, BM25 (p50)",
        lambda b, s: f"{p50(s['ask ms']) / p50(s['baseline ask ms']):.2f} / {p50(s['index search ms']) / p50(s['numpy dot ms']):.2f} / {p50(s['bm25s ms']) / p50(s['bm25 scan ms']):.2f}")
    row("recall@10 of the sentence index vs exact", lambda b, s: f"{s['recall@10']:.3f}")
    row("HNSW probe at this size: recall@10, search p50 (ms), build (s)",
        lambda b, s: f"{s['hnsw probe recall@10']:.3f}, {p50(s['hnsw probe ms']):.2f}, {s['hnsw probe build s']:.0f}")
    row("serve peak RSS (MB): model only / + index + 200 asks / + baseline", lambda b, s: f"{s['model-only RSS MB']:,.0f} / {s['serve peak RSS MB']:,.0f} / {s['peak RSS MB (incl. baseline)']:,.0f}")
    row("index on disk (bytes per sentence)", lambda b, s: f"{s['disk bytes'] / s['sentences']:,.0f} ({s['disk bytes'] / 2**20:,.0f} MiB)")
    row("load persisted index, as citebot does (s)", lambda b, s: f"{s['load s']:.2f}")
    row("load parts (s)", lambda b, s: "; ".join(f"{k} {v:.2f}" for k, v in s["load parts s"].items()))
    head = "| measure | " + " | ".join(size for size, _, _ in data) + " |"
    lines = [head, "|---|" + "---|" * len(data)]
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: seeds,10k,100k,1m")
    parser.add_argument("--quick", action="store_true", help="50 questions; no baseline above 10k; no HNSW probe")
    parser.add_argument("--rebuild", action="store_true", help="build again even when a cached build exists")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--table-only", action="store_true", help="print the table from cached numbers")
    parser.add_argument("--_build", help=argparse.SUPPRESS)
    parser.add_argument("--_serve", help=argparse.SUPPRESS)
    parser.add_argument("--_probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._build:
        return build_child(args._build)
    if args._serve:
        return serve_child(args._serve, args.questions, args.quick, args._probe)
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    if not args.table_only:
        for size in sizes:
            stale_replica = size == "1m" and stats_path("1m").exists() and json.loads(stats_path("1m").read_text()).get("source") != replica_source()
            stale_replica = stale_replica or (size == "1m" and stats_path("1m").exists() and not servable("1m"))
            if args.rebuild or stale_replica or not stats_path(size).exists():
                if args.rebuild and index_dir(size).exists():
                    shutil.rmtree(index_dir(size))  # the embedding cache too: measure the model again
                log(f"{size}: build")
                run_child(["--_build", size])
            log(f"{size}: serve")
            run_child(["--_serve", size, "--questions", str(50 if args.quick else args.questions)]
                      + (["--quick"] if args.quick else []) + ([] if args.quick else ["--_probe"]))
    print(table(sizes))


if __name__ == "__main__":
    sys.exit(main())
