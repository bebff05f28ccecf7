"""What a user gets back from ``ask``: the contract both front ends render."""

import pytest

from retrieval.errors import QuestionError


def test_answer_json_contract(seed_citebot):
    data = seed_citebot.ask("How many tents were sent?").to_json()
    assert set(data) == {"question", "answered", "short_answer", "short_answer_confidence", "results"}
    assert data["answered"] is True
    assert data["short_answer"] == "10,000"
    assert 0.0 < data["short_answer_confidence"] <= 1.0
    assert 1 <= len(data["results"]) <= 3
    first = data["results"][0]
    assert set(first) == {"doc", "title", "date", "paragraph", "sentence", "text", "paragraph_text", "score", "citation",
                          "url", "page", "section"}
    assert first["paragraph"] == 7 and "10,000 tents" in first["text"]
    assert first["text"] in first["paragraph_text"]
    assert first["date"] == "2025-01-23"
    assert "¶7" in first["citation"] and "2025-01-23" in first["citation"]
    assert isinstance(first["score"], float)


def test_pronoun_sentence_found_through_its_paragraph(seed_citebot):
    answer = seed_citebot.ask("What did Rehman announce?")
    best = answer.results[0]
    assert (best.paragraph, best.text) == (6, best.paragraph_text[best.sentence_start : best.sentence_end])
    assert "announced plans to form a delegation" in best.text


def test_an_acronym_finds_the_words_the_article_spells_out(seed_citebot):
    # The article never writes "PM", only "Pakistan's Prime Minister".
    answer = seed_citebot.ask("Is the JI chief going to contact the PM?")
    assert answer.answered
    assert answer.results[0].paragraph == 6
    assert "Prime Minister" in answer.results[0].text


def test_dateline_paragraph_answers_where(seed_citebot):
    answer = seed_citebot.ask("Where did the meeting take place?")
    assert answer.results[0].paragraph == 1
    assert answer.short_answer == "Doha"


def test_results_never_repeat_a_paragraph(seed_citebot):
    answer = seed_citebot.ask("Hamas Pakistan Gaza", k=7)
    paragraphs = [r.paragraph for r in answer.results]
    assert len(paragraphs) == len(set(paragraphs))


@pytest.mark.parametrize(
    "question",
    ["How do I bake sourdough bread?", "What's the weather in Paris tomorrow?", "Who won the Champions League final?"],
)
def test_off_topic_question_is_not_answered(seed_citebot, question):
    answer = seed_citebot.ask(question)
    assert answer.answered is False
    assert answer.short_answer is None


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \u200b  ", "empty"), ("?!?!", "no words"), ("x" * 1001, "too long")],
)
def test_unusable_questions_raise_a_clear_error(seed_citebot, question, message):
    with pytest.raises(QuestionError, match=message):
        seed_citebot.ask(question)


def test_odd_unicode_is_answered_not_crashed(seed_citebot):
    answer = seed_citebot.ask("Hów mány tënts wêre sent? 😀 \u202e")
    assert answer.results


@pytest.mark.parametrize(
    "question",
    [
        "How many tents \udcff were sent?",  # a byte that was not UTF-8, as Python hands it over
        "How\x00many\x00tents\x00were\x00sent?",  # control characters between words
        "How many te\u200bnts were sent?",  # a zero-width space inside a word
    ],
)
def test_broken_bytes_and_invisible_characters_do_not_spoil_the_answer(seed_citebot, question):
    answer = seed_citebot.ask(question)
    assert answer.answered and answer.short_answer == "10,000"


def test_date_filters_exclude_documents_outside_the_range(seed_citebot):
    assert seed_citebot.ask("How many tents were sent?", until="2024-12-31").results == ()
    assert seed_citebot.ask("How many tents were sent?", since="2025-01-01").results


def test_role_question_gets_the_person_as_short_answer(seed_citebot):
    assert seed_citebot.ask("Who is the current head of Hamas?").short_answer == "Hassan Darwish"


def test_a_time_named_in_the_question_prefers_documents_from_then(make_citebot):
    citebot = make_citebot({
        "jan.txt": "date 2025-01-15\nThe city council approved the harbour budget of 12 million.",
        "mar.txt": "date 2025-03-10\nThe city council approved the harbour budget of 15 million.",
    })
    # The texts say nothing of months: only the documents' dates can tell them apart.
    assert citebot.ask("What harbour budget did the council approve in January 2025?").results[0].doc == "jan.txt"
    assert citebot.ask("What harbour budget did the council approve in March 2025?").results[0].doc == "mar.txt"
    assert [s.doc for s in citebot.sources()] == ["mar.txt", "jan.txt"]  # newest first


def test_who_and_quote_read_names_as_questions_are_read(seed_citebot):
    # Invisible characters from copy-paste and stray bytes do not hide a person.
    assert seed_citebot.who("Khaled\u200b Mashal\udcff").person.name == "Khaled Mashal"
    assert seed_citebot.quotes(speaker="Dar\u200bwish").quotes
    with pytest.raises(QuestionError, match="too long"):
        seed_citebot.who("x" * 5000)
    with pytest.raises(QuestionError, match="too long"):
        seed_citebot.quotes(topic="tents " * 400)
