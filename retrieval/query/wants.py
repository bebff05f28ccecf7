"""What a question asks for, read by rules: the kind of answer and the noun it names.

"When did Edward return?" wants a date; "Who ruled the duchy?" a person; "In what country is
Normandy located?" a place, with the head noun "country"; "What type of Turing machine ...?"
a thing whose head noun is "machine". This is what a person does before looking for an
answer, and it costs microseconds (a parser would cost milliseconds a question).

Kinds: ``person``, ``place``, ``date``, ``number``, ``age``, ``duration``, ``org``, ``group`` (peoples,
religions, languages), ``work`` (titles), ``thing`` (any other "what/which" noun phrase), and
``None`` for questions a short phrase does not answer ("why", "how", yes/no).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from ..index.lexical import tokenize

_PLACE_NOUNS = frozenset(
    "country countries city cities region regions place places continent continents island islands river rivers "
    "town towns location locations area areas province provinces territory territories land lands sea seas valley "
    "coast capital village villages county counties site sites mountain mountains state states kingdom kingdoms "
    "nation nations port ports street streets district districts destination base".split()
)
_DATE_NOUNS = frozenset("year years century centuries decade decades date dates day days month months era period periods "
                        "time season".split())
_MONEY_WORDS = frozenset("cost costs costing price prices priced pay pays paid spend spends spent worth fee fees money funding "
                         "fine fined budget salary wage wages charge charged fare fares".split())
_NUMBER_NOUNS = frozenset("number numbers amount amounts percentage percent population size cost price total "
                          "rate figure toll age sum".split())
_ORG_NOUNS = frozenset("organisation organization organisations organizations company companies group groups party "
                       "parties army armies team teams university universities movement charity foundation agency "
                       "institution institutions order orders club".split())
_GROUP_NOUNS = frozenset("religion religions nationality nationalities culture cultures people peoples tribe tribes "
                         "language languages ethnicity dynasty faith".split())
_WORK_NOUNS = frozenset("book books paper papers film films song songs novel novels title poem poems album work "
                        "works article articles play".split())
_PERSON_NOUNS = frozenset(
    "person persons man men woman women king kings queen queens duke dukes leader leaders emperor ruler rulers "
    "pope bishop archbishop general scientist scientists author authors researcher researchers president son "
    "daughter brother sister father mother wife husband abbot abbots count earl prince princess individual "
    "individuals mathematician philosopher inventor founder lord knight commander saint monk monks".split()
)
# "what type of X", "the name of X": the noun that says what is wanted comes after these.
_SHELL_NOUNS = frozenset("type types kind kinds sort sorts form forms class classes variety name names example examples "
                         "term terms one".split())
_CATEGORY = "type of "  # marks a head noun asked about by category ("what kind of arches")
_CATEGORY_NOUNS = frozenset("type types kind kinds sort sorts form forms class classes variety".split())
_AUX = frozenset("is are was were do does did can could will would has have had should shall may might must".split())
_DETERMINERS = frozenset("the a an this that these those its their his her our your my".split())
_STOP_AFTER_HEAD = frozenset("of for in on at to by from with that which who is are was were did do does has have had "
                             "can could will would after before about into over under during as than between among "
                             "through against within without upon".split())
# Verbs a "what X ..." question often goes on with; with "-ed" words they end the noun phrase.
_COMMON_VERBS = frozenset("came come went go made make took take gave give became become began begin ran run led lead "
                          "held hold won win fought fight built build wrote write met meet left leave lost lose sold sell "
                          "bought buy said say told tell known given seen done taken written born brought bring found "
                          "find kept keep got get used use caused cause".split())
_NUMERALS = frozenset("one two three four five six seven eight nine ten".split())


@dataclass(frozen=True)
class Wants:
    kind: str | None
    head: str | None  # the noun after "what/which" (lower case), when the question has one
    terms: tuple[str, ...]  # the question's content stems (lexical.tokenize), in order
    wh: str | None  # the question word: who, what, when, where, which, how, why
    # Which part of a clause the answer is: "Who ruled X?" asks for the subject, "Who did
    # Emma marry?" for the object, "Who was Emma's brother?" is a copula (None: can't tell).
    role: str | None = None
    plural: bool = False  # the answer is several things: "which countries", "the two abbots"
    # "When did King Harold II conquer England?": who does it (its terms), and the verb's term.
    subject: tuple[str, ...] = ()
    verb: str | None = None
    # "How much did it cost?", "What was the price of ...?": a sum of money, so "400
    # passengers" is no answer however sure the rest of the reading is.
    money: bool = False


def _words(question: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’-][a-z0-9]+)*", question.lower())


def _head_after(words: list[str], i: int) -> str | None:
    """The noun a "what/which" at ``words[i]`` introduces: "what country", "what is the
    name of the Norman castle" -> "castle", "what type of Turing machine" -> "machine"."""
    j = i + 1
    if j < len(words) and words[j] in _AUX:
        j += 1
    run: list[str] = []
    while j < len(words) and words[j] not in _STOP_AFTER_HEAD and words[j] not in _AUX:
        word = words[j]
        if run and (word in _COMMON_VERBS or (word.endswith("ed") and len(word) > 4) or word.endswith("ly")):
            break  # "what river originally bounded ...", "what architecture type came after ..."
        if word.endswith(("'s", "’s")):
            run = []  # "what is Norman art's ... piece": the head comes after the possessive
        elif word in _PLACE_NOUNS | _DATE_NOUNS | _PERSON_NOUNS and not run:
            return word  # "what river ...", "what year ..."
        elif word not in _DETERMINERS and word not in _NUMERALS and not word.isdigit():
            run.append(word)
        j += 1
        if len(run) >= 4:
            break
    # "the name of the X", "what type of X": look past the shell noun.
    if run and run[-1] in _SHELL_NOUNS and j < len(words) and words[j] == "of":
        inner = _head_after(words, j)
        if inner and run[-1] in _CATEGORY_NOUNS:
            return _CATEGORY + inner
        return inner or run[-1]
    return run[-1] if run else None


def _kind_of_noun(noun: str | None) -> str | None:
    if noun is None:
        return None
    for nouns, kind in (
        (_DATE_NOUNS, "date"),
        (_PLACE_NOUNS, "place"),
        (_NUMBER_NOUNS, "number"),
        (_ORG_NOUNS, "org"),
        (_GROUP_NOUNS, "group"),
        (_WORK_NOUNS, "work"),
        (_PERSON_NOUNS, "person"),
    ):
        if noun in nouns:
            return kind
    return None


_DO = frozenset("do does did".split())
_BE = frozenset("is are was were".split())
_PLURAL_NUMBERS = frozenset("two three four five six seven eight nine ten several".split())


def _role(words: list[str], after: int) -> str | None:
    """The answer's part of the clause, from the word after the wh-phrase."""
    if after >= len(words):
        return None
    word = words[after]
    if word in _DO:
        return "object"
    if word in _BE:
        return "copula"
    if word in _AUX:
        return None
    return "subject"


def _plural(words: list[str], head: str | None) -> bool:
    if any(w in _PLURAL_NUMBERS for w in words[:8]):
        return True
    return bool(head) and head.endswith("s") and not head.endswith(("ss", "us", "is")) and len(head) > 3


@functools.lru_cache(maxsize=4096)
def wants(question: str) -> Wants:
    found = _wants(question)
    words = _words(question)
    if found.wh in (None, "why", "how") or found.kind is None:
        return found
    i = words.index(found.wh) if found.wh in words else 0
    after = i + 1
    if found.wh in ("what", "which") and found.head and found.head in words[after:after + 5]:
        # "what river ... bounded": the clause goes on after the head noun
        after = words.index(found.head, after) + 1
    subject, verb = _subject_and_verb(question)
    return replace(found, role=_role(words, after), plural=_plural(words, found.head), subject=subject, verb=verb)


_SUBJECT_QUESTION = re.compile(r"\b(?:when|where|why|how|what|which|who|whom)\s+(?:\w+\s+){0,2}?(?:did|does|do)\s+(?P<rest>.+)", re.IGNORECASE)


def _subject_and_verb(question: str) -> tuple[tuple[str, ...], str | None]:
    """The subject a "did"-question names and its verb: "When did King Harold II conquer
    England?" -> (king, harold, ii), conquer. Names only (a capitalised run, possibly with
    "the" and a possessive noun: "Edward the Confessor's son")."""
    m = _SUBJECT_QUESTION.search(question)
    if not m:
        return (), None
    words = m.group("rest").rstrip("?").split()
    run: list[str] = []
    i = 0
    if i < len(words) and words[i].lower() == "the":
        i += 1
    while i < len(words) and (words[i][:1].isupper() or (run and words[i].lower() in ("the", "of", "de"))):
        run.append(words[i])
        i += 1
        if run[-1].endswith(("'s", "’s")) and i < len(words):
            run.append(words[i])  # "Edward the Confessor's son"
            i += 1
            break
    if not run or i >= len(words) or not words[i][:1].islower():
        return (), None
    verb = tokenize(words[i])
    return tuple(tokenize(" ".join(run))), (verb[0] if verb else None)


def _wants(question: str) -> Wants:
    """The kind of answer ``question`` wants, from its first question word."""
    words = _words(question)
    terms = tuple(tokenize(question))
    # "When extensive time is required ..., what case ...?": a leading when/if clause sets
    # the scene; the question is asked after the comma.
    if words[:1] in (["when"], ["if"]) and (m := re.search(r",[^,]*?\b(what|which|who|whom|whose|how|where|when)\b", question.lower())):
        words = _words(question[m.start(1):])
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "how":
            if nxt == "old":
                return Wants("age", None, terms, "how")  # "how old": an age, not any number
            if nxt in ("many", "much", "far", "big", "large", "tall", "high", "deep", "wide", "heavy"):
                return Wants("number", words[i + 2] if nxt in ("many", "much") and i + 2 < len(words) else None, terms, "how",
                             money=nxt == "much" and bool(_MONEY_WORDS & set(words)))
            if nxt == "long":
                return Wants("duration", None, terms, "how")
            return Wants(None, None, terms, "how")
        if word == "why":
            return Wants(None, None, terms, "why")
        if word == "when":
            return Wants("date", None, terms, "when")
        if word == "where":
            return Wants("place", None, terms, "where")
        if word in ("who", "whom", "whose"):
            # "Who was the Norse leader?": the role noun says what the person is.
            head = _head_after(words, i) if nxt in _AUX and i + 2 < len(words) and words[i + 2] in _DETERMINERS else None
            return Wants("person", head, terms, word)
        if word in ("what", "which"):
            head = _head_after(words, i)
            if head and head.startswith(_CATEGORY):
                return Wants("thing", head[len(_CATEGORY):], terms, word)  # "what type of time": a kind, not a value
            kind = _kind_of_noun(head) or "thing"
            return Wants(kind, head, terms, word, money=kind == "number" and head in _MONEY_WORDS)
    if words and words[0] in _AUX:
        return Wants(None, None, terms, None)  # yes/no
    return Wants(None, None, terms, None)
