"""Byte counts as people read them, for every message that names a size or a limit."""

from __future__ import annotations

__all__ = ["over_limit", "size_text"]


def size_text(n: int) -> str:
    """812 bytes, 14 KiB, 12.3 MiB, 1.5 GiB."""
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} GiB"
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"


def over_limit(size: int, limit: int) -> str:
    """Why something is too big: "12.3 MiB; the limit is 10.0 MiB" (exact bytes when rounding would hide it)."""
    if size_text(size) == size_text(limit):
        return f"{size:,} bytes; the limit is {limit:,} bytes"
    return f"{size_text(size)}; the limit is {size_text(limit)}"
