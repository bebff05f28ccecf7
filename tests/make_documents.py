"""Real PDF and Word files for the tests, made with reportlab and python-docx.

The PDF is set line by line on a canvas (not by a layout engine) so the test knows exactly
where every paragraph starts, which ones run across a column or page break, and which word
is hyphenated at a line end.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field

PAGE_W, PAGE_H = 595.0, 842.0  # A4, points
COLUMN_X = (60.0, 320.0)
COLUMN_CHARS = 44  # Helvetica 10 at 215 pt
TOP, BOTTOM = 760.0, 80.0
LEADING = 13.0
PARAGRAPH_SKIP = 9.0


@dataclass
class Typeset:
    """What went where, for the assertions."""

    pdf: bytes
    paragraphs: list[tuple[str, int, str | None]]  # (text, page it starts on, section)
    pages: int
    across_columns: list[str] = field(default_factory=list)  # paragraphs continued in the next column
    across_pages: list[str] = field(default_factory=list)  # ... on the next page
    hyphenated: list[str] = field(default_factory=list)  # words broken with "-" at a line end


def _wrap(text: str, width: int) -> tuple[list[str], list[str]]:
    """Lines of at most ``width`` characters; a long word that would overflow is hyphenated."""
    lines: list[str] = []
    hyphenated: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if len(candidate) <= width:
            line = candidate
            continue
        room = width - len(line) - (2 if line else 1)  # the space and the hyphen
        if len(word) >= 10 and room >= 4 and word.isalpha():
            lines.append(f"{line} {word[:room]}-" if line else f"{word[:room]}-")
            hyphenated.append(word)
            line = word[room:]
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines, hyphenated


def two_column_pdf(
    items: list[tuple[str, str]], title: str = "Harbour Council Annual Report 2024", furniture: bool = True
) -> Typeset:
    """``items`` are ("h", heading), ("p", paragraph) or ("page", "") for a page break. With ``furniture`` every page gets a
    running header with "Page n of N" and a footer with the report's name and a bare page
    number. An empty ``title`` is neither drawn nor set in the metadata."""
    from reportlab.pdfgen import canvas

    # First pass places the lines; the second draws them, once the page count is known.
    placed: list[tuple[int, float, float, str, str, float]] = []  # page, x, y, text, font, size
    paragraphs: list[tuple[str, int, str | None]] = []
    result = Typeset(b"", paragraphs, 0)
    page, column, y = 1, 0, TOP
    if title:
        placed.append((1, COLUMN_X[0], 790.0, title, "Helvetica-Bold", 18.0))
    section: str | None = None

    def advance() -> bool:
        """Next line position; True when that moved to a new page."""
        nonlocal page, column, y
        y -= LEADING
        if y >= BOTTOM:
            return False
        if column == 0:
            column, y = 1, TOP
            return False
        page, column, y = page + 1, 0, TOP
        return True

    for kind, text in items:
        if kind == "page":  # what follows starts a new page
            page, column, y = page + 1, 0, TOP
            continue
        if kind == "h":
            y -= PARAGRAPH_SKIP
            placed.append((page, COLUMN_X[column], y, text, "Helvetica-Bold", 13.0))
            section = text
            advance()
            continue
        lines, hyphenated = _wrap(text, COLUMN_CHARS)
        result.hyphenated += hyphenated
        if paragraphs:
            y -= PARAGRAPH_SKIP
            if y < BOTTOM:
                advance()
        paragraphs.append((text, page, section))
        start_page, start_column = page, column
        for i, line in enumerate(lines):
            placed.append((page, COLUMN_X[column], y, line, "Helvetica", 10.0))
            if i < len(lines) - 1:
                advance()
        if page != start_page:
            result.across_pages.append(text)
        elif column != start_column:
            result.across_columns.append(text)
        advance()
    pages = page if column or y < TOP else page - 1

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_W, PAGE_H))
    if title:
        pdf.setTitle(title)
    for number in range(1, pages + 1):
        if furniture:
            pdf.setFont("Helvetica", 8)
            pdf.drawString(60, 815, f"HARBOUR COUNCIL · Page {number} of {pages}")
            pdf.drawString(60, 40, "Harbour Council Annual Report 2024, published by the council")
            pdf.drawRightString(PAGE_W - 60, 40, str(number))
        for p, x, y_, text, font, size in placed:
            if p == number:
                pdf.setFont(font, size)
                pdf.drawString(x, y_, text)
        pdf.showPage()
    pdf.save()
    result.pdf, result.pages = buffer.getvalue(), pages
    return result


def image_only_pdf() -> bytes:
    """A "scan": one page holding a picture of text, and no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (400, 200), 255)
    ImageDraw.Draw(image).text((20, 80), "The ferry resumed on Friday.", fill=0)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_W, PAGE_H))
    pdf.drawImage(ImageReader(image), 60, 500, width=400, height=200)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf(data: bytes, user_password: str) -> bytes:
    """``data`` encrypted (RC4-128, which pypdf writes without extra packages)."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def word_document(items: list[tuple[str, object]], title: str | None = None) -> bytes:
    """``items``: ("title", text), ("h1"/"h2", heading), ("p", paragraph), ("table", rows)."""
    import docx

    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    for kind, value in items:
        if kind == "title":
            document.add_heading(str(value), 0)
        elif kind in ("h1", "h2"):
            document.add_heading(str(value), int(kind[1]))
        elif kind == "p":
            document.add_paragraph(str(value))
        elif kind == "table":
            rows = list(value)  # type: ignore[call-overload]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---- documents several test files use, made once per session ------------------------------------

MINUTES_TITLE = "Harbour board minutes"
MINUTES = [
    ("h", "Dredging"),
    ("p", "The fisheries board financed the dredging of the approach channel in March."),
    ("p", "The work took three weeks and closed the harbour mouth at night."),
    ("page", ""),
    ("h", "Lighthouse"),
    ("p", "Volunteers repainted the lighthouse on the north pier in April."),
    ("p", "The board agreed to replace the lighthouse lamp with an LED lantern costing 18,000 kroner."),
]


@functools.cache
def minutes_pdf() -> Typeset:
    """Two pages of minutes under two headings: the lantern is paragraph 4 of the document,
    the second on page 2, under "Lighthouse"."""
    return two_column_pdf(MINUTES, title=MINUTES_TITLE)


TIMETABLE = [
    ("title", "Summer timetable statement"),
    ("p", "The harbour council agreed the summer timetable on Tuesday."),
    ("h1", "Bicycles"),
    ("p", "Bicycles ride on the car deck of every crossing."),
    ("p", "A bicycle ticket costs 20 kroner and is sold on board."),
    ("table", [["Crossing", "Departs"], ["Morning", "07:15"]]),
]


@functools.cache
def timetable_docx() -> bytes:
    """A Word file with a title, a heading ("Bicycles") and a table: the bicycle fare is the
    second paragraph under Bicycles (the third of the document)."""
    return word_document(TIMETABLE)
