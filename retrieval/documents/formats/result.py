"""What every format's extractor returns: the same shape whatever the file was."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    """One paragraph of prose, in reading order, with where it sits in the source."""

    text: str  # whitespace folded to single spaces
    page: int | None = None  # 1-based page of a PDF where the paragraph starts
    section: str | None = None  # the heading it stands under (Markdown, HTML, Word, PDF)


@dataclass(frozen=True)
class Extracted:
    """A document's text and metadata before sentence splitting."""

    blocks: tuple[Block, ...]
    title: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    place: str | None = None  # from a dateline such as ``Doha - ...``
    author: str | None = None
    site: str | None = None  # the site's name for a web page ("The Coastal Herald")
    url: str | None = None  # where it came from, when known
    pages: int | None = None  # a PDF's page count


def fold(text: str) -> str:
    """Whitespace of any kind (line breaks, tabs, no-break spaces) folded to single spaces."""
    return " ".join(text.split())
