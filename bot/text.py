"""Plain-text helpers shared by the Discord renderer and the console: truncation and the
snippet of a paragraph around its best sentence. Kept free of discord.py so that
``citebot ask`` does not pay for importing it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval import Passage

ELLIPSIS = "…"
# The raw context shown around a best sentence in /ask: enough to read it in place, short
# enough that three results stay skimmable.
SNIPPET_CHARS = 700


def truncate(text: str, limit: int, *, ellipsis: str = ELLIPSIS, markdown: bool = False) -> str:
    """``text`` if it fits in ``limit`` characters, else cut on a word boundary plus ``ellipsis``.

    The one truncation rule for every Discord limit. A hard cut is used only when the last
    word boundary would throw away more than half of the room (one very long token).
    With ``markdown`` the text is already rendered: a cut never leaves a lone escaping
    backslash or an unclosed ``**``. Raw text is cut without that, and escaped afterwards.
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[:limit]
    room = limit - len(ellipsis)
    cut = text[:room]
    if not text[room].isspace():
        boundary = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
        if boundary >= room // 2:
            cut = cut[:boundary]
    cut = cut.rstrip()
    if not markdown:
        return cut + ellipsis
    cut = _clean_end(cut)
    # A cut inside the bold best sentence must not leave ``**`` open for the rest.
    opens = [m.start() for m in re.finditer(r"(?<!\\)\*\*", cut)]
    if len(opens) % 2:
        last = opens[-1]
        if len(cut) + 2 > room:
            cut = _clean_end(cut[: room - 2])
        # Close the bold if any of it is left, else drop the dangling marker.
        cut = _clean_end(cut[:last]) if len(cut) <= last + 2 else cut + "**"
    return cut + ellipsis


def _clean_end(text: str) -> str:
    """Strip trailing space, and a lone trailing backslash that would escape what follows."""
    text = text.rstrip()
    if (len(text) - len(text.rstrip("\\"))) % 2:
        text = text[:-1].rstrip()
    return text


# Discord's mention syntax: users (<@id>, <@!id>), roles (<@&id>), channels (<#id>), slash
# commands (</name:id>) and the @everyone/@here pings.
_MENTIONS = re.compile(r"<(?:@[!&]?|#)\d+>|</[^<>:\s][^<>:]*:\d+>|@(?:everyone|here)\b")


def strip_mentions(text: str) -> str:
    """``text`` without Discord mentions, spaces folded: a question asked in a message is
    what it asks, not whom it pings, and it becomes the answer's title and thread name."""
    return " ".join(_MENTIONS.sub(" ", text).split())


def _tail(text: str, limit: int) -> str:
    """The end of ``text`` in at most ``limit`` characters, cut on a word boundary after "…"."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    room = limit - len(ELLIPSIS)
    cut = text[len(text) - room :] if room > 0 else ""
    if cut and not text[len(text) - room - 1].isspace():
        m = re.search(r"\s", cut)
        if m and m.start() <= len(cut) // 2:
            cut = cut[m.end() :]
    return ELLIPSIS + cut.lstrip()


@dataclass(frozen=True)
class Snippet:
    """A paragraph split around its best sentence; ``before``/``after`` may carry "…"."""

    before: str
    sentence: str
    after: str

    @property
    def text(self) -> str:
        return self.before + self.sentence + self.after


def _locate(passage: Passage) -> tuple[str, int, int]:
    """The paragraph and the span of the best sentence in it, tolerating stale offsets."""
    para = passage.paragraph_text or passage.text
    target = passage.text.strip()
    start, end = passage.sentence_start, passage.sentence_end
    if not target:
        return para, 0, 0
    if not (0 <= start < end <= len(para)) or para[start:end].strip() != target:
        found = para.find(target)
        if found < 0:
            # The paragraph does not contain the sentence: show the sentence alone rather
            # than bold the wrong words.
            return target, 0, len(target)
        start, end = found, found + len(target)
    # ``** text**`` does not render bold: keep whitespace outside the markers.
    while start < end and para[start].isspace():
        start += 1
    while end > start and para[end - 1].isspace():
        end -= 1
    return para, start, end


def snippet(passage: Passage, budget: int | None = None) -> Snippet:
    """The paragraph around the best sentence in at most ``budget`` characters (None: all).

    Context is shared evenly before and after the sentence, and unused room on one side
    goes to the other. When even the sentence does not fit, the sentence itself is cut.
    """
    para, start, end = _locate(passage)
    before, sentence, after = para[:start], para[start:end], para[end:]
    if budget is None or len(para) <= budget:
        return Snippet(before, sentence, after)
    budget = max(budget, 0)
    lead_need = len(ELLIPSIS) if before.strip() else 0
    trail_need = len(ELLIPSIS) if after.strip() else 0
    if len(sentence) + lead_need + trail_need > budget:
        lead = ELLIPSIS if lead_need and budget > len(ELLIPSIS) else ""
        # The cut sentence ends in its own "…", which also says the paragraph goes on.
        return Snippet(lead, truncate(sentence, budget - len(lead)), "")
    rest = budget - len(sentence)
    if len(before) + len(after) <= rest:
        return Snippet(before, sentence, after)
    half = rest // 2
    if len(before) <= half:
        b_room = len(before)
    elif len(after) <= rest - half:
        b_room = rest - len(after)
    else:
        b_room = half
    b_room = min(max(b_room, lead_need), rest - trail_need)
    return Snippet(_tail(before, b_room), sentence, truncate(after, rest - b_room))
