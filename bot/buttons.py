"""An answer's message and the buttons under it, which keep working across restarts.

A button's custom id names only an action and the stored answer (``AnswerStore``); the
buttons are registered as dynamic items in the Ask cog's ``setup``. Each passage kept says
which library it is from, and a button acts on that library: "Show context" reads it
through the server's scope (never another server's library), votes go to that server's.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord

from retrieval import Answer, CitebotError, QuestionError

from .answer_store import AnswerState, new_key
from .app import send_ephemeral
from .checks import may_delete_answer
from .render import MessageParts, custom_id, render_answer, render_context, render_paragraph

if TYPE_CHECKING:
    from .app import CitebotBot

log = logging.getLogger("citebot.bot.ask")

PER_PAGE = 3


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
        # Looked up where the click happens: a server's answers are in that server's file.
        state = await asyncio.to_thread(bot.answers.get, self.key, interaction.guild_id)
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
        await asyncio.to_thread(bot.answers.set_page, state)
        await interaction.response.edit_message(**parts.send_kwargs(), view=view)

    async def _para(self, bot: "CitebotBot", state: AnswerState, interaction: discord.Interaction) -> None:
        parts = render_paragraph(_page(bot, state).passages[0])
        await interaction.response.send_message(**parts.send_kwargs(), ephemeral=True)

    async def _ctx(self, bot: "CitebotBot", state: AnswerState, interaction: discord.Interaction) -> None:
        passage = _page(bot, state).passages[0]
        # Deferred first: with both heavy threads busy answering, the 3 seconds would pass.
        await interaction.response.defer(ephemeral=True, thinking=True)
        # The scope of the server the answer was given in, shared library included (the
        # passage may be from it even if the server has turned it off since).
        around = await bot.run_heavy(lambda: bot.libraries.scope(state.scope).context(passage))
        await interaction.followup.send(**render_context(passage, around).send_kwargs(), ephemeral=True)

    async def _del(self, bot: "CitebotBot", state: AnswerState, interaction: discord.Interaction) -> None:
        if not may_delete_answer(interaction.user, state.asker_id):
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
        server = state.scope
        await bot.run_heavy(
            lambda: bot.libraries.feedback(server).vote(server, interaction.user.id, state.answer.question, passage, self.value)
        )
        log.info("vote %+d by %s on %s ¶%s", self.value, interaction.user.id, passage.doc, passage.paragraph)
        mark = "👍" if self.value > 0 else "👎"
        await interaction.followup.send(
            **MessageParts(content=f"Thanks: your {mark} on ¶{passage.paragraph} is recorded "
                           "(voting again replaces it).").send_kwargs(),
            ephemeral=True,
        )


def _page(bot: "CitebotBot", state: AnswerState) -> MessageParts:
    # A kept answer has results (answer_view keeps no other): no "not found" to list sources for.
    return render_answer(state.answer, page=state.page, per_page=PER_PAGE)


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


async def answer_view(
    bot: "CitebotBot", answer: Answer, asker_id: int, scope: int | None, *, deletable: bool
) -> tuple[MessageParts, discord.ui.View | None]:
    """The message for a new answer: saved with its buttons when it has results; a "not
    found" reply has nothing to page, show or vote on."""
    if not answer.answered:
        # What the documents cover, as this server (or DM) sees them.
        sources = await asyncio.to_thread(lambda: bot.scope(scope).sources())
        return render_answer(answer, sources=sources), None
    state = AnswerState(new_key(), answer, asker_id, scope, deletable)
    await asyncio.to_thread(bot.answers.save, state)
    return answer_message(bot, state)
