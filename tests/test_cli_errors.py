"""Errors a user can cause or meet (bad settings, odd folders, a full disk, foreign state files)
are one line on stderr, lose nothing, and leave the built index answering."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import BotSettings, read_settings
from conftest import SEEDS
from retrieval.errors import SettingsError, StorageError
from retrieval.api import Citebot
from retrieval.settings import Settings
from retrieval.index.store import CURRENT
from retrieval.state import open_state_db

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How many tents were sent?"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITEBOT_", "DISCORD_"))}
    return env | extra


# ---- settings ---------------------------------------------------------------------------

BAD_SETTINGS = [
    ("CITEBOT_MAX_QUESTION_CHARS", "abc", "must be a whole number from 1 to 100000, got 'abc'"),
    ("CITEBOT_MAX_QUESTION_CHARS", "-5", "must be a whole number from 1 to 100000, got '-5'"),
    ("CITEBOT_COOLDOWN_PER_MINUTE", "six", "must be a whole number from 0 to 10000, got 'six'"),
    ("CITEBOT_MAX_UPLOAD_BYTES", "1MB", "must be a whole number from 1 to 100000000, got '1MB'"),
    ("CITEBOT_GUILD_ID", "my-server", "must be a Discord id (a positive whole number), got 'my-server'"),
    ("CITEBOT_AUDIT_CHANNEL_ID", "0", "must be a Discord id (a positive whole number), got '0'"),
    ("CITEBOT_OWNER_IDS", "123;456", "must be Discord ids separated by commas, got '123;456'"),
    ("CITEBOT_SHARD_COUNT", "two", "must be a whole number from 1 to 100000 or auto, got 'two'"),
    ("CITEBOT_SHARD_IDS", "0", "needs CITEBOT_SHARD_COUNT set to a number of shards, got '0'"),
    ("CITEBOT_WATCH", "maybe", "must be one of 1/true/yes/on or 0/false/no/off, got 'maybe'"),
    ("CITEBOT_LOG_LEVEL", "loud", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'loud'"),
    ("CITEBOT_MODEL", "   ", "is blank: set it or unset it"),
]


def run_citebot(cwd: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("name, value, accepts", BAD_SETTINGS, ids=[f"{n}={v!r}" for n, v, _ in BAD_SETTINGS])
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(tmp_path, name, value, accepts):
    proc = run_citebot(tmp_path, clean_env(**{name: value, "CITEBOT_SEEDS_DIR": str(SEEDS)}), "ask", "tents")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [f"citebot: {name} {accepts}"]
    assert list(tmp_path.iterdir()) == []  # refused before anything was read or written


@pytest.mark.parametrize("command", [("run",), ("index",), ("sources",), ("who",), ("quote",), ("chat",)])
def test_every_command_checks_the_settings_first(tmp_path, command):
    # DISCORD_TOKEN set: `run` must refuse the setting before it would try to connect.
    env = clean_env(CITEBOT_GUILD_ID="my-server", DISCORD_TOKEN="never-used", CITEBOT_SEEDS_DIR=str(SEEDS))
    proc = run_citebot(tmp_path, env, *command)
    assert proc.returncode == 2 and list(tmp_path.iterdir()) == []
    assert proc.stderr.splitlines() == ["citebot: CITEBOT_GUILD_ID must be a Discord id (a positive whole number), got 'my-server'"]


def test_the_example_env_file_is_valid_settings():
    from dotenv import dotenv_values

    values = {k: v or "" for k, v in dotenv_values(ROOT / ".env.example").items()}
    assert Settings.from_env(values) == Settings()  # it spells out the defaults
    assert read_settings(values) == (Settings(), BotSettings())


def test_settings_accept_what_they_say_and_name_every_bad_one():
    core, settings = read_settings(
        {
            "CITEBOT_MAX_QUESTION_CHARS": " 200 ",
            "CITEBOT_COOLDOWN_PER_MINUTE": "0",  # no limit
            "CITEBOT_WATCH": "Off",
            "CITEBOT_GUILD_ID": "1234567890123456789",
            "CITEBOT_LOG_LEVEL": "debug",
        }
    )
    assert (core.max_question_chars, settings.cooldown_per_minute, settings.watch) == (200, 0, False)
    assert (settings.guild_id, settings.log_level, settings.audit_channel_id) == (1234567890123456789, "DEBUG", None)
    assert read_settings({"CITEBOT_WATCH": "YES", "CITEBOT_MAX_QUESTION_CHARS": ""})[1].watch is True
    with pytest.raises(SettingsError) as caught:
        read_settings({"CITEBOT_WATCH": "2", "CITEBOT_MAX_UPLOAD_BYTES": "0", "CITEBOT_GUILD_ID": "x" * 500})
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400  # a pasted token is not echoed whole
    assert [part.split(" ")[0] for part in message.split("; ")] == [
        "CITEBOT_GUILD_ID", "CITEBOT_WATCH", "CITEBOT_MAX_UPLOAD_BYTES"
    ]


def test_the_core_and_the_bot_settings_are_checked_in_one_pass():
    # Two objects now, one message still: fixing a .env takes one run, core variables first.
    env = {"CITEBOT_GUILD_ID": "my-server", "CITEBOT_MAX_QUESTION_CHARS": "0", "CITEBOT_MODEL": "m"}
    with pytest.raises(SettingsError) as caught:
        read_settings(env)
    assert [part.split(" ")[0] for part in str(caught.value).split("; ")] == ["CITEBOT_MAX_QUESTION_CHARS", "CITEBOT_GUILD_ID"]
    assert Settings.from_env({"CITEBOT_GUILD_ID": "my-server"}) == Settings()  # the core ignores the bot's
    with pytest.raises(SettingsError, match="^CITEBOT_GUILD_ID must be a Discord id"):
        BotSettings.from_env({"CITEBOT_GUILD_ID": "my-server", "CITEBOT_MAX_QUESTION_CHARS": "0"})


# ---- in-process CLI runs, with stderr (log lines included) captured ---------------------


@pytest.fixture
def citebot_cli(embedder, monkeypatch, capsys):
    """``main`` in this process, with the session's model, returning (status, stdout, stderr
    lines). Logging starts without handlers, as in a fresh process (pytest's own are put
    back after), so a log line printed beside an error message is seen as a user sees it."""
    monkeypatch.setattr("retrieval.api.load_embedder", lambda spec: embedder)
    root = logging.getLogger()

    def run(*argv: str) -> tuple[int, str, list[str]]:
        saved = root.handlers[:], root.level
        root.handlers = []
        capsys.readouterr()
        try:
            out = io.StringIO()
            code = main(list(argv), out=out)
        finally:
            for handler in root.handlers:
                handler.close()
            root.handlers, level = saved
            root.setLevel(level)
        return code, out.getvalue(), capsys.readouterr().err.splitlines()

    return run


@pytest.fixture
def built(tmp_path, embedder) -> tuple[Path, Path]:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(SEEDS, seeds)
    Citebot(Settings(seeds_dir=seeds, index_dir=index), embedder=embedder).ensure_index()
    return seeds, index


def ask_json(run, seeds: Path, index: Path) -> tuple[int, dict, list[str]]:
    code, out, err = run("ask", "--json", "--seeds", str(seeds), "--index-dir", str(index), QUESTION)
    return code, (json.loads(out) if out else {}), err


def test_an_index_folder_whose_name_is_not_utf8_works(tmp_path, citebot_cli):
    index = Path(os.fsdecode(bytes(tmp_path) + b"/index-\xff"))
    code, out, err = citebot_cli("index", "--seeds", str(SEEDS), "--index-dir", str(index))
    assert (code, err) == (0, []) and "1 documents" in out
    code, answer, err = ask_json(citebot_cli, SEEDS, index)
    assert (code, err, answer["short_answer"]) == (0, [], "10,000")


def test_a_folder_named_current_is_a_damaged_pointer_the_index_is_rebuilt(built, citebot_cli):
    seeds, index = built
    (index / CURRENT).unlink()
    (index / CURRENT / "kept").mkdir(parents=True)  # `mkdir index/CURRENT`, with something in it
    code, answer, err = ask_json(citebot_cli, seeds, index)
    assert code == 0 and answer["short_answer"] == "10,000"
    assert len(err) == 1 and "index pointer CURRENT unreadable: Is a directory" in err[0]
    (aside,) = index.glob(f"{CURRENT}.damaged-*")
    assert (aside / "kept").is_dir()  # moved aside, not deleted
    code, answer, err = ask_json(citebot_cli, seeds, index)
    assert (code, err, answer["short_answer"]) == (0, [], "10,000")  # repaired for good


def _no_documents(seeds: Path, index: Path) -> list[str]:
    for path in seeds.iterdir():
        path.unlink()
    return ["index", "--force", "--seeds", str(seeds), "--index-dir", str(index)]


def _only_a_binary_document(seeds: Path, index: Path) -> list[str]:
    for path in seeds.iterdir():
        path.unlink()
    (seeds / "scan.txt").write_bytes(b"\x00\x01 not text")
    return ["index", "--force", "--seeds", str(seeds), "--index-dir", str(index)]


def _index_under_a_file(seeds: Path, index: Path) -> list[str]:
    (index.parent / "afile").write_text("not a folder")
    return ["index", "--seeds", str(seeds), "--index-dir", str(index.parent / "afile" / "index")]


@pytest.mark.parametrize(
    "situation, status, line",
    [
        (_no_documents, 1, "citebot: no readable documents in {seeds}; the previous index keeps answering"),
        (
            _only_a_binary_document, 1,
            "citebot: no readable documents in {seeds} (skipped scan.txt: binary file (contains NUL bytes), or UTF-16"
            " text: save it as UTF-8); the previous index keeps answering",
        ),
        (_index_under_a_file, 2, "citebot: index folder {parent}/afile/index cannot be used: part of its path is a file"),
    ],
    ids=["no-documents", "only-a-binary-document", "index-folder-under-a-file"],
)
def test_errors_print_the_message_and_no_log_line_beside_it(built, citebot_cli, situation, status, line):
    seeds, index = built
    code, _, err = citebot_cli(*situation(seeds, index))
    assert (code, err) == (status, [line.format(seeds=seeds, parent=index.parent)])


# ---- a full disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs, so the disk really fills up; skipped where mounting is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True, text=True)
    except OSError as exc:
        pytest.skip(f"cannot run mount: {exc}")
    if proc.returncode != 0:
        pytest.skip(f"mounting a small tmpfs is not permitted here (needs root): {proc.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)  # lazy: open files cannot keep it


def fill(disk: Path) -> None:
    """Take every free byte of ``disk``."""
    with open(disk / "filler", "ab") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass


def _full_from_the_start(disk: Path, monkeypatch) -> None:
    fill(disk)


def _fills_as_faiss_writes(disk: Path, monkeypatch) -> None:
    from retrieval.index.vectors import _FaissIndex

    save = _FaissIndex.save

    def filling_save(self, path: Path) -> None:
        fill(disk)
        save(self, path)

    monkeypatch.setattr(_FaissIndex, "save", filling_save)


def _fills_as_faiss_writes_natively(disk: Path, monkeypatch) -> None:
    import faiss

    from retrieval.index.vectors import _FaissIndex

    def native_save(self, path: Path) -> None:
        # faiss's own writer (the one used before): its C++ assertion, "Error in void
        # faiss::write_index(...) at .../index_write.cpp:499: Error: ...", must become one line.
        fill(disk)
        faiss.write_index(self._index, str(path))

    monkeypatch.setattr(_FaissIndex, "save", native_save)


@pytest.mark.parametrize(
    "situation, reason",
    [
        (_full_from_the_start, r"database or disk is full \(.*/index\)"),
        (_fills_as_faiss_writes, r"No space left on device \(.*/gen-[^/]+/sentences\.faiss\)"),
        (_fills_as_faiss_writes_natively, r"Error: 'ret == \(size \* 4\)' failed: write error in .*sentences\.faiss: \d+ != \d+ \(No space left on device\)"),
    ],
    ids=["sqlite-cache", "faiss", "faiss-native-writer"],
)
def test_a_full_disk_is_one_line_and_the_old_index_keeps_answering(small_disk, embedder, citebot_cli, monkeypatch, situation, reason):
    seeds, index = small_disk.parent / "seeds", small_disk / "index"
    shutil.copytree(SEEDS, seeds)
    Citebot(Settings(seeds_dir=seeds, index_dir=index), embedder=embedder).ensure_index()
    serving = (index / CURRENT).read_text()
    cached = sqlite3.connect(index / "embeddings.sqlite").execute("SELECT count(*) FROM vectors").fetchone()[0]
    (seeds / "ferries.txt").write_text("Ferries now run every hour between the two harbours, the port said on Monday.")

    situation(small_disk, monkeypatch)
    code, _, err = citebot_cli("index", "--seeds", str(seeds), "--index-dir", str(index))
    assert code == 1 and len(err) == 1, err
    assert re.fullmatch(f"citebot: reindex failed: {reason}; the previous index keeps answering", err[0]), err[0]

    code, answer, err = ask_json(citebot_cli, seeds, index)  # the disk is still full
    assert code == 0 and answer["short_answer"] == "10,000"
    assert len(err) == 1 and err[0].startswith("citebot: warning: reindex failed: ")
    assert err[0].endswith("; the previous index keeps answering")
    # Nothing lost: the same generation serves, no half-built one is left, the cache is whole.
    assert (index / CURRENT).read_text() == serving
    assert [p.name for p in index.glob("gen-*")] == [serving.strip()]
    assert sqlite3.connect(index / "embeddings.sqlite").execute("SELECT count(*) FROM vectors").fetchone()[0] >= cached


def test_a_state_file_on_a_full_disk_is_kept_not_moved_aside(small_disk):
    from retrieval.query.feedback import _SCHEMA

    path = small_disk / "feedback.sqlite"
    old = sqlite3.connect(path)  # votes from a version without the index: opening adds it
    old.executescript(_SCHEMA.split("CREATE INDEX")[0])
    old.execute("INSERT INTO votes VALUES (1, 2, 'q', 'p', 1, 'q', x'00', 'd', 't', NULL, 1, 1, 'text', 0)")
    old.commit()
    old.close()
    fill(small_disk)
    with pytest.raises(StorageError, match=r"^cannot use .*feedback\.sqlite: database or disk is full$"):
        open_state_db(path, _SCHEMA)
    assert [p.name for p in small_disk.iterdir() if p.name.startswith("feedback")] == ["feedback.sqlite"]
    assert sqlite3.connect(path).execute("SELECT text FROM votes").fetchall() == [("text",)]


def test_run_with_its_data_folder_on_a_full_disk_is_one_line(small_disk, seed_citebot):
    state = small_disk / "state"
    state.mkdir()
    fill(small_disk)
    env = clean_env(
        DISCORD_TOKEN="never-used",
        CITEBOT_SEEDS_DIR=str(seed_citebot.settings.seeds_dir),
        CITEBOT_INDEX_DIR=str(seed_citebot.settings.index_dir),
        CITEBOT_DATA_DIR=str(state),
    )
    proc = run_citebot(small_disk.parent, env, "run")
    assert proc.returncode == 1
    assert re.fullmatch(rf"citebot: cannot use {re.escape(str(state))}/(\w+/)*\w+\.sqlite: database or disk is full", proc.stderr.strip())
    assert proc.stderr.count("\n") == 1
