"""What goes into the index: the texts per sentence and paragraph, the dateline rule, and the
chunk table giving back what was written."""

from retrieval.documents.loading import parse_document
from retrieval.index.chunks import (
    ChunkStore,
    lexical_texts,
    paragraph_texts,
    sentence_texts,
    vocabulary_texts,
)
from retrieval.models import SkippedFile

BRIDGE = parse_document(
    "bridge.txt",
    "date 2024-03-01\nOslo - The council approved a new bridge. It will cost 40 million kroner.\n\n"
    "The mayor, Kari Nordmann, said work starts in May.",
    sha256="ab" * 32,
)
FERRY = parse_document("ferry.md", "# Ferries\n\nFerries run every hour. Tickets cost 5 kroner.", sha256="cd" * 32)


def test_only_the_dateline_paragraph_carries_the_documents_date_and_place():
    contexts = paragraph_texts([BRIDGE])
    assert contexts[0].endswith("(Reported in Oslo on 1 March 2024.)")
    assert "Oslo" not in contexts[1] and "2024" not in contexts[1]
    lexical = lexical_texts([BRIDGE])
    assert len(lexical) == len(sentence_texts([BRIDGE])) == 3
    assert all(text.endswith("Oslo 2024-03-01") for text in lexical[:2])
    # The pronoun sentence carries the one before it; the next paragraph starts afresh.
    assert lexical[1].startswith("It will cost 40 million kroner. It will cost 40 million kroner. Oslo - The council")
    assert lexical[2] == " ".join([sentence_texts([BRIDGE])[2]] * 2)
    # The vocabulary learns what the documents say, and the titles, not the added metadata.
    assert "Reported" not in " ".join(vocabulary_texts([BRIDGE, FERRY]))
    assert "Ferries" in vocabulary_texts([BRIDGE, FERRY])[-1]


def test_the_chunk_table_gives_back_what_was_written(tmp_path):
    path = tmp_path / "chunks.sqlite"
    ChunkStore.write(path, [BRIDGE, FERRY], [SkippedFile("photo.txt", "not text")], {"people": [{"name": "Kari"}]})
    chunks = ChunkStore(path)
    try:
        assert chunks.read_documents() == (BRIDGE, FERRY)
        assert [d.doc for d in chunks.documents] == ["bridge.txt", "ferry.md"]
        assert chunks.skipped == {"photo.txt": "not text"} and chunks.extras == {"people": [{"name": "Kari"}]}
        assert chunks.sentence_paragraph.tolist() == [0, 0, 1, 2, 2]
        assert chunks.paragraph_doc.tolist() == [0, 0, 1] and chunks.paragraph_number.tolist() == [1, 2, 1]
        sid = chunks.find_sentence("ferry.md", 1, 2)
        passage = chunks.passage(sid, 0.5)
        assert (passage.doc, passage.paragraph, passage.sentence, passage.text) == ("ferry.md", 1, 2, "Tickets cost 5 kroner.")
        assert passage.paragraph_text[passage.sentence_start : passage.sentence_end] == passage.text
        assert chunks.sentence_texts([sid, 0]) == {sid: "Tickets cost 5 kroner.", 0: BRIDGE.paragraphs[0].sentences[0].text}
        assert chunks.find_sentence("ferry.md", 1, 9) is None
    finally:
        chunks.close()


def test_a_passage_read_back_cites_its_page_section_and_source(tmp_path):
    from dataclasses import replace

    from retrieval.models import Paragraph, Sentence

    def para(number: int, text: str, page: int) -> Paragraph:
        return Paragraph("report.pdf", number, text, (Sentence("report.pdf", number, 1, text, 0, len(text)),),
                         page=page, section="Funding" if number > 1 else None)

    report = replace(
        FERRY, doc="report.pdf", title="Annual report", pages=2, url="https://harbour.example/report.pdf",
        paragraphs=(para(1, "Ferries ran all year.", 1), para(2, "The fund paid for the quay.", 1),
                    para(3, "Dredging is planned.", 2), para(4, "The board agreed.", 2)),
    )
    path = tmp_path / "chunks.sqlite"
    ChunkStore.write(path, [FERRY, report], [], {})
    chunks = ChunkStore(path)
    try:
        assert chunks.read_documents() == (FERRY, report)
        assert [d.url for d in chunks.documents] == [None, "https://harbour.example/report.pdf"]
        passage = chunks.passage(chunks.find_sentence("report.pdf", 4, 1), 0.5)
        # ¶ counts within the page: paragraph 4 of the document is the second on page 2.
        assert (passage.paragraph, passage.page, passage.section, passage.url) == (4, 2, "Funding", report.url)
        assert passage.citation == "Annual report, § Funding, p. 2, ¶2"
        ferry = chunks.passage(chunks.find_sentence("ferry.md", 1, 1), 0.5)
        # The heading "# Ferries" is the title, so no section: a plain citation, as before.
        assert (ferry.url, ferry.page, ferry.section, ferry.citation) == (None, None, None, "Ferries, ¶1")
    finally:
        chunks.close()
