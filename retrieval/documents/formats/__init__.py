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
from ...text.show import shown
from .result import Block, Extracted

log = logging.getLogger(__name__)

__all__ = ["SUFFIXES", "SUFFIX_FOR_TYPE", "Block", "Extracted", "extract", "extractor_version", "type_problem"]

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

# Media type -> the suffix a document of that type is stored under (``extract`` reads by suffix).
SUFFIX_FOR_TYPE = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
}
# What a client may declare for any file: nothing, or "some bytes" (some send that for .md).
_UNTYPED = frozenset({"", "application/octet-stream"})
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


def type_problem(name: str, content_type: str | None) -> str | None:
    """Why a file named ``name`` that declares ``content_type`` (an upload's, before a byte of
    it is read) is not the kind of document its suffix says; None when the two fit.

    Text and Markdown take any ``text/`` type (clients guess differently for .md); the
    others take their own types or none. The bytes are checked by ``extract`` anyway."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    suffix = PurePath(name).suffix.lower()
    if media in _UNTYPED or suffix not in _FORMATS:  # an unknown suffix is the name rule's to refuse
        return None
    module, kind = _FORMATS[suffix]
    if module == "text" and media.startswith("text/"):
        return None
    if _FORMATS.get(SUFFIX_FOR_TYPE.get(media, ""), ("",))[0] == module:
        return None
    return f"{name} is {shown(media)[:100]}, not {kind}"


def extractor_version(name: str) -> str:
    """Changes when what ``extract`` returns for this kind of file may change (a cache key)."""
    from importlib.metadata import version

    module = _FORMATS.get(PurePath(name).suffix.lower(), ("text",))[0]
    library = {"html": "trafilatura", "pdf": "pypdf", "word": "python-docx"}.get(module)
    # Bump the number when an extractor's own rules change (or what it returns: pdf-2 counts pages).
    own = f"{module}-{_RULES_VERSION.get(module, 1)}"
    return f"{own}/{library}-{version(library)}" if library else own
