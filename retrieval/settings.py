"""One settings object, read from the environment and ``.env`` once at start-up.

Every variable is checked in one pass: a bad value is a ``SettingsError`` naming the
variable and what it accepts, never a traceback nor a limit that refuses every question.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence, TypeVar

from .errors import SettingsError

DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
# Larger seed files are skipped unread, with the reason in the index summary.
DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
# Discord ids ("snowflakes") are positive 64-bit integers.
_SNOWFLAKE_MAX = 2**63 - 1

T = TypeVar("T")


def _raw(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _got(raw: str) -> str:
    """The rejected value, quoted and short: a pasted token must not fill the screen."""
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def _int(env: Mapping[str, str], name: str, default: int, low: int = 1, high: int = 1_000_000_000) -> int:
    """A whole number from ``low`` to ``high``; blank or unset means ``default``."""
    raw = _raw(env, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {_got(raw)}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = _raw(env, name).lower()
    if not raw:
        return default
    if raw not in _TRUE + _FALSE:
        raise SettingsError(f"{name} must be one of {'/'.join(_TRUE)} or {'/'.join(_FALSE)}, got {_got(_raw(env, name))}")
    return raw in _TRUE


def _snowflake(env: Mapping[str, str], name: str) -> int | None:
    raw = _raw(env, name)
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= _SNOWFLAKE_MAX:
        raise SettingsError(f"{name} must be a Discord id (a positive whole number), got {_got(raw)}")
    return int(raw)


def _choice(env: Mapping[str, str], name: str, default: str, choices: Sequence[str]) -> str:
    raw = _raw(env, name)
    if not raw:
        return default
    if raw.upper() not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {_got(raw)}")
    return raw.upper()


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    """Unset or empty means ``default``; only spaces is a mistake (a stray ``NAME= `` in .env)."""
    value = env.get(name, "")
    if value and not value.strip():
        raise SettingsError(f"{name} is blank: set it or unset it")
    return value.strip() or default


@dataclass(frozen=True)
class Settings:
    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("data/index")
    model: str = DEFAULT_MODEL
    max_question_chars: int = 1000
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    data_dir: Path | None = None  # votes and server settings; default: beside the index folder

    # Discord (read here so there is exactly one settings object; retrieval ignores them)
    discord_token: str | None = field(default=None, repr=False)
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    connect_attempts: int = 6  # tries to reach the gateway at start-up, 1 s, 2 s, 4 s... apart
    guild_id: int | None = None
    cooldown_per_minute: int = 6
    audit_channel_id: int | None = None
    watch: bool = False
    # Let URLs reach loopback and private addresses (tests, or a bot serving only a LAN).
    fetch_allow_private: bool = False
    max_upload_bytes: int = 1024 * 1024
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> "Settings":
        """Read settings from ``env`` (default: ``os.environ`` after loading ``.env``).

        Raises ``SettingsError`` naming every variable that holds a value it cannot use.
        """
        if env is None:
            if dotenv:
                from dotenv import find_dotenv, load_dotenv

                # The .env of the folder the user runs citebot in (not of the installed
                # package); real environment variables win over it, as users expect.
                load_dotenv(find_dotenv(usecwd=True), override=False)
            env = os.environ
        problems: list[str] = []

        def read(parse: Callable[..., T], name: str, *args: object) -> T:
            # Collected, not raised one by one: fixing a .env should take one run, not five.
            try:
                return parse(env, name, *args)
            except SettingsError as exc:
                problems.append(str(exc))
                return None  # type: ignore[return-value]  # never used: the problems raise below

        settings = cls(
            # Folders are checked by the front end, which knows the option that overrides them.
            seeds_dir=Path(env.get("CITEBOT_SEEDS_DIR") or "seeds"),
            index_dir=Path(env.get("CITEBOT_INDEX_DIR") or "data/index"),
            model=read(_text, "CITEBOT_MODEL", DEFAULT_MODEL),
            max_question_chars=read(_int, "CITEBOT_MAX_QUESTION_CHARS", 1000, 1, 100_000),
            max_document_bytes=read(_int, "CITEBOT_MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES, 1, 1 << 40),
            data_dir=Path(env["CITEBOT_DATA_DIR"]) if env.get("CITEBOT_DATA_DIR") else None,
            discord_token=(env.get("DISCORD_TOKEN") or "").strip() or None,
            discord_api_base=env.get("CITEBOT_DISCORD_API_BASE") or None,
            discord_gateway_url=env.get("CITEBOT_DISCORD_GATEWAY_URL") or None,
            connect_attempts=read(_int, "CITEBOT_CONNECT_ATTEMPTS", 6, 1, 100),
            guild_id=read(_snowflake, "CITEBOT_GUILD_ID"),
            cooldown_per_minute=read(_int, "CITEBOT_COOLDOWN_PER_MINUTE", 6, 0, 10_000),  # 0: no limit
            audit_channel_id=read(_snowflake, "CITEBOT_AUDIT_CHANNEL_ID"),
            watch=read(_flag, "CITEBOT_WATCH"),
            fetch_allow_private=read(_flag, "CITEBOT_FETCH_ALLOW_PRIVATE"),
            max_upload_bytes=read(_int, "CITEBOT_MAX_UPLOAD_BYTES", 1024 * 1024, 1, 100_000_000),
            log_level=read(_choice, "CITEBOT_LOG_LEVEL", "INFO", LOG_LEVELS),
        )
        if problems:
            raise SettingsError("; ".join(problems))
        return settings

    @property
    def state_dir(self) -> Path:
        return Path(self.data_dir) if self.data_dir else Path(self.index_dir).parent

    def with_overrides(self, **changes: object) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
