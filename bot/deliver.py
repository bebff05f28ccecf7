"""One way to answer a question, however it arrived: /ask, a mention, a reply, a DM.

:func:`deliver_answer` checks the question (a typo costs nothing), counts it against the
rate limit, answers it off the event loop from the scope of where it was asked (the
server's library and the shared one, or a DM's shared library alone: ``CitebotBot.scope``),
keeps it for its buttons, and posts it in a thread or in place. What differs between the ways in is only how the asker is told
things and where a message can go: that is a :class:`Route`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

import discord

from retrieval import CitebotError, Question, QuestionError

from .app import send_ephemeral
from .buttons import answer_view
from .render import render_error, truncate
from .replies import UNEXPECTED, asking_quickly
from .text import strip_mentions

if TYPE_CHECKING:
    from .app import CitebotBot

log = logging.getLogger("citebot.bot.ask")

THREAD_NAME_LIMIT = 100


class Route(Protocol):
    """Where a question came from, and so how to answer it there."""

    asker_id: int
    scope: int | None  # the server: its library, votes and settings (None in DMs)
    channel_id: int | None
    deletable: bool  # whether the answer gets a 🗑 button (others cannot see a private answer)
    can_thread: bool  # whether "answer in a thread" can apply here
    # An interaction must get a response; a message need not, and a refusal for every
    # message over the rate limit would be spam of our own.
    must_answer: bool

    async def refuse(self, text: str) -> None:
        """Tell the asker, and only the asker where possible, why there is no answer."""

    def working(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """Shows that an answer is coming while it is made (Discord wants a sign in 3 s)."""

    async def post_in_thread(self, name: str, message: dict[str, Any]) -> None:
        """Post the answer in a new thread; ``discord.Forbidden`` if the bot may not make one."""

    async def post(self, message: dict[str, Any]) -> None:
        """Post the answer where the question was asked."""


class SlashRoute:
    """/ask: errors go only to the asker; the answer follows the deferred "thinking…"."""

    def __init__(self, interaction: discord.Interaction, *, ephemeral: bool) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral
        self.asker_id = interaction.user.id
        self.scope = interaction.guild_id
        self.channel_id = interaction.channel_id
        self.deletable = not ephemeral
        self.can_thread = not ephemeral and isinstance(interaction.channel, discord.TextChannel)
        self.must_answer = True
        self._anchor: discord.WebhookMessage | None = None

    async def refuse(self, text: str) -> None:
        await send_ephemeral(self.interaction, text)

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        await self.interaction.response.defer(thinking=True, ephemeral=self.ephemeral)
        yield

    async def post_in_thread(self, name: str, message: dict[str, Any]) -> None:
        channel = self.interaction.channel
        assert isinstance(channel, discord.TextChannel)  # can_thread
        self._anchor = await self.interaction.followup.send(content="Answer in the thread below.", wait=True)
        # A follow-up message carries no guild, so the thread is made through its channel.
        thread = await channel.create_thread(name=name, message=self._anchor)
        await thread.send(**message)

    async def post(self, message: dict[str, Any]) -> None:
        if self._anchor is not None:  # the thread could not be made: the anchor becomes the answer
            await self.interaction.edit_original_response(**message)
        else:
            await self.interaction.followup.send(**message, ephemeral=self.ephemeral)


class MessageRoute:
    """A mention, a reply to the bot or a DM: the bot replies to the message."""

    def __init__(self, message: discord.Message) -> None:
        self.message = message
        self.asker_id = message.author.id
        self.scope = message.guild.id if message.guild else None
        self.channel_id = message.channel.id
        self.deletable = True
        self.can_thread = isinstance(message.channel, discord.TextChannel)
        self.must_answer = False

    async def refuse(self, text: str) -> None:
        await self.message.reply(**render_error(text).send_kwargs(), mention_author=False)

    def working(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.message.channel.typing()

    async def post_in_thread(self, name: str, message: dict[str, Any]) -> None:
        thread = await self.message.create_thread(name=name)
        await thread.send(**message)

    async def post(self, message: dict[str, Any]) -> None:
        await self.message.reply(**message, mention_author=False)


def parse_question(bot: "CitebotBot", text: str, since: str | None, until: str | None) -> Question:
    """The question with its date range, checked; ``QuestionError`` says what is wrong.
    A question asked in a message is what it asks, not whom it pings."""
    # The limits are the same in every library: the shared one's parse needs no scope made.
    return bot.libraries.shared.parse_question(strip_mentions(text), since=since, until=until)


async def deliver_answer(
    bot: "CitebotBot", route: Route, text: str, *, since: str | None = None, until: str | None = None
) -> None:
    """Answer ``text`` (with /ask's date range) to whoever ``route`` says asked it."""
    try:
        # Before the rate limit and before any "thinking…": a question that cannot be asked
        # costs nothing and fails at once.
        question = parse_question(bot, text, since, until)
    except QuestionError as exc:
        await route.refuse(str(exc))
        return
    wait = bot.limiter.hit(route.asker_id)
    if wait is not None:
        if route.must_answer or bot.limiter.first_refusal(route.asker_id):  # else one notice a minute
            await route.refuse(asking_quickly(wait))
        return
    try:
        async with route.working():
            answer = await bot.run_heavy(lambda: bot.scope(route.scope).ask(question))
    except CitebotError as exc:
        await route.refuse(str(exc))
        return
    except Exception:
        log.exception("answering %r failed", question.text[:80])
        await route.refuse(UNEXPECTED)
        return
    parts, view = await answer_view(bot, answer, route.asker_id, route.scope, deletable=route.deletable)
    message = parts.send_kwargs() | ({"view": view} if view else {})
    if bot.guild_settings.get(route.scope).answer_mode == "thread" and route.can_thread:
        try:
            await route.post_in_thread(truncate(question.text, THREAD_NAME_LIMIT) or "Answer", message)
            return
        except discord.Forbidden:
            # Thread mode was chosen, but the bot may not make threads here: the answer
            # matters more than where it goes.
            log.warning("cannot answer in a thread in channel %s (missing permission); answering in the channel", route.channel_id)
    await route.post(message)
