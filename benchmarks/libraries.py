"""Many server libraries in one process: memory, the first answer from an unloaded library,
and warm ``ask`` across server scopes against the single library.

    python benchmarks/libraries.py [--servers 1000] [--budget N] [--repeat 3]

Builds ``--servers`` server libraries of one short, distinct document each (plus the shared
library, the bundled seed article) once into ``benchmarks/.cache/libraries-<n>/``; later runs
reuse them (build time is not measured: each library is its own index, so nothing is cached
across them and the first build takes minutes). Then, each in its own process so its peak
RSS is its own:

* ``base``: the model and the shared library loaded, one question asked;
* ``all``: one question in every server's scope with a budget that keeps all loaded;
* ``budget``: the same with the budget (``--budget``, default ``CITEBOT_LIBRARY_BUDGET``'s);
  both also time each first answer from a library not loaded yet (load + ask);
* ``warm``: the evaluation questions on the seed article, asked the way ``speed.py`` asks
  them of the single library (query cache off), then of server scopes (that server's
  library and the shared one ranked together), every library loaded and warm.

Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.libraries import Libraries  # noqa: E402
from tables import print_table  # noqa: E402
from retrieval.settings import DEFAULT_LIBRARY_BUDGET, Settings  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
FIRST_SERVER = 100_000_000_000_000_000  # a Discord-sized id; server i is FIRST_SERVER + i

ADJECTIVES = "amber brisk cobalt dapper eager fabled gilded hazel ivory jolly keen lunar mellow nimble olive placid quiet russet sable tawny".split()
NOUNS = "badger cedar dolphin ember falcon garnet heron iris juniper kestrel lantern meadow nettle otter pebble quail raven sparrow thistle willow".split()
KINDS = "Rowing Club|Chess Society|Choir|Cycling Club|Book Circle|Garden Guild|Film Club|Running Club|Quilting Bee|Astronomy Society".split("|")
TOWNS = "Ashford Bexley Carlow Dunmore Elgin Fenwick Garstang Hexham Ilkley Jarrow Keswick Ludlow Malton Nairn Oakham Penrith Ripon Settle Thirsk Ulverston".split()
FIRST = "Aila Bram Cora Dev Esme Finn Gwen Hugo Isla Jago Kit Lena Milo Nell Otis Pia Rhys Sana Tobi Uma Vera Wyn Xan Yara Zeb".split()
LAST = "Ashby Brook Crane Dunn Ellery Frost Greer Hale Irwin Joss Kerr Lyle Marsh Noble Orme Pryce Quill Rowe Shaw Tate".split()


def club(i: int) -> tuple[str, str, str, str]:
    """Server ``i``'s club: its name, its town, its treasurer, its member count (all distinct by ``i``)."""
    name = f"{ADJECTIVES[i % 20].capitalize()} {NOUNS[(i // 20) % 20].capitalize()} {KINDS[(i // 400) % 10]}"
    return name, TOWNS[(i * 7) % 20], f"{FIRST[(i * 3) % 25]} {LAST[(i * 11) % 20]}", str(12 + i)


def document(i: int) -> str:
    name, town, treasurer, members = club(i)
    day = 1 + i % 28
    return (
        f"date 2025-{1 + i % 12:02d}-{day:02d}\n# {name} news\n\n"
        f"{town} - The {name} met on the evening of the {day}th in the old town hall.\n\n"
        f"Members elected {treasurer} as treasurer. \"We will meet every week from now on,\" said {treasurer}.\n\n"
        f"The {name} has {members} members and welcomes newcomers.\n"
    )


def question(i: int) -> str:
    return f"How many members does the {club(i)[0]} have?"


def folders(servers: int) -> Settings:
    work = CACHE / f"libraries-{servers}"
    return Settings(seeds_dir=ROOT / "seeds", index_dir=work / "shared-index", data_dir=work / "data")


def build(servers: int) -> None:
    """Every library, once: a server whose index is built already is skipped."""
    settings = folders(servers)
    libraries = Libraries(settings, budget=1)
    libraries.shared.ensure_index()
    started = time.perf_counter()
    built = 0
    for i in range(servers):
        server = FIRST_SERVER + i
        if (libraries.folder(server) / "index" / "CURRENT").exists():
            continue
        seeds = libraries.seeds_folder(server, create=True)
        (seeds / "news.txt").write_text(document(i), encoding="utf-8")
        libraries.library(server).reindex()
        built += 1
        if built % 50 == 0:
            print(f"  built {built} libraries ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    if built:
        print(f"built {built} libraries in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def resident_mb() -> float:
    """Resident memory now: the peak is set by loading the model's weights (copies made while
    converting them), before any library is loaded, so it cannot show what libraries cost."""
    import gc

    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def phase_base(servers: int, budget: int) -> dict:
    libraries = Libraries(folders(servers))
    libraries.embedder.warm_up()
    assert libraries.scope(None).ask("How many tents were sent?").answered
    return {"peak_mb": peak_mb(), "resident_mb": resident_mb()}


def phase_load(servers: int, budget: int) -> dict:
    """One question in every server's scope, in a shuffled order: each is a first answer."""
    libraries = Libraries(folders(servers), budget=budget)
    libraries.embedder.warm_up()
    libraries.scope(None).ask("How many tents were sent?")
    order = list(range(servers))
    random.Random(7).shuffle(order)
    first_ms, wrong = [], 0
    for i in order:
        started = time.perf_counter()
        answer = libraries.scope(FIRST_SERVER + i).ask(question(i))
        first_ms.append((time.perf_counter() - started) * 1000)
        wrong += answer.short_answer != club(i)[3] or answer.results[0].library != FIRST_SERVER + i
    return {
        "peak_mb": peak_mb(),
        "resident_mb": resident_mb(),
        "loaded": len(libraries.loaded()),
        "first_p50_ms": statistics.median(first_ms),
        "first_p95_ms": percentile(first_ms, 95),
        "first_max_ms": max(first_ms),
        "wrong": wrong,
    }


def phase_warm(servers: int, budget: int, repeat: int) -> dict:
    import retrieval.index.embedder as embedder_module
    from retrieval.api import Citebot

    questions = [json.loads(line)["question"] for line in (ROOT / "benchmarks" / "eval_seed.jsonl").read_text().splitlines() if line.strip()]
    settings = folders(servers)
    libraries = Libraries(settings, budget=budget)
    libraries.embedder.warm_up()
    single = Citebot(settings, libraries.embedder)  # the shared library alone, as speed.py asks it
    single.ensure_index()
    scoped = [FIRST_SERVER + i for i in range(min(servers, budget, 100))]
    for server in scoped:  # loaded and warm: this measures asking, not loading
        libraries.scope(server).ask(questions[0])
    embedder_module.QUERY_CACHE_SIZE = 0  # the real work, as speed.py measures it
    single_ms, scope_ms = [], []
    for _ in range(repeat):
        for n, q in enumerate(questions):
            started = time.perf_counter()
            single.ask(q)
            single_ms.append((time.perf_counter() - started) * 1000)
            scope = libraries.scope(scoped[n % len(scoped)])
            started = time.perf_counter()
            scope.ask(q)
            scope_ms.append((time.perf_counter() - started) * 1000)
    return {
        "single_p50_ms": statistics.median(single_ms),
        "scope_p50_ms": statistics.median(scope_ms),
        "scope_p95_ms": percentile(scope_ms, 95),
        "questions": len(scope_ms),
        "servers": len(scoped),
    }


def run_phase(name: str, args: argparse.Namespace, budget: int) -> dict:
    command = [sys.executable, __file__, "--servers", str(args.servers), "--repeat", str(args.repeat), "--phase", name, "--budget", str(budget)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--budget", type=int, default=DEFAULT_LIBRARY_BUDGET)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the evaluation questions")
    parser.add_argument("--phase", choices=["base", "all", "budget", "warm"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phases = {
            "base": lambda: phase_base(args.servers, args.budget),
            "all": lambda: phase_load(args.servers, args.budget),
            "budget": lambda: phase_load(args.servers, args.budget),
            "warm": lambda: phase_warm(args.servers, args.budget, args.repeat),
        }
        print(json.dumps(phases[args.phase]()))
        return
    build(args.servers)
    base = run_phase("base", args, args.budget)
    every = run_phase("all", args, args.servers)
    budgeted = run_phase("budget", args, args.budget)
    warm = run_phase("warm", args, args.budget)
    per_library = (every["resident_mb"] - base["resident_mb"]) / every["loaded"]
    rows = [
        ("model + shared library (one question): peak / resident RSS", f"{base['peak_mb']:.0f} / {base['resident_mb']:.0f} MB"),
        (f"all {args.servers} server libraries loaded: peak / resident RSS",
         f"{every['peak_mb']:.0f} / {every['resident_mb']:.0f} MB ({per_library * 1024:.0f} kB a library)"),
        (f"budget {args.budget} ({budgeted['loaded']} loaded at the end): peak / resident RSS",
         f"{budgeted['peak_mb']:.0f} / {budgeted['resident_mb']:.0f} MB"),
        ("first answer from an unloaded library, p50 / p95 / max (all loaded)",
         f"{every['first_p50_ms']:.0f} / {every['first_p95_ms']:.0f} / {every['first_max_ms']:.0f} ms"),
        ("first answer from an unloaded library, p50 / p95 / max (budget)",
         f"{budgeted['first_p50_ms']:.0f} / {budgeted['first_p95_ms']:.0f} / {budgeted['first_max_ms']:.0f} ms"),
        ("wrong first answers (short answer or library)", f"{every['wrong'] + budgeted['wrong']}"),
        (f"warm ask p50, the single library ({warm['questions']} questions)", f"{warm['single_p50_ms']:.1f} ms"),
        (f"warm ask p50 / p95, server scopes ({warm['servers']} servers + shared)",
         f"{warm['scope_p50_ms']:.1f} / {warm['scope_p95_ms']:.1f} ms ({warm['scope_p50_ms'] / warm['single_p50_ms']:.2f}x)"),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
