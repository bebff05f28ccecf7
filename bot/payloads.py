"""Discord payloads decoded and encoded alike whether or not orjson is installed.

discord.py switches to orjson when it is importable (its ``speed`` extra, or any other package
that pulls it in), and orjson refuses what the standard library accepts: a JSON string holding a
lone surrogate escape such as ``"\\ud800.txt"``. On a machine with orjson, one such file name in
an event ended the whole gateway connection, where a machine without it refused the name and
went on. Falling back to the standard library on exactly that refusal keeps orjson's speed for
every other payload and makes the bot behave the same everywhere.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import discord.utils


def _tolerant(fast: Callable[[Any], Any], slow: Callable[[Any], Any], refused: type[Exception]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            return fast(value)
        except refused:
            return slow(value)

    convert.__wrapped__ = fast  # type: ignore[attr-defined]
    return convert


def use_tolerant_json() -> None:
    """Make discord.py's JSON helpers fall back to the standard library where orjson refuses."""
    try:
        import orjson
    except ImportError:
        return  # discord.py uses the standard library already
    if getattr(discord.utils._from_json, "__wrapped__", None) is not None:
        return
    discord.utils._from_json = _tolerant(discord.utils._from_json, json.loads, orjson.JSONDecodeError)
    discord.utils._to_json = _tolerant(
        discord.utils._to_json, lambda obj: json.dumps(obj, separators=(",", ":")), orjson.JSONEncodeError
    )
