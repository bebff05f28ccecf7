"""Channel routes the bot calls: send, edit and delete messages, history, typing, reactions and threads, each checked
against the bot's permissions in that channel (403/50013)."""

from __future__ import annotations

from typing import Any, Optional

from aiohttp import web

from .constants import (
    CHANNEL_DM,
    CHANNEL_PRIVATE_THREAD,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_TEXT,
    SENDABLE_FLAGS,
    THREAD_TYPES,
    Intents,
    JSONDict,
    MessageFlags,
    Perm,
)
from .errors import DiscordAPIError, form_error, missing_permissions, unknown_channel, unknown_message
from .limits import is_empty_message, validate_message_payload
from .records import ReactionRecord, ThreadRecord, TypingRecord, UploadedFile, now_iso
from .rest import NO_CONTENT, Rest, Route


def _normalize_emoji(raw: str) -> str:
    """Reaction path emoji -> "name:id" for custom emoji (discord.py sends ":name:id" / "a:name:id"), else unicode."""
    parts = raw.strip("<>").strip(":").split(":")
    if len(parts) == 3 and parts[0] == "a":  # animated custom emoji
        parts = parts[1:]
    return ":".join(parts) if len(parts) == 2 else raw


def _emoji_key(emoji: JSONDict) -> str:
    return f"{emoji['name']}:{emoji['id']}" if emoji.get("id") else str(emoji["name"])


class Channels(Rest):
    """The channel REST routes."""

    def _routes(self) -> list[Route]:
        return super()._routes() + [
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
        ]

    def _channel(self, channel_id: str) -> JSONDict:
        channel = self.channels.get(int(channel_id)) if channel_id.isdigit() else None
        if channel is None:
            raise unknown_channel()
        return channel

    def _channel_message(self, channel_id: str, message_id: str) -> JSONDict:
        self._channel(channel_id)
        message = self.messages.get(int(message_id)) if message_id.isdigit() else None
        if message is None or message["channel_id"] != channel_id or int(message.get("flags") or 0) & MessageFlags.EPHEMERAL:
            raise unknown_message()
        return message

    def _require_bot_perm(self, channel_id: int, *perms: int) -> None:
        have = self.bot_channel_permissions(channel_id)
        for perm in perms:
            if have & perm != perm:
                raise missing_permissions()

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
        if channel["type"] != CHANNEL_DM:
            send = Perm.SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else Perm.SEND_MESSAGES
            self._require_bot_perm(cid, Perm.VIEW_CHANNEL, send, *((Perm.ATTACH_FILES,) if files else ()))
        payload: JSONDict = body or {}
        validate_message_payload(payload, files)
        referenced: Optional[JSONDict] = None
        ref = payload.get("message_reference")
        if ref and int(ref.get("type") or 0) == 0 and ref.get("message_id") is not None:
            referenced = self.messages.get(int(ref["message_id"]))
            ref_channel = str(ref.get("channel_id") or channel_id)
            if referenced is None or referenced["channel_id"] != ref_channel or ref_channel != channel_id:
                if ref.get("fail_if_not_exists", True):
                    raise form_error([("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")])
                referenced = None
        flags = int(payload.get("flags") or 0) & (SENDABLE_FLAGS & ~MessageFlags.EPHEMERAL)
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
        if is_empty_message(message):
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
        return NO_CONTENT

    async def _typing(self, request: web.Request, body: Any, files: Any, channel_id: str) -> Any:
        self._channel(channel_id)
        self.typing.append(TypingRecord(int(channel_id), self.clock()))
        return NO_CONTENT

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
        return NO_CONTENT

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
        return NO_CONTENT

    def _thread_dict(self, thread_id: int, parent: JSONDict, payload: JSONDict, ttype: int) -> JSONDict:
        name = str(payload.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise form_error([("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")])
        now = now_iso()
        return {
            "id": str(thread_id),
            "type": ttype,
            "guild_id": parent["guild_id"],
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
        if parent["type"] != CHANNEL_TEXT:
            raise DiscordAPIError(400, 50024, "Cannot execute action on this channel type")
        message = self._channel_message(channel_id, message_id)
        self._require_bot_perm(int(channel_id), Perm.VIEW_CHANNEL, Perm.CREATE_PUBLIC_THREADS)
        if message.get("thread") or int(message_id) in self.channels:
            raise DiscordAPIError(400, 160004, "A thread has already been created for this message")
        payload: JSONDict = body or {}
        # Discord gives a thread started from a message the message's id.
        thread = self._thread_dict(int(message_id), parent, payload, CHANNEL_PUBLIC_THREAD)
        message["thread"] = thread
        message["flags"] = int(message.get("flags") or 0) | MessageFlags.HAS_THREAD
        return 201, await self._register_thread(thread, int(channel_id), int(message_id), payload)

    async def _thread_without_message(self, request: web.Request, body: Any, files: Any, channel_id: str) -> Any:
        parent = self._channel(channel_id)
        if parent["type"] != CHANNEL_TEXT:
            raise DiscordAPIError(400, 50024, "Cannot execute action on this channel type")
        payload: JSONDict = body or {}
        ttype = int(payload.get("type") or CHANNEL_PRIVATE_THREAD)
        needed = Perm.CREATE_PUBLIC_THREADS if ttype == CHANNEL_PUBLIC_THREAD else Perm.CREATE_PRIVATE_THREADS
        self._require_bot_perm(int(channel_id), Perm.VIEW_CHANNEL, needed)
        thread = self._thread_dict(self._snowflake(), parent, payload, ttype)
        return 201, await self._register_thread(thread, int(channel_id), None, payload)
