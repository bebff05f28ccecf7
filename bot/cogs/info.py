"""/sources and /help."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ..render import render_help, render_sources

if TYPE_CHECKING:
    from ..app import CitebotBot


class Info(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="List the indexed documents with their dates and sizes")
    async def sources(self, interaction: discord.Interaction) -> None:
        # This server's documents and the shared library's (a DM: the shared library's). On a
        # thread: a server's library not loaded yet is loaded now.
        sources = await asyncio.to_thread(lambda: self.bot.scope(interaction.guild_id).sources())
        parts = render_sources(sources)
        await interaction.response.send_message(**parts.send_kwargs())

    @app_commands.command(name="help", description="What citebot can do and how to ask")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(**render_help().send_kwargs(), ephemeral=True)


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Info(bot))
