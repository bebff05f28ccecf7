"""How the bot answers interactions: the one initial callback (then 40060), expiry after ``interaction_timeout``
(10062), follow-ups (the first after a "thinking" defer replaces it), edits and deletes through the webhook token."""

from __future__ import annotations

from typing import Any, Optional

from aiohttp import web

from .constants import ALLOWED_CALLBACKS, SENDABLE_FLAGS, InteractionType, JSONDict, MessageFlags
from .errors import (
    DiscordAPIError,
    already_acknowledged,
    form_error,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from .limits import is_empty_message, validate_choices, validate_message_payload
from .records import FakeInteraction, InteractionCallback, RejectedCall, SentMessage, UploadedFile
from .rest import NO_CONTENT, Rest, Route


class Responses(Rest):
    """The interaction callback and webhook routes."""

    def _routes(self) -> list[Route]:
        return super()._routes() + [
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback, False),
            ("POST", "/webhooks/{app_id}/{token}", self._webhook_execute, False),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_get, False),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_edit, False),
            ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_delete, False),
        ]

    def _reject(self, it: Optional[FakeInteraction], request: web.Request, body: Any, error: DiscordAPIError) -> DiscordAPIError:
        if it is not None:
            it.rejected.append(RejectedCall(request.method, request.path, error.status, error.body, body))
        return error

    def _interaction_for_token(self, app_id: str, token: str) -> FakeInteraction:
        it = self._interactions_by_token.get(token)
        if it is None or int(app_id) != self.application_id:
            raise unknown_webhook()
        return it

    def _check_token_alive(self, it: FakeInteraction) -> None:
        if not it.acknowledged:
            # Discord only creates the interaction webhook once the interaction is acknowledged.
            raise unknown_webhook()
        assert it.acknowledged_at is not None
        if self.clock() - it.acknowledged_at > self.token_lifetime:
            raise DiscordAPIError(401, 50027, "Invalid Webhook Token")

    def _expired(self, it: FakeInteraction) -> bool:
        return it.force_expired or self.clock() - it.dispatched_at > self.interaction_timeout

    async def _interaction_callback(self, request: web.Request, body: Any, files: list[UploadedFile],
                                    interaction_id: str, token: str) -> Any:
        it = self.interactions.get(int(interaction_id)) if interaction_id.isdigit() else None
        if it is None or it.token != token:
            raise unknown_interaction()
        try:
            if it.acknowledged:
                raise already_acknowledged()
            if self._expired(it):
                raise unknown_interaction()
            if not isinstance(body, dict) or "type" not in body:
                raise form_error([("type", "BASE_TYPE_REQUIRED", "This field is required")])
            cb_type = int(body["type"])
            if cb_type not in ALLOWED_CALLBACKS.get(it.type, frozenset()):
                raise DiscordAPIError(400, 40004 if cb_type == 1 else 50035,
                                      f"Interaction callback type {cb_type} is not valid for interaction type {it.type}")
            data: JSONDict = body.get("data") or {}
            if cb_type in (4, 7):
                validate_message_payload(data, files)
            if cb_type == 8:
                validate_choices(data)
            return await self._accept_callback(it, cb_type, body, data, files, request)
        except DiscordAPIError as exc:
            raise self._reject(it, request, body, exc)

    async def _accept_callback(self, it: FakeInteraction, cb_type: int, body: JSONDict, data: JSONDict,
                               files: list[UploadedFile], request: web.Request) -> Any:
        event: Optional[tuple[str, SentMessage]] = None
        resource_message: Optional[JSONDict] = None
        if cb_type == 4:
            flags = int(data.get("flags") or 0) & SENDABLE_FLAGS
            message = self._message_from_payload(
                data, files, channel_id=it.channel_id, flags=flags, interaction=it,
                mtype=20 if it.type == InteractionType.APPLICATION_COMMAND else 0,
            )
            if is_empty_message(message):
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
                raise unknown_message()
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
            return NO_CONTENT
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
            validate_message_payload(payload, files)
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
                flags = int(payload.get("flags") or 0) & SENDABLE_FLAGS
                message = self._message_from_payload(payload, files, channel_id=it.channel_id, flags=flags,
                                                     interaction=it)
                if is_empty_message(message):
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
        return NO_CONTENT

    def _webhook_target(self, it: FakeInteraction, message_id: str) -> SentMessage:
        if message_id == "@original":
            target = it.original
        else:
            target = self._sent_by_id.get(int(message_id)) if message_id.isdigit() else None
            if target is not None and target.interaction is not it and target is not it.original:
                target = None
        if target is None or target.deleted:
            raise unknown_message()
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
        return NO_CONTENT
