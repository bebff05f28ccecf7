"""Each server's bot state in its own files (settings, posted answers), DMs' apart, and an old
install's single files split by server on first start — through the fake Discord."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import open_bot
from bot.guild_settings import GuildSettingsStore
from bot.settings import BotSettings
from fakediscord import FakeDiscord, all_text, running_bot
from retrieval import split_state_file

NO_COOLDOWN = BotSettings(cooldown_per_minute=0)
TENTS = "How many tents were sent?"

# What the bot wrote before per-server state (git show 9c46952:bot/guild_settings.py,
# bot/answer_store.py): every server's rows in one file in the data folder.
OLD_SETTINGS_SCHEMA = (
    "CREATE TABLE guild_settings (guild_id INTEGER PRIMARY KEY, answer_mode TEXT NOT NULL,"
    " private INTEGER NOT NULL, channels TEXT NOT NULL);"
)
OLD_ANSWERS_SCHEMA = (
    "CREATE TABLE answers (key TEXT PRIMARY KEY, created REAL NOT NULL, asker_id INTEGER NOT NULL,"
    " scope INTEGER, deletable INTEGER NOT NULL, page INTEGER NOT NULL, answer BLOB NOT NULL);"
    "CREATE INDEX answers_created ON answers (created);"
)


@pytest_asyncio.fixture
async def fake():
    async with FakeDiscord(channel_names=("general", "offtopic")) as fake:
        fake.other = fake.add_guild("Server B", channel_names=("lobby",))
        yield fake


def buttons(message) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.components for c in row["components"]}


def answer_key(message) -> str:
    return buttons(message)["Show paragraph"].split(":")[2]


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


async def settings(fake, guild_channel: int, **options) -> str:
    it = await fake.slash("settings", options, user=fake.moderator, channel_id=guild_channel)
    return (await fake.wait_for_response(it)).content


async def test_each_servers_settings_and_answers_live_in_its_own_files(fake, seed_citebot, tmp_path):
    a, b = fake.guild_id, fake.other.id
    bot = open_bot(seed_citebot, NO_COOLDOWN, state_dir=tmp_path)
    async with running_bot(bot, fake):
        assert "documents and the shared library" in await settings(fake, fake.channel_id, private=True)
        await settings(fake, fake.other.channel_id, answer_in="thread")
        in_a = await fake.slash("ask", {"question": TENTS})
        answer_a = await fake.wait_for_followup(in_a)
        assert answer_a.ephemeral  # A's own setting
        asked_b = await fake.send_message(TENTS, mentions_bot=True, channel_id=fake.other.channel_id)
        thread = await fake.wait_for_thread(lambda t: t.message_id == int(asked_b["id"]))
        answer_b = await fake.wait_for_message(thread.id)  # B's own setting: a thread
        answer_dm = await fake.wait_for_reply(await fake.send_message(TENTS, dm=True))
        # Turned off once B has asked: B's library is empty, the tents are the shared library's.
        shown = await settings(fake, fake.other.channel_id, shared_library=False)
        assert "Saved" in shown and "this server's documents only" in shown

        files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.sqlite")}
        assert files == {
            f"servers/{a}/state/settings.sqlite", f"servers/{a}/state/answers.sqlite",
            f"servers/{b}/state/settings.sqlite", f"servers/{b}/state/answers.sqlite", "dm/answers.sqlite",
        }
        assert rows(bot.guild_settings.path(a), "SELECT guild_id, private, shared FROM guild_settings") == [(a, 1, 1)]
        assert rows(bot.guild_settings.path(b), "SELECT guild_id, answer_mode, shared FROM guild_settings") == [(b, "thread", 0)]
        for scope, answer in ((a, answer_a), (b, answer_b), (None, answer_dm)):
            assert rows(bot.answers.path(scope), "SELECT key, scope FROM answers") == [(answer_key(answer), scope)]
        # A click is looked up where it happens: B's answer is not A's to act on.
        assert bot.answers.get(answer_key(answer_b), a) is None and bot.answers.get(answer_key(answer_b), b) is not None

    restarted = open_bot(seed_citebot, NO_COOLDOWN, state_dir=tmp_path)
    async with running_bot(restarted, fake):
        assert "this server's documents only" in await settings(fake, fake.other.channel_id)
        shown = await fake.wait_for_response(await fake.click(answer_b, buttons(answer_b)["Show paragraph"]))
        assert shown.ephemeral and "10,000" in all_text(shown)


async def test_an_old_single_folder_install_keeps_its_settings_and_answer_buttons(fake, seed_citebot, tmp_path):
    b = fake.other.id
    offtopic = next(cid for cid, ch in fake.channels.items() if ch.get("name") == "offtopic")
    first = open_bot(seed_citebot, NO_COOLDOWN, state_dir=tmp_path)
    async with running_bot(first, fake):
        await settings(fake, fake.channel_id, allow_channel=fake.channel_id)
        await settings(fake, fake.other.channel_id, answer_in="thread")
        answer_a = await fake.wait_for_followup(await fake.slash("ask", {"question": "What did the Hamas leaders and Rehman talk about?"}))
        answer_dm = await fake.wait_for_reply(await fake.send_message(TENTS, dm=True))
    before_more = answer_a.embeds[0]["description"]
    # The same state as the bot kept it before per-server folders: one file of each.
    old_settings, old_answers = tmp_path / "guilds.sqlite", tmp_path / "answers.sqlite"
    _merge_into_old_file(old_settings, OLD_SETTINGS_SCHEMA, "guild_settings", "guild_id, answer_mode, private, channels",
                         tmp_path.glob("servers/*/state/settings.sqlite"))
    _merge_into_old_file(old_answers, OLD_ANSWERS_SCHEMA, "answers", "*",
                         [*tmp_path.glob("servers/*/state/answers.sqlite"), tmp_path / "dm" / "answers.sqlite"])
    shutil.rmtree(tmp_path / "servers")
    shutil.rmtree(tmp_path / "dm")
    old_bytes = (old_settings.read_bytes(), old_answers.read_bytes())

    for _ in range(2):  # the first start upgrades; the second finds nothing left to do
        bot = open_bot(seed_citebot, NO_COOLDOWN, state_dir=tmp_path)
        async with running_bot(bot, fake):
            # Settings: A's mention allowlist, B's threads.
            ignored = await fake.send_message(TENTS, mentions_bot=True, channel_id=offtopic)
            asked_b = await fake.send_message(TENTS, mentions_bot=True, channel_id=fake.other.channel_id)
            await fake.wait_for_thread(lambda t: t.message_id == int(asked_b["id"]))
            await fake.wait_until_handled(ignored)
            assert fake.bot_messages(offtopic) == []
            # Posted answers: their buttons act as before, in the server and in the DM.
            more = await fake.wait_for_response(await fake.click(answer_a, buttons(answer_a)["More results"]))
            assert more.type == 7 and more.embeds[0]["description"] != before_more
            dm_shown = await fake.wait_for_response(await fake.click(answer_dm, buttons(answer_dm)["Show paragraph"]))
            assert "10,000" in all_text(dm_shown)
        assert not old_settings.exists() and not old_answers.exists()
        kept = (tmp_path / "guilds.sqlite.migrated", tmp_path / "answers.sqlite.migrated")
        assert (kept[0].read_bytes(), kept[1].read_bytes()) == old_bytes  # kept as they were
        assert sorted(p.name for p in tmp_path.glob("*.sqlite*")) == sorted(k.name for k in kept)
    assert GuildSettingsStore(tmp_path).get(b).answer_mode == "thread"


def _merge_into_old_file(old: Path, schema: str, table: str, columns: str, sources) -> None:
    db = sqlite3.connect(old)
    db.executescript(schema)
    for source in sources:
        with sqlite3.connect(source) as src:
            rows = src.execute(f"SELECT {columns} FROM {table}").fetchall()
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    db.commit()
    db.close()


# ---- the splitter ------------------------------------------------------------------------

# Like the answers: a key of its own, the server a column (NULL for DMs), and a column the
# new layout adds.
SCHEMA = "CREATE TABLE IF NOT EXISTS notes (note TEXT PRIMARY KEY, server INTEGER, extra INTEGER NOT NULL DEFAULT 7);"


def _old_notes(path: Path, notes: list[tuple[int | None, str]]) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (server INTEGER, note TEXT PRIMARY KEY)")
        db.executemany("INSERT INTO notes VALUES (?, ?)", notes)
    db.close()


def _folder(tmp_path: Path):
    return lambda key: tmp_path / ("dm" if key is None else str(key)) / "notes.sqlite"


def test_a_split_stopped_halfway_is_finished_by_the_next_start_and_never_overwrites(tmp_path):
    old = tmp_path / "notes.sqlite"
    _old_notes(old, [(1, "a"), (1, "b"), (2, "c"), (None, "dm")])
    where = _folder(tmp_path)
    seen: list[object] = []

    def crash_on_the_third(key):
        seen.append(key)
        if len(seen) == 3:
            raise KeyboardInterrupt  # the process is stopped here
        return where(key)

    with pytest.raises(KeyboardInterrupt):
        split_state_file(old, SCHEMA, "server", crash_on_the_third)
    assert old.exists()  # not renamed before every file has its rows
    done = [key for key in seen[:2]]
    with sqlite3.connect(where(done[0])) as db:  # the server changed its own file since
        db.execute("UPDATE notes SET extra = 99")
    db.close()

    assert len(split_state_file(old, SCHEMA, "server", where)) == 3
    assert split_state_file(old, SCHEMA, "server", where) == {}  # nothing left to do
    assert rows(where(1), "SELECT server, note FROM notes ORDER BY note") == [(1, "a"), (1, "b")]
    assert rows(where(2), "SELECT server, note FROM notes") == [(2, "c")]
    assert rows(where(None), "SELECT server, note FROM notes") == [(None, "dm")]
    for key in (1, 2, None):  # the change made since is not overwritten; a new column has its default
        assert rows(where(key), "SELECT DISTINCT extra FROM notes") == [(99 if key == done[0] else 7,)]
    assert rows(tmp_path / "notes.sqlite.migrated", "SELECT count(*) FROM notes") == [(4,)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["notes.sqlite.migrated"]


def test_processes_starting_together_split_once(tmp_path):
    old = tmp_path / "notes.sqlite"
    _old_notes(old, [(n, f"note {n}") for n in range(1, 41)])
    results: list[int] = []
    start = threading.Barrier(3)

    def split() -> None:
        start.wait()
        results.append(len(split_state_file(old, SCHEMA, "server", _folder(tmp_path))))

    threads = [threading.Thread(target=split) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 0, 40]
    assert all(rows(_folder(tmp_path)(n), "SELECT count(*) FROM notes") == [(1,)] for n in range(1, 41))


def test_many_servers_keep_only_a_few_files_open(tmp_path):
    store = GuildSettingsStore(tmp_path, max_open=3)
    for server in range(1, 11):
        store.update(server, private=server % 2 == 0)
    assert store._files.open_count == 3
    store.close()
    again = GuildSettingsStore(tmp_path, max_open=3)
    assert [again.get(server).private for server in range(1, 11)] == [server % 2 == 0 for server in range(1, 11)]
    again.close()
