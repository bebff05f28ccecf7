"""Waiting for what the bot does: each ``wait_for_*`` wakes on every change the fake records, never sleeps, and
names what it waited for (and the last requests) when it times out."""

from __future__ import annotations

import asyncio
from typing import Callable, Optional, Union

from .constants import JSONDict
from .records import (
    CommandSync,
    FakeInteraction,
    InteractionCallback,
    ReactionRecord,
    SentMessage,
    ThreadRecord,
    TypingRecord,
    message_id_of,
)
from .state import State


class Waits(State):
    """``wait_for_*`` helpers over the records."""

    async def wait_for_response(self, interaction: FakeInteraction, timeout: float = 5.0) -> InteractionCallback:
        """The accepted initial response of ``interaction``."""
        return await self.wait_until(
            lambda: interaction.response, timeout=timeout,
            what=f"a response to interaction {interaction.id} (rejected so far: {interaction.rejected})",
        )

    async def wait_for_followup(self, interaction: FakeInteraction, count: int = 1, timeout: float = 5.0) -> SentMessage:
        """The ``count``-th follow-up of ``interaction``."""
        return await self.wait_until(
            lambda: interaction.followups[count - 1] if len(interaction.followups) >= count else None,
            timeout=timeout, what=f"follow-up #{count} of interaction {interaction.id} (rejected: {interaction.rejected})",
        )

    async def wait_for_edit(self, interaction: FakeInteraction, count: int = 1, timeout: float = 5.0) -> JSONDict:
        """The ``count``-th webhook edit (``{"target", "payload"}``) of ``interaction``'s messages."""
        return await self.wait_until(
            lambda: interaction.edits[count - 1] if len(interaction.edits) >= count else None,
            timeout=timeout, what=f"edit #{count} of interaction {interaction.id}",
        )

    async def wait_for_message(self, channel_id: Optional[int] = None, *, timeout: float = 5.0,
                               predicate: Optional[Callable[[SentMessage], bool]] = None,
                               after: Union[None, int, JSONDict, SentMessage] = None) -> SentMessage:
        """The next channel message the bot sent (``POST /channels/{id}/messages``) in ``channel_id`` (any if None).

        Without ``after`` each call returns the next matching message not returned by an earlier call for the same
        ``channel_id``; with ``after`` (a message or id) the first matching message newer than it.
        """
        after_id = message_id_of(after) if after is not None else None

        def find() -> Optional[SentMessage]:
            start = self._message_cursors.get(channel_id, 0) if after_id is None else 0
            for idx in range(start, len(self.sent)):
                sent = self.sent[idx]
                if sent.kind != "channel" or (channel_id is not None and sent.channel_id != channel_id):
                    continue
                if after_id is not None and sent.id <= after_id:
                    continue
                if predicate is not None and not predicate(sent):
                    continue
                if after_id is None:
                    self._message_cursors[channel_id] = idx + 1
                return sent
            return None

        return await self.wait_until(find, timeout=timeout, what=f"a bot message in channel {channel_id}")

    async def wait_for_reply(self, message: Union[int, JSONDict, SentMessage], timeout: float = 5.0) -> SentMessage:
        """The first bot message replying (message_reference) to ``message``."""
        mid = message_id_of(message)
        return await self.wait_until(
            lambda: next((s for s in self.sent if s.reply_to == mid), None), timeout=timeout,
            what=f"a reply to message {mid}",
        )

    async def wait_for_reaction(self, message: Union[int, JSONDict, SentMessage], emoji: Optional[str] = None,
                                timeout: float = 5.0) -> ReactionRecord:
        mid = message_id_of(message)
        return await self.wait_until(
            lambda: next((r for r in self.reactions if r.message_id == mid and not r.removed
                          and (emoji is None or r.emoji == emoji)), None),
            timeout=timeout, what=f"reaction {emoji!r} on message {mid}",
        )

    async def wait_for_typing(self, channel_id: Optional[int] = None, timeout: float = 5.0) -> TypingRecord:
        cid = channel_id or self.channel_id
        return await self.wait_until(
            lambda: next((t for t in self.typing if t.channel_id == cid), None), timeout=timeout,
            what=f"typing in channel {cid}",
        )

    async def wait_for_thread(self, predicate: Optional[Callable[[ThreadRecord], bool]] = None,
                              timeout: float = 5.0) -> ThreadRecord:
        return await self.wait_until(
            lambda: next((t for t in self.threads if predicate is None or predicate(t)), None),
            timeout=timeout, what="a thread",
        )

    async def wait_until_handled(self, message: Union[int, JSONDict, SentMessage], timeout: float = 5.0) -> None:
        """Wait until the bot has received ``message`` and every one of its ``on_message`` handlers has returned.

        Whatever those handlers sent is recorded by then, so a test can assert that nothing (else) was sent without
        sleeping. Only for bots started with :func:`running_bot`, which records the handlers.
        """
        mid = message_id_of(message)
        tasks = await self.wait_until(lambda: self.message_handlers.get(mid), timeout=timeout,
                                      what=f"the bot to receive message {mid}")
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            raise TimeoutError(f"the bot's handlers of message {mid} still running after {timeout}s: {pending}")

    async def wait_for_sync(self, count: int = 1, timeout: float = 5.0) -> CommandSync:
        return await self.wait_until(
            lambda: self.command_syncs[count - 1] if len(self.command_syncs) >= count else None,
            timeout=timeout, what=f"command sync #{count}",
        )
