"""The ``citebot`` command line: a thin edge over ``retrieval.service.Citebot``.

Library errors become one-line messages; usage errors exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Sequence, TextIO

from retrieval.errors import CitebotError, QuestionError, SeedsFolderError
from retrieval.settings import Settings

log = logging.getLogger("citebot")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


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
    common.add_argument("--seeds", metavar="DIR", type=Path, help="documents folder (CITEBOT_SEEDS_DIR, default seeds/)")
    common.add_argument("--index-dir", metavar="DIR", type=Path, help="index folder (CITEBOT_INDEX_DIR, default data/index)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")

    parser = argparse.ArgumentParser(
        prog="citebot",
        description="Answers questions about a folder of documents with cited passages.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", parents=[common], help="answer a question (or '-' to read one per line from stdin)")
    ask.add_argument("question", nargs="+", help="the question, or '-' for one question per line on stdin")
    ask.add_argument("-k", type=int, default=3, help="number of results (default 3)")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per question)")
    ask.add_argument("--since", metavar="YYYY-MM-DD", help="only documents dated on or after this day")
    ask.add_argument("--until", metavar="YYYY-MM-DD", help="only documents dated on or before this day")

    sub.add_parser("chat", parents=[common], help="ask questions interactively in the console")
    index = sub.add_parser("index", parents=[common], help="(re)build the index from the seeds folder")
    index.add_argument("--force", action="store_true", help="rebuild even when the index is up to date")
    sub.add_parser("sources", parents=[common], help="list the indexed documents")

    who = sub.add_parser("who", parents=[common], help="who a person in the documents is")
    who.add_argument("name", nargs="*", help="a name or alias (omit to list everyone)")
    who.add_argument("--json", action="store_true", help="print JSON")

    quote = sub.add_parser("quote", parents=[common], help="find verbatim quotes and who said them")
    quote.add_argument("topic", nargs="*", help="what the quote is about (omit for all quotes)")
    quote.add_argument("--speaker", help="only quotes by this person (any alias)")
    quote.add_argument("--json", action="store_true", help="print JSON")

    sub.add_parser("run", parents=[common], help="run the Discord bot (DISCORD_TOKEN from the environment or .env)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env().with_overrides(
        seeds_dir=getattr(args, "seeds", None), index_dir=getattr(args, "index_dir", None)
    )


def _open(settings: Settings):
    from retrieval.service import Citebot

    if not Path(settings.seeds_dir).is_dir() and not (Path(settings.index_dir) / "CURRENT").exists():
        raise UsageError(f"seeds folder not found: {settings.seeds_dir} (use --seeds DIR or set CITEBOT_SEEDS_DIR)")
    citebot = Citebot(settings)
    citebot.ensure_index(progress=_progress_factory())
    return citebot


def _print_json(obj: Any, out: TextIO) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import answer_to_text

    settings = _settings(args)
    words = args.question
    if args.k < 1 or args.k > 25:
        raise UsageError("-k must be between 1 and 25")
    batch = words == ["-"]
    if not batch:
        # Validate before loading anything: a usage error should be instant.
        from retrieval.search import check_question

        try:
            check_question(" ".join(words), settings.max_question_chars)
        except QuestionError as exc:
            raise UsageError(str(exc)) from None
    citebot = _open(settings)
    questions = (line.rstrip("\n") for line in sys.stdin) if batch else iter([" ".join(words)])
    status = EXIT_OK
    for question in questions:
        if batch and not question.strip():
            continue
        try:
            answer = citebot.ask(question, args.k, since=args.since, until=args.until)
        except QuestionError as exc:
            if not batch:
                raise UsageError(str(exc)) from None
            status = EXIT_ERROR
            if args.json:
                _print_json({"question": question, "error": str(exc)}, out)
            else:
                print(f"citebot: {exc}", file=sys.stderr)
            continue
        if args.json:
            _print_json(answer.to_json(), out)
        else:
            out.write(answer_to_text(answer, sources=citebot.sources(), colour=out.isatty()) + "\n")
            out.flush()
    return status


def cmd_chat(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import answer_to_text, person_to_text, quotes_to_text, sources_to_text

    citebot = _open(_settings(args))
    out.write(
        "Ask about the documents. Also: /who NAME, /quote TOPIC, /sources. "
        "An empty line or Ctrl-D ends the session.\n"
    )
    while True:
        try:
            line = input("? ")
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return EXIT_OK
        if not line.strip():
            return EXIT_OK
        command, _, rest = line.strip().partition(" ")
        try:
            if command == "/who":
                match = citebot.who(rest)
                text = (
                    person_to_text(match.person, sources=citebot.sources())
                    if match.person
                    else f"No one called {rest!r}. Closest: {', '.join(match.suggestions) or 'none'}."
                )
            elif command == "/quote":
                result = citebot.quotes(rest.strip() or None)
                text = quotes_to_text(result.quotes, topic=rest.strip() or None) + (f"\n{result.note}" if result.note else "")
            elif command == "/sources":
                text = sources_to_text(citebot.sources())
            else:
                text = answer_to_text(citebot.ask(line), sources=citebot.sources(), colour=out.isatty())
        except QuestionError as exc:
            text = str(exc)
        out.write(text + "\n\n")


def cmd_index(args: argparse.Namespace, out: TextIO) -> int:
    from retrieval.service import Citebot

    settings = _settings(args)
    if not Path(settings.seeds_dir).is_dir():
        raise UsageError(f"seeds folder not found: {settings.seeds_dir} (use --seeds DIR or set CITEBOT_SEEDS_DIR)")
    citebot = Citebot(settings)
    progress = _progress_factory()
    report = citebot.reindex(progress=progress) if args.force else citebot.ensure_index(progress=progress)
    if report is None:
        out.write(f"index is up to date ({len(citebot.sources())} documents) in {settings.index_dir}\n")
    else:
        out.write(report.summary() + f"\nindex written to {settings.index_dir}\n")
    return EXIT_OK


def cmd_sources(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import sources_to_text

    out.write(sources_to_text(_open(_settings(args)).sources()) + "\n")
    return EXIT_OK


def cmd_who(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import people_to_text, person_to_text

    citebot = _open(_settings(args))
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
        hint = f" Closest: {', '.join(match.suggestions)}." if match.suggestions else ""
        out.write(f"No one called {name!r} in the documents.{hint}\n")
    return EXIT_OK if match.person else EXIT_ERROR


def cmd_quote(args: argparse.Namespace, out: TextIO) -> int:
    from bot.console import quotes_to_text

    citebot = _open(_settings(args))
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
    from bot.app import run_bot

    return run_bot(_settings(args))


COMMANDS = {
    "ask": cmd_ask,
    "chat": cmd_chat,
    "index": cmd_index,
    "sources": cmd_sources,
    "who": cmd_who,
    "quote": cmd_quote,
    "run": cmd_run,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
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
    except SeedsFolderError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CitebotError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
