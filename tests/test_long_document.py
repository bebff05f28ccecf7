"""A long document on one line: one paragraph of thousands of sentences.

Every stage that works per paragraph sees all of them at once, so this is where work that
grows faster than the text shows (benchmarks/long_document.py measures it up to 2 MB). Here:
a 200 kB one-line file indexes in normal test time, answers a question about a sentence in
its middle with the right citation, and finds the people and quotes in it.
"""

from __future__ import annotations

import itertools

from retrieval.index.chunks import PASSAGE_CONTEXT_CHARS

NEEDLE = "The lighthouse on Skerry Island is painted bright green."
SIZE = 200_000


def filler() -> list[str]:
    """60 different sentences of harbour news, some naming people and quoting them. They
    repeat through the file: each is embedded once, and so few that the model runs one text
    at a time (no batch model to load), which keeps the test fast."""
    ships = ["Nordlys", "Kong Olav", "Vesteraalen", "Polarlys", "Richard With", "Lofoten"]
    cargo = ["salted cod", "timber", "diesel", "mail", "potatoes"]
    out = []
    for n, (ship, goods) in enumerate(itertools.islice(itertools.cycle(itertools.product(ships, cargo)), 20)):
        out.append(f"The {ship} unloaded {n + 3} tonnes of {goods} at pier {n % 9 + 1} on Tuesday.")
        out.append(f"Harbour master Ola Hansen said the {ship} would sail again within {n % 5 + 2} days.")
        out.append(f"“We expect {n + 10} passengers on the next crossing,” said Hansen.")
    return out


def one_line_document() -> str:
    sentences, size, placed = [], 0, False
    for sentence in itertools.cycle(filler()):
        if not placed and size >= SIZE // 2:
            sentences.append(NEEDLE)
            placed = True
        if size >= SIZE:
            return " ".join(sentences) + "\n"
        sentences.append(sentence)
        size += len(sentence) + 1


def test_a_200_kb_one_line_document_indexes_and_answers_from_its_middle(make_citebot):
    text = one_line_document()
    assert "\n" not in text.rstrip("\n") and len(text) > SIZE
    citebot = make_citebot({"harbour.txt": text})
    report = citebot.reindex()
    assert (report.documents, report.paragraphs) == (1, 1) and report.sentences > 2000

    answer = citebot.ask("What colour is the lighthouse on Skerry Island?")
    best = answer.results[0]
    assert answer.answered and best.text == NEEDLE
    (source,) = citebot.sources()
    assert (best.doc, best.paragraph, best.citation) == ("harbour.txt", 1, f"{source.title}, ¶1")
    # The passage is the paragraph around the sentence, not 200 kB of it: "…" where it goes on.
    shown = best.paragraph_text
    assert shown[best.sentence_start : best.sentence_end] == NEEDLE
    assert shown.startswith("… ") and shown.endswith(" …") and len(shown) <= 2 * PASSAGE_CONTEXT_CHARS + len(NEEDLE) + 4
    assert shown[2:-2] in text

    hansen = citebot.who("Ola Hansen").person
    assert hansen is not None and hansen.name == "Ola Hansen"
    quotes = citebot.quotes(speaker="Hansen").quotes
    assert {q.text for q in quotes} == {f"We expect {n + 10} passengers on the next crossing" for n in range(20)}
    assert {(q.speaker, q.doc, q.paragraph) for q in quotes} == {("Ola Hansen", "harbour.txt", 1)}
