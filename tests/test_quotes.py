"""Quotes and reported speech: speakers as the text attributes them, never guessed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.documents.loading import load_documents
from retrieval.people import PeopleIndex, ReportedSpeech, extract_all, extract_people, extract_quotes, quote_spans, reported_speech

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED_DOC = "000_456f3f2e67ceee91.txt"

BRIDGE = """date 2025-03-02
Rotterdam - Mayor Jane van der Berg opened the new harbour bridge on Saturday, joined by the company's chief executive, Omar bin Said, and Brightwater Holdings spokesperson Lena Okafor.

"This bridge joins the two halves of our city. It took eleven years to build," Van der Berg said. "Every resident paid for it, and every resident will use it."

Omar bin Said said: “Our engineers worked through three hard winters. We are proud of every single rivet.”

“Nobody expected the steel price to double,” Okafor told reporters. She added that the final cost was 400 million euros.

Morgan Ashby, the construction firm that built the foundations, said in a statement: “The foundations will outlast all of us.” Morgan Ashby executives declined to comment further.

"We will keep the tolls low for everyone," said a city official.

“This is the first step,” said Omar bin Said, “and not the last one we take together.”

“We were never consulted about the route,” he said.

Van der Berg thanked the Ministry of Infrastructure and announced a second bridge for 2030. She called the bridge “a monument”.
"""


@pytest.fixture(scope="module")
def seed():
    docs = [d for d in load_documents(SEEDS).documents if d.doc == SEED_DOC]
    assert docs
    people = extract_people(docs)
    return docs, people, extract_quotes(docs, people)


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bridge")
    (folder / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    docs = list(load_documents(folder).documents)
    people = extract_people(docs)
    return docs, people, extract_quotes(docs, people)


def in_paragraph(quotes, n):
    return [q for q in quotes if q.paragraph == n]


# ------------------------------------------------------------------------------ the seed


def test_seed_has_three_quotations_in_paragraphs_3_4_5(seed):
    _, _, quotes = seed
    assert [q.paragraph for q in quotes] == [3, 4, 5]
    assert all(q.doc == SEED_DOC and q.date == "2025-01-23" for q in quotes)


def test_seed_quote_in_paragraph_3_is_rehmans_and_spans_two_sentences(seed):
    _, _, quotes = seed
    (q,) = in_paragraph(quotes, 3)
    assert q.speaker == "Hafiz Naeem ur Rehman"
    assert q.text.startswith("The Al-Khidmat Foundation has always stood shoulder to shoulder")
    assert q.text.endswith("playing their role in Gaza’s reconstruction")
    assert "“" not in q.text and "”" not in q.text


def test_seed_quote_in_paragraph_4_is_unattributed(seed):
    _, _, quotes = seed
    (q,) = in_paragraph(quotes, 4)
    assert q.speaker is None  # "said the ." names nobody: not guessed
    assert "We salute Ismail Haniyeh, Yahya Sinwar" in q.text
    assert q.text.endswith("we stand united with the Palestinian cause")
    assert q.to_json()["speaker"] is None
    assert q.to_json()["citation"].endswith("2025-01-23, ¶4")


def test_seed_quote_in_paragraph_5_is_darwishs(seed):
    _, _, quotes = seed
    (q,) = in_paragraph(quotes, 5)
    assert q.speaker == "Hassan Darwish"
    assert q.text.startswith("After the ceasefire")


def test_people_carry_their_quotes(seed):
    _, people, quotes = seed
    by = {p.name: p for p in people}
    assert by["Hafiz Naeem ur Rehman"].quotes == tuple(in_paragraph(quotes, 3))
    assert by["Hassan Darwish"].quotes == tuple(in_paragraph(quotes, 5))
    assert by["Khaled Mashal"].quotes == ()


def test_seed_reported_speech(seed):
    docs, people, _ = seed
    items = reported_speech(docs, people)
    assert all(isinstance(r, ReportedSpeech) for r in items)
    directed = [r for r in items if r.text.startswith("Following the meeting, Rehman directed")]
    assert len(directed) == 1
    assert directed[0].speaker == "Hafiz Naeem ur Rehman"
    assert directed[0].speaker_inferred is False
    assert (directed[0].paragraph, directed[0].sentence, directed[0].verb) == (7, 1, "directed")
    announced = [r for r in items if r.text.startswith("He announced plans")]
    assert len(announced) == 1
    # "He" follows "Rehman assured ..." in the same paragraph; the result says it was inferred
    assert announced[0].speaker == "Hafiz Naeem ur Rehman" and announced[0].speaker_inferred
    # quotations and their attributions are not reported speech
    assert not any("“" in r.text for r in items)
    assert {r.paragraph for r in items} == {2, 5, 6, 7}


# ------------------------------------------------------------------------------ second article


def test_bridge_quotes_and_speakers(bridge):
    _, _, quotes = bridge
    assert [(q.paragraph, q.speaker) for q in quotes] == [
        (2, "Jane van der Berg"),  # straight quotes, "X said" after, two sentences
        (2, "Jane van der Berg"),  # continues the attributed quotation
        (3, "Omar bin Said"),  # "X said:" before a curly quotation
        (4, "Lena Okafor"),  # "Okafor told reporters"
        (5, "Morgan Ashby"),  # an organisation is named as the speaker: kept as written
        (6, None),  # "said a city official": nobody named
        (7, "Omar bin Said"),  # an interrupted quotation: both halves
        (7, "Omar bin Said"),
        (8, None),  # "he said": pronouns are not resolved for quotations
    ]


def test_bridge_quote_texts(bridge):
    _, _, quotes = bridge
    assert quotes[0].text == "This bridge joins the two halves of our city. It took eleven years to build"
    assert quotes[2].text == "Our engineers worked through three hard winters. We are proud of every single rivet."
    assert quotes[6].text == "This is the first step"
    assert quotes[7].text == "and not the last one we take together."
    # a scare quote is not a quotation
    assert not any(q.text == "a monument" for q in quotes)


def test_bridge_organisation_speaker_is_not_a_person(bridge):
    _, people, _ = bridge
    assert "Morgan Ashby" not in {p.name for p in people}
    by = {p.name: p for p in people}
    assert len(by["Omar bin Said"].quotes) == 3


def test_bridge_reported_speech(bridge):
    docs, people, _ = bridge
    items = reported_speech(docs, people)
    found = {(r.paragraph, r.sentence): (r.speaker, r.verb, r.speaker_inferred) for r in items}
    assert found[(4, 2)] == ("Lena Okafor", "added", True)
    assert found[(9, 1)] == ("Jane van der Berg", "thanked", False)
    assert found[(9, 2)] == ("Jane van der Berg", "called", True)
    # "Omar bin Said said: “…”" introduces a quotation: not reported speech
    assert (3, 1) not in found



def test_the_index_reads_back_what_extraction_found(bridge):
    docs, people, quotes = bridge
    found = extract_all(docs)
    assert found.people == tuple(people) and found.quotes == tuple(quotes)
    assert found.reported == tuple(reported_speech(docs, people))
    # What /who and /quote serve is read back from the index's JSON: the same people, each
    # with their quotes, the same quotes (unattributed ones too) and the same reported speech.
    stored = json.loads(json.dumps(found.to_extras()))
    assert PeopleIndex.from_extras(stored) == found
    assert [len(p.quotes) for p in PeopleIndex.from_extras(stored).people if p.name == "Omar bin Said"] == [3]

def test_pronoun_with_two_people_named_before_stays_unresolved(tmp_path):
    (tmp_path / "two.txt").write_text(
        "Mayor Jane van der Berg met chief executive Omar bin Said on Monday. "
        "She announced that the bridge would open in May.\n",
        encoding="utf-8",
    )
    docs = list(load_documents(tmp_path).documents)
    items = reported_speech(docs, extract_people(docs))
    (item,) = [r for r in items if r.verb == "announced"]
    assert item.speaker is None and item.speaker_inferred is False


# ------------------------------------------------------------------------------ spans


def test_quote_spans():
    text = 'He said "one two" and “three four”.'
    assert [text[a:b] for a, b in quote_spans(text)] == ["one two", "three four"]
    # an opened quotation that runs on into the next paragraph
    text = "“We will go on. We will not stop"
    assert [text[a:b] for a, b in quote_spans(text)] == ["We will go on. We will not stop"]
    assert quote_spans("no quotes here") == []
