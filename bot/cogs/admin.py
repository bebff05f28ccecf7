"""/reindex, and what every command that changes a library shares (/seed uses it too): which
library it acts on (the server's own, or with ``library: shared`` the shared one), the
check that the user may change it, and the one way a reindex is run and reported."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval import CitebotError, LibraryId, ReindexRunning, shown

from ..audit import audit
from ..checks import LibraryRefused, library_refusal, moderator_command
from ..render import render_text
from ..replies import REINDEX_CRASHED, REINDEX_RUNNING, SHARED_READ_ONLY, reindex_failed, reindexed

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.admin")

SHARED = "shared"
# The ``library`` option of /reindex and /seed: the server's own library unless it says otherwise.
LIBRARY_CHOICES = [
    app_commands.Choice(name="this server's documents (the default)", value="server"),
    app_commands.Choice(name="the shared library, which every server reads (bot owners only)", value=SHARED),
]
LIBRARY_OPTION = "Which library: this server's (the default), or the shared one (bot owners only)"


def chosen_library(interaction: discord.Interaction, choice: str | None) -> LibraryId:
    """The library a command acts on: the shared one (None) when ``choice`` says so, else the
    server's own, where the command is typed."""
    return None if choice == SHARED else interaction.guild_id


def library_action(action: str, library: LibraryId) -> str:
    """The audit line's name of an action: on the shared library, it says so."""
    return f"{action} (shared library)" if library is None else action


async def check_library(bot: "CitebotBot", interaction: discord.Interaction, library: LibraryId, action: str) -> None:
    """Refuse, privately and in the audit log, a change the user may not make to ``library``
    (``checks.library_refusal``), or one this process cannot make: the shared library is
    rebuilt by the process that serves shard 0 only (``builds_shared``), so nothing is
    changed here that no one would index. Raises ``LibraryRefused`` (the tree's error
    handler tells the user)."""
    refusal = await library_refusal(bot, interaction, library)
    if refusal is None and library is None and not bot.builds_shared:
        refusal = SHARED_READ_ONLY
    if refusal is not None:
        await audit(bot, interaction, action, f"refused: {refusal}")
        raise LibraryRefused(refusal)


async def reindex_and_report(
    bot: "CitebotBot", interaction: discord.Interaction, action: str, done: str = "", *, library: LibraryId
) -> None:
    """Rebuild ``library``'s index for a moderator, then reply and audit how it went.

    ``done`` is what the command already did (a /seed change): it stands whatever the
    reindex does, and leads both the reply and the audit line. The rebuild runs on the
    rebuilds' own thread (``CitebotBot.run_rebuild``): questions keep theirs meanwhile.
    """
    try:
        report = await bot.run_rebuild(bot.libraries.library(library).reindex)
    except ReindexRunning:
        status, outcome = "refused", REINDEX_RUNNING
    except CitebotError as exc:
        status, outcome = "failed", reindex_failed(exc)
    except Exception:
        log.exception("reindex for %s failed", action)
        status, outcome = "failed", REINDEX_CRASHED
    else:
        status, outcome = "done", reindexed(report.summary())
    await audit(bot, interaction, action, _shown_lines("\n".join(filter(None, [done, f"{status}: {outcome}"]))))
    reply = _shown_lines("\n".join(filter(None, [done, outcome])))
    await interaction.followup.send(**render_text(reply).send_kwargs(), ephemeral=True)


def _shown_lines(text: str) -> str:
    # The summary names files as they are (one dropped in by hand may hold a direction
    # override): spell such characters out, keeping the summary's own line breaks.
    return "\n".join(shown(line) for line in text.split("\n"))


class Admin(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Moderators: rebuild this server's index from its documents")
    @app_commands.describe(library=LIBRARY_OPTION)
    @app_commands.choices(library=LIBRARY_CHOICES)
    @moderator_command()
    async def reindex(self, interaction: discord.Interaction, library: app_commands.Choice[str] | None = None) -> None:
        target = chosen_library(interaction, library.value if library else None)
        action = library_action("reindex", target)
        await check_library(self.bot, interaction, target, action)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reindex_and_report(self.bot, interaction, action, library=target)


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Admin(bot))
