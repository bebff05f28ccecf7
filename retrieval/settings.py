"""The core's settings, read from the environment and ``.env`` once at start-up (the
bot's own settings are ``bot/settings.py``, read by the same parsers in the same pass).

Every variable is checked in one pass: a bad value is a ``SettingsError`` naming the
variable and what it accepts, never a traceback nor a limit that refuses every question.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence, TypeVar

from .errors import SettingsError

DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
# Larger seed files are skipped unread, with the reason in the index summary.
DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# Server libraries kept loaded at once; the least recently used beyond it are unloaded.
# benchmarks/libraries.py: a loaded one-document library holds ~185 kB and one open file,
# and serving grows by ~4 kB a sentence (README, "Scale"): 200 libraries of 1,000 sentences
# are under 1 GB. Loading one again costs a first answer of ~25-50 ms.
DEFAULT_LIBRARY_BUDGET = 200
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

T = TypeVar("T")

# The parsers below are shared with the edges' own settings (``bot/settings.py``), so every
# variable is refused in the same words. Each takes the environment and the variable's name.


def raw_value(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def quoted_value(raw: str) -> str:
    """The rejected value, quoted and short: a pasted token must not fill the screen."""
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def env_int(env: Mapping[str, str], name: str, default: int, low: int = 1, high: int = 1_000_000_000) -> int:
    """A whole number from ``low`` to ``high``; blank or unset means ``default``."""
    raw = raw_value(env, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {quoted_value(raw)}")
    return value


def env_flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = raw_value(env, name).lower()
    if not raw:
        return default
    if raw not in _TRUE + _FALSE:
        raise SettingsError(
            f"{name} must be one of {'/'.join(_TRUE)} or {'/'.join(_FALSE)}, got {quoted_value(raw_value(env, name))}"
        )
    return raw in _TRUE


def env_choice(env: Mapping[str, str], name: str, default: str, choices: Sequence[str]) -> str:
    raw = raw_value(env, name)
    if not raw:
        return default
    if raw.upper() not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {quoted_value(raw)}")
    return raw.upper()


def env_text(env: Mapping[str, str], name: str, default: str) -> str:
    """Unset or empty means ``default``; only spaces is a mistake (a stray ``NAME= `` in .env)."""
    value = env.get(name, "")
    if value and not value.strip():
        raise SettingsError(f"{name} is blank: set it or unset it")
    return value.strip() or default


def environment(env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Mapping[str, str]:
    """``env``, or ``os.environ`` after loading the ``.env`` of the current folder."""
    if env is not None:
        return env
    if dotenv:
        from dotenv import find_dotenv, load_dotenv

        # The .env of the folder the user runs citebot in (not of the installed
        # package); real environment variables win over it, as users expect.
        load_dotenv(find_dotenv(usecwd=True), override=False)
    return os.environ


class EnvReader:
    """Reads variables from one environment and collects every problem instead of raising
    at the first: fixing a .env should take one run, not five. ``check()`` raises them all."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def __call__(self, parse: Callable[..., T], name: str, *args: object) -> T:
        try:
            return parse(self.env, name, *args)
        except SettingsError as exc:
            self.problems.append(str(exc))
            return None  # type: ignore[return-value]  # never used: check() raises

    def check(self) -> None:
        if self.problems:
            raise SettingsError("; ".join(self.problems))


@dataclass(frozen=True)
class Settings:
    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("data/index")
    model: str = DEFAULT_MODEL
    max_question_chars: int = 1000
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    data_dir: Path | None = None  # votes and server settings; default: beside the index folder
    library_budget: int = DEFAULT_LIBRARY_BUDGET  # server libraries loaded at once

    # Let URLs reach loopback and private addresses (tests, or a bot serving only a LAN).
    fetch_allow_private: bool = False
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> "Settings":
        """Read settings from ``env`` (default: ``os.environ`` after loading ``.env``).

        Raises ``SettingsError`` naming every variable that holds a value it cannot use.
        """
        read = EnvReader(environment(env, dotenv=dotenv))
        settings = cls.from_reader(read)
        read.check()
        return settings

    @classmethod
    def from_reader(cls, read: EnvReader) -> "Settings":
        """The settings from ``read``'s environment; problems are left in ``read.problems``."""
        env = read.env
        return cls(
            # Folders are checked by the front end, which knows the option that overrides them.
            seeds_dir=Path(env.get("CITEBOT_SEEDS_DIR") or "seeds"),
            index_dir=Path(env.get("CITEBOT_INDEX_DIR") or "data/index"),
            model=read(env_text, "CITEBOT_MODEL", DEFAULT_MODEL),
            max_question_chars=read(env_int, "CITEBOT_MAX_QUESTION_CHARS", 1000, 1, 100_000),
            max_document_bytes=read(env_int, "CITEBOT_MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES, 1, 1 << 40),
            data_dir=Path(env["CITEBOT_DATA_DIR"]) if env.get("CITEBOT_DATA_DIR") else None,
            fetch_allow_private=read(env_flag, "CITEBOT_FETCH_ALLOW_PRIVATE"),
            library_budget=read(env_int, "CITEBOT_LIBRARY_BUDGET", DEFAULT_LIBRARY_BUDGET, 1, 1_000_000),
        )

    @property
    def state_dir(self) -> Path:
        """The data folder: the shared library's state, and ``servers/`` (every server's own
        library and state, ``retrieval.libraries``)."""
        return Path(self.data_dir) if self.data_dir else Path(self.index_dir).parent

    def with_overrides(self, **changes: object) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
