from retrieval.documents.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_abbreviations_and_numbers_do_not_end_sentences():
    text = "Dr. Smith met U.S. officials in Jan. 2025. They sent 10,000 tents and 2.4 tonnes of food. Then he left."
    assert sentences(text) == [
        "Dr. Smith met U.S. officials in Jan. 2025.",
        "They sent 10,000 tents and 2.4 tonnes of food.",
        "Then he left.",
    ]


def test_quote_spanning_sentences_keeps_its_marks_and_attribution():
    text = "“We came here. We salute you,” said Rehman. He left."
    assert sentences(text) == ["“We came here.", "We salute you,” said Rehman.", "He left."]


def test_straight_quotes_and_closing_quote_after_period():
    text = 'He said "Go home." Then "Stay. Please," she said.'
    parts = sentences(text)
    assert parts[0] == 'He said "Go home."'
    assert parts[-1] == 'Please," she said.'


def test_spans_point_into_the_original_text():
    text = "  First one.   Second one?  Third!"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one?", "Third!"]


def test_empty_text_has_no_sentences():
    assert split_sentences("   \n ") == []


def test_a_long_paragraph_is_split_in_pieces_that_lose_nothing():
    sentence = "Dr. Rehman met U.S. envoys on 2.4 million issues, said the 10,000 delegates. "
    text = (sentence * 400).strip()  # ~30,000 characters: pysbd alone slows down badly here
    spans = split_sentences(text)
    assert len(spans) == 400
    assert all(text[a:b] == sentence.strip() for a, b in spans)


def test_a_long_run_without_punctuation_still_splits_and_covers_every_character():
    text = " ".join(f"word{i}" for i in range(20_000))
    spans = split_sentences(text)
    assert len(spans) > 1 and all(b - a <= 4000 for a, b in spans)
    assert " ".join(text[a:b] for a, b in spans) == text
