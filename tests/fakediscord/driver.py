"""What a test does as a Discord user: run a slash command, type into an autocomplete, click a component, post a
message; each refused (:class:`CommandUnavailable`) where Discord's client would not let that user do it."""

from __future__ import annotations

import copy
import secrets
from typing import Any, Mapping, Optional, Sequence, Union

from .commands import Commands
from .constants import (
    ALL_PERMISSIONS,
    MENTION_USER_RE,
    OPT_ATTACHMENT,
    OPT_BOOLEAN,
    OPT_CHANNEL,
    OPT_INTEGER,
    OPT_MENTIONABLE,
    OPT_NUMBER,
    OPT_ROLE,
    OPT_STRING,
    OPT_SUB_COMMAND,
    OPT_SUB_COMMAND_GROUP,
    OPT_USER,
    InteractionType,
    JSONDict,
    Perm,
)
from .errors import CommandUnavailable
from .records import FakeInteraction, FakeUser, SentMessage, component_ids, iter_components, message_id_of


class Driver(Commands):
    """The user's side of the fake: each action dispatches what Discord would and returns its record."""

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
            gid = self._interaction_guild(cid)
        else:
            cid = channel_id or self.dm_channel_id(user)
            gid = None
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
                guild_id=str(gid),
                guild={"id": str(gid), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=self._member_dict(user, permissions=perms, role_ids=[str(role_id)] if role_id else []),
                context=0,
                authorizing_integration_owners={"0": str(gid)},
            )
        else:
            payload.update(user=user.to_dict(), context=1, authorizing_integration_owners={"0": str(self.guild_id)})
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        record = FakeInteraction(
            id=iid, token=token, type=itype, payload=payload, user=user,
            guild_id=gid, channel_id=cid, dispatched_at=self.clock(), _fake=self,
        )
        if message is not None:
            record.source_message_id = int(message["id"])
        self.interactions[iid] = record
        self._interactions_by_token[token] = record
        await self.dispatch("INTERACTION_CREATE", payload)  # not gated by any intent
        return record

    def _interaction_guild(self, channel_id: int) -> int:
        """The guild of a guild channel an interaction happens in; refused where the bot is not (its commands are
        gone from a guild it was removed from)."""
        gid = self.guild_of(channel_id) if channel_id in self.channels else None
        if gid is None:
            raise ValueError(f"{channel_id} is not a guild channel of the fake")
        if gid not in self.bot_guilds:
            raise CommandUnavailable(f"the bot is not in guild {gid}: its commands are not there")
        return gid

    def _lookup_command(self, name: str, *, guild_id: Optional[int]) -> JSONDict:
        top = name.split()[0]
        cmd = self.command(top, guild_id=guild_id)
        if cmd is None:
            raise CommandUnavailable(f"/{top} is not synced ({'guild+global' if guild_id else 'global'} commands: "
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
        if otype == OPT_STRING:
            value = str(value)
            if opt.get("min_length") is not None and len(value) < opt["min_length"]:
                raise CommandUnavailable(f"{name}: shorter than min_length {opt['min_length']}")
            if opt.get("max_length") is not None and len(value) > opt["max_length"]:
                raise CommandUnavailable(f"{name}: longer than max_length {opt['max_length']}")
        elif otype in (OPT_INTEGER, OPT_NUMBER):
            value = int(value) if otype == OPT_INTEGER else float(value)
            if opt.get("min_value") is not None and value < opt["min_value"]:
                raise CommandUnavailable(f"{name}: below min_value {opt['min_value']}")
            if opt.get("max_value") is not None and value > opt["max_value"]:
                raise CommandUnavailable(f"{name}: above max_value {opt['max_value']}")
        elif otype == OPT_BOOLEAN:
            value = bool(value)
        elif otype in (OPT_USER, OPT_MENTIONABLE) and isinstance(value, FakeUser):
            self.users.setdefault(value.id, value)
            resolved.setdefault("users", {})[str(value.id)] = value.to_dict()
            if guild and value.id in self.members:
                resolved.setdefault("members", {})[str(value.id)] = self._member_dict(
                    value, include_user=False, permissions=self.member_permissions(value))
            value = str(value.id)
        elif otype == OPT_USER:
            user = self.users[int(value)]
            return self._option_value(opt, user, resolved, guild)
        elif otype == OPT_CHANNEL:
            cid = int(value["id"]) if isinstance(value, dict) else int(value)
            channel = self.channels[cid]
            resolved.setdefault("channels", {})[str(cid)] = {
                k: channel[k] for k in ("id", "type", "name", "parent_id", "guild_id") if k in channel
            } | {"permissions": str(self.member_permissions(self.user))}
            value = str(cid)
        elif otype == OPT_ROLE:
            rid = int(value)
            resolved.setdefault("roles", {})[str(rid)] = self.roles[rid]
            value = str(rid)
        elif otype == OPT_ATTACHMENT:
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
                      override: Optional[int], channel_id: Optional[int] = None) -> JSONDict:
        parts = name.split()
        if len(parts) == 3:
            group, subcommand = parts[1], parts[2]
        elif len(parts) == 2:
            subcommand = parts[1]
        cmd = self._lookup_command(parts[0], guild_id=self._interaction_guild(channel_id or self.channel_id) if guild else None)
        self._check_command_access(cmd, user, guild=guild, override=override)
        resolved: JSONDict = {}
        schema: Sequence[JSONDict] = cmd.get("options") or []
        wrap: list[tuple[int, str]] = []
        for kind, sub in ((OPT_SUB_COMMAND_GROUP, group), (OPT_SUB_COMMAND, subcommand)):
            if sub is None:
                continue
            match = next((o for o in schema if o["name"] == sub and int(o["type"]) == kind), None)
            if match is None:
                raise CommandUnavailable(f"/{cmd['name']} has no {'group' if kind == 2 else 'subcommand'} {sub!r}")
            wrap.append((kind, sub))
            schema = match.get("options") or []
        if any(int(o["type"]) in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP) for o in schema):
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
                                  user=user, override=override, channel_id=channel_id)
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
                                  user=user, override=override, channel_id=channel_id)
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
        mid = message_id_of(message)
        current = self.messages.get(mid)
        if current is None:
            raise CommandUnavailable(f"message {mid} does not exist (deleted?)")
        comp = next((c for c in iter_components(current.get("components") or []) if c.get("custom_id") == custom_id), None)
        if comp is None:
            raise CommandUnavailable(f"message {mid} has no component {custom_id!r} (has {component_ids(current)})")
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
        if mentions_bot and self.bot_user.id not in {int(m) for m in MENTION_USER_RE.findall(content)}:
            content = f"{self.bot_user.mention} {content}"
        atts: list[JSONDict] = []
        for item in attachments:
            if isinstance(item, str):
                atts.append(self._attachments_by_url[item].to_dict())
            else:
                atts.append(self._store_attachment(item[0], item[1], item[2], cid).to_dict())
        referenced: Optional[JSONDict] = None
        if reply_to is not None:
            referenced = self.messages.get(message_id_of(reply_to))
            if referenced is None:
                raise ValueError(f"cannot reply to unknown message {message_id_of(reply_to)}")
        extra_mentions = [int(referenced["author"]["id"])] if referenced is not None and reply_mention else []
        message = self._make_message(
            channel_id=cid, author=author, content=content, attachments=atts, referenced=referenced,
            extra_mentions=extra_mentions,
        )
        self._store_message(message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        return message
