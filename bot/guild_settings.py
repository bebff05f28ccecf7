"""Per-server settings, changed by moderators with /settings and kept in SQLite."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from retrieval.state import open_state_db

ANSWER_MODES = ("channel", "thread")


@dataclass(frozen=True)
class GuildSettings:
    answer_mode: str = "channel"  # answer in the channel, or in a thread of its own
    private: bool = False  # answers only the asker sees, unless /ask says otherwise
    channels: frozenset[int] = field(default_factory=frozenset)  # mention allowlist; empty = all

    def allows_channel(self, channel_id: int) -> bool:
        return not self.channels or channel_id in self.channels


class GuildSettingsStore:
    def __init__(self, path: Path) -> None:
        self._db = open_state_db(
            path,
            "CREATE TABLE IF NOT EXISTS guild_settings (guild_id INTEGER PRIMARY KEY, answer_mode TEXT NOT NULL,"
            " private INTEGER NOT NULL, channels TEXT NOT NULL);",
        )
        self._lock = threading.Lock()
        self._cache: dict[int, GuildSettings] = {}

    def get(self, guild_id: int | None) -> GuildSettings:
        if guild_id is None:
            return GuildSettings()
        with self._lock:
            if guild_id not in self._cache:
                row = self._db.execute(
                    "SELECT answer_mode, private, channels FROM guild_settings WHERE guild_id = ?", (guild_id,)
                ).fetchone()
                self._cache[guild_id] = (
                    GuildSettings(row[0], bool(row[1]), frozenset(json.loads(row[2]))) if row else GuildSettings()
                )
            return self._cache[guild_id]

    def update(self, guild_id: int, **changes: object) -> GuildSettings:
        if "answer_mode" in changes and changes["answer_mode"] not in ANSWER_MODES:
            raise ValueError(f"answer mode must be one of {ANSWER_MODES}")
        new = replace(self.get(guild_id), **changes)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO guild_settings VALUES (?,?,?,?)",
                (guild_id, new.answer_mode, int(new.private), json.dumps(sorted(new.channels))),
            )
            self._cache[guild_id] = new
        return new

    def close(self) -> None:
        self._db.close()
