"""One bot, many servers, through the fake Discord: each server answers from its own library and
the shared one, a server's moderators change their own library only, the shared library is the
owners', and nothing of one server's library is ever shown in another server or in a DM.

Server A is the fake's first guild, B a second one; the shared library is a copy of the seeds
(the owner's test changes it). B's moderator adds the chess club's news to B once, through
/seed add (``chess_in_b``); later tests build on it.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import pytest_asyncio

from bot.app import CitebotBot, open_bot
from bot.replies import NOT_A_MODERATOR, NOT_AN_OWNER, SHARED_READ_ONLY
from bot.settings import BotSettings
from fakediscord import CommandUnavailable, FakeDiscord, FakeGuild, all_text, running_bot
from retrieval.api import Citebot
from retrieval.query.feedback import FeedbackStore
from retrieval.settings import Settings

from test_server_state import OLD_SETTINGS_SCHEMA

NO_COOLDOWN = BotSettings(cooldown_per_minute=0)
REBUILD_TIMEOUT = 60
SEED_DOC = "000_456f3f2e67ceee91.txt"  # the shared library's one document
TENTS = "How many tents were sent?"

CHESS = b"""date 2025-04-10
# Quillfeather Chess Society news

Leeds - The Quillfeather Chess Society opened a new club room on Market Street.

The society's president, Barnaby Oakshott, announced a winter chess tournament. "Every player is welcome, beginners too," said Barnaby Oakshott.

The chess tournament starts on 12 December and has 64 places.
"""
CHESS_Q = "When does the chess tournament start?"

ROWING = b"""date 2025-03-02
# Larkspur Rowing Club annual meeting

Oxford - The Larkspur Rowing Club held its annual meeting on Sunday at the boathouse.

Members elected Imogen Vardy as treasurer of the club. "We will buy two new boats this spring," said Imogen Vardy.

The club has 48 members and trains on the river every Saturday morning.
"""
ROWING_Q = "How many members does the rowing club have?"

LIGHTHOUSE = b"""date 2025-05-01
# Harbour lighthouse restored

Valletta - The harbour lighthouse shines again after its restoration.

The restoration of the lighthouse took eleven months and cost 2 million euros, the harbour board said.
"""
LIGHTHOUSE_Q = "How much did the restoration of the lighthouse cost?"


@dataclass
class World:
    fake: FakeDiscord
    bot: CitebotBot
    b: FakeGuild
    shared_seeds: Path
    audit_channel: int


@pytest_asyncio.fixture(scope="module")
async def world(seed_citebot, tmp_path_factory):
    base = tmp_path_factory.mktemp("libraries-bot")
    shutil.copytree(seed_citebot.settings.seeds_dir, base / "seeds")
    shutil.copytree(seed_citebot.settings.index_dir, base / "index")  # built once for the session
    shared = Citebot(Settings(seeds_dir=base / "seeds", index_dir=base / "index", data_dir=base / "data"), seed_citebot.embedder)
    async with FakeDiscord() as fake:
        b = fake.add_guild("Server B")
        audit_channel = fake.add_channel("mod-log")
        bot = open_bot(shared, BotSettings(cooldown_per_minute=0, audit_channel_id=audit_channel))
        async with running_bot(bot, fake, timeout=REBUILD_TIMEOUT):
            yield World(fake, bot, b, base / "seeds", audit_channel)


async def answer(world: World, question: str, channel: int | None = None):
    """/ask as a member, in ``channel`` (server A's by default)."""
    it = await world.fake.slash("ask", {"question": question}, channel_id=channel)
    return await world.fake.wait_for_followup(it, timeout=30)


async def respond(world: World, name: str, options: dict, *, channel: int | None = None, user=None):
    it = await world.fake.slash(name, options, channel_id=channel, user=user)
    return await world.fake.wait_for_response(it)


async def change(world: World, name: str, options: dict, *, user, channel: int | None = None):
    """A library-changing command: its refusal (the initial response), or its report (the
    follow-up after the private "thinking…")."""
    it = await world.fake.slash(name, options, user=user, channel_id=channel)
    first = await world.fake.wait_for_response(it)
    if first.type == 5:
        return await world.fake.wait_for_followup(it, timeout=REBUILD_TIMEOUT)
    return first


async def choices(world: World, name: str, options: dict, *, user, channel: int | None = None, focused: str | None = None):
    it = await world.fake.autocomplete(name, options, user=user, channel_id=channel, focused=focused)
    return [c["name"] for c in (await world.fake.wait_for_response(it)).choices]


CHESS_MARKS = ("Quillfeather", "Oakshott", "12 December", "chess.txt")  # only B's document has these


def chess_in(message) -> list[str]:
    """What of B's document a message shows (nothing, outside B)."""
    text = unescape(all_text(message))
    return [mark for mark in CHESS_MARKS if mark in text]


def unescape(text: str) -> str:
    return text.replace("\\", "")


def buttons(message) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.components for c in row["components"]}


@pytest_asyncio.fixture(scope="module")
async def chess_in_b(world):
    """A's answers before B changes anything, then B's moderator adds the chess news to B."""
    fake = world.fake
    before = {q: (await answer(world, q)).message for q in (TENTS, CHESS_Q)}
    url = fake.add_attachment("chess.txt", CHESS, "text/plain", channel_id=world.b.channel_id)
    reply = await change(world, "seed add", {"file": url}, user=fake.moderator, channel=world.b.channel_id)
    return SimpleNamespace(before=before, reply=reply)


# ---- a server's own documents answer there, and nowhere else ---------------------------------


async def test_a_document_added_in_b_answers_in_b_and_is_never_shown_in_a_or_a_dm(world, chess_in_b):
    fake, b = world.fake, world.b.channel_id
    assert chess_in_b.reply.ephemeral and "Saved chess.txt" in unescape(chess_in_b.reply.content)
    folder = world.bot.libraries.folder(world.b.id)
    assert (folder / "seeds" / "chess.txt").read_bytes() == CHESS  # B's own library...
    assert not (world.shared_seeds / "chess.txt").exists()  # ...not the shared one

    # In B: its document and the shared library's, ranked together.
    in_b = await answer(world, CHESS_Q, b)
    assert "12 December" in all_text(in_b) and "Quillfeather Chess Society news" in all_text(in_b)
    assert "10,000" in all_text(await answer(world, TENTS, b))
    sources = all_text(await respond(world, "sources", {}, channel=b))
    assert "Quillfeather" in sources and "this server's" in sources and "2025-01-23" in sources
    assert "Barnaby Oakshott" in await choices(world, "who", {"name": "Barn"}, user=fake.user, channel=b)

    # In A and in a DM: nothing of it, anywhere a member looks.
    shown = [
        await answer(world, CHESS_Q),
        await fake.wait_for_reply(await fake.send_message(CHESS_Q, mentions_bot=True)),
        await answer(world, "What is on in the club room on Market Street?"),  # not found: lists what A has
        await respond(world, "sources", {}),
        await respond(world, "who", {}),
        await fake.wait_for_followup(await fake.slash("quote", {}), timeout=30),
        await fake.wait_for_followup(await fake.slash("quote", {"topic": "chess tournament"}), timeout=30),
        await fake.wait_for_reply(await fake.send_message(CHESS_Q, dm=True)),
        await fake.wait_for_response(await fake.slash("sources", guild=False)),
        await fake.wait_for_response(await fake.slash("who", guild=False)),
    ]
    for message in shown:
        assert chess_in(message) == [], all_text(message)
    for guild in (True, False):
        who = await fake.wait_for_response(await fake.slash("who", {"name": "Barnaby Oakshott"}, guild=guild))
        assert who.content.startswith("No one called 'Barnaby Oakshott' in the documents.")
        it = await fake.autocomplete("who", {"name": "Barn"}, guild=guild)
        assert (await fake.wait_for_response(it)).choices == []
    assert "Barnaby Oakshott" not in await choices(world, "quote", {"speaker": "Barn"}, user=fake.user)
    assert await choices(world, "seed remove", {"name": "chess"}, user=fake.moderator) == []

    # A's answers are what they were before B added anything.
    for question, before in chess_in_b.before.items():
        after = (await answer(world, question)).message
        assert (after["content"], after["embeds"]) == (before["content"], before["embeds"])


# ---- who may change which library --------------------------------------------------------------


async def test_bs_moderator_cannot_change_the_shared_library_and_a_is_unchanged(world, chess_in_b, caplog):
    fake, b = world.fake, world.b.channel_id
    caplog.set_level(logging.INFO, logger="citebot.audit")
    shared = world.bot.libraries.shared
    generation, documents = shared.generation, sorted(p.name for p in world.shared_seeds.iterdir())
    url = fake.add_attachment("lighthouse.txt", LIGHTHOUSE, "text/plain", channel_id=b)
    refusals = [
        await change(world, "seed add", {"file": url, "library": "shared"}, user=fake.moderator, channel=b),
        await change(world, "seed remove", {"name": SEED_DOC, "library": "shared"}, user=fake.moderator, channel=b),
        await change(world, "reindex", {"library": "shared"}, user=fake.moderator, channel=b),
    ]
    for refusal in refusals:
        assert refusal.ephemeral and refusal.content == f"⚠️ {NOT_AN_OWNER}"
    assert url not in fake.cdn_downloads  # refused before a byte was downloaded
    assert sorted(p.name for p in world.shared_seeds.iterdir()) == documents and shared.generation == generation
    assert not (world.bot.libraries.folder(world.b.id) / "seeds" / "lighthouse.txt").exists()
    # The shared library's documents are not listed to them for removal either; their own are.
    assert await choices(world, "seed remove", {"library": "shared", "name": ""}, user=fake.moderator, channel=b,
                         focused="name") == []
    assert await choices(world, "seed remove", {"name": ""}, user=fake.moderator, channel=b) == ["chess.txt"]
    # Each attempt is in the audit log (and its channel), naming who and what.
    for action in ("seed add lighthouse.txt (shared library)", f"seed remove {SEED_DOC} (shared library)",
                   "reindex (shared library)"):
        notice = await fake.wait_for_message(world.audit_channel, predicate=lambda m: action in unescape(m.content))
        assert f"{fake.moderator.username} ({fake.moderator.id})" in unescape(notice.content)
        assert f"refused: {NOT_AN_OWNER}" in unescape(notice.content)
        assert any(action in r.getMessage() and str(world.b.id) in r.getMessage() for r in caplog.records)
    # B's own changes (the chess news, removing and adding it again) leave A's answers as they were.
    removed = await change(world, "seed remove", {"name": "chess.txt"}, user=fake.moderator, channel=b)
    assert "Moved chess.txt" in unescape(removed.content)
    assert chess_in(await answer(world, CHESS_Q, b)) == []
    again = fake.add_attachment("chess.txt", CHESS, "text/plain", channel_id=b)
    assert "Saved chess.txt" in unescape((await change(world, "seed add", {"file": again}, user=fake.moderator, channel=b)).content)
    for question, before in chess_in_b.before.items():
        after = (await answer(world, question)).message
        assert (after["content"], after["embeds"]) == (before["content"], before["embeds"])


async def test_a_member_without_manage_server_can_change_no_library(world, chess_in_b):
    fake, b = world.fake, world.b.channel_id
    url = fake.add_attachment("sneaky.txt", LIGHTHOUSE, "text/plain", channel_id=b)
    attempts = [
        ("seed add", {"file": url}), ("seed add", {"file": url, "library": "shared"}),
        ("seed remove", {"name": "chess.txt"}), ("seed remove", {"name": SEED_DOC, "library": "shared"}),
        ("reindex", {}), ("reindex", {"library": "shared"}),
    ]
    for name, options in attempts:
        with pytest.raises(CommandUnavailable):  # Discord's client hides the commands from them...
            await fake.slash(name, options, user=fake.user, channel_id=b)
    fake.permission_overrides.update({"seed", "reindex"})  # ...unless a server admin opened them to everyone
    try:
        for name, options in attempts:
            refusal = await change(world, name, options, user=fake.user, channel=b)
            assert refusal.ephemeral and refusal.content == f"⚠️ {NOT_A_MODERATOR}", (name, options)
        for library in ({}, {"library": "shared"}):
            assert await choices(world, "seed remove", {**library, "name": ""}, user=fake.user, channel=b, focused="name") == []
    finally:
        fake.permission_overrides.difference_update({"seed", "reindex"})
    assert not (world.bot.libraries.folder(world.b.id) / "seeds" / "sneaky.txt").exists()
    assert (world.bot.libraries.folder(world.b.id) / "seeds" / "chess.txt").exists()
    assert (world.shared_seeds / SEED_DOC).exists() and not (world.shared_seeds / "sneaky.txt").exists()


async def test_an_owner_changes_the_shared_library_and_every_server_and_dm_answers_from_it(world, chess_in_b):
    fake, b = world.fake, world.b.channel_id
    question = LIGHTHOUSE_Q
    assert "2 million euros" not in all_text(await answer(world, question))
    url = fake.add_attachment("lighthouse.txt", LIGHTHOUSE, "text/plain", channel_id=b)
    added = await change(world, "seed add", {"file": url, "library": "shared"}, user=fake.owner, channel=b)
    assert unescape(added.content).startswith("Saved lighthouse.txt in the shared library:")
    assert "Reindexed" in added.content and (world.shared_seeds / "lighthouse.txt").read_bytes() == LIGHTHOUSE
    assert not (world.bot.libraries.folder(world.b.id) / "seeds" / "lighthouse.txt").exists()
    try:
        for channel in (None, b):
            assert "2 million euros" in all_text(await answer(world, question, channel))
        dm = await fake.wait_for_reply(await fake.send_message(question, dm=True))
        assert "2 million euros" in all_text(dm)
        # Autocomplete lists the library the command acts on: the shared one's, not B's.
        listed = await choices(world, "seed remove", {"library": "shared", "name": ""}, user=fake.owner, channel=b, focused="name")
        assert sorted(listed) == sorted([SEED_DOC, "lighthouse.txt"])
        rebuilt = await change(world, "reindex", {"library": "shared"}, user=fake.owner, channel=b)
        assert "Reindexed" in rebuilt.content and "2 documents" in rebuilt.content
    finally:
        removed = await change(world, "seed remove", {"name": "lighthouse.txt", "library": "shared"}, user=fake.owner, channel=b)
    assert "Moved lighthouse.txt" in unescape(removed.content) and not (world.shared_seeds / "lighthouse.txt").exists()
    assert "2 million euros" not in all_text(await answer(world, question))
    notice = await fake.wait_for_message(world.audit_channel, predicate=lambda m: "seed add lighthouse.txt (shared library)" in unescape(m.content))
    assert f"{fake.owner.username} ({fake.owner.id})" in unescape(notice.content) and "refused" not in notice.content


async def test_a_process_that_does_not_build_the_shared_library_refuses_to_change_it(world, monkeypatch):
    fake, b = world.fake, world.b.channel_id
    monkeypatch.setattr(world.bot, "builds_shared", False)  # as in a process that does not serve shard 0
    documents = sorted(p.name for p in world.shared_seeds.iterdir())
    url = fake.add_attachment("lighthouse.txt", LIGHTHOUSE, "text/plain", channel_id=b)
    for name, options in (("seed add", {"file": url}), ("seed remove", {"name": SEED_DOC}), ("reindex", {})):
        refusal = await change(world, name, {**options, "library": "shared"}, user=fake.owner, channel=b)
        assert refusal.ephemeral and refusal.content == f"⚠️ {SHARED_READ_ONLY}" and "\n" not in refusal.content
    assert sorted(p.name for p in world.shared_seeds.iterdir()) == documents


# ---- buttons, settings, removal --------------------------------------------------------------


async def test_buttons_on_an_answer_in_b_act_on_bs_library(world, chess_in_b):
    fake, b = world.fake, world.b.channel_id
    reply = await answer(world, CHESS_Q, b)
    ids = buttons(reply)
    context = await fake.click(reply, ids["Show context"])
    shown = all_text(await fake.wait_for_followup(context, timeout=30))
    # The sentences around it, read from B's library.
    assert "12 December" in shown and "Every player is welcome" in shown and shown.count("`¶") == 2
    paragraph = await fake.wait_for_response(await fake.click(reply, ids["Show paragraph"]))
    assert "12 December" in all_text(paragraph)
    vote = await fake.click(reply, ids["👍 1"], user=fake.user)
    assert "recorded" in (await fake.wait_for_followup(vote, timeout=30)).content
    # The vote is B's, on B's passage: in B's own file, keyed by the passage's library.
    state = world.bot.answers.get(ids["Show paragraph"].split(":")[2], world.b.id)
    first = state.answer.results[0]
    assert (first.library, first.doc) == (world.b.id, "chess.txt")
    with sqlite3.connect(world.bot.libraries.folder(world.b.id) / "state" / "feedback.sqlite") as db:
        rows = db.execute("SELECT scope, passage FROM votes").fetchall()
    assert rows == [(world.b.id, f"{world.b.id}/chess.txt#{first.paragraph}#{first.sentence}")]
    assert not (world.bot.libraries.folder(world.fake.guild_id) / "state" / "feedback.sqlite").exists()
    stats = await fake.wait_for_followup(await fake.slash("feedback stats", user=fake.moderator, channel_id=b))
    assert "1👍" in stats.content
    in_a = await fake.wait_for_followup(await fake.slash("feedback stats", user=fake.moderator))
    assert "1👍" not in in_a.content and "none yet" in in_a.content


async def test_with_the_shared_library_off_a_server_answers_from_its_own_library_only(world, chess_in_b):
    fake = world.fake
    url = fake.add_attachment("rowing.txt", ROWING, "text/plain")
    assert "Saved rowing.txt" in unescape((await change(world, "seed add", {"file": url}, user=fake.moderator)).content)
    shown = (await respond(world, "settings", {"shared_library": False}, user=fake.moderator)).content
    assert "this server's documents only" in shown
    try:
        assert "48" in all_text(await answer(world, ROWING_Q))
        not_found = await answer(world, TENTS)
        assert not_found.content.startswith("I couldn't find that in the documents. The documents cover:")
        assert "Larkspur Rowing Club" in not_found.content and "Jamaat" not in not_found.content
        sources = all_text(await respond(world, "sources", {}))
        assert "Larkspur" in sources and "2025-01-23" not in sources
        assert (await respond(world, "who", {"name": "Rehman"})).content.startswith("No one called 'Rehman'")
        assert "Imogen Vardy" in await choices(world, "who", {"name": "Imo"}, user=fake.user)
        assert await choices(world, "who", {"name": "Rehm"}, user=fake.user) == []
        # B still has the shared library, and DMs have nothing but it.
        assert "10,000" in all_text(await answer(world, TENTS, world.b.channel_id))
        assert "10,000" in all_text(await fake.wait_for_reply(await fake.send_message(TENTS, dm=True)))
        assert "48" not in all_text(await fake.wait_for_reply(await fake.send_message(ROWING_Q, dm=True)))
    finally:
        await respond(world, "settings", {"shared_library": True}, user=fake.moderator)
        await change(world, "seed remove", {"name": "rowing.txt"}, user=fake.moderator)
    assert "10,000" in all_text(await answer(world, TENTS))


async def test_bs_library_is_kept_when_the_bot_is_removed_and_answers_again_when_invited_back(world, chess_in_b, caplog):
    fake, bot, b = world.fake, world.bot, world.b
    caplog.set_level(logging.INFO, logger="citebot.bot")
    await fake.remove_bot(b.id)
    await fake.wait_until(lambda: bot.get_guild(b.id) is None, what="the bot to leave B")
    (line,) = [r.getMessage() for r in caplog.records if "removed from server" in r.getMessage()]
    assert str(b.id) in line and f"citebot forget --server {b.id}" in line
    assert (bot.libraries.folder(b.id) / "seeds" / "chess.txt").read_bytes() == CHESS  # nothing deleted
    with pytest.raises(CommandUnavailable):  # its commands are gone with it
        await fake.slash("ask", {"question": CHESS_Q}, channel_id=b.channel_id)

    await fake.invite_bot(b.id)
    back = f"added to server Server B ({b.id}); its library is back (1 document)"
    await fake.wait_until(lambda: any(back in r.getMessage() for r in caplog.records), what="the bot back in B")
    assert "12 December" in all_text(await answer(world, CHESS_Q, b.channel_id))


async def test_rebuilds_never_take_the_threads_questions_need(world, chess_in_b, monkeypatch):
    fake, bot, b = world.fake, world.bot, world.b.channel_id
    started, release = threading.Event(), threading.Event()
    running: list[int] = []

    def long_rebuild(*args, **kwargs):  # a rebuild that takes as long as the test wants
        running.append(1)
        started.set()
        if not release.wait(REBUILD_TIMEOUT):
            raise RuntimeError("never released")
        return SimpleNamespace(summary=lambda: "nothing changed")

    for server in (fake.guild_id, world.b.id):
        monkeypatch.setattr(bot.libraries.library(server), "reindex", long_rebuild)
    rebuilds = [await fake.slash("reindex", user=fake.moderator, channel_id=channel) for channel in (None, b)]
    try:
        await fake.wait_until(started.is_set, what="a rebuild to start")
        # Two rebuilds asked for at once: questions to every library are still answered.
        for question, channel, expected in ((TENTS, None, "10,000"), (CHESS_Q, b, "12 December"), (TENTS, b, "10,000")):
            assert expected in all_text(await answer(world, question, channel))
        assert "10,000" in all_text(await fake.wait_for_reply(await fake.send_message(TENTS, dm=True)))
        assert running == [1]  # one rebuild at a time; the other waits its turn on no question's thread
    finally:
        release.set()
    for it in rebuilds:
        assert "Reindexed" in (await fake.wait_for_followup(it, timeout=REBUILD_TIMEOUT)).content
    assert running == [1, 1]


# ---- upgrading ----------------------------------------------------------------------------------


async def test_an_old_single_folder_install_keeps_its_documents_votes_and_settings(seed_citebot, tmp_path):
    """Before libraries: one seeds folder, and the votes and settings of every server in one
    file each in the data folder. After the upgrade the folder is the shared library, and each
    server's votes and settings apply to it as before."""
    shutil.copytree(seed_citebot.settings.seeds_dir, tmp_path / "seeds")
    shutil.copytree(seed_citebot.settings.index_dir, tmp_path / "data" / "index")
    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "data" / "index")  # data: beside the index
    old = Citebot(settings, seed_citebot.embedder)
    question = "What did they say about Gaza?"  # several passages answer about equally well
    first, second = old.ask(question).results[:2]
    async with FakeDiscord() as fake:
        b = fake.add_guild("Server B")
        votes = FeedbackStore(settings.state_dir / "feedback.sqlite", seed_citebot.embedder.encode)
        for user in range(3):  # A's members preferred the second passage
            votes.vote(fake.guild_id, 100 + user, question, first, -1)
            votes.vote(fake.guild_id, 100 + user, question, second, 1)
        votes.vote(b.id, 200, question, first, 1)
        votes.close()
        with sqlite3.connect(settings.state_dir / "guilds.sqlite") as db:
            db.executescript(OLD_SETTINGS_SCHEMA)
            db.execute("INSERT INTO guild_settings VALUES (?, 'channel', 1, '[]')", (fake.guild_id,))
            db.execute("INSERT INTO guild_settings VALUES (?, 'thread', 0, '[]')", (b.id,))
        db.close()

        bot = open_bot(Citebot(settings, seed_citebot.embedder), NO_COOLDOWN)
        async with running_bot(bot, fake):
            # The seeds folder is the shared library: every server answers from it.
            in_a = await fake.wait_for_followup(await fake.slash("ask", {"question": question}))
            assert in_a.ephemeral  # A's old setting: private answers
            assert _first_paragraph(in_a) == second.paragraph  # A's old votes still count in A
            dm = await fake.wait_for_reply(await fake.send_message(question, dm=True))
            assert _first_paragraph(dm) == first.paragraph  # and nowhere else
            asked_b = await fake.send_message(TENTS, mentions_bot=True, channel_id=b.channel_id)
            thread = await fake.wait_for_thread(lambda t: t.message_id == int(asked_b["id"]))
            assert "10,000" in all_text(await fake.wait_for_message(thread.id))  # B's old setting: threads
            stats_a = await fake.wait_for_followup(await fake.slash("feedback stats", user=fake.moderator))
            assert "3👍 0👎" in stats_a.content and "0👍 3👎" in stats_a.content
            stats_b = await fake.wait_for_followup(await fake.slash("feedback stats", user=fake.moderator, channel_id=b.channel_id))
            assert "1👍 0👎" in stats_b.content and "3👍" not in stats_b.content
            listed = await fake.autocomplete("seed remove", {"library": "shared", "name": ""}, user=fake.owner, focused="name")
            assert [c["name"] for c in (await fake.wait_for_response(listed)).choices] == [SEED_DOC]
    assert sorted(p.name for p in settings.state_dir.glob("*.migrated")) == ["feedback.sqlite.migrated", "guilds.sqlite.migrated"]
    assert sorted(p.name for p in (tmp_path / "seeds").iterdir()) == [SEED_DOC]  # the documents stay where they were


def _first_paragraph(message) -> int:
    """The ¶ of an answer's first result, as its citation shows it."""
    first = message.embeds[0]["description"].split("**2.**")[0]
    return int(first.rsplit("¶", 1)[1].split()[0].strip(")*]"))
