"""Every sentence the bot or the console says in more than one place, so one edit changes
it everywhere. Plain text, free of discord.py (the console uses it too); callers escape.

A wording about the documents themselves belongs to the core instead: a name that matched
no one is ``retrieval.PersonMatch.not_found``, which the CLI, the chat and /who all use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from retrieval import Stored

NOT_FOUND = "I couldn't find that in the documents."
UNEXPECTED = "Something went wrong while answering; the error has been logged."
SPEAKER_NOT_NAMED = "speaker not named in the source"
NO_PEOPLE = "No people are named in the documents yet."
REINDEX_RUNNING = "A reindex is already running; try again when it finishes (/reindex). The current index keeps answering."
REINDEX_CRASHED = "The reindex failed (the error has been logged). The previous index keeps answering."
SERVERS_ONLY = "This command only works in a server."
NOT_A_MODERATOR = "Only members with the Manage Server permission can do this."
NOT_AN_OWNER = "Only the bot's owners can do this."
# An owner's change to the shared library typed in a server another process serves: that
# process only reads it (``CitebotBot.builds_shared``); nothing is changed.
SHARED_READ_ONLY = (
    "The shared library is changed by the bot's process that serves shard 0, not this one: "
    "use a server on shard 0, or citebot add, remove and index on the command line. Nothing was changed."
)


def asking_quickly(wait: float) -> str:
    """The rate limit's refusal, for /ask and for mentions alike."""
    return f"You're asking quickly: try again in {max(1, round(wait))} s."


def reindex_failed(reason: object) -> str:
    return f"The reindex failed: {reason}."  # the core's reason says whether an index still answers


def reindexed(summary: str) -> str:
    return f"Reindexed.\n{summary}"


def no_quotes_found(topic: str | None, speaker: str | None, show: Callable[[str], str]) -> str:
    """No quote matched; ``show`` makes the user's words safe for where they are printed."""
    return f"No quotes found{quotes_about(topic, speaker, show)}."


def quotes_about(topic: str | None, speaker: str | None, show: Callable[[str], str]) -> str:
    """' about “topic” by speaker', each part only when given."""
    about = f" about “{show(topic.strip())}”" if topic and topic.strip() else ""
    by = f" by {show(speaker.strip())}" if speaker and speaker.strip() else ""
    return about + by


# A title this long is a page whose title extraction went wrong; the rest is not needed to see it.
_TITLE_SHOWN = 150


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def added_summary(stored: "Stored", show: Callable[[str], str], into: str | None = None) -> str:
    """What a moderator is told after a document is added (``/seed add``, ``citebot add``):
    its name, title, date, paragraphs (and pages for a PDF) and where it came from, so an
    extraction that went wrong (no date, one paragraph, the site's name as the title) shows
    at once. ``show`` makes document text safe for where it is printed; ``into`` names the
    library it went to, when there is more than one ("server 123's library")."""
    title = stored.title.strip()
    if len(title) > _TITLE_SHOWN:
        title = title[: _TITLE_SHOWN - 1].rstrip() + "…"
    found = _count(stored.paragraphs, "paragraph")
    if stored.pages is not None:
        found += f" on {_count(stored.pages, 'page')}"
    when = stored.date or "no date found"
    source = f" from {show(stored.url)}" if stored.source is not None and stored.url else ""
    verb = "Replaced" if stored.replaced else "Saved"
    where = f" in {into}" if into else ""
    return f"{verb} {show(stored.name)}{source}{where}: “{show(title)}”, {when}, {found}."
