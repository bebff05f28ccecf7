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
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Optional,
    Sequence,
    TypeVar,
    Union,
)
from urllib.parse import quote

from aiohttp import BodyPartReader, WSMsgType, web

if TYPE_CHECKING:  # pragma: no cover - typing only
    import discord

__all__ = [
    "ALL_PERMISSIONS",
    "CallbackType",
    "CommandSync",
    "CommandUnavailable",
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "DiscordPyPatch",
    "FakeDiscord",
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
    "all_text",
]

JSONDict = dict[str, Any]
T = TypeVar("T")

DISCORD_EPOCH_MS = 1420070400000


# --------------------------------------------------------------------------------------------------------------------
# Discord constants (plain ints so the module does not need discord.py to run)
# --------------------------------------------------------------------------------------------------------------------


class Intents:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class Perm:
    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5  # "Manage Server"
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38


ALL_PERMISSIONS = (1 << 53) - 1

#: What @everyone may do in the fake guild (a typical fresh server).  Member permissions are added on top of it.
DEFAULT_EVERYONE_PERMISSIONS = (
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
)

#: What the bot's managed role grants by default (what a sensible invite link would ask for).
DEFAULT_BOT_PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CREATE_PUBLIC_THREADS
)


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    PONG = 1
    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


class MessageFlags:
    SUPPRESS_EMBEDS = 1 << 2
    HAS_THREAD = 1 << 5
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_COMPONENTS_V2 = 1 << 15


# Flags a bot may set on a message it sends; others are silently dropped like Discord does.
_SENDABLE_FLAGS = (
    MessageFlags.SUPPRESS_EMBEDS
    | MessageFlags.EPHEMERAL
    | MessageFlags.SUPPRESS_NOTIFICATIONS
    | MessageFlags.IS_COMPONENTS_V2
)

# Which initial callback types Discord accepts for each interaction type.
_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    InteractionType.APPLICATION_COMMAND: frozenset({4, 5, 9}),
    InteractionType.MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9}),
    InteractionType.AUTOCOMPLETE: frozenset({8}),
    InteractionType.MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}

# Slash command option types.
_OPT_SUB_COMMAND = 1
_OPT_SUB_COMMAND_GROUP = 2
_OPT_STRING = 3
_OPT_INTEGER = 4
_OPT_BOOLEAN = 5
_OPT_USER = 6
_OPT_CHANNEL = 7
_OPT_ROLE = 8
_OPT_MENTIONABLE = 9
_OPT_NUMBER = 10
_OPT_ATTACHMENT = 11

_CHANNEL_TEXT = 0
_CHANNEL_DM = 1
_CHANNEL_PUBLIC_THREAD = 11
_CHANNEL_PRIVATE_THREAD = 12
_THREAD_TYPES = frozenset({10, _CHANNEL_PUBLIC_THREAD, _CHANNEL_PRIVATE_THREAD})

_MENTION_USER_RE = re.compile(r"<@!?(\d+)>")
_MENTION_ROLE_RE = re.compile(r"<@&(\d+)>")
_COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


# --------------------------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------------------------


class DiscordAPIError(Exception):
    """Raised inside a route handler; turned into Discord's JSON error body with the given HTTP status."""

    def __init__(self, status: int, code: int, message: str, errors: Optional[JSONDict] = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: JSONDict = {"code": code, "message": message}
        if errors is not None:
            self.body["errors"] = errors


def _unknown_interaction() -> DiscordAPIError:
    return DiscordAPIError(404, 10062, "Unknown interaction")


def _already_acknowledged() -> DiscordAPIError:
    return DiscordAPIError(400, 40060, "Interaction has already been acknowledged.")


def _unknown_message() -> DiscordAPIError:
    return DiscordAPIError(404, 10008, "Unknown Message")


def _unknown_channel() -> DiscordAPIError:
    return DiscordAPIError(404, 10003, "Unknown Channel")


def _unknown_webhook() -> DiscordAPIError:
    return DiscordAPIError(404, 10015, "Unknown Webhook")


def _missing_permissions() -> DiscordAPIError:
    return DiscordAPIError(403, 50013, "Missing Permissions")


def _form_error(problems: Sequence[tuple[str, str, str]]) -> DiscordAPIError:
    """Build Discord's nested ``Invalid Form Body`` error from ``(dotted.path, CODE, message)`` triples."""
    errors: JSONDict = {}
    for path, code, message in problems:
        node = errors
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return DiscordAPIError(400, 50035, "Invalid Form Body", errors)


class CommandUnavailable(Exception):
    """Raised by the interaction helpers when Discord would never let this user trigger that interaction.

    E.g. the command is not synced, the member lacks ``default_member_permissions``, the command is not available in
    DMs, the option value violates choices/min/max, or the button is disabled / does not exist.
    """


# --------------------------------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class FakeUser:
    """A Discord user known to the fake.  ``permissions`` are guild permissions granted on top of @everyone."""

    id: int
    username: str
    global_name: Optional[str] = None
    bot: bool = False
    permissions: int = 0

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_dict(self) -> JSONDict:
        data: JSONDict = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class UploadedFile:
    """A file part of a multipart request (``files[0]`` ...)."""

    field: str
    filename: str
    content_type: Optional[str]
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the bot made (any route, handled or not)."""

    method: str
    path: str  # path below the API base, e.g. "/channels/1/messages"
    query: dict[str, str]
    json: Any  # JSON body, or payload_json of a multipart body, or None
    files: list[UploadedFile]
    status: int = 0
    response: Any = None


@dataclass
class CommandSync:
    """One bulk overwrite (PUT) or single create (POST) of application commands."""

    guild_id: Optional[int]  # None for global commands
    payload: Any  # exactly what the bot sent
    commands: list[JSONDict]  # the resulting command objects (with ids) as returned to the bot


@dataclass
class RejectedCall:
    """A request for an interaction that the fake refused, with the error body it answered."""

    method: str
    path: str
    status: int
    error: JSONDict
    payload: Any = None


@dataclass
class InteractionCallback:
    """One accepted ``POST /interactions/{id}/{token}/callback``."""

    type: int
    data: Optional[JSONDict]
    files: list[UploadedFile]
    payload: JSONDict  # the whole body as sent

    @property
    def flags(self) -> int:
        return int((self.data or {}).get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlags.EPHEMERAL)

    @property
    def content(self) -> Optional[str]:
        return (self.data or {}).get("content")

    @property
    def embeds(self) -> list[JSONDict]:
        return list((self.data or {}).get("embeds") or [])

    @property
    def components(self) -> list[JSONDict]:
        return list((self.data or {}).get("components") or [])

    @property
    def allowed_mentions(self) -> Optional[JSONDict]:
        return (self.data or {}).get("allowed_mentions")

    @property
    def choices(self) -> list[JSONDict]:
        """Autocomplete choices (type 8)."""
        return list((self.data or {}).get("choices") or [])


@dataclass
class SentMessage:
    """A message the bot created: a channel message, an interaction's original response, or a follow-up.

    ``message`` is the live message object as Discord would return it now (edits update it in place; a follow-up
    that replaced a "thinking" message shares the dict with the interaction's ``original``).  ``payload`` is the
    body exactly as the bot sent it (``payload_json`` for multipart).
    """

    id: int
    channel_id: int
    kind: str  # "channel" | "interaction" | "followup"
    payload: JSONDict
    files: list[UploadedFile]
    message: JSONDict
    interaction: Optional["FakeInteraction"] = None
    edits: list[JSONDict] = field(default_factory=list)
    deleted: bool = False
    #: True for the first follow-up after a "thinking" defer: it replaced the loading message (same id).
    replaced_loading: bool = False

    @property
    def content(self) -> str:
        return str(self.message.get("content") or "")

    @property
    def embeds(self) -> list[JSONDict]:
        return list(self.message.get("embeds") or [])

    @property
    def components(self) -> list[JSONDict]:
        return list(self.message.get("components") or [])

    @property
    def attachments(self) -> list[JSONDict]:
        return list(self.message.get("attachments") or [])

    @property
    def flags(self) -> int:
        return int(self.message.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlags.EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & MessageFlags.LOADING)

    @property
    def allowed_mentions(self) -> Optional[JSONDict]:
        """allowed_mentions as last sent by the bot (edits may override it)."""
        for body in reversed(self.edits):
            if "allowed_mentions" in body:
                return body["allowed_mentions"]
        return self.payload.get("allowed_mentions")

    @property
    def reply_to(self) -> Optional[int]:
        ref = self.message.get("message_reference")
        return int(ref["message_id"]) if ref and ref.get("message_id") else None

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in _iter_components(self.components) if "custom_id" in c]

    def pings(self) -> JSONDict:
        """Who would actually be notified, applying ``allowed_mentions`` like Discord does.

        Returns ``{"users": set[int], "roles": set[int], "everyone": bool, "replied_user": bool}``.
        """
        return _compute_pings(self.content, self.allowed_mentions, replying=self.reply_to is not None)


@dataclass
class FakeInteraction:
    """An interaction the fake dispatched, and everything the bot did with it."""

    id: int
    token: str
    type: int
    payload: JSONDict  # the INTERACTION_CREATE data as dispatched
    user: FakeUser
    guild_id: Optional[int]
    channel_id: int
    dispatched_at: float  # FakeDiscord.clock() time
    responses: list[InteractionCallback] = field(default_factory=list)
    rejected: list[RejectedCall] = field(default_factory=list)
    original: Optional[SentMessage] = None
    followups: list[SentMessage] = field(default_factory=list)
    edits: list[JSONDict] = field(default_factory=list)  # {"target": "@original" | id, "payload": body}
    deleted: list[int] = field(default_factory=list)
    source_message_id: Optional[int] = None  # for component interactions
    force_expired: bool = False
    acknowledged_at: Optional[float] = None
    _fake: Optional["FakeDiscord"] = field(default=None, repr=False, compare=False)

    @property
    def response(self) -> Optional[InteractionCallback]:
        return self.responses[0] if self.responses else None

    @property
    def acknowledged(self) -> bool:
        return bool(self.responses)

    @property
    def ephemeral(self) -> bool:
        """Whether the initial response (message or defer) is ephemeral."""
        return bool(self.response and self.response.ephemeral)

    @property
    def deferred(self) -> bool:
        return bool(self.response and self.response.type in (5, 6))

    @property
    def choices(self) -> list[JSONDict]:
        return self.response.choices if self.response else []

    @property
    def data(self) -> JSONDict:
        return dict(self.payload.get("data") or {})

    # Convenience waits (delegate to the fake).
    async def wait_response(self, timeout: float = 5.0) -> InteractionCallback:
        assert self._fake is not None
        return await self._fake.wait_for_response(self, timeout=timeout)

    async def wait_followup(self, count: int = 1, timeout: float = 5.0) -> SentMessage:
        assert self._fake is not None
        return await self._fake.wait_for_followup(self, count=count, timeout=timeout)

    async def wait_edit(self, count: int = 1, timeout: float = 5.0) -> JSONDict:
        assert self._fake is not None
        return await self._fake.wait_for_edit(self, count=count, timeout=timeout)


@dataclass
class ReactionRecord:
    channel_id: int
    message_id: int
    emoji: str  # unicode emoji, or "name:id" for custom emoji
    user_id: int
    removed: bool = False


@dataclass
class TypingRecord:
    channel_id: int
    at: float


@dataclass
class ThreadRecord:
    """A thread the bot created."""

    channel: JSONDict  # the thread channel object
    parent_id: int
    message_id: Optional[int]  # set when started from a message
    payload: JSONDict

    @property
    def id(self) -> int:
        return int(self.channel["id"])

    @property
    def name(self) -> str:
        return str(self.channel["name"])


@dataclass
class _GatewaySession:
    ws: web.WebSocketResponse
    query: dict[str, str]
    identified: bool = False
    intents: int = 0
    seq: int = 0
    session_id: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, payload: JSONDict) -> None:
        async with self.lock:
            if payload.get("op") == 0:
                self.seq += 1
                payload = {**payload, "s": self.seq}
            if not self.ws.closed:
                with contextlib.suppress(ConnectionResetError):  # the bot hung up mid-send; it is going away
                    await self.ws.send_str(json.dumps(payload))


@dataclass
class _Attachment:
    id: int
    channel_id: int
    filename: str
    data: bytes
    content_type: str
    url: str

    def to_dict(self) -> JSONDict:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }


# --------------------------------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def _iter_components(components: Iterable[JSONDict]) -> Iterable[JSONDict]:
    """Walk action rows / containers / sections depth-first."""
    for comp in components:
        yield comp
        for key in ("components", "accessory"):
            child = comp.get(key)
            if isinstance(child, list):
                yield from _iter_components(child)
            elif isinstance(child, dict):
                yield from _iter_components([child])


def _compute_pings(content: str, allowed: Optional[JSONDict], *, replying: bool) -> JSONDict:
    users = {int(m) for m in _MENTION_USER_RE.findall(content)}
    roles = {int(m) for m in _MENTION_ROLE_RE.findall(content)}
    everyone = "@everyone" in content or "@here" in content
    if allowed is None:  # Discord default: everything in the content pings, replies ping the author
        return {"users": users, "roles": roles, "everyone": everyone, "replied_user": replying}
    parse = set(allowed.get("parse") or [])
    ok_users = users if "users" in parse else users & {int(u) for u in allowed.get("users") or []}
    ok_roles = roles if "roles" in parse else roles & {int(r) for r in allowed.get("roles") or []}
    return {
        "users": ok_users,
        "roles": ok_roles,
        "everyone": everyone and "everyone" in parse,
        "replied_user": replying and bool(allowed.get("replied_user", False)),
    }


def _check_url(value: Any) -> bool:
    return isinstance(value, str) and (
        value.startswith("http://") or value.startswith("https://") or value.startswith("attachment://")
    )


def _validate_embeds(embeds: Any, problems: list[tuple[str, str, str]]) -> None:
    if not isinstance(embeds, list):
        problems.append(("embeds", "LIST_TYPE_CONVERT", "Must be a list."))
        return
    if len(embeds) > 10:
        problems.append(("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
    total = 0
    limits = {"title": 256, "description": 4096}
    for i, embed in enumerate(embeds):
        p = f"embeds.{i}"
        for key, limit in limits.items():
            value = embed.get(key)
            if value is not None:
                total += len(str(value))
                if len(str(value)) > limit:
                    problems.append((f"{p}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))
        for key in ("url",):
            if embed.get(key) is not None and not _check_url(embed[key]):
                problems.append((f"{p}.{key}", "URL_TYPE_INVALID_URL", "Not a well formed URL."))
        for key in ("image", "thumbnail"):
            sub = embed.get(key)
            if sub is not None and not _check_url(sub.get("url")):
                problems.append((f"{p}.{key}.url", "URL_TYPE_INVALID_URL", "Not a well formed URL."))
        author = embed.get("author")
        if author:
            name = str(author.get("name") or "")
            total += len(name)
            if not name:
                problems.append((f"{p}.author.name", "BASE_TYPE_REQUIRED", "This field is required"))
            if len(name) > 256:
                problems.append((f"{p}.author.name", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."))
            if author.get("url") is not None and not _check_url(author["url"]):
                problems.append((f"{p}.author.url", "URL_TYPE_INVALID_URL", "Not a well formed URL."))
        footer = embed.get("footer")
        if footer:
            text = str(footer.get("text") or "")
            total += len(text)
            if len(text) > 2048:
                problems.append((f"{p}.footer.text", "BASE_TYPE_MAX_LENGTH", "Must be 2048 or fewer in length."))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append((f"{p}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        for j, fld in enumerate(fields):
            name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
            total += len(name) + len(value)
            if not name:
                problems.append((f"{p}.fields.{j}.name", "BASE_TYPE_REQUIRED", "This field is required"))
            if not value:
                problems.append((f"{p}.fields.{j}.value", "BASE_TYPE_REQUIRED", "This field is required"))
            if len(name) > 256:
                problems.append((f"{p}.fields.{j}.name", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."))
            if len(value) > 1024:
                problems.append(
                    (f"{p}.fields.{j}.value", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")
                )
    if total > 6000:
        problems.append(("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"))


def _validate_components(components: Any, flags: int, problems: list[tuple[str, str, str]]) -> None:
    if not isinstance(components, list):
        problems.append(("components", "LIST_TYPE_CONVERT", "Must be a list."))
        return
    v2 = bool(flags & MessageFlags.IS_COMPONENTS_V2)
    if not v2 and len(components) > 5:
        problems.append(("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
    seen: set[str] = set()
    for i, row in enumerate(components):
        if not v2 and row.get("type") != 1:
            problems.append((f"components.{i}.type", "BASE_TYPE_CHOICES", "Value must be one of {1}."))
            continue
        children = row.get("components") or []
        # An action row holds 1-5 buttons, or exactly one select menu.
        has_non_button = any(c.get("type") != 2 for c in children)
        if row.get("type") == 1 and (not 1 <= len(children) <= 5 or (has_non_button and len(children) != 1)):
            problems.append((f"components.{i}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."))
    for k, comp in enumerate(_iter_components(components)):
        ctype = comp.get("type")
        cid = comp.get("custom_id")
        if cid is not None:
            if len(cid) > 100:
                problems.append((f"components.{k}.custom_id", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
            if cid in seen:
                problems.append(("components", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"))
            seen.add(cid)
        if ctype == 2:  # button
            style = comp.get("style")
            if style == 5:
                if not _check_url(comp.get("url")) or cid is not None:
                    problems.append((f"components.{k}.url", "URL_TYPE_INVALID_URL", "Link buttons need a url and no custom_id."))
            elif style != 6 and not cid:
                problems.append((f"components.{k}.custom_id", "BASE_TYPE_REQUIRED", "This field is required"))
            if len(str(comp.get("label") or "")) > 80:
                problems.append((f"components.{k}.label", "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length."))
            if not comp.get("label") and not comp.get("emoji") and style != 6:
                problems.append((f"components.{k}", "BUTTON_COMPONENT_INVALID", "A button needs a label or an emoji."))
        elif ctype == 3:  # string select
            options = comp.get("options") or []
            if not 1 <= len(options) <= 25:
                problems.append((f"components.{k}.options", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."))
            for j, opt in enumerate(options):
                for key in ("label", "value", "description"):
                    if len(str(opt.get(key) or "")) > 100:
                        problems.append(
                            (f"components.{k}.options.{j}.{key}", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
                        )
            if len(str(comp.get("placeholder") or "")) > 150:
                problems.append((f"components.{k}.placeholder", "BASE_TYPE_MAX_LENGTH", "Must be 150 or fewer in length."))


def _validate_message_payload(payload: JSONDict, files: Sequence[UploadedFile]) -> None:
    """Check a message create/edit body against Discord's documented limits; raise 400 like Discord."""
    problems: list[tuple[str, str, str]] = []
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            problems.append(("content", "BASE_TYPE_STRING", "Must be a string."))
        elif len(content) > 2000:
            problems.append(("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
    if payload.get("embeds") is not None:
        _validate_embeds(payload["embeds"], problems)
    flags = int(payload.get("flags") or 0)
    if payload.get("components") is not None:
        _validate_components(payload["components"], flags, problems)
    if flags & MessageFlags.IS_COMPONENTS_V2 and (content or payload.get("embeds")):
        problems.append(("content", "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                         "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2"))
    allowed = payload.get("allowed_mentions")
    if allowed is not None:
        parse = allowed.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and allowed.get(kind):
                problems.append(
                    ("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                     f"parse:[\"{kind}\"] and {kind}: [ids...] are mutually exclusive.")
                )
        for kind in parse:
            if kind not in ("users", "roles", "everyone"):
                problems.append(("allowed_mentions.parse", "BASE_TYPE_CHOICES", "Value must be one of users, roles, everyone."))
    for i, att in enumerate(payload.get("attachments") or []):
        # New uploads reference files by index ("id": 0 -> files[0]); existing attachments use their snowflake.
        att_id = att.get("id")
        if isinstance(att_id, int) and att_id < 1000 and att_id >= len(files):
            problems.append((f"attachments.{i}.id", "ATTACHMENT_NOT_FOUND", "Attachment data not found"))
    if problems:
        raise _form_error(problems)


def _is_empty_message(message: JSONDict) -> bool:
    return not (
        message.get("content")
        or message.get("embeds")
        or message.get("attachments")
        or message.get("components")
        or message.get("sticker_items")
        or message.get("poll")
    )


def _validate_choices(data: JSONDict) -> None:
    problems: list[tuple[str, str, str]] = []
    choices = data.get("choices")
    if not isinstance(choices, list):
        problems.append(("data.choices", "BASE_TYPE_REQUIRED", "This field is required"))
    else:
        if len(choices) > 25:
            problems.append(("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        for i, choice in enumerate(choices):
            name = str(choice.get("name") or "")
            if not 1 <= len(name) <= 100:
                problems.append((f"data.choices.{i}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
            value = choice.get("value")
            if isinstance(value, str) and len(value) > 100:
                problems.append((f"data.choices.{i}.value", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
    if problems:
        raise _form_error(problems)


def _command_size(obj: Any) -> int:
    """Characters Discord counts against the 4000 per-command limit (names, descriptions, choice names/values)."""
    total = 0
    if isinstance(obj, dict):
        for key in ("name", "description"):
            if isinstance(obj.get(key), str):
                total += len(obj[key])
        for choice in obj.get("choices") or []:
            total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
        for opt in obj.get("options") or []:
            total += _command_size(opt)
    return total


def _validate_options(options: Any, path: str, problems: list[tuple[str, str, str]], depth: int = 0) -> None:
    if not options:
        return
    if len(options) > 25:
        problems.append((path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        p = f"{path}.{i}"
        name = str(opt.get("name") or "")
        if not _COMMAND_NAME_RE.match(name) or name != name.lower():
            problems.append((f"{p}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        if name in names:
            problems.append((f"{p}.name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option name already exists"))
        names.add(name)
        desc = str(opt.get("description") or "")
        if not 1 <= len(desc) <= 100:
            problems.append((f"{p}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        otype = opt.get("type")
        if otype in (_OPT_SUB_COMMAND, _OPT_SUB_COMMAND_GROUP):
            if depth >= 2 or (otype == _OPT_SUB_COMMAND_GROUP and depth >= 1):
                problems.append((f"{p}.type", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-command nesting too deep"))
            _validate_options(opt.get("options"), f"{p}.options", problems, depth + 1)
            continue
        if opt.get("required"):
            if seen_optional:
                problems.append(
                    (path, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            problems.append((f"{p}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        if choices and opt.get("autocomplete"):
            problems.append((f"{p}.autocomplete", "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID", "Autocomplete cannot be set with choices"))


def _validate_commands(commands: Any) -> None:
    problems: list[tuple[str, str, str]] = []
    if not isinstance(commands, list):
        raise _form_error([("_", "LIST_TYPE_CONVERT", "Must be a list.")])
    seen: set[tuple[int, str]] = set()
    chat_input = 0
    for i, cmd in enumerate(commands):
        ctype = int(cmd.get("type") or 1)
        name = str(cmd.get("name") or "")
        key = (ctype, name)
        if key in seen:
            problems.append((f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", f"Application command names must be unique ({name})"))
        seen.add(key)
        if ctype == 1:
            chat_input += 1
            if not _COMMAND_NAME_RE.match(name) or name != name.lower():
                problems.append((f"{i}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
            if not 1 <= len(str(cmd.get("description") or "")) <= 100:
                problems.append((f"{i}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
            _validate_options(cmd.get("options"), f"{i}.options", problems)
            if _command_size(cmd) > 4000:
                problems.append((f"{i}", "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (4000)"))
        elif not 1 <= len(name) <= 32:
            problems.append((f"{i}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."))
    if chat_input > 100:
        problems.append(("_", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer chat input commands."))
    if problems:
        raise _form_error(problems)


# --------------------------------------------------------------------------------------------------------------------
# Patching discord.py
# --------------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------------------------------

_Handler = Callable[..., Awaitable[Any]]
_NO_CONTENT = object()  # handler return value meaning "204 No Content"


class FakeDiscord:
    """An in-process fake of the parts of Discord a discord.py bot talks to.

    Construct, then ``await fake.start()`` (or ``async with FakeDiscord() as fake``).  All configuration attributes
    may be changed at any time; guild shape (channels, users) should be set up before the bot connects so it
    arrives in GUILD_CREATE.
    """

    def __init__(
        self,
        *,
        bot_name: str = "citebot",
        guild_name: str = "Test Guild",
        channel_names: Sequence[str] = ("general",),
        token: Optional[str] = None,
        interaction_timeout: float = 3.0,
        token_lifetime: float = 15 * 60.0,
        allowed_privileged_intents: int = Intents.PRIVILEGED,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        application_flags: int = 0,
        heartbeat_interval_ms: int = 41250,
        echo_bot_messages: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: If set, REST calls and IDENTIFY must carry exactly this token (401 / close 4004 otherwise).
        self.token = token
        #: Seconds the bot has for the initial response (Discord: 3).
        self.interaction_timeout = interaction_timeout
        # Command names a server admin opened to everyone (Server Settings > Integrations):
        # Discord then ignores default_member_permissions, so only the bot's own check remains.
        self.permission_overrides: set[str] = set()
        self.cdn_downloads: list[str] = []  # attachment URLs the bot fetched
        #: Seconds the interaction token stays valid for follow-ups/edits after the response (Discord: 15 min).
        self.token_lifetime = token_lifetime
        #: Privileged intents "enabled in the developer portal"; requesting others closes the gateway with 4014.
        self.allowed_privileged_intents = allowed_privileged_intents
        self.everyone_permissions = everyone_permissions
        self.bot_permissions = bot_permissions
        self.application_flags = application_flags
        self.heartbeat_interval_ms = heartbeat_interval_ms
        #: Dispatch MESSAGE_CREATE/UPDATE/DELETE for the bot's own non-ephemeral messages, like Discord does.
        self.echo_bot_messages = echo_bot_messages
        #: Time source for interaction expiry; tests may replace it to "advance time" deterministically.
        self.clock = clock

        self._ids_last = 0
        self.bot_user = FakeUser(self._snowflake(), bot_name, bot=True)
        self.application_id: int = self.bot_user.id
        self.guild_id: int = self._snowflake()
        self.guild_name = guild_name
        self.owner = FakeUser(self._snowflake(), "owner", "Guild Owner")
        #: A plain member: no Manage Server.
        self.user = FakeUser(self._snowflake(), "alice", "Alice")
        #: A member with Manage Server (0x20).
        self.moderator = FakeUser(self._snowflake(), "mod", "Moderator", permissions=Perm.MANAGE_GUILD)
        self.users: dict[int, FakeUser] = {}
        self.members: set[int] = set()  # user ids in the guild
        for u in (self.bot_user, self.owner, self.user, self.moderator):
            self.users[u.id] = u
            self.members.add(u.id)
        self._joined_at = _now_iso()

        self.roles: dict[int, JSONDict] = {}
        self.roles[self.guild_id] = self._role_dict(self.guild_id, "@everyone", everyone_permissions, 0)
        self._perm_roles: dict[int, int] = {}  # permission bits -> role id
        self._bot_role_id = self._snowflake()
        self.roles[self._bot_role_id] = {
            **self._role_dict(self._bot_role_id, bot_name, bot_permissions, 1),
            "managed": True,
            "tags": {"bot_id": str(self.bot_user.id)},
        }

        self.channels: dict[int, JSONDict] = {}
        self._channel_bot_perms: dict[int, int] = {}
        for i, name in enumerate(channel_names):
            cid = self._snowflake()
            self.channels[cid] = self._text_channel_dict(cid, name, i)
        #: The first text channel ("general").
        self.channel_id: int = next(iter(self.channels))
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id

        # Message store: every message (user or bot, incl. ephemeral) by id, and channel history order.
        self.messages: dict[int, JSONDict] = {}
        self._history: dict[int, list[int]] = {}
        self._attachments: dict[int, _Attachment] = {}
        self._attachments_by_url: dict[str, _Attachment] = {}

        # Records.
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.sent: list[SentMessage] = []
        self._sent_by_id: dict[int, SentMessage] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        self.command_syncs: list[CommandSync] = []
        self._global_commands: list[JSONDict] = []
        self._guild_commands: dict[int, list[JSONDict]] = {}
        self.typing: list[TypingRecord] = []
        self.reactions: list[ReactionRecord] = []
        self.threads: list[ThreadRecord] = []
        self.identify_payloads: list[JSONDict] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.presence_updates: list[JSONDict] = []
        self.gateway_closes: list[tuple[int, str]] = []  # (code, reason) the fake closed sessions with
        #: Every dispatch actually delivered to a session: {"t": event, "d": data, "intents": session intents}.
        self.dispatched: list[JSONDict] = []
        #: message id -> the tasks discord.py started for its MESSAGE_CREATE (one per on_message handler); filled in
        #: by :func:`running_bot`, read by :meth:`wait_until_handled`.
        self.message_handlers: dict[int, list[asyncio.Task[Any]]] = {}
        self._message_cursors: dict[Optional[int], int] = {}

        self._sessions: list[_GatewaySession] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: Optional[web.AppRunner] = None
        self.port: int = 0
        self._app = self._build_app()

    # ---------------------------------------------------------------------------------------------------- lifecycle

    async def start(self) -> "FakeDiscord":
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
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

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE`` / ``CITEBOT_DISCORD_API_BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` / ``CITEBOT_DISCORD_GATEWAY_URL``."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def point_discord_py_here(self) -> DiscordPyPatch:
        """Point discord.py (REST base + default gateway) at this fake now; ``.restore()`` or ``with`` undoes it."""
        if not self.port:
            raise RuntimeError("start the fake before pointing discord.py at it")
        return DiscordPyPatch(self.api_base, self.gateway_url)

    # ------------------------------------------------------------------------------------------------ id / builders

    def _snowflake(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if candidate <= self._ids_last:
            candidate = self._ids_last + 1
        self._ids_last = candidate
        return candidate

    @staticmethod
    def _role_dict(role_id: int, name: str, permissions: int, position: int) -> JSONDict:
        return {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def _text_channel_dict(self, cid: int, name: str, position: int) -> JSONDict:
        return {
            "id": str(cid),
            "type": _CHANNEL_TEXT,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def add_user(self, username: str, *, permissions: Union[int, str] = 0, in_guild: bool = True,
                 global_name: Optional[str] = None, bot: bool = False) -> FakeUser:
        """Register a user (a guild member unless ``in_guild=False``).  Add before the bot connects if the bot
        should see it in GUILD_CREATE; interactions carry full member data either way."""
        user = FakeUser(self._snowflake(), username, global_name, bot=bot, permissions=int(permissions))
        self.users[user.id] = user
        if in_guild:
            self.members.add(user.id)
        return user

    def add_channel(self, name: str) -> int:
        """Add a guild text channel (before the bot connects, or it will not be in the bot's cache)."""
        cid = self._snowflake()
        self.channels[cid] = self._text_channel_dict(cid, name, len(self.channels))
        return cid

    def add_attachment(self, filename: str, data: bytes, content_type: str = "application/octet-stream",
                       *, channel_id: Optional[int] = None) -> str:
        """Serve ``data`` from this server's CDN route and return its URL (use it in messages or options)."""
        return self._store_attachment(filename, data, content_type, channel_id or self.channel_id).url

    def attachment_bytes(self, url: str) -> bytes:
        return self._attachments_by_url[url].data

    def _store_attachment(self, filename: str, data: bytes, content_type: Optional[str], channel_id: int) -> _Attachment:
        aid = self._snowflake()
        url = f"{self.base_url}/attachments/{channel_id}/{aid}/{quote(filename, errors='surrogatepass')}"
        att = _Attachment(aid, channel_id, filename, data, content_type or "application/octet-stream", url)
        self._attachments[aid] = att
        self._attachments_by_url[url] = att
        return att

    def dm_channel_id(self, user: FakeUser) -> int:
        """The DM channel between ``user`` and the bot (created on demand)."""
        if user.id not in self._dm_channels:
            cid = self._snowflake()
            self._dm_channels[user.id] = cid
            self.channels[cid] = {
                "id": str(cid),
                "type": _CHANNEL_DM,
                "recipients": [user.to_dict()],
                "last_message_id": None,
                "flags": 0,
            }
        return self._dm_channels[user.id]

    # ------------------------------------------------------------------------------------------------- permissions

    def member_permissions(self, user: FakeUser, override: Optional[int] = None) -> int:
        """Guild permissions of ``user``: @everyone plus their own (or ``override``) bits; admins/owner get all."""
        if user.id == self.owner.id:
            return ALL_PERMISSIONS
        if user.id == self.bot_user.id:
            perms = self.everyone_permissions | self.bot_permissions
        else:
            perms = self.everyone_permissions | (user.permissions if override is None else override)
        return ALL_PERMISSIONS if perms & Perm.ADMINISTRATOR else perms

    def bot_channel_permissions(self, channel_id: int) -> int:
        channel = self.channels.get(channel_id)
        if channel is None or channel["type"] == _CHANNEL_DM:
            return DEFAULT_BOT_PERMISSIONS | self.bot_permissions
        if channel["type"] in _THREAD_TYPES:
            channel_id = int(channel["parent_id"])
        return self._channel_bot_perms.get(channel_id, self.member_permissions(self.bot_user))

    async def set_bot_permissions(self, permissions: int, *, channel_id: Optional[int] = None) -> None:
        """Change what the bot may do, guild-wide or in one channel, and tell a connected bot (role/channel update)
        so discord.py's own ``permissions_for`` agrees with what the fake enforces."""
        if channel_id is None:
            self.bot_permissions = permissions
            self.roles[self._bot_role_id]["permissions"] = str(permissions)
            await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild_id), "role": self.roles[self._bot_role_id]},
                                intent=Intents.GUILDS)
            return
        base = self.member_permissions(self.bot_user)
        self._channel_bot_perms[channel_id] = permissions
        channel = self.channels[channel_id]
        channel["permission_overwrites"] = [
            o for o in channel["permission_overwrites"] if o["id"] != str(self.bot_user.id)
        ] + [{"id": str(self.bot_user.id), "type": 1, "allow": str(permissions & ~base), "deny": str(base & ~permissions)}]
        await self.dispatch("CHANNEL_UPDATE", channel, intent=Intents.GUILDS)

    async def _role_for_permissions(self, perms: int) -> Optional[int]:
        """A role granting exactly ``perms`` (created and announced on demand) so member payloads stay consistent
        with discord.py's role-based ``guild_permissions``."""
        if perms == 0:
            return None
        if perms not in self._perm_roles:
            rid = self._snowflake()
            self._perm_roles[perms] = rid
            self.roles[rid] = self._role_dict(rid, f"perms-{perms:#x}", perms, len(self.roles))
            await self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": self.roles[rid]},
                                intent=Intents.GUILDS)
        return self._perm_roles[perms]

    def _member_dict(self, user: FakeUser, *, include_user: bool = True, permissions: Optional[int] = None,
                     role_ids: Optional[list[str]] = None) -> JSONDict:
        if user.id == self.bot_user.id:
            roles = [str(self._bot_role_id)]
        elif role_ids is not None:
            roles = role_ids
        else:
            rid = self._perm_roles.get(user.permissions)
            roles = [str(rid)] if rid else []
        data: JSONDict = {
            "roles": roles,
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": self._joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if include_user:
            data["user"] = user.to_dict()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    # ------------------------------------------------------------------------------------------------- guild/gateway

    def _guild_create_payload(self, intents: int) -> JSONDict:
        # Without GUILD_MEMBERS Discord only includes the bot itself in GUILD_CREATE.
        member_ids = self.members if intents & Intents.GUILD_MEMBERS else {self.bot_user.id}
        for uid in member_ids:
            perms = self.users[uid].permissions
            if uid != self.bot_user.id and perms and perms not in self._perm_roles:
                rid = self._snowflake()
                self._perm_roles[perms] = rid
                self.roles[rid] = self._role_dict(rid, f"perms-{perms:#x}", perms, len(self.roles))
        guild_channels = [c for c in self.channels.values() if c.get("guild_id") and c["type"] not in _THREAD_TYPES]
        threads = [c for c in self.channels.values() if c["type"] in _THREAD_TYPES]
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "owner_id": str(self.owner.id),
            "roles": list(self.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": guild_channels,
            "threads": threads,
            "members": [self._member_dict(self.users[uid]) for uid in sorted(member_ids)],
            "member_count": len(self.members),
            "large": False,
            "unavailable": False,
            "joined_at": self._joined_at,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": str(self.channel_id),
            "system_channel_flags": 0,
            "afk_timeout": 300,
        }

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = _GatewaySession(ws=ws, query=dict(request.query), session_id=secrets.token_hex(16))
        self.gateway_queries.append(dict(request.query))
        self._sessions.append(session)
        try:
            await session.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue  # clients never send compressed/binary frames
                await self._gateway_receive(session, json.loads(msg.data))
        finally:
            self._sessions.remove(session)
            self._notify()
        return ws

    async def _gateway_close(self, session: _GatewaySession, code: int, reason: str) -> None:
        self.gateway_closes.append((code, reason))
        await session.ws.close(code=code, message=reason.encode())
        self._notify()

    async def _gateway_receive(self, session: _GatewaySession, msg: JSONDict) -> None:
        op: Any = msg.get("op")
        data: Any = msg.get("d")
        if op == 1:  # heartbeat
            await session.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # identify
            self.identify_payloads.append(data)
            if self.token is not None and data.get("token") != self.token:
                await self._gateway_close(session, 4004, "Authentication failed.")
                return
            intents = int(data.get("intents") or 0)
            if intents & Intents.PRIVILEGED & ~self.allowed_privileged_intents:
                await self._gateway_close(session, 4014, "Disallowed intent(s).")
                return
            session.intents = intents
            await session.send(
                {
                    "op": 0,
                    "t": "READY",
                    "d": {
                        "v": 10,
                        "user": {**self.bot_user.to_dict(), "verified": True, "mfa_enabled": False, "flags": 0},
                        "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                        "session_id": session.session_id,
                        "resume_gateway_url": self.gateway_url,
                        "application": {"id": str(self.application_id), "flags": self.application_flags},
                        "private_channels": [],
                        "relationships": [],
                        "user_settings": {},
                        "presences": [],
                        "guild_join_requests": [],
                        "geo_ordered_rtc_regions": [],
                        "shard": [0, 1],
                    },
                }
            )
            payload = self._guild_create_payload(intents)
            await session.send({"op": 0, "t": "GUILD_CREATE", "d": payload})
            session.identified = True
            self._notify()
        elif op == 3:  # presence update
            self.presence_updates.append(data)
            self._notify()
        elif op == 6:  # resume: sessions are not resumable here; discord.py re-identifies on INVALID_SESSION(false)
            await session.send({"op": 9, "d": False, "s": None, "t": None})
        elif op == 8:  # request guild members
            members = [self._member_dict(self.users[uid]) for uid in sorted(self.members)]
            await session.send(
                {
                    "op": 0,
                    "t": "GUILD_MEMBERS_CHUNK",
                    "d": {
                        "guild_id": str(self.guild_id),
                        "members": members,
                        "chunk_index": 0,
                        "chunk_count": 1,
                        "nonce": data.get("nonce"),
                        "not_found": [],
                    },
                }
            )

    @property
    def connected(self) -> bool:
        return any(s.identified and not s.ws.closed for s in self._sessions)

    @property
    def intents(self) -> int:
        """Intents of the (first) identified session."""
        for s in self._sessions:
            if s.identified:
                return s.intents
        return 0

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        await self.wait_until(lambda: self.connected, timeout=timeout, what="a bot to IDENTIFY")

    async def dispatch(self, event: str, data: JSONDict, *, intent: Optional[int] = None,
                       transform: Optional[Callable[[_GatewaySession, JSONDict], JSONDict]] = None) -> int:
        """Send a DISPATCH to every identified session (that has ``intent``, if given). Returns deliveries."""
        delivered = 0
        for session in list(self._sessions):
            if not session.identified or session.ws.closed:
                continue
            if intent is not None and not session.intents & intent:
                continue
            payload = transform(session, data) if transform else data
            await session.send({"op": 0, "t": event, "d": payload})
            self.dispatched.append({"t": event, "d": payload, "intents": session.intents})
            delivered += 1
        self._notify()
        return delivered

    def _require_connected(self) -> None:
        if not self.connected:
            raise RuntimeError("no bot is connected to the fake gateway")

    # ------------------------------------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    #: Re-check interval of ``wait_until`` for predicates over state the fake cannot see change (the bot's).
    poll_interval: float = 0.005

    async def wait_until(self, predicate: Callable[[], Optional[T]], *, timeout: float = 5.0,
                         what: str = "condition") -> T:
        """Wait until ``predicate()`` returns something truthy and return it.

        Re-checked immediately after every change the fake records, and every ``poll_interval`` seconds so that
        predicates over bot-side state (e.g. a list the bot appends to) also return promptly.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}; {self._diagnostics()}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait({fut}, timeout=min(remaining, self.poll_interval))
            finally:
                if not fut.done():
                    fut.cancel()
                    self._waiters.remove(fut)

    def _diagnostics(self) -> str:
        recent = [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-8:]]
        unhandled = [f"{r.method} {r.path}" for r in self.unhandled[-5:]]
        return f"recent requests: {recent}; unhandled: {unhandled}"

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
        after_id = _message_id(after) if after is not None else None

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
        mid = _message_id(message)
        return await self.wait_until(
            lambda: next((s for s in self.sent if s.reply_to == mid), None), timeout=timeout,
            what=f"a reply to message {mid}",
        )

    async def wait_for_reaction(self, message: Union[int, JSONDict, SentMessage], emoji: Optional[str] = None,
                                timeout: float = 5.0) -> ReactionRecord:
        mid = _message_id(message)
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
        mid = _message_id(message)
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

    # ------------------------------------------------------------------------------------------------ commands

    @property
    def global_commands(self) -> list[JSONDict]:
        return list(self._global_commands)

    def guild_commands(self, guild_id: Optional[int] = None) -> list[JSONDict]:
        return list(self._guild_commands.get(guild_id or self.guild_id, []))

    def command(self, name: str, *, guild_id: Optional[int] = None, type: int = 1) -> Optional[JSONDict]:
        """A synced command by name (guild commands of ``guild_id`` first, then global)."""
        pools = ([self._guild_commands.get(guild_id, [])] if guild_id else []) + [self._global_commands]
        for pool in pools:
            for cmd in pool:
                if cmd["name"] == name and int(cmd.get("type") or 1) == type:
                    return cmd
        return None

    def _store_commands(self, guild_id: Optional[int], payload: list[JSONDict], *, replace: bool) -> list[JSONDict]:
        existing = self._guild_commands.get(guild_id, []) if guild_id else self._global_commands
        by_key = {(c["name"], int(c.get("type") or 1)): c for c in existing}
        result: list[JSONDict] = []
        for cmd in payload:
            ctype = int(cmd.get("type") or 1)
            old = by_key.get((cmd["name"], ctype))
            stored = {
                "name_localizations": None,
                "description_localizations": None,
                "default_member_permissions": None,
                "nsfw": False,
                "options": [],
                **copy.deepcopy(cmd),
                # Discord keeps a command's id across bulk overwrites when name and type match.
                "id": old["id"] if old else str(self._snowflake()),
                "application_id": str(self.application_id),
                "version": str(self._snowflake()),
                "type": ctype,
                "description": cmd.get("description", "") if ctype == 1 else "",
            }
            if stored["default_member_permissions"] is not None:
                # discord.py sends an int; Discord stores and returns the bitfield as a string.
                stored["default_member_permissions"] = str(stored["default_member_permissions"])
            if guild_id:
                stored["guild_id"] = str(guild_id)
            result.append(stored)
        if replace:
            new_pool = result
        else:
            keys = {(c["name"], c["type"]) for c in result}
            new_pool = [c for c in existing if (c["name"], int(c.get("type") or 1)) not in keys] + result
        if guild_id:
            self._guild_commands[guild_id] = new_pool
        else:
            self._global_commands = new_pool
        return result

    # ------------------------------------------------------------------------------------------------ interactions

    def _resolve_user(self, user: Optional[FakeUser]) -> FakeUser:
        user = user or self.user
        self.users.setdefault(user.id, user)
        return user

    async def _new_interaction(
        self,
        itype: int,
        data: JSONDict,
        *,
        user: Optional[FakeUser],
        guild: bool,
        channel_id: Optional[int],
        member_permissions: Union[None, int, str],
        app_permissions: Union[None, int, str],
        locale: str,
        message: Optional[JSONDict] = None,
    ) -> FakeInteraction:
        self._require_connected()
        user = self._resolve_user(user)
        if guild:
            cid = channel_id or self.channel_id
            if cid not in self.channels or not self.channels[cid].get("guild_id"):
                raise ValueError(f"{cid} is not a guild channel of the fake")
        else:
            cid = channel_id or self.dm_channel_id(user)
        override = None if member_permissions is None else int(member_permissions)
        iid = self._snowflake()
        token = f"itoken-{iid}-{secrets.token_hex(8)}"
        payload: JSONDict = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "data": data,
            "channel_id": str(cid),
            "channel": copy.deepcopy(self.channels[cid]),
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(
                int(app_permissions) if app_permissions is not None else self.bot_channel_permissions(cid)
            ),
        }
        if guild:
            perms = self.member_permissions(user, override)
            role_id = await self._role_for_permissions(user.permissions if override is None else override)
            payload.update(
                guild_id=str(self.guild_id),
                guild={"id": str(self.guild_id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=self._member_dict(user, permissions=perms, role_ids=[str(role_id)] if role_id else []),
                context=0,
                authorizing_integration_owners={"0": str(self.guild_id)},
            )
        else:
            payload.update(user=user.to_dict(), context=1, authorizing_integration_owners={"0": str(self.guild_id)})
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        record = FakeInteraction(
            id=iid, token=token, type=itype, payload=payload, user=user,
            guild_id=self.guild_id if guild else None, channel_id=cid, dispatched_at=self.clock(), _fake=self,
        )
        if message is not None:
            record.source_message_id = int(message["id"])
        self.interactions[iid] = record
        self._interactions_by_token[token] = record
        await self.dispatch("INTERACTION_CREATE", payload)  # not gated by any intent
        return record

    def _lookup_command(self, name: str, *, guild: bool) -> JSONDict:
        top = name.split()[0]
        cmd = self.command(top, guild_id=self.guild_id if guild else None)
        if cmd is None:
            raise CommandUnavailable(f"/{top} is not synced ({'guild+global' if guild else 'global'} commands: "
                                     f"{[c['name'] for c in self._global_commands]})")
        return cmd

    def _check_command_access(self, cmd: JSONDict, user: FakeUser, *, guild: bool, override: Optional[int]) -> None:
        if not guild:
            if cmd.get("guild_id"):
                raise CommandUnavailable(f"/{cmd['name']} is a guild command and cannot be used in DMs")
            contexts = cmd.get("contexts")
            if contexts is not None and 1 not in contexts:
                raise CommandUnavailable(f"/{cmd['name']} is not available in DMs (contexts={contexts})")
            if contexts is None and cmd.get("dm_permission") is False:
                raise CommandUnavailable(f"/{cmd['name']} is not available in DMs (dm_permission=false)")
            return
        contexts = cmd.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise CommandUnavailable(f"/{cmd['name']} is not available in guilds (contexts={contexts})")
        required = cmd.get("default_member_permissions")
        if required is None or cmd["name"] in self.permission_overrides:
            return
        perms = self.member_permissions(user, override)
        if perms & Perm.ADMINISTRATOR or perms == ALL_PERMISSIONS:
            return
        need = int(required)
        if need == 0 or perms & need != need:
            raise CommandUnavailable(
                f"/{cmd['name']} requires permissions {need:#x}; member {user.username} has {perms:#x}"
            )

    def _build_options(self, schema: Sequence[JSONDict], values: Mapping[str, Any], *, focused: Optional[str],
                       resolved: JSONDict, guild: bool) -> list[JSONDict]:
        by_name = {o["name"]: o for o in schema}
        out: list[JSONDict] = []
        for name, value in values.items():
            opt = by_name.get(name)
            if opt is None:
                raise CommandUnavailable(f"option {name!r} does not exist (have {sorted(by_name)})")
            otype = int(opt["type"])
            entry: JSONDict = {"name": name, "type": otype}
            if name == focused:
                # Discord sends the raw text typed so far for the focused option, whatever its type.
                entry["value"] = str(value)
                entry["focused"] = True
                out.append(entry)
                continue
            entry["value"] = self._option_value(opt, value, resolved, guild)
            out.append(entry)
        if focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
            if missing:
                raise CommandUnavailable(f"required options missing: {missing}")
        elif focused not in values:
            raise CommandUnavailable(f"focused option {focused!r} has no value")
        return out

    def _option_value(self, opt: JSONDict, value: Any, resolved: JSONDict, guild: bool) -> Any:
        otype = int(opt["type"])
        name = opt["name"]
        if otype == _OPT_STRING:
            value = str(value)
            if opt.get("min_length") is not None and len(value) < opt["min_length"]:
                raise CommandUnavailable(f"{name}: shorter than min_length {opt['min_length']}")
            if opt.get("max_length") is not None and len(value) > opt["max_length"]:
                raise CommandUnavailable(f"{name}: longer than max_length {opt['max_length']}")
        elif otype in (_OPT_INTEGER, _OPT_NUMBER):
            value = int(value) if otype == _OPT_INTEGER else float(value)
            if opt.get("min_value") is not None and value < opt["min_value"]:
                raise CommandUnavailable(f"{name}: below min_value {opt['min_value']}")
            if opt.get("max_value") is not None and value > opt["max_value"]:
                raise CommandUnavailable(f"{name}: above max_value {opt['max_value']}")
        elif otype == _OPT_BOOLEAN:
            value = bool(value)
        elif otype in (_OPT_USER, _OPT_MENTIONABLE) and isinstance(value, FakeUser):
            self.users.setdefault(value.id, value)
            resolved.setdefault("users", {})[str(value.id)] = value.to_dict()
            if guild and value.id in self.members:
                resolved.setdefault("members", {})[str(value.id)] = self._member_dict(
                    value, include_user=False, permissions=self.member_permissions(value))
            value = str(value.id)
        elif otype == _OPT_USER:
            user = self.users[int(value)]
            return self._option_value(opt, user, resolved, guild)
        elif otype == _OPT_CHANNEL:
            cid = int(value["id"]) if isinstance(value, dict) else int(value)
            channel = self.channels[cid]
            resolved.setdefault("channels", {})[str(cid)] = {
                k: channel[k] for k in ("id", "type", "name", "parent_id", "guild_id") if k in channel
            } | {"permissions": str(self.member_permissions(self.user))}
            value = str(cid)
        elif otype == _OPT_ROLE:
            rid = int(value)
            resolved.setdefault("roles", {})[str(rid)] = self.roles[rid]
            value = str(rid)
        elif otype == _OPT_ATTACHMENT:
            att = self._attachments_by_url.get(str(value))
            if att is None:
                raise CommandUnavailable(f"{name}: pass a URL returned by fake.add_attachment()")
            resolved.setdefault("attachments", {})[str(att.id)] = att.to_dict()
            value = str(att.id)
        choices = opt.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise CommandUnavailable(f"{name}: {value!r} is not one of the choices {[c['value'] for c in choices]}")
        return value

    def _command_data(self, name: str, options: Optional[Mapping[str, Any]], *, subcommand: Optional[str],
                      group: Optional[str], focused: Optional[str], guild: bool, user: FakeUser,
                      override: Optional[int]) -> JSONDict:
        parts = name.split()
        if len(parts) == 3:
            group, subcommand = parts[1], parts[2]
        elif len(parts) == 2:
            subcommand = parts[1]
        cmd = self._lookup_command(parts[0], guild=guild)
        self._check_command_access(cmd, user, guild=guild, override=override)
        resolved: JSONDict = {}
        schema: Sequence[JSONDict] = cmd.get("options") or []
        wrap: list[tuple[int, str]] = []
        for kind, sub in ((_OPT_SUB_COMMAND_GROUP, group), (_OPT_SUB_COMMAND, subcommand)):
            if sub is None:
                continue
            match = next((o for o in schema if o["name"] == sub and int(o["type"]) == kind), None)
            if match is None:
                raise CommandUnavailable(f"/{cmd['name']} has no {'group' if kind == 2 else 'subcommand'} {sub!r}")
            wrap.append((kind, sub))
            schema = match.get("options") or []
        if any(int(o["type"]) in (_OPT_SUB_COMMAND, _OPT_SUB_COMMAND_GROUP) for o in schema):
            raise CommandUnavailable(f"/{cmd['name']} needs a subcommand")
        built = self._build_options(schema, options or {}, focused=focused, resolved=resolved, guild=guild)
        for kind, sub in reversed(wrap):
            built = [{"name": sub, "type": kind, "options": built}]
        data: JSONDict = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if built:
            data["options"] = built
        if resolved:
            data["resolved"] = resolved
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return data

    async def slash(
        self,
        name: str,
        options: Optional[Mapping[str, Any]] = None,
        *,
        user: Optional[FakeUser] = None,
        subcommand: Optional[str] = None,
        group: Optional[str] = None,
        guild: bool = True,
        channel_id: Optional[int] = None,
        member_permissions: Union[None, int, str] = None,
        app_permissions: Union[None, int, str] = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Invoke a synced slash command as ``user`` (default ``fake.user``) and return the interaction record.

        ``name`` may include the path ("cite search"); option values: str/int/float/bool, a :class:`FakeUser` for
        user options, a channel id, a role id, or an ``add_attachment`` URL.  ``guild=False`` invokes in the user's
        DM with the bot.  ``member_permissions`` overrides the user's own permission bits (on top of @everyone).
        Raises :class:`CommandUnavailable` where Discord's client would not let the user run it.
        """
        user = self._resolve_user(user)
        override = None if member_permissions is None else int(member_permissions)
        data = self._command_data(name, options, subcommand=subcommand, group=group, focused=None, guild=guild,
                                  user=user, override=override)
        return await self._new_interaction(
            InteractionType.APPLICATION_COMMAND, data, user=user, guild=guild, channel_id=channel_id,
            member_permissions=member_permissions, app_permissions=app_permissions, locale=locale,
        )

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        focused: Optional[str] = None,
        user: Optional[FakeUser] = None,
        subcommand: Optional[str] = None,
        group: Optional[str] = None,
        guild: bool = True,
        channel_id: Optional[int] = None,
        member_permissions: Union[None, int, str] = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Send an autocomplete interaction; ``focused`` defaults to the last option in ``options``."""
        user = self._resolve_user(user)
        focused = focused or list(options)[-1]
        override = None if member_permissions is None else int(member_permissions)
        data = self._command_data(name, options, subcommand=subcommand, group=group, focused=focused, guild=guild,
                                  user=user, override=override)
        return await self._new_interaction(
            InteractionType.AUTOCOMPLETE, data, user=user, guild=guild, channel_id=channel_id,
            member_permissions=member_permissions, app_permissions=None, locale=locale,
        )

    async def click(
        self,
        message: Union[int, JSONDict, SentMessage],
        custom_id: str,
        *,
        user: Optional[FakeUser] = None,
        values: Optional[Sequence[str]] = None,
        member_permissions: Union[None, int, str] = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Click a button (or choose ``values`` in a select) on a message as it currently is."""
        mid = _message_id(message)
        current = self.messages.get(mid)
        if current is None:
            raise CommandUnavailable(f"message {mid} does not exist (deleted?)")
        comp = next((c for c in _iter_components(current.get("components") or []) if c.get("custom_id") == custom_id), None)
        if comp is None:
            raise CommandUnavailable(f"message {mid} has no component {custom_id!r} (has {_custom_ids(current)})")
        if comp.get("disabled"):
            raise CommandUnavailable(f"component {custom_id!r} is disabled")
        data: JSONDict = {"custom_id": custom_id, "component_type": int(comp["type"])}
        if int(comp["type"]) != 2:
            chosen = list(values or [])
            lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
            if not lo <= len(chosen) <= hi:
                raise CommandUnavailable(f"select {custom_id!r} needs {lo}..{hi} values, got {chosen}")
            if int(comp["type"]) == 3:
                allowed = [o["value"] for o in comp.get("options") or []]
                bad = [v for v in chosen if v not in allowed]
                if bad:
                    raise CommandUnavailable(f"select {custom_id!r} has no options {bad}")
            data["values"] = chosen
        return await self._new_interaction(
            InteractionType.MESSAGE_COMPONENT, data, user=user, guild=bool(current.get("guild_id")),
            channel_id=int(current["channel_id"]), member_permissions=member_permissions, app_permissions=None,
            locale=locale, message=current,
        )

    def expire(self, interaction: FakeInteraction) -> None:
        """Make ``interaction`` expired now, as if its 3 seconds had passed."""
        interaction.force_expired = True

    def _expired(self, it: FakeInteraction) -> bool:
        return it.force_expired or self.clock() - it.dispatched_at > self.interaction_timeout

    # ------------------------------------------------------------------------------------------------ user messages

    async def send_message(
        self,
        content: str,
        *,
        author: Optional[FakeUser] = None,
        channel_id: Optional[int] = None,
        mentions_bot: bool = False,
        reply_to: Union[None, int, JSONDict, SentMessage] = None,
        reply_mention: bool = True,
        attachments: Sequence[Union[str, tuple[str, bytes, str]]] = (),
        dm: bool = False,
    ) -> JSONDict:
        """A user posts a message; dispatches MESSAGE_CREATE like Discord would and returns the full message.

        ``mentions_bot`` prefixes ``<@bot>`` unless already mentioned; ``reply_to`` makes it a reply (pinging the
        replied author unless ``reply_mention=False``); ``attachments`` are ``add_attachment`` URLs or
        ``(filename, bytes, content_type)``; ``dm=True`` posts in the author's DM with the bot.
        Without the message-content intent the bot receives empty content/embeds/attachments/components unless it
        is mentioned, it is a DM, or it wrote the message.
        """
        self._require_connected()
        author = self._resolve_user(author)
        cid = self.dm_channel_id(author) if dm else (channel_id or self.channel_id)
        if cid not in self.channels:
            raise ValueError(f"unknown channel {cid}")
        if mentions_bot and self.bot_user.id not in {int(m) for m in _MENTION_USER_RE.findall(content)}:
            content = f"{self.bot_user.mention} {content}"
        atts: list[JSONDict] = []
        for item in attachments:
            if isinstance(item, str):
                atts.append(self._attachments_by_url[item].to_dict())
            else:
                atts.append(self._store_attachment(item[0], item[1], item[2], cid).to_dict())
        referenced: Optional[JSONDict] = None
        if reply_to is not None:
            referenced = self.messages.get(_message_id(reply_to))
            if referenced is None:
                raise ValueError(f"cannot reply to unknown message {_message_id(reply_to)}")
        extra_mentions = [int(referenced["author"]["id"])] if referenced is not None and reply_mention else []
        message = self._make_message(
            channel_id=cid, author=author, content=content, attachments=atts, referenced=referenced,
            extra_mentions=extra_mentions,
        )
        self._store_message(message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        return message

    def _make_message(
        self,
        *,
        channel_id: int,
        author: FakeUser,
        content: str = "",
        embeds: Optional[list[JSONDict]] = None,
        components: Optional[list[JSONDict]] = None,
        attachments: Optional[list[JSONDict]] = None,
        flags: int = 0,
        mtype: Optional[int] = None,
        referenced: Optional[JSONDict] = None,
        extra_mentions: Sequence[int] = (),
        webhook: bool = False,
        interaction: Optional[FakeInteraction] = None,
        message_id: Optional[int] = None,
        tts: bool = False,
        nonce: Any = None,
    ) -> JSONDict:
        channel = self.channels[channel_id]
        guild_id = channel.get("guild_id")
        mention_ids = [int(m) for m in _MENTION_USER_RE.findall(content)] + list(extra_mentions)
        mentions = []
        for uid in dict.fromkeys(mention_ids):
            if uid in self.users:
                entry = self.users[uid].to_dict()
                if guild_id and uid in self.members:
                    entry["member"] = self._member_dict(self.users[uid], include_user=False)
                mentions.append(entry)
        message: JSONDict = {
            "id": str(message_id or self._snowflake()),
            "channel_id": str(channel_id),
            "author": author.to_dict(),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": tts,
            "mention_everyone": "@everyone" in content or "@here" in content,
            "mentions": mentions,
            "mention_roles": list(dict.fromkeys(_MENTION_ROLE_RE.findall(content))),
            "attachments": attachments or [],
            "embeds": embeds or [],
            "components": components or [],
            "reactions": [],
            "pinned": False,
            "type": mtype if mtype is not None else (19 if referenced is not None else 0),
            "flags": flags,
        }
        if nonce is not None:
            message["nonce"] = nonce
        if guild_id:
            message["guild_id"] = guild_id
            if not webhook:
                message["member"] = self._member_dict(author, include_user=False)
        if referenced is not None:
            message["message_reference"] = {
                "type": 0,
                "message_id": referenced["id"],
                "channel_id": referenced["channel_id"],
                **({"guild_id": guild_id} if guild_id else {}),
            }
            message["referenced_message"] = copy.deepcopy(
                {k: v for k, v in referenced.items() if k != "referenced_message"}
            )
        if webhook or interaction is not None:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
        if interaction is not None:
            meta: JSONDict = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.to_dict(),
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
            if interaction.type == InteractionType.APPLICATION_COMMAND:
                meta["name"] = interaction.payload["data"]["name"]
                meta["command_type"] = 1
            if interaction.source_message_id is not None:
                meta["interacted_message_id"] = str(interaction.source_message_id)
            message["interaction_metadata"] = meta
        return message

    def _store_message(self, message: JSONDict) -> None:
        mid, cid = int(message["id"]), int(message["channel_id"])
        self.messages[mid] = message
        if not int(message.get("flags") or 0) & MessageFlags.EPHEMERAL:
            self._history.setdefault(cid, []).append(mid)
            channel = self.channels.get(cid)
            if channel is not None:
                channel["last_message_id"] = message["id"]
        self._notify()

    def _redact_for(self, session: _GatewaySession, message: JSONDict) -> JSONDict:
        """Blank message content like Discord does for apps without the MESSAGE_CONTENT intent."""
        if session.intents & Intents.MESSAGE_CONTENT:
            return message
        channel = self.channels.get(int(message["channel_id"]), {})
        exempt = (
            int(message["author"]["id"]) == self.bot_user.id
            or channel.get("type") == _CHANNEL_DM
            or any(int(m["id"]) == self.bot_user.id for m in message.get("mentions") or [])
        )
        out = dict(message)
        if not exempt:
            out.update(content="", embeds=[], attachments=[], components=[])
            out.pop("poll", None)
        if message.get("referenced_message"):
            out["referenced_message"] = self._redact_for(session, message["referenced_message"])
        return out

    async def _dispatch_message(self, event: str, message: JSONDict) -> None:
        channel = self.channels.get(int(message["channel_id"]), {})
        intent = Intents.DIRECT_MESSAGES if channel.get("type") == _CHANNEL_DM else Intents.GUILD_MESSAGES
        await self.dispatch(event, message, intent=intent, transform=self._redact_for)

    async def _echo(self, event: str, sent: SentMessage) -> None:
        """Tell the bot about its own non-ephemeral messages, like Discord does."""
        if not self.echo_bot_messages or sent.ephemeral:
            return
        if event == "MESSAGE_DELETE":
            data: JSONDict = {"id": str(sent.id), "channel_id": str(sent.channel_id)}
            if sent.message.get("guild_id"):
                data["guild_id"] = sent.message["guild_id"]
            channel = self.channels.get(sent.channel_id, {})
            intent = Intents.DIRECT_MESSAGES if channel.get("type") == _CHANNEL_DM else Intents.GUILD_MESSAGES
            await self.dispatch(event, data, intent=intent)
            return
        await self._dispatch_message(event, sent.message)

    # ------------------------------------------------------------------------------------------------ queries

    def channel_messages(self, channel_id: Optional[int] = None) -> list[JSONDict]:
        """Non-ephemeral messages (user and bot) in a channel, oldest first."""
        return [self.messages[m] for m in self._history.get(channel_id or self.channel_id, []) if m in self.messages]

    def bot_messages(self, channel_id: Optional[int] = None) -> list[SentMessage]:
        """Channel messages the bot sent via ``POST /channels/{id}/messages``."""
        return [s for s in self.sent if s.kind == "channel" and (channel_id is None or s.channel_id == channel_id)]

    def sent_message(self, message_id: int) -> Optional[SentMessage]:
        return self._sent_by_id.get(message_id)

    # ------------------------------------------------------------------------------------------------ HTTP plumbing

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        routes: list[tuple[str, str, _Handler, bool]] = [
            # (method, path, handler, needs bot auth)
            ("GET", "/users/@me", self._get_me, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/users/{user_id}", self._get_user, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", "/applications/{app_id}/commands", self._get_global_commands, True),
            ("PUT", "/applications/{app_id}/commands", self._put_global_commands, True),
            ("POST", "/applications/{app_id}/commands", self._post_global_command, True),
            ("GET", "/applications/{app_id}/commands/{command_id}", self._get_command, True),
            ("DELETE", "/applications/{app_id}/commands/{command_id}", self._delete_command, True),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_guild_commands, True),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_guild_commands, True),
            ("POST", "/applications/{app_id}/guilds/{guild_id}/commands", self._post_guild_command, True),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback, False),
            ("POST", "/webhooks/{app_id}/{token}", self._webhook_execute, False),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_get, False),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_edit, False),
            ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_delete, False),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._get_channel_messages, True),
            ("POST", "/channels/{channel_id}/messages", self._create_channel_message, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_channel_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_channel_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_channel_message, True),
            ("POST", "/channels/{channel_id}/typing", self._typing, True),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._add_reaction, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._remove_reaction, True),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from_message, True),
            ("POST", "/channels/{channel_id}/threads", self._thread_without_message, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True),
        ]
        for prefix in ("/api/v10", "/api/v9"):
            for method, path, handler, auth in routes:
                app.router.add_route(method, prefix + path, self._wrap(handler, auth=auth, prefix=prefix))
            app.router.add_route("*", prefix + "/{tail:.*}", self._wrap(self._not_found, auth=False, prefix=prefix))
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn)
        return app

    def _wrap(self, handler: _Handler, *, auth: bool, prefix: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def route(request: web.Request) -> web.StreamResponse:
            body, files = await _read_body(request)
            record = RecordedRequest(
                method=request.method, path=request.path[len(prefix):], query=dict(request.query),
                json=body, files=files,
            )
            self.requests.append(record)
            status = 200
            try:
                if auth:
                    self._check_auth(request)
                result = await handler(request, body, files, **request.match_info)
                if isinstance(result, tuple):
                    status, result = result
                if result is _NO_CONTENT:
                    status, result = 204, None
            except DiscordAPIError as exc:
                status, result = exc.status, exc.body
            record.status, record.response = status, result
            if handler == self._not_found:
                self.unhandled.append(record)
            self._notify()
            if status == 204:
                return web.Response(status=204)
            # body= (not text=) so Content-Type is exactly "application/json": discord.py compares it verbatim.
            return web.Response(body=json.dumps(result).encode(), status=status, content_type="application/json")

        return route

    def _check_auth(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bot ") or (self.token is not None and header != f"Bot {self.token}"):
            raise DiscordAPIError(401, 0, "401: Unauthorized")

    async def _not_found(self, request: web.Request, body: Any, files: list[UploadedFile], tail: str) -> Any:
        raise DiscordAPIError(404, 0, "404: Not Found")

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        att = self._attachments.get(int(request.match_info["attachment_id"]))
        if att is None:
            return web.Response(status=404, text="Not Found")
        self.cdn_downloads.append(att.url)
        # Discord sends "text/plain; charset=utf-8"; aiohttp's content_type= refuses parameters.
        return web.Response(body=att.data, headers={"Content-Type": att.content_type})

    # ------------------------------------------------------------------------------------------------ REST: misc

    async def _get_me(self, request: web.Request, body: Any, files: Any) -> Any:
        return {**self.bot_user.to_dict(), "verified": True, "mfa_enabled": False, "flags": 0, "bot": True}

    async def _get_user(self, request: web.Request, body: Any, files: Any, user_id: str) -> Any:
        user = self.users.get(int(user_id))
        if user is None:
            raise DiscordAPIError(404, 10013, "Unknown User")
        return user.to_dict()

    async def _create_dm(self, request: web.Request, body: Any, files: Any) -> Any:
        user = self.users.get(int(body["recipient_id"]))
        if user is None:
            raise DiscordAPIError(404, 10013, "Unknown User")
        return self.channels[self.dm_channel_id(user)]

    async def _get_application(self, request: web.Request, body: Any, files: Any) -> Any:
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "description": "",
            "icon": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": self.owner.to_dict(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "bot": self.bot_user.to_dict(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
        }

    async def _get_gateway(self, request: web.Request, body: Any, files: Any) -> Any:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, request: web.Request, body: Any, files: Any) -> Any:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    async def _get_guild(self, request: web.Request, body: Any, files: Any, guild_id: str) -> Any:
        if int(guild_id) != self.guild_id:
            raise DiscordAPIError(404, 10004, "Unknown Guild")
        data = self._guild_create_payload(Intents.GUILDS)
        for key in ("channels", "threads", "members", "voice_states", "presences"):
            data.pop(key, None)
        return data

    async def _get_member(self, request: web.Request, body: Any, files: Any, guild_id: str, user_id: str) -> Any:
        uid = int(user_id)
        if int(guild_id) != self.guild_id or uid not in self.members:
            raise DiscordAPIError(404, 10007, "Unknown Member")
        return self._member_dict(self.users[uid])

    # ------------------------------------------------------------------------------------------------ REST: commands

    def _check_app(self, app_id: str) -> None:
        if int(app_id) != self.application_id:
            raise DiscordAPIError(403, 50001, "Missing Access")

    def _check_guild(self, guild_id: str) -> int:
        if int(guild_id) != self.guild_id:
            raise DiscordAPIError(403, 50001, "Missing Access")
        return int(guild_id)

    async def _get_global_commands(self, request: web.Request, body: Any, files: Any, app_id: str) -> Any:
        self._check_app(app_id)
        return self._global_commands

    async def _put_global_commands(self, request: web.Request, body: Any, files: Any, app_id: str) -> Any:
        self._check_app(app_id)
        _validate_commands(body)
        result = self._store_commands(None, body, replace=True)
        self.command_syncs.append(CommandSync(None, body, result))
        return result

    async def _post_global_command(self, request: web.Request, body: Any, files: Any, app_id: str) -> Any:
        self._check_app(app_id)
        _validate_commands([body])
        result = self._store_commands(None, [body], replace=False)
        self.command_syncs.append(CommandSync(None, body, result))
        return 201, result[0]

    async def _get_command(self, request: web.Request, body: Any, files: Any, app_id: str, command_id: str) -> Any:
        self._check_app(app_id)
        for cmd in self._global_commands:
            if cmd["id"] == command_id:
                return cmd
        raise DiscordAPIError(404, 10063, "Unknown application command")

    async def _delete_command(self, request: web.Request, body: Any, files: Any, app_id: str, command_id: str) -> Any:
        self._check_app(app_id)
        before = len(self._global_commands)
        self._global_commands = [c for c in self._global_commands if c["id"] != command_id]
        if len(self._global_commands) == before:
            raise DiscordAPIError(404, 10063, "Unknown application command")
        return _NO_CONTENT

    async def _get_guild_commands(self, request: web.Request, body: Any, files: Any, app_id: str, guild_id: str) -> Any:
        self._check_app(app_id)
        return self._guild_commands.get(self._check_guild(guild_id), [])

    async def _put_guild_commands(self, request: web.Request, body: Any, files: Any, app_id: str, guild_id: str) -> Any:
        self._check_app(app_id)
        gid = self._check_guild(guild_id)
        _validate_commands(body)
        result = self._store_commands(gid, body, replace=True)
        self.command_syncs.append(CommandSync(gid, body, result))
        return result

    async def _post_guild_command(self, request: web.Request, body: Any, files: Any, app_id: str, guild_id: str) -> Any:
        self._check_app(app_id)
        gid = self._check_guild(guild_id)
        _validate_commands([body])
        result = self._store_commands(gid, [body], replace=False)
        self.command_syncs.append(CommandSync(gid, body, result))
        return 201, result[0]

    # ------------------------------------------------------------------------------------------------ REST: interactions

    def _reject(self, it: Optional[FakeInteraction], request: web.Request, body: Any, error: DiscordAPIError) -> DiscordAPIError:
        if it is not None:
            it.rejected.append(RejectedCall(request.method, request.path, error.status, error.body, body))
        return error

    def _attachments_from_upload(self, payload: JSONDict, files: Sequence[UploadedFile], channel_id: int,
                                 existing: Sequence[JSONDict] = ()) -> list[JSONDict]:
        """Attachment objects for a create/edit: kept existing ones (by snowflake id) + newly uploaded files."""
        kept_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
        result = [a for a in existing if a["id"] in kept_ids] if "attachments" in payload else list(existing)
        for index, upload in enumerate(files):
            meta: JSONDict = next(
                (a for a in payload.get("attachments") or [] if str(a.get("id")) == str(index)), {})
            att = self._store_attachment(meta.get("filename") or upload.filename, upload.data, upload.content_type, channel_id)
            entry = att.to_dict()
            if meta.get("description"):
                entry["description"] = meta["description"]
            result.append(entry)
        return result

    def _new_sent(self, *, kind: str, channel_id: int, payload: JSONDict, files: list[UploadedFile], message: JSONDict,
                  interaction: Optional[FakeInteraction] = None) -> SentMessage:
        sent = SentMessage(id=int(message["id"]), channel_id=channel_id, kind=kind, payload=payload, files=files,
                           message=message, interaction=interaction)
        self.sent.append(sent)
        self._sent_by_id[sent.id] = sent
        self._store_message(message)
        return sent

    def _message_from_payload(self, payload: JSONDict, files: list[UploadedFile], *, channel_id: int, flags: int,
                              interaction: Optional[FakeInteraction], mtype: int = 0,
                              referenced: Optional[JSONDict] = None, message_id: Optional[int] = None) -> JSONDict:
        return self._make_message(
            channel_id=channel_id,
            author=self.bot_user,
            content=str(payload.get("content") or ""),
            embeds=payload.get("embeds") or [],
            components=payload.get("components") or [],
            attachments=self._attachments_from_upload(payload, files, channel_id),
            flags=flags,
            mtype=mtype,
            referenced=referenced,
            webhook=interaction is not None,
            interaction=interaction,
            message_id=message_id,
            tts=bool(payload.get("tts")),
            nonce=payload.get("nonce"),
        )

    def _apply_edit(self, message: JSONDict, payload: JSONDict, files: list[UploadedFile]) -> None:
        """Apply an edit body to a stored message in place (validates first; raises before mutating)."""
        _validate_message_payload(payload, files)
        candidate = dict(message)
        for key in ("content", "embeds", "components"):
            if key in payload and payload[key] is not None:
                candidate[key] = payload[key]
            elif key in payload:  # explicit null clears
                candidate[key] = "" if key == "content" else []
        if "attachments" in payload or files:
            candidate["attachments"] = self._attachments_from_upload(
                payload, files, int(message["channel_id"]), message.get("attachments") or [])
        flags = int(message.get("flags") or 0)
        if "flags" in payload and payload["flags"] is not None:
            # Only SUPPRESS_EMBEDS (and V2 on a loading message) can change on edit; ephemerality never does.
            flags = (flags & ~MessageFlags.SUPPRESS_EMBEDS) | (int(payload["flags"]) & MessageFlags.SUPPRESS_EMBEDS)
            if flags & MessageFlags.LOADING:
                flags |= int(payload["flags"]) & MessageFlags.IS_COMPONENTS_V2
        flags &= ~MessageFlags.LOADING  # any edit resolves a "thinking" message
        candidate["flags"] = flags
        if _is_empty_message(candidate):
            raise DiscordAPIError(400, 50006, "Cannot send an empty message")
        candidate["edited_timestamp"] = _now_iso()
        if "content" in payload:
            content = candidate["content"]
            candidate["mentions"] = [
                self.users[int(u)].to_dict() for u in dict.fromkeys(_MENTION_USER_RE.findall(content))
                if int(u) in self.users
            ]
        message.clear()
        message.update(candidate)
        self._notify()

    def _interaction_for_token(self, app_id: str, token: str) -> FakeInteraction:
        it = self._interactions_by_token.get(token)
        if it is None or int(app_id) != self.application_id:
            raise _unknown_webhook()
        return it

    def _check_token_alive(self, it: FakeInteraction) -> None:
        if not it.acknowledged:
            # Discord only creates the interaction webhook once the interaction is acknowledged.
            raise _unknown_webhook()
        assert it.acknowledged_at is not None
        if self.clock() - it.acknowledged_at > self.token_lifetime:
            raise DiscordAPIError(401, 50027, "Invalid Webhook Token")

    async def _interaction_callback(self, request: web.Request, body: Any, files: list[UploadedFile],
                                    interaction_id: str, token: str) -> Any:
        it = self.interactions.get(int(interaction_id)) if interaction_id.isdigit() else None
        if it is None or it.token != token:
            raise _unknown_interaction()
        try:
            if it.acknowledged:
                raise _already_acknowledged()
            if self._expired(it):
                raise _unknown_interaction()
            if not isinstance(body, dict) or "type" not in body:
                raise _form_error([("type", "BASE_TYPE_REQUIRED", "This field is required")])
            cb_type = int(body["type"])
            if cb_type not in _ALLOWED_CALLBACKS.get(it.type, frozenset()):
                raise DiscordAPIError(400, 40004 if cb_type == 1 else 50035,
                                      f"Interaction callback type {cb_type} is not valid for interaction type {it.type}")
            data: JSONDict = body.get("data") or {}
            if cb_type in (4, 7):
                _validate_message_payload(data, files)
            if cb_type == 8:
                _validate_choices(data)
            return await self._accept_callback(it, cb_type, body, data, files, request)
        except DiscordAPIError as exc:
            raise self._reject(it, request, body, exc)

    async def _accept_callback(self, it: FakeInteraction, cb_type: int, body: JSONDict, data: JSONDict,
                               files: list[UploadedFile], request: web.Request) -> Any:
        event: Optional[tuple[str, SentMessage]] = None
        resource_message: Optional[JSONDict] = None
        if cb_type == 4:
            flags = int(data.get("flags") or 0) & _SENDABLE_FLAGS
            message = self._message_from_payload(
                data, files, channel_id=it.channel_id, flags=flags, interaction=it,
                mtype=20 if it.type == InteractionType.APPLICATION_COMMAND else 0,
            )
            if _is_empty_message(message):
                raise DiscordAPIError(400, 50006, "Cannot send an empty message")
            it.original = self._new_sent(kind="interaction", channel_id=it.channel_id, payload=data, files=files,
                                         message=message, interaction=it)
            resource_message, event = message, ("MESSAGE_CREATE", it.original)
        elif cb_type == 5:
            flags = MessageFlags.LOADING | (int(data.get("flags") or 0) & MessageFlags.EPHEMERAL)
            message = self._message_from_payload(
                {}, [], channel_id=it.channel_id, flags=flags, interaction=it,
                mtype=20 if it.type == InteractionType.APPLICATION_COMMAND else 0,
            )
            it.original = self._new_sent(kind="interaction", channel_id=it.channel_id, payload=data, files=[],
                                         message=message, interaction=it)
            resource_message, event = message, ("MESSAGE_CREATE", it.original)
        elif cb_type in (6, 7):
            # Component interactions: the "original" is the message the component is on.
            assert it.source_message_id is not None
            source = self.messages.get(it.source_message_id)
            if source is None:
                raise _unknown_message()
            sent = self._sent_by_id.get(it.source_message_id)
            if cb_type == 7:
                self._apply_edit(source, data, files)
                if sent is not None:
                    sent.edits.append(data)
            if sent is not None:
                it.original = sent
                if cb_type == 7:
                    event = ("MESSAGE_UPDATE", sent)
            resource_message = source
        it.responses.append(InteractionCallback(type=cb_type, data=body.get("data"), files=files, payload=body))
        it.acknowledged_at = self.clock()
        self._notify()
        if event is not None:
            await self._echo(*event)
        if request.query.get("with_response") not in ("1", "true", "True"):
            return _NO_CONTENT
        # Shape discord.py 2.7's InteractionCallbackResponse reads (interactions.py): response_message_id is
        # what views get keyed by, so it must be the message id.
        interaction_info: JSONDict = {"id": str(it.id), "type": it.type}
        if resource_message is not None:
            interaction_info.update(
                response_message_id=resource_message["id"],
                response_message_loading=bool(int(resource_message.get("flags") or 0) & MessageFlags.LOADING),
                response_message_ephemeral=bool(int(resource_message.get("flags") or 0) & MessageFlags.EPHEMERAL),
            )
        result: JSONDict = {"interaction": interaction_info}
        if resource_message is not None:
            result["resource"] = {"type": cb_type, "message": resource_message}
        return result

    async def _webhook_execute(self, request: web.Request, body: Any, files: list[UploadedFile], app_id: str,
                               token: str) -> Any:
        it = self._interaction_for_token(app_id, token)
        try:
            self._check_token_alive(it)
            payload: JSONDict = body or {}
            _validate_message_payload(payload, files)
            original = it.original
            if original is not None and original.loading and not original.deleted:
                # The first follow-up after a "thinking" defer replaces the loading message: same id, and it keeps
                # the defer's ephemerality whatever the follow-up asked for.
                self._apply_edit(original.message, {k: v for k, v in payload.items() if k != "flags"}, files)
                sent = SentMessage(id=original.id, channel_id=original.channel_id, kind="followup", payload=payload,
                                   files=files, message=original.message, interaction=it, replaced_loading=True)
                self.sent.append(sent)
                it.followups.append(sent)
                self._notify()
                await self._echo("MESSAGE_UPDATE", original)
            else:
                flags = int(payload.get("flags") or 0) & _SENDABLE_FLAGS
                message = self._message_from_payload(payload, files, channel_id=it.channel_id, flags=flags,
                                                     interaction=it)
                if _is_empty_message(message):
                    raise DiscordAPIError(400, 50006, "Cannot send an empty message")
                sent = self._new_sent(kind="followup", channel_id=it.channel_id, payload=payload, files=files,
                                      message=message, interaction=it)
                it.followups.append(sent)
                self._notify()
                await self._echo("MESSAGE_CREATE", sent)
        except DiscordAPIError as exc:
            raise self._reject(it, request, body, exc)
        if request.query.get("wait") in ("1", "true", "True"):
            return sent.message
        return _NO_CONTENT

    def _webhook_target(self, it: FakeInteraction, message_id: str) -> SentMessage:
        if message_id == "@original":
            target = it.original
        else:
            target = self._sent_by_id.get(int(message_id)) if message_id.isdigit() else None
            if target is not None and target.interaction is not it and target is not it.original:
                target = None
        if target is None or target.deleted:
            raise _unknown_message()
        return target

    async def _webhook_get(self, request: web.Request, body: Any, files: Any, app_id: str, token: str,
                           message_id: str) -> Any:
        it = self._interaction_for_token(app_id, token)
        try:
            self._check_token_alive(it)
            return self._webhook_target(it, message_id).message
        except DiscordAPIError as exc:
            raise self._reject(it, request, body, exc)

    async def _webhook_edit(self, request: web.Request, body: Any, files: list[UploadedFile], app_id: str, token: str,
                            message_id: str) -> Any:
        it = self._interaction_for_token(app_id, token)
        try:
            self._check_token_alive(it)
            target = self._webhook_target(it, message_id)
            payload: JSONDict = body or {}
            self._apply_edit(target.message, payload, files)
        except DiscordAPIError as exc:
            raise self._reject(it, request, body, exc)
        target.edits.append(payload)
        it.edits.append({"target": message_id, "payload": payload})
        self._notify()
        await self._echo("MESSAGE_UPDATE", target)
        return target.message

    async def _webhook_delete(self, request: web.Request, body: Any, files: Any, app_id: str, token: str,
                              message_id: str) -> Any:
        it = self._interaction_for_token(app_id, token)
        try:
            self._check_token_alive(it)
            target = self._webhook_target(it, message_id)
        except DiscordAPIError as exc:
            raise self._reject(it, request, body, exc)
        await self._delete_sent(target)
        it.deleted.append(target.id)
        self._notify()
        return _NO_CONTENT

    async def _delete_sent(self, target: SentMessage) -> None:
        target.deleted = True
        self.messages.pop(target.id, None)
        history = self._history.get(target.channel_id, [])
        if target.id in history:
            history.remove(target.id)
        self._notify()
        await self._echo("MESSAGE_DELETE", target)

    # ------------------------------------------------------------------------------------------------ REST: channels

    def _channel(self, channel_id: str) -> JSONDict:
        channel = self.channels.get(int(channel_id)) if channel_id.isdigit() else None
        if channel is None:
            raise _unknown_channel()
        return channel

    def _channel_message(self, channel_id: str, message_id: str) -> JSONDict:
        self._channel(channel_id)
        message = self.messages.get(int(message_id)) if message_id.isdigit() else None
        if message is None or message["channel_id"] != channel_id or int(message.get("flags") or 0) & MessageFlags.EPHEMERAL:
            raise _unknown_message()
        return message

    def _require_bot_perm(self, channel_id: int, *perms: int) -> None:
        have = self.bot_channel_permissions(channel_id)
        for perm in perms:
            if have & perm != perm:
                raise _missing_permissions()

    async def _get_channel(self, request: web.Request, body: Any, files: Any, channel_id: str) -> Any:
        return self._channel(channel_id)

    async def _get_channel_messages(self, request: web.Request, body: Any, files: Any, channel_id: str) -> Any:
        self._channel(channel_id)
        self._require_bot_perm(int(channel_id), Perm.VIEW_CHANNEL, Perm.READ_MESSAGE_HISTORY)
        limit = int(request.query.get("limit", "50"))
        msgs = list(reversed(self.channel_messages(int(channel_id))))  # newest first, like Discord
        if "before" in request.query:
            msgs = [m for m in msgs if int(m["id"]) < int(request.query["before"])]
        if "after" in request.query:
            msgs = [m for m in msgs if int(m["id"]) > int(request.query["after"])]
        return msgs[:limit]

    async def _get_channel_message(self, request: web.Request, body: Any, files: Any, channel_id: str,
                                   message_id: str) -> Any:
        self._require_bot_perm(int(self._channel(channel_id)["id"]), Perm.VIEW_CHANNEL, Perm.READ_MESSAGE_HISTORY)
        return self._channel_message(channel_id, message_id)

    async def _create_channel_message(self, request: web.Request, body: Any, files: list[UploadedFile],
                                      channel_id: str) -> Any:
        channel = self._channel(channel_id)
        cid = int(channel_id)
        if channel["type"] != _CHANNEL_DM:
            send = Perm.SEND_MESSAGES_IN_THREADS if channel["type"] in _THREAD_TYPES else Perm.SEND_MESSAGES
            self._require_bot_perm(cid, Perm.VIEW_CHANNEL, send, *((Perm.ATTACH_FILES,) if files else ()))
        payload: JSONDict = body or {}
        _validate_message_payload(payload, files)
        referenced: Optional[JSONDict] = None
        ref = payload.get("message_reference")
        if ref and int(ref.get("type") or 0) == 0 and ref.get("message_id") is not None:
            referenced = self.messages.get(int(ref["message_id"]))
            ref_channel = str(ref.get("channel_id") or channel_id)
            if referenced is None or referenced["channel_id"] != ref_channel or ref_channel != channel_id:
                if ref.get("fail_if_not_exists", True):
                    raise _form_error([("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")])
                referenced = None
        flags = int(payload.get("flags") or 0) & (_SENDABLE_FLAGS & ~MessageFlags.EPHEMERAL)
        allowed = payload.get("allowed_mentions")
        # A reply pings the replied-to author unless allowed_mentions is present without replied_user=true.
        extra = [int(referenced["author"]["id"])] if referenced is not None and (
            allowed is None or allowed.get("replied_user")) else []
        message = self._message_from_payload(payload, files, channel_id=cid, flags=flags, interaction=None,
                                             mtype=19 if referenced is not None else 0, referenced=referenced)
        if extra:
            message["mentions"].extend(
                u for u in [self.users[extra[0]].to_dict()] if u["id"] not in {m["id"] for m in message["mentions"]}
            )
        if _is_empty_message(message):
            raise DiscordAPIError(400, 50006, "Cannot send an empty message")
        sent = self._new_sent(kind="channel", channel_id=cid, payload=payload, files=files, message=message)
        await self._echo("MESSAGE_CREATE", sent)
        return sent.message

    async def _edit_channel_message(self, request: web.Request, body: Any, files: list[UploadedFile], channel_id: str,
                                    message_id: str) -> Any:
        message = self._channel_message(channel_id, message_id)
        if int(message["author"]["id"]) != self.bot_user.id:
            raise DiscordAPIError(403, 50005, "Cannot edit a message authored by another user")
        payload: JSONDict = body or {}
        self._apply_edit(message, payload, files)
        sent = self._sent_by_id.get(int(message_id))
        if sent is not None:
            sent.edits.append(payload)
            await self._echo("MESSAGE_UPDATE", sent)
        self._notify()
        return message

    async def _delete_channel_message(self, request: web.Request, body: Any, files: Any, channel_id: str,
                                      message_id: str) -> Any:
        message = self._channel_message(channel_id, message_id)
        if int(message["author"]["id"]) != self.bot_user.id:
            self._require_bot_perm(int(channel_id), Perm.MANAGE_MESSAGES)
        sent = self._sent_by_id.get(int(message_id))
        if sent is not None:
            await self._delete_sent(sent)
        else:
            self.messages.pop(int(message_id), None)
            self._history.get(int(channel_id), []).remove(int(message_id))
            self._notify()
        return _NO_CONTENT

    async def _typing(self, request: web.Request, body: Any, files: Any, channel_id: str) -> Any:
        self._channel(channel_id)
        self.typing.append(TypingRecord(int(channel_id), self.clock()))
        return _NO_CONTENT

    async def _add_reaction(self, request: web.Request, body: Any, files: Any, channel_id: str, message_id: str,
                            emoji: str) -> Any:
        emoji = _normalize_emoji(emoji)
        message = self._channel_message(channel_id, message_id)
        self._require_bot_perm(int(channel_id), Perm.READ_MESSAGE_HISTORY)
        existing = next((r for r in message["reactions"] if _emoji_key(r["emoji"]) == emoji), None)
        if existing is None:
            # Adding a new reaction needs ADD_REACTIONS; piling onto an existing one does not.
            self._require_bot_perm(int(channel_id), Perm.ADD_REACTIONS)
            name, _, eid = emoji.partition(":")
            if eid and not eid.isdigit():
                raise DiscordAPIError(400, 10014, "Unknown Emoji")
            message["reactions"].append({"emoji": {"id": eid or None, "name": name}, "count": 1, "me": True,
                                         "burst_colors": [], "count_details": {"burst": 0, "normal": 1},
                                         "me_burst": False, "burst_count": 0})
        elif not existing["me"]:
            existing["me"] = True
            existing["count"] += 1
        self.reactions.append(ReactionRecord(int(channel_id), int(message_id), emoji, self.bot_user.id))
        return _NO_CONTENT

    async def _remove_reaction(self, request: web.Request, body: Any, files: Any, channel_id: str, message_id: str,
                               emoji: str) -> Any:
        emoji = _normalize_emoji(emoji)
        message = self._channel_message(channel_id, message_id)
        for reaction in list(message["reactions"]):
            if _emoji_key(reaction["emoji"]) == emoji and reaction["me"]:
                reaction["me"] = False
                reaction["count"] -= 1
                if reaction["count"] <= 0:
                    message["reactions"].remove(reaction)
        self.reactions.append(ReactionRecord(int(channel_id), int(message_id), emoji, self.bot_user.id, removed=True))
        return _NO_CONTENT

    def _thread_dict(self, thread_id: int, parent: JSONDict, payload: JSONDict, ttype: int) -> JSONDict:
        name = str(payload.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise _form_error([("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")])
        now = _now_iso()
        return {
            "id": str(thread_id),
            "type": ttype,
            "guild_id": str(self.guild_id),
            "parent_id": parent["id"],
            "owner_id": str(self.bot_user.id),
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": int(payload.get("rate_limit_per_user") or 0),
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(payload.get("auto_archive_duration") or 4320),
                "archive_timestamp": now,
                "locked": False,
                "invitable": bool(payload.get("invitable", True)),
                "create_timestamp": now,
            },
            "member": {"id": str(thread_id), "user_id": str(self.bot_user.id), "join_timestamp": now, "flags": 1},
        }

    async def _register_thread(self, thread: JSONDict, parent_id: int, message_id: Optional[int], payload: JSONDict) -> JSONDict:
        self.channels[int(thread["id"])] = thread
        self.threads.append(ThreadRecord(thread, parent_id, message_id, payload))
        self._notify()
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True}, intent=Intents.GUILDS)
        return thread

    async def _thread_from_message(self, request: web.Request, body: Any, files: Any, channel_id: str,
                                   message_id: str) -> Any:
        parent = self._channel(channel_id)
        if parent["type"] != _CHANNEL_TEXT:
            raise DiscordAPIError(400, 50024, "Cannot execute action on this channel type")
        message = self._channel_message(channel_id, message_id)
        self._require_bot_perm(int(channel_id), Perm.VIEW_CHANNEL, Perm.CREATE_PUBLIC_THREADS)
        if message.get("thread") or int(message_id) in self.channels:
            raise DiscordAPIError(400, 160004, "A thread has already been created for this message")
        payload: JSONDict = body or {}
        # Discord gives a thread started from a message the message's id.
        thread = self._thread_dict(int(message_id), parent, payload, _CHANNEL_PUBLIC_THREAD)
        message["thread"] = thread
        message["flags"] = int(message.get("flags") or 0) | MessageFlags.HAS_THREAD
        return 201, await self._register_thread(thread, int(channel_id), int(message_id), payload)

    async def _thread_without_message(self, request: web.Request, body: Any, files: Any, channel_id: str) -> Any:
        parent = self._channel(channel_id)
        if parent["type"] != _CHANNEL_TEXT:
            raise DiscordAPIError(400, 50024, "Cannot execute action on this channel type")
        payload: JSONDict = body or {}
        ttype = int(payload.get("type") or _CHANNEL_PRIVATE_THREAD)
        needed = Perm.CREATE_PUBLIC_THREADS if ttype == _CHANNEL_PUBLIC_THREAD else Perm.CREATE_PRIVATE_THREADS
        self._require_bot_perm(int(channel_id), Perm.VIEW_CHANNEL, needed)
        thread = self._thread_dict(self._snowflake(), parent, payload, ttype)
        return 201, await self._register_thread(thread, int(channel_id), None, payload)


# --------------------------------------------------------------------------------------------------------------------
# Module helpers
# --------------------------------------------------------------------------------------------------------------------


def _message_id(message: Union[int, str, JSONDict, SentMessage, Any]) -> int:
    if isinstance(message, SentMessage):
        return message.id
    if isinstance(message, dict):
        return int(message["id"])
    if isinstance(message, (int, str)):
        return int(message)
    return int(message.id)  # e.g. a discord.Message


def _custom_ids(message: JSONDict) -> list[str]:
    return [c["custom_id"] for c in _iter_components(message.get("components") or []) if "custom_id" in c]


def _normalize_emoji(raw: str) -> str:
    """Reaction path emoji -> "name:id" for custom emoji (discord.py sends ":name:id" / "a:name:id"), else unicode."""
    parts = raw.strip("<>").strip(":").split(":")
    if len(parts) == 3 and parts[0] == "a":  # animated custom emoji
        parts = parts[1:]
    return ":".join(parts) if len(parts) == 2 else raw


def _emoji_key(emoji: JSONDict) -> str:
    return f"{emoji['name']}:{emoji['id']}" if emoji.get("id") else str(emoji["name"])


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON body, or ``payload_json`` + file parts of a multipart/form-data body (what discord.py sends with files)."""
    files: list[UploadedFile] = []
    if not request.can_read_body:
        return None, files
    if request.content_type == "multipart/form-data":
        payload: Any = None
        extra: JSONDict = {}
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            elif part.filename is not None:
                files.append(UploadedFile(str(part.name), part.filename,
                                          part.headers.get("Content-Type"), bytes(await part.read())))
            elif part.name:
                extra[part.name] = await part.text()
        if payload is None:
            payload = extra or None
        return payload, files
    raw = await request.read()
    if not raw:
        return None, files
    try:
        return json.loads(raw), files
    except ValueError:
        return raw.decode("utf-8", "replace"), files


def all_text(message: Any) -> str:
    """Everything a person reads in a recorded message or response: content and embeds."""
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "", (embed.get("footer") or {}).get("text", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


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
