"""PDF, through pypdf (BSD, pure Python): text by page, in paragraphs.

pypdf gives the text in the order it is drawn (for a two-column page made by a layout
program, the first column then the second: its "layout" mode would interleave the columns
line by line instead), and, through its visitor, where each line starts and its font size.
From those:

- lines that repeat near the top or bottom of most pages (running headers, footers, "Page 3
  of 9") and lone page numbers there are dropped (on a single page, where nothing can
  repeat: lines there in type smaller than the body's);
- a paragraph ends at a larger vertical gap, an indented first line, or a short line that
  ends a sentence; at a column or page break only the last, so one that runs on is joined;
- a line in a larger font than the body text is a heading: the paragraphs under it carry it
  as their section;
- a word hyphenated at a line end is joined ("harb-" + "our" -> "harbour").

A PDF without a text layer (a scan), one that needs a password, and a damaged one are
refused with that reason.
"""

from __future__ import annotations

import io
import logging
import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from ...errors import DocumentUnreadable, first_line
from .result import Block, Extracted, fold
from .text import dateline_place

log = logging.getLogger(__name__)

# Of the page height: where running headers and footers live.
MARGIN_SHARE = 0.1
# A line found at the same height on at least this share of the pages (and on two) is running.
RUNNING_SHARE = 0.5
# Vertical distance, in line pitches, that separates two paragraphs.
PARAGRAPH_GAP = 1.4
# A line shorter than this share of a full one, ending a sentence, ends its paragraph.
SHORT_LINE = 0.7
# A font this much larger than the body text's is a heading.
HEADING_SCALE = 1.15
MAX_HEADING_CHARS = 120

_PAGE_NUMBER = re.compile(
    r"^[-–—(\[]?\s*(?:page|p\.|pg\.?)?\s*(?:\d+|[ivxlcdm]+)(?:\s*(?:of|/)\s*\d+)?\s*[-–—)\]]?$", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
_HYPHENATED = re.compile(r"[^\W\d_][-\u00ad]$")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class _Line:
    text: str
    x: float
    y: float
    size: float  # effective font size, in points
    page: int  # 1-based


def extract(data: bytes, url: str | None = None) -> Extracted:
    reader = _open(data)
    pages: list[list[_Line]] = []
    failed: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            pages.append(_page_lines(page, number))
        except Exception as exc:  # one bad page costs that page, not the document
            log.warning("PDF page %d unreadable: %s", number, first_line(exc))
            failed.append(number)
            pages.append([])
    if failed and len(failed) == len(pages):
        raise DocumentUnreadable(f"a damaged PDF: none of its {len(pages)} pages could be read")
    if sum(len(line.text) for lines in pages for line in lines) < 10:
        raise DocumentUnreadable("a PDF without a text layer (a scan?): make it searchable with OCR first")
    heights = [_page_box(page) for page in reader.pages]
    body = _drop_running_lines(pages, heights)
    title = _metadata_title(reader)
    blocks, first_heading = _paragraphs(body)
    if title is None and first_heading is not None:
        title = first_heading
    blocks = tuple(b if b.section != title else Block(b.text, b.page, None) for b in blocks)
    if not blocks:
        raise DocumentUnreadable("a PDF without a text layer (a scan?): make it searchable with OCR first")
    return Extracted(blocks, title=title, place=dateline_place(blocks[0].text), url=url, pages=len(pages))


def _open(data: bytes):
    import pypdf
    from pypdf.errors import DependencyError

    if b"%PDF-" not in data[:1024]:
        raise DocumentUnreadable("not a PDF file (it does not start with %PDF-)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # "owner password only": opens for anyone
            except DependencyError:
                raise DocumentUnreadable("an encrypted PDF (AES): save an unencrypted copy") from None
            if opened == pypdf.PasswordType.NOT_DECRYPTED:
                raise DocumentUnreadable("an encrypted PDF: it needs a password; save an unencrypted copy")
        len(reader.pages)  # reads the page tree: a damaged one fails here, not later
    except DocumentUnreadable:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, but also ValueError, KeyError... on damage
        raise DocumentUnreadable(f"a damaged PDF ({first_line(exc)})") from None
    return reader


def _page_box(page) -> tuple[float, float]:
    """(bottom, top) of a page, in points."""
    try:
        box = page.mediabox
        return float(box.bottom), float(box.top)
    except Exception:
        return 0.0, 792.0


def _page_lines(page, number: int) -> list[_Line]:
    """The page's lines in drawing order, each where it starts and in its font size."""
    lines: list[_Line] = []
    current: list[str] = []
    where: tuple[float, float, float] | None = None

    def end_line() -> None:
        nonlocal current, where
        text = fold(_CONTROL.sub(" ", "".join(current)).translate(_LIGATURES))
        if text and where is not None:
            lines.append(_Line(text, where[0], where[1], where[2], number))
        current, where = [], None

    def visit(text: str, cm, tm, font, size) -> None:
        nonlocal where
        if not text:
            return
        # Text space to page space: the text matrix times the current transformation matrix.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]) or 1.0
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                end_line()
            if part.strip() and where is None:
                where = (x, y, float(size or 0) * scale)
            current.append(part)

    page.extract_text(visitor_text=visit)
    end_line()
    return lines


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _drop_running_lines(pages: list[list[_Line]], boxes: list[tuple[float, float]]) -> list[_Line]:
    """Every line of the document in reading order, less running headers, footers and page numbers."""

    def in_margin(line: _Line) -> bool:
        bottom, top = boxes[line.page - 1]
        band = (top - bottom) * MARGIN_SHARE
        return line.y < bottom + band or line.y > top - band

    seen: dict[str, list[_Line]] = defaultdict(list)
    for lines in pages:
        for line in lines:
            if in_margin(line):
                seen[_running_key(line.text)].append(line)
    running: set[int] = set()
    needed = max(2, math.ceil(len(pages) * RUNNING_SHARE))
    for found in seen.values():
        at = statistics.median(line.y for line in found)
        same_place = [line for line in found if abs(line.y - at) <= 6]
        if len({line.page for line in same_place}) >= needed:
            running.update(id(line) for line in same_place)
    if len(pages) == 1:
        # Nothing repeats on a single page: there, small type in the margins is the furniture.
        body = _body_size([line for line in pages[0] if not in_margin(line)] or pages[0])
        running.update(id(line) for found in seen.values() for line in found if line.size < 0.9 * body)
    return [
        line
        for lines in pages
        for line in lines
        if id(line) not in running and not (in_margin(line) and _PAGE_NUMBER.match(line.text))
    ]


def _metadata_title(reader) -> str | None:
    try:
        title = fold(str((reader.metadata or {}).get("/Title") or ""))
    except Exception:
        return None
    # Titles a program wrote for itself, not the document's: "Microsoft Word - draft3.docx".
    if not title or title.lower() in {"untitled", "(anonymous)", "anonymous"} or re.search(r"\.\w{2,4}$", title):
        return None
    return title


def _paragraphs(lines: list[_Line]) -> tuple[tuple[Block, ...], str | None]:
    """Blocks of the document, and its first heading (a title, when the metadata has none)."""
    if not lines:
        return (), None
    body_size = _body_size(lines)
    pitch = _line_pitch(lines, body_size)
    full, runs_on = _line_lengths(lines, body_size, pitch)
    bottoms: dict[int, float] = {}  # page -> the lowest line of body text on it
    for line in lines:
        bottoms[line.page] = min(line.y, bottoms.get(line.page, line.y))

    blocks: list[Block] = []
    section: str | None = None
    first_heading: str | None = None
    paragraph: list[_Line] = []
    heading: list[_Line] = []

    def close_paragraph() -> None:
        if paragraph:
            blocks.append(Block(_join(paragraph), paragraph[0].page, section))
            paragraph.clear()

    def close_heading() -> None:
        nonlocal section, first_heading
        if heading:
            section = _join(heading)
            if first_heading is None and heading[0].page == 1 and not blocks:
                first_heading = section
            heading.clear()

    for line in lines:
        if line.size > body_size * HEADING_SCALE and len(line.text) <= MAX_HEADING_CHARS:
            close_paragraph()
            if heading and not _follows(heading[-1], line, pitch * 2):
                close_heading()
            heading.append(line)
            continue
        close_heading()
        if paragraph and _starts_paragraph(paragraph[-1], line, pitch, (full, runs_on), bottoms):
            close_paragraph()
        paragraph.append(line)
    close_paragraph()
    close_heading()
    return tuple(blocks), first_heading


def _body_size(lines: list[_Line]) -> float:
    """The font size most of the text is set in."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size, 1)] += len(line.text)
    return (sizes.most_common(1)[0][0] if sizes else 0.0) or 10.0


def _line_pitch(lines: list[_Line], body_size: float) -> float:
    """The usual distance between two lines of body text."""
    gaps = [
        a.y - b.y
        for a, b in zip(lines, lines[1:])
        if a.page == b.page and abs(a.size - body_size) < 0.5 and 0.5 * body_size < a.y - b.y < 3 * body_size
    ]
    usual = 1.25 * body_size  # the leading most text is set with
    if len(gaps) < 5:  # too few lines to learn it from (and one gap may be between paragraphs)
        return min(gaps + [usual])
    return statistics.median(gaps)


def _line_lengths(lines: list[_Line], body_size: float, pitch: float) -> tuple[float, float]:
    """(a full line, the shortest line that still runs on), in characters of body text.

    Per document: columns differ between documents far more than inside one. A line that
    runs on is one followed, a line pitch below and not indented, by another: most of those
    are inside a paragraph, and even ragged text fills them nearly to the edge."""
    body = [line for line in lines if abs(line.size - body_size) < 0.5]
    lengths = sorted(len(line.text) for line in body)
    full = lengths[int(len(lengths) * 0.8)] if lengths else 60
    running = sorted(
        len(a.text)
        for a, b in zip(body, body[1:])
        if a.page == b.page and 0.5 * pitch < a.y - b.y < 1.15 * pitch and abs(a.x - b.x) < 1
    )
    shortest = running[int(len(running) * 0.05)] if len(running) >= 20 else SHORT_LINE * full
    return full, min(max(shortest, SHORT_LINE * full), 0.95 * full)


def _follows(prev: _Line, line: _Line, within: float) -> bool:
    return prev.page == line.page and 0 <= prev.y - line.y <= within


def _starts_paragraph(
    prev: _Line, line: _Line, pitch: float, lengths: tuple[float, float], bottoms: dict[int, float]
) -> bool:
    """Does ``line`` begin a new paragraph after ``prev``?"""
    size = line.size or pitch
    full, runs_on = lengths
    sentence_end = bool(_SENTENCE_END.search(prev.text))
    ended = sentence_end and len(prev.text) < SHORT_LINE * full
    if line.page != prev.page or line.y > prev.y + 0.3 * size:
        # A page or column break hides the gap and the indent. The paragraph runs on unless
        # the line before the break ends a sentence and is shorter than the lines that run
        # on in this document, or its column stopped a line or more above the foot of the
        # page's text (the space before the next paragraph did not fit). A last line as
        # long as a running one cannot be told from one: it is joined.
        early = prev.y > bottoms.get(prev.page, prev.y) + pitch
        short = len(prev.text) < runs_on
        return sentence_end and (short or early) and not line.text[:1].islower()
    if abs(line.y - prev.y) <= 0.3 * size:
        return False  # the same line, drawn in two pieces
    if prev.y - line.y > pitch * PARAGRAPH_GAP:
        return True
    if line.x > prev.x + 0.8 * size:
        return True  # an indented first line
    return ended


def _join(lines: list[_Line]) -> str:
    text = lines[0].text
    for line in lines[1:]:
        if _HYPHENATED.search(text) and line.text[:1].islower():
            text = text[:-1] + line.text
        else:
            text = f"{text} {line.text}"
    return text.replace("\u00ad", "")
