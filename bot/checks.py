"""Who may do what: every permission rule of the bot, checked at run time.

Moderators are members with Manage Server. Discord's ``default_permissions`` only hides a
command from others, and server admins can change it, so the same rule is checked again
when a command runs, before autocomplete lists anything, and before a button deletes.
Owners (they may change the shared library) are the application's owner, or the admins and
developers of the team that owns it, as Discord reports them, plus ``CITEBOT_OWNER_IDS``.
Asking is open to everyone, at most ``CITEBOT_COOLDOWN_PER_MINUTE`` times a minute.

Libraries (``library_refusal``): a server's moderators change that server's own library
(add, remove, reindex) and no other; the shared library, which every server reads, only
the owners change, and only where they are moderators too (the commands are moderators').
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Callable, TypeVar

import discord
from discord import app_commands

from .replies import NOT_A_MODERATOR, NOT_AN_OWNER, SERVERS_ONLY, asking_quickly

if TYPE_CHECKING:
    from retrieval import LibraryId

    from .app import CitebotBot

T = TypeVar("T")

log = logging.getLogger("citebot.audit")

# What Discord's client asks of a member before it shows a moderator command.
MODERATOR_PERMISSIONS = discord.Permissions(manage_guild=True)


class NotModerator(app_commands.CheckFailure):
    pass


class NotOwner(app_commands.CheckFailure):
    pass


class LibraryRefused(app_commands.CheckFailure):
    """A change to a library the user may not make (``library_refusal``), or not from here."""


class CooldownHit(app_commands.CheckFailure):
    def __init__(self, retry_after: float) -> None:
        super().__init__(asking_quickly(retry_after))
        self.retry_after = retry_after


def manages_server(user: discord.abc.User) -> bool:
    """A moderator: Manage Server in this server (a DM's user has no server permissions)."""
    perms = getattr(user, "guild_permissions", None)
    return bool(perms and perms.manage_guild)


def may_delete_answer(user: discord.abc.User, asker_id: int) -> bool:
    """The person who asked, or someone who may delete messages in the channel anyway."""
    perms = getattr(user, "guild_permissions", None)
    return user.id == asker_id or bool(perms and (perms.manage_messages or perms.manage_guild))


# Team members who may act as the application's owner: discord.py's rule too (2.4+).
# A read-only member sees the application in the portal; they do not run it.
OWNER_TEAM_ROLES = (discord.TeamMemberRole.admin, discord.TeamMemberRole.developer)


def application_owners(app: discord.AppInfo | None, configured: Iterable[int] = ()) -> frozenset[int]:
    """The bot's owners: the application's owner or, when a team owns it, the team's admins
    and developers (Discord then names the team's pseudo-user as the owner: not a person),
    plus the ids in ``configured`` (``CITEBOT_OWNER_IDS``). ``app`` None: the configured only."""
    owners = set(configured)
    if app is not None:
        if app.team is not None:
            owners.update(member.id for member in app.team.members if member.role in OWNER_TEAM_ROLES)
        else:
            owners.add(app.owner.id)
    return frozenset(owners)


async def is_owner(bot: "CitebotBot", user: discord.abc.User) -> bool:
    """Whether ``user`` is one of the bot's owners (``application_owners``, as the bot last
    heard from Discord: it asks again now and then, see ``CitebotBot.owners``)."""
    return user.id in await bot.owners()


async def library_refusal(bot: "CitebotBot", interaction: discord.Interaction, library: "LibraryId") -> str | None:
    """Why the user of ``interaction`` may not change ``library`` (add to it, remove from it,
    rebuild it, list it for that), or None when they may. A server's library is changed
    from that server, by its moderators; the shared library (``None``) by the bot's owners,
    from a server where they are moderators too."""
    if interaction.guild is None:
        return SERVERS_ONLY
    if not manages_server(interaction.user):
        return NOT_A_MODERATOR
    if library is None:
        return None if await is_owner(bot, interaction.user) else NOT_AN_OWNER
    return None if library == interaction.guild_id else NOT_A_MODERATOR  # another server's: never


def owner_only() -> Callable[[T], T]:
    """The run-time owner check, for a command (or a subcommand) only owners may run; others
    are refused privately, and the attempt is logged with who made it."""

    async def predicate(interaction: discord.Interaction) -> bool:
        bot: "CitebotBot" = interaction.client  # type: ignore[assignment]
        if not await is_owner(bot, interaction.user):
            command = getattr(interaction.command, "qualified_name", "?")
            log.info("refused /%s for %s (%s) in guild %s: not an owner", command, interaction.user, interaction.user.id,
                     interaction.guild_id)
            raise NotOwner(NOT_AN_OWNER)
        return True

    return app_commands.check(predicate)


def is_moderator() -> Callable[[T], T]:
    """The run-time moderator check, for commands and subcommands."""

    async def predicate(interaction: discord.Interaction) -> bool:
        command = getattr(interaction.command, "qualified_name", "?")
        if interaction.guild is None:
            raise NotModerator(SERVERS_ONLY)
        if not manages_server(interaction.user):
            # Logged, not posted to the audit channel: any member could otherwise spam it.
            log.info("refused /%s for %s (%s): no Manage Server", command, interaction.user, interaction.user.id)
            raise NotModerator(NOT_A_MODERATOR)
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
