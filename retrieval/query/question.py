"""A question, parsed once: what the user typed, made into what the search works with.

The edges (the CLI, the bot) call ``parse_question`` as soon as a question arrives, so a
question that cannot be asked fails at once with a one-line ``QuestionError``, before any
index is loaded or any rate limit is spent; ``Citebot.ask`` then takes the ``Question`` as
it is. Everything the search reads from the question's text is worked out here, once:

* ``text``: cleaned (``clean_text``), checked (not empty, within the limit, has words);
* ``since``/``until``: the date filters as ISO days, checked, ``since`` not after ``until``;
* ``named_time``: the days the question itself names ("in January 2025"), if any;
* ``kind``: the kind of answer it wants (``question_kind``: "where", "when", ...), as the
  short-answer patterns and the ranking's type boost read it;
* ``wants``: what the reader looks for (``wants.wants``: the kind, the head noun, the part
  of the clause the answer is, the question's terms...), read by rules in microseconds;
* ``repaired``: the text with typos repaired. That needs the vocabulary of the index that
  answers, so the searcher does it (``with_repair``), once per ask; ``kind`` and ``wants``
  follow it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Literal

from ..errors import QuestionError
from ..text.clean import clean_text
from ..text.dates import parse_day, time_in_question
from .answers import question_kind
from .wants import Wants, wants

Mode = Literal["hybrid", "dense", "lexical"]

# The default limit on a question's length (CITEBOT_MAX_QUESTION_CHARS).
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Question:
    text: str
    repaired: str  # ``text`` with typos repaired (``text`` itself until ``with_repair``)
    kind: str | None  # what ``question_kind`` says of ``repaired``
    wants: Wants  # what ``wants`` says of ``repaired``
    since: str | None = None  # YYYY-MM-DD: only documents dated on or after
    until: str | None = None  # YYYY-MM-DD: only documents dated on or before
    named_time: tuple[str, str] | None = None  # the days the question names, first and last

    def with_repair(self, correct: Callable[[str], str]) -> "Question":
        """This question with its typos repaired by ``correct`` (an index's vocabulary).
        The kind is worked out again only when the repair changed a word: "Wher was he
        when..." asks where, not when."""
        fixed = correct(self.text)
        if fixed == self.repaired:
            return self
        return replace(self, repaired=fixed, kind=question_kind(fixed), wants=wants(fixed))


def parse_question(
    text: str | None,
    *,
    since: str | None = None,
    until: str | None = None,
    max_chars: int = MAX_QUESTION_CHARS,
) -> Question:
    """``text`` (and the date filters) as a ``Question``, or ``QuestionError`` saying why not.
    The dates are checked first: a bad one would fail every question asked with it."""
    first, last = parse_dates(since, until)
    if text is None:
        raise QuestionError("the question is empty")
    cleaned = clean_text(text)
    if not cleaned:
        raise QuestionError("the question is empty")
    if len(cleaned) > max_chars:
        raise QuestionError(f"the question is too long ({len(cleaned):,} characters; the limit is {max_chars:,})")
    if not any(ch.isalnum() for ch in cleaned):
        raise QuestionError("the question has no words to search for")
    return Question(cleaned, cleaned, question_kind(cleaned), wants(cleaned), first, last, time_in_question(cleaned))


def parse_dates(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """The date filters of ``parse_question`` alone, as ISO days (``None``: no filter), for a
    front end that checks them before it has a question (``citebot ask -`` reads many)."""
    first, last = parse_day(since, "since"), parse_day(until, "until")
    if first and last and first > last:
        raise QuestionError("since must not be after until")
    return first, last


@dataclass(frozen=True)
class AskOptions:
    """How to answer, beside what is asked."""

    k: int = 3  # passages in the answer
    mode: Mode = "hybrid"  # the benchmarks compare the dense and lexical halves alone
    pool: int = 10  # passages ranked in all (those past ``k`` are "More results")
    scope: int | None = None  # a community (a Discord server id) whose votes apply

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", max(1, int(self.k)))
