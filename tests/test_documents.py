import logging

from pathlib import Path

import pytest

from retrieval.documents import load_documents, parse_document
from retrieval.errors import SeedsFolderError

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def test_seed_article_metadata_and_numbering():
    result = load_documents(SEEDS)
    assert not result.skipped
    (doc,) = result.documents
    assert doc.date == "2025-01-23"
    assert doc.place == "Doha"
    assert len(doc.paragraphs) == 7
    assert [p.number for p in doc.paragraphs] == list(range(1, 8))
    # The dateline stays searchable; the date header does not leak into the text.
    assert doc.paragraphs[0].text.startswith("Doha - Jamaat-e-Islami Emir")
    assert "date 2025" not in doc.paragraphs[0].text
    last = doc.paragraphs[-1].sentences[-1]
    assert (last.doc, last.paragraph, last.number) == (doc.doc, 7, 1)
    assert "10,000 tents" in last.text


def test_every_sentence_knows_where_it_is():
    (doc,) = load_documents(SEEDS).documents
    for paragraph in doc.paragraphs:
        for i, sentence in enumerate(paragraph.sentences, start=1):
            assert sentence.number == i
            assert paragraph.text[sentence.start : sentence.end] == sentence.text


def test_bad_files_are_skipped_with_a_named_warning(tmp_path, caplog):
    (tmp_path / "good.md").write_text("# Title\n\nA fine paragraph. Two sentences.\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes("hello world".encode("utf-16"))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    with caplog.at_level(logging.WARNING):
        result = load_documents(tmp_path)
    assert [d.doc for d in result.documents] == ["good.md"]
    assert result.documents[0].title == "Title"
    skipped = {s.name: s.reason for s in result.skipped}
    assert set(skipped) == {"empty.txt", "binary.txt", "latin1.txt", "utf16.txt"}
    assert "UTF-8" in skipped["latin1.txt"]
    for name in skipped:
        assert name in caplog.text


def test_missing_seeds_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SeedsFolderError, match="not found"):
        load_documents(tmp_path / "nope")


def test_markdown_headings_are_not_paragraphs():
    doc = parse_document("a.md", "date: 2024-05-01\n# Report\n\n## Part one\n\nFirst para.\n\nSecond para.")
    assert doc.title == "Report"
    assert doc.date == "2024-05-01"
    assert [p.text for p in doc.paragraphs] == ["First para.", "Second para."]
