"""Discord's documented limits on what a bot sends (message, embed, component, autocomplete and command payloads),
checked like Discord does: an answer over a limit is a 400 Invalid Form Body naming the field."""

from __future__ import annotations

from typing import Any, Sequence

from .constants import COMMAND_NAME_RE, OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP, JSONDict, MessageFlags
from .errors import form_error
from .records import UploadedFile, iter_components


def _check_url(value: Any) -> bool:
    return isinstance(value, str) and (
        value.startswith("http://") or value.startswith("https://") or value.startswith("attachment://")
    )


def _validate_embeds(embeds: Any, problems: list[tuple[str, str, str]]) -> None:
    if not isinstance(embeds, list):
        problems.append(("embeds", "LIST_TYPE_CONVERT", "Must be a list."))
        return
    if len(embeds) > 10:
        problems.append(("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
    total = 0
    limits = {"title": 256, "description": 4096}
    for i, embed in enumerate(embeds):
        p = f"embeds.{i}"
        for key, limit in limits.items():
            value = embed.get(key)
            if value is not None:
                total += len(str(value))
                if len(str(value)) > limit:
                    problems.append((f"{p}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))
        for key in ("url",):
            if embed.get(key) is not None and not _check_url(embed[key]):
                problems.append((f"{p}.{key}", "URL_TYPE_INVALID_URL", "Not a well formed URL."))
        for key in ("image", "thumbnail"):
            sub = embed.get(key)
            if sub is not None and not _check_url(sub.get("url")):
                problems.append((f"{p}.{key}.url", "URL_TYPE_INVALID_URL", "Not a well formed URL."))
        author = embed.get("author")
        if author:
            name = str(author.get("name") or "")
            total += len(name)
            if not name:
                problems.append((f"{p}.author.name", "BASE_TYPE_REQUIRED", "This field is required"))
            if len(name) > 256:
                problems.append((f"{p}.author.name", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."))
            if author.get("url") is not None and not _check_url(author["url"]):
                problems.append((f"{p}.author.url", "URL_TYPE_INVALID_URL", "Not a well formed URL."))
        footer = embed.get("footer")
        if footer:
            text = str(footer.get("text") or "")
            total += len(text)
            if len(text) > 2048:
                problems.append((f"{p}.footer.text", "BASE_TYPE_MAX_LENGTH", "Must be 2048 or fewer in length."))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append((f"{p}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        for j, fld in enumerate(fields):
            name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
            total += len(name) + len(value)
            if not name:
                problems.append((f"{p}.fields.{j}.name", "BASE_TYPE_REQUIRED", "This field is required"))
            if not value:
                problems.append((f"{p}.fields.{j}.value", "BASE_TYPE_REQUIRED", "This field is required"))
            if len(name) > 256:
                problems.append((f"{p}.fields.{j}.name", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."))
            if len(value) > 1024:
                problems.append(
                    (f"{p}.fields.{j}.value", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")
                )
    if total > 6000:
        problems.append(("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"))


def _validate_components(components: Any, flags: int, problems: list[tuple[str, str, str]]) -> None:
    if not isinstance(components, list):
        problems.append(("components", "LIST_TYPE_CONVERT", "Must be a list."))
        return
    v2 = bool(flags & MessageFlags.IS_COMPONENTS_V2)
    if not v2 and len(components) > 5:
        problems.append(("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
    seen: set[str] = set()
    for i, row in enumerate(components):
        if not v2 and row.get("type") != 1:
            problems.append((f"components.{i}.type", "BASE_TYPE_CHOICES", "Value must be one of {1}."))
            continue
        children = row.get("components") or []
        # An action row holds 1-5 buttons, or exactly one select menu.
        has_non_button = any(c.get("type") != 2 for c in children)
        if row.get("type") == 1 and (not 1 <= len(children) <= 5 or (has_non_button and len(children) != 1)):
            problems.append((f"components.{i}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."))
    for k, comp in enumerate(iter_components(components)):
        ctype = comp.get("type")
        cid = comp.get("custom_id")
        if cid is not None:
            if len(cid) > 100:
                problems.append((f"components.{k}.custom_id", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
            if cid in seen:
                problems.append(("components", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"))
            seen.add(cid)
        if ctype == 2:  # button
            style = comp.get("style")
            if style == 5:
                if not _check_url(comp.get("url")) or cid is not None:
                    problems.append((f"components.{k}.url", "URL_TYPE_INVALID_URL", "Link buttons need a url and no custom_id."))
            elif style != 6 and not cid:
                problems.append((f"components.{k}.custom_id", "BASE_TYPE_REQUIRED", "This field is required"))
            if len(str(comp.get("label") or "")) > 80:
                problems.append((f"components.{k}.label", "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length."))
            if not comp.get("label") and not comp.get("emoji") and style != 6:
                problems.append((f"components.{k}", "BUTTON_COMPONENT_INVALID", "A button needs a label or an emoji."))
        elif ctype == 3:  # string select
            options = comp.get("options") or []
            if not 1 <= len(options) <= 25:
                problems.append((f"components.{k}.options", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."))
            for j, opt in enumerate(options):
                for key in ("label", "value", "description"):
                    if len(str(opt.get(key) or "")) > 100:
                        problems.append(
                            (f"components.{k}.options.{j}.{key}", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
                        )
            if len(str(comp.get("placeholder") or "")) > 150:
                problems.append((f"components.{k}.placeholder", "BASE_TYPE_MAX_LENGTH", "Must be 150 or fewer in length."))


def validate_message_payload(payload: JSONDict, files: Sequence[UploadedFile]) -> None:
    """Check a message create/edit body against Discord's documented limits; raise 400 like Discord."""
    problems: list[tuple[str, str, str]] = []
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            problems.append(("content", "BASE_TYPE_STRING", "Must be a string."))
        elif len(content) > 2000:
            problems.append(("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
    if payload.get("embeds") is not None:
        _validate_embeds(payload["embeds"], problems)
    flags = int(payload.get("flags") or 0)
    if payload.get("components") is not None:
        _validate_components(payload["components"], flags, problems)
    if flags & MessageFlags.IS_COMPONENTS_V2 and (content or payload.get("embeds")):
        problems.append(("content", "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                         "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2"))
    allowed = payload.get("allowed_mentions")
    if allowed is not None:
        parse = allowed.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and allowed.get(kind):
                problems.append(
                    ("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                     f"parse:[\"{kind}\"] and {kind}: [ids...] are mutually exclusive.")
                )
        for kind in parse:
            if kind not in ("users", "roles", "everyone"):
                problems.append(("allowed_mentions.parse", "BASE_TYPE_CHOICES", "Value must be one of users, roles, everyone."))
    for i, att in enumerate(payload.get("attachments") or []):
        # New uploads reference files by index ("id": 0 -> files[0]); existing attachments use their snowflake.
        att_id = att.get("id")
        if isinstance(att_id, int) and att_id < 1000 and att_id >= len(files):
            problems.append((f"attachments.{i}.id", "ATTACHMENT_NOT_FOUND", "Attachment data not found"))
    if problems:
        raise form_error(problems)


def is_empty_message(message: JSONDict) -> bool:
    return not (
        message.get("content")
        or message.get("embeds")
        or message.get("attachments")
        or message.get("components")
        or message.get("sticker_items")
        or message.get("poll")
    )


def validate_choices(data: JSONDict) -> None:
    problems: list[tuple[str, str, str]] = []
    choices = data.get("choices")
    if not isinstance(choices, list):
        problems.append(("data.choices", "BASE_TYPE_REQUIRED", "This field is required"))
    else:
        if len(choices) > 25:
            problems.append(("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        for i, choice in enumerate(choices):
            name = str(choice.get("name") or "")
            if not 1 <= len(name) <= 100:
                problems.append((f"data.choices.{i}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
            value = choice.get("value")
            if isinstance(value, str) and len(value) > 100:
                problems.append((f"data.choices.{i}.value", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
    if problems:
        raise form_error(problems)


def _command_size(obj: Any) -> int:
    """Characters Discord counts against the 4000 per-command limit (names, descriptions, choice names/values)."""
    total = 0
    if isinstance(obj, dict):
        for key in ("name", "description"):
            if isinstance(obj.get(key), str):
                total += len(obj[key])
        for choice in obj.get("choices") or []:
            total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
        for opt in obj.get("options") or []:
            total += _command_size(opt)
    return total


def _validate_options(options: Any, path: str, problems: list[tuple[str, str, str]], depth: int = 0) -> None:
    if not options:
        return
    if len(options) > 25:
        problems.append((path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        p = f"{path}.{i}"
        name = str(opt.get("name") or "")
        if not COMMAND_NAME_RE.match(name) or name != name.lower():
            problems.append((f"{p}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        if name in names:
            problems.append((f"{p}.name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option name already exists"))
        names.add(name)
        desc = str(opt.get("description") or "")
        if not 1 <= len(desc) <= 100:
            problems.append((f"{p}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        otype = opt.get("type")
        if otype in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP):
            if depth >= 2 or (otype == OPT_SUB_COMMAND_GROUP and depth >= 1):
                problems.append((f"{p}.type", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-command nesting too deep"))
            _validate_options(opt.get("options"), f"{p}.options", problems, depth + 1)
            continue
        if opt.get("required"):
            if seen_optional:
                problems.append(
                    (path, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            problems.append((f"{p}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        if choices and opt.get("autocomplete"):
            problems.append((f"{p}.autocomplete", "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID", "Autocomplete cannot be set with choices"))


def validate_commands(commands: Any) -> None:
    problems: list[tuple[str, str, str]] = []
    if not isinstance(commands, list):
        raise form_error([("_", "LIST_TYPE_CONVERT", "Must be a list.")])
    seen: set[tuple[int, str]] = set()
    chat_input = 0
    for i, cmd in enumerate(commands):
        ctype = int(cmd.get("type") or 1)
        name = str(cmd.get("name") or "")
        key = (ctype, name)
        if key in seen:
            problems.append((f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", f"Application command names must be unique ({name})"))
        seen.add(key)
        if ctype == 1:
            chat_input += 1
            if not COMMAND_NAME_RE.match(name) or name != name.lower():
                problems.append((f"{i}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
            if not 1 <= len(str(cmd.get("description") or "")) <= 100:
                problems.append((f"{i}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
            _validate_options(cmd.get("options"), f"{i}.options", problems)
            if _command_size(cmd) > 4000:
                problems.append((f"{i}", "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (4000)"))
        elif not 1 <= len(name) <= 32:
            problems.append((f"{i}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."))
    if chat_input > 100:
        problems.append(("_", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer chat input commands."))
    if problems:
        raise form_error(problems)
