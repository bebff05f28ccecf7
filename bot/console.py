"""Plain-text rendering for ``citebot ask`` / ``citebot chat``: the same results the bot
shows, as terminal text.

The best sentence is highlighted with ANSI bold when ``colour`` is true (a TTY), otherwise
wrapped in ``»…«``, which reads well in a pipe or a log and cannot be mistaken for markdown.
Citations use the same ``Title, date, ¶n`` form as the embeds. Document text is stripped of
control characters first so a document cannot move the cursor or retitle the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval import Answer, Passage, Person, Quote, SourceInfo, Stored, citation_for, shown, web_url

from .replies import NO_PEOPLE, NOT_FOUND, SPEAKER_NOT_NAMED, added_summary, no_quotes_found
from .text import SNIPPET_CHARS, snippet, truncate

__all__ = [
    "added_to_text",
    "answer_to_text",
    "echo",
    "highlight",
    "people_to_text",
    "person_to_text",
    "quotes_to_text",
    "sources_to_text",
]

BOLD = "\x1b[1m"
DIM = "\x1b[2m"
RESET = "\x1b[0m"
PLAIN_OPEN = "»"
PLAIN_CLOSE = "«"

# Everything below space except tab and newline, DEL, and the C1 range (which some
# terminals treat like ESC sequences).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invalid UTF-8 in argv or stdin arrives as lone surrogates (surrogateescape); written
# out they are either an encode error or the same invalid bytes again.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
ECHO_CHARS = 200


def _clean(text: str) -> str:
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """User input repeated back in a message: every control, invisible or direction-changing
    character spelled out (an RTL override in ``--speaker`` must not flip the line), and short
    enough that a runaway line cannot turn one error into megabytes of output."""
    # Undecodable input bytes read as U+FFFD here (what a user typed is not a file name whose
    # exact bytes matter); everything else that does not print is spelled out.
    return truncate(shown(_SURROGATE.sub("\ufffd", text)), limit)


def highlight(text: str, *, colour: bool = False) -> str:
    """The best sentence marked up for a terminal (bold) or for plain text (»…«)."""
    if not text.strip():
        return text
    return f"{BOLD}{text}{RESET}" if colour else f"{PLAIN_OPEN}{text}{PLAIN_CLOSE}"


def _dim(text: str, colour: bool) -> str:
    return f"{DIM}{text}{RESET}" if colour else text


def _passage_text(passage: Passage, *, colour: bool, context: int | None) -> str:
    sn = snippet(passage, context)
    return _clean(sn.before) + highlight(_clean(sn.sentence), colour=colour) + _clean(sn.after)


def _with_url(citation: str, url: str | None) -> str:
    """A citation with its source's URL after it, when it has an http(s) one (``web_url``:
    percent-encoded, so no character of it can act on the terminal)."""
    link = web_url(url)
    return f"{citation} <{link}>" if link else citation


def _source_line(s: SourceInfo) -> str:
    return f"  - {_clean(s.title)}" + (f" ({s.date})" if s.date else "")


def answer_to_text(
    answer: Answer,
    *,
    sources: Sequence[SourceInfo] = (),
    colour: bool = False,
    context: int | None = SNIPPET_CHARS,
    include_more: bool = False,
) -> str:
    """An answer as text: short answer, then each result with its citation.

    ``context`` bounds the characters shown around each best sentence (None: the whole
    paragraph); ``include_more`` also prints the ranked passages beyond ``results``.
    Not answered: the same "couldn't find" message as the bot, with what the documents cover.
    """
    ranked = tuple(answer.results) + (tuple(answer.more) if include_more else ())
    if not answer.answered or not ranked:
        lines = [NOT_FOUND]
        if sources:
            lines.append("The documents cover:")
            lines.extend(_source_line(s) for s in sources)
        return "\n".join(lines)
    lines: list[str] = []
    if answer.short_answer and answer.short_answer.strip():
        lines += [f"Answer: {_clean(answer.short_answer.strip())}", ""]
    for number, passage in enumerate(ranked, start=1):
        lines.append(f"[{number}] {_passage_text(passage, colour=colour, context=context)}")
        lines.append("    " + _dim(f"— {_with_url(_clean(passage.citation), passage.url)}", colour))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def sources_to_text(sources: Sequence[SourceInfo]) -> str:
    if not sources:
        return "No documents are indexed yet. Run `citebot index`."
    lines = []
    for i, s in enumerate(sources, start=1):
        where = ", ".join(x for x in (s.date, s.place) if x) or "undated"
        # A server's own document says so: its name may also be one of the shared library's.
        library = "" if s.library is None else f", server {s.library}"
        lines.append(
            f"{i:>3}. {_clean(s.title)} — {_clean(where)} · "
            f"{s.paragraphs} paragraphs, {s.sentences} sentences  [{shown(s.doc)}{library}]"
            + (f" <{link}>" if (link := web_url(s.url)) else "")
        )
    return "\n".join(lines)


def _quote_line(q: Quote) -> str:
    who = _clean(q.speaker) if q.speaker and q.speaker.strip() else f"({SPEAKER_NOT_NAMED})"
    text = _clean(q.text.strip())
    if not (text[:1] in "“‘\"«" and text[-1:] in "”’\"»"):
        text = f"“{text}”"
    return f"{text}\n    — {who}, {_with_url(_clean(q.citation), q.url)}"


def person_to_text(person: Person, *, sources: Sequence[SourceInfo] = ()) -> str:
    """One person: roles, aliases, where mentioned (titles from ``sources`` when given)."""
    lookup = {(s.library, s.doc): s for s in sources}  # two libraries may both have a "notes.txt"
    lines = [_clean(person.name)]
    if person.aliases:
        lines.append("  Also called: " + ", ".join(_clean(a) for a in person.aliases))
    for role in person.roles:
        lines.append(f"  • {_clean(str(role))}")
    if person.mentions:
        lines.append("  Mentioned in:")
        for m in person.mentions:
            info = lookup.get((m.library, m.doc))
            title, date = (info.title, info.date) if info else (m.doc, None)
            cite = citation_for(title, date, m.cited_paragraph, page=m.page, section=m.section)
            lines.append(f"    - {_with_url(_clean(cite), info.url if info else None)}")
    if person.quotes:
        lines.append("  Quotes:")
        lines.extend("    " + _quote_line(q).replace("\n", "\n    ") for q in person.quotes)
    return "\n".join(lines)


def people_to_text(people: Sequence[Person]) -> str:
    if not people:
        return NO_PEOPLE
    lines = []
    for p in people:
        roles = "; ".join(_clean(str(r)) for r in p.roles)
        mentions = f"{len(p.mentions)} mention{'s' if len(p.mentions) != 1 else ''}"
        lines.append(f"{_clean(p.name)}" + (f" — {roles}" if roles else "") + f" ({mentions})")
    return "\n".join(lines)


def quotes_to_text(quotes: Sequence[Quote], *, topic: str | None = None, speaker: str | None = None) -> str:
    if not quotes:
        return no_quotes_found(topic, speaker, echo)
    return "\n\n".join(_quote_line(q) for q in quotes)


def added_to_text(stored: Stored, into: str | None = None) -> str:
    """``citebot add``'s line: what was stored, where, and what was found in it (``replies.added_summary``)."""
    return added_summary(stored, lambda text: shown(_clean(text)), into)
