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
