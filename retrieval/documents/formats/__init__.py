"""Every document format citebot reads, one module each, all giving an ``Extracted``.

``extract`` picks the module by the file's suffix. Each library is imported when its first
file of that kind is read, so a folder of text files never pays for trafilatura or pypdf.
Unreadable files raise ``DocumentUnreadable`` with the reason (a scan, a password, damage).
"""

from __future__ import annotations

import logging
from importlib import import_module
from pathlib import PurePath

from ...errors import DocumentUnreadable, first_line
from .result import Block, Extracted

log = logging.getLogger(__name__)

__all__ = ["SUFFIXES", "Block", "Extracted", "extract", "extractor_version"]

# suffix -> (module, what it is called in messages)
_FORMATS = {
    ".txt": ("text", "text"),
    ".md": ("text", "Markdown"),
    ".html": ("html", "a web page"),
    ".htm": ("html", "a web page"),
    ".pdf": ("pdf", "a PDF"),
    ".docx": ("word", "a Word file"),
}
SUFFIXES = tuple(_FORMATS)
_RULES_VERSION = {"pdf": 2}


def extract(name: str, data: bytes, *, url: str | None = None) -> Extracted:
    """The text and metadata of document ``name`` (its suffix says the format) from its bytes."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in _FORMATS:
        raise DocumentUnreadable(f"{suffix or 'no suffix'}: not a document format ({', '.join(SUFFIXES)})")
    module_name, kind = _FORMATS[suffix]
    module = import_module(f".{module_name}", __name__)
    try:
        return module.extract(data, url)
    except DocumentUnreadable:
        raise
    except Exception as exc:
        # A file the library (or a rule here) trips over costs that file, not the index.
        log.warning("%s: reading it as %s failed", name, kind, exc_info=True)
        raise DocumentUnreadable(f"reading it as {kind} failed ({type(exc).__name__}: {first_line(exc)})") from None


def extractor_version(name: str) -> str:
    """Changes when what ``extract`` returns for this kind of file may change (a cache key)."""
    from importlib.metadata import version

    module = _FORMATS.get(PurePath(name).suffix.lower(), ("text",))[0]
    library = {"html": "trafilatura", "pdf": "pypdf", "word": "python-docx"}.get(module)
    # Bump the number when an extractor's own rules change (or what it returns: pdf-2 counts pages).
    own = f"{module}-{_RULES_VERSION.get(module, 1)}"
    return f"{own}/{library}-{version(library)}" if library else own
