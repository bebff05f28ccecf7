"""Extracted documents kept between builds, by the hash of the file's bytes.

A reindex reads every document again, not only the one that changed: pypdf reads 40-80
pages a second here and trafilatura 60-70 web pages, so a library of ten 100-page reports
would spend 15-25 s of every reindex re-reading PDFs that did not change. Text and
Markdown are read faster than the cache could be asked, and are not kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from pathlib import Path, PurePath
from typing import Callable

from ...index.cache import BlobCache
from . import extract, extractor_version
from .result import Block, Extracted

log = logging.getLogger(__name__)

# Formats worth keeping (the rest are read in microseconds).
CACHED_SUFFIXES = (".pdf", ".html", ".htm", ".docx")
_FIELDS = ("title", "date", "place", "author", "site", "url", "pages")


class ExtractCache(BlobCache):
    def __init__(self, path: Path, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__(path, table="extracts", column="extracted", clock=clock)


def _key(name: str, sha256: str, url: str | None) -> str:
    # The URL is part of what is extracted (a page's address when it names none itself).
    return hashlib.sha1(f"{extractor_version(name)}\0{PurePath(name).suffix.lower()}\0{url or ''}\0{sha256}".encode()).hexdigest()


def _dump(extracted: Extracted) -> bytes:
    record = {f: getattr(extracted, f) for f in _FIELDS}
    record["blocks"] = [[b.text, b.page, b.section] for b in extracted.blocks]
    return zlib.compress(json.dumps(record, ensure_ascii=False).encode("utf-8"))


def _load(blob: bytes) -> Extracted:
    record = json.loads(zlib.decompress(blob))
    blocks = tuple(Block(text, page, section) for text, page, section in record.pop("blocks"))
    return Extracted(blocks, **{f: record.get(f) for f in _FIELDS})


def cached_extract(
    name: str, data: bytes, sha256: str, *, url: str | None = None, cache: ExtractCache | None = None
) -> Extracted:
    """``extract(name, data)``, through ``cache`` for the formats that are slow to read.
    Refusals (``DocumentUnreadable``) are not kept: they are quick to find again."""
    if cache is None or PurePath(name).suffix.lower() not in CACHED_SUFFIXES:
        return extract(name, data, url=url)
    key = _key(name, sha256, url)
    found = cache.lookup([key]).get(key)
    if found is not None:
        try:
            return _load(found)
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            log.warning("extract cache: entry for %s unreadable (%s); reading the file again", name, exc)
    extracted = extract(name, data, url=url)
    cache.store([(key, _dump(extracted))])
    return extracted
