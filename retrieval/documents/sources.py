"""Where a fetched document came from: a ``<name>.source.json`` file beside it.

Written when a URL's bytes are stored as a document (``seeds.add_fetched``), read by the
loader to give the document its URL. It holds the hash of the bytes it describes: a document
edited or replaced by hand no longer matches, and its source is then ignored rather than
vouching for text the page never had. ``.json`` is no document suffix, so the loader never
reads it as a document.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

SOURCE_SUFFIX = ".source.json"
# A source file is a few hundred bytes; anything much larger is not one.
MAX_SOURCE_BYTES = 64 * 1024


def source_name(document: str) -> str:
    """The name of the source file that belongs to document ``document``."""
    return document + SOURCE_SUFFIX


@dataclass(frozen=True)
class Source:
    url: str  # as asked for
    final_url: str  # after redirects: what the bytes are the answer of
    fetched_at: str  # ISO 8601, UTC
    content_type: str  # as the server declared it
    sha256: str  # of the document's bytes
    size: int

    def to_bytes(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "Source":
        """Parse a source file; ``ValueError`` says what is wrong with it."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not JSON ({exc})") from None
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        fields = {}
        for name, kind in (("url", str), ("final_url", str), ("fetched_at", str), ("content_type", str), ("sha256", str), ("size", int)):
            value = raw.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{name} is missing or not a {kind.__name__}")
            fields[name] = value
        for name in ("url", "final_url"):
            if urlsplit(fields[name]).scheme not in ("http", "https"):
                raise ValueError(f"{name} is not an http(s) URL")
        return cls(**fields)
