"""A question is parsed once: the one-line messages a user gets, and what the search is handed."""

import pytest

from retrieval.errors import QuestionError
from retrieval.query.question import parse_question


def test_a_question_is_cleaned_and_read_once():
    question = parse_question(
        "  Where did\u200b they meet\x00in January 2025?  ", since=" 2025-01-01 ", until="2025-02-28", max_chars=100
    )
    assert question.text == question.repaired == "Where did they meet in January 2025?"
    assert question.kind == "where"
    assert (question.since, question.until) == ("2025-01-01", "2025-02-28")
    assert question.named_time == ("2025-01-01", "2025-01-31")
    assert parse_question("How many tents were sent?").named_time is None


@pytest.mark.parametrize(
    ("text", "dates", "message"),
    [
        (None, {}, "the question is empty"),
        (" \u200b ", {}, "the question is empty"),
        ("?!?!", {}, "the question has no words to search for"),
        ("x" * 11, {}, "the question is too long (11 characters; the limit is 10)"),
        ("When?", {"since": "yesterday"}, "since must be a date like 2025-01-23, not 'yesterday'"),
        ("When?", {"until": "2025-02-30"}, "until must be a date like 2025-01-23, not '2025-02-30'"),
        ("When?", {"since": "2025-03-01", "until": "2025-02-01"}, "since must not be after until"),
        ("", {"since": "soon"}, "since must be a date like 2025-01-23, not 'soon'"),  # the dates first
    ],
)
def test_a_question_that_cannot_be_asked_says_why_in_one_line(text, dates, message):
    with pytest.raises(QuestionError) as info:
        parse_question(text, max_chars=10, **dates)
    assert str(info.value) == message


def test_a_misspelt_question_word_asks_what_the_repaired_word_asks(seed_citebot):
    question = seed_citebot.parse_question("Wher did the meeting take place?")
    assert question.kind is None  # as typed, no question word
    repaired = question.with_repair(seed_citebot.searcher.vocab.correct)
    assert repaired.kind == "where" and repaired.repaired.startswith("where did")
    answer = seed_citebot.ask(question)
    assert answer.question == "Wher did the meeting take place?" and answer.short_answer == "Doha"


def test_the_core_takes_a_parsed_question_as_it_is(seed_citebot, monkeypatch):
    import retrieval.query.answers as answers
    import retrieval.query.question as question_module
    from retrieval.query.abstain import Vocabulary

    counted = {"kind": 0, "repair": 0}
    kind, correct = answers.question_kind, Vocabulary.correct

    def counting_kind(text):
        counted["kind"] += 1
        return kind(text)

    def counting_correct(self, text):
        counted["repair"] += 1
        return correct(self, text)

    monkeypatch.setattr(answers, "question_kind", counting_kind)
    monkeypatch.setattr(question_module, "question_kind", counting_kind)
    monkeypatch.setattr(Vocabulary, "correct", counting_correct)
    parsed = seed_citebot.parse_question("How many tents were sent?", until="2024-12-31")
    assert seed_citebot.ask(parsed).results == ()  # its date filter came with it
    answer = seed_citebot.ask(parse_question("How many tents were sent?"), k=2)
    assert answer.short_answer == "10,000"
    assert counted == {"kind": 2, "repair": 2}  # once per question, whatever reads it
    # Parsed under a longer limit than this citebot's, it is not checked again.
    long = parse_question("How many tents were sent? " + "x" * 1000, max_chars=2000)
    assert seed_citebot.ask(long).question == long.text
    with pytest.raises(TypeError):
        seed_citebot.ask(parsed, since="2025-01-01")  # a parsed question brings its own dates
