"""A fake Discord (REST API + gateway websocket + CDN) for driving the real discord.py client in tests.

Everything runs in one aiohttp application bound to 127.0.0.1 on a random port::

    async with FakeDiscord() as fake:
        bot = MyBot(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        async with running_bot(bot, fake):
            await bot.tree.sync()
            it = await fake.slash("ping", {"text": "hi"})
            response = await fake.wait_for_response(it)
            assert response.type == CallbackType.DEFERRED_CHANNEL_MESSAGE

What the fake does, and why it looks the way it does:

* REST lives under ``fake.api_base`` (``http://127.0.0.1:PORT/api/v10``); discord.py builds every URL from
  ``discord.http.Route.BASE`` at the moment a ``Route`` is created, so patching the class attribute is enough
  (:meth:`FakeDiscord.point_discord_py_here`).  ``discord.http._set_api_version`` resets ``Route.BASE``; patch after it.
* The gateway lives at ``fake.gateway_url`` (``ws://127.0.0.1:PORT/gateway``).  A plain ``Client``/``Bot`` never asks
  ``/gateway/bot``: it connects to ``DiscordWebSocket.DEFAULT_GATEWAY`` with ``?v=10&encoding=json&compress=zlib-stream``
  (or ``zstd-stream`` when zstandard is installed).  discord.py only decompresses *binary* frames and parses *text*
  frames as plain JSON, so the fake ignores ``compress`` and always sends uncompressed text frames.
* discord.py only parses a reply as JSON when ``Content-Type`` is exactly ``application/json``; aiohttp appends
  ``; charset=utf-8`` whenever a response is built from ``text=``, so replies are built from ``body=`` bytes.
* No rate-limit headers are sent at all (discord.py treats them as all-or-none).
* Where it matters to users the fake behaves like Discord: an interaction accepts exactly one initial response
  (400/40060 afterwards), expires if not answered in time (404/10062, ``interaction_timeout``), the first follow-up
  after a "thinking" defer replaces the loading message and inherits its ephemerality, message content is blanked
  in MESSAGE_CREATE without the message-content intent unless the bot is mentioned / it is a DM / the bot wrote it,
  privileged intents can be refused (close 4014), message and command payloads are checked against Discord's
  documented limits (400/50035, 50006), ``default_member_permissions`` and DM availability of commands are
  enforced before an interaction is ever dispatched (:class:`CommandUnavailable`), and the bot's channel
  permissions are enforced on channel REST calls (403/50013).

Everything the bot sends is recorded (see :class:`SentMessage`, :class:`FakeInteraction`, :class:`CommandSync`,
``fake.requests``/``fake.unhandled``) and every record can be awaited with ``wait_*`` helpers that wake up on each
change instead of polling or sleeping.

Only one fake can be "pointed at" per process at a time because discord.py keeps the URLs in class attributes.

The package, by what each module holds: ``constants`` (Discord's numbers), ``errors`` (its error answers),
``records`` (what is recorded), ``limits`` (what Discord refuses), ``state`` (the guilds and the records),
``gateway``, ``messages``, ``rest``, ``commands``, ``responses`` (interaction callbacks and webhooks) and
``channels`` (the server side), ``driver`` (what a test does as a user), ``waits`` (waiting for the bot),
``running`` (running a bot against it) and ``server`` (:class:`FakeDiscord`, all of it in one object).
"""

from __future__ import annotations

from .constants import (
    ALL_PERMISSIONS,
    CallbackType,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    Intents,
    InteractionType,
    MessageFlags,
    Perm,
)
from .errors import CommandUnavailable
from .records import (
    CommandSync,
    FakeInteraction,
    FakeUser,
    InteractionCallback,
    ReactionRecord,
    RecordedRequest,
    RejectedCall,
    SentMessage,
    ThreadRecord,
    TypingRecord,
    UploadedFile,
    all_text,
)
from .running import DiscordPyPatch, running_bot
from .server import FakeDiscord
from .state import FakeGuild, shard_of

__all__ = [
    "ALL_PERMISSIONS",
    "CallbackType",
    "CommandSync",
    "CommandUnavailable",
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "DiscordPyPatch",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeUser",
    "Intents",
    "InteractionCallback",
    "InteractionType",
    "MessageFlags",
    "Perm",
    "ReactionRecord",
    "RecordedRequest",
    "RejectedCall",
    "SentMessage",
    "ThreadRecord",
    "TypingRecord",
    "UploadedFile",
    "running_bot",
    "shard_of",
    "all_text",
]
