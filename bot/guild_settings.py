"""Per-server settings, changed by moderators with /settings, kept in each server's own
state folder (``server_state``): ``servers/<id>/state/settings.sqlite``."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

from .server_state import OPEN_FILES, StateFiles, split_old_file

ANSWER_MODES = ("channel", "thread")
SETTINGS_FILE = "settings.sqlite"
# One row: the server's. The id stays in the row, so a file moved by hand still says whose it is.
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS guild_settings (guild_id INTEGER PRIMARY KEY, answer_mode TEXT NOT NULL,"
    " private INTEGER NOT NULL, channels TEXT NOT NULL, shared INTEGER NOT NULL DEFAULT 1);"
)
# Before per-server state: every server's row in one file in the data folder.
OLD_FILE = "guilds.sqlite"
# Servers whose settings stay in memory: reading them is on every question's path.
CACHED_SERVERS = 10_000


@dataclass(frozen=True)
class GuildSettings:
    answer_mode: str = "channel"  # answer in the channel, or in a thread of its own
    private: bool = False  # answers only the asker sees, unless /ask says otherwise
    channels: frozenset[int] = field(default_factory=frozenset)  # mention allowlist; empty = all
    shared: bool = True  # answer from the shared library as well as the server's own

    def allows_channel(self, channel_id: int) -> bool:
        return not self.channels or channel_id in self.channels


class GuildSettingsStore:
    """The settings of every server, each in its own file under ``data_dir``; a server that
    never changed them has no file. Opening the store upgrades an old install's single
    ``guilds.sqlite`` into the servers' files (kept, renamed: ``server_state.split_old_file``)."""

    def __init__(self, data_dir: Path, *, max_open: int = OPEN_FILES) -> None:
        split_old_file(data_dir, OLD_FILE, "guild_id", SETTINGS_FILE, SCHEMA)
        self._files = StateFiles(data_dir, SETTINGS_FILE, SCHEMA, max_open=max_open)
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, GuildSettings] = OrderedDict()

    def path(self, guild_id: int) -> Path:
        return self._files.path(guild_id)

    def get(self, guild_id: int | None) -> GuildSettings:
        if guild_id is None:
            return GuildSettings()
        with self._lock:
            cached = self._cache.get(guild_id)
            if cached is not None:
                self._cache.move_to_end(guild_id)
                return cached
        # Read and remembered under the file's lock, as update() writes and remembers: a read
        # racing a change cannot leave the old settings in the cache.
        with self._files.connection(guild_id, create=False) as db:
            row = db.execute(
                "SELECT answer_mode, private, channels, shared FROM guild_settings WHERE guild_id = ?", (guild_id,)
            ).fetchone() if db is not None else None
            found = GuildSettings(row[0], bool(row[1]), frozenset(json.loads(row[2])), bool(row[3])) if row else GuildSettings()
            self._remember(guild_id, found)
        return found

    def update(self, guild_id: int, **changes: object) -> GuildSettings:
        if "answer_mode" in changes and changes["answer_mode"] not in ANSWER_MODES:
            raise ValueError(f"answer mode must be one of {ANSWER_MODES}")
        new = replace(self.get(guild_id), **changes)
        with self._files.connection(guild_id) as db:
            assert db is not None  # created on demand
            with db:
                db.execute(
                    "INSERT OR REPLACE INTO guild_settings VALUES (?,?,?,?,?)",
                    (guild_id, new.answer_mode, int(new.private), json.dumps(sorted(new.channels)), int(new.shared)),
                )
            self._remember(guild_id, new)
        return new

    def _remember(self, guild_id: int, settings: GuildSettings) -> None:
        with self._lock:
            self._cache[guild_id] = settings
            self._cache.move_to_end(guild_id)
            while len(self._cache) > CACHED_SERVERS:
                self._cache.popitem(last=False)

    def close(self) -> None:
        self._files.close()
