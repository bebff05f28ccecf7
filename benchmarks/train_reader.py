"""Fit the reader's three small models and write them as JSON coefficients.

    python benchmarks/train_reader.py [--out retrieval/data/reader.json] [--holdout ARTICLE] [--cache DIR]

Training questions: the two SQuAD 2.0 articles (benchmarks/squad/) and the seed set
(benchmarks/eval_seed.jsonl). The held-out seed set (eval_heldout.jsonl) is never used.
Each question is asked through the real ranking; the best paragraph is read with the
features of retrieval/reader.py and retrieval/spans.py (the same code that runs at question
time), and three logistic regressions are fitted in turn (each needs the previous one's
scores):

1. sentence: does this sentence of the best paragraph hold a gold answer? (answerable
   questions whose best paragraph is right);
2. span: is this candidate phrase exactly a gold answer (SQuAD's normalisation)? (same
   questions);
3. confidence: is the best phrase exactly right? (every question with a candidate; an
   unanswerable question or a wrong paragraph is a "no").

The threshold for showing a short answer is calibrated on out-of-group predictions (each of
Normans / Computational complexity / seed predicted by models fitted without it): the lowest
confidence at which the short answers shown are at least ``--precision`` exactly right and at
most ``--unanswerable`` of the unanswerable questions get one.

``--holdout ARTICLE`` leaves that SQuAD article out of the training (for the cross-article
check: evaluate the written model on it with ``benchmarks/squad.py --model ... --article ...``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import squad  # noqa: E402
from retrieval.query.question import parse_question  # noqa: E402
from retrieval.query.reader.model import ANSWER_GROUPS, Linear, ReaderModel, answer_group  # noqa: E402
from retrieval.query.reader.reading import answer_text  # noqa: E402
from retrieval.query.reader.spans import MODEL_FEATURES as SPAN_FEATURES  # noqa: E402
from retrieval.query.reader.spans import grouped  # noqa: E402
from retrieval.query.search import QueryVectors  # noqa: E402

SENTENCE_FEATURES = ("ret_gap", "dense_gap", "lex_gap", "ret_best", "cov", "cov_gap", "cov_prev", "cov_joint_gain", "window",
                     "anaphor", "anaphor_after_match", "after_best", "next_points_back", "bigram", "typed", "typed_kind",
                     "first", "len_log")
CONFIDENCE_FEATURES = (
    "span", "margin", "para_cov", "missing_terms", "missing_names", "sent_cov", "sent_top", "type_strong",
    "ret_margin", "ret_score", "rivals", "dist", "near", "head_near", "sent_margin", "question_terms",
    "missing_names_near", "missing_numbers", "missing_contrast", "subject_agrees", "subject_differs",
    "patterns_agree", "patterns_differ", "modifier_swapped", "unit_differs",
    "modifier_replaced", "missing_names_sentence", "subject_missing",
    "kind_person", "kind_place", "kind_date", "kind_number", "kind_age", "kind_duration", "kind_org", "kind_group", "kind_work",
    "kind_thing",
)
OUT = ROOT / "retrieval" / "data" / "reader.json"
PRIOR_STRENGTH = 30.0
CONFIDENCE_C = 0.1


@dataclass(frozen=True)
class Item:
    question: str
    group: str  # article title or "seed"
    doc: str
    paragraph: int | None  # None: off-topic / unanswerable
    answers: tuple[str, ...]  # acceptable short answers (may be empty for an answerable one)
    impossible: bool
    sentence: int | None = None  # gold sentence number, when known (the seed set)


def squad_items(questions: Sequence[squad.Question]) -> list[Item]:
    return [Item(q.text, q.article, q.doc, q.paragraph, q.answers, q.impossible) for q in questions]


def seed_items(path: Path, doc: str) -> list[Item]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        out.append(Item(row["question"], "seed", doc, row["paragraph"], tuple(row.get("short_answer") or ()),
                        row["paragraph"] is None, row.get("sentence")))
    return out


@contextlib.contextmanager
def seed_citebot(cache: Path | None) -> Iterator[Any]:
    from retrieval.api import Citebot
    from retrieval.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        index = (cache / "seed-index") if cache else Path(tmp) / "index"
        citebot = Citebot(Settings(seeds_dir=ROOT / "seeds", index_dir=index))
        citebot.ensure_index()
        yield citebot


# ---- reading every question -----------------------------------------------------------


@dataclass
class Read:
    item: Item
    right_paragraph: bool
    reading: Any  # retrieval.query.reader.Reading or None
    sentence_texts: list[str]


def read_all(searcher: Any, items: Sequence[Item], model: ReaderModel) -> list[Read]:
    """Every question through the shipped ranking and the reader with ``model``."""
    searcher.reader = model
    vectors = QueryVectors(searcher.embedder.encode)
    out = []
    for item in items:
        question = parse_question(item.question).with_repair(searcher.vocab.correct)
        ranked, evidence = searcher._rank(question, "hybrid", vectors)
        if not ranked:
            out.append(Read(item, False, None, []))
            continue
        pooled = ranked[:10]
        passages = [searcher.chunks.passage(sid, score) for sid, score in pooled]
        reading, shown = searcher._read(question, pooled[0][0], passages, evidence)
        right = item.paragraph is not None and shown.doc == item.doc and shown.paragraph == item.paragraph
        texts = []
        if reading is not None:
            text, _, _ = searcher._to_read(int(searcher._sent_para[pooled[0][0]]))
            texts = [text[s.start:s.end] for s in reading.sentences]
        out.append(Read(item, right, reading, texts))
    return out


Lists = list[tuple[list[dict[str, float]], list[int]]]  # per question: feature rows, labels


def sentence_rows(reads: Sequence[Read]) -> Lists:
    out = []
    for r in reads:
        if not r.right_paragraph or r.reading is None or r.item.impossible:
            continue
        if r.item.sentence is not None:
            labels = [int(i + 1 == r.item.sentence) for i in range(len(r.reading.sentences))]
        elif r.item.answers:
            labels = [int(squad.holds(t, r.item.answers)) for t in r.sentence_texts]
        else:
            continue
        if not any(labels) or all(labels):
            continue
        out.append(([s.features for s in r.reading.sentences], labels))
    return out


def span_rows(reads: Sequence[Read]) -> Lists:
    out = []
    for r in reads:
        if not r.right_paragraph or r.reading is None or r.item.impossible or not r.item.answers:
            continue
        labels = [int(squad.exact(answer_text(c, r.reading.want), r.item.answers)) for c in r.reading.candidates]
        if not any(labels) or all(labels):
            continue  # no candidate can be right: nothing to learn about ranking them
        out.append(([grouped(c.features, r.reading.want) for c in r.reading.candidates], labels))
    return out


def confidence_rows(reads: Sequence[Read]) -> tuple[list[dict[str, float]], list[int], list[Read]]:
    X, y, kept = [], [], []
    for r in reads:
        if r.reading is None or r.reading.short is None:
            continue
        if not r.item.impossible and not r.item.answers:
            continue  # answerable without a short answer (a "why" question of the seed set)
        right = r.right_paragraph and not r.item.impossible and squad.exact(r.reading.short, r.item.answers)
        X.append(r.reading.confidence_features)
        y.append(int(right))
        kept.append(r)
    return X, y, kept


# ---- fitting ------------------------------------------------------------------------------


def fit(X: list[dict[str, float]], y: list[int], names: Sequence[str], C: float) -> Linear:
    from sklearn.linear_model import LogisticRegression

    A = np.array([[row.get(n, 0.0) for n in names] for row in X], dtype=float)
    means = A.mean(axis=0)
    scales = A.std(axis=0)
    scales[scales < 1e-9] = 1.0
    Z = (A - means) / scales
    clf = LogisticRegression(C=C, max_iter=5000)
    clf.fit(Z, np.array(y))
    return Linear(tuple(names), tuple(float(w) for w in clf.coef_[0]), tuple(float(m) for m in means),
                  tuple(float(s) for s in scales), float(clf.intercept_[0]))


# What a person weighs first when picking the phrase that answers (raw feature units): for a
# typed question its type, then closeness to the question's words in the sentence that
# matches best; for a "what <thing>" question the closeness alone. The span model starts
# here and moves only as far as the training questions pull it (``--prior-strength``):
# a few hundred questions are too few to learn every weight from nothing, and a model that
# strays far from these on two articles does worse on a third (RESULTS_squad.md).
SPAN_PRIOR = {
    "typed:type_strong": 3.0, "typed:type_weak": 1.0, "typed:dist": 2.0, "typed:near": 1.0, "typed:sent_best": 1.5,
    "thing:dist": 2.0, "thing:near": 1.0, "thing:sent_best": 1.5,
}


def fit_ranking(lists: Lists, names: Sequence[str], C: float, prior: dict[str, float] | None = None,
                strength: float = 30.0) -> Linear:
    """A ranking model: logistic loss on the differences between a right and a wrong row of
    the same question (only the order inside a question matters to the reader). Without a
    prior: L2 toward zero with inverse strength ``C``; with one: L2 toward the prior."""
    from scipy.optimize import minimize

    mats = [np.array([[row.get(n, 0.0) for n in names] for row in rows], dtype=float) for rows, _ in lists]
    A = np.vstack(mats)
    means = A.mean(axis=0)
    scales = A.std(axis=0)
    scales[scales < 1e-9] = 1.0
    if prior is not None:
        # Pulled toward the prior in raw units: a rare feature may not take a large weight
        # from a handful of questions (in standard units it could).
        means, scales = np.zeros(len(names)), np.ones(len(names))
    diffs = []
    for M, (_, labels) in zip(mats, lists):
        Z = (M - means) / scales
        pos = [i for i, y in enumerate(labels) if y]
        neg = [i for i, y in enumerate(labels) if not y]
        for i in pos:
            for j in neg:
                diffs.append(Z[i] - Z[j])
    X = np.array(diffs)
    w0 = np.array([(prior or {}).get(n, 0.0) for n in names])
    lam = strength if prior is not None else 1.0 / (2.0 * C)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = X @ w
        value = float(np.logaddexp(0.0, -z).sum() + lam * ((w - w0) ** 2).sum())
        grad = -(X * (1.0 / (1.0 + np.exp(z)))[:, None]).sum(axis=0) + 2.0 * lam * (w - w0)
        return value, grad

    w = minimize(loss, w0.copy(), jac=True, method="L-BFGS-B").x
    return Linear(tuple(names), tuple(float(x) for x in w), tuple(float(m) for m in means),
                  tuple(float(s) for s in scales), 0.0)


def train(searcher_items: Sequence[tuple[Any, Sequence[Item]]], start: ReaderModel, C: float,
          with_confidence: bool = True) -> ReaderModel:
    """The stages on these questions (pairs of a searcher and the questions of its index);
    without ``with_confidence`` the third keeps ``start``'s (it is fitted on held-out reads)."""
    def reads(model: ReaderModel) -> list[Read]:
        return [r for searcher, items in searcher_items for r in read_all(searcher, items, model)]

    first = reads(start)
    sentence = fit_ranking(sentence_rows(first), SENTENCE_FEATURES, C)
    model = ReaderModel(sentence, start.span, start.confidence, start.thresholds, {})
    second = reads(model)
    span = fit_ranking(span_rows(second), SPAN_FEATURES, C, SPAN_PRIOR, PRIOR_STRENGTH)
    model = ReaderModel(sentence, span, start.confidence, start.thresholds, {})
    if not with_confidence:
        return model
    third = reads(model)
    X, y, _ = confidence_rows(third)
    confidence = fit(X, y, CONFIDENCE_FEATURES, C)
    return ReaderModel(sentence, span, confidence, start.thresholds, {})


Point = tuple[float, bool, bool, str]  # confidence, exactly right, unanswerable, answer group


def calibrate(points: Sequence[Point], precision: float, unanswerable: float, n_unanswerable: int,
              depth: int = 60) -> dict[str, float]:
    """A threshold per answer group, chosen together: the most exactly right short answers
    shown while, over all groups, at least ``precision`` of those shown are exactly right and
    at most ``unanswerable`` of the unanswerable questions get one. A group whose answers are
    rarely right then shows few or none, and a reliable one (numbers, dates) carries the rest.
    ``points`` are held-out reads (see main); only each group's ``depth`` most confident
    answers are considered as cut-off points."""
    groups = sorted(set(ANSWER_GROUPS.values()))
    # Per group, for showing its k most confident answers: the threshold, right and unanswerable counts.
    cuts: dict[str, list[tuple[float, int, int, int]]] = {}
    for group in groups:
        mine = sorted(((c, ok, imp) for c, ok, imp, g in points if g == group), key=lambda x: -x[0])[:depth]
        rows = [(1.0, 0, 0, 0)]
        right = impossible = 0
        for k, (c, ok, imp) in enumerate(mine, start=1):
            right += ok
            impossible += imp
            rows.append((c, k, right, impossible))
        # Only cut where the next answer is less confident: ties go together.
        cuts[group] = [r for i, r in enumerate(rows) if i + 1 >= len(rows) or rows[i + 1][0] < r[0]]
    # Showing more of a group without one more right answer never helps: only the first cut
    # at each count of right answers can be best, and every combination is scored at once.
    kept = [[r for i, r in enumerate(cuts[g]) if i == 0 or r[2] > cuts[g][i - 1][2]] for g in groups]
    grids = np.meshgrid(*(np.arange(len(k)) for k in kept), indexing="ij")
    shown, right, impossible = (sum(np.array([r[col] for r in k])[idx] for k, idx in zip(kept, grids))
                                for col in (1, 2, 3))
    ok = (shown > 0) & (right / np.maximum(shown, 1) >= precision) & (impossible <= unanswerable * n_unanswerable) & (right > 0)
    if not ok.any():
        return {g: 1.0 for g in groups}
    best = np.unravel_index(int(np.argmax(np.where(ok, right, -1))), ok.shape)  # the first of the most right
    return {g: k[i][0] for g, k, i in zip(groups, kept, best)}


def stable_thresholds(points: Sequence[Point], precision: float, unanswerable: float, n_unanswerable: int,
                      rounds: int = 200) -> dict[str, float]:
    """``calibrate`` on resamples of the held-out points, each group's median threshold: a
    few dozen confident answers decide a group's cut-off, and one of them more or less moved
    it by 0.3 between runs; the median over resamples moves little."""
    rng = np.random.default_rng(13)
    found: dict[str, list[float]] = {}
    for _ in range(rounds):
        sample = [points[i] for i in rng.integers(0, len(points), len(points))]
        for group, t in calibrate(sample, precision, unanswerable, n_unanswerable).items():
            found.setdefault(group, []).append(t)
    return {group: float(np.median(ts)) for group, ts in found.items()}


def stage_report(label: str, reads: Sequence[Read], thresholds: dict[str, float]) -> str:
    sent_ok = sent_n = span_ok = span_n = 0
    for r in reads:
        if r.reading is None or not r.right_paragraph or r.item.impossible or not r.item.answers:
            continue
        sent_n += 1
        sent_ok += squad.holds(r.sentence_texts[r.reading.sentence], r.item.answers) if r.sentence_texts else 0
        if r.reading.short is not None:
            span_n += 1
            span_ok += squad.exact(r.reading.short, r.item.answers)
    _, y, kept = confidence_rows(reads)
    shown = [(r, ok) for r, ok in zip(kept, y) if r.reading.confidence >= thresholds[answer_group(r.reading.want.kind)]]
    answerable = sum(1 for r in reads if not r.item.impossible and r.item.paragraph is not None and r.item.answers)
    impossible = sum(1 for r in reads if r.item.impossible)
    precision = sum(ok for _, ok in shown) / max(1, len(shown))
    return (
        f"{label}: right sentence {sent_ok}/{sent_n} ({sent_ok / max(1, sent_n):.3f}) of right paragraphs; "
        f"best phrase exact {span_ok}/{span_n} ({span_ok / max(1, span_n):.3f}); at the thresholds: "
        f"{len(shown)} shown, {precision:.3f} exact, "
        f"{sum(1 for r, _ in shown if not r.item.impossible) / max(1, answerable):.3f} of answerable, "
        f"{sum(1 for r, _ in shown if r.item.impossible) / max(1, impossible):.3f} of unanswerable"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--holdout", help="leave this SQuAD article out (cross-article check)")
    parser.add_argument("--cache", type=Path, help="index folder kept between runs")
    parser.add_argument("-C", type=float, default=0.01, help="inverse L2 strength of the sentence model (pairwise, no prior)")
    parser.add_argument("--precision", type=float, default=0.85, help="wanted share of shown short answers exactly right")
    parser.add_argument("--verbose", action="store_true", help="print the most confident held-out answers")
    parser.add_argument("--unanswerable", type=float, default=0.04, help="most unanswerable questions given one")
    args = parser.parse_args()

    start = _starting_model()
    with contextlib.ExitStack() as stack:
        squad_bot, questions = stack.enter_context(squad.squad_citebot(args.cache / "squad" if args.cache else None))
        seed_bot = stack.enter_context(seed_citebot(args.cache))
        seed_doc = seed_bot.searcher.documents[0].doc
        by_group: dict[str, tuple[Any, list[Item]]] = {}
        for item in squad_items(questions):
            by_group.setdefault(item.group, (squad_bot.searcher, []))[1].append(item)
        by_group["seed"] = (seed_bot.searcher, seed_items(ROOT / "benchmarks" / "eval_seed.jsonl", seed_doc))
        groups = [g for g in by_group if g != args.holdout]

        def pairs(names: Sequence[str]) -> list[tuple[Any, list[Item]]]:
            return [by_group[g] for g in names]

        # The confidence model learns from reads an unseen article would get: each group read
        # by sentence and span models fitted without it (stacking). Its threshold comes from
        # those reads too, each group's confidences given by a confidence model fitted on the
        # other groups' reads.
        held_reads: dict[str, tuple[list[dict[str, float]], list[int], list[Read]]] = {}
        n_impossible = 0
        for held in groups:
            fold = train(pairs([g for g in groups if g != held]), start, args.C, with_confidence=False)
            reads = read_all(*by_group[held], fold)
            held_reads[held] = confidence_rows(reads)
            n_impossible += sum(1 for r in reads if r.item.impossible)
            print(stage_report(f"  {held} (sentence and span out of group)", reads,
                               {g: 0.5 for g in set(ANSWER_GROUPS.values())}))
        # Each group's confidences come from a confidence model fitted on the other groups'
        # reads, as an article nobody trained on will get them. (Folds over all questions
        # instead put 8% of a held-out article's unanswerable questions over the threshold:
        # too hopeful; see RESULTS_squad.md.)
        detail: list[tuple[float, bool, bool, str, Read]] = []
        for held in groups:
            X = [x for g in groups if g != held for x in held_reads[g][0]]
            y = [v for g in groups if g != held for v in held_reads[g][1]]
            conf = fit(X, y, CONFIDENCE_FEATURES, CONFIDENCE_C)
            Xh, yh, kept = held_reads[held]
            detail += [(conf.probability(x), bool(ok), r.item.impossible, answer_group(r.reading.want.kind), r)
                       for x, ok, r in zip(Xh, yh, kept)]
        points = [d[:4] for d in detail]
        thresholds = stable_thresholds(points, args.precision, args.unanswerable, n_impossible)
        if args.verbose:
            for c, ok, imp, g, r in sorted(detail, key=lambda x: -x[0])[:60]:
                print(f"    {g:8} {c:.3f} {'right' if ok else ('unanswerable' if imp else 'wrong'):12} {r.reading.want.kind:8} "
                      f"{r.item.question[:70]!r} -> {r.reading.short!r}")
        confidence = fit([x for g in groups for x in held_reads[g][0]], [v for g in groups for v in held_reads[g][1]],
                         CONFIDENCE_FEATURES, CONFIDENCE_C)
        model = train(pairs(groups), start, args.C, with_confidence=False)
        model = ReaderModel(model.sentence, model.span, confidence, thresholds, {
            "trained_on": groups, "C": args.C, "precision_target": args.precision,
            "unanswerable_target": args.unanswerable, "script": "benchmarks/train_reader.py",
        })
        for g in by_group:
            tag = "held out" if g == args.holdout else "in sample"
            print(stage_report(f"  {g} ({tag})", read_all(*by_group[g], model), thresholds))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    shown = ", ".join(f"{g} {t:.3f}" for g, t in sorted(thresholds.items()))
    print(f"thresholds {shown} (out-of-group precision >= {args.precision}, unanswerable <= {args.unanswerable}); "
          f"wrote {args.out}")


def _starting_model() -> ReaderModel:
    """Stage 1 reads sentences with any model (its features do not depend on one): a neutral one."""
    def neutral(names: Sequence[str]) -> Linear:
        n = len(names)
        return Linear(tuple(names), (0.0,) * n, (0.0,) * n, (1.0,) * n, 0.0)

    sentence = Linear(SENTENCE_FEATURES, tuple(1.0 if n in ("ret_gap", "cov") else 0.0 for n in SENTENCE_FEATURES),
                      (0.0,) * len(SENTENCE_FEATURES), (1.0,) * len(SENTENCE_FEATURES), 0.0)
    return ReaderModel(sentence, neutral(SPAN_FEATURES), neutral(CONFIDENCE_FEATURES),
                       {g: 0.5 for g in set(ANSWER_GROUPS.values())}, {})


if __name__ == "__main__":
    main()
