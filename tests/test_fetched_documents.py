"""Storing what was fetched: the original bytes as the document, its source beside it.

``Fetched`` values are built here as ``fetch`` returns them (fetching itself is
test_fetch.py's); the loader then reads the folder with no network at all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from make_documents import two_column_pdf
from retrieval.documents.fetch import Fetched
from retrieval.documents.loading import load_documents, seed_fingerprint
from retrieval.documents.seeds import SeedRejected, add_document, add_fetched, fetched_name, list_documents, remove_document

DATA = Path(__file__).parent / "data"
URL = "https://herald.example/news/2024/05/ferry-returns?utm_source=share"
FINAL = "https://herald.example/news/2024/05/ferry-returns"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder


def _page(data: bytes | None = None, content_type: str = "text/html; charset=utf-8") -> Fetched:
    body = data if data is not None else (DATA / "news_article.html").read_bytes()
    return Fetched(URL, FINAL, content_type, body, "2026-12-01T10:00:00+00:00")


def test_fetched_page_is_stored_as_sent_with_its_source_and_read_offline(seeds: Path) -> None:
    fetched = _page()
    stored = add_fetched(seeds, fetched)
    assert stored.path == seeds / "Ferry service returns to the harbour after winter repairs.html"
    assert stored.path.read_bytes() == fetched.data  # the original bytes, not extracted text
    source = json.loads(stored.source.read_text())
    assert stored.source.name == stored.path.name + ".source.json"
    assert source["url"] == URL and source["final_url"] == FINAL
    assert source["fetched_at"] == "2026-12-01T10:00:00+00:00"
    assert source["content_type"] == "text/html; charset=utf-8" and source["size"] == len(fetched.data)
    # What the moderator is told, and what the index will hold.
    assert (stored.document.title, stored.document.date, len(stored.document.paragraphs)) == (
        "Ferry service returns to the harbour after winter repairs", "2024-05-17", 6)
    assert stored.document.doc == stored.path.name
    # The source file is not a document; the document gets the URL it was fetched from.
    assert list_documents(seeds) == [stored.path.name]
    (document,) = load_documents(seeds).documents
    assert document.url == FINAL and document.author == "Maria Jensen" and document.site == "The Coastal Herald"
    assert [p.text for p in document.paragraphs] == [p.text for p in stored.document.paragraphs]


def test_a_pdf_without_a_title_is_named_after_its_url(seeds: Path) -> None:
    pdf = two_column_pdf([("p", "The harbour council approved the budget for the summer season.")], title="", furniture=False).pdf
    stored = add_fetched(seeds, Fetched("https://council.example/files/budget-2024.pdf", "https://council.example/files/budget-2024.pdf",
                                        "application/pdf", pdf))
    assert stored.path.name == "budget-2024.pdf"
    assert load_documents(seeds).documents[0].paragraphs[0].page == 1


def test_an_existing_name_needs_replace_and_nothing_changes_without_it(seeds: Path) -> None:
    first = add_fetched(seeds, _page())
    before = {p.name: p.read_bytes() for p in seeds.iterdir()}
    newer = _page((DATA / "news_article.html").read_bytes().replace(b"five kroner", b"six kroner"))
    with pytest.raises(SeedRejected, match="already exists; use replace"):
        add_fetched(seeds, newer)
    assert {p.name: p.read_bytes() for p in seeds.iterdir()} == before
    again = add_fetched(seeds, newer, replace=True)
    assert again.path == first.path and again.path.read_bytes() == newer.data
    assert json.loads(again.source.read_text())["size"] == len(newer.data)
    assert "six kroner" in " ".join(p.text for p in load_documents(seeds).documents[0].paragraphs)


def test_a_name_given_must_have_the_suffix_of_the_type(seeds: Path) -> None:
    with pytest.raises(SeedRejected, match="must end in .html"):
        add_fetched(seeds, _page(), name="ferry.txt")
    assert add_fetched(seeds, _page(), name="ferry.html").path.name == "ferry.html"


def test_a_page_that_is_no_readable_document_is_refused_and_nothing_written(seeds: Path) -> None:
    with pytest.raises(SeedRejected, match="no article text"):
        add_fetched(seeds, _page(b"<html><body><nav><a href='/'>Home</a></nav></body></html>"))
    with pytest.raises(SeedRejected, match="damaged PDF"):
        add_fetched(seeds, _page(b"%PDF-1.4 truncated", "application/pdf"))
    assert list(seeds.iterdir()) == []


def test_a_document_edited_by_hand_no_longer_claims_its_url(seeds: Path) -> None:
    stored = add_fetched(seeds, _page())
    before = seed_fingerprint(seeds)
    stored.path.write_bytes(stored.path.read_bytes().replace(b"Twelve crossings", b"Ten crossings"))
    (document,) = load_documents(seeds).documents
    # The page never said "Ten crossings": the URL would vouch for text it does not have.
    # (The saved page's own canonical link is still what the page says about itself.)
    assert "Ten crossings" in document.paragraphs[1].text and document.url == "https://herald.example/news/2024/05/ferry-returns"
    assert seed_fingerprint(seeds) != before
    # Replaced by something else entirely: no URL at all.
    add_document(seeds, stored.path.name, b"<html><body><p>A different page about the bakery on the island, written by hand.</p></body></html>", replace=True)
    assert load_documents(seeds).documents[0].url is None


def test_a_changed_source_file_alone_makes_the_index_out_of_date(seeds: Path) -> None:
    stored = add_fetched(seeds, _page())
    before = seed_fingerprint(seeds)
    assert before == load_documents(seeds).hashes
    source = json.loads(stored.source.read_text())
    source["final_url"] = "https://herald.example/news/ferry"
    stored.source.write_text(json.dumps(source))
    assert seed_fingerprint(seeds) != before
    assert load_documents(seeds).documents[0].url == "https://herald.example/news/ferry"


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"url": "file:///etc/passwd"}'])
def test_an_unreadable_source_file_is_ignored(seeds: Path, content: bytes) -> None:
    stored = add_fetched(seeds, _page(b"<html><body><p>The ferry runs hourly from the old harbour to the island.</p></body></html>"))
    stored.source.write_bytes(content)
    (document,) = load_documents(seeds).documents
    assert document.url is None


def test_a_source_file_that_links_out_of_the_folder_is_never_read(seeds: Path, tmp_path: Path) -> None:
    stored = add_fetched(seeds, _page(b"The ferry runs hourly from the old harbour.\n", "text/plain"))
    assert load_documents(seeds).documents[0].url == FINAL
    outside = tmp_path / "secret.json"
    outside.write_text(stored.source.read_text())
    stored.source.unlink()
    os.symlink(outside, stored.source)
    assert load_documents(seeds).documents[0].url is None
    assert seed_fingerprint(seeds)[stored.source.name].startswith("skipped: a link leading outside")


def test_removing_a_fetched_document_moves_its_source_with_it(seeds: Path) -> None:
    first = add_fetched(seeds, _page())
    moved = remove_document(seeds, first.path.name)
    assert moved.read_bytes() == _page().data
    assert json.loads(moved.with_name(moved.name + ".source.json").read_text())["final_url"] == FINAL
    assert list(seeds.iterdir()) == []
    # Fetched and removed again: the second removed copy keeps its own source.
    second = add_fetched(seeds, _page())
    moved_again = remove_document(seeds, second.path.name)
    assert moved_again != moved and moved_again.with_name(moved_again.name + ".source.json").is_file()


@pytest.mark.parametrize(
    "title, url, name",
    [
        ("Ferry returns: what/why? <live>", URL, "Ferry returns what why live.html"),
        ("CON", "https://x.example/news/con-report", "con-report.html"),
        (None, "https://x.example/", "x.example.html"),
        ("..", "https://x.example/..", "x.example.html"),
        ("Ｆｅｒｒｙ ﬁnally\u200b back", URL, "Ferry finally back.html"),
        ("word " * 40, URL, ("word " * 16).strip() + ".html"),
    ],
)
def test_names_made_from_titles_and_urls_are_safe(title: str | None, url: str, name: str) -> None:
    assert fetched_name(title, url, ".html") == name
