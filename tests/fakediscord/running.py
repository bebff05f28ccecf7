"""Running a real discord.py bot against the fake: discord.py's REST base and gateway pointed at it, start-up awaited,
the bot closed and the URLs restored afterwards."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, AsyncIterator, Optional

if TYPE_CHECKING:  # pragma: no cover - typing only
    import discord

    from .server import FakeDiscord


class DiscordPyPatch:
    """Points discord.py's REST base and default gateway at a fake; restores the originals on ``restore()``/exit.

    Applied immediately on construction so ``fake.point_discord_py_here()`` works both as a statement and as a
    ``with`` block.
    """

    def __init__(self, api_base: str, gateway_url: str) -> None:
        import discord.gateway
        import discord.http
        import yarl

        self._route = discord.http.Route
        self._ws = discord.gateway.DiscordWebSocket
        self._old_base: str = self._route.BASE
        self._old_gateway: Any = self._ws.DEFAULT_GATEWAY
        # Route.BASE is read when each Route is constructed, so this takes effect for every later request
        # (including interaction webhooks, which use the same Route class).
        self._route.BASE = api_base
        self._ws.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        self.active = True

    def restore(self) -> None:
        if self.active:
            self._route.BASE = self._old_base
            self._ws.DEFAULT_GATEWAY = self._old_gateway
            self.active = False

    def __enter__(self) -> "DiscordPyPatch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()


@contextlib.asynccontextmanager
async def running_bot(
    bot: "discord.Client",
    fake: FakeDiscord,
    *,
    token: str = "fake-token",
    timeout: float = 10.0,
    fast_ready: bool = True,
) -> AsyncIterator["discord.Client"]:
    """Run ``bot`` against ``fake`` until the block exits: point discord.py at the fake, log in, connect, wait for
    ``on_ready`` (raising promptly if start-up fails, e.g. PrivilegedIntentsRequired), then close the bot and
    restore discord.py's URLs.

    ``fast_ready`` caps ``guild_ready_timeout`` at 0.05 s (discord.py waits that long after the last GUILD_CREATE
    before ``on_ready``; the default 2 s would dominate test time).
    """
    patch = fake.point_discord_py_here()
    _record_message_handlers(bot, fake)
    connect_task: Optional[asyncio.Task[None]] = None
    ready_task: Optional[asyncio.Task[None]] = None
    try:
        if fast_ready:
            state = bot._connection
            state.guild_ready_timeout = min(state.guild_ready_timeout, 0.05)
        await bot.login(token)  # runs setup_hook; wait_until_ready needs the objects login creates
        # reconnect=True like bot.start(): it is also the only mode in which discord.py turns close code 4014
        # into PrivilegedIntentsRequired.
        connect_task = asyncio.create_task(bot.connect(reconnect=True), name="fake-discord-bot-connect")
        ready_task = asyncio.create_task(bot.wait_until_ready(), name="fake-discord-bot-ready")
        done, _ = await asyncio.wait({connect_task, ready_task}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if connect_task in done:
            connect_task.result()  # re-raise start-up failures
            raise RuntimeError("bot disconnected before becoming ready")
        if ready_task not in done:
            raise TimeoutError(f"bot not ready after {timeout}s; {fake._diagnostics()}")
        yield bot
    finally:
        if ready_task is not None and not ready_task.done():
            ready_task.cancel()
        if not bot.is_closed():
            await bot.close()
        if connect_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(connect_task, timeout)
        patch.restore()
        vars(bot).pop("_schedule_event", None)


def _record_message_handlers(bot: "discord.Client", fake: FakeDiscord) -> None:
    """Note the task of each ``on_message`` handler by message id (see :meth:`FakeDiscord.wait_until_handled`).

    discord.py starts one task per handler of an event through ``Client._schedule_event``, synchronously while it
    parses the gateway frame; wrapping it on the instance is the one place where all of them pass.
    """
    schedule = type(bot)._schedule_event.__get__(bot)

    def recording(coro: Any, event_name: str, *args: Any, **kwargs: Any) -> "asyncio.Task[Any]":
        task = schedule(coro, event_name, *args, **kwargs)
        if event_name == "on_message" and args and isinstance(getattr(args[0], "id", None), int):
            fake.message_handlers.setdefault(args[0].id, []).append(task)
            fake._notify()
        return task

    bot._schedule_event = recording  # type: ignore[method-assign]
