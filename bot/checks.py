"""Who may do what: every permission rule of the bot, checked at run time.

Moderators are members with Manage Server. Discord's ``default_permissions`` only hides a
command from others, and server admins can change it, so the same rule is checked again
when a command runs, before autocomplete lists anything, and before a button deletes.
Asking is open to everyone, at most ``CITEBOT_COOLDOWN_PER_MINUTE`` times a minute.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from typing import Callable, TypeVar

import discord
from discord import app_commands

from .replies import asking_quickly

T = TypeVar("T")

log = logging.getLogger("citebot.audit")

# What Discord's client asks of a member before it shows a moderator command.
MODERATOR_PERMISSIONS = discord.Permissions(manage_guild=True)


class NotModerator(app_commands.CheckFailure):
    pass


class CooldownHit(app_commands.CheckFailure):
    def __init__(self, retry_after: float) -> None:
        super().__init__(asking_quickly(retry_after))
        self.retry_after = retry_after


def manages_server(user: discord.abc.User) -> bool:
    """A moderator: Manage Server in this server (a DM's user has no server permissions)."""
    perms = getattr(user, "guild_permissions", None)
    return bool(perms and perms.manage_guild)


def may_moderate(interaction: discord.Interaction) -> bool:
    """Whether this interaction comes from a moderator in a server (autocomplete's check:
    checks do not run for autocomplete, and the folder's listing is for moderators)."""
    return interaction.guild is not None and manages_server(interaction.user)


def may_delete_answer(user: discord.abc.User, asker_id: int) -> bool:
    """The person who asked, or someone who may delete messages in the channel anyway."""
    perms = getattr(user, "guild_permissions", None)
    return user.id == asker_id or bool(perms and (perms.manage_messages or perms.manage_guild))


def is_moderator() -> Callable[[T], T]:
    """The run-time moderator check, for commands and subcommands."""

    async def predicate(interaction: discord.Interaction) -> bool:
        command = getattr(interaction.command, "qualified_name", "?")
        if interaction.guild is None:
            raise NotModerator("This command only works in a server.")
        if not manages_server(interaction.user):
            # Logged, not posted to the audit channel: any member could otherwise spam it.
            log.info("refused /%s for %s (%s): no Manage Server", command, interaction.user, interaction.user.id)
            raise NotModerator("Only members with the Manage Server permission can do this.")
        return True

    return app_commands.check(predicate)


def moderator_command() -> Callable[[T], T]:
    """A moderators' command: hidden from other members, servers only, checked when run."""

    def decorate(func: T) -> T:
        return app_commands.default_permissions(MODERATOR_PERMISSIONS)(app_commands.guild_only()(is_moderator()(func)))

    return decorate


class RateLimiter:
    """At most ``per_minute`` questions per user in any 60 seconds (0 = unlimited)."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._refused: dict[int, float] = {}
        self._hits = 0

    def first_refusal(self, user_id: int) -> bool:
        """True the first time a user is refused in a minute: one "you're asking quickly"
        notice is enough, a reply to every extra message would be spam of our own."""
        now = self._clock()
        if now - self._refused.get(user_id, -60.0) < 60:
            return False
        self._refused[user_id] = now
        return True

    def hit(self, user_id: int) -> float | None:
        """Record a question; return seconds to wait when over the limit, else None."""
        if self.per_minute <= 0:
            return None
        now = self._clock()
        self._hits += 1
        if self._hits % 1000 == 0:  # forget users idle for a minute: the tables stay small
            self._seen = defaultdict(deque, {u: s for u, s in self._seen.items() if s and now - s[-1] < 60})
            self._refused = {u: t for u, t in self._refused.items() if now - t < 60}
        seen = self._seen[user_id]
        while seen and now - seen[0] >= 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return 60 - (now - seen[0])
        seen.append(now)
        return None

    def check(self, user_id: int) -> None:
        """Count a question, or raise ``CooldownHit`` (the tree's error handler words it)."""
        wait = self.hit(user_id)
        if wait is not None:
            raise CooldownHit(wait)
