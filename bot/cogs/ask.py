"""/ask, and questions asked by mentioning (or replying to) the bot."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval.errors import QuestionError
from retrieval.models import Answer

from ..render import MessageParts, custom_id, render_answer, render_error, render_help, render_paragraph

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.ask")

VIEW_TIMEOUT = 15 * 60


class AnswerView(discord.ui.View):
    """"More results" pages through the ranked passages; "Show paragraph" shows the whole
    source paragraph of the first passage on the page, only to the person who clicks."""

    def __init__(self, answer: Answer, bot: "CitebotBot", page: int = 0) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.answer = answer
        self.bot = bot
        self.page = page
        self.parts = self.render()
        key = str(abs(hash((answer.question, id(self)))))
        self.more.custom_id = custom_id("more", key)
        self.paragraph.custom_id = custom_id("para", key)
        self._sync_buttons()

    def render(self) -> MessageParts:
        return render_answer(self.answer, page=self.page, sources=self.bot.citebot.sources())

    def _sync_buttons(self) -> None:
        self.more.disabled = not self.parts.has_more
        self.more.label = "More results" if self.parts.has_more else "No more results"
        self.paragraph.disabled = not self.parts.passages

    @discord.ui.button(label="More results", style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.page += 1
        self.parts = self.render()
        self._sync_buttons()
        await interaction.response.edit_message(**self.parts.send_kwargs(), view=self)

    @discord.ui.button(label="Show paragraph", style=discord.ButtonStyle.primary)
    async def paragraph(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        parts = render_paragraph(self.parts.passages[0])
        await interaction.response.send_message(**parts.send_kwargs(), ephemeral=True)


def reply_parts(bot: "CitebotBot", answer: Answer) -> tuple[MessageParts, AnswerView | None]:
    if not answer.answered:
        return render_answer(answer, sources=bot.citebot.sources()), None
    view = AnswerView(answer, bot)
    return view.parts, view


_MENTION = re.compile(r"<@!?(\d+)>")


class Ask(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask a question about the documents; get the passage that answers it")
    @app_commands.describe(question="Your question, in your own words")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]) -> None:
        self.bot.check_rate(interaction.user.id)
        # Embedding and search take a moment; Discord wants an answer within 3 seconds.
        await interaction.response.defer(thinking=True)
        answer = await self.bot.run_heavy(self.bot.citebot.ask, question)
        parts, view = reply_parts(self.bot, answer)
        kwargs = parts.send_kwargs()
        if view is not None:
            kwargs["view"] = view
        await interaction.followup.send(**kwargs)

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
        if bot_user not in message.mentions and not replied_to_bot:
            return
        question = _MENTION.sub(lambda m: "" if int(m.group(1)) == bot_user.id else m.group(0), message.content).strip()
        if not question:
            await message.reply(**render_help().send_kwargs(), mention_author=False)
            return
        wait = self.bot.limiter.hit(message.author.id)
        if wait is not None:
            await message.reply(**render_error(f"You're asking quickly: try again in {max(1, round(wait))} s.").send_kwargs(), mention_author=False)
            return
        try:
            async with message.channel.typing():
                answer = await self.bot.run_heavy(self.bot.citebot.ask, question)
        except QuestionError as exc:
            await message.reply(**render_error(str(exc)).send_kwargs(), mention_author=False)
            return
        parts, view = reply_parts(self.bot, answer)
        kwargs = parts.send_kwargs()
        if view is not None:
            kwargs["view"] = view
        await message.reply(**kwargs, mention_author=False)


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Ask(bot))
