"""Past one process: Discord's shards, one `citebot run` per shard range against one fake
Discord, and who the bot's owners are."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import sys

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from bot.app import GatewayUnreachable, ShardedCitebotBot, open_bot
from bot.checks import owner_only
from bot.settings import BotSettings
from fakediscord import FakeDiscord, all_text, running_bot, shard_of
from retrieval import SettingsError

TENTS = "How many tents were sent?"
LIGHTHOUSE = b"""date 2025-05-01
# Harbour lighthouse restored

Valletta - The harbour lighthouse shines again after its restoration.

The restoration of the lighthouse took eleven months and cost 2 million euros, the harbour board said.
"""
LIGHTHOUSE_Q = "How much did the restoration of the lighthouse cost?"


# ---- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count, ids, expected, shard_zero",
    [
        ("", "", (None, None), True),  # one process, no sharding
        ("4", "", (4, None), True),  # every shard here
        ("4", " 1-2, 3 ", (4, (1, 2, 3)), False),
        ("4", "3,0,0-1", (4, (0, 1, 3)), True),
        ("AUTO", "", ("auto", None), True),
    ],
)
def test_shard_settings_name_the_count_and_this_process_shards(count, ids, expected, shard_zero):
    settings = BotSettings.from_env({"CITEBOT_SHARD_COUNT": count, "CITEBOT_SHARD_IDS": ids}, dotenv=False)
    assert (settings.shard_count, settings.shard_ids) == expected
    assert settings.holds_shard_zero is shard_zero and settings.sharded is (expected[0] is not None)


@pytest.mark.parametrize("ids", ["4", "0-4", "2-1", "0,,1", "one", "0;1", "٣"])
def test_shard_ids_outside_the_count_or_misspelt_are_refused_in_one_line(ids):
    with pytest.raises(SettingsError) as caught:
        BotSettings.from_env({"CITEBOT_SHARD_COUNT": "4", "CITEBOT_SHARD_IDS": ids}, dotenv=False)
    assert str(caught.value) == (
        "CITEBOT_SHARD_IDS must be shard numbers from 0 to 3 (CITEBOT_SHARD_COUNT is 4), "
        f"as a list or ranges like 0-3 or 0,2, got {ids!r}"
    )


def test_a_bad_shard_count_is_named_alone():
    with pytest.raises(SettingsError) as caught:
        BotSettings.from_env({"CITEBOT_SHARD_COUNT": "0", "CITEBOT_SHARD_IDS": "1"}, dotenv=False)
    assert str(caught.value) == "CITEBOT_SHARD_COUNT must be a whole number from 1 to 100000 or auto, got '0'"


# ---- one process, several shards --------------------------------------------------------


async def test_shard_count_auto_runs_every_shard_discord_recommends(seed_citebot, tmp_path):
    async with FakeDiscord() as fake:
        fake.shard_count = 2
        far = fake.add_guild("On shard 1", shard=(1, 2))
        settings = BotSettings(cooldown_per_minute=0, shard_count="auto")
        bot = open_bot(seed_citebot, settings, state_dir=tmp_path, identify_delay=0)
        assert isinstance(bot, ShardedCitebotBot) and bot.builds_shared
        async with running_bot(bot, fake):
            assert bot.shard_count == 2 and sorted(p["shard"] for p in fake.identify_payloads) == [[0, 2], [1, 2]]
            assert {g.id for g in bot.guilds} == set(fake.guilds)
            message = await fake.send_message(TENTS, mentions_bot=True, channel_id=far.channel_id)
            assert "10,000" in all_text(await fake.wait_for_reply(message, timeout=30))
            assert {d["shard"] for d in fake.dispatched if d["t"] == "MESSAGE_CREATE"} == {(1, 2)}


async def test_a_sharded_bot_whose_gateway_refuses_the_websocket_stops_in_one_line(seed_citebot, tmp_path, caplog):
    async with FakeDiscord() as fake:
        settings = BotSettings(shard_count=2, shard_ids=(1,))
        bot = open_bot(seed_citebot, settings, state_dir=tmp_path, connect_delays=())
        assert not bot.builds_shared
        with fake.point_discord_py_here():
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{fake.port}/not-the-gateway")  # restored on exit
            await bot.login("fake-token")
            with pytest.raises(GatewayUnreachable, match=re.escape("the gateway refused the WebSocket (404")):
                await asyncio.wait_for(bot.connect(), 30)  # discord.py alone would retry every 5 s forever
            await bot.close()
    assert not [r for r in caplog.records if r.exc_info], "no traceback is logged"


# ---- owners -----------------------------------------------------------------------------


async def test_owners_are_the_applications_owner_or_team_and_the_setting(seed_citebot, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="citebot.audit")
    async with FakeDiscord() as fake:
        named, lead, developer, reader = (fake.add_user(n) for n in ("named", "lead", "dev", "reader"))
        bot = open_bot(seed_citebot, BotSettings(owner_ids=frozenset({named.id})), state_dir=tmp_path)

        @bot.tree.command(name="owners-only", description="Test: owners only")
        @owner_only()
        async def owners_only(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("done", ephemeral=True)

        async with running_bot(bot, fake):
            assert await bot.owners() == {fake.owner.id, named.id}
            for user, allowed in ((fake.owner, True), (named, True), (fake.moderator, False), (fake.user, False)):
                reply = await fake.wait_for_response(await fake.slash("owners-only", user=user))
                assert reply.ephemeral and reply.content == ("done" if allowed else "⚠️ Only the bot's owners can do this.")
            asked = [r for r in fake.requests if r.path == "/oauth2/applications/@me"]
            assert len(asked) == 1  # asked once, at login: not for every check

            fake.team = [(lead, "admin"), (developer, "developer"), (reader, "read_only")]
            assert await bot.owners() == {fake.owner.id, named.id}  # not asked again so soon
            assert await bot.owners(refresh=True) == {lead.id, developer.id, named.id}
            assert await bot.is_owner(discord.Object(developer.id)) and not await bot.is_owner(discord.Object(reader.id))
            refused = await fake.wait_for_response(await fake.slash("owners-only", user=fake.owner))
            assert refused.content == "⚠️ Only the bot's owners can do this."  # a team owns the application now
    assert any("refused /owners-only" in r.getMessage() and str(fake.user.id) in r.getMessage() for r in caplog.records)


# ---- one process per shard --------------------------------------------------------------


def run_env(citebot_dir, fake: FakeDiscord, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITEBOT_", "DISCORD_"))}
    return env | {
        "CITEBOT_SEEDS_DIR": str(citebot_dir / "seeds"),
        "CITEBOT_INDEX_DIR": str(citebot_dir / "index"),
        "CITEBOT_DATA_DIR": str(citebot_dir / "data"),
        "CITEBOT_COOLDOWN_PER_MINUTE": "0",
        "DISCORD_TOKEN": "the-token",
        "CITEBOT_DISCORD_API_BASE": fake.api_base,
        "CITEBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
        "PYTHONUNBUFFERED": "1",
    } | extra


async def start(env: dict[str, str], cwd, procs: list[asyncio.subprocess.Process]) -> str:
    """Start ``citebot run`` (added to ``procs``, for the caller to stop) and return its
    "connected as" line."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    procs.append(proc)
    return await logged(proc, "connected as")


async def logged(proc: asyncio.subprocess.Process, text: str, timeout: float = 90) -> str:
    """The next line of ``proc``'s log that holds ``text`` (the lines before it are read and
    checked for tracebacks, as its last lines are when it stops)."""
    assert proc.stderr is not None
    lines: list[str] = []

    async def find() -> str:
        while line := (await proc.stderr.readline()).decode():
            lines.append(line)
            assert "Traceback" not in line, "".join(lines)
            if text in line:
                return line
        raise AssertionError(f"citebot run exited before logging {text!r}:\n" + "".join(lines))

    return await asyncio.wait_for(find(), timeout)


async def test_two_processes_serve_two_shards_of_one_bot_from_one_shared_library(seed_citebot, tmp_path):
    shutil.copytree(seed_citebot.settings.seeds_dir, tmp_path / "seeds")
    shutil.copytree(seed_citebot.settings.index_dir, tmp_path / "index")  # built once for the session
    async with FakeDiscord(token="the-token") as fake:
        fake.shard_count = 2
        near, far = fake.add_guild("On shard 0", shard=(0, 2)), fake.add_guild("On shard 1", shard=(1, 2))
        procs: list[asyncio.subprocess.Process] = []
        try:
            envs = [run_env(tmp_path, fake, CITEBOT_SHARD_COUNT="2", CITEBOT_SHARD_IDS=str(shard), CITEBOT_REFRESH_SECONDS="1")
                    for shard in (0, 1)]
            started = await asyncio.gather(*(start(env, tmp_path, procs) for env in envs))
            for shard, line in enumerate(started):
                servers = sum(1 for gid in fake.guilds if shard_of(gid, 2) == shard)
                assert line.rstrip().endswith(f"to {servers} servers on shards {shard} of 2"), line
            assert sorted(p["shard"] for p in fake.identify_payloads) == [[0, 2], [1, 2]]
            assert len(fake.command_syncs) == 1  # by shard 0's process; the other leaves them alone

            # Each process gets its own shard's servers' events, and answers from the shared index.
            for guild, shard in ((far, 1), (near, 0)):
                message = await fake.send_message(TENTS, mentions_bot=True, channel_id=guild.channel_id)
                assert "10,000" in all_text(await fake.wait_for_reply(message, timeout=30))
                delivered = {d["shard"] for d in fake.dispatched if d["t"] == "MESSAGE_CREATE" and d["d"]["id"] == message["id"]}
                assert delivered == {(shard, 2)}
                it = await fake.slash("ask", {"question": "Where did the meeting take place?"}, channel_id=guild.channel_id)
                assert "Doha" in all_text(await fake.wait_for_followup(it, timeout=30))
                assert {d["shard"] for d in fake.dispatched if d["t"] == "INTERACTION_CREATE" and d["d"]["id"] == str(it.id)} == {(shard, 2)}
            dm = await fake.send_message(TENTS, dm=True)
            assert "10,000" in all_text(await fake.wait_for_reply(dm, timeout=30))
            assert {d["shard"] for d in fake.dispatched if d["t"] == "MESSAGE_CREATE" and d["d"]["id"] == dm["id"]} == {(0, 2)}
            assert len([m for m in fake.sent if m.reply_to == int(message["id"])]) == 1  # one answer, not one per process

            # `citebot index` on the command line publishes a new generation of the shared library:
            # both processes switch to it (each says so) and answer from it, in their servers and in DMs.
            (tmp_path / "seeds" / "lighthouse.txt").write_bytes(LIGHTHOUSE)
            index = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "index", env=run_env(tmp_path, fake), cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(index.communicate(), 90)
            assert index.returncode == 0 and "added: lighthouse.txt" in out.decode(), err.decode()
            for proc in procs:
                await logged(proc, "the shared library: now answering from a new index generation", timeout=30)
            for guild in (far, near):
                it = await fake.slash("ask", {"question": LIGHTHOUSE_Q}, channel_id=guild.channel_id)
                assert "2 million euros" in all_text(await fake.wait_for_followup(it, timeout=30))
            dm = await fake.send_message(LIGHTHOUSE_Q, dm=True)
            assert "2 million euros" in all_text(await fake.wait_for_reply(dm, timeout=30))
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGINT)
            outcomes = [await asyncio.wait_for(proc.communicate(), 30) for proc in procs]
    for proc, (_, err) in zip(procs, outcomes):
        assert proc.returncode == 0 and "Traceback" not in err.decode(), err.decode()[-2000:]
