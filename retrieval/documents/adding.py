"""Adding a document from a local file or a URL: the one operation behind ``/seed add`` and
``citebot add``.

A URL is fetched with ``fetch`` (every rule for untrusted URLs is there) and stored with
its source by ``seeds.add_fetched``; a file is read (its size checked before a byte is) and
stored by ``seeds.store_document``. Either way the result is a ``Stored``: the title, date,
paragraphs and pages found, which the front ends show so a moderator sees at once when
extraction went wrong. Every refusal is a ``CitebotError`` of one line.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ..errors import SeedRejected
from ..settings import Settings
from ..text.show import shown
from ..text.sizes import over_limit
from .fetch import DEFAULT_TIMEOUT, Network, fetch
from .seeds import Stored, add_fetched, safe_document_name, store_document

__all__ = ["add_file", "add_source", "add_url", "looks_like_url"]

# "scheme://": a URL, even of a scheme that is not fetched (so "ftp://..." is refused as a URL
# rather than looked for as a file). A Windows path ("C:\\x") has no "//".
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def looks_like_url(text: str) -> bool:
    return bool(_URL.match(text.strip()))


def add_url(
    seeds_dir: Path | str,
    url: str,
    *,
    max_bytes: int,
    allow_private: bool = False,
    replace: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    network: Network | None = None,
) -> Stored:
    """Fetch ``url`` and store what came as a document with its source. Blocks for up to
    ``timeout`` seconds (run it off an event loop). Raises ``FetchRefused``/``FetchError``
    (the URL, the address, the size, the type) or ``SeedRejected`` (not a readable document,
    an existing name without ``replace``)."""
    fetched = fetch(url, max_bytes=max_bytes, timeout=timeout, allow_private=allow_private, network=network)
    return add_fetched(seeds_dir, fetched, replace=replace, max_bytes=max_bytes)


def add_file(seeds_dir: Path | str, path: Path | str, *, max_bytes: int, replace: bool = False) -> Stored:
    """Copy the local file ``path`` into the seeds folder under its own name."""
    path = Path(path)
    name = safe_document_name(path.name)  # before anything is opened
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise SeedRejected(f"{shown(str(path))} is not a file")
            if st.st_size > max_bytes:
                raise SeedRejected(f"{name} is {over_limit(st.st_size, max_bytes)}")
            data = fh.read(max_bytes + 1)  # one more than the limit: a file that grew is refused below
    except FileNotFoundError:
        raise SeedRejected(f"there is no file {shown(str(path))}") from None
    except IsADirectoryError:
        raise SeedRejected(f"{shown(str(path))} is a folder, not a file") from None
    except OSError as exc:
        raise SeedRejected(f"cannot read {shown(str(path))}: {exc.strerror or exc}") from None
    return store_document(seeds_dir, name, data, replace=replace, max_bytes=max_bytes)


def add_source(
    seeds_dir: Path | str,
    path_or_url: str,
    *,
    settings: Settings,
    replace: bool = False,
    network: Network | None = None,
) -> Stored:
    """``citebot add PATH_OR_URL``: a URL (anything that starts with ``scheme://``) is fetched,
    anything else is a local file. Limits and whether private addresses may be fetched come
    from ``settings`` (``CITEBOT_MAX_DOCUMENT_BYTES``, ``CITEBOT_FETCH_ALLOW_PRIVATE``).

    Not for a URL typed into Discord: that must never be read as a local path (``add_url``)."""
    limit = settings.max_document_bytes
    if looks_like_url(path_or_url):
        return add_url(
            seeds_dir, path_or_url.strip(), max_bytes=limit, allow_private=settings.fetch_allow_private,
            replace=replace, network=network,
        )
    return add_file(seeds_dir, path_or_url, max_bytes=limit, replace=replace)
