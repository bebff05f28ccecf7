import json
import logging
import os
import socket
import threading
from pathlib import Path

import pytest

from retrieval.documents.loading import inspect_entry, load_documents, parse_document, read_entry, seed_fingerprint
from retrieval.errors import SeedsFolderError
from retrieval.api import Citebot
from retrieval.settings import Settings

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def test_seed_article_metadata_and_numbering():
    result = load_documents(SEEDS)
    assert not result.skipped
    (doc,) = result.documents
    assert doc.date == "2025-01-23"
    assert doc.place == "Doha"
    assert len(doc.paragraphs) == 7
    assert [p.number for p in doc.paragraphs] == list(range(1, 8))
    # The dateline stays searchable; the date header does not leak into the text.
    assert doc.paragraphs[0].text.startswith("Doha - Jamaat-e-Islami Emir")
    assert "date 2025" not in doc.paragraphs[0].text
    last = doc.paragraphs[-1].sentences[-1]
    assert (last.doc, last.paragraph, last.number) == (doc.doc, 7, 1)
    assert "10,000 tents" in last.text


def test_every_sentence_knows_where_it_is():
    (doc,) = load_documents(SEEDS).documents
    for paragraph in doc.paragraphs:
        for i, sentence in enumerate(paragraph.sentences, start=1):
            assert sentence.number == i
            assert paragraph.text[sentence.start : sentence.end] == sentence.text


def test_bad_files_are_skipped_with_a_named_warning(tmp_path, caplog):
    (tmp_path / "good.md").write_text("# Title\n\nA fine paragraph. Two sentences.\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes("hello world".encode("utf-16"))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    with caplog.at_level(logging.WARNING):
        result = load_documents(tmp_path)
    assert [d.doc for d in result.documents] == ["good.md"]
    assert result.documents[0].title == "Title"
    skipped = {s.name: s.reason for s in result.skipped}
    assert set(skipped) == {"empty.txt", "binary.txt", "latin1.txt", "utf16.txt", "notes.pdf"}
    assert "UTF-8" in skipped["latin1.txt"]
    assert "damaged PDF" in skipped["notes.pdf"]  # a PDF header and nothing after it
    for name in skipped:
        assert name in caplog.text


def test_missing_seeds_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SeedsFolderError, match="not found"):
        load_documents(tmp_path / "nope")


def test_markdown_headings_are_not_paragraphs():
    doc = parse_document("a.md", "date: 2024-05-01\n# Report\n\n## Part one\n\nFirst para.\n\nSecond para.")
    assert doc.title == "Report"
    assert doc.date == "2024-05-01"
    assert [p.text for p in doc.paragraphs] == ["First para.", "Second para."]


# ---- what is a document: a regular file whose real path is inside the seeds folder ----------

NEWS = "# Harbour news\n\nThe harbour festival drew 3,000 visitors on Saturday.\n"


def load_within(folder: Path, seconds: float = 20.0, **kwargs):
    """``load_documents`` on a thread: a FIFO that blocks the reader fails the test, not the run."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(load_documents(folder, **kwargs)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"loading {folder} hung"
    return out[0]


def make_socket(path: Path) -> None:
    # AF_UNIX paths are limited to ~100 bytes and pytest's folders are long: bind relatively.
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        socket.socket(socket.AF_UNIX).bind(path.name)
    finally:
        os.chdir(here)


SPECIAL = {
    "zero.txt": (lambda p: p.symlink_to("/dev/zero"), "a link leading outside the seeds folder"),
    "status.txt": (lambda p: p.symlink_to("/proc/self/status"), "a link leading outside the seeds folder"),
    "fifo.txt": (lambda p: os.mkfifo(p), "a FIFO, not a file"),
    "sock.txt": (make_socket, "a socket, not a file"),
    "folder.txt": (lambda p: p.mkdir(), "a folder, not a file"),
    "loop.txt": (lambda p: p.symlink_to(p.name), "a link loop"),
    "dangling.txt": (lambda p: p.symlink_to("nowhere.txt"), "a dangling link: what it names does not exist"),
    "dotfile.txt": (lambda p: p.symlink_to(".env"), "a link to a hidden file"),
}


@pytest.mark.parametrize("name", list(SPECIAL))
def test_links_out_devices_fifos_sockets_folders_loops_and_dangling_links_are_skipped_by_name(tmp_path, caplog, name):
    make, reason = SPECIAL[name]
    (tmp_path / "news.md").write_text(NEWS)
    (tmp_path / ".env").write_text("DISCORD_TOKEN=secret\n")
    make(tmp_path / name)
    with caplog.at_level(logging.WARNING):
        result = load_within(tmp_path)
    assert [d.doc for d in result.documents] == ["news.md"]
    assert [(s.name, s.reason) for s in result.skipped] == [(name, reason)]
    assert f"{name}: {reason}" in caplog.text


def test_every_kind_at_once_never_blocks_and_the_fingerprint_names_each(tmp_path):
    (tmp_path / "news.md").write_text(NEWS)
    (tmp_path / ".env").write_text("DISCORD_TOKEN=secret\n")
    for name, (make, _) in SPECIAL.items():
        make(tmp_path / name)
    result = load_within(tmp_path)
    assert {s.name: s.reason for s in result.skipped} == {name: reason for name, (_, reason) in SPECIAL.items()}
    # The index records the same map the staleness check computes, so nothing looks changed.
    assert seed_fingerprint(tmp_path) == result.hashes


def test_a_link_to_another_file_inside_the_folder_is_a_document(tmp_path):
    (tmp_path / "news.md").write_text(NEWS)
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "old.txt").write_text("The old harbour closed in 1990.")
    (tmp_path / "alias.md").symlink_to("news.md")
    (tmp_path / "old.txt").symlink_to("archive/old.txt")
    result = load_within(tmp_path)
    assert [d.doc for d in result.documents] == ["alias.md", "news.md", "old.txt"]
    assert not result.skipped


def test_a_seed_larger_than_the_limit_is_skipped_unread_and_the_rest_indexed(tmp_path):
    (tmp_path / "news.md").write_text(NEWS)
    with open(tmp_path / "huge.txt", "wb") as fh:
        fh.truncate(int(12.3 * 2**20))  # sparse: never read, so it costs no disk
    with open(tmp_path / "edge.txt", "wb") as fh:
        fh.truncate(10 * 2**20 + 1)
    result = load_within(tmp_path)  # the default limit, 10 MiB
    assert [d.doc for d in result.documents] == ["news.md"]
    assert {s.name: s.reason for s in result.skipped} == {
        "huge.txt": "12.3 MiB; the limit is 10.0 MiB",
        "edge.txt": "10,485,761 bytes; the limit is 10,485,760 bytes",  # rounding would hide the difference
    }
    small = load_within(tmp_path, max_bytes=40)
    assert "news.md" in {s.name for s in small.skipped}


def test_document_limit_setting_is_read_from_the_environment():
    assert Settings.from_env({}, dotenv=False).max_document_bytes == 10 * 2**20
    assert Settings.from_env({"CITEBOT_MAX_DOCUMENT_BYTES": "2048"}, dotenv=False).max_document_bytes == 2048


def test_a_secret_behind_a_link_is_never_indexed_answered_or_listed(make_citebot, tmp_path, embedder):
    (tmp_path / ".env").write_text("SECRETPW=hunter2 is the admin password for the harbour server.\n")
    citebot = make_citebot({"news.md": NEWS})
    seeds = citebot.settings.seeds_dir
    (seeds / "dotenv.txt").symlink_to("../.env")
    (seeds / "shadow.txt").symlink_to("/etc/shadow")
    report = citebot.ensure_index()
    assert "skipped: dotenv.txt (a link leading outside the seeds folder); shadow.txt (a link leading outside" in report.summary()
    assert [s.doc for s in citebot.sources()] == ["news.md"]
    answer = citebot.ask("SECRETPW admin password")
    assert "hunter2" not in json.dumps(answer.to_json())
    assert all(r.doc == "news.md" for r in answer.results)
    # Limited by the setting too: a document over it is skipped with the reason.
    small = Citebot(Settings(seeds_dir=seeds, index_dir=tmp_path / "small", max_document_bytes=40), embedder=embedder)
    (seeds / "brief.txt").write_text("Ferries run hourly.")
    report = small.ensure_index()
    assert f"news.md ({len(NEWS.encode())} bytes; the limit is 40 bytes)" in report.summary()
    assert [s.doc for s in small.sources()] == ["brief.txt"]


def test_a_link_to_a_file_that_changes_on_every_read_does_not_rebuild_every_time(make_citebot, embedder):
    citebot = make_citebot({"news.md": NEWS})
    (citebot.settings.seeds_dir / "status.txt").symlink_to("/proc/self/status")
    assert citebot.ensure_index() is not None
    assert citebot.ensure_index() is None
    assert Citebot(citebot.settings, embedder=embedder).ensure_index() is None  # another process too


def test_a_file_name_that_is_not_utf8_is_skipped_by_name_not_a_failed_index(make_citebot):
    citebot = make_citebot({"news.md": NEWS})
    seeds = os.fsencode(citebot.settings.seeds_dir)
    with open(os.path.join(seeds, b"caf\xe9.txt"), "wb") as fh:  # Latin-1 bytes in a name, copied from an old disk
        fh.write(b"The cafe opens at nine.")
    report = citebot.ensure_index()  # used to fail: SQLite refuses the name's lone surrogate
    assert "caf\\xe9.txt (the file name is not valid UTF-8; rename it)" in report.summary()
    assert [s.doc for s in citebot.sources()] == ["news.md"]


def test_a_document_swapped_after_it_was_inspected_is_not_read(tmp_path):
    """Between the check and the read a file can be replaced: the read notices, never blocks."""
    (tmp_path / ".env").write_text("SECRETPW=hunter2\n")
    path = tmp_path / "news.md"

    def replace_with(make):
        path.unlink()
        make()

    for swap, error in [
        (lambda: replace_with(lambda: os.mkfifo(path)), "replaced while being read"),  # opened without waiting
        (lambda: replace_with(lambda: path.symlink_to(tmp_path / ".env")), "Too many levels of symbolic links"),
        (lambda: path.write_text(NEWS + "x" * 200), "grew past the limit of 200 bytes"),
    ]:
        path.write_text(NEWS)
        entry = inspect_entry(path, tmp_path, max_bytes=200)
        assert entry.problem is None
        swap()
        with pytest.raises((ValueError, OSError), match=error):
            read_entry(entry, max_bytes=200)
        path.unlink()
