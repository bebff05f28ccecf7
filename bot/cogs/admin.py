"""/reindex: moderators only, checked at run time as well as by default permissions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval.errors import CitebotError, ReindexRunning

from ..audit import audit
from ..checks import is_moderator
from ..render import MessageParts, escape, truncate

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.admin")

__all__ = ["Admin", "is_moderator"]  # is_moderator re-exported: it used to live here


class Admin(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Moderators: rebuild the index from the documents folder")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @is_moderator()
    async def reindex(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            report = await self.bot.run_heavy(self.bot.citebot.reindex)
        except ReindexRunning:
            await audit(self.bot, interaction, "reindex", "refused: a reindex is already running")
            raise  # the tree's error handler words it for the user
        except CitebotError as exc:
            await audit(self.bot, interaction, "reindex", f"failed: {exc}")
            raise
        except Exception:
            await audit(self.bot, interaction, "reindex", "failed: internal error (see the log)")
            raise
        await audit(self.bot, interaction, "reindex", "done: " + report.summary())
        text = "Reindexed.\n" + report.summary()
        await interaction.followup.send(**MessageParts(content=truncate(escape(text), 2000, markdown=True)).send_kwargs(), ephemeral=True)


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Admin(bot))
