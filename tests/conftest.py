"""Shared fixtures: one small index over the bundled seeds, built once per session, and every
test isolated from the developer's shell and ``.env``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from retrieval.index.embedder import load_embedder
from retrieval.api import Citebot
from retrieval.settings import Settings
from webserver import Server

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    """No CITEBOT_*/DISCORD_* variable from the developer's shell, and a fresh empty working folder,
    so ``Settings.from_env`` finds no ``.env`` (it searches the working folder and its parents).

    ``load_dotenv`` writes straight into ``os.environ``, out of monkeypatch's sight: whatever a
    test's in-process CLI run loads is removed again afterwards.
    """
    before = dict(os.environ)
    for name in before:
        if name.startswith(("CITEBOT_", "DISCORD_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    for name in set(os.environ) - set(before):
        del os.environ[name]


@pytest.fixture(scope="session")
def embedder():
    return load_embedder()


@pytest.fixture(scope="session")
def seed_citebot(tmp_path_factory, embedder) -> Citebot:
    """A Citebot over a copy of the bundled seeds, with its index built once."""
    base = tmp_path_factory.mktemp("seed")
    seeds = base / "seeds"
    shutil.copytree(SEEDS, seeds)
    citebot = Citebot(Settings(seeds_dir=seeds, index_dir=base / "index"), embedder=embedder)
    citebot.ensure_index()
    return citebot


@pytest.fixture
def server():
    """A web server on 127.0.0.1 whose routes the test sets (tests/webserver.py)."""
    s = Server()
    yield s
    s.close()


@pytest.fixture
def make_citebot(tmp_path, embedder):
    """A fresh Citebot over a seeds folder the test fills in."""

    def make(files: dict[str, str | bytes] | None = None) -> Citebot:
        seeds = tmp_path / "seeds"
        seeds.mkdir(exist_ok=True)
        for name, content in (files or {}).items():
            data = content.encode() if isinstance(content, str) else content
            (seeds / name).write_bytes(data)
        return Citebot(Settings(seeds_dir=seeds, index_dir=tmp_path / "index"), embedder=embedder)

    return make
