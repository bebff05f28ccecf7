"""Messages in the fake guild: built from a user's post or the bot's payload, stored, edited, deleted, and echoed back
to the bot (with content blanked like Discord does without the message-content intent)."""

from __future__ import annotations

import copy
from typing import Any, Optional, Sequence

from .constants import CHANNEL_DM, MENTION_ROLE_RE, MENTION_USER_RE, Intents, InteractionType, JSONDict, MessageFlags
from .errors import DiscordAPIError
from .gateway import Gateway, GatewaySession
from .limits import is_empty_message, validate_message_payload
from .records import FakeInteraction, FakeUser, SentMessage, UploadedFile, now_iso


class Messages(Gateway):
    """Building, storing and echoing messages; shared by the channel and interaction routes and the driver."""

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
        mention_ids = [int(m) for m in MENTION_USER_RE.findall(content)] + list(extra_mentions)
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
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": tts,
            "mention_everyone": "@everyone" in content or "@here" in content,
            "mentions": mentions,
            "mention_roles": list(dict.fromkeys(MENTION_ROLE_RE.findall(content))),
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

    def _redact_for(self, session: GatewaySession, message: JSONDict) -> JSONDict:
        """Blank message content like Discord does for apps without the MESSAGE_CONTENT intent."""
        if session.intents & Intents.MESSAGE_CONTENT:
            return message
        channel = self.channels.get(int(message["channel_id"]), {})
        exempt = (
            int(message["author"]["id"]) == self.bot_user.id
            or channel.get("type") == CHANNEL_DM
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
        intent = Intents.DIRECT_MESSAGES if channel.get("type") == CHANNEL_DM else Intents.GUILD_MESSAGES
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
            intent = Intents.DIRECT_MESSAGES if channel.get("type") == CHANNEL_DM else Intents.GUILD_MESSAGES
            await self.dispatch(event, data, intent=intent)
            return
        await self._dispatch_message(event, sent.message)

    def channel_messages(self, channel_id: Optional[int] = None) -> list[JSONDict]:
        """Non-ephemeral messages (user and bot) in a channel, oldest first."""
        return [self.messages[m] for m in self._history.get(channel_id or self.channel_id, []) if m in self.messages]

    def bot_messages(self, channel_id: Optional[int] = None) -> list[SentMessage]:
        """Channel messages the bot sent via ``POST /channels/{id}/messages``."""
        return [s for s in self.sent if s.kind == "channel" and (channel_id is None or s.channel_id == channel_id)]

    def sent_message(self, message_id: int) -> Optional[SentMessage]:
        return self._sent_by_id.get(message_id)

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
        validate_message_payload(payload, files)
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
        if is_empty_message(candidate):
            raise DiscordAPIError(400, 50006, "Cannot send an empty message")
        candidate["edited_timestamp"] = now_iso()
        if "content" in payload:
            content = candidate["content"]
            candidate["mentions"] = [
                self.users[int(u)].to_dict() for u in dict.fromkeys(MENTION_USER_RE.findall(content))
                if int(u) in self.users
            ]
        message.clear()
        message.update(candidate)
        self._notify()

    async def _delete_sent(self, target: SentMessage) -> None:
        target.deleted = True
        self.messages.pop(target.id, None)
        history = self._history.get(target.channel_id, [])
        if target.id in history:
            history.remove(target.id)
        self._notify()
        await self._echo("MESSAGE_DELETE", target)
