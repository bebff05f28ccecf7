"""The REST server's plumbing (one aiohttp app on 127.0.0.1: routing, auth, request records, the CDN) and the small
routes: who the bot is, its application, the gateway address, the guild and its members."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from aiohttp import BodyPartReader, web

from .constants import Intents, JSONDict
from .errors import DiscordAPIError
from .messages import Messages
from .records import RecordedRequest, UploadedFile


Handler = Callable[..., Awaitable[Any]]
Route = tuple[str, str, Handler, bool]
NO_CONTENT = object()  # handler return value meaning "204 No Content"


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


class Rest(Messages):
    """The aiohttp app; every route module adds its own table through ``_routes()``."""

    def _routes(self) -> list[Route]:
        """(method, path below the API base, handler, needs the bot's token); each route module adds its own."""
        return [
            ("GET", "/users/@me", self._get_me, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/users/{user_id}", self._get_user, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True),
        ]

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        routes = self._routes()
        for prefix in ("/api/v10", "/api/v9"):
            for method, path, handler, auth in routes:
                app.router.add_route(method, prefix + path, self._wrap(handler, auth=auth, prefix=prefix))
            app.router.add_route("*", prefix + "/{tail:.*}", self._wrap(self._not_found, auth=False, prefix=prefix))
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn)
        return app

    def _wrap(self, handler: Handler, *, auth: bool, prefix: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
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
                if result is NO_CONTENT:
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
            **self._application_owner(),
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "bot": self.bot_user.to_dict(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
        }

    def _application_owner(self) -> JSONDict:
        """Who owns the application: ``fake.owner``, or the team in ``fake.team``, whose pseudo-user Discord then
        names as the owner (the team's id, flag 1 << 10)."""
        if self.team is None:
            return {"owner": self.owner.to_dict(), "team": None}
        team_id = self.application_id + 1
        members = [
            {"membership_state": 2, "team_id": str(team_id), "user": user.to_dict(), "role": role,
             "permissions": ["*"]}
            for user, role in self.team
        ]
        owner_user = self.team[0][0].id if self.team else self.owner.id
        pseudo = {"id": str(team_id), "username": f"team{team_id}", "discriminator": "0000", "global_name": None,
                  "avatar": None, "public_flags": 0, "flags": 1 << 10}
        return {"owner": pseudo,
                "team": {"id": str(team_id), "name": "citebot team", "icon": None, "owner_user_id": str(owner_user),
                         "members": members}}

    async def _get_gateway(self, request: web.Request, body: Any, files: Any) -> Any:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, request: web.Request, body: Any, files: Any) -> Any:
        return {
            "url": self.gateway_url,
            "shards": self.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    async def _get_guild(self, request: web.Request, body: Any, files: Any, guild_id: str) -> Any:
        if int(guild_id) not in self.bot_guilds:
            raise DiscordAPIError(404, 10004, "Unknown Guild")
        data = self._guild_create_payload(Intents.GUILDS, int(guild_id))
        for key in ("channels", "threads", "members", "voice_states", "presences"):
            data.pop(key, None)
        return data

    async def _get_member(self, request: web.Request, body: Any, files: Any, guild_id: str, user_id: str) -> Any:
        uid = int(user_id)
        if int(guild_id) not in self.bot_guilds or uid not in self.members:
            raise DiscordAPIError(404, 10007, "Unknown Member")
        return self._member_dict(self.users[uid])
