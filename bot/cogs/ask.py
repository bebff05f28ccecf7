"""/ask, and questions asked by mentioning (or replying to) the bot."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval.errors import CitebotError, QuestionError
from retrieval.models import Answer

from ..answer_store import AnswerState, new_key
from ..app import send_ephemeral
from ..text import UNEXPECTED, strip_mentions
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

PER_PAGE = 3


def can_moderate(user: discord.abc.User) -> bool:
    perms = getattr(user, "guild_permissions", None)
    return bool(perms and (perms.manage_messages or perms.manage_guild))


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"citebot:(?P<action>more|para|ctx|del|vote):(?P<key>[0-9a-f]{16})(?::(?P<index>[0-3]):(?P<value>-1|1))?",
):
    """A button under an answer. Its custom id names the action and the stored answer, so it
    works for as long as the answer is kept (``AnswerStore``), across restarts.

    "More results" pages through the ranked passages; "Show paragraph" and "Show context"
    answer only the person who clicks; 👍/👎 record a vote per shown passage; 🗑 deletes the
    answer, for the asker and moderators only.
    """

    def __init__(self, button: discord.ui.Button, *, row: int | None = None) -> None:
        super().__init__(button, row=row)
        match = self.template.fullmatch(self.custom_id)
        assert match is not None  # DynamicItem checked it against the template
        self.action = match["action"]
        self.key = match["key"]
        self.index = int(match["index"]) if match["index"] else 0
        self.value = int(match["value"]) if match["value"] else 0

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /) -> "AnswerButton":
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: "CitebotBot" = interaction.client  # type: ignore[assignment]
        state = await asyncio.to_thread(bot.answers.get, self.key)
        if state is None:
            await send_ephemeral(interaction, "This answer is too old for its buttons: ask the question again.")
            return
        try:
            await getattr(self, f"_{self.action}")(bot, state, interaction)
        except (QuestionError, CitebotError) as exc:
            await send_ephemeral(interaction, str(exc))
        except Exception:
            # Dynamic items bypass the tree's error handler: the clicker still gets an answer.
            log.exception("button %s failed", self.custom_id)
            await send_ephemeral(interaction, "Something went wrong with that button. Try asking again.")

    async def _more(self, bot: "CitebotBot", state: AnswerState, interaction: discord.Interaction) -> None:
        state.page += 1
        parts, view = answer_message(bot, state)
        await asyncio.to_thread(bot.answers.set_page, state.key, state.page)
        await interaction.response.edit_message(**parts.send_kwargs(), view=view)

    async def _para(self, bot: "CitebotBot", state: AnswerState, interaction: discord.Interaction) -> None:
        parts = render_paragraph(_page(bot, state).passages[0])
        await interaction.response.send_message(**parts.send_kwargs(), ephemeral=True)

    async def _ctx(self, bot: "CitebotBot", state: AnswerState, interaction: discord.Interaction) -> None:
        passage = _page(bot, state).passages[0]
        # Deferred first: with both heavy threads busy answering, the 3 seconds would pass.
        await interaction.response.defer(ephemeral=True, thinking=True)
        around = await bot.run_heavy(bot.citebot.context, passage)
        await interaction.followup.send(**render_context(passage, around).send_kwargs(), ephemeral=True)

    async def _del(self, bot: "CitebotBot", state: AnswerState, interaction: discord.Interaction) -> None:
        if interaction.user.id != state.asker_id and not can_moderate(interaction.user):
            await send_ephemeral(interaction, "Only the person who asked, or a moderator, can delete this answer.")
            return
        await interaction.response.defer()
        await interaction.delete_original_response()

    async def _vote(self, bot: "CitebotBot", state: AnswerState, interaction: discord.Interaction) -> None:
        shown = _page(bot, state).passages
        if state.scope is None or self.index >= len(shown):
            await send_ephemeral(interaction, "That vote no longer matches this answer.")
            return
        passage = shown[self.index]
        await interaction.response.defer(ephemeral=True, thinking=True)
        await bot.run_heavy(bot.citebot.feedback.vote, state.scope, interaction.user.id, state.answer.question, passage, self.value)
        log.info("vote %+d by %s on %s ¶%s", self.value, interaction.user.id, passage.doc, passage.paragraph)
        mark = "👍" if self.value > 0 else "👎"
        await interaction.followup.send(
            **MessageParts(content=f"Thanks: your {mark} on ¶{passage.paragraph} is recorded "
                           "(voting again replaces it).").send_kwargs(),
            ephemeral=True,
        )


def _page(bot: "CitebotBot", state: AnswerState) -> MessageParts:
    return render_answer(state.answer, page=state.page, per_page=PER_PAGE, sources=bot.citebot.sources())


def answer_message(bot: "CitebotBot", state: AnswerState) -> tuple[MessageParts, discord.ui.View]:
    """The page of ``state`` and its buttons; votes point at the passages that page shows."""
    parts = _page(bot, state)
    view = discord.ui.View(timeout=None)

    def add(label: str, action: str, *, row: int, style: discord.ButtonStyle = discord.ButtonStyle.secondary,
            disabled: bool = False, extra: tuple[int, ...] = ()) -> None:
        button = discord.ui.Button(label=label, style=style, custom_id=custom_id(action, state.key, *extra), disabled=disabled)
        view.add_item(AnswerButton(button, row=row))

    add("More results" if parts.has_more else "No more results", "more", row=0, disabled=not parts.has_more)
    add("Show paragraph", "para", row=0, style=discord.ButtonStyle.primary)
    add("Show context", "ctx", row=0)
    if state.deletable:
        add("🗑", "del", row=0, style=discord.ButtonStyle.danger)
    if state.scope is not None:  # votes are per server
        first = parts.page * PER_PAGE + 1  # the numbers the embed shows
        for i in range(min(len(parts.passages), 4)):
            for emoji, value in (("👍", 1), ("👎", -1)):
                add(f"{emoji} {first + i}", "vote", row=1 + i // 2, extra=(i, value))
    return parts, view


class Ask(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    async def _view(self, answer: Answer, asker_id: int, scope: int | None, *, deletable: bool) -> tuple[MessageParts, discord.ui.View | None]:
        if not answer.answered:
            return render_answer(answer, sources=self.bot.citebot.sources()), None
        state = AnswerState(new_key(), answer, asker_id, scope, deletable)
        await asyncio.to_thread(self.bot.answers.save, state)
        return answer_message(self.bot, state)

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
        question = strip_mentions(question)  # the client turns a picked @name into <@id>
        # Parsed first: a typo in a date or an empty question fails fast, privately, and costs no question.
        parsed = self.bot.citebot.parse_question(question, since=since, until=until)
        self.bot.check_rate(interaction.user.id)
        guild_settings = self.bot.guild_settings.get(interaction.guild_id)
        ephemeral = guild_settings.private if private is None else private
        # Embedding and search take a moment; Discord wants an answer within 3 seconds.
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        answer = await self.bot.run_heavy(self.bot.citebot.ask, parsed, scope=interaction.guild_id)
        parts, view = await self._view(answer, interaction.user.id, interaction.guild_id, deletable=not ephemeral)
        kwargs = parts.send_kwargs() | ({"view": view} if view else {})
        channel = interaction.channel
        if guild_settings.answer_mode == "thread" and not ephemeral and isinstance(channel, discord.TextChannel):
            anchor = await interaction.followup.send(content="Answer in the thread below.", wait=True)
            try:
                # A follow-up message carries no guild, so the thread is made through its channel.
                thread = await channel.create_thread(name=truncate(question, 100) or "Answer", message=anchor)
                await thread.send(**kwargs)
                return
            except discord.Forbidden:
                # Thread mode was chosen, but the bot may not make threads here: the answer
                # matters more than where it goes.
                log.warning("cannot answer in a thread in channel %s (missing permission); answering in the channel", channel.id)
                await interaction.edit_original_response(**kwargs)
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
        mentioned = bot_user in message.mentions
        direct = message.guild is None  # in a DM every message is for the bot
        if not (mentioned or replied_to_bot or direct):
            return
        guild_settings = self.bot.guild_settings.get(message.guild.id if message.guild else None)
        # In the bot's own answer thread, follow-ups count as asked in the channel it belongs to.
        channel_id = message.channel.parent_id if isinstance(message.channel, discord.Thread) else message.channel.id
        if not guild_settings.allows_channel(channel_id):
            return  # moderators chose where the bot speaks
        question = strip_mentions(message.content)
        if not question:
            if replied_to_bot and not mentioned and not direct:
                # Without the message-content intent Discord hides a reply's text from the bot
                # unless the reply pings it: the user should know, not get the help text.
                text = "I can only read replies that mention me: leave the ping on when you reply."
                await message.reply(**render_error(text).send_kwargs(), mention_author=False)
                return
            await message.reply(**render_help().send_kwargs(), mention_author=False)
            return
        try:
            # Before the rate limit: a question that cannot be asked costs nothing.
            parsed = self.bot.citebot.parse_question(question)
        except QuestionError as exc:
            await message.reply(**render_error(str(exc)).send_kwargs(), mention_author=False)
            return
        wait = self.bot.limiter.hit(message.author.id)
        if wait is not None:
            if self.bot.limiter.first_refusal(message.author.id):  # one notice, not one per message
                text = f"You're asking quickly: try again in {max(1, round(wait))} s."
                await message.reply(**render_error(text).send_kwargs(), mention_author=False)
            return
        scope = message.guild.id if message.guild else None
        try:
            async with message.channel.typing():  # shows the asker that an answer is coming
                answer = await self.bot.run_heavy(self.bot.citebot.ask, parsed, scope=scope)
        except CitebotError as exc:
            await message.reply(**render_error(str(exc)).send_kwargs(), mention_author=False)
            return
        except Exception:
            # A slash command's errors go through the tree's handler; a mention has none.
            log.exception("answering a mention failed")
            await message.reply(**render_error(UNEXPECTED).send_kwargs(), mention_author=False)
            return
        parts, view = await self._view(answer, message.author.id, scope, deletable=True)
        kwargs = parts.send_kwargs() | ({"view": view} if view else {})
        if guild_settings.answer_mode == "thread" and isinstance(message.channel, discord.TextChannel):
            try:
                thread = await message.create_thread(name=truncate(parsed.text, 100) or "Answer")
                await thread.send(**kwargs)
                return
            except discord.Forbidden:
                log.warning("cannot answer in a thread in channel %s (missing permission); answering in the channel", message.channel.id)
        await message.reply(**kwargs, mention_author=False)


async def setup(bot: "CitebotBot") -> None:
    # Registered up front: buttons on answers posted before a restart are clicked too.
    bot.add_dynamic_items(AnswerButton)
    await bot.add_cog(Ask(bot))
