"""Load: hundreds of questions from concurrent workers while a reindex runs.

Every question must be answered, none may fail, and each answer must come wholly from the
old index or wholly from the new one. The new index differs detectably: it gains a document
that answers a question the old one cannot. Reference answers are taken from each index
alone, before and after; every concurrent answer must equal one of its two references
exactly (passages, scores, short answer), which a mix of generations would not.
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import retrieval.index.embedder as embedder_module
import retrieval.index.build as build

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

LIGHTHOUSE = "# Skerry lighthouse\n\nThe lighthouse on Skerry Island is painted bright green. It was built in 1874."
NEW_QUESTION = "What colour is the lighthouse on Skerry Island?"
BASE_QUESTIONS = [
    NEW_QUESTION,
    "Where did the meeting take place?",
    "Who is the current head of Hamas?",
    "How many martyrs did he salute?",
    "Which charity has always been there for Gaza's residents?",
    "Who handles foreign affairs for Jamaat-e-Islami?",
    "How long did Gaza hold out according to Hafiz Naeem?",
    "When was the lighthouse built?",
    "What did Rehman say about Al-Khidmat?",
    "What is the capital of Australia?",
]
# Variants: 40 distinct questions, each asked six times.
QUESTIONS = [v for q in BASE_QUESTIONS for v in (q, q.lower(), "Tell me: " + q, q.rstrip("?") + ", please?")]

TOTAL = 240
WORKERS = 8
RELEASE_AFTER = 100  # the rebuild may publish only after this many answers (all from the old index)
WAIT_FROM = 160  # questions from this one on start after the swap (all from the new index)


@dataclass
class Outcome:
    question: str
    answer: dict
    generation_before: str | None  # the serving generation just before and just after asking
    generation_after: str | None
    before_release: bool  # finished while the rebuild was still held back from publishing
    seconds: float


def test_questions_during_a_reindex_come_wholly_from_the_old_or_the_new_index(make_citebot, monkeypatch):
    citebot = make_citebot({p.name: p.read_bytes() for p in SEEDS.iterdir() if p.suffix in (".txt", ".md")})
    citebot.ensure_index()
    old_generation = citebot.generation
    # References without filling the question-vector cache, so that the first asking of each
    # question below goes through the model concurrently (the rest hit the cache, as in use).
    cache_size = embedder_module.QUERY_CACHE_SIZE
    monkeypatch.setattr(embedder_module, "QUERY_CACHE_SIZE", 0)
    old = {q: citebot.ask(q).to_json() for q in QUESTIONS}
    monkeypatch.setattr(embedder_module, "QUERY_CACHE_SIZE", cache_size)
    (citebot.settings.seeds_dir / "lighthouse.md").write_text(LIGHTHOUSE)

    # Hold the finished rebuild back from publishing until enough questions have been
    # answered meanwhile, so the overlap is certain rather than a matter of timing.
    at_publish, release, swapped = threading.Event(), threading.Event(), threading.Event()
    publish = build.publish

    def held_publish(index_dir, folder):
        at_publish.set()
        assert release.wait(60), "questions never reached the release point"
        publish(index_dir, folder)

    monkeypatch.setattr(build, "publish", held_publish)
    rebuild: dict[str, object] = {}

    def run_rebuild() -> None:
        try:
            rebuild["report"] = citebot.reindex(reason="load test")
        except BaseException as exc:  # reported by the assertions below
            rebuild["error"] = exc
        finally:
            swapped.set()

    counter_lock = threading.Lock()
    answered = 0

    def ask(i: int) -> Outcome:
        nonlocal answered
        if i >= WAIT_FROM:
            assert swapped.wait(60)
        question = QUESTIONS[i % len(QUESTIONS)]
        before = citebot.generation
        started = time.perf_counter()
        answer = citebot.ask(question).to_json()
        took = time.perf_counter() - started
        outcome = Outcome(question, answer, before, citebot.generation, not release.is_set(), took)
        with counter_lock:
            answered += 1
            if answered == RELEASE_AFTER:
                release.set()
        return outcome

    started = time.perf_counter()
    rebuilder = threading.Thread(target=run_rebuild, name="rebuild")
    rebuilder.start()
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(ask, i) for i in range(TOTAL)]
        outcomes = [f.result(timeout=120) for f in futures]  # re-raises any failed question
    rebuilder.join(60)
    elapsed = time.perf_counter() - started

    assert "error" not in rebuild, rebuild.get("error")
    assert at_publish.is_set()
    new_generation = citebot.generation
    assert new_generation != old_generation and rebuild["report"].added == ("lighthouse.md",)
    new = {q: citebot.ask(q).to_json() for q in QUESTIONS}
    # The two indexes answer detectably differently.
    assert not old[NEW_QUESTION]["answered"] or old[NEW_QUESTION]["results"][0]["doc"] != "lighthouse.md"
    assert new[NEW_QUESTION]["answered"] and new[NEW_QUESTION]["results"][0]["doc"] == "lighthouse.md"

    from_old = from_new = 0
    for i, o in enumerate(outcomes):
        is_old, is_new = o.answer == old[o.question], o.answer == new[o.question]
        assert is_old or is_new, f"question {i} ({o.question!r}) got an answer from neither index: {o.answer}"
        if o.generation_before == o.generation_after == old_generation:
            assert is_old, f"question {i} was asked and answered while the old index served"
        if o.generation_before == o.generation_after == new_generation:
            assert is_new, f"question {i} was asked and answered while the new index served"
        if o.before_release:
            assert is_old, f"question {i} finished before the new index could be published"
        if i >= WAIT_FROM:
            assert is_new, f"question {i} was asked after the swap"
        distinct = old[o.question] != new[o.question]
        from_old += is_old and distinct
        from_new += is_new and distinct

    assert len(outcomes) == TOTAL and all(o.answer["question"] for o in outcomes)
    assert sum(o.before_release for o in outcomes) >= RELEASE_AFTER - WORKERS
    assert from_old > 0 and from_new > 0
    latencies = sorted(o.seconds for o in outcomes)
    print(
        f"\n{TOTAL} questions, {WORKERS} workers, reindex alongside: {elapsed:.2f}s; "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {latencies[int(0.95 * TOTAL)] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; rebuild {rebuild['report'].seconds:.2f}s"
    )
