"""/reindex: moderators only, checked at run time as well as by default permissions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ..render import MessageParts, escape, truncate

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.admin")


def is_moderator():
    """``default_permissions`` is a hint server admins can change; this is the real check."""

    async def predicate(interaction: discord.Interaction) -> bool:
        from ..app import NotModerator

        if interaction.guild is None:
            raise NotModerator("This command only works in a server.")
        perms = getattr(interaction.user, "guild_permissions", None)
        if perms is None or not perms.manage_guild:
            raise NotModerator("Only members with the Manage Server permission can do this.")
        return True

    return app_commands.check(predicate)


class Admin(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Moderators: rebuild the index from the documents folder")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @is_moderator()
    async def reindex(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        log.info("reindex requested by %s (%s) in guild %s", interaction.user, interaction.user.id, interaction.guild_id)
        report = await self.bot.run_heavy(self.bot.citebot.reindex)
        text = "Reindexed.\n" + report.summary()
        await interaction.followup.send(**MessageParts(content=truncate(escape(text), 2000, markdown=True)).send_kwargs(), ephemeral=True)


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Admin(bot))
