"""Reading documents as communities have them: PDF, Word, saved web pages, Markdown.

Every file here is real: made by reportlab or python-docx once per session, or a saved page
in tests/data. Each test checks what a reader would see: the paragraphs, in order, with the
page or heading they belong to, and nothing of the page furniture around them.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from make_documents import Typeset, encrypted_pdf, image_only_pdf, two_column_pdf, word_document
from retrieval.documents.formats import extract, word
from retrieval.documents.loading import load_documents
from retrieval.errors import DocumentUnreadable

DATA = Path(__file__).parent / "data"

_SUBJECTS = ["The harbour council", "The ferry operator", "The fisheries board", "The regional transport fund",
             "Engineers from the road agency", "The island's residents"]
_VERBS = ["approved", "questioned", "postponed", "welcomed", "financed", "reviewed"]
_OBJECTS = ["the maintenance of the northern landing stage", "an environmental assessment of the breakwater",
            "the administration of summer timetables", "new infrastructure for the fishing fleet",
            "a replacement for the waiting room", "the cost of dredging the approach channel"]


def _paragraph(rng: random.Random) -> str:
    return " ".join(
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} in "
        f"{rng.choice(['March', 'April', 'May', 'June'])} {2020 + rng.randrange(5)}."
        for _ in range(rng.randrange(2, 7))
    )


@pytest.fixture(scope="session")
def report() -> Typeset:
    """Three pages in two columns under three headings, with a running header ("Page n of
    3"), a running footer and a bare page number on each page."""
    rng = random.Random(4)
    items: list[tuple[str, str]] = []
    for heading, count in (("Ferries", 8), ("Funding", 10), ("Outlook", 6)):
        items.append(("h", heading))
        items += [("p", _paragraph(rng)) for _ in range(count)]
    return two_column_pdf(items)


# ---- PDF ---------------------------------------------------------------------------------


def test_pdf_paragraphs_in_reading_order_with_their_page_and_section(report: Typeset) -> None:
    # The layout this must survive, or the test proves nothing:
    assert report.pages == 3
    assert report.across_columns and report.across_pages and report.hyphenated
    extracted = extract("report.pdf", report.pdf)
    assert extracted.title == "Harbour Council Annual Report 2024"
    # Every paragraph whole and in order: the left column before the right, paragraphs that
    # run on into the next column or page joined, hyphenated words mended.
    assert [(b.text, b.page, b.section) for b in extracted.blocks] == report.paragraphs


def test_pdf_running_headers_footers_and_page_numbers_are_dropped(report: Typeset) -> None:
    text = " ".join(b.text for b in extract("report.pdf", report.pdf).blocks)
    assert "HARBOUR COUNCIL" not in text and "Page 2 of 3" not in text
    assert "published by the council" not in text
    assert not any(b.text.isdigit() for b in extract("report.pdf", report.pdf).blocks)


def test_one_page_pdf_drops_header_and_footer_in_small_type() -> None:
    # One page: nothing repeats, so what marks the furniture is small type in the margins.
    page = two_column_pdf([("p", "The ferry resumed on Friday."), ("p", "Tickets cost five kroner.")], title="Notice")
    assert page.pages == 1
    assert [(b.text, b.page) for b in extract("notice.pdf", page.pdf).blocks] == [
        ("The ferry resumed on Friday.", 1), ("Tickets cost five kroner.", 1)]


def test_pdf_hyphenated_line_ends_are_joined(report: Typeset) -> None:
    text = " ".join(b.text for b in extract("report.pdf", report.pdf).blocks)
    for word_ in report.hyphenated:
        assert word_ in text
    assert "-" not in text  # the text has no hyphens of its own: every one was a line end


def test_scanned_pdf_without_text_is_refused_with_that_reason() -> None:
    with pytest.raises(DocumentUnreadable, match="without a text layer"):
        extract("scan.pdf", image_only_pdf())


def test_pdf_that_needs_a_password_is_refused(report: Typeset) -> None:
    with pytest.raises(DocumentUnreadable, match="encrypted PDF: it needs a password"):
        extract("locked.pdf", encrypted_pdf(report.pdf, "secret"))


def test_pdf_encrypted_only_against_changes_opens_for_anyone(report: Typeset) -> None:
    # An empty user password: any viewer opens it (only printing or copying is "restricted").
    extracted = extract("restricted.pdf", encrypted_pdf(report.pdf, ""))
    assert [b.text for b in extracted.blocks] == [p[0] for p in report.paragraphs]


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda pdf: pdf[: len(pdf) // 2], "damaged PDF"),
        (lambda pdf: b"%PDF-1.4\n" + bytes(range(256)) * 8, "damaged PDF"),
        (lambda pdf: b"Dear council, this is a letter saved with the wrong name.", "not a PDF file"),
    ],
    ids=["truncated", "garbage", "not-a-pdf"],
)
def test_damaged_pdf_is_refused_with_that_reason(report: Typeset, damage, reason: str) -> None:
    with pytest.raises(DocumentUnreadable, match=reason):
        extract("broken.pdf", damage(report.pdf))


# ---- Word ------------------------------------------------------------------------------------

STATEMENT = [
    ("title", "Statement on the ferry timetable"),
    ("p", "The harbour council met on Tuesday to agree the summer timetable."),
    ("h1", "Funding"),
    ("p", "The regional transport fund pays for two extra crossings a day."),
    ("table", [["Crossing", "Departs", "Fare"], ["Morning", "07:15", "5 kr"], ["Evening", "19:40", "5 kr"]]),
    ("h2", "Next steps"),
    ("p", "A review of the timetable is planned for October."),
]


@pytest.fixture(scope="session")
def statement() -> bytes:
    return word_document(STATEMENT)


def test_word_paragraphs_headings_and_tables_in_order(statement: bytes) -> None:
    extracted = extract("statement.docx", statement)
    assert extracted.title == "Statement on the ferry timetable"
    assert [(b.text, b.section) for b in extracted.blocks] == [
        ("The harbour council met on Tuesday to agree the summer timetable.", None),
        ("The regional transport fund pays for two extra crossings a day.", "Funding"),
        ("Crossing | Departs | Fare", "Funding"),
        ("Morning | 07:15 | 5 kr", "Funding"),
        ("Evening | 19:40 | 5 kr", "Funding"),
        ("A review of the timetable is planned for October.", "Next steps"),
    ]
    # python-docx stamps its template's 2013 date and its own name: neither is the author's.
    assert extracted.date is None and extracted.author is None


def test_word_merged_cells_are_read_once() -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Summer timetable"
    for c, text in enumerate(["Morning", "Noon", "Evening"]):
        table.cell(1, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    assert [b.text for b in extract("t.docx", buffer.getvalue()).blocks] == ["Summer timetable", "Morning | Noon | Evening"]


def _zip_of_zeros(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            for _ in range(size >> 20):
                member.write(bytes(1 << 20))
    return buffer.getvalue()


def test_word_file_that_unpacks_too_large_is_refused_unread(monkeypatch) -> None:
    bomb = _zip_of_zeros(8 << 20)
    assert len(bomb) < 64 * 1024  # 8 MiB of zeros packs into a few KiB
    monkeypatch.setattr(word, "MAX_UNPACKED_BYTES", 1 << 20)
    with pytest.raises(DocumentUnreadable) as info:
        extract("bomb.docx", bomb)
    assert "unpacks to 8.0 MiB (word/document.xml alone 8.0 MiB); the limit is 1.0 MiB" in str(info.value)


def test_word_file_that_is_not_a_zip_is_refused() -> None:
    with pytest.raises(DocumentUnreadable, match="damaged Word file"):
        extract("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))  # a .doc renamed


# ---- web pages -------------------------------------------------------------------------------


def test_saved_news_page_keeps_the_article_and_drops_menus_ads_and_comments() -> None:
    extracted = extract("ferry.html", (DATA / "news_article.html").read_bytes())
    assert extracted.title == "Ferry service returns to the harbour after winter repairs"
    assert (extracted.date, extracted.author, extracted.site) == ("2024-05-17", "Maria Jensen", "The Coastal Herald")
    assert extracted.url == "https://herald.example/news/2024/05/ferry-returns"
    texts = [b.text for b in extracted.blocks]
    assert texts[0].startswith("The ferry between the old harbour and Little Holm island resumed on Friday")
    assert texts[-1] == "“I have waited all winter for this boat,” said Berg, who works at the island’s bakery."
    assert len(texts) == 6
    page = " ".join(texts)
    for furniture in ("cookies", "Subscribe", "ADVERTISEMENT", "Turbo Blender", "Share on", "newsletter",
                      "Related stories", "Bridge closed", "islandfan77", "far too expensive", "bicycles",
                      "All rights reserved", "Privacy policy"):
        assert furniture not in page, furniture


def test_web_page_headings_become_sections() -> None:
    extracted = extract("ferry.htm", (DATA / "news_article.html").read_bytes())
    assert [b.section for b in extracted.blocks] == [None, None, "Funding", "Funding", "What passengers said", "What passengers said"]


def test_web_page_metadata_from_json_ld() -> None:
    extracted = extract("bridge.html", (DATA / "json_ld_article.html").read_bytes())
    assert (extracted.title, extracted.date, extracted.author, extracted.site) == (
        "Bridge closed for inspection until June", "2024-04-02", "Ole Lund", "Island Weekly")
    assert len(extracted.blocks) == 3 and "Seal pup" not in " ".join(b.text for b in extracted.blocks)


def test_web_page_date_is_never_guessed_from_a_copyright_line() -> None:
    page = b"""<html><head><title>Minutes</title></head><body><h2>Agenda</h2>
    <p>The council met on Tuesday to discuss the harbour budget and the ferry timetable for the summer.</p>
    <p>Footer text, copyright 2019 Harbour Council.</p></body></html>"""
    extracted = extract("minutes.html", page)
    assert extracted.date is None
    assert extracted.blocks[0].section == "Agenda"


def test_web_page_without_text_is_refused() -> None:
    with pytest.raises(DocumentUnreadable, match="no article text"):
        extract("empty.html", b"<html><head><title>x</title></head><body><nav><a href='/'>Home</a></nav></body></html>")


# ---- Markdown --------------------------------------------------------------------------------


def test_markdown_headings_become_sections_and_text_under_a_heading_is_kept() -> None:
    text = b"# Harbour news\n\nThe ferry runs again.\n\n## Funding\nThe fund paid 3.2 million.\n\nThe board added a grant.\n\n### Next\n\nA review in October.\n"
    extracted = extract("news.md", text)
    assert extracted.title == "Harbour news"
    assert [(b.text, b.section) for b in extracted.blocks] == [
        ("The ferry runs again.", None),
        ("The fund paid 3.2 million.", "Funding"),  # written straight under its heading
        ("The board added a grant.", "Funding"),
        ("A review in October.", "Next"),
    ]


# ---- the loader --------------------------------------------------------------------------------


def test_loader_reads_every_format_and_skips_the_unreadable_with_the_reason(tmp_path, report, statement, monkeypatch) -> None:
    (tmp_path / "report.pdf").write_bytes(report.pdf)
    (tmp_path / "statement.docx").write_bytes(statement)
    (tmp_path / "ferry.html").write_bytes((DATA / "news_article.html").read_bytes())
    (tmp_path / "notes.md").write_text("# Notes\n\n## Ferries\n\nThe ferry runs hourly.\n")
    (tmp_path / "scan.pdf").write_bytes(image_only_pdf())
    (tmp_path / "locked.pdf").write_bytes(encrypted_pdf(report.pdf, "secret"))
    (tmp_path / "bomb.docx").write_bytes(_zip_of_zeros(2 << 20))
    monkeypatch.setattr(word, "MAX_UNPACKED_BYTES", 1 << 20)
    result = load_documents(tmp_path)

    documents = {d.doc: d for d in result.documents}
    assert sorted(documents) == ["ferry.html", "notes.md", "report.pdf", "statement.docx"]
    skipped = {s.name: s.reason for s in result.skipped}
    assert "without a text layer" in skipped.pop("scan.pdf")
    assert "needs a password" in skipped.pop("locked.pdf")
    assert "unpacks to 2.0 MiB" in skipped.pop("bomb.docx")
    assert not skipped

    pdf = documents["report.pdf"]
    assert [(p.number, p.page, p.section) for p in pdf.paragraphs] == [
        (n, page, section) for n, (_, page, section) in enumerate(report.paragraphs, start=1)
    ]
    assert all(s.text == p.text[s.start : s.end] for p in pdf.paragraphs for s in p.sentences)
    html = documents["ferry.html"]
    assert (html.title, html.date, html.author, html.site) == (
        "Ferry service returns to the harbour after winter repairs", "2024-05-17", "Maria Jensen", "The Coastal Herald")
    assert html.url == "https://herald.example/news/2024/05/ferry-returns"
    assert documents["statement.docx"].paragraphs[2].text == "Crossing | Departs | Fare"
    assert documents["notes.md"].paragraphs[0].section == "Ferries"


def test_a_file_the_library_trips_over_is_skipped_not_fatal(tmp_path, report, monkeypatch) -> None:
    from retrieval.documents.formats import pdf

    (tmp_path / "report.pdf").write_bytes(report.pdf)
    (tmp_path / "notes.md").write_text("# Notes\n\nThe ferry runs hourly.\n")

    def trips(data: bytes, url: str | None = None):
        raise KeyError("/Kids")  # what pypdf raises on some broken page trees

    monkeypatch.setattr(pdf, "extract", trips)
    result = load_documents(tmp_path)
    assert [d.doc for d in result.documents] == ["notes.md"]
    assert [(s.name, s.reason) for s in result.skipped] == [("report.pdf", "reading it as a PDF failed (KeyError: '/Kids')")]


def test_unchanged_pdf_word_and_web_pages_are_not_read_again_at_a_reindex(tmp_path, report, statement, monkeypatch) -> None:
    from retrieval.documents.formats import html, pdf
    from retrieval.documents.formats.cache import ExtractCache

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "report.pdf").write_bytes(report.pdf)
    (seeds / "statement.docx").write_bytes(statement)
    (seeds / "ferry.html").write_bytes((DATA / "news_article.html").read_bytes())
    (seeds / "notes.md").write_text("# Notes\n\nThe ferry runs hourly.\n")
    with ExtractCache(tmp_path / "extracts.sqlite") as cache:
        first = load_documents(seeds, extracts=cache)
        assert len(cache) == 3  # text is read faster than a cache is asked: not kept

    def unread(data: bytes, url: str | None = None):
        raise AssertionError("read again")

    for module in (pdf, word, html):
        monkeypatch.setattr(module, "extract", unread)
    with ExtractCache(tmp_path / "extracts.sqlite") as cache:
        assert load_documents(seeds, extracts=cache).documents == first.documents
    # A changed file is read again (and here the reader refuses, so it is skipped).
    (seeds / "ferry.html").write_bytes((DATA / "json_ld_article.html").read_bytes())
    with ExtractCache(tmp_path / "extracts.sqlite") as cache:
        again = load_documents(seeds, extracts=cache)
    assert [(s.name, "read again" in s.reason) for s in again.skipped] == [("ferry.html", True)]


def test_questions_are_answered_from_pdf_word_and_web_pages(make_citebot, statement) -> None:
    # Small documents: indexing runs the models over every sentence.
    minutes = two_column_pdf([
        ("h", "Dredging"),
        ("p", "The fisheries board financed the dredging of the approach channel in March."),
        ("p", "The work took three weeks and closed the harbour mouth at night."),
    ], title="Harbour board minutes")
    citebot = make_citebot({
        "minutes.pdf": minutes.pdf,
        "statement.docx": statement,
        "ferry.html": (DATA / "news_article.html").read_bytes(),
    })
    citebot.ensure_index()
    answer = citebot.ask("How much did the landing stage repairs cost?")
    assert answer.answered and answer.results[0].doc == "ferry.html"
    assert "3.2 million kroner" in answer.results[0].text
    answer = citebot.ask("When is the review of the timetable planned?")
    assert answer.results[0].doc == "statement.docx" and "October" in answer.results[0].text
    answer = citebot.ask("Who paid for dredging the approach channel?")
    assert answer.results[0].doc == "minutes.pdf" and answer.results[0].paragraph == 1
    assert answer.results[0].text == minutes.paragraphs[0][0]
