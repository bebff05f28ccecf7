"""Answer quality on text nobody here wrote: two SQuAD 2.0 articles, dense, lexical and hybrid.

    python benchmarks/squad.py [--misses] [--by-article] [--json rows.jsonl] [--cache DIR]

Each article of ``benchmarks/squad/squad2-dev-2articles.json`` becomes a seed document (its
title, then its paragraphs separated by blank lines), an index is built in a temporary folder
through the public ``Citebot`` API, and all 626 questions are asked (293 answerable, 333
written to be unanswerable from their paragraph). Rows (see benchmarks/squad/README.md):

- paragraph top-1 / top-3: the gold paragraph is the first / among the first three results
  (answerable questions; the closest passages count even when the question is declined);
- shown sentence holds the answer: the first result is the gold paragraph and a gold answer's
  normalised text is inside its normalised bold sentence (declines are counted by the next row);
- answerable declined: "I couldn't find that" on an answerable question;
- short answer shown: an answered question with a short answer, share of answerable ones;
- short answers exactly right: SQuAD exact match (lower case, no punctuation, no a/an/the,
  whitespace folded) against any gold answer, share of the short answers shown; F1 likewise;
- unanswerable with a short answer: share of the unanswerable questions given one anyway.

``--by-article`` adds one table per article (what a cross-article check compares);
``--model`` reads with another reader model (``benchmarks/train_reader.py --holdout`` writes
one trained without an article) and ``--article`` asks only one article's questions;
``--misses`` prints the failures by category; ``--json`` writes one row per question and
mode for analysis; ``--cache`` keeps the index folder (and so its embedding and spaCy caches)
between runs instead of a temporary one.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import re
import string
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "squad" / "squad2-dev-2articles.json"
MODES = ("dense", "lexical", "hybrid")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    article: str  # the title as SQuAD spells it
    doc: str  # the seed file it is asked about
    paragraph: int  # 1-based paragraph number inside the seed document
    answers: tuple[str, ...]  # gold answers; empty for an unanswerable question
    impossible: bool


def doc_name(index: int, title: str) -> str:
    return f"{index:02d}_{re.sub(r'[^A-Za-z0-9]+', '_', title).strip('_').lower()}.txt"


def document_text(title: str, paragraphs: Iterable[str]) -> str:
    """A seed document: the title as a heading (the document's title, not a paragraph), then
    the paragraphs, so the article's i-th paragraph is paragraph i of the document."""
    return "\n\n".join([f"# {title.replace('_', ' ')}", *paragraphs]) + "\n"


def load(path: Path = DATA) -> tuple[dict[str, str], list[Question]]:
    """The seed files (name -> text) and every question, with its gold paragraph."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    files: dict[str, str] = {}
    questions: list[Question] = []
    for i, article in enumerate(data):
        name = doc_name(i, article["title"])
        contexts = [" ".join(p["context"].split()) for p in article["paragraphs"]]
        files[name] = document_text(article["title"], contexts)
        for number, para in enumerate(article["paragraphs"], start=1):
            for qa in para["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(Question(qa["id"], qa["question"], article["title"], name, number, answers, qa["is_impossible"]))
    return files, questions


# ---- SQuAD's official normalisation and scores -------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def normalize(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact(prediction: str, golds: Iterable[str]) -> bool:
    return any(normalize(prediction) == normalize(g) for g in golds)


def f1(prediction: str, golds: Iterable[str]) -> float:
    best = 0.0
    pred = normalize(prediction).split()
    for gold in golds:
        ref = normalize(gold).split()
        common = sum((collections.Counter(pred) & collections.Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def holds(sentence: str, golds: Iterable[str]) -> bool:
    """A gold answer's normalised text is inside the normalised sentence (as a substring)."""
    text = normalize(sentence)
    return any(normalize(g) in text for g in golds if normalize(g))


# ---- asking ------------------------------------------------------------------------------


def ask_all(citebot: Any, questions: list[Question], mode: str) -> list[dict[str, Any]]:
    rows = []
    for q in questions:
        answer = citebot.ask(q.text, 3, mode=mode)
        results = list(answer.results) + list(answer.more)
        first = results[0] if results else None
        rows.append(
            {
                "id": q.id,
                "mode": mode,
                "question": q.text,
                "article": q.article,
                "doc": q.doc,
                "paragraph": q.paragraph,
                "answers": list(q.answers),
                "impossible": q.impossible,
                "answered": answer.answered,
                "short": answer.short_answer if answer.answered else None,
                "confidence": getattr(answer, "short_answer_confidence", None),
                "ranked": [[r.doc, r.paragraph] for r in results[:3]],
                "sentence": first.text if first else None,
                "sentence_number": first.sentence if first else None,
            }
        )
    return rows


def _top(row: dict[str, Any], n: int) -> bool:
    return [row["doc"], row["paragraph"]] in row["ranked"][:n]


def summarize(rows: list[dict[str, Any]]) -> dict[str, float]:
    answerable = [r for r in rows if not r["impossible"]]
    impossible = [r for r in rows if r["impossible"]]
    shown = [r for r in answerable if r["short"] is not None]
    n, m = max(len(answerable), 1), max(len(impossible), 1)
    return {
        "paragraph top-1": sum(_top(r, 1) for r in answerable) / n,
        "paragraph top-3": sum(_top(r, 3) for r in answerable) / n,
        "shown sentence holds the answer": sum(_top(r, 1) and holds(r["sentence"], r["answers"]) for r in answerable) / n,
        "answerable declined": sum(not r["answered"] for r in answerable) / n,
        "short answer shown (of answerable)": len(shown) / n,
        "short answers exactly right (EM)": sum(exact(r["short"], r["answers"]) for r in shown) / max(len(shown), 1),
        "short answers F1": sum(f1(r["short"], r["answers"]) for r in shown) / max(len(shown), 1),
        "unanswerable with a short answer": sum(r["short"] is not None for r in impossible) / m,
        "unanswerable declined": sum(not r["answered"] for r in impossible) / m,
    }


WANTED = {
    "paragraph top-1": ">= 0.95",
    "paragraph top-3": ">= 0.99",
    "shown sentence holds the answer": ">= 0.92",
    "answerable declined": "<= 0.02",
    "short answer shown (of answerable)": ">= 0.35",
    "short answers exactly right (EM)": ">= 0.85",
    "unanswerable with a short answer": "<= 0.05",
}


def table(results: dict[str, dict[str, float]], title: str) -> str:
    modes = list(results)
    lines = [f"\n{title}\n", f"| measure | {' | '.join(modes)} | wanted |", f"|---|{'---|' * len(modes)}---|"]
    for metric in results[modes[0]]:
        values = " | ".join(f"{results[mode][metric]:.3f}" for mode in modes)
        lines.append(f"| {metric} | {values} | {WANTED.get(metric, '')} |")
    return "\n".join(lines)


def misses(rows: list[dict[str, Any]]) -> str:
    """Failures of one mode, by category, each with what was shown."""
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for r in rows:
        q = f"{r['question']!r}"
        if r["impossible"]:
            if r["short"] is not None:
                groups["unanswerable given a short answer"].append(f"{q} -> {r['short']!r} (¶{r['ranked'][0][1]})")
            continue
        want = r["answers"][:3]
        if not _top(r, 1):
            groups["wrong paragraph first"].append(f"{q}: got ¶{[p for _, p in r['ranked']]}, want ¶{r['paragraph']}")
        if not r["answered"]:
            groups["answerable declined"].append(f"{q} (¶{r['ranked'][0][1] if r['ranked'] else None}, want ¶{r['paragraph']}) want {want}")
        if _top(r, 1) and not holds(r["sentence"], r["answers"]):
            groups["right paragraph, wrong sentence"].append(f"{q}: s{r['sentence_number']} {r['sentence'][:120]!r} want {want}")
        if r["short"] is not None and not exact(r["short"], r["answers"]):
            groups["short answer wrong"].append(f"{q}: {r['short']!r}, want {want}")
        elif r["answered"] and r["short"] is None and _top(r, 1) and holds(r["sentence"], r["answers"]):
            groups["no short answer (sentence right)"].append(f"{q}: want {want}")
    out = []
    for name, items in groups.items():
        out.append(f"\n## {name} ({len(items)})")
        out.extend(f"  {item}" for item in items)
    return "\n".join(out)


@contextlib.contextmanager
def squad_citebot(cache: Path | None = None, data: Path = DATA) -> Iterator[tuple[Any, list[Question]]]:
    """A Citebot over the articles written as seed files (in a temporary folder), and the questions."""
    from retrieval.api import Citebot
    from retrieval.settings import Settings

    files, questions = load(data)
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        seeds.mkdir()
        for name, text in files.items():
            (seeds / name).write_text(text, encoding="utf-8")
        index_dir = cache if cache is not None else Path(tmp) / "index"
        citebot = Citebot(Settings(seeds_dir=seeds, index_dir=index_dir))
        citebot.ensure_index()
        yield citebot, questions


def use_model(citebot: Any, path: Path | None) -> None:
    """Read with the reader model in ``path`` instead of the shipped one (cross-article checks)."""
    if path is not None:
        from retrieval.query.reader.model import ReaderModel

        citebot.searcher.reader = ReaderModel.from_json(json.loads(path.read_text(encoding="utf-8")))


def run(cache: Path | None, modes: Iterable[str] = MODES, data: Path = DATA, model: Path | None = None,
        article: str | None = None) -> list[dict[str, Any]]:
    with squad_citebot(cache, data) as (citebot, questions):
        use_model(citebot, model)
        if article:
            questions = [q for q in questions if q.article == article]
        return [row for mode in modes for row in ask_all(citebot, questions, mode)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="print the hybrid mode's failures by category")
    parser.add_argument("--by-article", action="store_true", help="also one table per article")
    parser.add_argument("--json", type=Path, help="write every row (question x mode) here, one JSON object a line")
    parser.add_argument("--cache", type=Path, help="index folder kept between runs (its caches make reruns fast)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of dense,lexical,hybrid")
    parser.add_argument("--model", type=Path, help="a reader model JSON to use instead of the shipped one")
    parser.add_argument("--article", help="ask only this article's questions (the index holds both)")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    rows = run(args.cache, modes, model=args.model, article=args.article)
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    answerable = sum(1 for r in rows if r["mode"] == modes[0] and not r["impossible"])
    total = sum(1 for r in rows if r["mode"] == modes[0])
    print(table({m: summarize([r for r in rows if r["mode"] == m]) for m in modes},
                f"SQuAD 2.0, 2 articles: {answerable} answerable + {total - answerable} unanswerable questions"))
    if args.by_article:
        for article in dict.fromkeys(r["article"] for r in rows):
            part = [r for r in rows if r["article"] == article]
            print(table({m: summarize([r for r in part if r["mode"] == m]) for m in modes}, f"{article} only"))
    if args.misses:
        print(misses([r for r in rows if r["mode"] == modes[-1]]))


if __name__ == "__main__":
    main()
