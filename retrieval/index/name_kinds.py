"""What kind of thing each name of a document is, from every place the document mentions it.

spaCy's small model labels each mention on its own and often wrongly ("Normandy" a person in
one sentence, an organisation in the next; "Rollo" an organisation). A reader decides once per
document, from the mentions together: "in Normandy", "the Duchy of Normandy" say place; "their
leader Rollo", "King Malcolm III" say person; "Norman architecture" says a people's adjective.
Each mention votes (spaCy's label is one vote among the cues), and a name whose votes agree
clearly gets that label on every mention. Run at index time (phrases.prepare, through aids.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

from .parses import Parse
from .phrases import NAME_TITLES, ROMAN_NUMERAL

_PLACE_PREPOSITIONS = {"in": 1.0, "at": 1.0, "near": 1.0, "across": 1.0, "throughout": 1.0, "within": 1.0,
                       "into": 1.0, "from": 0.5, "to": 0.5, "toward": 0.5, "towards": 0.5, "around": 0.5}
_PLACE_OF = frozenset("duchy kingdom county city province island isle republic empire principality region town "
                      "village port coast capital state bishop archbishop earl duke count king queen".split())
# A title before a capitalised word marks a person; "Dr. X" and "Mr. X" too, which a name's
# extent does not keep.
_TITLES = NAME_TITLES | frozenset("dr mr mrs ms professor".split())
_ROLE_NOUNS = frozenset("leader leaders general commander ruler king queen duke son daughter brother sister father "
                        "mother wife husband nephew niece uncle heir bishop abbot monk emperor founder author "
                        "chief head president minister mercenary knight warrior rival successor predecessor".split())
_KIN_AFTER = frozenset("brother sister son daughter father mother wife husband nephew niece uncle heir army troops "
                       "forces men plans reign death rule successor fiancee fiancée rival".split())
_PEOPLE_ADJECTIVE = re.compile(r"(?:an|ans|ish|ese|ic|ian|ians|ern)$")
# How clearly the votes must agree before a name's label is overruled: enough of them, and
# clearly more than for any other label.
SPACY_VOTE = 0.4
MIN_VOTES = 1.5
MIN_LEAD = 1.25


def document_labels(paragraphs: Iterable[tuple[str, Parse]]) -> dict[str, str]:
    """Surface name -> label for the names of one document whose mentions agree clearly."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for text, parse in paragraphs:
        for first, last, label in _mentions(text, parse):
            name = _surface(text, parse, first, last)
            if not name:
                continue
            if label != "UNLABELLED":
                votes[name][label] += SPACY_VOTE  # spaCy's own label: a weak vote
            else:
                votes[name]  # noqa: B018 - a name only the cues can label
            for cue, weight in _cues(text, parse, first, last):
                votes[name][cue] += weight
    out = {}
    for name, counter in votes.items():
        if not counter:
            continue
        ranked = counter.most_common(2)
        label, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if top >= MIN_VOTES and top >= MIN_LEAD * second:
            out[name] = label
    return out


def _mentions(text: str, parse: Parse) -> list[tuple[int, int, str]]:
    """Token ranges of the names: spaCy's entities, and proper nouns it left unlabelled."""
    out = []
    covered: set[int] = set()
    for e in parse.ents:
        if e.label in ("DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"):
            continue
        r = parse.tokens_between(e.start, e.end)
        if r:
            out.append((r.start, r.stop, e.label))
            covered.update(r)
    tokens = parse.tokens
    i = 0
    while i < len(tokens):
        if tokens[i].pos == "PROPN" and i not in covered:
            j = i
            while j < len(tokens) and tokens[j].pos == "PROPN" and j not in covered:
                j += 1
            out.append((i, j, "UNLABELLED"))
            i = j
        else:
            i += 1
    return out


def _surface(text: str, parse: Parse, first: int, last: int) -> str:
    tokens = parse.tokens
    if text[tokens[first].start:tokens[first].end].lower() == "the":
        first += 1
    if first >= last:
        return ""
    return text[tokens[first].start:tokens[last - 1].end]


def _word(text: str, parse: Parse, i: int) -> str:
    t = parse.tokens[i]
    return text[t.start:t.end]


def _cues(text: str, parse: Parse, first: int, last: int) -> list[tuple[str, float]]:
    tokens = parse.tokens
    cues: list[tuple[str, float]] = []
    before = _word(text, parse, first - 1) if first > 0 else ""
    after = _word(text, parse, last) if last < len(tokens) else ""
    lower = before.lower().rstrip(".")
    if lower in _PLACE_PREPOSITIONS and before.islower():
        cues.append(("GPE", _PLACE_PREPOSITIONS[lower]))
    if before[:1].isupper() and lower in _TITLES:
        cues.append(("PERSON", 2.0))
    elif before.islower() and lower in _ROLE_NOUNS:
        cues.append(("PERSON", 1.5))
    if lower == "of" and first > 1 and _word(text, parse, first - 2).lower() in _PLACE_OF:
        cues.append(("GPE", 2.0))
    if ROMAN_NUMERAL.match(_word(text, parse, last - 1)) and last - first >= 2:
        cues.append(("PERSON", 2.0))
    if after in ("'s", "’s") and last + 1 < len(tokens) and _word(text, parse, last + 1).lower() in _KIN_AFTER:
        cues.append(("PERSON", 1.0))
    if last - first == 1:
        tok = tokens[first]
        word = _word(text, parse, first)
        modifies = tok.dep in ("amod", "compound") and 0 <= tok.head < len(tokens) and tokens[tok.head].pos == "NOUN"
        if modifies and _PEOPLE_ADJECTIVE.search(word.lower()):
            cues.append(("NORP", 1.5))
    return cues

