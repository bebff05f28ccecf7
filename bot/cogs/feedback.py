"""/feedback stats and /feedback reset (moderators); the votes come from answer buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ..audit import audit
from ..checks import MODERATOR_PERMISSIONS, is_moderator
from ..render import escape, render_text, truncate

if TYPE_CHECKING:
    from ..app import CitebotBot


@app_commands.default_permissions(MODERATOR_PERMISSIONS)
@app_commands.guild_only()
class Feedback(commands.GroupCog, group_name="feedback", group_description="Moderators: votes on answers"):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="stats", description="The most up- and down-voted passages in this server")
    @is_moderator()
    async def stats(self, interaction: discord.Interaction) -> None:
        # The heavy threads may all be busy answering: don't let the 3-second deadline pass.
        await interaction.response.defer(ephemeral=True, thinking=True)
        server = interaction.guild_id
        assert server is not None  # guild_only

        def stats():  # a server that never voted has no votes file, and gets none made
            votes = self.bot.libraries.library(server).existing_feedback()
            return votes.stats(server) if votes is not None else ([], [])

        up, down = await self.bot.run_heavy(stats)
        lines = []
        for heading, items in (("Most 👍", up), ("Most 👎", down)):
            lines.append(f"**{heading}**")
            lines += [
                f"{item.up}👍 {item.down}👎 — “{escape(truncate(item.text, 150))}” "
                f"*{escape(truncate(item.title, 60))}*{', ' + item.date if item.date else ''}, ¶{item.paragraph}"
                for item in items
            ] or ["none yet"]
        await interaction.followup.send(**render_text("\n".join(lines), markdown=True).send_kwargs(), ephemeral=True)

    @app_commands.command(name="reset", description="Forget every vote in this server (rankings return to the text alone)")
    @is_moderator()
    async def reset(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        server = interaction.guild_id
        assert server is not None  # guild_only

        def reset() -> int:
            votes = self.bot.libraries.library(server).existing_feedback()
            return votes.reset(server) if votes is not None else 0

        removed = await self.bot.run_heavy(reset)
        await audit(self.bot, interaction, "feedback reset", f"{removed} votes removed")
        await interaction.followup.send(**render_text(f"Removed {removed} votes.").send_kwargs(), ephemeral=True)


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Feedback(bot))
