"""Speed on the seed corpus: index build, warm query latency, cold ``citebot ask``.

    python benchmarks/speed.py [--repeat 5]

Prints: seed index build time after the model is loaded (cache cold and warm), query
embedding alone (the floor), warm ``ask`` p50/p95/p99 over the evaluation questions, and
the wall time of a cold ``citebot ask`` process on a persisted index.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.index.embedder import load_embedder  # noqa: E402
from tables import print_table  # noqa: E402
from retrieval.api import Citebot  # noqa: E402
from retrieval.settings import Settings  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the questions / cold runs")
    args = parser.parse_args()
    questions = [
        json.loads(line)["question"]
        for line in (ROOT / "benchmarks" / "eval_seed.jsonl").read_text().splitlines()
        if line.strip()
    ]
    embedder = load_embedder()
    embedder.warm_up()
    from retrieval.people.nlp import get_nlp

    get_nlp()  # "after model load": spaCy's model too, for people and quotes
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        settings = Settings(seeds_dir=ROOT / "seeds", index_dir=index_dir)
        started = time.perf_counter()
        citebot = Citebot(settings, embedder=embedder)
        report = citebot.reindex()
        rows.append(("seed index build, empty cache (model loaded)", f"{time.perf_counter() - started:.2f} s ({report.embedded} texts embedded)"))
        started = time.perf_counter()
        report = citebot.reindex()
        rows.append(("seed index build, warm cache", f"{time.perf_counter() - started:.2f} s ({report.embedded} texts embedded)"))

        # Measure the real work: the query-vector cache would turn repeats into lookups.
        import retrieval.index.embedder as embedder_module

        cache_size = embedder_module.QUERY_CACHE_SIZE
        embedder_module.QUERY_CACHE_SIZE = 0
        embed_ms = []
        for _ in range(args.repeat):
            for q in questions:
                t = time.perf_counter()
                embedder.encode([q])
                embed_ms.append((time.perf_counter() - t) * 1000)
        ask_ms = []
        for _ in range(args.repeat):
            for q in questions:
                t = time.perf_counter()
                citebot.ask(q)
                ask_ms.append((time.perf_counter() - t) * 1000)
        embedder_module.QUERY_CACHE_SIZE = cache_size
        cached_ms = []
        for q in questions * 2:
            t = time.perf_counter()
            citebot.ask(q)
            cached_ms.append((time.perf_counter() - t) * 1000)
        rows.append(("query embedding alone p50 (the floor)", f"{statistics.median(embed_ms):.1f} ms"))
        rows.append(
            (f"warm ask p50 / p95 / p99 ({len(ask_ms)} questions)",
             f"{statistics.median(ask_ms):.1f} / {percentile(ask_ms, 95):.1f} / {percentile(ask_ms, 99):.1f} ms"),
        )
        rows.append(("warm ask p50, question asked before (cached vector)", f"{statistics.median(cached_ms[len(questions):]):.1f} ms"))
        citebot_bin = shutil.which("citebot")
        command = [citebot_bin] if citebot_bin else [sys.executable, "-m", "bot.cli"]
        cold = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            subprocess.run(
                command + ["--seeds", str(ROOT / "seeds"), "--index-dir", str(index_dir), "ask", "--json", "How many tents were sent?"],
                check=True, capture_output=True, cwd=ROOT,
            )
            cold.append(time.perf_counter() - t)
        rows.append((f"cold `citebot ask`, persisted index (median of {args.repeat})", f"{statistics.median(cold):.2f} s"))
    print_table(rows)


if __name__ == "__main__":
    main()
