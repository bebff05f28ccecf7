"""The bot's settings: Discord, moderation and ``citebot run``'s own, read once at start-up.

The core's ``Settings`` knows nothing of Discord; these are read from the same environment
by the same parsers, in the same pass (:func:`read_settings`), so one run names every bad
variable in one line. Kept free of discord.py: the CLI checks them before any command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from retrieval import (
    EnvReader,
    Settings,
    SettingsError,
    env_choice,
    env_flag,
    env_int,
    environment,
    quoted_value,
    raw_value,
)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Discord ids ("snowflakes") are positive 64-bit integers.
SNOWFLAKE_MAX = 2**63 - 1


def _is_snowflake(text: str) -> bool:
    return text.isascii() and text.isdigit() and 1 <= int(text) <= SNOWFLAKE_MAX


def env_snowflake(env: Mapping[str, str], name: str) -> int | None:
    raw = raw_value(env, name)
    if not raw:
        return None
    if not _is_snowflake(raw):
        raise SettingsError(f"{name} must be a Discord id (a positive whole number), got {quoted_value(raw)}")
    return int(raw)


def env_snowflakes(env: Mapping[str, str], name: str) -> frozenset[int]:
    """Discord ids separated by commas (spaces around them are fine); unset means none."""
    raw = raw_value(env, name)
    if not raw:
        return frozenset()
    items = [item.strip() for item in raw.split(",")]
    if not all(_is_snowflake(item) for item in items):
        raise SettingsError(f"{name} must be Discord ids separated by commas, got {quoted_value(raw)}")
    return frozenset(int(item) for item in items)


# How many shards the bot's servers are spread over when CITEBOT_SHARD_COUNT says "auto":
# whatever Discord recommends (``GET /gateway/bot``), all of them in this process.
SHARD_COUNT_AUTO = "auto"
SHARD_COUNT_MAX = 100_000
_SHARD_RANGE = re.compile(r"(\d+)(?:\s*-\s*(\d+))?")


def env_shard_count(env: Mapping[str, str], name: str) -> int | str | None:
    """A number of shards, or ``"auto"``; unset means one process without sharding."""
    raw = raw_value(env, name)
    if raw.lower() == SHARD_COUNT_AUTO:
        return SHARD_COUNT_AUTO
    if raw and not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= SHARD_COUNT_MAX):
        raise SettingsError(f"{name} must be a whole number from 1 to {SHARD_COUNT_MAX} or auto, got {quoted_value(raw)}")
    return int(raw) if raw else None


def env_shard_ids(env: Mapping[str, str], name: str, count: int | str | None, count_name: str) -> tuple[int, ...] | None:
    """The shards this process serves: numbers and ranges (``0-3``, ``0,2``, ``0-1,4``), each
    below the shard count; unset means all of them."""
    raw = raw_value(env, name)
    if not raw:
        return None
    if not isinstance(count, int):
        # A count that is unset or "auto" is not known before Discord is asked: the ids
        # could name shards that do not exist.
        raise SettingsError(f"{name} needs {count_name} set to a number of shards, got {quoted_value(raw)}")
    ids: set[int] = set()
    for item in raw.split(","):
        match = _SHARD_RANGE.fullmatch(item.strip()) if item.isascii() else None
        low, high = (int(match[1]), int(match[2] or match[1])) if match else (None, None)
        if low is None or high is None or not low <= high < count:
            raise SettingsError(
                f"{name} must be shard numbers from 0 to {count - 1} ({count_name} is {count}), "
                f"as a list or ranges like 0-3 or 0,2, got {quoted_value(raw)}"
            )
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


@dataclass(frozen=True)
class BotSettings:
    discord_token: str | None = field(default=None, repr=False)
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    connect_attempts: int = 6  # tries to reach the gateway at start-up, 1 s, 2 s, 4 s... apart
    guild_id: int | None = None
    cooldown_per_minute: int = 6
    audit_channel_id: int | None = None
    watch: bool = False
    max_upload_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    # Discord's own sharding: None runs one process without it (as a bot in fewer than
    # 2,500 servers may); a number spreads the servers over that many shards, "auto" asks
    # Discord how many. ``shard_ids`` are the shards this process serves (None: all).
    shard_count: int | str | None = None
    shard_ids: tuple[int, ...] | None = None
    # Owners besides the application's owner or team (they may change the shared library).
    owner_ids: frozenset[int] = frozenset()
    # Seconds between two looks for index generations another process published (the
    # shared library rebuilt by the process holding shard 0, or by `citebot index`).
    refresh_seconds: int = 5

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @property
    def holds_shard_zero(self) -> bool:
        """Whether this process serves shard 0 (an unsharded one serves everything): the one
        process that rebuilds and watches the shared library, syncs the slash commands, and
        answers DMs (Discord sends every DM to shard 0)."""
        return self.shard_ids is None or 0 in self.shard_ids

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> "BotSettings":
        """Read the bot's settings alone; ``SettingsError`` names every bad variable."""
        read = EnvReader(environment(env, dotenv=dotenv))
        settings = cls.from_reader(read)
        read.check()
        return settings

    @classmethod
    def from_reader(cls, read: EnvReader) -> "BotSettings":
        env = read.env
        return cls(
            discord_token=(env.get("DISCORD_TOKEN") or "").strip() or None,
            discord_api_base=env.get("CITEBOT_DISCORD_API_BASE") or None,
            discord_gateway_url=env.get("CITEBOT_DISCORD_GATEWAY_URL") or None,
            connect_attempts=read(env_int, "CITEBOT_CONNECT_ATTEMPTS", 6, 1, 100),
            guild_id=read(env_snowflake, "CITEBOT_GUILD_ID"),
            cooldown_per_minute=read(env_int, "CITEBOT_COOLDOWN_PER_MINUTE", 6, 0, 10_000),  # 0: no limit
            audit_channel_id=read(env_snowflake, "CITEBOT_AUDIT_CHANNEL_ID"),
            watch=read(env_flag, "CITEBOT_WATCH"),
            max_upload_bytes=read(env_int, "CITEBOT_MAX_UPLOAD_BYTES", 1024 * 1024, 1, 100_000_000),
            log_level=read(env_choice, "CITEBOT_LOG_LEVEL", "INFO", LOG_LEVELS),
            shard_count=(count := read(env_shard_count, "CITEBOT_SHARD_COUNT")),
            shard_ids=_shard_ids(read, count),
            owner_ids=read(env_snowflakes, "CITEBOT_OWNER_IDS") or frozenset(),
            refresh_seconds=read(env_int, "CITEBOT_REFRESH_SECONDS", 5, 1, 3600),
        )


def _shard_ids(read: EnvReader, count: int | str | None) -> tuple[int, ...] | None:
    if count is None and raw_value(read.env, "CITEBOT_SHARD_COUNT"):
        return None  # the count itself is refused, and says so: the ids cannot be judged
    return read(env_shard_ids, "CITEBOT_SHARD_IDS", count, "CITEBOT_SHARD_COUNT")


def read_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> tuple[Settings, BotSettings]:
    """The core's settings and the bot's, from one environment in one pass: a ``SettingsError``
    names every bad variable of both (core ones first), as one settings object used to."""
    read = EnvReader(environment(env, dotenv=dotenv))
    settings, bot_settings = Settings.from_reader(read), BotSettings.from_reader(read)
    read.check()
    return settings, bot_settings
