"""One-line documents: does indexing time grow linearly with the text?

    python benchmarks/long_document.py                    # 0.25, 0.5, 1 and 2 MB
    python benchmarks/long_document.py --sizes 0.1,0.25 --fake-embedder

A file with no blank line is one paragraph, however long: a 2 MB one-line file is one
paragraph of ~20,000 sentences, so any per-paragraph work that is quadratic in its sentences
shows here first. Each size is built from real English prose (``benchmarks/corpus.py``:
Austen, the Python docs, the Debian handbook, the Jargon File) joined with spaces onto one
line, with the seed article in the middle; it is indexed by ``Citebot.reindex()`` in a child
process of its own with a fresh index folder (so nothing is cached and peak RSS is per size),
with timers around the stages. Then one question about the seed article is asked and its
citation checked. ``--fake-embedder`` swaps the model for a hash of the text (the rest of
the pipeline, without the ~150 texts/s of the model) to look at the other stages quickly.

Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from timers import Timers  # noqa: E402

QUESTION = "How many tents did Rehman dispatch for the victims in Gaza?"
EXPECTED = "10,000 tents"


def one_line_text(size: int) -> str:
    """About ``size`` bytes of English prose on one line, the seed article in the middle."""
    import corpus

    seed = " ".join((ROOT / "seeds").glob("*.txt").__next__().read_text(encoding="utf-8").split()[2:])
    half, parts, total = size // 2, [], 0
    placed = False
    for _, paragraphs in corpus.units():
        for paragraph in paragraphs:
            if not placed and total >= half - len(seed) // 2:
                parts.append(seed)
                total += len(seed.encode()) + 1
                placed = True
            if total >= size:
                return " ".join(parts)
            parts.append(paragraph)
            total += len(paragraph.encode()) + 1
    raise SystemExit(f"the corpus holds about {total:,} bytes, fewer than {size:,}")


class FakeEmbedder:
    """A unit vector from the text's hash: costs nothing, so the other stages stand out."""

    model_id = "fake-hash-384"
    dim = 384

    def encode(self, texts, **kwargs):
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:4], "little")
            out[row] = np.random.default_rng(seed).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def known_words(self) -> frozenset[str]:
        return frozenset()  # no word list: typo repair is off, as for any model without one




def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(size_mb: float, fake: bool) -> None:
    import retrieval.people.extract as people
    import retrieval.api as service
    import retrieval.index.build as build
    from retrieval.settings import Settings

    text = one_line_text(int(size_mb * 1_000_000))
    if fake:
        embedder = FakeEmbedder()
    else:
        from retrieval.index.embedder import load_embedder

        embedder = load_embedder()
        embedder.warm_up()
        embedder._reference._load()  # the batch model too: its load is not embedding time
    people.get_nlp()  # the models load before the clock starts
    timers = Timers()
    timers.wrap(service.Citebot, "_load_documents", "load + split")
    timers.wrap(service.Citebot, "_embed", "embed")
    timers.wrap(build.LexicalIndex, "build", "BM25")
    timers.wrap(people, "find_people", "people")
    timers.wrap(people, "extract_quotes", "quotes")
    timers.wrap(people, "reported_speech", "reported")
    timers.wrap(build.Vocabulary, "from_texts", "vocabulary")
    timers.wrap(build, "write_generation", "write")
    timers.wrap(service, "Searcher", "load back")
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        seeds.mkdir()
        (seeds / "long.txt").write_text(text + "\n", encoding="utf-8")
        baseline = peak_rss_mb()
        citebot = service.Citebot(Settings(seeds_dir=seeds, index_dir=Path(tmp) / "index"), embedder=embedder)
        started = time.perf_counter()
        report = citebot.reindex()
        total = time.perf_counter() - started
        build_rss = peak_rss_mb()
        started = time.perf_counter()
        answer = citebot.ask(QUESTION)
        ask_s = time.perf_counter() - started
    best = answer.results[0] if answer.results else None
    print(
        json.dumps(
            {
                "MB": size_mb,
                "bytes": len(text.encode()),
                "paragraphs": report.paragraphs,
                "sentences": report.sentences,
                "embedded": report.embedded,
                "total s": total,
                "stages s": dict(timers),
                "RSS before MB": baseline,
                "peak RSS MB": build_rss,
                "ask s": ask_s,
                "answer ok": bool(best and EXPECTED in best.text and best.paragraph == 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0.25,0.5,1,2", help="MB, comma-separated")
    parser.add_argument("--fake-embedder", action="store_true", help="hash vectors instead of the model")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(args.child, args.fake_embedder)
    rows = []
    for size in (float(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--child", str(size)] + (["--fake-embedder"] if args.fake_embedder else [])
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    stages = list(dict.fromkeys(k for r in rows for k in r["stages s"]))
    # The model's speed swings with what else runs on the machine: the rest is shown apart.
    print(f"| MB | sentences | {' | '.join(stages)} | total s | s per MB | all but embed, s per MB | embedded per s | peak RSS MB | ask s | answer |")
    print("|" + "---|" * (len(stages) + 10))
    for r in rows:
        cells = [f"{r['stages s'].get(s, 0.0):.1f}" for s in stages]
        embed = r["stages s"].get("embed", 0.0)
        print(
            f"| {r['MB']:g} | {r['sentences']:,} | {' | '.join(cells)} | {r['total s']:.1f} | "
            f"{r['total s'] / r['MB']:.1f} | {(r['total s'] - embed) / r['MB']:.1f} | {r['embedded'] / embed:.0f} | "
            f"{r['peak RSS MB']:.0f} | {r['ask s']:.2f} | {'ok' if r['answer ok'] else 'WRONG'} |"
        )


if __name__ == "__main__":
    main()
