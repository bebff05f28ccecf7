"""/seed add and /seed remove through the fake Discord, with the real discord.py client."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import replace
from types import SimpleNamespace
from pathlib import Path

import discord
import pytest
import pytest_asyncio

from bot.app import open_bot
from bot.cogs.seed import attachment_problem
from bot.settings import BotSettings
from fakediscord import CommandUnavailable, FakeDiscord, all_text, running_bot
from make_documents import MINUTES_TITLE, encrypted_pdf, image_only_pdf, minutes_pdf, timetable_docx
from retrieval.documents.formats import word
from retrieval.documents.seeds import add_document
from retrieval.errors import ReindexRunning
from webserver import PUBLIC, FakeNetwork, claims_a_gigabyte, redirect, send

ROOT = Path(__file__).resolve().parents[1]
MANAGE_GUILD = 0x20
REINDEX_TIMEOUT = 120  # a rebuild embeds the new document; generous for slow CI machines

HARBOUR = (
    "title: Harbour Festival Report\n"
    "date 2025-03-02\n\n"
    "Valletta - The harbour festival drew 3,000 visitors on Saturday, organisers said.\n\n"
    "The fireworks display lasted forty minutes and closed the evening.\n"
).encode()


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory, seed_citebot):
    """A bot whose shared library is the seeds, with an audit channel. /seed in the test's
    server changes that server's own library: ``seeds`` is its folder, which these tests change."""
    data = tmp_path_factory.mktemp("seedbot")
    async with FakeDiscord() as fake:
        audit_channel = fake.add_channel("mod-log")
        settings = BotSettings(cooldown_per_minute=0, audit_channel_id=audit_channel, max_upload_bytes=64 * 1024)
        bot = open_bot(seed_citebot, settings, state_dir=data)
        seeds = bot.libraries.seeds_folder(fake.guild_id, create=True)
        async with running_bot(bot, fake, timeout=REINDEX_TIMEOUT):
            yield fake, bot, seeds, audit_channel


def unescape(text: str) -> str:
    return text.replace("\\", "")


@pytest.fixture
def downloads(monkeypatch) -> list[str]:
    """Every attachment the bot downloads (the fake's CDN route does not record requests)."""
    seen: list[str] = []
    real_read = discord.Attachment.read

    async def read(self, *args, **kwargs):
        seen.append(self.filename)
        return await real_read(self, *args, **kwargs)

    monkeypatch.setattr(discord.Attachment, "read", read)
    return seen


@pytest.mark.parametrize(
    "filename, size, content_type, problem",
    [
        ("notes.txt", 10, "text/plain; charset=utf-8", None),
        ("notes.md", 10, "text/markdown; charset=utf-8", None),
        ("notes.md", 10, None, None),
        ("notes.md", 10, "application/octet-stream", None),
        ("notes.txt", 10, "image/png", "image/png"),
        ("notes.txt", 10, "application/pdf", "application/pdf"),
        ("report.pdf", 10, "application/pdf", None),
        ("report.pdf", 10, None, None),
        ("report.pdf", 10, "image/png", "report.pdf is image/png, not a PDF"),
        ("statement.docx", 10, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
        ("statement.docx", 10, "application/msword", "not a Word file"),
        ("page.html", 10, "text/html; charset=utf-8", None),
        ("page.htm", 10, "application/xhtml+xml", None),
        ("page.html", 10, "application/pdf", "not a web page"),
        ("notes.png", 10, "image/png", ".txt or .md"),
        ("notes.txt", 1001, "text/plain", "limit is 1,000 bytes"),
        ("notes.txt", 0, "text/plain", "empty"),
    ],
)
def test_attachment_checks_before_download(filename, size, content_type, problem):
    attachment = SimpleNamespace(filename=filename, size=size, content_type=content_type)
    found = attachment_problem(attachment, 1000)  # type: ignore[arg-type]
    assert found is None if problem is None else problem in found


async def seed(fake, name: str, options: dict, user=None):
    """Run a /seed subcommand as the moderator; return (initial response, the one follow-up)."""
    it = await fake.slash(f"seed {name}", options, user=user or fake.moderator)
    first = await fake.wait_for_response(it)
    reply = await fake.wait_for_followup(it, timeout=REINDEX_TIMEOUT)
    return first, reply


async def test_seed_group_is_synced_for_moderators_in_servers_only(world):
    fake, bot, seeds, _ = world
    command = next(c for c in fake.global_commands if c["name"] == "seed")
    assert int(command["default_member_permissions"]) == MANAGE_GUILD
    assert {o["name"] for o in command["options"]} == {"add", "remove"}
    add = next(o for o in command["options"] if o["name"] == "add")
    assert [(o["name"], o.get("required", False)) for o in add["options"]] == [
        ("file", False), ("url", False), ("replace", False), ("library", False)]  # a file or a url: the bot checks which
    with pytest.raises(CommandUnavailable):
        await fake.slash("seed add", {"file": fake.add_attachment("x.txt", HARBOUR, "text/plain")},
                         user=fake.moderator, guild=False)


async def test_seed_add_saves_reindexes_summarises_and_answers_from_it(world, downloads):
    fake, bot, seeds, audit_channel = world
    url = fake.add_attachment("harbour.txt", HARBOUR, "text/plain; charset=utf-8")  # as Discord sends it
    first, reply = await seed(fake, "add", {"file": url})
    assert first.type == 5 and first.ephemeral  # deferred privately: the rebuild takes a while
    assert reply.ephemeral
    assert (seeds / "harbour.txt").read_bytes() == HARBOUR
    assert downloads == ["harbour.txt"] and fake.cdn_downloads == [url]
    text = unescape(reply.content)
    assert "Saved harbour.txt" in text and "Reindexed" in text and "added: harbour.txt" in text

    it = await fake.slash("ask", {"question": "How many visitors did the harbour festival draw?"})
    answer = all_text(await fake.wait_for_followup(it, timeout=30))
    assert "3,000" in answer and "Harbour Festival Report" in answer

    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: "seed add harbour" in unescape(m.content))
    assert "\n" not in notice.content
    assert f"{fake.moderator.username} ({fake.moderator.id})" in unescape(notice.content)
    assert "added: harbour.txt" in unescape(notice.content)
    assert notice.allowed_mentions is not None and not notice.allowed_mentions.get("parse")


async def test_seed_add_refuses_a_duplicate_unless_replace(world):
    fake, bot, seeds, _ = world
    add_document(seeds, "dup.txt", HARBOUR.replace(b"Harbour Festival", b"Dock Fair"))
    newer = HARBOUR.replace(b"Harbour Festival", b"Dock Fair").replace(b"3,000", b"4,000")
    url = fake.add_attachment("dup.txt", newer, "text/plain")
    _, reply = await seed(fake, "add", {"file": url})
    assert "already exists; use replace" in reply.content and reply.ephemeral
    assert b"3,000" in (seeds / "dup.txt").read_bytes()

    _, reply = await seed(fake, "add", {"file": url, "replace": True})
    assert (seeds / "dup.txt").read_bytes() == newer
    assert "Reindexed" in reply.content


async def test_seed_add_refused_for_member_without_manage_server(world, downloads):
    fake, bot, seeds, _ = world
    url = fake.add_attachment("sneaky.txt", HARBOUR, "text/plain")
    # Discord's client hides the command from such a member...
    with pytest.raises(CommandUnavailable):
        await fake.slash("seed add", {"file": url}, user=fake.user)
    # ...but admins can open it to everyone; the bot's own check still refuses.
    fake.permission_overrides.add("seed")
    try:
        it = await fake.slash("seed add", {"file": url}, user=fake.user)
        refusal = await fake.wait_for_response(it)
        complete = await fake.autocomplete("seed remove", {"name": "h"}, user=fake.user)
        choices = (await fake.wait_for_response(complete)).choices
    finally:
        fake.permission_overrides.discard("seed")
    assert refusal.ephemeral and "Manage Server" in refusal.content
    assert not (seeds / "sneaky.txt").exists() and downloads == []
    assert choices == []  # the folder's names are not listed to them either


@pytest.mark.parametrize(
    "filename, data, content_type, reason",
    [
        ("chart.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png", ".txt or .md"),
        ("chart.txt", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png", "image/png"),
        (".env", b"DISCORD_TOKEN=x\n", "text/plain", "hidden"),
        ("con.txt", HARBOUR, "text/plain", "reserved"),
        ("evil\u202etxt.md", HARBOUR, "text/markdown", "direction-changing characters (U+202E)"),
        ("pay\u200broll.txt", HARBOUR, "text/plain", "invisible"),
        ("next\x85line.txt", HARBOUR, "text/plain", "U+0085"),
        ("line\u2028sep.txt", HARBOUR, "text/plain", "U+2028"),
        ("para\u2029sep.txt", HARBOUR, "text/plain", "U+2029"),
        ("x\u3164.txt", HARBOUR, "text/plain", "U+3164"),  # a Hangul filler: shows as "x.txt"
        ("x\u2800.txt", HARBOUR, "text/plain", "U+2800"),  # braille blank
        ("\uff58.txt", HARBOUR, "text/plain", "look-alike"),  # full-width x
        ("conin$.txt", HARBOUR, "text/plain", "reserved"),
        ("\ud800.txt", HARBOUR, "text/plain", "U+D800"),  # a lone surrogate: refused, not a crash
    ],
)
async def test_seed_add_refuses_by_name_or_type_before_downloading(world, downloads, filename, data, content_type, reason):
    fake, bot, seeds, _ = world
    before = sorted(p.name for p in seeds.iterdir())
    _, reply = await seed(fake, "add", {"file": fake.add_attachment(filename, data, content_type)})
    assert reply.ephemeral and "Not added" in reply.content and reason in unescape(reply.content)
    assert downloads == []
    assert sorted(p.name for p in seeds.iterdir()) == before


async def test_seed_add_refusal_of_a_line_separator_name_is_one_readable_audit_line(world):
    fake, bot, seeds, audit_channel = world
    url = fake.add_attachment("next\x85line.txt", HARBOUR, "text/plain")
    _, reply = await seed(fake, "add", {"file": url})
    assert "Not added" in reply.content and "U+0085" in reply.content and "\x85" not in reply.content
    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: "seed add next" in unescape(m.content))
    text = unescape(notice.content)
    assert "seed add next<U+0085>line.txt" in text and "\x85" not in text and "\n" not in text


@pytest.mark.parametrize("filename, spelled", [("x\u3164.txt", "x<U+3164>.txt"), ("\ud800.txt", "<U+D800>.txt")])
async def test_seed_add_refusal_of_a_blank_or_surrogate_name_spells_it_out(world, filename, spelled):
    fake, bot, seeds, audit_channel = world
    _, reply = await seed(fake, "add", {"file": fake.add_attachment(filename, HARBOUR, "text/plain")})
    assert "Not added" in reply.content and filename not in reply.content
    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: spelled in unescape(m.content))
    assert filename not in notice.content and "\n" not in notice.content


async def test_seed_add_respects_a_document_limit_lower_than_the_upload_limit(world, downloads, monkeypatch):
    fake, bot, seeds, _ = world
    monkeypatch.setattr(bot.libraries, "settings", replace(bot.libraries.settings, max_document_bytes=1000))
    assert bot.settings.max_upload_bytes > 1000
    data = HARBOUR + b"The ferry ran late. " * 60
    _, reply = await seed(fake, "add", {"file": fake.add_attachment("ferry.txt", data, "text/plain")})
    assert "Not added" in reply.content and "the limit is 1,000 bytes" in unescape(reply.content)
    assert downloads == [] and not (seeds / "ferry.txt").exists()


async def test_seed_add_refuses_a_too_large_attachment_before_downloading(world, downloads):
    fake, bot, seeds, _ = world
    big = b"word " * (bot.settings.max_upload_bytes // 5 + 1)
    _, reply = await seed(fake, "add", {"file": fake.add_attachment("big.txt", big, "text/plain")})
    assert "Not added" in reply.content and "limit" in reply.content
    assert downloads == [] and not (seeds / "big.txt").exists()


async def test_seed_add_refuses_text_that_is_not_utf8_after_downloading(world, downloads):
    fake, bot, seeds, _ = world
    utf16 = "The harbour festival drew visitors.".encode("utf-16")
    _, reply = await seed(fake, "add", {"file": fake.add_attachment("wide.txt", utf16, "text/plain")})
    assert downloads == ["wide.txt"]
    assert "Not added" in reply.content and "UTF-16" in reply.content
    assert not (seeds / "wide.txt").exists()


async def test_seed_add_while_a_reindex_runs_keeps_the_file(world, monkeypatch):
    fake, bot, seeds, _ = world

    def busy(*args, **kwargs):
        raise ReindexRunning("a reindex is already running")

    monkeypatch.setattr(bot.libraries.library(fake.guild_id), "reindex", busy)
    url = fake.add_attachment("queued.txt", HARBOUR.replace(b"Harbour", b"Quay"), "text/plain")
    _, reply = await seed(fake, "add", {"file": url})
    assert "a reindex is already running; try again when it finishes" in reply.content.lower()
    assert (seeds / "queued.txt").exists()


async def test_seed_remove_moves_the_file_and_the_document_leaves_sources(world, caplog):
    fake, bot, seeds, audit_channel = world
    caplog.set_level(logging.INFO, logger="citebot.audit")
    add_document(seeds, "old_notice.txt", HARBOUR.replace(b"Harbour Festival Report", b"Old Ferry Notice"))
    await asyncio.to_thread(bot.libraries.library(fake.guild_id).reindex)
    it = await fake.slash("sources")
    assert "Old Ferry Notice" in all_text(await fake.wait_for_response(it))

    complete = await fake.autocomplete("seed remove", {"name": "old"}, user=fake.moderator)
    assert "old_notice.txt" in [c["value"] for c in (await fake.wait_for_response(complete)).choices]

    _, reply = await seed(fake, "remove", {"name": "old_notice.txt"})
    assert reply.ephemeral and "removed: old_notice.txt" in unescape(reply.content)
    assert not (seeds / "old_notice.txt").exists()
    moved = seeds.parent / "removed" / "old_notice.txt"
    assert b"Old Ferry Notice" in moved.read_bytes()  # moved beside the seeds, not deleted

    it = await fake.slash("sources")
    assert "Old Ferry Notice" not in all_text(await fake.wait_for_response(it))
    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: "seed remove old" in unescape(m.content))
    assert "\n" not in notice.content
    # The log has it too, at INFO: who (name and id), what, and the outcome; the record's time is the when.
    (record,) = [r for r in caplog.records if r.name == "citebot.audit" and "seed remove" in r.getMessage()]
    line = record.getMessage()
    assert record.levelno == logging.INFO and "\n" not in line
    assert f"mod ({fake.moderator.id})" in line and "old_notice.txt" in line and "removed: old_notice.txt" in line


async def test_seed_remove_of_unknown_or_unsafe_name_is_refused(world):
    fake, bot, seeds, _ = world
    (seeds / "harbour.txt").write_bytes(HARBOUR)  # what a path that climbs out and back names
    _, reply = await seed(fake, "remove", {"name": "nothing-here.txt"})
    assert "Not removed" in reply.content and "no document named" in unescape(reply.content)
    _, reply = await seed(fake, "remove", {"name": "../seeds/harbour.txt"})
    assert "Not removed" in reply.content
    assert (seeds / "harbour.txt").exists()


# Files a moderator dropped into the folder by hand, with names /seed add would refuse.
HAND_DROPPED = {
    "Q&A: plan.md": "q&a",
    "con.md": "con",
    "report..final.txt": "report",
    "notes  v2.txt": "notes",  # two spaces: Discord would collapse them in a value
    "long " + "x" * 111 + ".txt": "long",  # 120 characters: more than an option value can hold
    "sneaky\u202etxt.md": "sneaky",
}


async def test_seed_remove_removes_files_dropped_in_by_hand_picked_from_autocomplete(world):
    fake, bot, seeds, audit_channel = world
    for n, name in enumerate(HAND_DROPPED):
        (seeds / name).write_bytes(HARBOUR.replace(b"Harbour Festival", f"Handmade {n}".encode()))
    for name, typed in HAND_DROPPED.items():
        complete = await fake.autocomplete("seed remove", {"name": typed}, user=fake.moderator)
        choices = (await fake.wait_for_response(complete)).choices
        assert choices and all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
        picked = [c for c in choices if c["name"].startswith(name[:40].replace("\u202e", "<U+202E>"))]
        assert len(picked) == 1, (name, choices)
        _, reply = await seed(fake, "remove", {"name": picked[0]["value"]})
        text = unescape(reply.content)
        assert "Moved" in text and "Not removed" not in text, text
        assert not (seeds / name).exists()
        assert (seeds.parent / "removed" / name).exists()  # moved, not deleted

    long = next(n for n in HAND_DROPPED if n.startswith("long"))
    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: "seed remove long" in unescape(m.content))
    assert long in unescape(notice.content)  # the audit names the real file, not the token
    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: "seed remove sneaky" in unescape(m.content))
    assert "seed remove sneaky<U+202E>txt.md" in unescape(notice.content) and "\u202e" not in notice.content
    assert "removed: sneaky<U+202E>txt.md" in unescape(notice.content)  # the reindex summary too


async def test_seed_remove_by_typed_exact_name_of_a_file_dropped_by_hand(world):
    fake, bot, seeds, _ = world
    (seeds / "Q&A: typed.md").write_bytes(HARBOUR.replace(b"Harbour Festival", b"Typed Name"))
    _, reply = await seed(fake, "remove", {"name": "Q&A: typed.md"})
    assert "Moved Q&A: typed.md" in unescape(reply.content)
    assert not (seeds / "Q&A: typed.md").exists()


async def test_seed_remove_autocomplete_keeps_names_differing_only_in_case_or_spacing(world):
    fake, bot, seeds, _ = world
    names = ["Twin.txt", "twin.txt", "twin  pair.txt", "twin pair.txt"]
    for name in names:
        (seeds / name).write_bytes(HARBOUR)
    try:
        complete = await fake.autocomplete("seed remove", {"name": "twin"}, user=fake.moderator)
        values = [c["value"] for c in (await fake.wait_for_response(complete)).choices]
        assert len(values) == len(set(values)) == 4
        assert {"Twin.txt", "twin.txt", "twin pair.txt"} <= set(values)
    finally:
        for name in names:
            (seeds / name).unlink(missing_ok=True)


async def test_reindex_is_audited(world):
    fake, bot, seeds, audit_channel = world
    it = await fake.slash("reindex", user=fake.moderator)
    summary = await fake.wait_for_followup(it, timeout=REINDEX_TIMEOUT)
    assert "Reindexed" in summary.content
    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: unescape(m.content).startswith("mod (") and "reindex" in m.content and "seed" not in m.content)
    assert "done" in notice.content and "\n" not in notice.content


# ---- CITEBOT_WATCH glue (the watcher itself is retrieval.documents.watch's, tested there) ----------


async def test_watch_setting_reindexes_files_dropped_by_hand_and_stops_with_the_cog(tmp_path, monkeypatch):
    from bot.cogs import seed as seed_cog
    import retrieval
    from retrieval.documents import watch

    looked = asyncio.Event()  # set by the watcher once its first look (the baseline) is taken
    # The cog takes the watcher from the package, which keeps the function once it is first
    # looked up, so the package's name is the one to replace.
    monkeypatch.setattr(retrieval, "watch_seeds", functools.partial(watch.watch_seeds, started=looked))
    monkeypatch.setattr(seed_cog, "WATCH_INTERVAL", 0.02)
    monkeypatch.setattr(seed_cog, "WATCH_DEBOUNCE", 0.05)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_bytes(HARBOUR)
    calls: list[str] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def reindex(reason: str = "requested"):
        calls.append(reason)
        if len(calls) == 1:  # a /reindex happens to be running: the change must stay pending
            raise ReindexRunning("a reindex is already running")
        loop.call_soon_threadsafe(done.set)

    async def run_rebuild(func, *args, **kwargs):
        return await asyncio.to_thread(func, *args, **kwargs)

    bot = SimpleNamespace(
        settings=BotSettings(watch=True),
        builds_shared=True,
        libraries=SimpleNamespace(shared=SimpleNamespace(reindex=reindex), seeds_folder=lambda library, create=False: seeds),
        run_rebuild=run_rebuild,
    )
    cog = seed_cog.Seed(bot)  # type: ignore[arg-type]
    await cog.cog_load()
    try:
        await asyncio.wait_for(looked.wait(), 10)
        (seeds / "b.txt").write_bytes(HARBOUR)  # dropped in by hand
        await asyncio.wait_for(done.wait(), timeout=10)
        assert calls == ["seeds folder changed", "seeds folder changed"]
        task = cog._watch_task
    finally:
        await cog.cog_unload()
    assert task is not None and task.done()


async def test_no_watcher_without_the_setting(tmp_path):
    from bot.cogs import seed as seed_cog

    bot = SimpleNamespace(settings=BotSettings(), libraries=SimpleNamespace(seeds_folder=lambda library, create=False: tmp_path))
    cog = seed_cog.Seed(bot)  # type: ignore[arg-type]
    await cog.cog_load()
    assert cog._watch_task is None
    await cog.cog_unload()


# ---- PDF, Word and web pages: attachments and URLs ---------------------------------------------

NEWS = (ROOT / "tests" / "data" / "news_article.html").read_bytes()
NEWS_TITLE = "Ferry service returns to the harbour after winter repairs"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def allow_private(world, monkeypatch):
    """CITEBOT_FETCH_ALLOW_PRIVATE on for this test: the test's server is on 127.0.0.1."""
    bot = world[1]
    monkeypatch.setattr(bot.libraries, "settings", replace(bot.libraries.settings, fetch_allow_private=True))


async def test_seed_add_url_fetches_the_page_says_what_it_found_and_answers_link_to_it(world, server, allow_private):
    fake, bot, seeds, audit_channel = world
    server.routes["/news/ferry"] = lambda handler, seen: send(handler, 200, NEWS)
    url = server.url("/news/ferry")
    first, reply = await seed(fake, "add", {"url": url})
    assert first.type == 5 and first.ephemeral and reply.ephemeral
    text = unescape(reply.content)
    assert text.startswith(f"Saved {NEWS_TITLE}.html from {url}: “{NEWS_TITLE}”, 2024-05-17, 6 paragraphs.\nReindexed")
    assert (seeds / f"{NEWS_TITLE}.html").read_bytes() == NEWS
    assert (seeds / f"{NEWS_TITLE}.html.source.json").exists()
    server.close()  # answering needs no network

    it = await fake.slash("ask", {"question": "How much did the repairs to the landing stage cost?"})
    description = (await fake.wait_for_followup(it, timeout=30)).embeds[0]["description"]
    assert "3.2 million kroner" in unescape(description)
    # The citation is a masked link to the page, naming its section.
    assert f"— [*{NEWS_TITLE}*, 2024-05-17, § Funding, ¶1]({url})" in description

    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: f"seed add url {url}" in unescape(m.content))
    assert "\n" not in notice.content and "Saved" in notice.content


async def test_seed_add_url_of_a_private_address_is_refused_with_the_setting_off(world, server):
    fake, bot, seeds, audit_channel = world
    assert not bot.libraries.settings.fetch_allow_private
    server.routes["/news/ferry"] = lambda handler, seen: send(handler, 200, NEWS)
    before = sorted(p.name for p in seeds.iterdir())
    _, reply = await seed(fake, "add", {"url": server.url("/news/ferry")})
    assert reply.ephemeral and "\n" not in reply.content
    assert unescape(reply.content) == "Not added: 127.0.0.1 is a loopback address; only public addresses are fetched."
    assert server.seen == [] and sorted(p.name for p in seeds.iterdir()) == before
    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: "seed add url http://127.0.0.1" in unescape(m.content))
    assert "refused: Not added: 127.0.0.1 is a loopback address" in unescape(notice.content)


async def test_seed_add_url_redirected_to_a_private_address_is_refused(world, server, monkeypatch):
    fake, bot, seeds, _ = world
    server.routes["/story"] = redirect("http://10.0.0.7/admin")
    network = FakeNetwork(server, {"news.example": [PUBLIC]})
    monkeypatch.setattr(bot.get_cog("Seed"), "network", network)
    _, reply = await seed(fake, "add", {"url": server.url("/story", "news.example")})
    assert unescape(reply.content) == "Not added: 10.0.0.7 is a private address; only public addresses are fetched."
    assert network.connected == [PUBLIC]  # the redirect's target was never connected to


async def test_seed_add_url_claiming_a_gigabyte_is_refused_before_the_download(world, server, allow_private):
    fake, bot, seeds, _ = world

    server.routes["/huge.pdf"] = claims_a_gigabyte
    _, reply = await seed(fake, "add", {"url": server.url("/huge.pdf")})
    assert unescape(reply.content) == "Not added: the file is 953.7 MiB; the limit is 64 KiB."
    seen = server.seen[0]
    assert await asyncio.to_thread(seen.done.wait, 10)
    assert seen.write_failed and seen.body_bytes_sent < 64 * (1 << 20)
    assert not any(p.suffix == ".pdf" for p in seeds.iterdir())


@pytest.mark.parametrize("url", ["/etc/hostname", "file:///etc/hostname", "seeds/000_456f3f2e67ceee91.txt"])
async def test_seed_add_url_is_never_read_as_a_local_path(world, url):
    fake, bot, seeds, _ = world
    _, reply = await seed(fake, "add", {"url": url})
    assert unescape(reply.content).startswith("Not added: only http and https URLs are fetched")


async def test_seed_add_needs_a_file_or_a_url_but_not_both(world, downloads):
    fake, bot, seeds, _ = world
    for options in ({}, {"file": fake.add_attachment("both.txt", HARBOUR, "text/plain"), "url": "https://x.example/"}):
        _, reply = await seed(fake, "add", options)
        assert reply.content == "Not added: give either a file or a url, not both or neither."
    assert downloads == [] and not (seeds / "both.txt").exists()


async def test_seed_add_a_pdf_says_its_pages_and_answers_cite_the_page(world):
    fake, bot, seeds, _ = world
    url = fake.add_attachment("minutes.pdf", minutes_pdf().pdf, "application/pdf")
    _, reply = await seed(fake, "add", {"file": url})
    text = unescape(reply.content)
    assert text.startswith(f"Saved minutes.pdf: “{MINUTES_TITLE}”, no date found, 4 paragraphs on 2 pages.\nReindexed")
    it = await fake.slash("ask", {"question": "How much does the LED lantern for the lighthouse cost?"})
    description = (await fake.wait_for_followup(it, timeout=30)).embeds[0]["description"]
    assert "18,000 kroner" in unescape(description)
    assert f"— *{MINUTES_TITLE}*, § Lighthouse, p. 2, ¶2" in description and "](" not in description


async def test_seed_add_a_word_file_says_what_it_found(world):
    fake, bot, seeds, _ = world
    _, reply = await seed(fake, "add", {"file": fake.add_attachment("timetable.docx", timetable_docx(), DOCX_TYPE)})
    assert unescape(reply.content).startswith(
        "Saved timetable.docx: “Summer timetable statement”, no date found, 5 paragraphs.\nReindexed")
    assert (seeds / "timetable.docx").read_bytes() == timetable_docx()


def _zip_bomb() -> bytes:
    """A .docx whose document.xml unpacks to 8 MiB of zeros (a few KiB packed)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            for _ in range(8):
                member.write(bytes(1 << 20))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "filename, make, content_type, reason",
    [
        ("scan.pdf", image_only_pdf, "application/pdf", "scan.pdf: a PDF without a text layer (a scan?)"),
        ("locked.pdf", lambda: encrypted_pdf(minutes_pdf().pdf, "secret"), "application/pdf", "it needs a password"),
        ("broken.pdf", lambda: minutes_pdf().pdf[:400], "application/pdf", "broken.pdf: a damaged PDF"),
        ("bomb.docx", _zip_bomb, DOCX_TYPE, "bomb.docx: a Word file of 8 KiB that unpacks to 8.0 MiB"),
        ("old.docx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), DOCX_TYPE, "damaged Word file"),
    ],
)
async def test_seed_add_refuses_an_unreadable_pdf_or_word_file_in_one_line(world, monkeypatch, filename, make, content_type, reason):
    fake, bot, seeds, audit_channel = world
    monkeypatch.setattr(word, "MAX_UNPACKED_BYTES", 1 << 20)
    _, reply = await seed(fake, "add", {"file": fake.add_attachment(filename, make(), content_type)})
    text = unescape(reply.content)
    assert reply.ephemeral and text.startswith("Not added: ") and reason in text and "\n" not in text
    assert not (seeds / filename).exists()
    notice = await fake.wait_for_message(audit_channel, predicate=lambda m: f"seed add {filename}" in unescape(m.content))
    assert "refused" in notice.content
