"""Short answers: the few words of the best sentence that answer a who / where / when /
how many / which-organisation question. Extractive only; ``None`` when unsure.

The rule: find candidate spans of the right type in the best sentence (numbers, names,
organisations, places), drop the ones the question already names, and take the one
closest to where the question's own words appear in the sentence.
"""

from __future__ import annotations

import functools
import re
from typing import Sequence

from ..index.chunks import is_dateline
from ..index.lexical import tokenize
from ..models import Passage, Person

_NAME_WORD = r"(?:Dr\.\s|Mr\.\s|Ms\.\s|Mrs\.\s)?[A-Z][\w’'.]*(?:-[A-Za-z][\w’']*)*"
_PARTICLE = r"(?:ur|bin|ibn|al|el|de|da|van|von|der|le|la|du)"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD})*")
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)*(?:\s+(?:thousand|million|billion|per\s?cent|percent|%))?(?:\s+(?:years?|months?|weeks?|days?|hours?))?|\b(?:millions|thousands|hundreds|dozens)\b",
    re.IGNORECASE,
)
_ORG_WORDS = re.compile(
    r"\b(Foundation|Party|Movement|Organi[sz]ation|Council|Committee|Association|Union|Agency|Ministry|"
    r"Institute|University|Company|Corporation|Group|Bank|Front|League|Society|Trust|Islami|Hamas|Fund)\b"
)
_WEEKDAY_MONTH = re.compile(
    r"\b(?:(?:\d{1,2}\s+)?(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?:\s+\d{1,2})?(?:,?\s+\d{4})?|\d{4}-\d{2}-\d{2}|(?i:(?:after|before|following|until|since)\s+the\s+(?:\w+\s+)?\w+(?:\s+of\s+\w+)?"
    r"|last\s+\w+|yesterday|today))\b",
)
_STOP_CAPS = {"The", "A", "An", "He", "She", "They", "We", "It", "His", "Her", "Their", "Our", "During", "Following", "After", "Until", "In", "On", "This", "That"}


def question_kind(question: str) -> str | None:
    """The kind of answer a question wants, from its first question phrase: "Where was he
    when he met them?" asks where."""
    q = question.lower().strip()
    patterns = (
        # "How many", and "what/which [is the] [death] toll/number/rate...": a quantity noun
        # right after the question word, with at most one word before it.
        ("number", r"\bhow (many|much|old)\b|\b(what|which)(?: is| was| are| were)?(?: the)?(?: [a-z]+)? "
                   r"(population|number|rate|price|cost|age|size|amount|total|toll|percentage|count|figure)s?\b"),
        ("duration", r"\bhow long\b"),
        ("when", r"\b(when|what date|what day|which date|what year)\b"),
        ("where", r"\b(where|(which|what) (city|cities|country|countries|nations?|place|town|villages?))\b"),
        ("org", r"\b(which|what) (organi[sz]ation|charity|party|group|foundation|movement|org)\b"),
        ("who", r"\b(who|whom|whose)\b"),
    )
    found = [(m.start(), kind) for kind, pattern in patterns if (m := re.search(pattern, q))]
    return min(found)[1] if found else None


_DATELINE_WORDS = {"article", "story", "report", "news", "piece", "published", "written", "date", "day", "city", "place",
                   "happen", "happened", "took", "take"}


def _about_dateline(question: str, paragraph: str) -> bool:
    """Is the question about the event the dateline paragraph reports? Every word of it
    other than names must be in that paragraph (or be a word for the article itself)."""
    from .abstain import FUNCTION_WORDS

    have = set(tokenize(paragraph))
    for m in re.finditer(r"[^\W\d_]+", question):
        word = m.group(0)
        lower = word.lower()
        if lower in FUNCTION_WORDS or lower in _DATELINE_WORDS or (word[:1].isupper() and m.start() > 0):
            continue
        terms = tokenize(lower)
        if terms and not all(t in have or any(h[:5] == t[:5] and len(t) >= 5 for h in have) for t in terms):
            return False
    return True


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0).strip(" ,.")) for m in pattern.finditer(text)]


def _names(text: str, people: Sequence[Person] | None) -> list[tuple[int, int, str]]:
    spans = []
    for start, end, value in _spans(_NAME, text):
        words = value.split()
        while words and words[0] in _STOP_CAPS:
            start = text.find(words[1], start) if len(words) > 1 else end
            words = words[1:]
        if words:
            spans.append((start, end, " ".join(words)))
    if people:
        # Prefer the people index's full names when a span is one of a person's aliases.
        resolved = []
        for start, end, value in spans:
            for person in people:
                aliases = {a.lower() for a in _names_of(person)}
                if value.lower() in aliases or any(value.lower().endswith(" " + a) for a in aliases if " " in a):
                    value = person.name if value.lower() not in aliases else value
                    break
            resolved.append((start, end, value))
        spans = resolved
    return spans


_RELATIVE = re.compile(r"^(?:after|before|following|until|since)\b", re.IGNORECASE)


def _when_spans(question: str, text: str) -> list[tuple[int, int, str]]:
    """Time expressions in ``text`` that can answer ``question``: "after the ceasefire" dates
    something by the ceasefire, so it can't say when the ceasefire itself was."""
    q_terms = set(tokenize(question))
    return [
        s for s in _spans(_WEEKDAY_MONTH, text)
        if not (_RELATIVE.match(s[2]) and set(tokenize(_RELATIVE.sub("", s[2]))) & q_terms)
    ]


def _before_person(span: tuple[int, int, str], people: Sequence[Person] | None) -> tuple[int, int, str]:
    """An organisation's name run together with a title and a person ("Jamaat-e-Islami Emir
    Hafiz Naeem ur Rehman"): cut before the person's title or name, from the people index."""
    start, end, value = span
    pattern = _person_words_pattern(tuple(_person_words(people or [])))
    m = pattern.search(value) if pattern is not None else None
    return (start, start + m.start(), value[: m.start()].strip()) if m else span


def _names_of(person: Person) -> list[str]:
    return [person.name, *person.aliases]


def _person_words(people: Sequence[Person]) -> list[str]:
    words: set[str] = set()
    for person in people:
        words.update(_names_of(person))
        words.update(r.title for r in person.roles)
    return sorted(filter(None, words))


@functools.lru_cache(maxsize=8)
def _person_words_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    # One alternation for every name, alias and title: compiling one regex per word per
    # span meant thousands of compiles a question on a corpus with a large cast.
    if not words:
        return None
    return re.compile(r"\s(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def _closest(spans: list[tuple[int, int, str]], question: str, text: str) -> str | None:
    q_terms = set(tokenize(question))
    q_lower = question.lower()
    spans = [s for s in spans if s[2] and s[2].lower() not in q_lower and not set(tokenize(s[2])) <= q_terms]
    if not spans:
        return None
    anchors = [m.start() for m in re.finditer(r"[^\W_]+(?:-[^\W_]+)*", text) if tokenize(m.group(0)) and set(tokenize(m.group(0))) & q_terms]
    if not anchors:
        return spans[0][2] if len(spans) == 1 else None

    def distance(span: tuple[int, int, str]) -> float:
        # An apposition ("current head Hassan Darwish") puts the answer just after the clue.
        return min((span[0] - a) if a <= span[0] else (a - span[1]) * 1.5 for a in anchors)

    return min(spans, key=distance)[2]


def short_answer(
    question: str,
    passage: Passage,
    *,
    kind: str | None,
    date: str | None = None,
    place: str | None = None,
    people: Sequence[Person] | None = None,
) -> str | None:
    text = passage.text
    role = role_answer(question, text, people)
    if role is not None:
        return role or None
    if held := role_holder_answer(question, text, people):
        return held
    checked, holder = identity_answer(question, text)
    if checked:
        return holder
    if kind is None:
        return None
    if kind == "number":
        return _closest(_spans(_NUMBER, text), question, text)
    if kind == "duration":
        spans = [s for s in _spans(_NUMBER, text) if re.search(r"(year|month|week|day|hour)s?$", s[2])]
        return _closest(spans + _spans(_WEEKDAY_MONTH, text), question, text)
    if kind == "when":
        found = _closest(_when_spans(question, text), question, text)
        if found:
            return found
        # The dateline paragraph is dated by the document itself: that date answers questions
        # about what the dateline reports, not about anything its sentences mention.
        return date if is_dateline(passage.paragraph) and date and _about_dateline(question, passage.paragraph_text) else None
    if kind == "where":
        spans = [(m.start(1), m.end(1), m.group(1)) for m in re.finditer(rf"\b(?:in|to|at|from)\s+({_NAME.pattern})", text)]
        found = _closest(spans, question, text)
        if found is None and place and is_dateline(passage.paragraph) and _about_dateline(question, passage.paragraph_text):
            return place
        return found
    if kind == "org":
        spans = [_before_person(s, people) for s in _names(text, None)]
        spans = [s for s in spans if _ORG_WORDS.search(s[2]) or re.fullmatch(r"[A-Z]{2,6}", s[2])]
        return _closest(spans, question, text)
    names = _names(text, people)
    people_names = {p.name.lower() for p in people or []}
    if people:
        alias_set = {a.lower() for p in people for a in _names_of(p)}
        names = [s for s in names if s[2].lower() in alias_set or s[2].lower() in people_names]
    else:
        names = [s for s in names if not _ORG_WORDS.search(s[2]) and len(s[2].split()) >= 2]
    return _closest(names, question, text)


def has_answer_type(kind: str, question: str, text: str, *, date: str | None = None, place: str | None = None) -> bool:
    """Does ``text`` hold an expression of the type a ``kind`` question asks for, other than
    what the question already says? ``date``/``place`` are the dateline's metadata, if any."""
    q_lower = question.lower()

    def fresh(spans: list[tuple[int, int, str]]) -> bool:
        return any(v and v.lower() not in q_lower for _, _, v in spans)

    if kind == "number":
        return fresh(_spans(_NUMBER, text))
    if kind in ("when", "duration"):
        return bool(date and kind == "when") or fresh(_when_spans(question, text)) or (kind == "duration" and fresh(_spans(_NUMBER, text)))
    if kind == "where":
        spans = [(m.start(1), m.end(1), m.group(1)) for m in re.finditer(rf"\b(?:in|to|at|from)\s+({_NAME.pattern})", text)]
        return bool(place) or fresh(spans)
    if kind == "org":
        return fresh([s for s in _names(text, None) if _ORG_WORDS.search(s[2]) or re.fullmatch(r"[A-Z]{2,6}", s[2])])
    return fresh(_names(text, None))


_WHO_IS_PERSON = re.compile(r"^\s*who(?:'s|’s|\s+is|\s+was)\s+(?P<person>[^?]+?)\s*\??\s*$", re.IGNORECASE)
_PERSON_ROLE = re.compile(
    r"^\s*what(?:'s|’s|\s+is|\s+was)\s+(?P<person>[^?]+?)(?:'s|’s)\s+(?:position|role|title|job|post|rank)"
    r"(?:\s+(?:in|at|with|for)\s+(?:the\s+)?(?P<org>[^?]+?))?\s*\??\s*$",
    re.IGNORECASE,
)


def role_answer(question: str, text: str, people: Sequence[Person] | None) -> str | None:
    """"Who is <person>?" / "what is <person>'s position [in <org>]?": the person's role
    from the people index, when ``text`` states it ("JI’s Director of Foreign Affairs");
    ``""`` when the question is about a known person and ``text`` gives no role of theirs,
    ``None`` when the question is not of this form."""
    if not people:
        return None
    m = _WHO_IS_PERSON.match(question) or _PERSON_ROLE.match(question)
    if not m:
        return None
    asked = m.group("person").strip().lower()
    org = (m.groupdict().get("org") or "").strip().lower()
    for person in people:
        names = {n.lower() for n in _names_of(person) if n}
        if asked not in names:
            continue
        for role in person.roles:
            title, owner = role.title, role.organisation
            if not title or (org and owner and org not in owner.lower() and owner.lower() not in org):
                continue
            # With its owner when the text says so: "JI’s Director...", "Hamas leader".
            owned = rf"(?:\b{re.escape(owner)}(?:'s|’s)?\s+)?" if owner else ""
            found = re.search(rf"{owned}\b{re.escape(title)}\b", text, re.IGNORECASE)
            if found:
                return found.group(0)
        return ""  # a known person whose role this text doesn't give: no other name answers it
    return None


_IDENTITY = re.compile(r"^\s*who(?:'s|’s|\s+is|\s+was)\s+(?:the\s+|a\s+)?(?P<role>[^?]+?)\s*\??\s*$", re.IGNORECASE)


def identity_answer(question: str, text: str) -> tuple[bool, str | None]:
    """For "who is the <role> [of <owner>]" / "who is <owner>'s <role>": ``(True, name)`` when
    ``text`` names the holder of that role, ``(True, None)`` when it names the role but nobody
    holding it, or names it for a different owner ("JI's Director" for "Hamas's director"),
    and ``(False, None)`` when the question is not of this form or the role is not in ``text``.
    The first ``True`` means the question can be checked here; ``None`` then means abstain."""
    parsed = _identity_question(question)
    if parsed is None:
        return False, None
    role, owner = parsed
    found = _role_in(role.split(), text)
    if not found:
        return False, None
    before = text[: found.start()]
    possessor = re.search(r"([A-Z][\w-]*)(?:'s|’s)\s+$", before)
    if owner and possessor and possessor.group(1).lower() not in owner.lower() and owner.lower() not in possessor.group(1).lower():
        return True, None  # the role of someone else
    after = text[found.end():]
    name = re.match(rf"\s*,?\s*({_NAME.pattern})", after)
    if name and name.group(1).split()[0] not in _STOP_CAPS:
        return True, name.group(1).strip(" ,.")
    apposed = re.search(rf"({_NAME.pattern}),\s+(?:the\s+|a\s+)?$", before)
    if apposed:
        return True, apposed.group(1)
    # The role is named and nobody holds it here. That says "not answered" only when the
    # question names whose role it is ("the Prime Minister of Pakistan"): "Who was the
    # hostage?" may be answered in a way this pattern does not read ("took Duncan as a hostage").
    return (True, None) if owner else (False, None)


def _identity_question(question: str) -> tuple[str, str | None] | None:
    """The role and its owner of "who is the <role> [of <owner>]" / "who is <owner>'s <role>"."""
    m = _IDENTITY.match(question)
    if not m:
        return None
    role = m.group("role").strip()
    if role.split()[-1].lower() in {"for", "to", "with", "from", "about", "of", "by", "in", "on", "at"}:
        return None  # "who is it for?": not a role
    if _CLAUSE.search(role) or len(role.split()) > 6:
        return None  # "who was the leader when the Franks ...", "who is responsible for X": not a role
    if role[:1].isupper() and " of " not in role and "'s" not in role and "’s" not in role:
        return None  # "who is Asif Luqman Qazi?": a person, not a role
    owner = None
    if pm := re.match(r"(?P<owner>.+?)(?:'s|’s)\s+(?P<role>.+)$", role):
        owner, role = pm.group("owner"), pm.group("role")
    elif om := re.match(r"(?P<role>.+?)\s+of\s+(?:the\s+)?(?P<owner>[A-Z].*)$", role):
        owner, role = om.group("owner"), om.group("role")
    return role, owner


def role_stated(question: str, text: str) -> bool:
    """Does ``text`` state the question's whole role ("former chief" for "former leader")
    and, when the question names whose, that owner too? Then a name right after the role is
    its holder; a shorter match ("leader" for "former leader") is weaker evidence."""
    parsed = _identity_question(question)
    if parsed is None:
        return False
    role, owner = parsed
    words = role.split()
    variants = [words] + [words[:-1] + [s] for s in _ROLE_SYNONYMS.get(words[-1].lower(), ())]
    if not any(re.search(rf"\b{re.escape(' '.join(v))}\b", text, re.IGNORECASE) for v in variants):
        return False
    return owner is None or bool(re.search(rf"\b{re.escape(owner)}\b", text, re.IGNORECASE))


# A clause or a predicate, not a role: "the leader when ...", "responsible for ...", "in charge of ...".
_CLAUSE = re.compile(r"\b(?:when|where|while|that|which|who|whom|whose|if|because|responsible|in charge|during)\b",
                     re.IGNORECASE)
# Words for the same role: "the former leader" is written "former chief" as often.
_ROLE_SYNONYMS = {"leader": ("chief", "head"), "chief": ("leader", "head"), "head": ("leader", "chief")}


def _role_in(words: list[str], text: str) -> re.Match[str] | None:
    """Where ``text`` names the role: the whole phrase ("current head"), the phrase with the
    head noun's synonym ("former chief" for "former leader"), else the last word(s), but not
    an occurrence another modifier qualifies ("central leader" is not the former one)."""
    from ..people.words import ROLE_MODIFIERS

    head = words[-1].lower()
    variants = [words] + [words[:-1] + [s] for s in _ROLE_SYNONYMS.get(head, ())]
    for variant in variants:
        found = re.search(rf"\b{re.escape(' '.join(variant))}\b", text, re.IGNORECASE)
        if found:
            return found
    modifiers = {w.lower() for w in words[:-1]}
    for size in range(len(words) - 1, 0, -1):
        phrase = " ".join(words[-size:])
        if len(phrase) < 3:
            continue
        for found in re.finditer(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE):
            previous = re.search(r"([\w-]+)\s+$", text[: found.start()])
            other = previous and previous.group(1).lower() in ROLE_MODIFIERS and previous.group(1).lower() not in modifiers
            if modifiers and other:
                continue  # "central leader" when the question asks for the former one
            return found
    return None


# "Who leads Jamaat-e-Islami?", "Who used to run Hamas?": the verb form of "who is the leader
# of X", and "Which party is Hafiz Naeem ur Rehman the emir of?", its inverse. Both are read
# from the people index's roles (a title at an organisation, as the text states them).
_LEADS = re.compile(
    r"^\s*who\s+(?P<former>used\s+to\s+|formerly\s+|previously\s+)?(?:(?:currently|now)\s+)?"
    r"(?:leads|heads|runs|chairs|lead|head|run|chair)\s+(?:the\s+)?(?P<org>[^?]+?)\s*\??\s*$",
    re.IGNORECASE,
)
_ORGANISATION_OF = re.compile(
    r"^\s*(?:which|what)\s+(?:party|organi[sz]ation|group|movement|faction|company|body)\s+(?:is|was)\s+"
    r"(?P<person>[^?]+?)\s+(?:the\s+|an?\s+)?(?P<title>[\w’'-]+(?:\s+[\w’'-]+)?)\s+(?:of|at|in|for)\s*\??\s*$",
    re.IGNORECASE,
)
# The nouns of a role that leads an organisation, and what makes a title not its current holder.
_LEADING = frozenset("leader head chief emir president chairman chairwoman chairperson chair".split())
_NOT_CURRENT = frozenset("former ex previous late deputy vice acting interim central senior assistant".split())
_FORMER = frozenset("former ex previous".split())


def _acronym(name: str) -> str:
    """"Jamaat-e-Islami" -> "ji": the initials of its capitalised parts."""
    return "".join(w[0] for w in re.split(r"[\s-]+", name) if w[:1].isupper()).lower()


def _same_organisation(asked: str, stated: str) -> bool:
    a, s = asked.strip().lower(), stated.strip().lower()
    return a == s or (len(a) >= 2 and a == _acronym(stated)) or (len(s) >= 2 and s == _acronym(asked))


def role_holder_answer(question: str, text: str, people: Sequence[Person] | None) -> str | None:
    """For "who leads / used to run <organisation>?": the one person the people index gives
    that organisation's leading role (current, or former), and for "which party is <person>
    the <title> of?": that person's organisation; only when ``text`` names the answer, and
    ``None`` when the question is not of these forms or the index does not tell one answer."""
    if not people:
        return None
    if m := _LEADS.match(question):
        former = bool(m.group("former"))
        holders = []
        for person in people:
            for role in person.roles:
                words = role.title.lower().replace("-", " ").split()
                if not role.organisation or not words or words[-1] not in _LEADING:
                    continue
                if not _same_organisation(m.group("org"), role.organisation):
                    continue
                if (former and _FORMER & set(words)) or (not former and not _NOT_CURRENT & set(words)):
                    holders.append(person)
                    break
        if len(holders) == 1 and any(re.search(rf"\b{re.escape(n)}\b", text) for n in _names_of(holders[0])):
            return holders[0].name
        return None
    if m := _ORGANISATION_OF.match(question):
        asked = m.group("person").strip().lower()
        title = m.group("title").lower().split()[-1]
        owners = {
            role.organisation
            for person in people if asked in {n.lower() for n in _names_of(person)}
            for role in person.roles
            if role.organisation and role.title.lower().split()[-1] == title
        }
        if len(owners) == 1 and (owner := owners.pop()) and re.search(rf"\b{re.escape(owner)}\b", text):
            return owner
    return None
