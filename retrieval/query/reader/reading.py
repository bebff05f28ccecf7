"""Reading the best paragraph: which sentence holds the answer, and which phrase of it is one.

Retrieval finds the paragraph; inside it, the sentence most similar to the question is often
not the one that answers it ("Who was the Norse leader?" is most like the sentence about the
Norse, while "under their leader Rollo" is the next one). Three small linear models
(model.py) read the paragraph the way a person skims it:

1. each sentence is scored by how much of the question it holds (weighted by how rare each
   word is), whether consecutive question words appear together, whether it holds a phrase
   of the type asked for, and what retrieval thought of it;
2. each candidate phrase of the two best sentences (spans.py) is scored;
3. the best phrase gets a confidence that it is exactly right: from its score, its lead over
   the runner-up, how much of the question the paragraph covers at all, question names the
   paragraph lacks, and how clearly the paragraph won retrieval.

A short answer is shown only at or above the model's calibrated threshold.
"""

from __future__ import annotations

import bisect
import math
import operator
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ...index.chunks import is_dateline
from ...index.lexical import tokenize
from ...index.parses import Parse
from ...models import Passage, Person
from ..answers import _about_dateline, identity_answer, role_answer, role_holder_answer, role_stated, short_answer
from ..question import Question
from ..wants import Wants
from .model import ReaderModel, sigmoid
from .spans import (
    Candidate,
    Matches,
    FEATURES,
    STRICT_KINDS,
    SentenceView,
    candidates,
    group_of,
    context,
    fits_loosely,
    matches,
    repeats_question,
    span_features,
)

SPAN_SENTENCES = 2  # candidates come from this many of the best-scoring sentences


@dataclass(frozen=True)
class ParagraphInput:
    text: str
    sentences: tuple[tuple[int, int], ...]  # character spans of its sentences
    parse: Parse
    # Retrieval's view of each sentence: (combined score, sentence-vector similarity, BM25
    # share), None for a sentence retrieval did not score.
    retrieval: tuple[tuple[float, float, float] | None, ...]
    chosen: int  # the sentence retrieval would show
    context: dict[str, float] = field(default_factory=dict)  # ret_margin, ret_score


@dataclass
class Reading:
    sentence: int  # the sentence to show
    short: str | None  # the best phrase, whatever its confidence
    confidence: float | None  # that it is exactly right
    sentences: list[SentenceView]
    candidates: list[Candidate]
    confidence_features: dict[str, float] = field(default_factory=dict)
    want: Wants | None = None


def read(
    parsed: Question,
    para: ParagraphInput,
    idf: Callable[[str], float],
    model: ReaderModel | None,
    patterns: Callable[[int], str | None] | None = None,
) -> Reading:
    """Read ``para`` for ``parsed`` (its repaired text and what it wants). ``patterns``
    gives, for a sentence index, the short answer of the hand-written patterns (answers.py);
    the confidence weighs whether they agree with the best phrase."""
    question, want = parsed.repaired, parsed.wants
    found = matches(want.terms, para.parse, idf)
    sentences = sentence_views(question, want, para, found)
    if model is not None:
        for s in sentences:
            s.score = model.sentence.logit(s.features)
        order = sorted(range(len(sentences)), key=lambda i: -sentences[i].score)
    else:
        order = [para.chosen] + [i for i in range(len(sentences)) if i != para.chosen]
    best = order[0] if order else para.chosen
    reading = Reading(best, None, None, sentences, [], want=want)
    if model is None or not para.parse or want.kind is None or not sentences:
        return reading
    top = set(order[:SPAN_SENTENCES])
    q_lower = question.lower()
    q_terms = set(want.terms)
    cands = [c for c in candidates(para.text, para.parse, top) if not repeats_question(c, q_lower, q_terms)]
    if want.kind in STRICT_KINDS:
        cands = [c for c in cands if fits_loosely(c, want)]
    if not cands:
        return reading
    ctx = context(want, para.parse, para.text, found, sentences, best, cands)
    offset, coefficients = model.span.aligned(FEATURES, f"{group_of(want)}:")
    for c in cands:
        c.features = span_features(c, ctx)
        c.score = offset + sum(map(operator.mul, c.features.values(), coefficients))
    cands.sort(key=lambda c: -c.score)
    reading.candidates = cands
    first = cands[0]
    runner = next((c for c in cands[1:] if c.text.lower() != first.text.lower()), None)
    reading.confidence_features = confidence_features(question, want, first, runner, found, sentences, best, para)
    pattern = patterns(first.sentence) if patterns is not None else None
    agrees = bool(pattern) and _same_answer(pattern, first.text)
    reading.confidence_features["patterns_agree"] = float(agrees)
    reading.confidence_features["patterns_differ"] = float(bool(pattern) and not agrees)
    reading.short = answer_text(first, want)
    reading.confidence = sigmoid(model.confidence.logit(reading.confidence_features))
    return reading


def answer_text(cand: Candidate, want: Wants) -> str:
    """What is shown for a candidate: without quotes and brackets around it, without the
    noun the question asks with ("11th" for "in what century"), and only the year of a
    date when the question asks what year ("1191" of "1 May 1191")."""
    text = _without_head(_clean(cand.text), want)
    if want.head in ("year", "years") and want.kind == "date":
        years = _YEAR.findall(text)
        if len(years) == 1 and years[0] != text:
            return years[0]
    return text


_YEAR = re.compile(r"(?<![\d,.])\b(?:1\d{3}|20\d{2})\b(?![\d,.]\d)")


def _clean(text: str) -> str:
    return text.strip(" ,;:.\"“”'‘’()")


def _without_head(text: str, want: Wants) -> str:
    """"In what century ...?" is answered "the 11th", not "11th century": the answer does not
    repeat the noun the question asks with."""
    head = want.head
    if not head or want.kind not in ("date", "number"):
        return text
    # Singular or plural, British or American spelling: "kilometers" / "2000 kilometres".
    stem = re.sub(r"(?:ies|y|es|s)$", "", head.lower())
    stem = re.sub(r"(?:er|re)$", "", stem)
    m = re.match(rf"^(.*\S)\s+{re.escape(stem)}(?:er|re)?(?:ies|y|es|s)?$", text, re.IGNORECASE) if len(stem) >= 3 else None
    # Only a bare "11th century" / "30,000 men": "the first half of the 10th century" keeps its noun.
    return m.group(1) if m and " " not in m.group(1) else text


def _opener(sentence: str) -> str:
    words = sentence.split(None, 1)
    return words[0].lower().strip("\"“(,") if words else ""


_ANAPHORS = frozenset("it its this these those they their there he his she her such that which thus".split())
WINDOW = 8  # tokens: the densest stretch of question words is where a paraphrase sits


def sentence_views(question: str, want: Wants, para: ParagraphInput, found: Matches) -> list[SentenceView]:
    n = len(para.sentences)
    scores = [para.retrieval[i] if i < len(para.retrieval) else None for i in range(n)]
    columns = list(zip(*[s for s in scores if s is not None])) or [(0.0,), (0.0,), (0.0,)]
    tops = [max(c) for c in columns]
    floors = [min(c) for c in columns]
    total = found.total or 1.0
    pairs = list(zip(want.terms, want.terms[1:]))
    tokens = para.parse.tokens
    typed = _typed_sentences(para, want, question) if want.kind not in (None, "thing") else set()
    sentence_terms: list[list[str]] = [[] for _ in para.sentences]
    starts = [a for a, _ in para.sentences]
    for i, term in para.parse.terms:
        k = bisect.bisect_right(starts, tokens[i].start) - 1
        if 0 <= k < len(sentence_terms):
            sentence_terms[k].append(term)
    covs = [sum(w for t, w in found.terms.items() if t in set(terms)) / total for terms in sentence_terms]
    best_cov = max(covs) if covs else 0.0
    openers = [_opener(para.text[a:b]) for a, b in para.sentences]
    views = []
    for i, (a, b) in enumerate(para.sentences):
        terms = sentence_terms[i]
        adjacent = set(zip(terms, terms[1:]))
        score = scores[i] or tuple(f - 0.05 for f in floors)
        previous = set(sentence_terms[i - 1]) if i > 0 else set()
        joint = sum(w for t, w in found.terms.items() if t in previous or t in set(terms)) / total
        r = para.parse.tokens_between(a, b)
        weights = found.weight[r.start:r.stop] if tokens else []
        window = max((sum(weights[j:j + WINDOW]) for j in range(max(1, len(weights) - WINDOW + 1))), default=0.0) / total
        f = {
            "bias": 1.0,
            "ret_gap": score[0] - tops[0],
            "dense_gap": score[1] - tops[1],
            "lex_gap": score[2] - tops[2],
            "ret_best": float(i == para.chosen),
            "cov": covs[i],
            "cov_gap": covs[i] - best_cov,
            "cov_prev": covs[i - 1] if i > 0 else 0.0,
            "cov_joint_gain": joint - covs[i],
            "window": window,
            "anaphor": float(openers[i] in _ANAPHORS),
            # "... Ladner showed that ... . Such problems are called NP-intermediate.": the
            # answer often follows the sentence that matches, and points back to it.
            "anaphor_after_match": float(openers[i] in _ANAPHORS) * (covs[i - 1] if i > 0 else 0.0),
            "after_best": float(i > 0 and covs[i - 1] == best_cov),
            "next_points_back": float(i + 1 < n and openers[i + 1] in _ANAPHORS),
            "bigram": sum(p in adjacent for p in pairs) / max(1, len(pairs)),
            "typed": float(i in typed),
            "typed_kind": float(want.kind not in (None, "thing")),
            "first": float(i == 0),
            "len_log": math.log(1 + (r.stop - r.start)) if tokens else math.log(1 + len(terms)),
        }
        views.append(SentenceView(i, a, b, f, terms=frozenset(terms)))
    return views


def _typed_sentences(para: ParagraphInput, want: Wants, question: str) -> set[int]:
    """Sentences holding a phrase of the asked-for type that the question doesn't already say."""
    if not para.parse:
        return set()
    q_lower = question.lower()
    q_terms = set(want.terms)
    return {
        c.sentence
        for c in candidates(para.text, para.parse, typed_only=True)
        if fits_loosely(c, want) and not repeats_question(c, q_lower, q_terms)
    }


# Past forms the light stemmer cannot reach: "did Herve go up against" / "Crispin went up against".
_IRREGULAR_VERBS = (
    "go went gone", "come came", "make made", "take took taken", "give gave given", "fight fought", "lead led",
    "win won", "lose lost", "become became", "begin began begun", "build built", "hold held", "fall fell fallen",
    "rise rose risen", "write wrote written", "see saw seen", "leave left", "bring brought", "buy bought",
    "sell sold", "send sent", "meet met", "tell told", "find found", "get got", "run ran", "flee fled",
    "drive drove driven", "break broke broken", "speak spoke spoken", "teach taught", "think thought",
    "seek sought", "keep kept", "lay laid",
)


def _irregular() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for line in _IRREGULAR_VERBS:
        base, *forms = (tokenize(w)[0] for w in line.split())
        out[base] = tuple(forms)
    return out


_IRREGULAR = _irregular()


def _subject_agrees(want: Wants, para: ParagraphInput, sentence: SentenceView) -> bool | None:
    """Does the sentence's subject of the question's verb include who the question says does
    it? "When did King Harold II conquer England?" against "William II ... conquered England
    killing King Harold II": no. None when the question or the parse does not tell."""
    if not want.subject or not want.verb:
        return None
    tokens = para.parse.tokens
    r = para.parse.tokens_between(sentence.start, sentence.end)
    forms = {want.verb, *_IRREGULAR.get(want.verb, ())}
    verbs = [i for i, term in para.parse.terms if term in forms and r.start <= i < r.stop and tokens[i].pos in ("VERB", "AUX")]
    if not verbs:
        return None
    terms_by_token: dict[int, list[str]] = {}
    for i, term in para.parse.terms:
        if r.start <= i < r.stop:
            terms_by_token.setdefault(i, []).append(term)
    for v in verbs:
        subjects = [j for j in r if tokens[j].head == v and tokens[j].dep in ("nsubj", "nsubjpass")]
        if not subjects:
            continue
        inside = set()
        for j in r:  # the subject's subtree: tokens whose chain of heads reaches it
            k, steps = j, 0
            while k != subjects[0] and tokens[k].head != k and steps < 20:
                k, steps = tokens[k].head, steps + 1
            if k == subjects[0]:
                inside.update(terms_by_token.get(j, ()))
        return set(want.subject) <= inside
    return None


def _modifier_swaps(question: str, sentence_terms: frozenset[str]) -> int:
    """How many "Name noun" pairs of the question the sentence has the noun of but not the
    name: "a Norman general" asked of "a Byzantine general", "the French version" of "the
    Latin version" (how an unanswerable question is made from an answerable one)."""
    words = [(m.group(0), m.start()) for m in re.finditer(r"[A-Za-z][\w'’-]*", question)]
    swaps = 0
    for (w1, at), (w2, _) in zip(words, words[1:]):
        if not w1[:1].isupper() or at == 0 or not w2[:1].islower():
            continue
        t1, t2 = tokenize(w1), tokenize(w2)
        if t1 and t2 and t2[0] in sentence_terms and not set(t1) & sentence_terms:
            swaps += 1
    return swaps


def _modifier_replaced(question: str, sentence: str) -> int:
    """How many "Name noun" pairs of the question the sentence writes with another name
    before the noun: "a Norman general" asked of "a Byzantine general" even when the
    sentence says "Norman" elsewhere ("Norman mercenaries to serve as a Byzantine general")."""
    words = [(m.group(0), m.start()) for m in re.finditer(r"[A-Za-z][\w'’-]*", question)]
    replaced = 0
    for (w1, at), (w2, _) in zip(words, words[1:]):
        if not w1[:1].isupper() or at == 0 or not w2[:1].islower() or len(w2) < 3:
            continue
        before = re.findall(rf"([A-Za-z][\w'’-]*)\s+{re.escape(w2)}\b", sentence, re.IGNORECASE)
        # compared as terms: "Gaza's residents" is written "Gaza’s residents" too
        if before and all(b[:1].isupper() and tokenize(b) != tokenize(w1) for b in before):
            replaced += 1
    return replaced


_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’-]+")
_CONTRAST = frozenset("not never no nor without least most first last only never n't cannot isn't wasn't didn't "
                      "doesn't don't aren't weren't".split())
_NOT_SUPERLATIVE = frozenset("interest interests suggest suggests request requests harvest forest forests contest "
                             "protest protests invest conquest conquests arrest rest test tests west honest modest "
                             "manifest digest guest guests quest earnest".split())


def confidence_features(
    question: str,
    want: Wants,
    first: Candidate,
    runner: Candidate | None,
    found: Matches,
    sentences: Sequence[SentenceView],
    best_sentence: int,
    para: ParagraphInput,
) -> dict[str, float]:
    total = found.total or 1.0
    para_terms = set(found.by_term_tokens)
    missing = [t for t in found.terms if t not in para_terms]
    names = [w for w in _CAPITALISED.findall(question.strip()) if w.lower() not in {"i"}]
    missing_names = sum(1 for w in names if tokenize(w) and not set(tokenize(w)) & para_terms)
    # What unanswerable questions change in a sentence that answers another one: a name
    # ("the French version" for the Latin one), a number or date ("in the 10th century",
    # "in 1974"), a superlative or a negation ("the smallest cities", "never").
    near = set(sentences[first.sentence].terms)
    if first.sentence > 0:
        near |= sentences[first.sentence - 1].terms
    missing_names_near = sum(1 for w in names if tokenize(w) and not set(tokenize(w)) & near)
    numbers = [t for t in found.terms if t[:1].isdigit()]
    missing_numbers = sum(1 for t in numbers if t not in para_terms)
    words = re.findall(r"[a-z]+(?:n't)?", question.lower())
    contrast = [w for w in words if w in _CONTRAST or (w.endswith("est") and len(w) > 5 and w not in _NOT_SUPERLATIVE)]
    sentence_text = para.text[sentences[first.sentence].start:sentences[first.sentence].end].lower()
    missing_contrast = sum(1 for w in contrast if not re.search(rf"\b{re.escape(w)}\b", sentence_text))
    f = {
        "bias": 1.0,
        "span": first.score,
        "margin": min(4.0, first.score - runner.score) if runner is not None else 4.0,
        "para_cov": 1.0 - sum(found.terms[t] for t in missing) / total,
        "missing_terms": float(len(missing)),
        "missing_names": float(missing_names),
        "sent_cov": sentences[first.sentence].features.get("cov", 0.0),
        "sent_top": float(first.sentence == best_sentence),
        "type_strong": first.features.get("type_strong", 0.0),
        "ret_margin": para.context.get("ret_margin", 0.0),
        "ret_score": para.context.get("ret_score", 0.0),
        "rivals": first.features.get("rivals", 0.0),
        "dist": first.features.get("dist", 0.0),
        "near": first.features.get("near", 0.0),
        "head_near": max(first.features.get("head_next", 0.0), first.features.get("head_in", 0.0)),
        "unit_differs": first.features.get("unit_differs", 0.0),
        "sent_margin": min(4.0, sentences[best_sentence].score - max(
            (s.score for s in sentences if s.index != best_sentence), default=sentences[best_sentence].score - 4.0)),
        "question_terms": math.log(1 + len(found.terms)),
        "missing_names_near": float(missing_names_near),
        "missing_numbers": float(missing_numbers),
        "missing_contrast": float(missing_contrast),
    }
    agrees = _subject_agrees(want, para, sentences[first.sentence])
    f["subject_agrees"] = float(agrees is True)
    f["subject_differs"] = float(agrees is False)
    f["modifier_swapped"] = float(min(2, _modifier_swaps(question, sentences[first.sentence].terms)))
    own = sentences[first.sentence]
    f["modifier_replaced"] = float(min(2, _modifier_replaced(question, para.text[own.start:own.end])))
    # The question's names absent from the answer's own sentence (not only from around it),
    # and the subject of a "did" question absent from it: how unanswerable questions are
    # made from a sentence that answers another ("When did Herve go up against the Turks?"
    # of "Robert Crispin led the Normans ... against the Turks").
    f["missing_names_sentence"] = float(min(2, sum(1 for w in names if tokenize(w) and not set(tokenize(w)) & own.terms)))
    f["subject_missing"] = float(bool(want.subject) and not set(want.subject) & own.terms)
    for kind in ("person", "place", "date", "number", "age", "duration", "org", "group", "work", "thing"):
        f[f"kind_{kind}"] = float(want.kind == kind)
    return f


# ---- the short answer to show ------------------------------------------------------------

# Answers from the people index ("who is X", "who is the <role> of Y") and the dateline's
# metadata are rules that either hold or don't; they are given this confidence.
RULE_CONFIDENCE = 0.9
# Kinds for which a sentence without a phrase of that type cannot be the answer.
TYPED_KINDS = ("date", "number", "age", "duration")
_PLACE_HEADS = re.compile(r"^(countr(y|ies)|cit(y|ies)|nations?|towns?|villages?)$")


def _agree(holder: str, reading: Reading) -> bool:
    return bool(reading.candidates) and _same_answer(holder, reading.candidates[0].text)


def _same_answer(a: str, b: str) -> bool:
    """One answer is the other or holds it ("Khaled Mashal" / "former chief Khaled Mashal")."""
    a, b = " ".join(a.lower().split()), " ".join(b.lower().split())
    return bool(a) and bool(b) and (a in b or b in a)


def typed_answer_missing(reading: Reading) -> bool:
    """Does the question ask for a date / number / duration (or a country or city) that the
    shown sentence does not hold? Then the sentence is a near miss, not an answer."""
    want = reading.want
    if want is None or not reading.sentences:
        return False
    needs = want.kind in TYPED_KINDS or (want.kind == "place" and bool(want.head and _PLACE_HEADS.match(want.head)))
    return needs and not reading.sentences[reading.sentence].features.get("typed")


def confident(reading: Reading, model: ReaderModel | None) -> bool:
    """Is the best phrase sure enough to be shown as the short answer?"""
    if model is None or reading.short is None or reading.confidence is None or not reading.candidates:
        return False
    return reading.confidence >= model.threshold(reading.want.kind if reading.want else None)


def short_for(
    parsed: Question,
    passage: Passage,
    reading: Reading,
    model: ReaderModel | None,
    *,
    date: str | None,
    place: str | None,
    people: Sequence[Person] | None,
) -> tuple[str | None, float | None]:
    """The short answer for the shown passage and how sure it is, or ``(None, None)``.

    Rules that know who is who come first ("who is Khaled Mashal", "who leads Jamaat-e-Islami",
    "who is the current head of Hamas"); then the best phrase, if its confidence reaches the threshold; then the
    dateline's date or place for a question about what the dateline reports, but only when
    the sentence holds no date or place of its own ("It was built in 1874" answers "when was
    it built", not the day the article is dated)."""
    question = parsed.repaired
    role = role_answer(question, passage.text, people)
    if role is not None:
        return (role, RULE_CONFIDENCE) if role else (None, None)
    if held := role_holder_answer(question, passage.text, people):
        return held, RULE_CONFIDENCE
    checked, holder = identity_answer(question, passage.text)
    if checked:
        # The pattern reads "current head Hassan Darwish" right, but "Robert's son" can be
        # followed by anyone's name: its holder is shown when the reader's best phrase agrees.
        if holder and (model is None or role_stated(question, passage.text) or _agree(holder, reading)):
            return holder, RULE_CONFIDENCE
        return None, None
    if model is None:
        return short_answer(question, passage, kind=parsed.kind, date=date, place=place, people=people), None
    if confident(reading, model):
        return reading.short, reading.confidence
    want = reading.want
    if is_dateline(passage.paragraph) and want is not None and want.kind in ("date", "place"):
        value = date if want.kind == "date" else place
        # Only when the sentence states no other date (or place) of its own.
        own = [c for c in reading.candidates if c.sentence == reading.sentence and fits_loosely(c, want) and c.text != value]
        if value and not own and _about_dateline(question, passage.paragraph_text):
            return value, RULE_CONFIDENCE
    return None, None
