"""Every document format citebot reads, one module each, all giving an ``Extracted``.

``extract`` picks the module by the file's suffix. Each library is imported when its first
file of that kind is read, so a folder of text files never pays for trafilatura or pypdf.
Unreadable files raise ``DocumentUnreadable`` with the reason (a scan, a password, damage).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import PurePath

from ...errors import DocumentUnreadable
from .result import Block, Extracted

__all__ = ["SUFFIXES", "Block", "Extracted", "extract", "extractor_version", "kind_of"]

# suffix -> (module, what it is called in messages)
_FORMATS = {
    ".txt": ("text", "text"),
    ".md": ("text", "Markdown"),
    ".html": ("html", "web page"),
    ".htm": ("html", "web page"),
    ".pdf": ("pdf", "PDF"),
    ".docx": ("word", "Word"),
}
SUFFIXES = tuple(_FORMATS)


def kind_of(name: str) -> str | None:
    """"PDF", "Word", ... for a document name; None when it is no document suffix."""
    found = _FORMATS.get(PurePath(name).suffix.lower())
    return found[1] if found else None


def extract(name: str, data: bytes, *, url: str | None = None) -> Extracted:
    """The text and metadata of document ``name`` (its suffix says the format) from its bytes."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in _FORMATS:
        raise DocumentUnreadable(f"{suffix or 'no suffix'}: not a document format ({', '.join(SUFFIXES)})")
    module = import_module(f".{_FORMATS[suffix][0]}", __name__)
    return module.extract(data, url)


def extractor_version(name: str) -> str:
    """Changes when what ``extract`` returns for this kind of file may change (a cache key)."""
    from importlib.metadata import version

    module = _FORMATS.get(PurePath(name).suffix.lower(), ("text",))[0]
    library = {"html": "trafilatura", "pdf": "pypdf", "word": "python-docx"}.get(module)
    # Bump the number when an extractor's own rules change.
    return f"{module}-1/{library}-{version(library)}" if library else f"{module}-1"
