"""``retrieval.text.show.shown``: the one rule for printing an untrusted name or user text."""

import pytest

from retrieval.text.show import shown


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("title\x1b]0;PWN\x07.txt", "title<U+001B>]0;PWN<U+0007>.txt"),  # retitles a terminal
        ("two\nlines.txt", "two<U+000A>lines.txt"),  # forges a line
        ("tab\tand\rcr", "tab<U+0009>and<U+000D>cr"),
        ("c1\x85\x9b.txt", "c1<U+0085><U+009B>.txt"),  # NEL, CSI
        ("evil\u202etxt.md", "evil<U+202E>txt.md"),  # shows as "evildm.txt"
        ("a\u2066b\u2069", "a<U+2066>b<U+2069>"),  # bidi isolates
        ("Ga\u200bza\ufeff", "Ga<U+200B>za<U+FEFF>"),  # zero-width space, BOM
        ("line\u2028para\u2029", "line<U+2028>para<U+2029>"),
        ("bytes\udcff.txt", "bytes<U+DCFF>.txt"),  # an undecodable byte from the file system
        ("\u3164\u115f\uffa0", "<U+3164><U+115F><U+FFA0>"),  # Hangul fillers: look like nothing
        ("soft\u00adhyphen", "soft<U+00AD>hyphen"),
    ],
)
def test_controls_and_invisible_characters_are_spelled_out(raw, expected):
    assert shown(raw) == expected


def test_printable_text_in_any_script_is_left_alone():
    for text in ("report 2024 (final).md", "Café Zürich", "غزة.txt", "日本語.md", "❤️ notes.txt", "a\u00a0b"):
        assert shown(text) == text
