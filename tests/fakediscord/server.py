"""The fake Discord itself: all the parts in one object, started on 127.0.0.1 at a free port."""

from __future__ import annotations

from aiohttp import web

from .channels import Channels
from .driver import Driver
from .responses import Responses
from .running import DiscordPyPatch
from .waits import Waits


class FakeDiscord(Driver, Waits, Responses, Channels):
    """An in-process fake of the parts of Discord a discord.py bot talks to.

    Construct, then ``await fake.start()`` (or ``async with FakeDiscord() as fake``).  All configuration attributes
    may be changed at any time; guild shape (channels, users) should be set up before the bot connects so it
    arrives in GUILD_CREATE.
    """

    async def start(self) -> "FakeDiscord":
        self._runner = web.AppRunner(self._build_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)  # 127.0.0.1 only, random free port
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for session in list(self._sessions):
            await session.ws.close(code=1001, message=b"fake discord shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeDiscord":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def point_discord_py_here(self) -> DiscordPyPatch:
        """Point discord.py (REST base + default gateway) at this fake now; ``.restore()`` or ``with`` undoes it."""
        if not self.port:
            raise RuntimeError("start the fake before pointing discord.py at it")
        return DiscordPyPatch(self.api_base, self.gateway_url)
