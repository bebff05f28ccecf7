"""/ask, and questions asked by mentioning (or replying to) the bot."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from retrieval.dates import parse_day
from retrieval.errors import QuestionError
from retrieval.models import Answer

from ..render import (
    MessageParts,
    custom_id,
    render_answer,
    render_context,
    render_error,
    render_help,
    render_paragraph,
    truncate,
)

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.ask")

VIEW_TIMEOUT = 30 * 60
PER_PAGE = 3
_MENTION = re.compile(r"<@!?(\d+)>")


def can_moderate(user: discord.abc.User) -> bool:
    perms = getattr(user, "guild_permissions", None)
    return bool(perms and (perms.manage_messages or perms.manage_guild))


class AnswerView(discord.ui.View):
    """The buttons under an answer. Rebuilt per page so votes point at the passages shown.

    "More results" pages through the ranked passages; "Show paragraph" and "Show context"
    answer only the person who clicks; 👍/👎 record a vote per shown passage; 🗑 deletes the
    answer, for the asker and moderators only.
    """

    def __init__(self, bot: "CitebotBot", answer: Answer, *, asker_id: int, scope: int | None, deletable: bool) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.bot = bot
        self.answer = answer
        self.asker_id = asker_id
        self.scope = scope
        self.deletable = deletable
        self.page = 0
        self._key = f"{asker_id:x}{id(self):x}"
        self.parts = self._render()
        self._build()

    def _render(self) -> MessageParts:
        return render_answer(self.answer, page=self.page, per_page=PER_PAGE, sources=self.bot.citebot.sources())

    def _button(self, label: str, action: str, callback: Callable[[discord.Interaction], Awaitable[None]], *,
                row: int, style: discord.ButtonStyle = discord.ButtonStyle.secondary, disabled: bool = False) -> None:
        button = discord.ui.Button(label=label, style=style, custom_id=custom_id(action, self._key), row=row, disabled=disabled)
        button.callback = callback  # type: ignore[method-assign]
        self.add_item(button)

    def _build(self) -> None:
        self.clear_items()
        self._button("More results" if self.parts.has_more else "No more results", "more", self._more, row=0,
                     disabled=not self.parts.has_more)
        self._button("Show paragraph", "para", self._paragraph, row=0, style=discord.ButtonStyle.primary)
        self._button("Show context", "ctx", self._context, row=0)
        if self.deletable:
            self._button("🗑", "del", self._delete, row=0, style=discord.ButtonStyle.danger)
        if self.scope is None:
            return  # votes are per server
        first = self.parts.page * PER_PAGE + 1  # the numbers the embed shows
        for i, passage in enumerate(self.parts.passages[:4]):
            for emoji, value in (("👍", 1), ("👎", -1)):
                button = discord.ui.Button(
                    label=f"{emoji} {first + i}", style=discord.ButtonStyle.secondary,
                    custom_id=custom_id("vote", self._key, i, value), row=1 + i // 2,
                )
                button.callback = self._voter(i, value)  # type: ignore[method-assign]
                self.add_item(button)

    async def _more(self, interaction: discord.Interaction) -> None:
        self.page += 1
        self.parts = self._render()
        self._build()
        await interaction.response.edit_message(**self.parts.send_kwargs(), view=self)

    async def _paragraph(self, interaction: discord.Interaction) -> None:
        parts = render_paragraph(self.parts.passages[0])
        await interaction.response.send_message(**parts.send_kwargs(), ephemeral=True)

    async def _context(self, interaction: discord.Interaction) -> None:
        passage = self.parts.passages[0]
        around = await self.bot.run_heavy(self.bot.citebot.context, passage)
        await interaction.response.send_message(**render_context(passage, around).send_kwargs(), ephemeral=True)

    async def _delete(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.asker_id and not can_moderate(interaction.user):
            await interaction.response.send_message(
                **render_error("Only the person who asked, or a moderator, can delete this answer.").send_kwargs(),
                ephemeral=True,
            )
            return
        await interaction.response.defer()
        await interaction.delete_original_response()
        self.stop()

    def _voter(self, index: int, value: int) -> Callable[[discord.Interaction], Awaitable[None]]:
        async def vote(interaction: discord.Interaction) -> None:
            passage = self.parts.passages[index]
            await self.bot.run_heavy(
                self.bot.citebot.feedback.vote, self.scope, interaction.user.id, self.answer.question, passage, value
            )
            log.info("vote %+d by %s on %s ¶%s", value, interaction.user.id, passage.doc, passage.paragraph)
            mark = "👍" if value > 0 else "👎"
            await interaction.response.send_message(
                **MessageParts(content=f"Thanks: your {mark} on ¶{passage.paragraph} is recorded "
                               "(voting again replaces it).").send_kwargs(),
                ephemeral=True,
            )

        return vote


class Ask(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    def _view(self, answer: Answer, asker_id: int, scope: int | None, *, deletable: bool) -> tuple[MessageParts, AnswerView | None]:
        if not answer.answered:
            return render_answer(answer, sources=self.bot.citebot.sources()), None
        view = AnswerView(self.bot, answer, asker_id=asker_id, scope=scope, deletable=deletable)
        return view.parts, view

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
        parse_day(since, "since"), parse_day(until, "until")  # a typo in a date fails fast, privately
        self.bot.check_rate(interaction.user.id)
        guild_settings = self.bot.guild_settings.get(interaction.guild_id)
        ephemeral = guild_settings.private if private is None else private
        # Embedding and search take a moment; Discord wants an answer within 3 seconds.
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        answer = await self.bot.run_heavy(
            self.bot.citebot.ask, question, scope=interaction.guild_id, since=since, until=until
        )
        parts, view = self._view(answer, interaction.user.id, interaction.guild_id, deletable=not ephemeral)
        kwargs = parts.send_kwargs() | ({"view": view} if view else {})
        channel = interaction.channel
        if guild_settings.answer_mode == "thread" and not ephemeral and isinstance(channel, discord.TextChannel):
            anchor = await interaction.followup.send(content="Answer in the thread below.", wait=True)
            # A follow-up message carries no guild, so the thread is made through its channel.
            thread = await channel.create_thread(name=truncate(question, 100) or "Answer", message=anchor)
            await thread.send(**kwargs)
            return
        await interaction.followup.send(**kwargs, ephemeral=ephemeral)

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
        guild_settings = self.bot.guild_settings.get(message.guild.id if message.guild else None)
        if not guild_settings.allows_channel(message.channel.id):
            return  # moderators chose where the bot speaks
        question = _MENTION.sub(lambda m: "" if int(m.group(1)) == bot_user.id else m.group(0), message.content).strip()
        if not question:
            await message.reply(**render_help().send_kwargs(), mention_author=False)
            return
        wait = self.bot.limiter.hit(message.author.id)
        if wait is not None:
            text = f"You're asking quickly: try again in {max(1, round(wait))} s."
            await message.reply(**render_error(text).send_kwargs(), mention_author=False)
            return
        scope = message.guild.id if message.guild else None
        try:
            async with message.channel.typing():  # shows the asker that an answer is coming
                answer = await self.bot.run_heavy(self.bot.citebot.ask, question, scope=scope)
        except QuestionError as exc:
            await message.reply(**render_error(str(exc)).send_kwargs(), mention_author=False)
            return
        parts, view = self._view(answer, message.author.id, scope, deletable=True)
        kwargs = parts.send_kwargs() | ({"view": view} if view else {})
        if guild_settings.answer_mode == "thread" and isinstance(message.channel, discord.TextChannel):
            thread = await message.create_thread(name=truncate(question, 100) or "Answer")
            await thread.send(**kwargs)
            return
        await message.reply(**kwargs, mention_author=False)


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Ask(bot))
