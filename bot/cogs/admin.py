"""/reindex, and the one way a moderator's reindex is run and reported (/seed uses it too)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval import CitebotError, ReindexRunning, shown

from ..audit import audit
from ..checks import moderator_command
from ..render import render_text
from ..replies import REINDEX_CRASHED, REINDEX_RUNNING, reindex_failed, reindexed

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.admin")


async def reindex_and_report(bot: "CitebotBot", interaction: discord.Interaction, action: str, done: str = "") -> None:
    """Rebuild the index for a moderator, then reply and audit how it went.

    ``done`` is what the command already did (a /seed change): it stands whatever the
    reindex does, and leads both the reply and the audit line.
    """
    try:
        report = await bot.run_heavy(bot.citebot.reindex)
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

    @app_commands.command(name="reindex", description="Moderators: rebuild the index from the documents folder")
    @moderator_command()
    async def reindex(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reindex_and_report(self.bot, interaction, "reindex")


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Admin(bot))
