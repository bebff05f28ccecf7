"""Application commands: bulk overwrite and single create (global and per guild), validated against Discord's limits,
ids kept across overwrites like Discord does."""

from __future__ import annotations

import copy
from typing import Any, Optional

from aiohttp import web

from .constants import JSONDict
from .errors import DiscordAPIError
from .limits import validate_commands
from .records import CommandSync
from .rest import NO_CONTENT, Rest, Route


class Commands(Rest):
    """The synced commands and their REST routes."""

    def _routes(self) -> list[Route]:
        return super()._routes() + [
            ("GET", "/applications/{app_id}/commands", self._get_global_commands, True),
            ("PUT", "/applications/{app_id}/commands", self._put_global_commands, True),
            ("POST", "/applications/{app_id}/commands", self._post_global_command, True),
            ("GET", "/applications/{app_id}/commands/{command_id}", self._get_command, True),
            ("DELETE", "/applications/{app_id}/commands/{command_id}", self._delete_command, True),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_guild_commands, True),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_guild_commands, True),
            ("POST", "/applications/{app_id}/guilds/{guild_id}/commands", self._post_guild_command, True),
        ]

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

    def _check_app(self, app_id: str) -> None:
        if int(app_id) != self.application_id:
            raise DiscordAPIError(403, 50001, "Missing Access")

    def _check_guild(self, guild_id: str) -> int:
        if int(guild_id) not in self.bot_guilds:
            raise DiscordAPIError(403, 50001, "Missing Access")
        return int(guild_id)

    async def _get_global_commands(self, request: web.Request, body: Any, files: Any, app_id: str) -> Any:
        self._check_app(app_id)
        return self._global_commands

    async def _put_global_commands(self, request: web.Request, body: Any, files: Any, app_id: str) -> Any:
        self._check_app(app_id)
        validate_commands(body)
        result = self._store_commands(None, body, replace=True)
        self.command_syncs.append(CommandSync(None, body, result))
        return result

    async def _post_global_command(self, request: web.Request, body: Any, files: Any, app_id: str) -> Any:
        self._check_app(app_id)
        validate_commands([body])
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
        return NO_CONTENT

    async def _get_guild_commands(self, request: web.Request, body: Any, files: Any, app_id: str, guild_id: str) -> Any:
        self._check_app(app_id)
        return self._guild_commands.get(self._check_guild(guild_id), [])

    async def _put_guild_commands(self, request: web.Request, body: Any, files: Any, app_id: str, guild_id: str) -> Any:
        self._check_app(app_id)
        gid = self._check_guild(guild_id)
        validate_commands(body)
        result = self._store_commands(gid, body, replace=True)
        self.command_syncs.append(CommandSync(gid, body, result))
        return result

    async def _post_guild_command(self, request: web.Request, body: Any, files: Any, app_id: str, guild_id: str) -> Any:
        self._check_app(app_id)
        gid = self._check_guild(guild_id)
        validate_commands([body])
        result = self._store_commands(gid, [body], replace=False)
        self.command_syncs.append(CommandSync(gid, body, result))
        return 201, result[0]
