"""The command line over many libraries: ``--server ID`` on ask, index, sources, who and quote,
and ``citebot add``, ``remove`` and ``forget`` (README, "The command line")."""

from __future__ import annotations

import io
import json
import shutil

import pytest

from bot.cli import main
from conftest import SEEDS

SERVER, OTHER = "123456789012345678", "876543210987654321"
ROWING = """date 2025-03-02
# Larkspur Rowing Club annual meeting

Oxford - The Larkspur Rowing Club held its annual meeting on Sunday at the boathouse.

Members elected Imogen Vardy as treasurer of the club. "We will buy two new boats this spring," said Imogen Vardy.

The club has 48 members and trains on the river every Saturday morning.
"""
ROWING_Q = "How many members does the rowing club have?"


@pytest.fixture
def cli(seed_citebot, embedder, monkeypatch, tmp_path, capsys):
    """``main`` in this process over the session's seed index (read only) and a fresh data
    folder for the servers' libraries; returns (status, stdout, stderr)."""
    monkeypatch.setattr("retrieval.api.load_embedder", lambda spec: embedder)
    monkeypatch.setenv("CITEBOT_SEEDS_DIR", str(seed_citebot.settings.seeds_dir))
    monkeypatch.setenv("CITEBOT_INDEX_DIR", str(seed_citebot.settings.index_dir))
    monkeypatch.setenv("CITEBOT_DATA_DIR", str(tmp_path / "data"))

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        out = io.StringIO()
        code = main(list(argv), out=out)
        return code, out.getvalue(), capsys.readouterr().err

    return run


@pytest.fixture
def rowing(tmp_path):
    path = tmp_path / "club.txt"
    path.write_text(ROWING)
    return path


def test_a_document_added_to_a_server_answers_there_and_only_there(cli, rowing, tmp_path):
    code, out, _ = cli("add", str(rowing), "--server", SERVER)
    assert code == 0
    assert out.splitlines()[0].startswith(f"Saved club.txt in server {SERVER}'s library: “Larkspur Rowing Club")
    assert "added: club.txt" in out and f"index written to {tmp_path / 'data' / 'servers' / SERVER / 'index'}" in out

    code, out, _ = cli("ask", "--json", "--server", SERVER, ROWING_Q)
    answer = json.loads(out)
    assert code == 0 and answer["short_answer"] == "48" and answer["results"][0]["library"] == SERVER
    # The seed article still answers there: the shared library is part of a server's scope.
    assert json.loads(cli("ask", "--json", "--server", SERVER, "How many tents were sent?")[1])["short_answer"] == "10,000"
    for elsewhere in ([], ["--server", OTHER]):
        answer = json.loads(cli("ask", "--json", *elsewhere, ROWING_Q)[1])
        assert not answer["answered"] and all("library" not in r for r in answer["results"])


def test_sources_who_and_quote_take_the_server_and_can_leave_the_shared_library_out(cli, rowing):
    cli("add", str(rowing), "--server", SERVER)
    code, out, _ = cli("sources", "--server", SERVER)
    assert code == 0 and f"[club.txt, server {SERVER}]" in out and "Jamaat-e-Islami" in out
    assert "Jamaat-e-Islami" not in cli("sources", "--server", SERVER, "--no-shared")[1]
    assert "Larkspur" not in cli("sources")[1] and "Larkspur" not in cli("sources", "--server", OTHER)[1]

    person = json.loads(cli("who", "--json", "--server", SERVER, "Imogen Vardy")[1])["people"][0]
    assert {"doc": "club.txt", "paragraph": 2, "page": None, "section": None, "library": SERVER} in person["mentions"]
    assert cli("who", "--server", OTHER, "Imogen Vardy")[0] == 1
    quotes = json.loads(cli("quote", "--json", "--server", SERVER, "--speaker", "Imogen Vardy")[1])["quotes"]
    assert [(q["text"], q["library"]) for q in quotes] == [("We will buy two new boats this spring", SERVER)]
    assert "Imogen" not in cli("quote", "--json")[1]


def test_removing_a_servers_last_document_leaves_it_empty(cli, rowing, tmp_path):
    cli("add", str(rowing), "--server", SERVER)
    code, out, _ = cli("remove", "club.txt", "--server", SERVER)
    assert code == 0
    assert out.splitlines()[0] == f"moved club.txt to {tmp_path / 'data' / 'servers' / SERVER / 'removed'}"
    assert "removed: club.txt" in out and out.splitlines()[-1].startswith(f"server {SERVER}'s library has no documents")
    assert (tmp_path / "data" / "servers" / SERVER / "removed" / "club.txt").read_text() == ROWING
    assert not json.loads(cli("ask", "--json", "--server", SERVER, "--no-shared", ROWING_Q)[1])["results"]


def test_an_empty_server_library_is_not_an_error_and_makes_no_folder(cli, tmp_path):
    code, out, _ = cli("index", "--server", OTHER)
    assert code == 0 and out == f"server {OTHER}'s library has no documents (add one with citebot add PATH --server {OTHER})\n"
    code, out, _ = cli("ask", "--json", "--server", OTHER, "--no-shared", ROWING_Q)
    assert code == 0 and json.loads(out)["results"] == []
    assert cli("sources", "--server", OTHER, "--no-shared")[1] == "No documents are indexed yet. Run `citebot index`.\n"
    assert not (tmp_path / "data" / "servers").exists()


def test_forget_moves_a_servers_library_aside_and_keeps_it(cli, rowing, tmp_path):
    cli("add", str(rowing), "--server", SERVER)
    code, out, _ = cli("forget", "--server", SERVER)
    (aside,) = (tmp_path / "data" / "servers" / "removed").iterdir()
    assert code == 0 and out.splitlines()[0] == f"moved server {SERVER}'s library to {aside}"
    assert (aside / "seeds" / "club.txt").read_text() == ROWING
    assert not (tmp_path / "data" / "servers" / SERVER).exists()
    assert not json.loads(cli("ask", "--json", "--server", SERVER, ROWING_Q)[1])["answered"]
    code, _, err = cli("forget", "--server", SERVER)
    assert code == 1 and err == f"citebot: server {SERVER} has no library in {tmp_path / 'data' / 'servers'}\n"


def test_add_without_a_server_adds_to_the_shared_library(embedder, monkeypatch, tmp_path, rowing, capsys):
    monkeypatch.setattr("retrieval.api.load_embedder", lambda spec: embedder)
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    folders = ["--seeds", str(seeds), "--index-dir", str(tmp_path / "index")]
    out = io.StringIO()
    assert main(["add", str(rowing), *folders], out=out) == 0
    assert out.getvalue().startswith("Saved club.txt in the shared library: ") and (seeds / "club.txt").read_text() == ROWING
    out = io.StringIO()
    assert main(["ask", "--json", *folders, ROWING_Q], out=out) == 0
    assert json.loads(out.getvalue())["short_answer"] == "48"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "--no-shared", "x"], "citebot: --no-shared needs --server ID"),
        (["ask", "--server", "abc", "x"], "citebot: --server: 'abc' is not a server id (a Discord id: digits only)"),
        (["sources", "--server", "0"], "citebot: --server: '0' is not a server id (a Discord id: a whole number)"),
        (["index", "--server", "../1"], "citebot: --server: '../1' is not a server id (a Discord id: digits only)"),
        (["add", "nothere.txt", "--server", SERVER], "citebot: no such file: nothere.txt"),
        (["add", ".", "--server", SERVER], "citebot: . is not a file"),
    ],
)
def test_bad_library_options_exit_2_with_one_line(cli, tmp_path, argv, message):
    code, out, err = cli(*argv)
    assert (code, out, err) == (2, "", message + "\n")
    assert not (tmp_path / "data" / "servers").exists()


def test_a_refused_document_is_one_line_and_changes_nothing(cli, tmp_path):
    bad = tmp_path / "photo.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    code, out, err = cli("add", str(bad), "--server", SERVER)
    assert code == 1 and out == "" and err.count("\n") == 1 and "photo.txt: binary file" in err
    assert list((tmp_path / "data" / "servers" / SERVER / "seeds").iterdir()) == []
    code, _, err = cli("remove", "nothere.txt", "--server", SERVER)
    assert code == 1 and err == "citebot: there is no document named nothere.txt\n"
