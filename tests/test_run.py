"""``citebot run`` as a user starts it: token handling, exit codes, clean shutdown."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yarl
from discord.gateway import DiscordWebSocket

from bot.app import GatewayUnreachable, api_base_url, open_bot
from bot.cli import main
from bot.guild_settings import GuildSettingsStore
from bot.settings import BotSettings
from fakediscord import FakeDiscord

ROOT = Path(__file__).resolve().parents[1]


def run_env(seed_citebot, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITEBOT_", "DISCORD_"))}
    env |= {
        "CITEBOT_SEEDS_DIR": str(seed_citebot.settings.seeds_dir),
        "CITEBOT_INDEX_DIR": str(seed_citebot.settings.index_dir),
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


def test_missing_token_is_one_line_and_non_zero(seed_citebot, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], env=run_env(seed_citebot), cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "DISCORD_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_data_folder_that_is_a_file_is_one_line_and_non_zero(seed_citebot, tmp_path):
    (tmp_path / "state").write_text("a file where the data folder should be")
    env = run_env(seed_citebot, DISCORD_TOKEN="never-used", CITEBOT_DATA_DIR=str(tmp_path / "state"))
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(f"citebot: cannot use the data folder {tmp_path / 'state'}")


def test_no_documents_to_serve_is_the_same_line_as_for_every_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "never-used")
    folders = ["--seeds", str(tmp_path / "missing"), "--index-dir", str(tmp_path / "index")]
    lines = []
    for command in ("run", "sources"):
        assert main([*folders, command], out=io.StringIO()) == 2
        lines.append(capsys.readouterr().err.strip())
    assert lines[0] == lines[1] == f"citebot: seeds folder not found: {tmp_path / 'missing'} (use --seeds DIR or set CITEBOT_SEEDS_DIR)"


async def test_rejected_token_is_one_line_and_never_logged(seed_citebot, tmp_path):
    async with FakeDiscord(token="the-right-token") as fake:
        env = run_env(
            seed_citebot,
            DISCORD_TOKEN="wrong-secret-token",
            CITEBOT_DISCORD_API_BASE=fake.api_base,
            CITEBOT_DISCORD_GATEWAY_URL=fake.gateway_url,
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = (out + err).decode()
    assert proc.returncode == 1
    assert "rejected the token" in err.decode().strip().splitlines()[-1]
    assert "Traceback" not in text and "wrong-secret-token" not in text


async def test_token_from_dotenv_connects_and_stops_cleanly(seed_citebot, tmp_path):
    async with FakeDiscord(token="dotenv-secret") as fake:
        (tmp_path / ".env").write_text("DISCORD_TOKEN=dotenv-secret\nCITEBOT_LOG_LEVEL=INFO\n")
        env = run_env(
            seed_citebot, CITEBOT_DISCORD_API_BASE=fake.api_base, CITEBOT_DISCORD_GATEWAY_URL=fake.gateway_url
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        lines: list[str] = []
        try:
            async def read_until_connected() -> None:
                assert proc.stderr is not None
                while line := await proc.stderr.readline():
                    lines.append(line.decode())
                    if "connected as" in lines[-1]:
                        return
                raise AssertionError("bot exited before connecting:\n" + "".join(lines))

            await asyncio.wait_for(read_until_connected(), 60)
            it = await fake.slash("ask", {"question": "How many tents were sent?"})
            reply = await fake.wait_for_followup(it, timeout=30)
            assert "10,000" in reply.embeds[0]["description"]
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
    text = "".join(lines) + (out + err).decode()
    assert "dotenv-secret" not in text
    assert proc.returncode == 0, text[-2000:]
    assert "How many tents" not in text  # questions are not logged at the default level


@pytest.fixture
def closed_port():
    """A 127.0.0.1 port that refuses connections: bound, never listening, so nothing else takes it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def test_unreachable_gateway_is_retried_then_one_line_and_non_zero(seed_citebot, tmp_path, closed_port):
    async with FakeDiscord(token="the-token") as fake:  # REST answers; the gateway is down
        env = run_env(
            seed_citebot,
            DISCORD_TOKEN="the-token",
            CITEBOT_DISCORD_API_BASE=fake.api_base,
            CITEBOT_DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{closed_port}/gateway",
            CITEBOT_CONNECT_ATTEMPTS="2",
            CITEBOT_DATA_DIR=str(tmp_path / "state"),
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 1 and "Traceback" not in err.decode()
    retries = [line for line in lines if "cannot reach the Discord gateway" in line and "attempt" in line]
    assert len(retries) == 1 and retries[0].endswith("(attempt 1 of 2): connection refused; retrying in 1 s")
    assert lines[-1] == (
        f"citebot: cannot reach the Discord gateway at ws://127.0.0.1:{closed_port}/gateway: "
        "connection refused (tried 2 times)"
    )
    assert len(lines) <= 8, lines  # start-up lines, one per attempt, the reason: not pages of tracebacks


@pytest.mark.parametrize(
    "gateway, reason, delays",
    [
        ("ws://citebot-gateway.invalid/gateway", "cannot resolve citebot-gateway.invalid", (0,)),
        # Reachable, but not a gateway: discord.py's own first attempt fails, logs a traceback
        # and would crash on its retry; one attempt, as discord.py waits up to 2 s first.
        ("ws://127.0.0.1:{port}/not-the-gateway", "the gateway refused the WebSocket (404", ()),
    ],
    ids=["dns-failure", "websocket-refused"],
)
async def test_a_first_connection_that_fails_is_one_line_per_attempt(seed_citebot, tmp_path, caplog, gateway, reason, delays):
    async with FakeDiscord() as fake:
        bot = open_bot(seed_citebot, BotSettings(), state_dir=tmp_path, connect_delays=delays)
        with fake.point_discord_py_here():
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway.format(port=fake.port))  # restored on exit
            await bot.login("fake-token")
            with pytest.raises(GatewayUnreachable, match=re.escape(reason)):
                await bot.connect()
            await bot.close()
    retries = [r.getMessage() for r in caplog.records if r.name == "citebot.bot" and "attempt" in r.getMessage()]
    assert len(retries) == len(delays) and all(reason in r for r in retries)
    assert not [r for r in caplog.records if r.exc_info], "no traceback is logged"


async def test_closing_the_bot_closes_the_state_stores_it_was_handed(seed_citebot, tmp_path):
    bot = open_bot(seed_citebot, BotSettings(), state_dir=tmp_path)
    bot.guild_settings.update(1, private=True)
    await bot.close()  # what `citebot run` does on the way out, however the bot stopped
    for use in (lambda: bot.guild_settings.update(1, private=False), bot.answers.prune):
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            use()
    again = GuildSettingsStore(tmp_path)
    assert again.get(1).private  # saved before it closed
    again.close()


@pytest.mark.parametrize("suffix", ["", "/", "/api", "/api/v10/"])
def test_the_api_base_may_be_given_with_or_without_its_version_path(suffix):
    assert api_base_url(f"http://127.0.0.1:8080{suffix}", 10) == "http://127.0.0.1:8080/api/v10"
    assert api_base_url("https://example.org/discord/api/v9", 10) == "https://example.org/discord/api/v9"


async def test_a_bare_api_base_reaches_the_fake_and_connects(seed_citebot, tmp_path):
    async with FakeDiscord(token="the-token") as fake:
        env = run_env(
            seed_citebot,
            DISCORD_TOKEN="the-token",
            CITEBOT_DISCORD_API_BASE=fake.base_url + "/",  # no /api/v10
            CITEBOT_DISCORD_GATEWAY_URL=fake.gateway_url,
            CITEBOT_DATA_DIR=str(tmp_path / "state"),
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        lines: list[str] = []
        try:
            assert proc.stderr is not None
            while line := (await asyncio.wait_for(proc.stderr.readline(), 60)).decode():
                lines.append(line)
                if "connected as" in line:
                    break
            else:
                raise AssertionError("bot exited before connecting:\n" + "".join(lines))
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0 and "Traceback" not in "".join(lines) + err.decode()
    assert any(r.path == "/users/@me" for r in fake.requests)  # REST went through /api/v10
