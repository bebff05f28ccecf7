"""The ``citebot`` command line: output for people, JSON for programs, exit codes."""

import io
import json
import logging
import os
import shutil
import subprocess
import sys

from pathlib import Path

import pytest

from bot.cli import main
from conftest import SEEDS


@pytest.fixture
def cli(seed_citebot, monkeypatch):
    settings = seed_citebot.settings
    monkeypatch.setenv("CITEBOT_SEEDS_DIR", str(settings.seeds_dir))
    monkeypatch.setenv("CITEBOT_INDEX_DIR", str(settings.index_dir))

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        out = io.StringIO()
        return main(list(argv), out=out), out.getvalue()

    return run


def test_ask_json_is_exactly_one_object(cli):
    code, out = cli("ask", "--json", "How many tents were sent?")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["short_answer"] == "10,000" and data["results"][0]["paragraph"] == 7


def test_ask_k_sets_the_number_of_results(cli):
    code, out = cli("ask", "--json", "-k", "5", "Hamas and Pakistan")
    assert code == 0 and len(json.loads(out)["results"]) == 5


def test_ask_for_a_person_shows_sentence_and_citation(cli):
    code, out = cli("ask", "How many tents were sent?")
    assert code == 0
    assert "10,000" in out and "¶7" in out and "2025-01-23" in out


def test_batch_questions_from_stdin_one_json_per_line(cli):
    code, out = cli("ask", "--json", "-", stdin="How many tents were sent?\n\n  \nWhere did the meeting take place?\n")
    answers = [json.loads(line) for line in out.splitlines()]
    # Output line n answers input line n: a blank line gets an error object, not silence.
    assert len(answers) == 4 and code == 1
    assert [a["question"] for a in answers] == ["How many tents were sent?", "", "  ", "Where did the meeting take place?"]
    assert answers[1] == {"line": 2, "question": "", "error": "the question is empty"}
    assert answers[2]["line"] == 3 and "error" in answers[2]
    assert answers[0]["answered"] and answers[3]["answered"]


def test_batch_plain_text_names_the_line_of_each_unusable_question(cli, capsys):
    code, out = cli("ask", "-", stdin="\nHow many tents were sent?\n" + "x" * 1001 + "\n")
    assert code == 1 and "10,000" in out
    assert capsys.readouterr().err.splitlines() == [
        "citebot: line 1: the question is empty",
        "citebot: line 3: the question is too long (1,001 characters; the limit is 1,000)",
    ]


@pytest.mark.parametrize("argv", [("ask", ""), ("ask", "x" * 1001), ("ask", "-k", "0", "hello")])
def test_usage_errors_exit_2_with_one_line(cli, argv, capsys):
    code, _ = cli(*argv)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("citebot: ") and "\n" not in err


def test_missing_seeds_folder_exits_2(tmp_path, capsys):
    code = main(["--seeds", str(tmp_path / "missing"), "--index-dir", str(tmp_path / "ix"), "ask", "hello"], out=io.StringIO())
    assert code == 2
    assert "seeds folder not found" in capsys.readouterr().err


def test_index_command_reports_up_to_date(cli):
    code, out = cli("index")
    assert code == 0 and "up to date" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_index_shows_each_stage_on_a_terminal_and_nothing_in_a_pipe(tmp_path, monkeypatch, terminal):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    err = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    code = main(["index", "--seeds", str(tmp_path / "seeds"), "--index-dir", str(tmp_path / "index")], out=io.StringIO())
    assert code == 0
    shown = [stage for stage in ("splitting:", "embedding:", "finding people:") if stage in err.getvalue()]
    assert shown == (["splitting:", "embedding:", "finding people:"] if terminal else [])


def test_index_summary_and_skip_warnings_spell_out_hostile_file_names(tmp_path, caplog):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "title\x1b]0;PWN\x07.txt").write_text("The ferry leaves the harbour at noon every day.")
    (seeds / "two\nlines.txt").write_text("The ferry comes back at six in the evening.")
    (seeds / "empty\u202etxt.md").write_text("")  # skipped, with a warning naming it
    out = io.StringIO()
    with caplog.at_level(logging.WARNING):
        code = main(["index", "--seeds", str(seeds), "--index-dir", str(tmp_path / "index")], out=out)
    assert code == 0
    lines = out.getvalue().splitlines()
    # counts, added, skipped, unchanged, where: a newline in a name does not add a line
    assert len(lines) == 5, lines
    assert lines[1] == "added: title<U+001B>]0;PWN<U+0007>.txt, two<U+000A>lines.txt"
    assert lines[2] == "skipped: empty<U+202E>txt.md (empty file)"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "skipping empty<U+202E>txt.md: empty file" in warnings
    for text in [out.getvalue(), *warnings]:
        assert not {"\x1b", "\x07", "\u202e"} & set(text)


def test_installed_entry_point_answers(seed_citebot, tmp_path):
    """The real ``citebot`` process, as a user runs it, on the persisted index."""
    settings = seed_citebot.settings
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--seeds", str(settings.seeds_dir), "--index-dir", str(settings.index_dir),
         "ask", "--json", "Who is the current head of Hamas?"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["answered"] and data["results"][0]["paragraph"] == 1


def test_who_lists_everyone_with_main_role(cli):
    code, out = cli("who")
    assert code == 0
    assert "Hassan Darwish — current head, Hamas" in out
    assert "Jamaat-e-Islami" not in [line.split(" — ")[0] for line in out.splitlines()]


def test_who_json_contract_and_alias_lookup(cli):
    code, out = cli("who", "--json", "rehman")
    assert code == 0
    (person,) = json.loads(out)["people"]
    assert set(person) == {"name", "aliases", "roles", "mentions", "quotes"}
    assert person["name"] == "Hafiz Naeem ur Rehman"
    assert "Hafiz Naeem" in person["aliases"]
    assert {"doc": "000_456f3f2e67ceee91.txt", "paragraph": 7, "page": None, "section": None} in person["mentions"]
    assert person["quotes"] == 1


def test_who_unknown_person_offers_closest_names(cli):
    code, out = cli("who", "Darwsh")  # a typo is tolerated
    assert code == 0 and out.startswith("Hassan Darwish")
    code, out = cli("who", "Angela Merkel")
    assert code == 1
    assert "No one called" in out and "Closest:" in out


def test_a_name_that_matches_no_one_reads_the_same_in_who_chat_and_quote(cli):
    _, who = cli("who", "Angela Merkel")
    _, chat = cli("chat", stdin="/who Angela Merkel\n\n")
    _, quote = cli("quote", "--speaker", "Angela Merkel")
    line = who.strip()
    assert line.startswith("No one called 'Angela Merkel' in the documents.")
    assert line in chat.splitlines() and line in quote.splitlines()


def test_quote_json_contract_speaker_filter_and_unattributed(cli):
    code, out = cli("quote", "--json")
    assert code == 0
    quotes = json.loads(out)["quotes"]
    assert all(set(q) == {"text", "speaker", "doc", "paragraph", "citation", "url", "page", "section"} for q in quotes)
    by_paragraph = {q["paragraph"]: q["speaker"] for q in quotes}
    assert by_paragraph[3] == "Hafiz Naeem ur Rehman"
    assert by_paragraph[5] == "Hassan Darwish"
    assert by_paragraph[4] is None  # the source does not name the speaker: never guessed

    code, out = cli("quote", "--json", "--speaker", "darwish")
    assert [q["paragraph"] for q in json.loads(out)["quotes"]] == [5]


def test_quote_by_topic_ranks_by_meaning_and_points_to_reported_speech(cli):
    code, out = cli("quote", "--json", "rebuilding Gaza")
    first = json.loads(out)["quotes"][0]
    assert first["paragraph"] in (3, 5)
    code, out = cli("quote", "tents")
    assert "not a quote" in out and "¶7" in out


def test_direction_overrides_and_controls_in_echoed_input_are_spelled_out(cli):
    _, by_speaker = cli("quote", "--speaker", "\u202eLIVE\x1b[2J", "ferries")
    assert "No quotes found about “ferries” by <U+202E>LIVE<U+001B>[2J." in by_speaker
    _, on_topic = cli("quote", "\u2067tents\u2069", "--speaker", "darwish")
    assert "about “<U+2067>tents<U+2069>”" in on_topic
    code, who = cli("who", "Nobody\u202etxt.exe")
    assert code == 1 and "No one called 'Nobody<U+202E>txt.exe'" in who
    for text in (by_speaker, on_topic, who):
        assert not {"\u202e", "\u2067", "\u2069", "\x1b"} & set(text)


def test_chat_answers_questions_and_commands_until_an_empty_line(cli):
    code, out = cli("chat", stdin="How many tents were sent?\n/who darwish\nbake sourdough bread?\n\nnever read\n")
    assert code == 0
    assert "10,000" in out and "¶7" in out
    assert "Hassan Darwish" in out and "current head" in out
    assert "I couldn't find that in the documents" in out
    assert sys.stdin.read() == "never read\n"  # the empty line ended the session


def test_chat_lists_people_flags_unknown_commands_and_ignores_blank_lines(cli):
    code, out = cli("chat", stdin="/who\n/bogus\n   \nHow many tents were sent?\n\nnever read\n")
    assert code == 0
    assert "Hassan Darwish — current head, Hamas" in out  # /who alone lists everyone
    assert "Unknown command /bogus. Commands: /who NAME" in out
    assert "10,000" in out  # the whitespace-only line did not end the session
    assert sys.stdin.read() == "never read\n"


def test_batch_error_echoes_a_short_printable_question(cli):
    code, out = cli("ask", "--json", "-", stdin="x" * 1_000_000 + "\n\udcff\udcfe\n")
    assert code == 1
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["question"].startswith("xxx") and len(first["question"]) <= 200 and "too long" in first["error"]
    assert second["question"] == "\ufffd\ufffd"  # invalid bytes from stdin, shown as such
    out.encode("utf-8")  # strict: nothing that is not valid UTF-8


@pytest.mark.parametrize(
    "argv, env",
    [
        (("--index-dir", "", "index"), {}),
        (("sources", "--seeds", " "), {}),
        (("who",), {"CITEBOT_INDEX_DIR": "  "}),
        (("ask", "-", "--since", "bogus"), {}),
        (("ask", "--json", "-", "--since", "2025-02-01", "--until", "2025-01-01"), {}),
    ],
    ids=["empty-index-dir", "blank-seeds", "blank-env-index-dir", "batch-bad-date", "batch-since-after-until"],
)
def test_blank_folders_and_bad_dates_exit_2_before_doing_anything(cli, monkeypatch, tmp_path, capsys, argv, env):
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out = cli(*argv, stdin="How many tents were sent?\n")
    assert code == 2 and out == ""
    err = capsys.readouterr().err.strip()
    assert err.startswith("citebot: ") and "\n" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written into the current folder
    assert sys.stdin.read() == "How many tents were sent?\n"  # stdin left unread


def _citebot(settings, *argv, **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--seeds", str(settings.seeds_dir), "--index-dir", str(settings.index_dir), *argv],
        capture_output="stdout" not in options, timeout=120, **options,
    )


@pytest.mark.parametrize(
    "argv, stdin",
    [(("ask", "--json", "-"), b"\xff\xfe\n"), (("quote", "--speaker", b"\xff", "tents"), b""), (("who", b"\xff" * 300), b"")],
    ids=["batch-question", "quote-speaker", "who-name"],
)
def test_invalid_utf8_input_never_makes_invalid_utf8_output(seed_citebot, argv, stdin):
    proc = _citebot(seed_citebot.settings, *argv, input=stdin)
    assert "Traceback" not in proc.stderr.decode("utf-8", "replace")
    assert "\ufffd" in proc.stdout.decode("utf-8")  # strict: raises on invalid bytes
    assert len(proc.stdout) < 1000  # a long name is cut short in the echo


@pytest.mark.parametrize("argv", [("chat",), ("ask", "-")], ids=["chat", "ask-batch"])
def test_closed_stdin_ends_like_end_of_input(seed_citebot, argv):
    proc = _citebot(seed_citebot.settings, *argv, preexec_fn=lambda: os.close(0))
    assert (proc.returncode, proc.stderr) == (0, b"")


@pytest.mark.parametrize(
    "argv, stdin",
    [(("sources",), b""), (("who", "--json"), b""), (("ask", "-"), b"How many tents were sent?\n" * 3)],
    ids=["sources", "who-json", "ask-batch"],
)
def test_reader_gone_exits_quietly(seed_citebot, argv, stdin):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` having exited already: every write fails, deterministically
    try:
        proc = _citebot(seed_citebot.settings, *argv, input=stdin, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, b"")


def _seeds_emptied(seeds: Path, index: Path):
    for path in seeds.iterdir():
        path.unlink()  # the rebuild finds no documents and fails
    return None


def _rebuilt_elsewhere(seeds: Path, index: Path):
    from retrieval.index.store import IndexLock

    (seeds / "new.txt").write_text("Ferries run every hour.")  # stale: a rebuild is due
    lock = IndexLock(index)  # ...and another process holds the index while it rebuilds
    assert lock.acquire()
    return lock


@pytest.mark.parametrize(
    ("situation", "warning"),
    [(_seeds_emptied, "no readable documents"), (_rebuilt_elsewhere, "being rebuilt by another process")],
    ids=["rebuild-fails", "rebuild-elsewhere"],
)
def test_ask_answers_from_the_built_index_when_it_cannot_be_rebuilt(tmp_path, embedder, capsys, situation, warning):
    from retrieval.api import Citebot
    from retrieval.settings import Settings

    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(SEEDS, seeds)
    Citebot(Settings(seeds_dir=seeds, index_dir=index), embedder=embedder).ensure_index()
    held = situation(seeds, index)
    try:
        out = io.StringIO()
        code = main(["ask", "--json", "--seeds", str(seeds), "--index-dir", str(index), "How many tents were sent?"], out=out)
    finally:
        if held is not None:
            held.release()
    assert code == 0 and json.loads(out.getvalue())["short_answer"] == "10,000"
    assert warning in capsys.readouterr().err


@pytest.mark.parametrize("where", ["afile", "afile/sub"], ids=["is-a-file", "under-a-file"])
def test_an_index_folder_blocked_by_a_file_is_a_usage_error(tmp_path, capsys, where):
    (tmp_path / "afile").write_text("not a folder")
    code = main(["index", "--seeds", str(SEEDS), "--index-dir", str(tmp_path / where)], out=io.StringIO())
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1] == f"citebot: index folder {tmp_path / where} cannot be used: " + (
        "it is a file" if where == "afile" else "part of its path is a file"
    )
