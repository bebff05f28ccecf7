"""Everything the fake knows: its settings, the guilds (users, roles, channels, permissions, attachments), messages and
the records of what the bot did, and the one way to wait for any of it to change (``wait_until``).

The first guild is the one every test has (``fake.guild_id``, ``fake.channel_id``); :meth:`State.add_guild` adds more,
placed on a shard when asked. Every user is a member of every guild, with the same permission bits, and the owner owns
them all: tests about many servers are about where things go, not about who belongs where."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, TypeVar, Union
from urllib.parse import quote

from aiohttp import web

from .constants import (
    ALL_PERMISSIONS,
    CHANNEL_DM,
    CHANNEL_TEXT,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DISCORD_EPOCH_MS,
    THREAD_TYPES,
    Intents,
    JSONDict,
    Perm,
)
from .records import (
    CdnFile,
    CommandSync,
    FakeInteraction,
    FakeUser,
    ReactionRecord,
    RecordedRequest,
    SentMessage,
    ThreadRecord,
    TypingRecord,
    now_iso,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .gateway import GatewaySession


T = TypeVar("T")


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord puts a guild on: ``(guild_id >> 22) % shard_count``; DMs are on shard 0."""
    return (guild_id >> 22) % shard_count


@dataclass
class FakeGuild:
    """A guild added with :meth:`State.add_guild`: its id, name and text channels (name -> id)."""

    id: int
    name: str
    channels: dict[str, int] = field(default_factory=dict)

    @property
    def channel_id(self) -> int:
        """Its first text channel."""
        return next(iter(self.channels.values()))


class State:
    """The fake's state, shared by the modules that serve, dispatch and drive it (see :class:`FakeDiscord`)."""

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
        #: The shard count ``GET /gateway/bot`` recommends (what discord.py's AutoShardedClient runs when not told).
        self.shard_count = 1
        #: The application's team, if a team owns it: ``(user, role)`` with role ``admin``, ``developer`` or
        #: ``read_only``. ``GET /oauth2/applications/@me`` then names the team's pseudo-user as the owner, as Discord does.
        self.team: Optional[list[tuple[FakeUser, str]]] = None
        #: Dispatch MESSAGE_CREATE/UPDATE/DELETE for the bot's own non-ephemeral messages, like Discord does.
        self.echo_bot_messages = echo_bot_messages
        #: Time source for interaction expiry; tests may replace it to "advance time" deterministically.
        self.clock = clock

        self._ids_last = 0
        self.bot_user = FakeUser(self._snowflake(), bot_name, bot=True)
        self.application_id: int = self.bot_user.id
        self.guild_id: int = self._snowflake()
        self.guild_name = guild_name
        #: Every guild, the first one first (id -> name), and the ones the bot is in now (see remove_bot/invite_bot).
        self.guilds: dict[int, str] = {self.guild_id: guild_name}
        self.bot_guilds: set[int] = {self.guild_id}
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
        self._joined_at = now_iso()

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
            self.channels[cid] = self._text_channel_dict(cid, name, i, self.guild_id)
        #: The first text channel ("general").
        self.channel_id: int = next(iter(self.channels))
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id

        # Message store: every message (user or bot, incl. ephemeral) by id, and channel history order.
        self.messages: dict[int, JSONDict] = {}
        self._history: dict[int, list[int]] = {}
        self._attachments: dict[int, CdnFile] = {}
        self._attachments_by_url: dict[str, CdnFile] = {}

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

        self._sessions: list[GatewaySession] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: Optional[web.AppRunner] = None
        self.port: int = 0

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

    def _snowflake(self, *, shard: Optional[tuple[int, int]] = None) -> int:
        """A new id, later than every earlier one; on shard ``(id, count)`` if given (a guild's shard is its id's
        timestamp modulo the count, so the timestamp moves on a millisecond at a time until it fits)."""
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if candidate <= self._ids_last:
            candidate = self._ids_last + 1
        if shard is not None:
            while shard_of(candidate, shard[1]) != shard[0]:
                candidate = ((candidate >> 22) + 1) << 22
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

    def _text_channel_dict(self, cid: int, name: str, position: int, guild_id: int) -> JSONDict:
        return {
            "id": str(cid),
            "type": CHANNEL_TEXT,
            "guild_id": str(guild_id),
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

    def add_channel(self, name: str, *, guild_id: Optional[int] = None) -> int:
        """Add a text channel to a guild (the first by default), before the bot connects, or it will not be in the
        bot's cache."""
        gid = guild_id or self.guild_id
        cid = self._snowflake()
        position = sum(1 for c in self.channels.values() if c.get("guild_id") == str(gid))
        self.channels[cid] = self._text_channel_dict(cid, name, position, gid)
        return cid

    def add_guild(self, name: str, *, channel_names: Sequence[str] = ("general",),
                  shard: Optional[tuple[int, int]] = None) -> FakeGuild:
        """Add a guild the bot is in, with its own @everyone role and text channels, on shard ``(id, count)`` if
        given. Add it before the bot connects (or announce it with :meth:`invite_bot`)."""
        gid = self._snowflake(shard=shard)
        self.guilds[gid] = name
        self.bot_guilds.add(gid)
        self.roles[gid] = self._role_dict(gid, "@everyone", self.everyone_permissions, 0)
        guild = FakeGuild(gid, name)
        for channel in channel_names:
            guild.channels[channel] = self.add_channel(channel, guild_id=gid)
        return guild

    def guild_of(self, channel_id: int) -> Optional[int]:
        """The guild a channel (or thread) belongs to; None for a DM."""
        gid = self.channels.get(channel_id, {}).get("guild_id")
        return int(gid) if gid else None

    def guild_roles(self, guild_id: int) -> list[JSONDict]:
        """A guild's roles: its own @everyone, then the roles every guild shares (the bot's, the permission roles)."""
        return [role for rid, role in self.roles.items() if rid == guild_id or rid not in self.guilds]

    def add_attachment(self, filename: str, data: bytes, content_type: str = "application/octet-stream",
                       *, channel_id: Optional[int] = None) -> str:
        """Serve ``data`` from this server's CDN route and return its URL (use it in messages or options)."""
        return self._store_attachment(filename, data, content_type, channel_id or self.channel_id).url

    def attachment_bytes(self, url: str) -> bytes:
        return self._attachments_by_url[url].data

    def _store_attachment(self, filename: str, data: bytes, content_type: Optional[str], channel_id: int) -> CdnFile:
        aid = self._snowflake()
        url = f"{self.base_url}/attachments/{channel_id}/{aid}/{quote(filename, errors='surrogatepass')}"
        att = CdnFile(aid, channel_id, filename, data, content_type or "application/octet-stream", url)
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
                "type": CHANNEL_DM,
                "recipients": [user.to_dict()],
                "last_message_id": None,
                "flags": 0,
            }
        return self._dm_channels[user.id]

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
        if channel is None or channel["type"] == CHANNEL_DM:
            return DEFAULT_BOT_PERMISSIONS | self.bot_permissions
        if channel["type"] in THREAD_TYPES:
            channel_id = int(channel["parent_id"])
        return self._channel_bot_perms.get(channel_id, self.member_permissions(self.bot_user))

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

    def _guild_create_payload(self, intents: int, guild_id: Optional[int] = None) -> JSONDict:
        gid = guild_id or self.guild_id
        # Without GUILD_MEMBERS Discord only includes the bot itself in GUILD_CREATE.
        member_ids = self.members if intents & Intents.GUILD_MEMBERS else {self.bot_user.id}
        for uid in member_ids:
            perms = self.users[uid].permissions
            if uid != self.bot_user.id and perms and perms not in self._perm_roles:
                rid = self._snowflake()
                self._perm_roles[perms] = rid
                self.roles[rid] = self._role_dict(rid, f"perms-{perms:#x}", perms, len(self.roles))
        mine = [c for c in self.channels.values() if c.get("guild_id") == str(gid)]
        guild_channels = [c for c in mine if c["type"] not in THREAD_TYPES]
        threads = [c for c in mine if c["type"] in THREAD_TYPES]
        return {
            "id": str(gid),
            "name": self.guild_name if gid == self.guild_id else self.guilds[gid],
            "icon": None,
            "owner_id": str(self.owner.id),
            "roles": self.guild_roles(gid),
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
            "system_channel_id": guild_channels[0]["id"] if guild_channels else None,
            "system_channel_flags": 0,
            "afk_timeout": 300,
        }

    def _resolve_user(self, user: Optional[FakeUser]) -> FakeUser:
        user = user or self.user
        self.users.setdefault(user.id, user)
        return user

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
