"""Showing untrusted names and user text where people read them: terminals, logs, replies.

A file name or a ``--speaker`` value may hold characters that act instead of display:
ESC and BEL retitle or repaint a terminal, a newline forges a log line or splits a summary,
a bidi override shows ``txt.exe`` as ``exe.txt``, a zero-width space or a Hangul filler
makes two names look alike. The one owner of "which characters hide": ``is_hidden_character``
(new document names refuse them) and ``shown`` (the bot's replies, the CLI and log lines
spell them out as ``<U+XXXX>``, so what is printed is what the name is, visibly).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import quote, urlsplit

__all__ = ["is_hidden_character", "shown", "web_url"]

# Control (Cc: C0, DEL and C1 such as ESC, BEL, newline, U+0085 NEL), format (Cf: zero-width
# and direction-changing marks such as U+200B and U+202E, tags), line/paragraph separators
# (Zl, Zp) and lone surrogates (Cs: undecodable bytes from argv or the file system; no file
# system can store one): text with one displays as something else or splits a line.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15.1):
# characters a renderer may draw as nothing. Among them are the Hangul fillers, the combining
# grapheme joiner and the variation selectors, which are letters or marks (Lo, Mn), so the
# categories above miss them: "x\u3164.txt" shows as "x.txt". Written out as ranges
# because Python's unicodedata does not expose the property.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors and vowel separator
    (0x200B, 0x200F),  # zero width space, joiners, direction marks
    (0x202A, 0x202E),  # direction embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, direction isolates (and reserved)
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors 1-16
    (0xFEFF, 0xFEFF),  # zero width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # reserved
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol beams and phrases
    (0xE0000, 0xE0FFF),  # tags, variation selectors 17-256 (and reserved)
)
# Not default-ignorable, but drawn as blank in most fonts: a name made of them looks empty.
_BLANK_LOOKING = frozenset({0x2800})  # braille pattern blank
# Variation selectors only pick a glyph for the character before them (text or emoji style,
# "❤️" is U+2764 U+FE0F): a name may not hold one, but shown text keeps them.
_GLYPH_SELECTORS = frozenset(range(0xFE00, 0xFE10)) | frozenset(range(0xE0100, 0xE01F0))
# Private use and unassigned code points have no agreed glyph: a terminal may show nothing.
_NO_GLYPH = frozenset({"Co", "Cn"})


def is_hidden_character(c: str) -> bool:
    """Whether ``c`` displays as nothing or as something else (or is no character at all)."""
    return (
        unicodedata.category(c) in _INVISIBLE_CATEGORIES
        or ord(c) in _BLANK_LOOKING
        or any(low <= ord(c) <= high for low, high in _DEFAULT_IGNORABLE)
    )


def _unshowable(ch: str) -> bool:
    if ord(ch) in _GLYPH_SELECTORS:
        return False
    return is_hidden_character(ch) or unicodedata.category(ch) in _NO_GLYPH


def shown(text: str) -> str:
    """``text`` with every control, invisible or direction-changing character spelled out
    as ``<U+XXXX>``; printable text (any script, emoji, spaces) is left as it is."""
    if text.isascii() and text.isprintable():
        return text  # the common case, without a per-character lookup
    return "".join(f"<U+{ord(ch):04X}>" if _unshowable(ch) else ch for ch in text)


# What may stay as it is in a shown URL's path, query and fragment: RFC 3986's unreserved
# characters and the delimiters that never end a markdown link or a line. Everything else
# (spaces, quotes, brackets, parentheses, angle brackets, backslashes, controls, any
# non-ASCII) is percent-encoded, so the URL is one unbroken token wherever it is printed:
# "https://x.example/a) [b](https://evil.example" cannot close a masked link early.
_URL_SAFE = "!$&*+,;=:@/%-._~"
_HOST = re.compile(r"[a-z0-9_.-]+")


def web_url(url: str | None) -> str | None:
    """``url`` as an absolute http(s) URL fit to show and to link, or None when it is not
    one (another scheme such as ``javascript:``, no host, a user name or password, a port
    or host that does not parse). Non-ASCII host names become their IDNA form."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or parts.username is not None or parts.password is not None:
        return None
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError:
        return None
    if ":" in host:  # an IPv6 literal: only the address itself, in brackets
        try:
            host = f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            return None
    elif not _HOST.fullmatch(host):
        return None
    netloc = host if port is None else f"{host}:{port}"
    shown_url = f"{scheme}://{netloc}{quote(parts.path, safe=_URL_SAFE)}"
    if parts.query:
        shown_url += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    if parts.fragment:
        shown_url += "#" + quote(parts.fragment, safe=_URL_SAFE + "?")
    return shown_url
