"""The one citation format: unchanged for plain documents, naming section and page when known."""

from retrieval.models import citation_for


def test_plain_citation_is_unchanged() -> None:
    assert citation_for("Talks in Doha", "2025-01-23", 7) == "Talks in Doha, 2025-01-23, ¶7"
    assert citation_for("Talks in Doha", None, 3) == "Talks in Doha, ¶3"


def test_citation_names_the_section_and_the_page() -> None:
    assert citation_for("Harbour news", None, 2, section="Funding") == "Harbour news, § Funding, ¶2"
    assert citation_for("Annual report", "2024-05-01", 2, page=3) == "Annual report, 2024-05-01, p. 3, ¶2"
    assert citation_for("Annual report", None, 1, page=12, section="Outlook") == "Annual report, § Outlook, p. 12, ¶1"
    assert citation_for("Notes", None, 4, page=None, section="") == "Notes, ¶4"


def test_the_cited_number_counts_within_the_page_else_the_section() -> None:
    from retrieval.documents.loading import parse_document
    from retrieval.models import local_numbers

    notes = parse_document(
        "notes.md",
        "# Harbour notes\n\nIntro one.\n\nIntro two.\n\n## Funding\n\nFund one.\n\nFund two.\n\n"
        "## Ferries\n\nFerry one.\n\n## Funding\n\nFunding again.",
    )
    assert [p.section for p in notes.paragraphs] == [None, None, "Funding", "Funding", "Ferries", "Funding"]
    # A heading that comes back starts its count afresh: the reader looks under that heading.
    assert local_numbers(notes.paragraphs) == (1, 2, 1, 2, 1, 1)
    assert notes.where(4) == {"page": None, "section": "Funding", "local_paragraph": 2}
    plain = parse_document("plain.txt", "One.\n\nTwo.\n\nThree.")
    assert local_numbers(plain.paragraphs) == (1, 2, 3)  # no pages, no headings: the document's numbers
