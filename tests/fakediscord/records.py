"""What the fake records: users, requests, the bot's messages and interaction responses, reactions, typing, threads;
each a dataclass a test reads (``SentMessage.pings()`` applies ``allowed_mentions`` like Discord does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from .constants import MENTION_ROLE_RE, MENTION_USER_RE, JSONDict, MessageFlags

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .server import FakeDiscord


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
        return [c["custom_id"] for c in iter_components(self.components) if "custom_id" in c]

    def pings(self) -> JSONDict:
        """Who would actually be notified, applying ``allowed_mentions`` like Discord does.

        Returns ``{"users": set[int], "roles": set[int], "everyone": bool, "replied_user": bool}``.
        """
        return compute_pings(self.content, self.allowed_mentions, replying=self.reply_to is not None)


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
class CdnFile:
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


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def iter_components(components: Iterable[JSONDict]) -> Iterable[JSONDict]:
    """Walk action rows / containers / sections depth-first."""
    for comp in components:
        yield comp
        for key in ("components", "accessory"):
            child = comp.get(key)
            if isinstance(child, list):
                yield from iter_components(child)
            elif isinstance(child, dict):
                yield from iter_components([child])


def compute_pings(content: str, allowed: Optional[JSONDict], *, replying: bool) -> JSONDict:
    users = {int(m) for m in MENTION_USER_RE.findall(content)}
    roles = {int(m) for m in MENTION_ROLE_RE.findall(content)}
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


def message_id_of(message: Union[int, str, JSONDict, SentMessage, Any]) -> int:
    if isinstance(message, SentMessage):
        return message.id
    if isinstance(message, dict):
        return int(message["id"])
    if isinstance(message, (int, str)):
        return int(message)
    return int(message.id)  # e.g. a discord.Message


def component_ids(message: JSONDict) -> list[str]:
    return [c["custom_id"] for c in iter_components(message.get("components") or []) if "custom_id" in c]


def all_text(message: Any) -> str:
    """Everything a person reads in a recorded message or response: content and embeds."""
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "", (embed.get("footer") or {}).get("text", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)
