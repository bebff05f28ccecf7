"""The audit trail of moderator actions: who did what, when, and how it went.

Always a log line at INFO (the log timestamp is the "when"); also a one-line notice in the
channel named by ``CITEBOT_AUDIT_CHANNEL_ID`` when it is set. Auditing never fails the
action it records: a channel that is gone or closed to the bot costs a warning, nothing more.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord

from .render import MESSAGE_CONTENT_LIMIT, escape, truncate

if TYPE_CHECKING:
    from .app import CitebotBot

log = logging.getLogger("citebot.audit")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(text: str) -> str:
    """Multi-line outcomes (a reindex summary) joined with "; "; control characters (a NUL
    in a refused file name) shown as "?" so a log line cannot be split or forged."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _CONTROL.sub("?", "; ".join(lines))


async def audit(bot: "CitebotBot", interaction: discord.Interaction, action: str, outcome: str) -> None:
    user = interaction.user
    action, outcome = one_line(action), one_line(outcome)
    log.info("%s (%s) in guild %s: %s -> %s", user.name, user.id, interaction.guild_id, action, outcome)
    channel_id = bot.settings.audit_channel_id
    if channel_id is None:
        return
    notice = truncate(escape(f"{user.name} ({user.id}): {action} → {outcome}"), MESSAGE_CONTENT_LIMIT, markdown=True)
    try:
        channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("audit channel %s cannot receive messages", channel_id)
            return
        await channel.send(notice, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.warning("could not post to audit channel %s: %s", channel_id, exc)
