"""/settings: where and how the bot answers in this server (moderators)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from ..audit import audit
from ..checks import moderator_command
from ..guild_settings import GuildSettings
from ..render import MessageParts

if TYPE_CHECKING:
    from ..app import CitebotBot


# Channel mentions are ~22 characters each: a long allowlist is summarised, so the reply
# stays under Discord's 2,000 (past it Discord refuses the message and the change reads as failed).
SHOWN_CHANNELS = 40


def describe(settings: GuildSettings) -> str:
    listed = sorted(settings.channels)
    channels = ", ".join(f"<#{c}>" for c in listed[:SHOWN_CHANNELS]) or "all channels"
    if len(listed) > SHOWN_CHANNELS:
        channels += f" and {len(listed) - SHOWN_CHANNELS} more channels"
    sources = "this server's documents and the shared library" if settings.shared else "this server's documents only"
    return (
        f"Answers go {'into a thread' if settings.answer_mode == 'thread' else 'in the channel'}; "
        f"/ask answers are {'private to the asker' if settings.private else 'public'} by default; "
        f"mentions are answered in {channels}; answers come from {sources}."
    )


class ServerSettings(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    @app_commands.command(name="settings", description="Moderators: where and how citebot answers in this server")
    @app_commands.describe(
        answer_in="Answer in the channel, or in a new thread per question",
        private="Make /ask answers visible only to the asker by default",
        allow_channel="Add a channel where mentions are answered (none listed = all channels)",
        remove_channel="Remove a channel from the mention allowlist",
        all_channels="Clear the allowlist: answer mentions in every channel",
        shared_library="Answer from the bot's shared library too, not only this server's documents (on by default)",
    )
    @moderator_command()
    async def settings(
        self,
        interaction: discord.Interaction,
        answer_in: Literal["channel", "thread"] | None = None,
        private: bool | None = None,
        allow_channel: discord.TextChannel | None = None,
        remove_channel: discord.TextChannel | None = None,
        all_channels: bool | None = None,
        shared_library: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None  # guild_only
        store = self.bot.guild_settings
        current = store.get(interaction.guild_id)
        changes: dict[str, object] = {}
        if answer_in is not None:
            changes["answer_mode"] = answer_in
        if private is not None:
            changes["private"] = private
        if shared_library is not None:
            changes["shared"] = shared_library
        channels = set(current.channels)
        if all_channels:
            channels.clear()
        if allow_channel is not None:
            channels.add(allow_channel.id)
        if remove_channel is not None:
            channels.discard(remove_channel.id)
        if channels != set(current.channels):
            changes["channels"] = frozenset(channels)
        if changes:
            current = store.update(interaction.guild_id, **changes)
            await audit(self.bot, interaction, "settings", describe(current))
        text = ("Saved. " if changes else "") + describe(current)
        if remove_channel is not None and not current.channels and "channels" in changes:
            text += " (The allowlist is now empty, which means every channel.)"
        # Channel mentions render as links and ping nobody; allowed_mentions is none anyway.
        await interaction.response.send_message(**MessageParts(content=text).send_kwargs(), ephemeral=True)


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(ServerSettings(bot))
