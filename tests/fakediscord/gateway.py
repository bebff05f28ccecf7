"""The gateway websocket: HELLO, IDENTIFY (token, privileged intents and shard checked), READY and GUILD_CREATE,
heartbeats, and dispatching events to the connected bot.

Sharding is Discord's: a session that IDENTIFYs with ``shard: [id, count]`` gets READY and GUILD_CREATE for the guilds
on that shard only (``(guild_id >> 22) % count == id``), and every later event of a guild goes to the sessions holding
its shard; DMs, and events of no guild, go to shard 0. A session without ``shard`` is shard ``[0, 1]``: everything."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from aiohttp import WSMsgType, web

from .constants import Intents, JSONDict
from .state import State, shard_of


@dataclass
class GatewaySession:
    ws: web.WebSocketResponse
    query: dict[str, str]
    identified: bool = False
    intents: int = 0
    seq: int = 0
    session_id: str = ""
    shard: tuple[int, int] = (0, 1)  # (id, count) as IDENTIFY said
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def holds(self, guild_id: Optional[int]) -> bool:
        """Whether this session gets the events of ``guild_id`` (None: a DM, or no guild: shard 0)."""
        shard_id, count = self.shard
        return shard_id == (0 if guild_id is None else shard_of(guild_id, count))

    async def send(self, payload: JSONDict) -> None:
        async with self.lock:
            if payload.get("op") == 0:
                self.seq += 1
                payload = {**payload, "s": self.seq}
            if not self.ws.closed:
                with contextlib.suppress(ConnectionResetError):  # the bot hung up mid-send; it is going away
                    await self.ws.send_str(json.dumps(payload))


class Gateway(State):
    """Serves ``/gateway`` and dispatches events; permission changes are announced here so discord.py agrees."""

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(ws=ws, query=dict(request.query), session_id=secrets.token_hex(16))
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

    async def _gateway_close(self, session: GatewaySession, code: int, reason: str) -> None:
        self.gateway_closes.append((code, reason))
        await session.ws.close(code=code, message=reason.encode())
        self._notify()

    async def _gateway_receive(self, session: GatewaySession, msg: JSONDict) -> None:
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
            shard = data.get("shard") or [0, 1]
            if not (len(shard) == 2 and 0 <= int(shard[0]) < int(shard[1])):
                await self._gateway_close(session, 4010, "Invalid shard.")
                return
            session.intents, session.shard = intents, (int(shard[0]), int(shard[1]))
            guilds = [gid for gid in self.guilds if gid in self.bot_guilds and session.holds(gid)]
            await session.send(
                {
                    "op": 0,
                    "t": "READY",
                    "d": {
                        "v": 10,
                        "user": {**self.bot_user.to_dict(), "verified": True, "mfa_enabled": False, "flags": 0},
                        "guilds": [{"id": str(gid), "unavailable": True} for gid in guilds],
                        "session_id": session.session_id,
                        "resume_gateway_url": self.gateway_url,
                        "application": {"id": str(self.application_id), "flags": self.application_flags},
                        "private_channels": [],
                        "relationships": [],
                        "user_settings": {},
                        "presences": [],
                        "guild_join_requests": [],
                        "geo_ordered_rtc_regions": [],
                        "shard": list(session.shard),
                    },
                }
            )
            for gid in guilds:
                await session.send({"op": 0, "t": "GUILD_CREATE", "d": self._guild_create_payload(intents, gid)})
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
                        "guild_id": str(data.get("guild_id") or self.guild_id),
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
    def connected_shards(self) -> set[tuple[int, int]]:
        """The ``(id, count)`` of every identified session."""
        return {s.shard for s in self._sessions if s.identified and not s.ws.closed}

    @property
    def intents(self) -> int:
        """Intents of the (first) identified session."""
        for s in self._sessions:
            if s.identified:
                return s.intents
        return 0

    async def wait_until_connected(self, timeout: float = 5.0, *, shards: Optional[set[tuple[int, int]]] = None) -> None:
        """Until a bot has IDENTIFIED (or, given ``shards``, until a session holds each of them)."""
        await self.wait_until(lambda: shards <= self.connected_shards if shards else self.connected, timeout=timeout,
                              what=f"a bot to IDENTIFY{f' shards {sorted(shards)}' if shards else ''}")

    async def dispatch(self, event: str, data: JSONDict, *, intent: Optional[int] = None,
                       transform: Optional[Callable[[GatewaySession, JSONDict], JSONDict]] = None,
                       guild_id: Optional[int] = None) -> int:
        """Send a DISPATCH to every identified session holding the event's guild (``guild_id``, else the data's
        ``guild_id``; none: shard 0) and with ``intent`` if given. Nothing goes to a guild the bot is not in.
        Returns deliveries."""
        if guild_id is None and data.get("guild_id"):
            guild_id = int(data["guild_id"])
        if guild_id is not None and guild_id not in self.bot_guilds:
            return 0
        delivered = 0
        for session in list(self._sessions):
            if not session.identified or session.ws.closed or not session.holds(guild_id):
                continue
            if intent is not None and not session.intents & intent:
                continue
            payload = transform(session, data) if transform else data
            await session.send({"op": 0, "t": event, "d": payload})
            self.dispatched.append({"t": event, "d": payload, "intents": session.intents, "shard": session.shard})
            delivered += 1
        self._notify()
        return delivered

    async def remove_bot(self, guild_id: int) -> None:
        """The bot is kicked from (or leaves) a guild: GUILD_DELETE, and no more of its events."""
        await self.dispatch("GUILD_DELETE", {"id": str(guild_id)}, intent=Intents.GUILDS, guild_id=guild_id)
        self.bot_guilds.discard(guild_id)
        self._notify()

    async def invite_bot(self, guild_id: int) -> None:
        """The bot is invited to a guild (again): GUILD_CREATE to the session holding its shard."""
        self.bot_guilds.add(guild_id)
        for session in list(self._sessions):
            if session.identified and not session.ws.closed and session.holds(guild_id):
                payload = self._guild_create_payload(session.intents, guild_id)
                # A guild joined carries no "unavailable" (false means "back after an outage":
                # discord.py then says on_guild_available, not on_guild_join; discord-api-docs #4518).
                del payload["unavailable"]
                await session.send({"op": 0, "t": "GUILD_CREATE", "d": payload})
        self._notify()

    def _require_connected(self) -> None:
        if not self.connected:
            raise RuntimeError("no bot is connected to the fake gateway")

    async def set_bot_permissions(self, permissions: int, *, channel_id: Optional[int] = None) -> None:
        """Change what the bot may do, guild-wide or in one channel, and tell a connected bot (role/channel update)
        so discord.py's own ``permissions_for`` agrees with what the fake enforces."""
        if channel_id is None:
            self.bot_permissions = permissions
            self.roles[self._bot_role_id]["permissions"] = str(permissions)
            for gid in self.guilds:  # the bot's role is in every guild
                await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(gid), "role": self.roles[self._bot_role_id]},
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
            for gid in self.guilds:  # permission roles are shared by every guild
                await self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(gid), "role": self.roles[rid]},
                                    intent=Intents.GUILDS)
        return self._perm_roles[perms]
