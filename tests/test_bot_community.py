"""What communities ask of a document bot: votes, where it speaks, private answers,
deleting answers, date filters — through the real discord.py client and the fake Discord."""

from __future__ import annotations

import shutil
import sqlite3
import time

import pytest
import pytest_asyncio

from bot.answer_store import KEEP_SECONDS, AnswerStore
from bot.app import open_bot
from bot.guild_settings import GuildSettingsStore
from bot.settings import BotSettings
from fakediscord import FakeDiscord, Perm, all_text, running_bot
from retrieval.query.feedback import MAX_BOOST
from retrieval.api import Citebot
from retrieval.settings import Settings

from conftest import SEEDS

NO_COOLDOWN = BotSettings(cooldown_per_minute=0)


@pytest.fixture(scope="module")
def community_citebot(tmp_path_factory, embedder) -> Citebot:
    base = tmp_path_factory.mktemp("community")
    shutil.copytree(SEEDS, base / "seeds")
    citebot = Citebot(Settings(seeds_dir=base / "seeds", index_dir=base / "index"), embedder=embedder)
    citebot.ensure_index()
    return citebot


@pytest_asyncio.fixture(scope="module")
async def fake():
    async with FakeDiscord(channel_names=("general", "offtopic")) as fake:
        fake.voter = fake.add_user("bob")
        yield fake


@pytest_asyncio.fixture
async def bot(fake, community_citebot):
    bot = open_bot(community_citebot, NO_COOLDOWN)
    async with running_bot(bot, fake):
        yield bot
        # Before the bot's close() closes its stores.
        bot.guild_settings.update(fake.guild_id, answer_mode="channel", private=False, channels=frozenset())
        bot.libraries.feedback(fake.guild_id).reset(fake.guild_id)


def buttons(message) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.components for c in row["components"]}


def other_channel(fake) -> int:
    return next(cid for cid, ch in fake.channels.items() if ch.get("name") == "offtopic")


async def ask(fake, question: str, **options):
    it = await fake.slash("ask", {"question": question, **options})
    return it, await fake.wait_for_followup(it)


async def test_votes_reorder_near_ties_and_a_second_vote_replaces_the_first(fake, bot):
    question = "What did they say about Gaza?"  # several passages answer about equally well
    votes = bot.libraries.feedback(fake.guild_id)  # the server's own votes
    before = bot.scope(fake.guild_id).ask(question)
    first, second = before.results[0], before.results[1]
    assert first.score - second.score < 2 * MAX_BOOST, "the test needs a near tie"

    _, reply = await ask(fake, question)
    ids = buttons(reply)
    for user in (fake.user, fake.moderator, fake.voter):
        down = await fake.click(reply, ids["👎 1"], user=user)
        assert (await fake.wait_for_followup(down)).ephemeral
        up = await fake.click(reply, ids["👍 2"], user=user)
        await fake.wait_for_followup(up)
    after = bot.scope(fake.guild_id).ask(question)
    assert after.results[0].paragraph == second.paragraph

    # Other servers are not affected, and a changed vote replaces the old one.
    assert bot.scope(fake.guild_id + 1).ask(question).results[0].paragraph == first.paragraph
    for user in (fake.user, fake.moderator, fake.voter):
        flip = await fake.click(reply, ids["👍 1"], user=user)
        await fake.wait_for_followup(flip)
    up, down = votes.stats(fake.guild_id)
    top = {(v.paragraph, v.up, v.down) for v in up}
    assert (first.paragraph, 3, 0) in top  # three 👍, the earlier 👎 replaced


async def test_votes_cannot_lift_a_passage_over_a_clearly_better_one(fake, bot):
    question = "solidarity with Gaza"
    votes = bot.libraries.feedback(fake.guild_id)  # the server's own votes
    before = bot.scope(fake.guild_id).ask(question, k=5)
    best = before.results[0]
    weak = next(p for p in before.results if best.score - p.score > 2 * MAX_BOOST)
    for i in range(20):  # many voters pushing the weak passage up and the best one down
        votes.vote(fake.guild_id, 1000 + i, question, weak, 1)
        votes.vote(fake.guild_id, 1000 + i, question, best, -1)
    after = bot.scope(fake.guild_id).ask(question, k=5)
    order = [p.paragraph for p in after.results]
    assert order.index(best.paragraph) < order.index(weak.paragraph)
    # ...while the votes did move both passages, within the bound.
    scores = {p.paragraph: p.score for p in after.results}
    assert weak.score < scores[weak.paragraph] <= weak.score + MAX_BOOST + 1e-6

    it = await fake.slash("feedback reset", user=fake.moderator)
    assert "Removed" in (await fake.wait_for_followup(it)).content
    assert votes.stats(fake.guild_id) == ([], [])


async def test_settings_persist_across_a_restart_and_thread_mode_makes_a_thread(fake, community_citebot):
    first = open_bot(community_citebot, NO_COOLDOWN)
    async with running_bot(first, fake):
        it = await fake.slash("settings", {"answer_in": "thread"}, user=fake.moderator)
        saved = await fake.wait_for_response(it)
        assert saved.ephemeral and "thread" in saved.content
    restarted = open_bot(community_citebot, NO_COOLDOWN)
    async with running_bot(restarted, fake):
        try:
            message = await fake.send_message("how many tents were sent?", mentions_bot=True)
            thread = await fake.wait_for_thread(lambda t: t.message_id == int(message["id"]))
            reply = await fake.wait_for_message(thread.id)
            assert "10,000" in "".join(e.get("description", "") for e in reply.embeds)

            it = await fake.slash("ask", {"question": "Where did the meeting take place?"})
            anchor = await fake.wait_for_followup(it)
            assert "thread" in anchor.content
            await fake.wait_for_thread(lambda t: t.message_id == anchor.id)
        finally:  # before the bot's close() closes its stores
            restarted.guild_settings.update(fake.guild_id, answer_mode="channel")


async def test_answer_buttons_keep_working_after_the_bot_restarts(fake, community_citebot):
    first = open_bot(community_citebot, NO_COOLDOWN)
    async with running_bot(first, fake):
        _, reply = await ask(fake, "What did the Hamas leaders and Rehman talk about?")
    before = reply.embeds[0]["description"]

    restarted = open_bot(community_citebot, NO_COOLDOWN)
    async with running_bot(restarted, fake):
        more = await fake.click(reply, buttons(reply)["More results"])
        update = await fake.wait_for_response(more)
        assert update.type == 7 and update.embeds[0]["description"] != before
        assert "**4.**" in update.embeds[0]["description"]
        # The page is remembered: the buttons now act on results 4 to 6.
        now = buttons(fake.sent_message(reply.id))
        assert "👍 4" in now and "👍 1" not in now
        vote = await fake.click(reply, now["👍 4"], user=fake.voter)
        assert "recorded" in (await fake.wait_for_followup(vote)).content
        fourth = community_citebot.ask("What did the Hamas leaders and Rehman talk about?", k=6).results[3]
        votes = restarted.libraries.feedback(fake.guild_id)  # the server's own votes
        up, _ = votes.stats(fake.guild_id)
        assert (fourth.paragraph, 1) in {(v.paragraph, v.up) for v in up}
        shown = await fake.wait_for_response(await fake.click(reply, now["Show paragraph"]))
        assert shown.ephemeral and f"¶{fourth.paragraph}" in all_text(shown)
        votes.reset(fake.guild_id)


async def test_buttons_of_an_answer_older_than_a_month_ask_for_the_question_again(fake, bot, community_citebot):
    _, reply = await ask(fake, "How many tents were sent?")
    bot.answers = AnswerStore(community_citebot.settings.state_dir, clock=lambda: time.time() + KEEP_SECONDS + 60)
    click = await fake.click(reply, buttons(reply)["Show paragraph"])
    response = await fake.wait_for_response(click)
    assert response.ephemeral and "ask the question again" in response.content


def _garbage(path, table: str) -> None:
    path.write_bytes(b"not a database " * 50)


def _another_layout(path, table: str) -> None:
    # A sound SQLite file whose table has the right name and other columns (another
    # program's, or another version's): every read and write would fail on it.
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, note TEXT)")
    db.execute(f"INSERT INTO {table} VALUES (1, 'keep me')")
    db.commit()
    db.close()


@pytest.mark.parametrize("damage", [_garbage, _another_layout], ids=["garbage", "another-table-layout"])
async def test_damaged_state_files_are_set_aside_and_the_bot_still_answers(fake, tmp_path, embedder, damage):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "data" / "index")
    settings.state_dir.mkdir(parents=True)
    # server settings, posted answers, votes
    tables = {"guilds.sqlite": "guild_settings", "answers.sqlite": "answers", "feedback.sqlite": "votes"}
    before = {}
    for name, table in tables.items():
        damage(settings.state_dir / name, table)
        before[name] = (settings.state_dir / name).read_bytes()
    bot = open_bot(Citebot(settings, embedder=embedder), NO_COOLDOWN)
    async with running_bot(bot, fake):
        _, reply = await ask(fake, "How many tents were sent?")
        assert "10,000" in all_text(reply)
        vote = await fake.click(reply, buttons(reply)["👍 1"], user=fake.voter)
        assert "recorded" in (await fake.wait_for_followup(vote)).content
        it = await fake.slash("settings", {"private": True}, user=fake.moderator)
        await fake.wait_for_response(it)
    assert GuildSettingsStore(settings.state_dir).get(fake.guild_id).private  # kept in the new file
    for name in tables:
        kept = list(settings.state_dir.glob(f"{name}.corrupt-*"))
        assert len(kept) == 1 and kept[0].read_bytes() == before[name]  # nothing thrown away


async def test_thread_mode_without_the_thread_permission_answers_in_the_channel(fake, bot):
    bot.guild_settings.update(fake.guild_id, answer_mode="thread")
    allowed = fake.member_permissions(fake.bot_user)
    await fake.set_bot_permissions(allowed & ~Perm.CREATE_PUBLIC_THREADS, channel_id=fake.channel_id)
    threads = len(fake.threads)
    try:
        _, reply = await ask(fake, "How many tents were sent?")
        await fake.wait_until(lambda: "10,000" in all_text(fake.sent_message(reply.id)), what="the answer in the channel")
        message = await fake.send_message("how many tents were sent?", mentions_bot=True)
        assert "10,000" in all_text(await fake.wait_for_reply(message))
        assert len(fake.threads) == threads
    finally:
        await fake.set_bot_permissions(allowed, channel_id=fake.channel_id)


async def test_mentions_outside_the_allowlist_get_no_answer(fake, bot):
    it = await fake.slash("settings", {"allow_channel": fake.channel_id}, user=fake.moderator)
    await fake.wait_for_response(it)
    offtopic = other_channel(fake)
    before = len(fake.bot_messages(offtopic))
    outside = await fake.send_message("how many tents were sent?", mentions_bot=True, channel_id=offtopic)
    # The allowed channel still answers.
    message = await fake.send_message("how many tents were sent?", mentions_bot=True)
    await fake.wait_for_reply(message)
    await fake.wait_until_handled(outside)
    assert len(fake.bot_messages(offtopic)) == before

    # In thread mode, a follow-up inside the answer's thread belongs to the allowed channel.
    bot.guild_settings.update(fake.guild_id, answer_mode="thread")
    message = await fake.send_message("how many tents were sent?", mentions_bot=True)
    thread = await fake.wait_for_thread(lambda t: t.message_id == int(message["id"]))
    await fake.wait_for_message(thread.id)
    follow_up = await fake.send_message("and where was the meeting?", mentions_bot=True, channel_id=thread.id)
    assert "Doha" in all_text(await fake.wait_for_reply(follow_up))


async def test_a_long_channel_allowlist_is_summarised_within_discords_limit(fake, bot):
    bot.guild_settings.update(fake.guild_id, channels=frozenset(range(10**17, 10**17 + 95)))
    it = await fake.slash("settings", {}, user=fake.moderator)
    reply = await fake.wait_for_response(it)
    assert len(reply.content) <= 2000 and "and 55 more channels" in reply.content


async def test_who_with_an_invisible_name_lists_everyone(fake, bot):
    it = await fake.slash("who", {"name": "\u200b "})
    assert "Hassan Darwish" in all_text(await fake.wait_for_response(it))


async def test_private_answers_are_ephemeral(fake, bot):
    it, reply = await ask(fake, "How many tents were sent?", private=True)
    assert reply.ephemeral
    assert "🗑" not in buttons(reply)  # nothing to delete for others
    it = await fake.slash("settings", {"private": True}, user=fake.moderator)
    await fake.wait_for_response(it)
    _, reply = await ask(fake, "How many tents were sent?")
    assert reply.ephemeral
    _, reply = await ask(fake, "How many tents were sent?", private=False)
    assert not reply.ephemeral


async def test_only_the_asker_or_a_moderator_can_delete(fake, bot):
    _, reply = await ask(fake, "How many tents were sent?")  # asked by fake.user
    refused = await fake.click(reply, buttons(reply)["🗑"], user=fake.voter)
    response = await fake.wait_for_response(refused)
    assert response.ephemeral and "Only the person who asked" in response.content
    assert not fake.sent_message(reply.id).deleted

    deleted = await fake.click(reply, buttons(reply)["🗑"], user=fake.user)
    await fake.wait_for_response(deleted)
    await fake.wait_until(lambda: fake.sent_message(reply.id).deleted, what="answer deleted by the asker")

    _, reply = await ask(fake, "Where did the meeting take place?")
    by_moderator = await fake.click(reply, buttons(reply)["🗑"], user=fake.moderator)
    await fake.wait_for_response(by_moderator)
    await fake.wait_until(lambda: fake.sent_message(reply.id).deleted, what="answer deleted by a moderator")


async def test_show_context_gives_the_neighbouring_sentences(fake, bot):
    _, reply = await ask(fake, "What did Rehman announce?")
    click = await fake.click(reply, buttons(reply)["Show context"])
    assert (await fake.wait_for_response(click)).type == 5  # deferred: the heavy threads may be busy
    response = await fake.wait_for_followup(click)
    assert response.ephemeral
    text = response.embeds[0]["description"]
    assert "**" in text and text.count("`¶") >= 2


async def test_date_filters_exclude_documents_outside_the_range(fake, bot):
    _, reply = await ask(fake, "How many tents were sent?", since="2025-02-01")
    assert reply.content.startswith("I couldn't find that in the documents")
    _, reply = await ask(fake, "How many tents were sent?", until="2025-01-31")
    assert "10,000" in reply.embeds[0]["description"]
    it = await fake.slash("ask", {"question": "How many tents were sent?", "since": "last week"})
    response = await fake.wait_for_response(it)
    assert response.ephemeral and "YYYY-MM-DD" not in response.content and "2025-01-23" in response.content
