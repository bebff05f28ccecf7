"""Which way imports go: the core knows nothing of Discord or the bot, and the edges use
the core only through ``retrieval``'s public names (README, "Architecture")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import retrieval

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in ``source``, nested ones included;
    relative imports are resolved against ``package``, the module's own package."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def imports_of(path: Path) -> list[tuple[int, str]]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    return imported_modules(path.read_text(), package)


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_scanner_sees_every_kind_of_import():
    # The checks below would pass vacuously if the scanner missed imports: it does not.
    text = "import discord.ext\nfrom bot.app import x\ndef f():\n    from ..index import store\n    from . import search\n"
    names = [name for _, name in imported_modules(text, "retrieval.query")]
    assert names == ["discord.ext", "bot.app", "retrieval.index", "retrieval.query"]


@pytest.mark.parametrize("path", sources("retrieval"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_imports_neither_discord_nor_the_bot(path):
    bad = [f"{path.name}:{line} imports {name}" for line, name in imports_of(path)
           if name.split(".")[0] in ("discord", "bot")]
    assert not bad, "retrieval/ must not know the bot or Discord: " + "; ".join(bad)


@pytest.mark.parametrize("path", sources("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_edges_use_only_the_public_api_of_the_core(path):
    bad = [f"{path.name}:{line} imports {name}" for line, name in imports_of(path)
           if name.startswith("retrieval.")]
    assert not bad, "import these from `retrieval` (add them to retrieval/__init__.py): " + "; ".join(bad)


def test_every_public_name_of_the_core_resolves():
    missing = [name for name in retrieval.__all__ if not hasattr(retrieval, name)]
    assert not missing
    with pytest.raises(AttributeError):
        retrieval.no_such_name  # noqa: B018


def test_the_command_line_loads_neither_discord_nor_the_search_code_to_read_settings():
    # A bad setting or `citebot --help` must answer at once: the public API loads lazily.
    code = (
        "import sys; import bot.cli, bot.settings; bot.settings.read_settings({}); "
        "print(sorted(m for m in ('discord', 'numpy', 'retrieval.api') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_the_type_checking_imports_list_exactly_the_public_names():
    # Editors and type checkers read the TYPE_CHECKING block; the lazy table is what runs.
    # A name in one and not the other would mislead one of them.
    tree = ast.parse((ROOT / "retrieval" / "__init__.py").read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    imported = {(node.module, alias.name) for node in ast.walk(block) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert imported == {(module, name) for name, module in retrieval._EXPORTS.items()}
