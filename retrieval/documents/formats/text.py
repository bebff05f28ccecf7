"""Plain text and Markdown: UTF-8 prose, paragraphs separated by blank lines.

A leading ``date YYYY-MM-DD`` header and a ``title:`` line or ``# Heading`` (in either order)
become metadata; a dateline (``Doha - ...``) gives the place and stays in the paragraph text
so a question about the place still finds it. Headings further down are section titles: the
paragraphs under one carry its text, and no heading is a paragraph to cite.
"""

from __future__ import annotations

import re
import unicodedata

from ...errors import DocumentUnreadable
from .result import Block, Extracted, fold

_DATE_HEADER = re.compile(r"^\s*date\s*:?\s*(\d{4}-\d{2}-\d{2})\b[ \t]*\n?", re.IGNORECASE)
# A dateline: one to four capitalised words, then a dash, at the very start of the text.
DATELINE = re.compile(r"^(?P<place>[A-Z][\w'’.]*(?:[ ,]+[A-Z][\w'’.]*){0,3})\s+[-–—]\s+(?=\S)")
_MD_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
_TITLE_HEADER = re.compile(r"^\s*title\s*:\s*(?P<title>.+?)\s*$", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
# Control characters other than newline and tab mean the bytes are not prose.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes) -> str:
    """Decode document bytes, or raise ``ValueError`` with a reason a moderator understands."""
    if not data.strip():
        raise ValueError("empty file")
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes), or UTF-16 text: save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (invalid byte at offset {exc.start})") from exc
    if len(_CONTROL.findall(text)) > max(3, len(text) // 1000):
        raise ValueError("binary file (control characters)")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise ValueError("empty file")
    return text


def dateline_place(text: str) -> str | None:
    """The place a dateline at the start of ``text`` names ("Doha - ..." -> "Doha"), if any."""
    m = DATELINE.match(text)
    return m.group("place").rstrip(",") if m else None


def extract(data: bytes, url: str | None = None) -> Extracted:
    try:
        text = decode_text(data)
    except ValueError as exc:
        raise DocumentUnreadable(str(exc)) from None
    return layout(text, url)


def layout(text: str, url: str | None = None) -> Extracted:
    """Headers, dateline and paragraphs of a decoded text."""
    text = text.strip()
    date = None
    title = None
    # Headers may come in either order at the top: ``date ...`` and ``title: ...``.
    for _ in range(2):
        if m := _DATE_HEADER.match(text):
            date = m.group(1)
            text = text[m.end() :].lstrip()
        first_line = text.split("\n", 1)[0]
        if title is None and (m := (_TITLE_HEADER.match(first_line) or _MD_HEADING.match(first_line))):
            title = m.group("title")
            text = text[len(first_line) :].lstrip()
    return Extracted(_blocks(text), title=title, date=date, place=dateline_place(text), url=url)


def _blocks(text: str) -> tuple[Block, ...]:
    """Paragraphs with the heading each stands under. A heading line ends the paragraph it
    interrupts, so text written straight under a heading (no blank line) is kept."""
    blocks: list[Block] = []
    section: str | None = None
    for raw in _BLANK_LINES.split(text):
        lines: list[str] = []
        for line in raw.split("\n"):
            if m := _MD_HEADING.match(line.strip()):
                if lines:
                    blocks.append(Block(fold(" ".join(lines)), section=section))
                    lines = []
                section = fold(m.group("title"))
            else:
                lines.append(line)
        if paragraph := fold(" ".join(lines)):
            blocks.append(Block(paragraph, section=section))
    return tuple(b for b in blocks if b.text)
