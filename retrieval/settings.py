"""One settings object, read from the environment and ``.env`` once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
# Larger seed files are skipped unread, with the reason in the index summary.
DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


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
    max_upload_bytes: int = 1024 * 1024
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> "Settings":
        """Read settings from ``env`` (default: ``os.environ`` after loading ``.env``)."""
        if env is None:
            if dotenv:
                from dotenv import find_dotenv, load_dotenv

                # The .env of the folder the user runs citebot in (not of the installed
                # package); real environment variables win over it, as users expect.
                load_dotenv(find_dotenv(usecwd=True), override=False)
            env = os.environ
        guild = env.get("CITEBOT_GUILD_ID", "").strip()
        audit = env.get("CITEBOT_AUDIT_CHANNEL_ID", "").strip()
        return cls(
            seeds_dir=Path(env.get("CITEBOT_SEEDS_DIR") or "seeds"),
            index_dir=Path(env.get("CITEBOT_INDEX_DIR") or "data/index"),
            model=env.get("CITEBOT_MODEL") or DEFAULT_MODEL,
            max_question_chars=_int(env, "CITEBOT_MAX_QUESTION_CHARS", 1000),
            max_document_bytes=_int(env, "CITEBOT_MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES),
            data_dir=Path(env["CITEBOT_DATA_DIR"]) if env.get("CITEBOT_DATA_DIR") else None,
            discord_token=(env.get("DISCORD_TOKEN") or "").strip() or None,
            discord_api_base=env.get("CITEBOT_DISCORD_API_BASE") or None,
            discord_gateway_url=env.get("CITEBOT_DISCORD_GATEWAY_URL") or None,
            connect_attempts=_int(env, "CITEBOT_CONNECT_ATTEMPTS", 6),
            guild_id=int(guild) if guild.isdigit() else None,
            cooldown_per_minute=_int(env, "CITEBOT_COOLDOWN_PER_MINUTE", 6),
            audit_channel_id=int(audit) if audit.isdigit() else None,
            watch=_flag(env, "CITEBOT_WATCH"),
            max_upload_bytes=_int(env, "CITEBOT_MAX_UPLOAD_BYTES", 1024 * 1024),
            log_level=(env.get("CITEBOT_LOG_LEVEL") or "INFO").upper(),
        )

    @property
    def state_dir(self) -> Path:
        return Path(self.data_dir) if self.data_dir else Path(self.index_dir).parent

    def with_overrides(self, **changes: object) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
