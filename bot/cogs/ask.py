"""/ask, and questions asked by mentioning (or replying to) the bot: both are delivered by
``bot.deliver.deliver_answer``; this cog only decides which messages are questions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ..buttons import AnswerButton
from ..deliver import MessageRoute, SlashRoute, deliver_answer
from ..render import render_error, render_help
from ..text import strip_mentions

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.ask")


class Ask(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask a question about the documents; get the passage that answers it")
    @app_commands.describe(
        question="Your question, in your own words",
        private="Only you see the answer (default: the server's setting)",
        since="Only documents dated on or after this day (YYYY-MM-DD)",
        until="Only documents dated on or before this day (YYYY-MM-DD)",
    )
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 1000],
        private: bool | None = None,
        since: app_commands.Range[str, 1, 10] | None = None,
        until: app_commands.Range[str, 1, 10] | None = None,
    ) -> None:
        # The client turns a picked @name into <@id>: deliver_answer strips mentions.
        ephemeral = self.bot.guild_settings.get(interaction.guild_id).private if private is None else private
        await deliver_answer(self.bot, SlashRoute(interaction, ephemeral=ephemeral), question, since=since, until=until)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        bot_user = self.bot.user
        if bot_user is None or message.author.bot or message.webhook_id is not None:
            return
        replied_to_bot = (
            message.reference is not None
            and isinstance(message.reference.resolved, discord.Message)
            and message.reference.resolved.author.id == bot_user.id
        )
        mentioned = bot_user in message.mentions
        direct = message.guild is None  # in a DM every message is for the bot
        if not (mentioned or replied_to_bot or direct):
            return
        guild_settings = self.bot.guild_settings.get(message.guild.id if message.guild else None)
        # In the bot's own answer thread, follow-ups count as asked in the channel it belongs to.
        channel_id = message.channel.parent_id if isinstance(message.channel, discord.Thread) else message.channel.id
        if not guild_settings.allows_channel(channel_id):
            return  # moderators chose where the bot speaks
        if not strip_mentions(message.content):
            if replied_to_bot and not mentioned and not direct:
                # Without the message-content intent Discord hides a reply's text from the bot
                # unless the reply pings it: the user should know, not get the help text.
                text = "I can only read replies that mention me: leave the ping on when you reply."
                await message.reply(**render_error(text).send_kwargs(), mention_author=False)
                return
            await message.reply(**render_help().send_kwargs(), mention_author=False)
            return
        await deliver_answer(self.bot, MessageRoute(message), message.content)


async def setup(bot: "CitebotBot") -> None:
    # Registered up front: buttons on answers posted before a restart are clicked too.
    bot.add_dynamic_items(AnswerButton)
    await bot.add_cog(Ask(bot))
