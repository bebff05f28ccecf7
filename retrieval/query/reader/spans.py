"""Candidate short answers inside a paragraph, and what a person would weigh about each.

The candidates are the phrases the index stored for the paragraph (``index/phrases.py``):
entities, noun chunks, the phrase a noun heads, content words, dates and numbers the entity
recogniser misses. Nothing here runs a model.

Each candidate gets features (``FEATURES``): whether its type fits what the question wants
(``query/wants.py``), whether it repeats the question, how many question words are near it
and how closely it is tied to them in the parse, whether the question's head noun is in or
next to it, how many rivals of the same type the sentence holds, and how well its sentence
matches. ``model.py`` turns them into a score with coefficients trained by
``benchmarks/train_reader.py``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ...index.lexical import tokenize
from ...index.parses import Parse, Phrase
from ...index.phrases import CURRENCY_NAMES, CURRENCY_SIGNS, PATTERN_LABELS, TYPED_LABELS, TYPED_OR_WORK
from ..wants import Wants


# spaCy labels by the kind of answer they can be. "strong": the type a person expects;
# "weak": can be right ("Who ...?" answered by a people, "the Anglo-Saxons").
_STRONG = {
    "person": {"PERSON"},
    "place": {"GPE", "LOC", "FAC"},
    "date": {"DATE", "YEAR", "CENTURY", "DECADE"},
    "number": {"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "NUMBER"},
    "age": {"AGE"},
    "duration": {"DATE", "DURATION", "QUANTITY", "TIME"},
    "org": {"ORG"},
    "group": {"NORP", "LANGUAGE"},
    "work": {"WORK_OF_ART", "LAW", "QUOTED"},
}
_WEAK = {
    "person": {"NORP", "ORG"},
    "place": {"ORG", "NORP", "EVENT"},
    "date": {"TIME", "EVENT", "RELATIVE"},
    "number": {"DATE"},
    "duration": {"CARDINAL", "RELATIVE"},
    "org": {"NORP", "PERSON", "GPE"},
    "group": {"ORG", "GPE", "PERSON"},
    "work": {"ORG", "EVENT", "PRODUCT"},
}

_NAME_LABELS = {"PERSON", "GPE", "LOC", "FAC", "ORG", "NORP"}

_SUBJECT = {"nsubj", "nsubjpass", "csubj", "expl"}
_OBJECT = {"dobj", "attr", "oprd", "dative", "obj"}
NEAR_WINDOW = 6  # tokens each side in which question words count as "near" a candidate


@dataclass
class Candidate:
    phrase: Phrase
    text: str
    start: int  # characters of the paragraph text
    end: int
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0

    @property
    def labels(self) -> tuple[str, ...]:
        return self.phrase.labels

    @property
    def sentence(self) -> int:
        return self.phrase.sentence


@dataclass
class SentenceView:
    index: int
    start: int
    end: int
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    terms: frozenset[str] = frozenset()  # its lexical terms


# ---- question time ------------------------------------------------------------------------


@dataclass
class Matches:
    """Question terms found in the paragraph: per token, the question-term weight it carries."""

    weight: list[float]  # per parse token (0 when it matches no question term)
    total: float  # the question's whole weight (sum of idf over its distinct terms)
    terms: dict[str, float]  # question term -> idf
    by_term_tokens: dict[str, list[int]]  # question term -> tokens matching it
    tokens: list[int]  # the tokens that match, in order


def matches(question_terms: Sequence[str], parse: Parse, idf: Callable[[str], float]) -> Matches:
    terms = {t: idf(t) for t in dict.fromkeys(question_terms)}
    weight = [0.0] * len(parse.tokens)
    where: dict[str, list[int]] = {}
    for i, term in parse.terms:
        w = terms.get(term)
        if w is not None:
            weight[i] = max(weight[i], w)
            where.setdefault(term, []).append(i)
    return Matches(weight, sum(terms.values()), terms, where, [i for i, w in enumerate(weight) if w > 0])


def candidates(text: str, parse: Parse, only: set[int] | None = None, typed_only: bool = False) -> list[Candidate]:
    """The paragraph's candidate phrases (``only``: of just those sentences; ``typed_only``:
    just entities, dates and numbers, the ones a type can fit)."""
    tokens = parse.tokens
    out = []
    for p in parse.phrases:
        if only is not None and p.sentence not in only:
            continue
        if typed_only and not set(p.labels) & TYPED_OR_WORK:
            continue
        start, end = tokens[p.first].start, tokens[p.last - 1].end
        out.append(Candidate(p, text[start:end], start, end))
    return out

# ---- features -------------------------------------------------------------------------

FEATURES = (
    "bias",
    "type_strong", "type_weak", "type_clash", "typed_other", "untyped_kind",
    "is_ent", "is_name", "is_chunk", "is_phrase", "is_word_only", "is_pattern",
    "len1", "len_log",
    "in_question", "near", "near_left", "near_right", "dist",
    "dep_hop1", "dep_hop2", "root_subj", "root_obj", "root_pobj", "root_appos", "root_compound", "root_conj",
    "head_in", "head_next", "rivals", "sent_score", "sent_best", "sent_cov",
    "propn", "numeric", "paren",
    "type_exact", "quoted", "agent", "subject_of_match", "inside_typed", "holds_typed", "position",
    "attached_to_match", "appos_match", "role_subject_match", "role_object_match", "list_match", "list_unwanted",
    "name_ext", "unit_match", "unit_differs",
)
# A question's head noun that asks for one label in particular ("what year" wants a year, not
# "1 May 1191"; "what country" a country, not a city's name).
_EXACT = {
    "year": {"YEAR"}, "years": {"YEAR"}, "century": {"CENTURY"}, "centuries": {"CENTURY"}, "decade": {"DECADE"},
    "country": {"GPE"}, "countries": {"GPE"}, "city": {"GPE"}, "cities": {"GPE"}, "nation": {"GPE"}, "state": {"GPE"},
    "continent": {"LOC"}, "river": {"LOC"}, "sea": {"LOC"}, "region": {"LOC", "GPE"}, "island": {"LOC", "GPE"},
    "language": {"LANGUAGE"}, "religion": {"NORP"}, "nationality": {"NORP"}, "culture": {"NORP"},
}
# A typed question ("who", "when", "how many", "which country") and a "what <thing>" one weigh
# the same evidence differently (a type match is most of the first, none of the second): the
# span model has one weight per feature and group.
GROUPS = ("typed", "thing")
MODEL_FEATURES = tuple(f"{group}:{name}" for group in GROUPS for name in FEATURES)


def group_of(want: Wants) -> str:
    return "thing" if want.kind in (None, "thing") else "typed"


def grouped(features: dict[str, float], want: Wants) -> dict[str, float]:
    group = group_of(want)
    return {f"{group}:{name}": value for name, value in features.items()}


# Kinds whose answer must be of that type: a "when" question is answered by a date, never by
# a name near the question's words.
STRICT_KINDS = frozenset({"date", "number", "age", "duration"})


# As terms (stemmed: "during" is "dur"), since they are compared with a phrase's terms.
_RELATIVE_WORDS = frozenset(t for w in ("after", "before", "following", "until", "since", "during") for t in tokenize(w))
_CALENDAR = frozenset({"YEAR", "DECADE", "CENTURY", "DATE"})
_GENERIC = frozenset({"CHUNK", "PHRASE", "WORD"}) | PATTERN_LABELS




@dataclass
class Context:
    """What every candidate of one question and paragraph is compared with."""

    want: Wants
    parse: Parse
    text: str
    found: Matches
    neighbours: dict[int, set[int]]
    sentences: Sequence[SentenceView]
    best_sentence: int
    rivals: dict[int, int]  # sentence -> candidates of the wanted type in it
    head_terms: tuple[str, ...]
    matched_by_sentence: dict[int, list[int]]  # sentence -> matched tokens in it
    typed_spans: dict[int, list[tuple[int, int]]]  # sentence -> token ranges of candidates of the wanted type


def context(want: Wants, parse: Parse, text: str, found: Matches, sentences: Sequence[SentenceView],
            best_sentence: int, cands: Sequence[Candidate]) -> Context:
    rivals: dict[int, int] = {}
    typed_spans: dict[int, list[tuple[int, int]]] = {}
    for c in cands:
        if fits(c, want):
            rivals[c.sentence] = rivals.get(c.sentence, 0) + 1
            typed_spans.setdefault(c.sentence, []).append((c.phrase.first, c.phrase.last))
    by_sentence: dict[int, list[int]] = {}
    tokens = parse.tokens
    bounds = [(s.start, s.end) for s in sentences]
    for i in found.tokens:
        start = tokens[i].start
        for k, (a, b) in enumerate(bounds):
            if a <= start < b:
                by_sentence.setdefault(k, []).append(i)
                break
    head_terms = tuple(tokenize(want.head)) if want.head else ()
    return Context(want, parse, text, found, neighbours_of(parse), sentences, best_sentence, rivals, head_terms, by_sentence,
                   typed_spans)


def span_features(cand: Candidate, ctx: Context) -> dict[str, float]:
    p = cand.phrase
    tokens = ctx.parse.tokens
    labels = set(p.labels)
    kind = ctx.want.kind or ""
    strong = _STRONG.get(kind, set())
    weak = _WEAK.get(kind, set())
    typed = labels & TYPED_LABELS
    strong_hit = bool(labels & strong)
    n = p.last - p.first
    found = ctx.found
    total = found.total or 1.0
    weight = found.weight
    lo = max(0, p.first - NEAR_WINDOW)
    hi = min(len(tokens), p.last + NEAR_WINDOW)
    near_left = sum(weight[lo:p.first]) / total
    near_right = sum(weight[p.last:hi]) / total
    matched = [i for i in ctx.matched_by_sentence.get(p.sentence, ()) if not p.first <= i < p.last]
    if matched:
        gap = min(p.first - i if i < p.first else i - p.last + 1 for i in matched)
        dist = 1.0 / (1.0 + gap)
    else:
        dist = 0.0
    hop1 = ctx.neighbours.get(p.root, set())
    matched_set = set(matched)
    linked = bool(hop1 & matched_set)
    two_hops = False
    if not linked and matched_set:
        two_hops = any(ctx.neighbours.get(j, set()) & matched_set for j in hop1)
    dep = tokens[p.root].dep
    head_in = bool(ctx.head_terms) and ctx.head_terms[0] in p.terms
    head_next = False
    if ctx.head_terms and not head_in:
        around = range(max(0, p.first - 2), min(len(tokens), p.last + 2))
        head_next = any(ctx.head_terms[0] in _token_terms(ctx, i) for i in around)
    sentence = ctx.sentences[p.sentence]
    exact = _EXACT.get(ctx.want.head or "")
    root = tokens[p.root]
    governor = root.head if 0 <= root.head < len(tokens) else p.root
    # "It was commissioned by Odo": the agent of a verb the question names.
    agent = (dep == "pobj" and ctx.text[tokens[governor].start:tokens[governor].end].lower() == "by"
             and tokens[governor].head in matched_set)
    subject = dep in _SUBJECT and governor in matched_set
    typed_others = ctx.typed_spans.get(p.sentence, ())
    inside = any(a <= p.first and p.last <= b and (a, b) != (p.first, p.last) for a, b in typed_others)
    holds = any(p.first <= a and b <= p.last and (a, b) != (p.first, p.last) for a, b in typed_others)
    span_sentence = ctx.sentences[p.sentence]
    width = max(1, span_sentence.end - span_sentence.start)
    # Tied to the question's words in the parse: "founded in 911" (the date's preposition
    # hangs on a matched verb), "Odo, the Bishop" (an apposition of a matched noun).
    grand = tokens[governor].head if 0 <= tokens[governor].head < len(tokens) else governor
    attached = governor in matched_set or (dep == "pobj" and grand in matched_set)
    appos = (dep == "appos" and governor in matched_set) or any(
        tokens[j].dep == "appos" and tokens[j].head == p.root for j in matched_set
    )
    objectish = dep in _OBJECT or dep == "pobj"
    is_list = any(tokens[i].pos == "CCONJ" for i in range(p.first, p.last)) and any(
        tokens[i].dep == "conj" for i in range(p.first, p.last)
    )
    role = ctx.want.role
    unit = _counted(ctx, p) if ctx.head_terms and ctx.want.kind == "number" else None
    out = {
        "unit_match": float(unit is not None and unit == ctx.head_terms[0]),
        "unit_differs": float(unit is not None and unit != ctx.head_terms[0]),
        "attached_to_match": float(attached),
        "appos_match": float(appos),
        "role_subject_match": float(role == "subject" and (subject or agent)),
        "role_object_match": float(role == "object" and objectish and (governor in matched_set or grand in matched_set)),
        "list_match": float(ctx.want.plural and is_list),
        "list_unwanted": float(not ctx.want.plural and is_list),
        "name_ext": float("NAME" in labels),
        "type_exact": float(bool(exact) and bool(labels & exact)),
        "quoted": float("QUOTED" in labels),
        "agent": float(agent),
        "subject_of_match": float(subject),
        "inside_typed": float(inside),
        "holds_typed": float(holds),
        "position": (cand.start - span_sentence.start) / width,
        "bias": 1.0,
        "type_strong": float(strong_hit),
        "type_weak": float(bool(labels & weak) and not strong_hit),
        "type_clash": float(bool(strong) and bool(typed) and not labels & (strong | weak)),
        "typed_other": float(kind in ("", "thing") and bool(typed)),
        "untyped_kind": float(bool(strong) and not typed),
        "is_ent": float(bool(labels - _GENERIC)),
        "is_name": float(bool(labels & _NAME_LABELS)),
        "is_chunk": float("CHUNK" in labels),
        "is_phrase": float("PHRASE" in labels and "CHUNK" not in labels),
        "is_word_only": float(labels == {"WORD"}),
        "is_pattern": float(bool(labels & PATTERN_LABELS)),
        "len1": float(n == 1),
        "len_log": math.log(n),
        # Answers rarely repeat the question: the share of the candidate's terms it has.
        "in_question": sum(t in found.terms for t in p.terms) / len(p.terms) if p.terms else 0.0,
        "near": near_left + near_right,
        "near_left": near_left,
        "near_right": near_right,
        "dist": dist,
        "dep_hop1": float(linked),
        "dep_hop2": float(two_hops),
        "root_subj": float(dep in _SUBJECT),
        "root_obj": float(dep in _OBJECT),
        "root_pobj": float(dep == "pobj"),
        "root_appos": float(dep == "appos"),
        "root_compound": float(dep in ("compound", "amod", "nmod", "poss")),
        "root_conj": float(dep == "conj"),
        "head_in": float(head_in),
        "head_next": float(head_next),
        "rivals": 1.0 / max(1, ctx.rivals.get(p.sentence, 0)),
        "sent_score": sentence.score,
        "sent_best": float(p.sentence == ctx.best_sentence),
        "sent_cov": sentence.features.get("cov", 0.0),
        "propn": float(tokens[p.root].pos == "PROPN"),
        "numeric": float(any(tokens[i].pos == "NUM" for i in range(p.first, p.last))),
        "paren": float(cand.start > 0 and ctx.text[cand.start - 1] == "("),
    }
    return {name: out[name] for name in FEATURES}  # in FEATURES order: the span model reads them so



def _counted(ctx: Context, p: Phrase) -> str | None:
    """The noun a number counts: "10,000 tents", "the 60,000 martyrs of Gaza" (its term)."""
    tokens = ctx.parse.tokens
    candidates = [p.last] if p.last < len(tokens) else []
    head = tokens[p.root].head
    if 0 <= head < len(tokens) and not p.first <= head < p.last:
        candidates.append(head)
    for i in candidates:
        if tokens[i].pos in ("NOUN", "PROPN"):
            terms = _token_terms(ctx, i)
            if terms:
                return terms[0]
    return None


def _token_terms(ctx: Context, i: int) -> list[str]:
    terms = ctx.__dict__.setdefault("_by_token", None)
    if terms is None:
        terms = {}
        for j, term in ctx.parse.terms:
            terms.setdefault(j, []).append(term)
        ctx.__dict__["_by_token"] = terms
    return terms.get(i, [])


def neighbours_of(parse: Parse) -> dict[int, set[int]]:
    """Tokens one dependency arc away from each token (its head and its children)."""
    out: dict[int, set[int]] = {}
    for i, tok in enumerate(parse.tokens):
        if tok.head != i and 0 <= tok.head < len(parse.tokens):
            out.setdefault(i, set()).add(tok.head)
            out.setdefault(tok.head, set()).add(i)
    return out


def fits(cand: Candidate, want: Wants) -> bool:
    """Is the candidate of the type the question asks for?"""
    strong = _STRONG.get(want.kind or "")
    if want.kind == "number" and _CALENDAR & set(cand.labels):
        return False  # "how many problems": not "1972"
    return bool(strong) and any(label in strong for label in cand.labels)


# A sum of money: a currency by sign, name or code, or a figure in millions (a cost of "40
# million" is money whatever the currency is called).
_CURRENCY = re.compile(
    rf"[{re.escape(CURRENCY_SIGNS)}]|\b(?:{CURRENCY_NAMES})\b|\b\d+(?:[.,]\d+)*\s+(?:thousand|million|billion|trillion)\b",
    re.IGNORECASE,
)


def is_money(labels: Sequence[str] | set[str], text: str) -> bool:
    return "MONEY" in labels or bool(_CURRENCY.search(text))


def fits_loosely(cand: Candidate, want: Wants) -> bool:
    """Of the type asked for, or of one that can be ("after the ceasefire" for "when")."""
    kind = want.kind or ""
    if kind == "number" and _CALENDAR & set(cand.labels):
        return False
    if want.money and not is_money(cand.labels, cand.text):
        return False
    allowed = _STRONG.get(kind, set()) | (_WEAK.get(kind, set()) if kind in STRICT_KINDS else set())
    return any(label in allowed for label in cand.labels)



def kinds_fit(kinds: str | None, want: Wants, question_lower: str, question_terms: set[str]) -> bool:
    """Does a sentence with these stored ``kinds`` hold a phrase of the type ``want`` asks for
    that the question does not already say? "Where ...?" wants a place the sentence puts
    something in ("in Doha"), not any place it names."""
    if not kinds or not want.kind:
        return False
    strong = {"LOCATIVE"} if want.wh == "where" else _STRONG.get(want.kind)
    if not strong:
        return False
    for label, phrases in _parsed_kinds(kinds):
        if label in strong:
            for phrase, terms in phrases:
                if want.money and not is_money({label}, phrase):
                    continue  # a sum of money is asked for (the rule of fits_loosely)
                if phrase not in question_lower and not (terms and terms <= question_terms):
                    return True
    return False


@functools.lru_cache(maxsize=8192)
def _parsed_kinds(kinds: str) -> tuple[tuple[str, tuple[tuple[str, frozenset[str]], ...]], ...]:
    return tuple((label, tuple((p, frozenset(t)) for p, t in phrases)) for label, phrases in json.loads(kinds).items())


def repeats_question(cand: Candidate, question_lower: str, question_terms: set[str]) -> bool:
    """A candidate the question already says is never its answer ("Normans" for "Who were the
    Normans?"); nor is an event's time told by that event ("after the ceasefire" for "when
    did the ceasefire take effect")."""
    if cand.text.lower() in question_lower:
        return True
    terms = [t for t in cand.phrase.terms if "RELATIVE" not in cand.labels or t not in _RELATIVE_WORDS]
    return bool(terms) and set(terms) <= question_terms
