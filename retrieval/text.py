"""Showing untrusted names and user text where people read them: terminals, logs, replies.

A file name or a ``--speaker`` value may hold characters that act instead of display:
ESC and BEL retitle or repaint a terminal, a newline forges a log line or splits a summary,
a bidi override shows ``txt.exe`` as ``exe.txt``, a zero-width space makes two names look
alike. ``shown`` spells every such character as ``<U+XXXX>`` so what is printed is what the
name is, visibly. The one owner of that rule: the bot's replies, the CLI and log lines use it.
"""

from __future__ import annotations

import unicodedata

__all__ = ["shown"]

# Controls (C0, DEL, C1: ESC, BEL, newline, tab), format characters (bidi overrides and
# isolates, zero-width space/joiners, soft hyphen, tags), line and paragraph separators,
# surrogates (undecodable bytes from argv or the file system), private use and unassigned
# code points (no agreed glyph; a terminal may show nothing).
_UNSHOWABLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Default-ignorable letters and marks that render as nothing: the combining grapheme joiner,
# the Hangul fillers and the Khmer inherent vowels. (Variation selectors are default-ignorable
# too, but they only pick a glyph for the character before them, as in emoji: they stay.)
_BLANK_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")


def _unshowable(ch: str) -> bool:
    return ch in _BLANK_FILLERS or unicodedata.category(ch) in _UNSHOWABLE


def shown(text: str) -> str:
    """``text`` with every control, invisible or direction-changing character spelled out
    as ``<U+XXXX>``; printable text (any script, emoji, spaces) is left as it is."""
    if text.isprintable() and not any(ch in _BLANK_FILLERS for ch in text):
        return text  # the common case, without a per-character lookup
    return "".join(f"<U+{ord(ch):04X}>" if _unshowable(ch) else ch for ch in text)
