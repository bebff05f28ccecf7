"""User text as citebot reads it: one rule for questions, names and topics."""

from __future__ import annotations

import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """User text as the search sees it: NFC, whitespace folded, no invisible characters."""
    # Lone surrogates are bytes that were not UTF-8 (Python hands them over from argv and
    # stdin that way); the tokenizer cannot take them, and they are not text the user meant.
    cleaned = unicodedata.normalize("NFC", _SURROGATE.sub(" ", text))
    # Control characters separate words ("who\0met"); zero-width ones join them ("Ga\u200bza").
    cleaned = "".join(
        " " if unicodedata.category(ch) == "Cc" else "" if unicodedata.category(ch) == "Cf" else ch for ch in cleaned
    )
    return " ".join(cleaned.split())
