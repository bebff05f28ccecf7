"""Adding and removing documents: the bad-input table, atomic writes, nothing ever deleted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrieval.errors import CitebotError, DocumentNotFound, SeedRejected
from retrieval.documents.seeds import (
    add_document,
    document_key,
    find_document,
    list_documents,
    remove_document,
    removed_dir,
    safe_document_name,
)

TEXT = "date 2025-02-01\n\nHarbour - The harbour festival drew 3,000 visitors on Saturday.\n".encode()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "existing.txt").write_bytes(TEXT)
    return folder


def only_documents(folder: Path) -> list[str]:
    """Everything in the folder, so a leftover temporary file would show."""
    return sorted(p.name for p in folder.iterdir())


# ---- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, reason",
    [
        ("../../etc/passwd", "/"),
        ("..\\..\\boot.ini", "\\"),
        ("notes/../../x.txt", "/"),
        ("..txt", ".."),
        ("a..b.txt", ".."),
        (".env", "hidden"),
        (".notes.txt", "hidden"),
        ("con.txt", "reserved"),
        ("NUL.md", "reserved"),
        ("com1.txt", "reserved"),
        ("lpt9.notes.txt", "reserved"),
        ("evil\x00.txt", "NUL"),
        ("line\nbreak.txt", "control"),
        ("evil\u202etxt.md", "U+202E"),  # right-to-left override: displays as "evildm.txt"
        ("pay\u200broll.txt", "U+200B"),  # zero-width space
        ("\ufeffnotes.txt", "U+FEFF"),  # zero-width no-break space (a BOM)
        ("next\x85line.txt", "U+0085"),  # C1 next line
        ("line\u2028sep.txt", "U+2028"),
        ("para\u2029sep.md", "U+2029"),
        ("rtl\u200fmark.md", "direction-changing"),
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 98 + ".txt", "limit is 100"),
        ("photo.png", ".txt or .md"),
        ("report.doc", ".pdf or .docx"),  # the old binary Word format is not read
        ("notes", ".txt or .md"),
        ("what?.txt", "must not contain"),
        (" leading.txt", "space"),
    ],
)
def test_unsafe_names_are_refused_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(SeedRejected, match=None) as info:
        safe_document_name(name)
    assert reason in str(info.value)
    assert isinstance(info.value, CitebotError)  # the bot shows CitebotError messages as they are


@pytest.mark.parametrize("name", ["report.txt", "Report 2025.md", "console.txt", "com10.txt", "x" * 96 + ".txt", "NOTES.TXT", "café.md"])
def test_ordinary_names_pass_unchanged(name: str) -> None:
    assert safe_document_name(name) == name


# ---- the bad-input table ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b" \n\n\t\n", "empty"),
        ("binary.txt", PNG, "binary"),
        ("utf16.txt", "The harbour festival drew visitors.".encode("utf-16"), "UTF-16"),
        ("latin1.txt", "Caf\u00e9 au lait, na\u00efve r\u00e9sum\u00e9.".encode("latin-1"), "not UTF-8"),
        ("headers.md", b"date 2025-01-01\n", "no text"),
        ("../../etc/passwd", TEXT, "/"),
        (".env", b"DISCORD_TOKEN=x\n", "hidden"),
        ("con.txt", TEXT, "reserved"),
        ("nul\x00.txt", TEXT, "NUL"),
        ("image.png", PNG, ".txt or .md"),
        ("evil\u202etxt.md", TEXT, "U+202E"),
        ("zero\u200bwidth.txt", TEXT, "U+200B"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(seeds: Path, name: str, data: bytes, reason: str) -> None:
    before = only_documents(seeds)
    with pytest.raises(SeedRejected) as info:
        add_document(seeds, name, data)
    assert reason in str(info.value)
    assert only_documents(seeds) == before
    assert not (seeds.parent / "etc").exists()


def test_50_mb_file_is_refused_by_size(seeds: Path) -> None:
    big = bytes(50 * 2**20)
    with pytest.raises(SeedRejected, match="limit is 1.0 MiB"):
        add_document(seeds, "big.txt", big)
    assert only_documents(seeds) == ["existing.txt"]


def test_size_limit_is_configurable(seeds: Path) -> None:
    with pytest.raises(SeedRejected, match="limit"):
        add_document(seeds, "small.txt", TEXT, max_bytes=10)
    assert add_document(seeds, "small.txt", TEXT, max_bytes=len(TEXT)).read_bytes() == TEXT


def test_duplicate_name_needs_replace(seeds: Path) -> None:
    newer = TEXT.replace(b"3,000", b"4,000")
    with pytest.raises(SeedRejected, match="already exists; use replace"):
        add_document(seeds, "existing.txt", newer)
    assert (seeds / "existing.txt").read_bytes() == TEXT
    path = add_document(seeds, "existing.txt", newer, replace=True)
    assert path == seeds / "existing.txt" and path.read_bytes() == newer
    assert only_documents(seeds) == ["existing.txt"]


def test_add_writes_the_exact_bytes_and_lists_it(seeds: Path) -> None:
    data = "\ufeff# Title\r\n\r\nFirst paragraph with a BOM and CRLF.\r\n".encode()
    path = add_document(seeds, "new.md", data)
    assert path.read_bytes() == data  # stored as uploaded: the index hashes the file's bytes
    assert list_documents(seeds) == ["existing.txt", "new.md"]


def test_missing_seeds_folder_is_an_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(CitebotError, match="seeds folder not found"):
        add_document(tmp_path / "nowhere", "a.txt", TEXT)


# ---- atomic write -----------------------------------------------------------------------


def test_write_goes_through_a_temporary_file_in_the_same_folder(seeds: Path, monkeypatch) -> None:
    calls: list[tuple[Path, Path]] = []
    real_replace, real_link = os.replace, os.link

    def spy_replace(src, dst):
        calls.append((Path(src), Path(dst)))
        return real_replace(src, dst)

    def spy_link(src, dst):
        calls.append((Path(src), Path(dst)))
        return real_link(src, dst)

    monkeypatch.setattr(os, "replace", spy_replace)
    monkeypatch.setattr(os, "link", spy_link)
    add_document(seeds, "a.txt", TEXT)
    add_document(seeds, "a.txt", TEXT + b"\nMore.\n", replace=True)
    assert len(calls) == 2
    for src, dst in calls:
        assert src.parent == dst.parent == seeds  # same folder: the rename is atomic
        assert src.name.startswith(".")  # hidden: the loader never reads a half-written file
    assert only_documents(seeds) == ["a.txt", "existing.txt"]


def test_failed_write_leaves_the_old_file_and_no_temporary(seeds: Path, monkeypatch) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(CitebotError, match="No space left"):
        add_document(seeds, "existing.txt", TEXT + b"\nMore.\n", replace=True)
    assert (seeds / "existing.txt").read_bytes() == TEXT
    assert only_documents(seeds) == ["existing.txt"]


# ---- remove -----------------------------------------------------------------------------


def test_remove_moves_to_removed_beside_the_seeds_and_keeps_every_copy(seeds: Path) -> None:
    first = remove_document(seeds, "existing.txt")
    assert first == seeds.parent / "removed" / "existing.txt" == removed_dir(seeds) / "existing.txt"
    assert first.read_bytes() == TEXT
    assert list_documents(seeds) == []

    second_text = TEXT.replace(b"3,000", b"5,000")
    add_document(seeds, "existing.txt", second_text)
    second = remove_document(seeds, "existing.txt")
    add_document(seeds, "existing.txt", TEXT + b"\nThird.\n")
    third = remove_document(seeds, "existing.txt")

    assert len({first, second, third}) == 3
    assert first.read_bytes() == TEXT and second.read_bytes() == second_text
    assert third.read_bytes() == TEXT + b"\nThird.\n"
    for copy in (second, third):
        assert copy.parent == first.parent and copy.suffix == ".txt" and copy.name.startswith("existing.")
    assert sorted(p.name for p in (seeds.parent / "removed").iterdir()) == sorted(p.name for p in (first, second, third))


def test_remove_refuses_unknown_and_unsafe_names(seeds: Path) -> None:
    with pytest.raises(DocumentNotFound, match="no document named missing.txt"):
        remove_document(seeds, "missing.txt")
    with pytest.raises(SeedRejected):
        remove_document(seeds, "../seeds/existing.txt")
    (seeds.parent / "outside.txt").write_bytes(TEXT)
    with pytest.raises(SeedRejected):
        remove_document(seeds, "../outside.txt")
    assert (seeds.parent / "outside.txt").exists() and (seeds / "existing.txt").exists()


# Names a moderator may have copied into the folder by hand: add_document would refuse
# each of them, but a file that is there must always be removable.
HAND_DROPPED = [
    "Q&A: plan.md",
    "con.md",
    "report..final.txt",
    "notes  v2.txt",
    "x" * 116 + ".txt",
    "evil\u202etxt.md",
    " leading space.txt",
]


@pytest.mark.parametrize("name", HAND_DROPPED)
def test_files_added_by_hand_can_be_removed_by_exact_name(seeds: Path, name: str) -> None:
    (seeds / name).write_bytes(TEXT)
    assert name in list_documents(seeds)
    moved = remove_document(seeds, name)
    assert moved == removed_dir(seeds) / name and moved.read_bytes() == TEXT
    assert list_documents(seeds) == ["existing.txt"]


@pytest.mark.parametrize("name", HAND_DROPPED)
def test_files_added_by_hand_can_be_removed_by_their_key(seeds: Path, name: str) -> None:
    (seeds / name).write_bytes(TEXT)
    key = document_key(name)
    assert len(key) <= 100 and key == key.strip() and key.isascii() and key == document_key(name)
    assert find_document(seeds, key) == seeds / name
    assert remove_document(seeds, key).read_bytes() == TEXT
    assert list_documents(seeds) == ["existing.txt"]


def test_remove_matches_the_listing_exactly_and_never_builds_a_path(seeds: Path) -> None:
    (seeds / "notes  v2.txt").write_bytes(TEXT)
    (seeds / ".hidden.txt").write_bytes(TEXT)  # not a document: the loader skips it
    (seeds.parent / "outside.txt").write_bytes(TEXT)
    for name in ("notes v2.txt", "Existing.txt", ".hidden.txt", "./existing.txt", "seeds/../seeds/existing.txt",
                 document_key("../outside.txt"), document_key("missing.txt"), "#"):
        with pytest.raises(DocumentNotFound, match="no document named"):
            remove_document(seeds, name)
    assert only_documents(seeds) == [".hidden.txt", "existing.txt", "notes  v2.txt"]
    assert (seeds.parent / "outside.txt").exists() and not removed_dir(seeds).exists()


def test_removing_a_long_name_twice_keeps_both_copies(seeds: Path) -> None:
    name = "é" * 124 + ".md"  # 252 bytes: room for no time stamp after it
    for n in range(2):
        (seeds / name).write_bytes(TEXT + str(n).encode())
        remove_document(seeds, name)
    copies = sorted(p.read_bytes() for p in removed_dir(seeds).iterdir())
    assert copies == [TEXT + b"0", TEXT + b"1"]


# ---- names that look like other names, or like nothing ------------------------------------


@pytest.mark.parametrize(
    "name, reason",
    [
        ("x\u3164.txt", "U+3164"),  # Hangul filler: shows as "x.txt"
        ("x\u115f.txt", "U+115F"),  # Hangul choseong filler
        ("x\uffa0.txt", "U+FFA0"),  # halfwidth Hangul filler
        ("x\u2800.txt", "U+2800"),  # braille pattern blank
        ("x\u034f.txt", "U+034F"),  # combining grapheme joiner
        ("x\u180b.txt", "U+180B"),  # Mongolian free variation selector
        ("x\ufe0f.txt", "U+FE0F"),  # variation selector-16
        ("x\U000e0041.txt", "U+E0041"),  # tag latin capital A
        ("x\u00ad.txt", "U+00AD"),  # soft hyphen
        ("\ud800.txt", "U+D800"),  # a lone surrogate: not text, and no file system takes it
        ("\udce9t\u00e9.md", "U+DCE9"),
        ("\uff58.txt", "look-alike"),  # full-width x
        ("\ufb01le.txt", "look-alike"),  # the "fi" ligature
        ("cafe\u0301.md", "look-alike"),  # a decomposed é beside the composed one
        ("conin$.txt", "reserved"),
        ("CONOUT$.md", "reserved"),
        ("CON.tar.txt", "reserved"),
        ("aux.notes.md", "reserved"),
        ("com0.txt", "reserved"),
        ("LPT0.md", "reserved"),
        ("COM\u00b9.txt", "reserved"),  # COM¹: Windows reads it as COM1
        ("lpt\u00b3.md", "reserved"),
        ("prn .txt", "reserved"),
    ],
)
def test_blank_look_alike_surrogate_and_device_names_are_refused_cleanly(seeds: Path, name: str, reason: str) -> None:
    with pytest.raises(SeedRejected) as info:
        safe_document_name(name)
    message = str(info.value)
    assert reason in message
    message.encode("utf-8")  # printable and sendable: no lone surrogate copied into the message
    with pytest.raises(SeedRejected):
        add_document(seeds, name, TEXT)  # refused, never a UnicodeEncodeError from the file system
    assert only_documents(seeds) == ["existing.txt"]


@pytest.mark.parametrize("name", ["conin.txt", "com10.md", "lpt.txt", "aux-notes.txt", "caf\u00e9.md", "x.txt"])
def test_names_near_the_refused_ones_pass(name: str) -> None:
    assert safe_document_name(name) == name


# ---- /seed remove reaches documents only ----------------------------------------------------


def test_remove_cannot_reach_outside_the_folder_through_a_link(seeds: Path) -> None:
    secret = seeds.parent / "secret.txt"
    secret.write_bytes(b"SECRETPW=hunter2\n")
    (seeds / "leak.txt").symlink_to(secret)
    (seeds / "shadow.txt").symlink_to("/etc/shadow")
    os.mkfifo(seeds / "pipe.txt")
    assert list_documents(seeds) == ["existing.txt"]
    for name in ("leak.txt", "shadow.txt", "pipe.txt", document_key("leak.txt")):
        with pytest.raises(DocumentNotFound, match="no document named"):
            remove_document(seeds, name)
    assert secret.read_bytes() == b"SECRETPW=hunter2\n"
    assert (seeds / "leak.txt").is_symlink() and not removed_dir(seeds).exists()


def test_remove_takes_a_link_inside_the_folder_and_a_file_too_big_to_index(seeds: Path) -> None:
    (seeds / "alias.txt").symlink_to("existing.txt")
    with open(seeds / "huge.txt", "wb") as fh:
        fh.truncate(12 * 2**20)  # over the index's limit, but a moderator must be able to remove it
    assert list_documents(seeds) == ["alias.txt", "existing.txt", "huge.txt"]
    assert remove_document(seeds, "huge.txt") == removed_dir(seeds) / "huge.txt"
    moved = remove_document(seeds, "alias.txt")
    assert moved.is_symlink()  # the link moved, not what it names
    assert (seeds / "existing.txt").read_bytes() == TEXT
    assert list_documents(seeds) == ["existing.txt"]
