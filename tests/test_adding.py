"""Adding a document from a path or a URL (``add_source``, what ``citebot add`` runs), and the
line a moderator is told about it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.console import added_to_text
from make_documents import MINUTES_TITLE, minutes_pdf, timetable_docx
from retrieval.documents.adding import add_source, add_url, looks_like_url
from retrieval.documents.loading import load_documents
from retrieval.errors import CitebotError, FetchRefused, SeedRejected
from retrieval.settings import Settings
from webserver import PUBLIC, FakeNetwork, redirect, send

DATA = Path(__file__).parent / "data"
NEWS = (DATA / "news_article.html").read_bytes()
NEWS_TITLE = "Ferry service returns to the harbour after winter repairs"
MB = 1 << 20


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(seeds: Path) -> Settings:
    return Settings(seeds_dir=seeds, index_dir=seeds.parent / "index", max_document_bytes=MB)


def test_a_local_pdf_is_copied_and_its_pages_counted(seeds, settings, tmp_path) -> None:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(minutes_pdf().pdf)
    stored = add_source(seeds, str(path), settings=settings)
    assert (seeds / "minutes.pdf").read_bytes() == minutes_pdf().pdf and stored.source is None
    assert (stored.title, stored.date, stored.paragraphs, stored.pages) == (MINUTES_TITLE, None, 4, 2)
    assert added_to_text(stored) == f"Saved minutes.pdf: “{MINUTES_TITLE}”, no date found, 4 paragraphs on 2 pages."


def test_a_local_word_file_and_a_saved_page_are_added(seeds, settings, tmp_path) -> None:
    (tmp_path / "timetable.docx").write_bytes(timetable_docx())
    (tmp_path / "ferry.html").write_bytes(NEWS)
    word = add_source(seeds, str(tmp_path / "timetable.docx"), settings=settings)
    page = add_source(seeds, str(tmp_path / "ferry.html"), settings=settings)
    assert added_to_text(word) == "Saved timetable.docx: “Summer timetable statement”, no date found, 5 paragraphs."
    # A saved page keeps the address it names for itself, though it was not fetched.
    assert page.url == "https://herald.example/news/2024/05/ferry-returns"
    assert added_to_text(page) == f"Saved ferry.html: “{NEWS_TITLE}”, 2024-05-17, 6 paragraphs."
    again = add_source(seeds, str(tmp_path / "ferry.html"), settings=settings, replace=True)
    assert added_to_text(again).startswith("Replaced ferry.html:")


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda tmp: tmp / "missing.txt", "there is no file"),
        (lambda tmp: (tmp / "folder.txt").mkdir() or tmp / "folder.txt", "is a folder, not a file"),
        (lambda tmp: (tmp / "photo.png").write_bytes(b"\x89PNG") and tmp / "photo.png", "only .txt or .md"),
        (lambda tmp: (tmp / "big.txt").write_bytes(b"word " * (MB // 4)) and tmp / "big.txt", "the limit is 1.0 MiB"),
        (lambda tmp: (tmp / "scan.pdf").write_bytes(b"%PDF-1.4 nothing") and tmp / "scan.pdf", "scan.pdf: a damaged PDF"),
    ],
)
def test_a_local_path_that_is_no_document_is_refused_in_one_line(seeds, settings, tmp_path, make, reason) -> None:
    with pytest.raises(SeedRejected) as info:
        add_source(seeds, str(make(tmp_path)), settings=settings)
    assert reason in str(info.value) and "\n" not in str(info.value)
    assert list(seeds.iterdir()) == []


def test_a_url_is_fetched_stored_with_its_source_and_summarised(seeds, settings, server) -> None:
    server.routes["/news/ferry"] = lambda handler, seen: send(handler, 200, NEWS)
    url = server.url("/news/ferry")
    with pytest.raises(FetchRefused, match="loopback"):
        add_source(seeds, url, settings=settings)  # CITEBOT_FETCH_ALLOW_PRIVATE is off
    assert list(seeds.iterdir()) == []
    stored = add_source(seeds, url, settings=replace(settings, fetch_allow_private=True))
    assert stored.path == seeds / f"{NEWS_TITLE}.html" and stored.path.read_bytes() == NEWS
    assert json.loads(stored.source.read_text())["url"] == url
    # Fetched, the page's address is where it was fetched from, and the summary says so.
    assert stored.url == url
    assert added_to_text(stored) == f"Saved {NEWS_TITLE}.html from {url}: “{NEWS_TITLE}”, 2024-05-17, 6 paragraphs."
    server.close()
    (document,) = load_documents(seeds).documents  # read back without the network
    assert document.url == url and document.date == "2024-05-17"


def test_a_redirect_to_a_private_address_is_refused_and_nothing_stored(seeds, server) -> None:
    server.routes["/story"] = redirect("http://10.0.0.7/admin")
    network = FakeNetwork(server, {"news.example": [PUBLIC]})
    with pytest.raises(FetchRefused, match=r"10\.0\.0\.7 is a private address"):
        add_url(seeds, server.url("/story", "news.example"), max_bytes=MB, network=network)
    assert network.connected == [PUBLIC] and list(seeds.iterdir()) == []


@pytest.mark.parametrize("text", ["ftp://files.example/a.pdf", "file:///etc/passwd", "javascript://x"])
def test_anything_with_a_scheme_is_a_url_and_only_http_is_fetched(seeds, settings, text) -> None:
    assert looks_like_url(text)
    with pytest.raises(FetchRefused, match="only http and https URLs are fetched"):
        add_source(seeds, text, settings=settings)


def test_paths_are_not_urls() -> None:
    assert not any(looks_like_url(p) for p in ("notes.txt", "/tmp/a.pdf", "C:\\docs\\a.docx", "./http:/x.md"))


def test_a_summary_cuts_a_runaway_title_and_spells_out_hidden_characters(seeds, settings, tmp_path) -> None:
    path = tmp_path / "long.md"
    path.write_text("# " + "Harbour \u202eword " * 40 + "\n\nThe ferry runs daily.\n")
    line = added_to_text(add_source(seeds, str(path), settings=settings))
    assert "\u202e" not in line and "<U+202E>" in line
    assert "…”" in line and len(line) < 400 and line.endswith("no date found, 1 paragraph.")


def test_every_refusal_is_a_citebot_error(seeds, settings) -> None:
    for bad in ("", "   ", "https://", "http://[::1"):
        with pytest.raises(CitebotError):
            add_source(seeds, bad, settings=settings)
