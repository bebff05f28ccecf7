"""Candidate short answers inside a paragraph, and what a person would weigh about each.

The candidates are the phrases an answer can be: named entities, noun chunks, the phrase a
noun heads ("King Malcolm III of Scotland", "Denmark, Iceland and Norway"), single content
words ("rounded", "Catholic"), and dates and numbers the entity recogniser misses ("the
1050s", "10th and 11th centuries", "three hundred"). All come from the paragraph's stored
parse (parses.py), so nothing here runs a model.

Each candidate gets features (``FEATURES``): whether its type fits what the question wants
(wants.py), whether it repeats the question, how many question words are near it and how
closely it is tied to them in the parse, whether the question's head noun is in or next to
it, how many rivals of the same type the sentence holds, and how well its sentence matches.
``scorer.py`` turns them into a score with coefficients trained by
``benchmarks/train_reader.py``.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from .lexical import term_spans, tokenize
from .parses import Parse, Phrase, Token
from .wants import Wants

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
_TYPED = {"DATE", "YEAR", "CENTURY", "DECADE", "CARDINAL", "QUANTITY", "MONEY", "PERCENT", "NUMBER", "TIME", "AGE",
          "ORDINAL", "DURATION", "RELATIVE", "PERSON", "GPE", "LOC", "FAC", "ORG", "NORP", "LANGUAGE"}
_NAME_LABELS = {"PERSON", "GPE", "LOC", "FAC", "ORG", "NORP"}

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|"
    "million|billion|dozen|dozens|hundreds|thousands|millions|single|both|zero|couple|half"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)"
_PATTERNS = (
    ("CENTURY", re.compile(rf"\b(?:(?:early|late|mid|the\s+first\s+half\s+of\s+the|the\s+second\s+half\s+of\s+the)[\s-]+)?"
                           rf"{_ORDINAL}(?:\s*(?:and|or|-|–|to)\s*{_ORDINAL})?\s+centur(?:y|ies)\b", re.IGNORECASE)),
    ("DECADE", re.compile(r"\b1\d{3}s\b|\b[1-9]\d{2}s\b")),
    ("YEAR", re.compile(r"(?<![\d,.$£€])\b(?:1\d{3}|20\d{2})\b(?![\d,.]\d)")),
    # Three-digit years only after a word that dates them: "in 911", "by 850 AD".
    ("YEAR", re.compile(r"\b(?:in|by|of|from|since|until|around|circa|c\.)\s(\d{3})\b(?![\d,.]\d)", re.IGNORECASE)),
    ("NUMBER", re.compile(rf"\b(?:{_NUMBER_WORDS})(?:[\s-]+(?:and\s+)?(?:{_NUMBER_WORDS}))*\b", re.IGNORECASE)),
    ("NUMBER", re.compile(r"(?<![\w.])\$?\d+(?:[.,]\d+)*(?:\s*(?:%|per\s?cent|percent))?")),
    ("DURATION", re.compile(rf"\b(?:\d+(?:[.,]\d+)*|(?:{_NUMBER_WORDS})(?:[\s-]+(?:{_NUMBER_WORDS}))*)\s+"
                            r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|centuries|century)\b", re.IGNORECASE)),
    ("QUOTED", re.compile(r"[\"“]([^\"“”]{3,120})[\"”]")),
    ("AGE", re.compile(rf"\baged\s+\d{{1,3}}\b|\b(?:\d{{1,3}}|{_NUMBER_WORDS})[\s-]years?[\s-]old\b", re.IGNORECASE)),
    # Time told by an event: "after the ceasefire", "following the meeting", "until the
    # complete liberation of Palestine". A when/how-long answer, but a loose one.
    ("RELATIVE", re.compile(r"\b(?:after|before|following|until|since|during)\s+the\s+(?:\w+\s+)?\w+(?:\s+of\s+\w+)?",
                            re.IGNORECASE)),
)
_LENGTH_OF_TIME = re.compile(
    rf"^(?:(?:the|a|an|over|for|past|last|next|about|some|nearly|almost|more than|less than|the past|the last)\s+)*"
    rf"((?:\d+(?:[.,]\d+)*|{_NUMBER_WORDS}|a few|several|many)(?:[\s-]+(?:{_NUMBER_WORDS}))*[\s-]+"
    r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|centuries))$",
    re.IGNORECASE,
)
_LEADING_DROP = {"DET", "PRON", "PUNCT", "CCONJ", "ADP", "PART"}
_SUBJECT = {"nsubj", "nsubjpass", "csubj", "expl"}
_OBJECT = {"dobj", "attr", "oprd", "dative", "obj"}
_MAX_TOKENS = 12
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


# ---- index time: the phrases and terms of a paragraph ------------------------------------


def prepare(parse: Parse, text: str, sentences: Sequence[tuple[int, int]], labels: dict[str, str] | None = None) -> Parse:
    """``parse`` with its reading aids: every term's token and every candidate phrase.
    Run when the index is built, so a question only looks them up. ``labels``: the
    document's names whose kind its mentions agree on (entity_types.document_labels)."""
    if not parse.tokens:
        return parse
    starts = [t.start for t in parse.tokens]
    terms = tuple((i, term) for start, _end, term in term_spans(text) if (i := _token_at(starts, start)) is not None)
    by_token: dict[int, list[str]] = {}
    for i, term in terms:
        by_token.setdefault(i, []).append(term)
    # Only what questions read is kept: the entities and chunks live on in the phrases.
    return Parse(parse.tokens, (), (), terms, tuple(_phrases(text, parse, sentences, labels or {}, by_token)))


def _phrases(
    text: str, parse: Parse, sentences: Sequence[tuple[int, int]], labels: dict[str, str], by_token: dict[int, list[str]]
) -> list[Phrase]:
    found: dict[tuple[int, int], list[str]] = {}
    order: list[tuple[int, int, int]] = []  # (first, last, sentence) in the order found
    tokens = parse.tokens
    extent = _subtree_extents(tokens)

    def add(first: int, last: int, label: str, sentence: int) -> None:
        # "after the ceasefire" keeps its preposition: without it, it no longer says when.
        first, last = _trim(tokens, first, last, keep_preposition=label == "RELATIVE")
        if last <= first or last - first > _MAX_TOKENS:
            return
        key = (first, last)
        if key in found:
            if label not in found[key]:
                found[key].append(label)
        else:
            found[key] = [label]
            order.append((first, last, sentence))

    for s, (a, b) in enumerate(sentences):
        span = parse.tokens_between(a, b)
        if not span:
            continue
        lo, hi = span.start, span.stop
        for e in parse.ents:
            if a <= e.start and e.end <= b:
                r = parse.tokens_between(e.start, e.end)
                label = labels.get(_name_of(text, tokens, r.start, r.stop), e.label)
                if label == "DATE" and (core := _LENGTH_OF_TIME.search(text[e.start:e.end])):
                    # "the past 15 months" says how long, not when; the answer is "15 months"
                    r = parse.tokens_between(e.start + core.start(1), e.end)
                    label = "DURATION"
                add(r.start, r.stop, label, s)
                if label in ("GPE", "LOC", "FAC") and r.start > lo and _word_at(text, tokens, r.start - 1).lower() in _LOCATIVE:
                    add(r.start, r.stop, "LOCATIVE", s)  # "in Doha": where something happens
                if label == "PERSON":
                    first, last = _name_extent(text, tokens, r.start, r.stop, lo, hi)
                    if (first, last) != (r.start, r.stop):
                        add(first, last, "PERSON", s)
                        add(first, last, "NAME", s)
        for c in parse.chunks:
            if a <= c.start and c.end <= b:
                r = parse.tokens_between(c.start, c.end)
                add(r.start, r.stop, "CHUNK", s)
        i = lo
        while labels and i < hi:  # proper nouns spaCy left unlabelled, named elsewhere in the document
            j = i
            while j < hi and tokens[j].pos == "PROPN":
                j += 1
            if j > i and (label := labels.get(_name_of(text, tokens, i, j))):
                add(i, j, label, s)
            i = max(j, i + 1)
        for i in range(lo, hi):
            tok = tokens[i]
            if tok.pos in ("NOUN", "PROPN", "NUM"):
                left, right = extent[i]
                if right + 1 - left > 1 and lo <= left and right < hi:
                    add(left, right + 1, "PHRASE", s)
            if tok.pos in ("NOUN", "PROPN", "NUM", "ADJ"):
                add(i, i + 1, "WORD", s)
        sentence_text = text[a:b]
        for label, pattern in _PATTERNS:
            for m in pattern.finditer(sentence_text):
                g = 1 if pattern.groups else 0
                r = parse.tokens_between(a + m.start(g), a + m.end(g))
                if r:
                    add(r.start, r.stop, label, s)
    return [
        Phrase(first, last, tuple(found[(first, last)]), s, _root(tokens, first, last),
               tuple(t for i in range(first, last) for t in by_token.get(i, ())))
        for first, last, s in order
    ]


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


def _token_at(starts: list[int], offset: int) -> int | None:
    i = bisect.bisect_right(starts, offset) - 1
    return i if i >= 0 else None


def candidates(text: str, parse: Parse, only: set[int] | None = None, typed_only: bool = False) -> list[Candidate]:
    """The paragraph's candidate phrases (``only``: of just those sentences; ``typed_only``:
    just entities, dates and numbers, the ones a type can fit)."""
    tokens = parse.tokens
    out = []
    for p in parse.phrases:
        if only is not None and p.sentence not in only:
            continue
        if typed_only and not set(p.labels) & _TYPED_OR_WORK:
            continue
        start, end = tokens[p.first].start, tokens[p.last - 1].end
        out.append(Candidate(p, text[start:end], start, end))
    return out


# Words written before a name that are part of how the person is called ("King Malcolm III",
# "Duke Richard II"), and the links of a name's "of/de/the" tail ("William of Montreuil").
_NAME_TITLES = frozenset(
    "king queen duke duchess earl count countess prince princess emperor empress pope saint st bishop archbishop abbot "
    "lord lady sir baron baroness emir sultan caliph tsar czar general admiral captain president chancellor".split()
)
_NAME_LINKS = frozenset("of de the von van da di du le la".split())
_ROMAN_NUMERAL = re.compile(r"^(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)$")


def _name_extent(text: str, tokens: Sequence[Token], first: int, last: int, lo: int, hi: int) -> tuple[int, int]:
    """A person's name with its title before it and its "of X" / "the X" tail after it."""
    word = lambda i: text[tokens[i].start:tokens[i].end]  # noqa: E731
    # "William of Montreuil" when only "Montreuil" was recognised
    while (first - 2 >= lo and word(first - 1).lower() in ("of", "de") and word(first - 2)[:1].isupper()
           and tokens[first - 2].pos == "PROPN"):
        first -= 2
    while first - 1 >= lo and word(first - 1)[:1].isupper() and word(first - 1).lower().rstrip(".") in _NAME_TITLES:
        first -= 1
    j = last
    if j < hi and _ROMAN_NUMERAL.match(word(j)):
        j += 1  # "Richard I": the numeral is read as the pronoun "I"
    while j + 1 < hi and word(j).lower() in _NAME_LINKS and word(j + 1)[:1].isupper() and tokens[j + 1].pos == "PROPN":
        j += 2
        while j < hi and tokens[j].pos == "PROPN" and word(j)[:1].isupper():
            j += 1
    return first, j


_LOCATIVE = frozenset("in at near from to into inside outside across throughout within around".split())


def _word_at(text: str, tokens: Sequence[Token], i: int) -> str:
    return text[tokens[i].start:tokens[i].end]


def _name_of(text: str, tokens: Sequence[Token], first: int, last: int) -> str:
    if text[tokens[first].start:tokens[first].end].lower() == "the":
        first += 1
    return text[tokens[first].start:tokens[last - 1].end] if first < last else ""


def _trim(tokens: Sequence[Token], first: int, last: int, keep_preposition: bool = False) -> tuple[int, int]:
    while first < last and tokens[first].pos in _LEADING_DROP and not (keep_preposition and tokens[first].pos in ("ADP", "SCONJ")):
        first += 1
    while last > first and tokens[last - 1].pos in ("PUNCT", "CCONJ", "ADP", "DET", "PART"):
        last -= 1
    return first, last


def _subtree_extents(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """(leftmost, rightmost) token of each token's subtree, from the head indexes."""
    left = list(range(len(tokens)))
    right = list(range(len(tokens)))
    for i in range(len(tokens)):
        j, seen = i, 0
        while tokens[j].head != j and seen < 40:
            j = tokens[j].head
            if not 0 <= j < len(tokens):
                break
            left[j] = min(left[j], i)
            right[j] = max(right[j], i)
            seen += 1
    return list(zip(left, right))


def _root(tokens: Sequence[Token], first: int, last: int) -> int:
    """The candidate's syntactic head: the token whose head lies outside it."""
    for i in range(first, last):
        if not first <= tokens[i].head < last or tokens[i].head == i:
            return i
    return last - 1


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


_PATTERN_LABELS = frozenset(label for label, _ in _PATTERNS)
_RELATIVE_WORDS = frozenset("after before following until since during".split())
_CALENDAR = frozenset({"YEAR", "DECADE", "CENTURY", "DATE"})
_GENERIC = frozenset({"CHUNK", "PHRASE", "WORD"}) | _PATTERN_LABELS
_TYPED_OR_WORK = _TYPED | {"WORK_OF_ART", "LAW", "QUOTED", "LOCATIVE"}


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
    typed = labels & _TYPED
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
        "is_pattern": float(bool(labels & _PATTERN_LABELS)),
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


def fits_loosely(cand: Candidate, want: Wants) -> bool:
    """Of the type asked for, or of one that can be ("after the ceasefire" for "when")."""
    kind = want.kind or ""
    if kind == "number" and _CALENDAR & set(cand.labels):
        return False
    allowed = _STRONG.get(kind, set()) | (_WEAK.get(kind, set()) if kind in STRICT_KINDS else set())
    return any(label in allowed for label in cand.labels)


def sentence_kinds(parse: Parse, text: str, sentences: int) -> list[str | None]:
    """Per sentence, its typed phrases by label, each with its terms ({"DATE": [["1066",
    ["1066"]]], "PERSON": [...]}) as JSON: stored with each sentence so ranking can prefer
    sentences holding the type asked for without reading parses (None without any)."""
    by_sentence: list[dict[str, list[list[Any]]]] = [{} for _ in range(sentences)]
    tokens = parse.tokens
    for p in parse.phrases:
        labels = [label for label in p.labels if label in _TYPED_OR_WORK]
        if not labels or not 0 <= p.sentence < sentences:
            continue
        phrase = text[tokens[p.first].start : tokens[p.last - 1].end].lower()
        for label in labels:
            by_sentence[p.sentence].setdefault(label, []).append([phrase, list(p.terms)])
    return [json.dumps(k, ensure_ascii=False, separators=(",", ":")) if k else None for k in by_sentence]


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
