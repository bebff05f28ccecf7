"""The gateway websocket: HELLO, IDENTIFY (token and privileged intents checked), READY and GUILD_CREATE, heartbeats,
and dispatching events to the connected bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from aiohttp import WSMsgType, web

from .constants import Intents, JSONDict
from .state import State


@dataclass
class GatewaySession:
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
                       transform: Optional[Callable[[GatewaySession, JSONDict], JSONDict]] = None) -> int:
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
