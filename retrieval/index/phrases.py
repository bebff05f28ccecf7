"""Candidate answer phrases of a paragraph and its sentences' typed phrases, found at index time.

The candidates are the phrases an answer can be: named entities, noun chunks, the phrase a
noun heads ("King Malcolm III of Scotland", "Denmark, Iceland and Norway"), single content
words ("rounded", "Catholic"), and dates and numbers the entity recogniser misses ("the
1050s", "10th and 11th centuries", "three hundred"). They are found from the paragraph's
spaCy parse (``parses``) once, when the index is built, and stored with it, with every
term's token, so a question only looks them up (``query/reader/spans.py`` scores them).
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any, Sequence

from .lexical import term_spans
from .parses import Parse, Phrase, Token

# Labels of typed phrases: what "when", "how many", "who", "where" ... can be answered by.
TYPED_LABELS = {"DATE", "YEAR", "CENTURY", "DECADE", "CARDINAL", "QUANTITY", "MONEY", "PERCENT", "NUMBER", "TIME",
                "AGE", "ORDINAL", "DURATION", "RELATIVE", "PERSON", "GPE", "LOC", "FAC", "ORG", "NORP", "LANGUAGE"}

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|"
    "million|billion|dozen|dozens|hundreds|thousands|millions|single|both|zero|couple|half"
)
# Money by sign and by name (a regex alternation), for the amounts found here and the questions
# about what something costs (query/reader/spans.py).
CURRENCY_SIGNS = "$£€¥₹₩₽₺₪"
CURRENCY_NAMES = (
    r"euros?|dollars?|pounds?|sterling|rupees?|francs?|marks?|yen|yuan|renminbi|cents?|pence|lira|lire|crowns?|"
    r"kron(?:a|e|er|or|ur)|shillings?|florins?|guilders?|ducats?|livres?|pesos?|reais|real|rubles?|roubles?|won|"
    r"dinars?|dirhams?|riyals?|rials?|shekels?|baht|ringgit|rupiah|zloty|forints?|koruna|taka|naira|cedis?|rand|"
    r"dong|usd|eur|gbp|chf|jpy|cny|inr"
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
    # With its scale and currency: "2.4 million euros", never "2.4" of it.
    ("NUMBER", re.compile(rf"(?<![\w.])[{CURRENCY_SIGNS}]?\d+(?:[.,]\d+)*(?:\s*(?:%|per\s?cent|percent)|"
                          r"\s+(?:hundred|thousand|million|billion|trillion)\b"
                          rf"(?:\s+(?:{CURRENCY_NAMES})\b)?)?", re.IGNORECASE)),
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
_MAX_TOKENS = 12


def prepare(parse: Parse, text: str, sentences: Sequence[tuple[int, int]], labels: dict[str, str] | None = None) -> Parse:
    """``parse`` with its reading aids: every term's token and every candidate phrase.
    Run when the index is built, so a question only looks them up. ``labels``: the
    document's names whose kind its mentions agree on (name_kinds.document_labels)."""
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



def _token_at(starts: list[int], offset: int) -> int | None:
    i = bisect.bisect_right(starts, offset) - 1
    return i if i >= 0 else None


# Words written before a name that are part of how the person is called ("King Malcolm III",
# "Duke Richard II"), and the links of a name's "of/de/the" tail ("William of Montreuil").
NAME_TITLES = frozenset(
    "king queen duke duchess earl count countess prince princess emperor empress pope saint st bishop archbishop abbot "
    "lord lady sir baron baroness emir sultan caliph tsar czar general admiral captain president chancellor".split()
)
_NAME_LINKS = frozenset("of de the von van da di du le la".split())
ROMAN_NUMERAL = re.compile(r"^(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)$")


def _name_extent(text: str, tokens: Sequence[Token], first: int, last: int, lo: int, hi: int) -> tuple[int, int]:
    """A person's name with its title before it and its "of X" / "the X" tail after it."""
    word = lambda i: text[tokens[i].start:tokens[i].end]  # noqa: E731
    # "William of Montreuil" when only "Montreuil" was recognised
    while (first - 2 >= lo and word(first - 1).lower() in ("of", "de") and word(first - 2)[:1].isupper()
           and tokens[first - 2].pos == "PROPN"):
        first -= 2
    while first - 1 >= lo and word(first - 1)[:1].isupper() and word(first - 1).lower().rstrip(".") in NAME_TITLES:
        first -= 1
    j = last
    if j < hi and ROMAN_NUMERAL.match(word(j)):
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


PATTERN_LABELS = frozenset(label for label, _ in _PATTERNS)
# What a sentence's stored typed phrases hold (sentence_kinds): typed phrases and titles.
TYPED_OR_WORK = frozenset(TYPED_LABELS | {"WORK_OF_ART", "LAW", "QUOTED", "LOCATIVE"})


def sentence_kinds(parse: Parse, text: str, sentences: int) -> list[str | None]:
    """Per sentence, its typed phrases by label, each with its terms ({"DATE": [["1066",
    ["1066"]]], "PERSON": [...]}) as JSON: stored with each sentence so ranking can prefer
    sentences holding the type asked for without reading parses (None without any)."""
    by_sentence: list[dict[str, list[list[Any]]]] = [{} for _ in range(sentences)]
    tokens = parse.tokens
    for p in parse.phrases:
        labels = [label for label in p.labels if label in TYPED_OR_WORK]
        if not labels or not 0 <= p.sentence < sentences:
            continue
        phrase = text[tokens[p.first].start : tokens[p.last - 1].end].lower()
        for label in labels:
            by_sentence[p.sentence].setdefault(label, []).append([phrase, list(p.terms)])
    return [json.dumps(k, ensure_ascii=False, separators=(",", ":")) if k else None for k in by_sentence]
