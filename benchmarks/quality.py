"""Retrieval quality on the seed evaluation set: dense, lexical and hybrid side by side.

    python benchmarks/quality.py [--eval benchmarks/eval_seed.jsonl ...] [--seeds seeds] [--misses]

``--eval`` may be given more than once; ``--heldout`` adds ``benchmarks/eval_heldout.jsonl``
(written before the ranking and abstention rules were tuned, and never tuned on).

Scores (see benchmarks/README_eval.md): top-1 and top-3 paragraph accuracy, sentence-level
top-1, short-answer accuracy, off-topic questions abstained, answerable questions abstained.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.api import Citebot  # noqa: E402
from retrieval.settings import Settings  # noqa: E402


def _norm(text: str) -> str:
    return re.sub(r"[^\w\s]", "", text.lower()).strip()


def evaluate(citebot: Citebot, items: list[dict], mode: str, show_misses: bool = False) -> dict[str, float]:
    top1 = top3 = sent1 = short_ok = short_total = off_ok = off_total = wrong_abstain = answerable = 0
    for item in items:
        answer = citebot.ask(item["question"], 3, mode=mode)
        if item["paragraph"] is None:
            off_total += 1
            off_ok += not answer.answered
            if show_misses and answer.answered:
                print(f"  [{mode}] answered off-topic: {item['question']!r} -> ¶{answer.results[0].paragraph}")
            continue
        answerable += 1
        good = {item["paragraph"], *item.get("also", [])}
        paras = [r.paragraph for r in answer.results]
        hit1 = bool(paras) and paras[0] in good
        top1 += hit1
        top3 += bool(good & set(paras[:3]))
        sent1 += bool(paras) and paras[0] == item["paragraph"] and answer.results[0].sentence == item["sentence"]
        wrong_abstain += not answer.answered
        if item.get("short_answer"):
            short_total += 1
            accepted = {_norm(s) for s in item["short_answer"]}
            short_ok += answer.short_answer is not None and _norm(answer.short_answer) in accepted
            if show_misses and mode == "hybrid" and (answer.short_answer is None or _norm(answer.short_answer) not in accepted):
                print(f"  [short] {item['question']!r}: got {answer.short_answer!r}, want {item['short_answer'][:2]}")
        if show_misses and not hit1:
            print(f"  [{mode}] {item['question']!r}: got ¶{paras[:3]}, want ¶{item['paragraph']}")
        if show_misses and not answer.answered:
            print(f"  [{mode}] abstained on answerable: {item['question']!r}")
    return {
        "top-1 paragraph": top1 / answerable,
        "top-3 paragraph": top3 / answerable,
        "top-1 sentence": sent1 / answerable,
        "short answer": short_ok / max(short_total, 1),
        "off-topic abstained": off_ok / max(off_total, 1),
        "answerable abstained": wrong_abstain / answerable,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval", type=Path, action="append", help="evaluation set (repeatable)")
    parser.add_argument("--heldout", action="store_true", help="also score benchmarks/eval_heldout.jsonl")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args()
    paths = args.eval or [ROOT / "benchmarks" / "eval_seed.jsonl"]
    if args.heldout:
        paths.append(ROOT / "benchmarks" / "eval_heldout.jsonl")
    sets = {path: [json.loads(line) for line in path.read_text().splitlines() if line.strip()] for path in paths}
    modes = ("dense", "lexical", "hybrid")
    with tempfile.TemporaryDirectory() as tmp:
        citebot = Citebot(Settings(seeds_dir=args.seeds, index_dir=Path(tmp) / "index"))
        citebot.ensure_index()
        results = {path: {mode: evaluate(citebot, items, mode, args.misses) for mode in modes} for path, items in sets.items()}
    for path, items in sets.items():
        answerable = sum(1 for i in items if i["paragraph"] is not None)
        print(f"\n{answerable} answerable + {len(items) - answerable} off-topic questions ({path.name})\n")
        print(f"| metric | {' | '.join(modes)} |")
        print(f"|---|{'---|' * len(modes)}")
        for metric in results[path]["hybrid"]:
            print(f"| {metric} | {' | '.join(f'{results[path][m][metric]:.1%}' for m in modes)} |")

if __name__ == "__main__":
    main()
