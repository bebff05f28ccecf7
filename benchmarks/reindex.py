"""Incremental reindex: what adding one document to a built index costs.

    python benchmarks/reindex.py --size 10k

Builds the corpus of ``--size`` sentences (``benchmarks/corpus.py``) into a scratch copy under
``benchmarks/.cache/`` (the first run embeds everything and takes minutes; later runs reuse
the caches), then adds one short new document per repeat and times ``Citebot.reindex()``,
printing the stages the report names. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402

from retrieval.api import Citebot  # noqa: E402
from retrieval.settings import Settings  # noqa: E402

# Numbered by the clock, so every run adds text no cache has seen.
NEW = "date 2024-03-{day:02d}\nBergen - Harbour master Ola Hansen said ferry {n} will run all night.\n\nHansen thanked the crews of ferry {n}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="10k")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    source = corpus.build(corpus.parse_size(args.size))
    work = corpus.CACHE / f"reindex-{args.size}"
    seeds = work / "seeds"
    if seeds.exists():
        shutil.rmtree(seeds)
    shutil.copytree(source, seeds, ignore=shutil.ignore_patterns(".done"))
    citebot = Citebot(Settings(seeds_dir=seeds, index_dir=work / "index"))
    started = time.perf_counter()
    first = citebot.reindex()
    print(f"build: {time.perf_counter() - started:.1f} s, {first.sentences:,} sentences, {first.embedded:,} texts embedded")
    times = []
    for n in range(1, args.repeat + 1):
        (seeds / f"new-{n}.txt").write_text(NEW.format(day=n, n=f"{time.time_ns()}"), encoding="utf-8")
        started = time.perf_counter()
        report = citebot.reindex()
        times.append(time.perf_counter() - started)
        print(f"add one document #{n}: {times[-1]:.1f} s, {report.embedded} texts embedded, added {report.added}")
    print(f"median: {statistics.median(times):.1f} s over {len(times)} reindexes of {first.sentences:,} sentences")


if __name__ == "__main__":
    main()
