"""Answers cite where a passage is: the page of a PDF, the section of a heading, the URL of
a fetched page — in the CLI's JSON, on the console and in quotes and mentions.

One index over a PDF, a Word file, a Markdown file and a page fetched from a server on
127.0.0.1, built once for the module.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from make_documents import MINUTES_TITLE, minutes_pdf, timetable_docx
from retrieval.api import Citebot
from retrieval.documents.adding import add_url
from retrieval.settings import Settings
from webserver import Server, send

NEWS = (Path(__file__).parent / "data" / "news_article.html").read_bytes()
NEWS_TITLE = "Ferry service returns to the harbour after winter repairs"
NOTES = """# Quay works

The quay works started in the spring.

## Costs

The quay council set aside money for the works.

The new quay crane cost 640,000 kroner, the council's treasurer said.
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("cited")
    seeds = base / "seeds"
    seeds.mkdir()
    (seeds / "minutes.pdf").write_bytes(minutes_pdf().pdf)
    (seeds / "timetable.docx").write_bytes(timetable_docx())
    (seeds / "quay.md").write_text(NOTES)
    server = Server()
    server.routes["/news/ferry"] = lambda handler, seen: send(handler, 200, NEWS)
    url = server.url("/news/ferry")
    try:
        add_url(seeds, url, max_bytes=1 << 20, allow_private=True)
    finally:
        server.close()  # the index is built without the network
    citebot = Citebot(Settings(seeds_dir=seeds, index_dir=base / "index"), embedder=embedder)
    citebot.ensure_index()
    return citebot, url


@pytest.fixture
def cli(library, monkeypatch):
    citebot, _ = library
    monkeypatch.setenv("CITEBOT_SEEDS_DIR", str(citebot.settings.seeds_dir))
    monkeypatch.setenv("CITEBOT_INDEX_DIR", str(citebot.settings.index_dir))

    def run(*argv: str) -> str:
        out = io.StringIO()
        assert main(list(argv), out=out) == 0
        return out.getvalue()

    return run


def best(cli, question: str) -> dict:
    return json.loads(cli("ask", "--json", question))["results"][0]


def test_a_pdf_answer_cites_its_page_and_the_paragraph_within_the_page(cli) -> None:
    result = best(cli, "How much does the LED lantern for the lighthouse cost?")
    assert result["doc"] == "minutes.pdf" and "18,000 kroner" in result["text"]
    # The fourth paragraph of the document is the second on page 2: the JSON keeps the
    # document's number, the citation counts within the page.
    assert (result["paragraph"], result["page"], result["section"], result["url"]) == (4, 2, "Lighthouse", None)
    assert result["citation"] == f"{MINUTES_TITLE}, § Lighthouse, p. 2, ¶2"


def test_markdown_and_word_answers_cite_their_section(cli) -> None:
    result = best(cli, "What did the quay crane cost?")
    assert (result["doc"], result["paragraph"], result["page"], result["section"]) == ("quay.md", 3, None, "Costs")
    assert result["citation"] == "Quay works, § Costs, ¶2"
    result = best(cli, "How much is a bicycle ticket?")
    assert (result["doc"], result["paragraph"], result["section"]) == ("timetable.docx", 3, "Bicycles")
    assert result["citation"] == "Summer timetable statement, § Bicycles, ¶2"


def test_a_fetched_page_is_cited_by_section_with_its_url(cli, library) -> None:
    _, url = library
    result = best(cli, "How much did the repairs to the landing stage cost?")
    assert "3.2 million kroner" in result["text"]
    assert (result["url"], result["page"], result["section"]) == (url, None, "Funding")
    assert result["citation"] == f"{NEWS_TITLE}, 2024-05-17, § Funding, ¶1"
    # The console shows the URL after the citation.
    text = cli("ask", "How much did the repairs to the landing stage cost?")
    assert f"— {NEWS_TITLE}, 2024-05-17, § Funding, ¶1 <{url}>" in text


def test_quotes_and_mentions_carry_url_page_and_section(cli, library) -> None:
    _, url = library
    quotes = json.loads(cli("quote", "--json", "waited all winter"))["quotes"]
    quote = next(q for q in quotes if "waited all winter" in q["text"])
    assert (quote["url"], quote["page"], quote["section"]) == (url, None, "What passengers said")
    assert quote["citation"] == f"{NEWS_TITLE}, 2024-05-17, § What passengers said, ¶2"
    assert f"§ What passengers said, ¶2 <{url}>" in cli("quote", "waited all winter")
    (person,) = json.loads(cli("who", "--json", "Anna Holm"))["people"]
    assert {"doc": f"{NEWS_TITLE}.html", "paragraph": 4, "page": None, "section": "Funding"} in person["mentions"]


def test_documents_without_pages_or_headings_keep_null_fields(cli, library) -> None:
    citebot, _ = library
    result = best(cli, "When did the quay works start?")
    assert (result["doc"], result["page"], result["section"], result["url"]) == ("quay.md", None, None, None)
    assert result["citation"] == "Quay works, ¶1"
    assert {s.doc: s.url for s in citebot.sources()}[f"{NEWS_TITLE}.html"] == library[1]
