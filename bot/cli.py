"""The ``citebot`` command line: a thin edge over ``retrieval.Citebot``.

Library errors become one-line messages; usage errors exit with status 2.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence, TextIO

from retrieval import (
    CitebotError,
    IndexFolderError,
    QuestionError,
    SeedsFolderError,
    Settings,
    SettingsError,
    UnknownLibrary,
)

from .settings import BotSettings, read_settings

log = logging.getLogger("citebot")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
# The reader of our output went away (`citebot ask - | head -1`): 128 + SIGPIPE, the status
# a shell reports for tools that die of SIGPIPE, so pipefail scripts can tell it from a failure.
EXIT_BROKEN_PIPE = 141
CHAT_COMMANDS = "/who NAME, /quote TOPIC, /sources"


class UsageError(Exception):
    pass


def _progress_factory(stream: TextIO | None = None):
    """A tqdm bar on a terminal; nothing when output goes to a file or a pipe."""
    stream = stream or sys.stderr  # looked up now: tests and wrappers replace sys.stderr
    if not stream.isatty():
        return None

    def make(total: int, description: str):
        from tqdm import tqdm

        return tqdm(total=total, desc=description, unit="text", file=stream, leave=False)

    return make


def build_parser() -> argparse.ArgumentParser:
    # Global options work before or after the command; SUPPRESS keeps a subcommand's
    # unset copy from overwriting a value given before it.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    # Folders stay strings here: Path("") is ".", which would quietly mean the current folder.
    common.add_argument("--seeds", metavar="DIR", help="documents folder (CITEBOT_SEEDS_DIR, default seeds/)")
    common.add_argument("--index-dir", metavar="DIR", help="index folder (CITEBOT_INDEX_DIR, default data/index)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")

    parser = argparse.ArgumentParser(
        prog="citebot",
        description="Answers questions about a folder of documents with cited passages.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # One server's library instead of the shared one; asking there also asks the shared one.
    library = argparse.ArgumentParser(add_help=False)
    library.add_argument("--server", metavar="ID", help="that server's own library (a Discord server id) instead of the shared one")
    scope = argparse.ArgumentParser(add_help=False, parents=[library])
    scope.add_argument("--no-shared", action="store_true", help="with --server: that server's library alone, without the shared one")
    asking = [common, scope]

    ask = sub.add_parser("ask", parents=asking, help="answer a question (or '-' to read one per line from stdin)")
    ask.add_argument("question", nargs="+", help="the question, or '-' for one question per line on stdin")
    ask.add_argument("-k", type=int, default=3, help="number of results (default 3)")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per question)")
    ask.add_argument("--since", metavar="YYYY-MM-DD", help="only documents dated on or after this day")
    ask.add_argument("--until", metavar="YYYY-MM-DD", help="only documents dated on or before this day")

    sub.add_parser("chat", parents=asking, help="ask questions interactively in the console")
    index = sub.add_parser("index", parents=[common, library], help="(re)build the index from the seeds folder")
    index.add_argument("--force", action="store_true", help="rebuild even when the index is up to date")
    sub.add_parser("sources", parents=asking, help="list the indexed documents")

    add = sub.add_parser("add", parents=[common, library], help="add a document (file or URL) and reindex")
    add.add_argument("path", metavar="PATH_OR_URL", help="a .txt, .md, .html, .pdf or .docx file, or an http(s) URL")
    add.add_argument("--replace", action="store_true", help="overwrite a document of the same name")
    remove = sub.add_parser("remove", parents=[common, library], help="move a document to removed/ and reindex")
    remove.add_argument("name", help="the document's file name in the library")
    forget = sub.add_parser("forget", parents=[common], help="move a server's whole library aside (kept, not deleted)")
    forget.add_argument("--server", metavar="ID", required=True, help="the Discord server id")

    who = sub.add_parser("who", parents=asking, help="who a person in the documents is")
    who.add_argument("name", nargs="*", help="a name or alias (omit to list everyone)")
    who.add_argument("--json", action="store_true", help="print JSON")

    quote = sub.add_parser("quote", parents=asking, help="find verbatim quotes and who said them")
    quote.add_argument("topic", nargs="*", help="what the quote is about (omit for all quotes)")
    quote.add_argument("--speaker", help="only quotes by this person (any alias)")
    quote.add_argument("--json", action="store_true", help="print JSON")

    sub.add_parser("run", parents=[common], help="run the Discord bot (DISCORD_TOKEN from the environment or .env)")
    return parser


# Settings field -> (argparse attribute, option, environment variable)
_FOLDERS = {
    "seeds_dir": ("seeds", "--seeds", "CITEBOT_SEEDS_DIR"),
    "index_dir": ("index_dir", "--index-dir", "CITEBOT_INDEX_DIR"),
}


def _settings(args: argparse.Namespace) -> Settings:
    return _all_settings(args)[0]


def _all_settings(args: argparse.Namespace) -> tuple[Settings, BotSettings]:
    """The core's settings and the bot's. Every command reads both: a typo in .env is
    reported by whichever command runs first, not only by ``citebot run``."""
    overrides: dict[str, Path] = {}
    for field, (attr, option, _) in _FOLDERS.items():
        value = getattr(args, attr, None)
        if value is not None:
            if not value.strip():
                raise UsageError(f"{option} needs a folder, not an empty name")
            overrides[field] = Path(value)
    settings, bot_settings = read_settings()
    settings = settings.with_overrides(**overrides)
    # A blank variable (often from a .env line like `CITEBOT_INDEX_DIR= `) would otherwise
    # name a folder called " " in the current directory.
    for field, (_, option, variable) in _FOLDERS.items():
        if not str(getattr(settings, field)).strip():
            raise UsageError(f"{variable} is blank: set it to a folder, unset it, or use {option} DIR")
    if settings.data_dir is not None and not str(settings.data_dir).strip():
        raise UsageError("CITEBOT_DATA_DIR is blank: set it to a folder or unset it")
    return settings, bot_settings


def _no_seeds(settings: Settings) -> UsageError:
    return UsageError(f"seeds folder not found: {settings.seeds_dir} (use --seeds DIR or set CITEBOT_SEEDS_DIR)")


def _require_documents(settings: Settings) -> None:
    """Something to answer from: the seeds folder, or an index built from it before."""
    if not Path(settings.seeds_dir).is_dir() and not (Path(settings.index_dir) / "CURRENT").exists():
        raise _no_seeds(settings)


def _server(args: argparse.Namespace) -> int | None:
    """The server whose library ``--server`` names, or None (the shared library)."""
    from retrieval import parse_server_id

    raw = getattr(args, "server", None)
    if raw is None:
        if getattr(args, "no_shared", False):
            raise UsageError("--no-shared needs --server ID")
        return None
    try:
        return parse_server_id(raw)
    except UnknownLibrary as exc:
        raise UsageError(f"--server: {exc}") from None


def _libraries(settings: Settings):
    from retrieval import Libraries

    return Libraries(settings)


def _open(args: argparse.Namespace, settings: Settings):
    """What the command asks: the shared library, or with ``--server`` that server's library
    and (unless ``--no-shared``) the shared one, each loaded (or built) now."""
    from retrieval import ReindexRunning, library_label

    server = _server(args)
    shared = not getattr(args, "no_shared", False)
    if shared:
        _require_documents(settings)
    scope = _libraries(settings).scope(server, shared=shared)
    for citebot in scope.libraries:
        problem = citebot.ensure_serving(progress=_progress_factory())
        whose = "" if citebot.library is None else f"{library_label(citebot.library)}: "
        if isinstance(problem, ReindexRunning):
            print(f"citebot: {whose}the index is being rebuilt by another process; answering from the current one", file=sys.stderr)
        elif problem is not None:
            print(f"citebot: warning: {whose}{problem}", file=sys.stderr)
    return scope


def _print_json(obj: Any, out: TextIO) -> None:
    # ensure_ascii=False writes a lone surrogate as is; replaced, the line stays valid UTF-8.
    line = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    out.write(line + "\n")


def _stdin_lines():
    # sys.stdin is None when the process was started with it closed (`citebot ask - <&-`).
    return (line.rstrip("\n") for line in sys.stdin) if sys.stdin is not None else iter(())


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import answer_to_text, echo
    from retrieval import parse_dates, parse_question

    settings = _settings(args)
    words = args.question
    if args.k < 1 or args.k > 25:
        raise UsageError("-k must be between 1 and 25")
    batch = words == ["-"]
    # Parse before loading anything or reading stdin: a usage error should be instant,
    # and a bad date would otherwise fail every line of a batch.
    def parse(text: str):
        return parse_question(text, since=since, until=until, max_chars=settings.max_question_chars)

    try:
        since, until = parse_dates(args.since, args.until)
        first = None if batch else parse(" ".join(words))
    except QuestionError as exc:
        raise UsageError(str(exc)) from None
    citebot = _open(args, settings)
    questions = _stdin_lines() if batch else iter([" ".join(words)])
    status = EXIT_OK
    # Every input line gets exactly one result, a blank one too (an error), so output line n
    # (--json) belongs to input line n; plain-text errors go to stderr, naming the line.
    for number, question in enumerate(questions, start=1):
        try:
            answer = citebot.ask(parse(question) if batch else first, args.k)
        except QuestionError as exc:
            if not batch:
                raise UsageError(str(exc)) from None
            status = EXIT_ERROR
            if args.json:
                _print_json({"line": number, "question": echo(question), "error": str(exc)}, out)
            else:
                out.flush()  # keep the error next to the answers before it when both go to one terminal
                print(f"citebot: line {number}: {exc}", file=sys.stderr)
            continue
        if args.json:
            _print_json(answer.to_json(), out)
        else:
            out.write(answer_to_text(answer, sources=citebot.sources(), colour=out.isatty()) + "\n")
            out.flush()
    return status


def cmd_chat(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import answer_to_text, echo, people_to_text, person_to_text, quotes_to_text, sources_to_text

    citebot = _open(args, _settings(args))
    out.write(f"Ask about the documents. Also: {CHAT_COMMANDS}. An empty line or Ctrl-D ends the session.\n")
    while True:
        try:
            if sys.stdin is None:  # started with stdin closed: input() would raise RuntimeError
                raise EOFError
            line = input("? ")
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return EXIT_OK
        if not line:
            return EXIT_OK
        if not line.strip():
            continue  # a stray space is not a request to leave
        command, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        try:
            if command == "/who" and not rest:
                text = people_to_text(citebot.people())
            elif command == "/who":
                match = citebot.who(rest)
                text = person_to_text(match.person, sources=citebot.sources()) if match.person else match.not_found(echo(rest))
            elif command == "/quote":
                result = citebot.quotes(rest or None)
                text = quotes_to_text(result.quotes, topic=rest or None) + (f"\n{result.note}" if result.note else "")
            elif command == "/sources":
                text = sources_to_text(citebot.sources())
            elif command.startswith("/"):
                text = f"Unknown command {echo(command, 40)}. Commands: {CHAT_COMMANDS}."
            else:
                text = answer_to_text(citebot.ask(line), sources=citebot.sources(), colour=out.isatty())
        except QuestionError as exc:
            text = str(exc)
        out.write(text + "\n\n")


def cmd_index(args: argparse.Namespace, out: TextIO) -> int:
    settings = _settings(args)
    server = _server(args)
    if server is None and not Path(settings.seeds_dir).is_dir():
        raise _no_seeds(settings)
    citebot = _libraries(settings).library(server)
    progress = _progress_factory()
    report = citebot.reindex(progress=progress) if args.force else citebot.ensure_index(progress=progress)
    _print_report(citebot, report, out)
    return EXIT_OK


def _print_report(citebot, report, out: TextIO) -> None:
    from retrieval import library_label

    where = citebot.settings.index_dir
    empty = citebot.library is not None and not citebot.sources()  # a server's library may be
    if report is not None:
        out.write(report.summary() + "\n")
    if empty:
        out.write(f"{library_label(citebot.library)} has no documents (add one with citebot add PATH --server {citebot.library})\n")
    elif report is None:
        out.write(f"index is up to date ({len(citebot.sources())} documents) in {where}\n")
    else:
        out.write(f"index written to {where}\n")


def _reindex_after_change(citebot, done: str, out: TextIO) -> None:
    """Rebuild the library a document was added to or removed from. The change is made
    whatever happens here: a failed rebuild says so, and the next one picks it up."""
    out.write(done + "\n")
    out.flush()
    try:
        report = citebot.reindex(progress=_progress_factory(), reason="documents changed")
    except CitebotError as exc:
        raise CitebotError(f"the index is not rebuilt yet ({exc}); run citebot index later") from exc
    _print_report(citebot, report, out)


def cmd_add(args: argparse.Namespace, out: TextIO) -> int:
    """``citebot add PATH_OR_URL``: a local file of any format, or a page fetched from a URL,
    into a library's seeds folder (``retrieval.add_source``, what ``/seed add`` does), then
    that library's reindex."""
    from bot.console import added_to_text
    from retrieval import add_source, library_label, looks_like_url, shown

    settings = _settings(args)
    server = _server(args)
    if not looks_like_url(args.path) and not Path(args.path).is_file():  # a typo: nothing is made
        path = Path(args.path)
        raise UsageError(f"{shown(args.path)} is not a file" if path.exists() else f"no such file: {shown(args.path)}")
    libraries = _libraries(settings)
    seeds = libraries.seeds_folder(server, create=True)
    stored = add_source(seeds, args.path, settings=settings, replace=args.replace)
    _reindex_after_change(libraries.library(server), added_to_text(stored, library_label(server)), out)
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, out: TextIO) -> int:
    """``citebot remove NAME``: the document moves to ``removed/`` beside the library's seeds
    folder (nothing is deleted), then that library's reindex."""
    from retrieval import DocumentNotFound, library_label, remove_document, shown

    settings = _settings(args)
    server = _server(args)
    libraries = _libraries(settings)
    seeds = libraries.seeds_folder(server)
    if server is not None and not seeds.is_dir():
        raise DocumentNotFound(f"there is no document named {shown(args.name)} in {library_label(server)}")
    moved = remove_document(seeds, args.name)
    _reindex_after_change(libraries.library(server), f"moved {shown(moved.name)} to {moved.parent}", out)
    return EXIT_OK


def cmd_forget(args: argparse.Namespace, out: TextIO) -> int:
    """``citebot forget --server ID``: that server's whole library moves aside, kept."""
    from retrieval import library_label

    server = _server(args)
    assert server is not None  # --server is required
    aside = _libraries(_settings(args)).forget(server)
    out.write(f"moved {library_label(server)} to {aside}\n(delete that folder to free its space, or move it back to restore it)\n")
    return EXIT_OK


def cmd_sources(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import sources_to_text

    out.write(sources_to_text(_open(args, _settings(args)).sources()) + "\n")
    return EXIT_OK


def cmd_who(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import echo, people_to_text, person_to_text

    citebot = _open(args, _settings(args))
    name = " ".join(args.name).strip()
    if not name:
        people = citebot.people()
        if args.json:
            _print_json({"people": [p.to_json() for p in people]}, out)
        else:
            out.write(people_to_text(people) + "\n")
        return EXIT_OK
    match = citebot.who(name)
    if args.json:
        found = {"people": [match.person.to_json()] if match.person else []}
        _print_json(found if match.person else found | {"suggestions": match.suggestions}, out)
    elif match.person:
        out.write(person_to_text(match.person, sources=citebot.sources()) + "\n")
    else:
        out.write(match.not_found(echo(name)) + "\n")
    return EXIT_OK if match.person else EXIT_ERROR


def cmd_quote(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import quotes_to_text

    citebot = _open(args, _settings(args))
    topic = " ".join(args.topic).strip() or None
    result = citebot.quotes(topic, args.speaker)
    if args.json:
        _print_json(
            {"quotes": [q.to_json() for q in result.quotes]} | ({"note": result.note} if result.note else {}), out
        )
    else:
        out.write(quotes_to_text(result.quotes, topic=topic, speaker=args.speaker) + "\n")
        if result.note:
            out.write(result.note + "\n")
    return EXIT_OK


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    settings, bot_settings = _all_settings(args)
    if not bot_settings.discord_token:
        print("citebot: DISCORD_TOKEN is not set (put it in .env or the environment)", file=sys.stderr)
        return EXIT_ERROR
    _require_documents(settings)
    from bot.app import run_bot  # discord.py is imported only to run the bot

    return run_bot(settings, bot_settings)


COMMANDS = {
    "ask": cmd_ask,
    "chat": cmd_chat,
    "index": cmd_index,
    "sources": cmd_sources,
    "add": cmd_add,
    "remove": cmd_remove,
    "forget": cmd_forget,
    "who": cmd_who,
    "quote": cmd_quote,
    "run": cmd_run,
}


def _forgiving_stdio() -> None:
    """Make the process's own streams unable to fail on text that is not valid UTF-8.

    Invalid bytes in argv or stdin reach Python as lone surrogates; echoed to stdout they
    would be an encode error or invalid UTF-8 again, so they are written as replacement
    characters (stderr escapes them, Python's default there). Stdin decodes invalid bytes
    the same way in every locale (surrogateescape, as under C.UTF-8) instead of failing
    mid-batch. Streams a caller has replaced (tests, wrappers) are left alone.
    """
    for stream, original, errors in (
        (sys.stdout, sys.__stdout__, "replace"),
        (sys.stderr, sys.__stderr__, "backslashreplace"),
        (sys.stdin, sys.__stdin__, "surrogateescape"),
    ):
        if stream is not None and stream is original and isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=errors)


def _quiet_stdout() -> None:
    """After a broken pipe: send what is still buffered to /dev/null, so the flush at
    interpreter exit does not raise (and print) the same error again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # not a real file: nothing flushes at exit
        pass


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    _forgiving_stdio()
    try:
        try:
            return _main(argv, out)
        finally:
            # Flushed here, not at exit, so a reader that has gone away is noticed below
            # (also after --help, which leaves by SystemExit).
            stream = out or sys.stdout
            if stream is not None:
                stream.flush()
    except BrokenPipeError:
        if out is None or out is sys.stdout:
            _quiet_stdout()
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None, out: TextIO | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = out or sys.stdout
    if args.command is None:
        parser.print_help(out)
        return EXIT_USAGE
    from bot.logs import setup_logging

    setup_logging("INFO" if getattr(args, "verbose", False) else "WARNING")
    try:
        return COMMANDS[args.command](args, out)
    except UsageError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (SeedsFolderError, IndexFolderError, SettingsError) as exc:  # a setting to fix, like a usage error
        print(f"citebot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CitebotError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
