"""Run-time permission checks shared by the moderator cogs (/reindex, /seed)."""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

import discord
from discord import app_commands

T = TypeVar("T")

log = logging.getLogger("citebot.audit")


def is_moderator() -> Callable[[T], T]:
    """``default_permissions`` is a hint server admins can change; this is the real check."""

    async def predicate(interaction: discord.Interaction) -> bool:
        from .app import NotModerator  # app imports the cogs: import at call time

        command = getattr(interaction.command, "qualified_name", "?")
        if interaction.guild is None:
            raise NotModerator("This command only works in a server.")
        perms = getattr(interaction.user, "guild_permissions", None)
        if perms is None or not perms.manage_guild:
            # Logged, not posted to the audit channel: any member could otherwise spam it.
            log.info("refused /%s for %s (%s): no Manage Server", command, interaction.user, interaction.user.id)
            raise NotModerator("Only members with the Manage Server permission can do this.")
        return True

    return app_commands.check(predicate)
