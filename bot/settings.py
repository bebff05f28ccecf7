"""The bot's settings: Discord, moderation and ``citebot run``'s own, read once at start-up.

The core's ``Settings`` knows nothing of Discord; these are read from the same environment
by the same parsers, in the same pass (:func:`read_settings`), so one run names every bad
variable in one line. Kept free of discord.py: the CLI checks them before any command.
"""

from __future__ import annotations

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


def env_snowflake(env: Mapping[str, str], name: str) -> int | None:
    raw = raw_value(env, name)
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= SNOWFLAKE_MAX:
        raise SettingsError(f"{name} must be a Discord id (a positive whole number), got {quoted_value(raw)}")
    return int(raw)


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
        )


def read_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> tuple[Settings, BotSettings]:
    """The core's settings and the bot's, from one environment in one pass: a ``SettingsError``
    names every bad variable of both (core ones first), as one settings object used to."""
    read = EnvReader(environment(env, dotenv=dotenv))
    settings, bot_settings = Settings.from_reader(read), BotSettings.from_reader(read)
    read.check()
    return settings, bot_settings
