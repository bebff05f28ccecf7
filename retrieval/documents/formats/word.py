"""Word (``.docx``), through python-docx (MIT).

The body in order: headings (the built-in Heading styles, or any style based on one) become
sections, every other paragraph is a block, and a table is one block per row, its cells
joined with " | ". The Title style (or the file's title property) is the title. Headers,
footers and footnotes are page furniture, not prose to cite, and are left out.

A ``.docx`` is a zip archive: the sizes its members declare are checked against a cap before
anything is unpacked, so a small file that would unpack to gigabytes is refused unread.
"""

from __future__ import annotations

import io
import re
import zipfile

from ...errors import DocumentUnreadable, first_line
from ...text.sizes import size_text
from .result import Block, Extracted, fold
from .text import dateline_place

# What a Word file may unpack to. python-docx holds every part in memory (images included),
# so this bounds memory, not just time. Real documents with photos stay well under it.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 10_000

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def check_archive(data: bytes, max_unpacked: int | None = None) -> None:
    """Refuse a zip whose members declare more than ``max_unpacked`` (default
    ``MAX_UNPACKED_BYTES``) bytes in all.

    The declared sizes are what matters: Python's zipfile never inflates a member past the
    size its header declares, so a header that lies gets a truncated member, not a bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentUnreadable(f"a damaged Word file (not a zip archive: {first_line(exc)})") from None
    if len(members) > MAX_MEMBERS:
        raise DocumentUnreadable(f"a Word file of {len(members):,} parts; the limit is {MAX_MEMBERS:,}")
    max_unpacked = MAX_UNPACKED_BYTES if max_unpacked is None else max_unpacked
    total = sum(m.file_size for m in members)
    if total > max_unpacked:
        largest = max(members, key=lambda m: m.file_size)
        raise DocumentUnreadable(
            f"a Word file of {size_text(len(data))} that unpacks to {size_text(total)} "
            f"({largest.filename} alone {size_text(largest.file_size)}); the limit is {size_text(max_unpacked)}"
        )


def extract(data: bytes, url: str | None = None) -> Extracted:
    check_archive(data)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, PackageNotFoundError, lxml errors...
        raise DocumentUnreadable(f"a damaged Word file ({first_line(exc)})") from None
    title = fold(document.core_properties.title or "") or None
    blocks: list[Block] = []
    section: str | None = None
    # Resolving a paragraph's style scans the style sheet (93% of the time, once per
    # paragraph): look each style up once, by the id the paragraph names.
    kinds: dict[str | None, str] = {}
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(Block(row, section=section) for row in _rows(item))
            continue
        if not isinstance(item, Paragraph) or not (text := fold(item.text)):
            continue
        style_id = item._p.style
        if style_id not in kinds:
            kinds[style_id] = _kind(item)
        kind = kinds[style_id]
        if kind == "title" and title is None and not blocks:
            title = text
        elif kind in ("title", "heading"):
            section = text
        else:
            blocks.append(Block(text, section=section))
    if not blocks:
        raise DocumentUnreadable("no text in the Word file")
    # python-docx's own template stamps every file it makes with 2013 and "python-docx", and
    # Word copies a template's properties too: neither date nor author says who wrote it when.
    return Extracted(tuple(blocks), title=title, place=dateline_place(blocks[0].text), url=url)


def _kind(paragraph) -> str:
    style = paragraph.style
    while style is not None:  # a custom style based on "Heading 2" is a heading too
        name = (style.name or "").strip().lower()
        if name == "title":
            return "title"
        if _HEADING_STYLE.match(name):
            return "heading"
        style = style.base_style
    return "body"


def _rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[object] = []  # kept alive, so lxml hands back the same proxy for the same cell
        for cell in row.cells:
            # A merged cell is handed back once per grid column it spans: the same element.
            if any(cell._tc is tc for tc in seen):
                continue
            seen.append(cell._tc)
            if text := fold(cell.text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
