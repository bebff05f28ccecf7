"""Web pages and ``.html``/``.htm`` files, through trafilatura (Apache-2.0).

trafilatura finds the article in a page (menus, ads, related links, share buttons and
comments left out) and reads title, author, date and site name from its metadata (meta tags,
JSON-LD, ``<time>``). Its XML output keeps the structure: ``<head>`` elements are headings,
which become sections; paragraphs, list items, quotes and table rows become blocks.
(``bare_extraction`` hands over that tree as it is, before it is written out as XML.)
"""

from __future__ import annotations

import logging
import re

from ...errors import DocumentUnreadable, first_line
from .result import Block, Extracted, fold
from .text import dateline_place

log = logging.getLogger(__name__)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Elements of trafilatura's XML that hold one block of prose each.
_PROSE = {"p", "item", "quote", "code"}
# Elements that hold blocks: walked into, never read whole.
_CONTAINERS = {"list", "table", "div", "section", "main", "body"}


def extract(data: bytes, url: str | None = None) -> Extracted:
    import trafilatura

    if not data.strip():
        raise DocumentUnreadable("empty file")
    try:
        # bare_extraction, not extract(output_format="xml"): the same tree, without
        # serialising it to parse it again and the content fingerprint (40% of the time).
        found = trafilatura.bare_extraction(
            data,
            url=url,
            output_format="xml",
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            # A document a moderator chose: losing a paragraph is worse than keeping a caption.
            favor_recall=True,
            # Only dates the page states (meta tags, <time>, JSON-LD), never one guessed from
            # the text: a "© 2019" footer is not the article's date.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # trafilatura and lxml raise many types on hostile markup
        raise DocumentUnreadable(f"not a readable web page ({type(exc).__name__}: {first_line(exc)})") from None
    body = getattr(found, "body", None)
    title = _meta(found, "title")
    blocks = _blocks(body, title) if body is not None else ()
    if not blocks:
        raise DocumentUnreadable("no article text found in the web page")
    date = _meta(found, "date")
    return Extracted(
        blocks,
        title=title,
        date=date if date and _ISO_DATE.match(date) else None,
        place=dateline_place(blocks[0].text),
        author=_meta(found, "author"),
        site=_meta(found, "sitename"),
        url=url or _meta(found, "url"),
    )


def _meta(found, name: str) -> str | None:
    value = fold(str(getattr(found, name, None) or ""))
    return value or None


def _text(element) -> str:
    return fold(" ".join(element.itertext()))


def _own_text(element) -> str:
    """The text of ``element`` without what its nested blocks hold (they are blocks of their own)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag not in _PROSE and child.tag not in _CONTAINERS:
            parts.extend(child.itertext())
        parts.append(child.tail or "")
    return fold(" ".join(parts))


def _blocks(main, title: str | None) -> tuple[Block, ...]:
    blocks: list[Block] = []
    section: str | None = None

    def walk(element) -> None:
        nonlocal section
        for child in element:
            tag = child.tag
            if tag == "head":
                heading = _text(child)
                # The page's own headline repeats its title: it names no section.
                if heading and heading != title:
                    section = heading
            elif tag == "row":
                cells = (_text(cell) for cell in child if cell.tag == "cell")
                if row := " | ".join(c for c in cells if c):
                    blocks.append(Block(row, section=section))
            elif tag in _PROSE:
                if text := _own_text(child):
                    blocks.append(Block(text, section=section))
                walk(child)
            elif tag in _CONTAINERS:
                walk(child)

    if main is not None:
        walk(main)
    return tuple(blocks)
