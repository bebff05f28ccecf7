"""Discord's error answers (status, JSON code, message) as the fake's routes raise them, and the refusal of an
interaction Discord's client would never send."""

from __future__ import annotations

from typing import Optional, Sequence

from .constants import JSONDict


class DiscordAPIError(Exception):
    """Raised inside a route handler; turned into Discord's JSON error body with the given HTTP status."""

    def __init__(self, status: int, code: int, message: str, errors: Optional[JSONDict] = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: JSONDict = {"code": code, "message": message}
        if errors is not None:
            self.body["errors"] = errors


def unknown_interaction() -> DiscordAPIError:
    return DiscordAPIError(404, 10062, "Unknown interaction")


def already_acknowledged() -> DiscordAPIError:
    return DiscordAPIError(400, 40060, "Interaction has already been acknowledged.")


def unknown_message() -> DiscordAPIError:
    return DiscordAPIError(404, 10008, "Unknown Message")


def unknown_channel() -> DiscordAPIError:
    return DiscordAPIError(404, 10003, "Unknown Channel")


def unknown_webhook() -> DiscordAPIError:
    return DiscordAPIError(404, 10015, "Unknown Webhook")


def missing_permissions() -> DiscordAPIError:
    return DiscordAPIError(403, 50013, "Missing Permissions")


def form_error(problems: Sequence[tuple[str, str, str]]) -> DiscordAPIError:
    """Build Discord's nested ``Invalid Form Body`` error from ``(dotted.path, CODE, message)`` triples."""
    errors: JSONDict = {}
    for path, code, message in problems:
        node = errors
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return DiscordAPIError(400, 50035, "Invalid Form Body", errors)


class CommandUnavailable(Exception):
    """Raised by the interaction helpers when Discord would never let this user trigger that interaction.

    E.g. the command is not synced, the member lacks ``default_member_permissions``, the command is not available in
    DMs, the option value violates choices/min/max, or the button is disabled / does not exist.
    """
