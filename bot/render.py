"""Pure rendering: retrieval results in, Discord message parts out.

Nothing here touches the network or ranks anything; the bot layer decides *where* parts go
(reply, follow-up, ephemeral) and this module decides *what* they say. Two properties hold
for every value returned, by construction rather than by checking afterwards:

* Safety. Document text and user text are escaped for Discord markdown, and every ``@`` in
  them is followed by a zero-width space (``<#`` and ``</`` likewise), so no text we echo can
  ping anyone even if ``allowed_mentions`` were ever forgotten. Senders should still pass
  :data:`NO_MENTIONS` (``MessageParts.send_kwargs()`` does).
* Limits. Every string is cut to its Discord limit by :func:`truncate` (word boundary, "…");
  composite texts are sized with a binary search over the raw text so that escaping, which
  lengthens text, can never push the result over.

Markdown rendering differs per embed part: titles, descriptions and fields render markdown
and are escaped; footers and author names show text literally, so they only get mention
neutralising (a backslash there would be visible).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands

from retrieval import Answer, Passage, Person, Quote, SourceInfo, citation_for, web_url

# Re-exported: the text helpers and wordings are part of what renderers offer their callers.
from .replies import NO_PEOPLE, NOT_FOUND, SPEAKER_NOT_NAMED, no_quotes_found, quotes_about
from .text import ELLIPSIS, SNIPPET_CHARS, Snippet, _locate, snippet, truncate  # noqa: F401

__all__ = [
    "AUTOCOMPLETE_CHOICES_LIMIT",
    "CHOICE_LIMIT",
    "CUSTOM_ID_LIMIT",
    "CUSTOM_ID_PREFIX",
    "ELLIPSIS",
    "EMBEDS_PER_MESSAGE",
    "EMBED_AUTHOR_LIMIT",
    "EMBED_DESCRIPTION_LIMIT",
    "EMBED_FIELDS_LIMIT",
    "EMBED_FIELD_NAME_LIMIT",
    "EMBED_FIELD_VALUE_LIMIT",
    "EMBED_FOOTER_LIMIT",
    "EMBED_TITLE_LIMIT",
    "EMBED_TOTAL_LIMIT",
    "MESSAGE_CONTENT_LIMIT",
    "NOT_FOUND",
    "NO_MENTIONS",
    "SPEAKER_NOT_NAMED",
    "MessageParts",
    "Snippet",
    "autocomplete_choices",
    "custom_id",
    "escape",
    "neutralise_mentions",
    "parse_custom_id",
    "render_answer",
    "render_error",
    "render_help",
    "render_not_found",
    "render_paragraph",
    "render_people",
    "render_person",
    "render_quotes",
    "render_sources",
    "render_text",
    "snippet",
    "truncate",
]

# Discord's documented limits (characters).
MESSAGE_CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FIELDS_LIMIT = 25
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_LIMIT = 256
# Discord applies this to the sum over *all* embeds of one message, which is stricter than
# per embed; we honour the message-wide reading so both hold.
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
AUTOCOMPLETE_CHOICES_LIMIT = 25
CHOICE_LIMIT = 100  # both the name and the value of an autocomplete choice
CUSTOM_ID_LIMIT = 100
# A citation links to its source only when the URL is at most this long: a longer one would
# crowd out the passage it cites (the console and the JSON give it whole).
LINK_URL_LIMIT = 512

CUSTOM_ID_PREFIX = "citebot"
NO_MENTIONS = discord.AllowedMentions.none()

COLOUR = discord.Colour.blurple()

ZWSP = "\u200b"
# Private-use characters mark the best sentence while the whole snippet is escaped in one
# pass (so the escaper's line-start rules see real line starts), then become ``**``.
_BOLD_OPEN = "\ue000"
_BOLD_CLOSE = "\ue001"
_SENTINELS = str.maketrans("", "", _BOLD_OPEN + _BOLD_CLOSE)

# More results than this per page would leave each too little room to be readable.
MAX_PER_PAGE = 10
# Lines of "what the documents cover" under the not-found message.
NOT_FOUND_SOURCES = 10


# --------------------------------------------------------------------------- text helpers


def neutralise_mentions(text: str) -> str:
    """Make user, role, channel, command, ``@everyone`` and ``@here`` mentions inert.

    A zero-width space after every ``@`` (and inside ``<#``, ``</``) keeps the text readable
    while Discord no longer parses a mention. Blanket rather than pattern-based, because a
    pattern misses variants (``<@!id>``, short ids, a mention split by markup).
    """
    return text.replace("@", "@" + ZWSP).replace("<#", "<" + ZWSP + "#").replace("</", "<" + ZWSP + "/")


# Characters that open or close Discord markdown anywhere on a line: escaped one by one
# wherever they occur, so no pair of them can ever form bold, italics, strike, spoilers,
# code or a masked link ``[text](url)``, however the text is arranged.
_INLINE_MARKDOWN = re.compile(r"([\\*_~`|\[\]()])")
# Markers that only format at the start of a line (after optional blanks, and after the
# bold sentinels, which become ``**`` but do not stop Discord from seeing a line start in
# nested markup): block quotes, headings and ``-#`` subtext, and list items. ``>`` and ``#``
# elsewhere stay as they are so ``<@id>``-style text still reads the same.
_LINE_START_MARKDOWN = re.compile(
    r"(?:^|(?<=[\r\n]))((?:[^\S\r\n]|[\u200b\ufeff\ue000\ue001])*)(?:([>#+-])|(\d+)\.(?=\s|$))"
)


def _line_start(match: re.Match[str]) -> str:
    lead, marker, number = match.groups()
    return f"{lead}\\{marker}" if marker else f"{lead}{number}\\."


def _escape_markdown(text: str) -> str:
    """Backslash-escape every Discord markdown character in ``text``, one by one.

    Not ``discord.utils.escape_markdown``: its pattern takes everything from a line's first
    ``[`` to its last ``)`` as one masked link and escapes only its first character, so
    the bold, spoilers and second link inside stay live.
    """
    return _LINE_START_MARKDOWN.sub(_line_start, _INLINE_MARKDOWN.sub(r"\\\1", text))


def escape(text: str) -> str:
    """Document or user text made safe to show in markdown: escaped and unable to ping."""
    return neutralise_mentions(_escape_markdown(text.translate(_SENTINELS)))


def plain(text: str) -> str:
    """Text for parts Discord shows literally (footer, author): no markdown escaping."""
    return neutralise_mentions(text.translate(_SENTINELS))


def _fit(limit: int, build: Callable[[int], str], upper: int) -> str:
    """``build(n)`` for the largest ``n`` in ``[0, upper]`` whose result fits ``limit``.

    ``build`` renders a raw size into final text; escaping makes the final length hard to
    predict, so we search on the raw size instead of guessing a ratio.
    """
    out = build(upper)
    if len(out) <= limit:
        return out
    lo, hi, best = 0, upper, None
    while lo < hi:
        mid = (lo + hi) // 2
        candidate = build(mid)
        if len(candidate) <= limit:
            best, lo = candidate, mid + 1
        else:
            hi = mid
    return best if best is not None else truncate(build(0), limit, markdown=True)


def _escaped(text: str, limit: int) -> str:
    """``escape(text)`` cut so that the *escaped* result fits ``limit``."""
    return _fit(limit, lambda n: escape(truncate(text, n)), len(text))


def _plain(text: str, limit: int) -> str:
    return _fit(limit, lambda n: plain(truncate(text, n)), len(text))


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _join_lines(lines: Sequence[str], limit: int, *, sep: str = "\n", noun: str = "more") -> str:
    """As many whole ``lines`` as fit in ``limit``, then "…and N more" for the rest."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        # Keep room for the "and N more" line unless this is the last line.
        tail = len(sep) + len(f"{ELLIPSIS}and {len(lines):,} {noun}") if rest else 0
        cost = len(line) + (len(sep) if out else 0)
        if used + cost + tail > limit:
            if not out and len(line) > limit - tail:
                # A single over-long line: keep a cut of it rather than nothing.
                out.append(truncate(line, max(limit - tail, 0), markdown=True))
            remaining = len(lines) - len(out)
            if remaining:
                out.append(f"{ELLIPSIS}and {remaining:,} {noun}")
            return truncate(sep.join(out), limit, markdown=True)
        out.append(line)
        used += cost
    return sep.join(out)


# ------------------------------------------------------------------------------- snippets


def _markup(sn: Snippet) -> str:
    """Escaped snippet with the best sentence in bold."""
    sentence = sn.sentence.translate(_SENTINELS)
    marked = _BOLD_OPEN + sentence + _BOLD_CLOSE if sentence.strip() else sentence
    raw = sn.before.translate(_SENTINELS) + marked + sn.after.translate(_SENTINELS)
    escaped = neutralise_mentions(_escape_markdown(raw))
    return escaped.replace(_BOLD_OPEN, "**").replace(_BOLD_CLOSE, "**")


def _snippet_markup(passage: Passage, limit: int, cap: int | None) -> str:
    """The bolded snippet of ``passage`` whose escaped form fits ``limit``."""
    para = _locate(passage)[0]
    upper = len(para) if cap is None else min(len(para), cap)
    return _fit(limit, lambda n: _markup(snippet(passage, n)), upper)


# Square brackets inside a masked link's text end it early (Discord's parser wants them
# paired, escaped or not): in a link's text they are shown as parentheses.
_LINK_TEXT = str.maketrans("[]", "()")


def _linked(text: str, url: str | None, limit: int = LINK_URL_LIMIT) -> str:
    """``text`` (markdown) as a masked link to ``url`` when that is an http(s) URL of at most
    ``limit`` characters; else ``text`` as it is.

    ``web_url`` percent-encodes everything that could end the link or the line (spaces,
    parentheses, brackets, angle brackets, quotes, backslashes), so a URL from a document
    (a page's own canonical link) cannot break out of it; any other scheme is never linked."""
    link = web_url(url)
    if link is None or len(link) > limit:
        return text
    return f"[{text}]({link})"


def _cite(
    title: str,
    date: str | None,
    paragraph: int,
    *,
    page: int | None = None,
    section: str | None = None,
    url: str | None = None,
    title_limit: int = 150,
    link_limit: int = LINK_URL_LIMIT,
) -> str:
    """Markdown citation: ``citation_for``'s format (``*Title*, 2025-01-23, p. 3, ¶7``) with the
    title escaped inside italics and the section escaped; a link to the source when it has one."""
    linking = web_url(url) is not None
    raw_title = title.strip().translate(_LINK_TEXT) if linking else title.strip()
    shown = _escaped(raw_title, title_limit)
    head = f"*{shown}*" if shown else ""
    where = section.strip().translate(_LINK_TEXT) if section and linking else (section or "").strip()
    text = citation_for(head, escape(date) if date else None, paragraph, page=page,
                        section=_escaped(where, 100) or None).lstrip(", ")
    return _linked(text, url, link_limit)


def _cite_passage(p: Passage | Quote, link_limit: int = LINK_URL_LIMIT) -> str:
    return _cite(p.title, p.date, p.cited_paragraph, page=p.page, section=p.section, url=p.url, link_limit=link_limit)


# --------------------------------------------------------------------------- message parts


@dataclass
class MessageParts:
    """What to send: content and embeds, plus hints for the bot layer.

    ``page``/``pages`` tell whether a "More results" button makes sense, and ``passages``
    lists the passages shown in order so "Show paragraph" buttons can point at them.
    """

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    ephemeral: bool = False
    page: int = 0
    pages: int = 1
    passages: tuple[Passage, ...] = ()

    @property
    def has_more(self) -> bool:
        return self.page + 1 < self.pages

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``send``/``edit``/``followup.send``; pings nobody."""
        return {"content": self.content, "embeds": list(self.embeds), "allowed_mentions": NO_MENTIONS}


@dataclass
class _Draft:
    """An embed before its limits are applied; parts are already rendered text."""

    title: str = ""
    description: str = ""
    fields: list[tuple[str, str, bool]] = field(default_factory=list)
    footer: str = ""
    author: str = ""
    colour: discord.Colour = COLOUR

    def build(self, budget: int = EMBED_TOTAL_LIMIT) -> discord.Embed:
        """The embed with every per-part limit and a total ``budget`` applied.

        Room is handed out in order of importance: title, author, footer, description,
        then fields until the budget runs out. Renderers size their text to fit first, so
        this is the guarantee rather than the usual path.
        """
        budget = min(budget, EMBED_TOTAL_LIMIT)
        title = truncate(self.title, min(EMBED_TITLE_LIMIT, budget), markdown=True)
        budget -= len(title)
        author = truncate(self.author, min(EMBED_AUTHOR_LIMIT, budget))
        budget -= len(author)
        footer = truncate(self.footer, min(EMBED_FOOTER_LIMIT, budget))
        budget -= len(footer)
        description = truncate(self.description, min(EMBED_DESCRIPTION_LIMIT, budget), markdown=True)
        budget -= len(description)
        embed = discord.Embed(title=title or None, description=description or None, colour=self.colour)
        for name, value, inline in self.fields[:EMBED_FIELDS_LIMIT]:
            # Discord rejects empty field names and values.
            name = truncate(name, EMBED_FIELD_NAME_LIMIT, markdown=True) or ZWSP
            value_room = min(EMBED_FIELD_VALUE_LIMIT, budget - len(name))
            if value_room < min(len(value), 40) or value_room < 1:
                break
            value = truncate(value, value_room, markdown=True) or ZWSP
            embed.add_field(name=name, value=value, inline=inline)
            budget -= len(name) + len(value)
        if footer:
            embed.set_footer(text=footer)
        if author:
            embed.set_author(name=author)
        return embed


def _build_all(drafts: Sequence[_Draft]) -> list[discord.Embed]:
    """At most 10 embeds sharing the message-wide 6,000-character budget evenly."""
    drafts = list(drafts)[:EMBEDS_PER_MESSAGE]
    if not drafts:
        return []
    share = EMBED_TOTAL_LIMIT // len(drafts)
    return [d.build(share) for d in drafts]


def _content(text: str) -> str:
    return truncate(text, MESSAGE_CONTENT_LIMIT, markdown=True)


# -------------------------------------------------------------------------------- answers


def render_answer(
    answer: Answer,
    *,
    page: int = 0,
    per_page: int = 3,
    sources: Sequence[SourceInfo] = (),
) -> MessageParts:
    """The /ask reply: one embed per page of results, or the not-found message."""
    ranked = tuple(answer.results) + tuple(answer.more)
    if not answer.answered or not ranked:
        return render_not_found(sources)

    per_page = max(1, min(per_page, MAX_PER_PAGE))
    pages = math.ceil(len(ranked) / per_page)
    page = max(0, min(page, pages - 1))
    first = page * per_page
    shown = ranked[first : first + per_page]

    header = ""
    if answer.short_answer and answer.short_answer.strip():
        header = f"**Answer:** {_escaped(answer.short_answer.strip(), 500)}\n\n"
    sep = "\n\n"
    room = EMBED_DESCRIPTION_LIMIT - len(header) - len(sep) * (len(shown) - 1)
    per_block = room // len(shown)

    blocks: list[str] = []
    for number, passage in enumerate(shown, start=first + 1):
        label = f"**{number}.** "
        # The link may take a third of the block: ten results a page leave each ~400 characters.
        cite = f"— {_cite_passage(passage, link_limit=min(LINK_URL_LIMIT, per_block // 3))}"
        limit = per_block - len(label) - 1 - len(cite)
        # Short sentences get the standard context; a long one keeps some context too.
        cap = max(SNIPPET_CHARS, min(len(passage.text), 1500) + 200)
        blocks.append(f"{label}{_snippet_markup(passage, limit, cap)}\n{cite}")

    if pages > 1:
        span = f"Result {first + 1}" if len(shown) == 1 else f"Results {first + 1}–{first + len(shown)}"
        footer = f"{span} of {len(ranked)} · page {page + 1}/{pages}"
    else:
        footer = _plural(len(ranked), "result")
    draft = _Draft(
        title=_escaped(answer.question.strip(), EMBED_TITLE_LIMIT) or "Answer",
        description=header + sep.join(blocks),
        footer=footer,
    )
    return MessageParts(embeds=[draft.build()], page=page, pages=pages, passages=tuple(shown))


def _source_line(s: SourceInfo) -> str:
    when = f" ({escape(s.date)})" if s.date else ""
    return f"• *{_escaped(s.title, 120)}*{when}"


def render_not_found(sources: Sequence[SourceInfo] = ()) -> MessageParts:
    """The plain not-found reply, listing what the documents do cover."""
    if not sources:
        return MessageParts(content=NOT_FOUND)
    head = f"{NOT_FOUND} The documents cover:\n"
    lines = [_source_line(s) for s in list(sources)[:NOT_FOUND_SOURCES]]
    hidden = len(sources) - len(lines)
    body = _join_lines(lines, MESSAGE_CONTENT_LIMIT - len(head) - 60, noun="more")
    if hidden > 0:
        body += f"\n{ELLIPSIS}and {hidden:,} more (see /sources)"
    return MessageParts(content=_content(head + body))


def render_paragraph(passage: Passage) -> MessageParts:
    """The full source paragraph for "Show paragraph" (ephemeral), best sentence in bold."""
    cite = f"— {_cite_passage(passage)}"
    limit = EMBED_DESCRIPTION_LIMIT - len(cite) - 2
    draft = _Draft(
        title=_escaped(passage.title, EMBED_TITLE_LIMIT) or "Paragraph",
        description=f"{_snippet_markup(passage, limit, None)}\n\n{cite}",
        footer=_plain(f"{passage.doc} · paragraph {passage.paragraph}, sentence {passage.sentence}", 200),
    )
    return MessageParts(embeds=[draft.build()], ephemeral=True, passages=(passage,))


def render_context(passage: Passage, around: Sequence[Passage]) -> MessageParts:
    """"Show context": the cited sentence (bold) with its neighbours, each with its ¶ number."""
    around = list(around) or [passage]
    share = (EMBED_DESCRIPTION_LIMIT - 200) // len(around)
    lines = []
    for p in around:
        text = _escaped(p.text, share - 20)
        if (p.paragraph, p.sentence) == (passage.paragraph, passage.sentence):
            text = f"**{text}**"
        lines.append(f"`¶{p.cited_paragraph}.{p.sentence}` {text}")
    draft = _Draft(
        title=_escaped(passage.title, EMBED_TITLE_LIMIT) or "Context",
        description="\n".join(lines) + f"\n\n— {_cite_passage(passage)}",
    )
    return MessageParts(embeds=[draft.build()], ephemeral=True, passages=tuple(around))


# -------------------------------------------------------------------------------- sources


def render_sources(sources: Sequence[SourceInfo]) -> MessageParts:
    """/sources: every indexed document with date, place and counts; a server's own
    documents (a source with a ``library``) are marked as this server's."""
    if not sources:
        return MessageParts(content="No documents are indexed yet. A moderator can add one with /seed add.")
    lines = []
    for i, s in enumerate(sources, start=1):
        where = ", ".join(escape(x) for x in (s.date, s.place) if x) or "undated"
        counts = f"{_plural(s.paragraphs, 'paragraph')}, {_plural(s.sentences, 'sentence')}"
        title = _escaped(s.title.translate(_LINK_TEXT) if web_url(s.url) else s.title, 150)
        own = " · this server's" if s.library is not None else ""
        lines.append(f"**{i}.** {_linked(f'*{title}*', s.url, 300)} — {where} · {counts}{own}")
    total_p = sum(s.paragraphs for s in sources)
    total_s = sum(s.sentences for s in sources)
    draft = _Draft(
        title=f"Indexed documents ({len(sources):,})",
        description=_join_lines(lines, EMBED_DESCRIPTION_LIMIT, noun="more documents"),
        footer=f"{_plural(total_p, 'paragraph')} · {_plural(total_s, 'sentence')} in all",
    )
    return MessageParts(embeds=[draft.build()])


# --------------------------------------------------------------------------------- people


SourceKey = tuple[object, str]  # (library, doc): a server's "notes.txt" is not the shared one's


def _source_lookup(sources: Sequence[SourceInfo]) -> dict[SourceKey, SourceInfo]:
    return {(s.library, s.doc): s for s in sources}


def _mention_lines(person: Person, sources: dict[SourceKey, SourceInfo]) -> list[str]:
    lines = []
    for m in person.mentions:
        info = sources.get((m.library, m.doc))
        title, date = (info.title, info.date) if info else (m.doc, None)
        url = info.url if info else None
        lines.append(f"• {_cite(title, date, m.cited_paragraph, page=m.page, section=m.section, url=url, title_limit=100, link_limit=200)}")
    return lines


def _quote_body(text: str) -> str:
    text = text.strip()
    # The extractor may keep the quotation marks; do not double them.
    if text[:1] in "“‘\"«" and text[-1:] in "”’\"»":
        return text
    return f"“{text}”"


def _person_draft(person: Person, sources: dict[SourceKey, SourceInfo], budget: int, *, full: bool) -> _Draft:
    title = _escaped(person.name, EMBED_TITLE_LIMIT) or "Unnamed person"
    footer = f"{_plural(len(person.mentions), 'mention')} · {_plural(len(person.quotes), 'quote')}"
    room = min(EMBED_DESCRIPTION_LIMIT, budget - len(title) - len(footer))
    parts: list[str] = []
    if person.aliases:
        aliases = ", ".join(escape(a) for a in person.aliases)
        parts.append(truncate(f"Also called: {aliases}", max(room // 4, 40), markdown=True))
    roles = [f"• {_escaped(str(r), 200)}" for r in person.roles]
    mentions = _mention_lines(person, sources)
    draft = _Draft(title=title, footer=footer)
    if full:
        # The single-person view: roles, mentions and quotes as fields of their own.
        draft.description = "\n".join(parts)
        left = budget - len(title) - len(footer) - len(draft.description)
        if roles:
            value = _join_lines(roles, min(EMBED_FIELD_VALUE_LIMIT, left // 3), noun="more roles")
            draft.fields.append(("Roles", value, False))
            left -= len("Roles") + len(value)
        if mentions:
            value = _join_lines(mentions, min(EMBED_FIELD_VALUE_LIMIT, left // 2), noun="more mentions")
            draft.fields.append(("Mentioned in", value, False))
            left -= len("Mentioned in") + len(value)
        if person.quotes:
            quotes = [
                f"{_escaped(_quote_body(q.text), 300)}\n— {_cite_passage(q)}" for q in person.quotes
            ]
            value = _join_lines(quotes, min(EMBED_FIELD_VALUE_LIMIT, left - 10), sep="\n\n", noun="more quotes")
            draft.fields.append(("Quotes", value, False))
        return draft
    # The list view keeps everything in the description so ten people fit one message.
    if roles:
        parts.append(_join_lines(roles, max(room // 4, 40), noun="more roles"))
    if mentions:
        head = "Mentioned in:\n"
        used = sum(len(x) + 1 for x in parts) + len(head)
        parts.append(head + _join_lines(mentions, max(room - used, 40), noun="more"))
    draft.description = truncate("\n".join(parts), room, markdown=True)
    return draft


def render_person(person: Person, *, sources: Sequence[SourceInfo] = ()) -> MessageParts:
    """/who name: one person with roles, where they are mentioned and their quotes.

    ``sources`` gives document titles and dates for mention citations (a Mention carries
    only the document id); without it the id stands in for the title.
    """
    draft = _person_draft(person, _source_lookup(sources), EMBED_TOTAL_LIMIT, full=True)
    return MessageParts(embeds=[draft.build()])


def render_people(people: Sequence[Person], *, sources: Sequence[SourceInfo] = ()) -> MessageParts:
    """/who without a name: an embed per person (up to 10), the rest named in the content."""
    if not people:
        return MessageParts(content=NO_PEOPLE)
    lookup = _source_lookup(sources)
    shown = list(people)[:EMBEDS_PER_MESSAGE]
    share = EMBED_TOTAL_LIMIT // len(shown)
    drafts = [_person_draft(p, lookup, share, full=False) for p in shown]
    content = f"{_plural(len(people), 'person', 'people')} in the documents"
    rest = list(people)[len(shown) :]
    if rest:
        head = f"{content}; showing {len(shown)}. Use /who with a name for anyone else.\nAlso: "
        names = _join_lines([escape(p.name) for p in rest], MESSAGE_CONTENT_LIMIT - len(head), sep=", ")
        content = head + names
    else:
        content += "."
    return MessageParts(content=_content(content), embeds=_build_all(drafts))


# --------------------------------------------------------------------------------- quotes


def render_quotes(
    quotes: Sequence[Quote], topic: str | None = None, speaker: str | None = None, *, note: str | None = None
) -> MessageParts:
    """/quote: an embed per quote (up to 10) with its speaker and citation; ``note`` (the
    core's, e.g. the closest reported speech) goes under the content line."""
    def show(text: str) -> str:
        return _escaped(text, 200)

    def with_note(content: str) -> str:
        return _content(f"{content}\n{escape(note)}".strip() if note else content)

    if not quotes:
        return MessageParts(content=with_note(no_quotes_found(topic, speaker, show)))
    shown = list(quotes)[:EMBEDS_PER_MESSAGE]
    share = EMBED_TOTAL_LIMIT // len(shown)
    drafts = []
    for q in shown:
        who = f"**{_escaped(q.speaker, 200)}**" if q.speaker and q.speaker.strip() else f"*{SPEAKER_NOT_NAMED}*"
        tail = f"\n— {who}\n{_cite_passage(q)}"
        body = _escaped(_quote_body(q.text), min(EMBED_DESCRIPTION_LIMIT, share) - len(tail))
        drafts.append(_Draft(description=body + tail))
    content = f"{_plural(len(quotes), 'quote')}{quotes_about(topic, speaker, show)}"
    if len(quotes) > len(shown):
        content += f"; showing the first {len(shown)}."
    return MessageParts(content=with_note(content), embeds=_build_all(drafts))


# ------------------------------------------------------------------------- help and errors

_HELP = (
    ("/ask question", "Answer from the documents, with the best sentence in bold and its citation."),
    ("@citebot question", "Mention me (or reply to me) with a question for the same answer."),
    ("/who [name]", "People named in the documents, their roles and where they appear."),
    ("/quote [topic] [speaker]", "Quotations from the documents, with who said them."),
    ("/sources", "The indexed documents with dates and sizes."),
    ("/reindex", "Moderators: rebuild the index after the documents change."),
    ("/help", "This message."),
)


def render_help() -> MessageParts:
    lines = [f"`{name}` — {what}" for name, what in _HELP]
    draft = _Draft(
        title="citebot",
        description="I answer questions about a fixed set of documents and cite every passage "
        "(title, date, page or section, ¶ paragraph; linked to its source when it has one).\n\n" + "\n".join(lines),
        footer="Answers come only from the indexed documents.",
    )
    return MessageParts(embeds=[draft.build()], ephemeral=True)


def render_text(text: str, *, markdown: bool = False, ephemeral: bool = False) -> MessageParts:
    """One message of plain ``text`` (escaped here) or of ``markdown`` (rendered already),
    cut to Discord's 2,000 characters."""
    return MessageParts(content=_content(text if markdown else escape(text)), ephemeral=ephemeral)


def render_error(message: str) -> MessageParts:
    """A short ephemeral error for the user; the traceback belongs in the log, not here."""
    prefix = "⚠️ "
    return MessageParts(content=prefix + _escaped(message.strip() or "Something went wrong.",
                                                  MESSAGE_CONTENT_LIMIT - len(prefix)), ephemeral=True)


# ---------------------------------------------------------------- autocomplete, custom ids


def autocomplete_choices(names: Iterable[str], current: str) -> list[app_commands.Choice[str]]:
    """Up to 25 choices matching ``current``: prefix and word-prefix matches first.

    Names keep their input order inside each group (callers pass them most-relevant first).
    Values are cut to 100 characters without "…" so the command still receives the name's
    real start to look up.
    """
    needle = " ".join(current.split()).casefold()
    seen: set[str] = set()
    starts: list[str] = []
    contains: list[str] = []
    for raw in names:
        name = " ".join(str(raw).split())
        key = name.casefold()
        if not name or key in seen:
            continue
        seen.add(key)
        if not needle or key.startswith(needle) or any(w.startswith(needle) for w in key.split()):
            starts.append(name)
        elif needle in key:
            contains.append(name)
        if len(starts) >= AUTOCOMPLETE_CHOICES_LIMIT:
            break
    picked = (starts + contains)[:AUTOCOMPLETE_CHOICES_LIMIT]
    return [
        app_commands.Choice(name=truncate(n, CHOICE_LIMIT), value=n[:CHOICE_LIMIT].rstrip())
        for n in picked
    ]


def _digest(text: str, size: int = 12) -> str:
    return hashlib.blake2s(text.encode("utf-8"), digest_size=size // 2).hexdigest()


def custom_id(*parts: object) -> str:
    """``citebot:<part>:<part>…`` in at most 100 characters, deterministic.

    ``:`` inside a part becomes ``_`` so parsing stays unambiguous. When too long, the
    longest parts are replaced by a 12-character digest (keep short parts such as the page
    number readable, and look long keys up by the same digest).
    """
    clean = [str(p).replace(":", "_") for p in parts]
    cid = ":".join([CUSTOM_ID_PREFIX, *clean])
    while len(cid) > CUSTOM_ID_LIMIT:
        i = max(range(len(clean)), key=lambda k: len(clean[k]))
        if len(clean[i]) <= 12:
            break
        clean[i] = _digest(clean[i])
        cid = ":".join([CUSTOM_ID_PREFIX, *clean])
    if len(cid) > CUSTOM_ID_LIMIT:  # too many parts: only a digest of the whole fits
        cid = f"{CUSTOM_ID_PREFIX}:{_digest(cid, 32)}"
    return cid


def parse_custom_id(value: str) -> tuple[str, ...] | None:
    """The parts of an id made by :func:`custom_id`, or None when it is not ours."""
    head, _, rest = value.partition(":")
    if head != CUSTOM_ID_PREFIX or not rest:
        return None
    return tuple(rest.split(":"))
