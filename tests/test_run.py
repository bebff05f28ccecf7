"""``citebot run`` as a user starts it: token handling, exit codes, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from fake_discord import FakeDiscord

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
