"""The Discord bot, driven through the real discord.py client against the fake Discord."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from bot.app import RateLimiter, open_bot
from bot.settings import BotSettings
from retrieval import Scope, add_document, remove_document
from retrieval.errors import IndexUnavailable
from fakediscord import CommandUnavailable, FakeDiscord, all_text, running_bot

MANAGE_GUILD = 0x20


@pytest_asyncio.fixture(scope="module")
async def world(seed_citebot, tmp_path_factory):
    """One fake Discord and one running bot for the module (the seeds as its shared library,
    its own data folder for the servers' libraries); tests reset what they change."""
    async with FakeDiscord() as fake:
        bot = open_bot(seed_citebot, BotSettings(cooldown_per_minute=0), state_dir=tmp_path_factory.mktemp("data"))
        async with running_bot(bot, fake):
            yield fake, bot


def nothing_allowed(allowed_mentions) -> bool:
    return allowed_mentions is not None and not allowed_mentions.get("parse") and not allowed_mentions.get("users") and not allowed_mentions.get("roles") and not allowed_mentions.get("replied_user")


async def test_commands_are_synced_with_descriptions_and_permissions(world):
    fake, bot = world
    commands = {c["name"]: c for c in fake.global_commands}
    assert {"ask", "sources", "who", "quote", "reindex", "help"} <= set(commands)
    for command in commands.values():
        assert command["description"], command["name"]
        for option in command.get("options", []):
            assert option["description"] and option["description"] != "…", (command["name"], option["name"])
    assert int(commands["reindex"]["default_member_permissions"]) == MANAGE_GUILD
    assert commands["ask"]["options"][0]["required"] is True


async def test_commands_are_not_synced_again_when_unchanged(world):
    fake, bot = world
    syncs = len(fake.command_syncs)
    assert await bot.sync_commands_if_changed() is False
    assert len(fake.command_syncs) == syncs


async def test_ask_answers_with_cited_embed_and_buttons(world):
    fake, bot = world
    it = await fake.slash("ask", {"question": "How many tents were sent?"})
    first = await fake.wait_for_response(it)
    assert first.type == 5  # deferred: slow work never risks the 3-second deadline
    reply = await fake.wait_for_followup(it)
    text = all_text(reply)
    assert "10,000" in text and "¶7" in text and "2025-01-23" in text
    assert "**" in reply.embeds[0]["description"]  # the best sentence in bold
    assert nothing_allowed(reply.allowed_mentions)
    labels = {c.get("label") for row in reply.components for c in row.get("components", [])}
    assert {"Show paragraph", "Show context"} <= labels
    assert labels & {"More results", "No more results"}


async def test_more_results_pages_and_show_paragraph_is_private(world):
    fake, bot = world
    it = await fake.slash("ask", {"question": "What did the Hamas leaders and Rehman talk about?"})
    reply = await fake.wait_for_followup(it)
    ids = {c["label"]: c["custom_id"] for row in reply.components for c in row["components"]}
    before = reply.embeds[0]["description"]

    click = await fake.click(reply, ids["More results"])
    update = await fake.wait_for_response(click)
    assert update.type == 7  # the answer message itself is updated
    assert update.embeds[0]["description"] != before
    assert "**4.**" in update.embeds[0]["description"]

    click = await fake.click(reply, ids["Show paragraph"])
    shown = await fake.wait_for_response(click)
    assert shown.ephemeral
    assert "¶" in all_text(shown)


async def test_off_topic_question_says_it_could_not_find(world):
    fake, bot = world
    it = await fake.slash("ask", {"question": "How do I bake sourdough bread?"})
    reply = await fake.wait_for_followup(it)
    assert reply.content.startswith("I couldn't find that in the documents")
    assert not reply.embeds


async def test_mention_gets_a_reply_that_pings_nobody(world):
    fake, bot = world
    message = await fake.send_message("@everyone <@&123> where did the meeting take place?", mentions_bot=True)
    reply = await fake.wait_for_reply(message)
    assert reply.reply_to == int(message["id"])
    assert "Doha" in all_text(reply)
    assert nothing_allowed(reply.allowed_mentions)
    assert not any(reply.pings().values())  # nobody is notified


async def test_mentions_are_not_part_of_the_question_or_its_title(world):
    fake, bot = world
    message = await fake.send_message(
        "@everyone <@&123> <@!456> <#789> @here How many tents were sent? <@42>", mentions_bot=True
    )
    reply = await fake.wait_for_reply(message)
    assert reply.embeds[0]["title"] == "How many tents were sent?"
    assert "10,000" in all_text(reply)
    # /ask too: the client turns a picked @name into <@id> in the option's text
    it = await fake.slash("ask", {"question": "<@&123> How many tents were sent? @everyone"})
    reply = await fake.wait_for_followup(it)
    assert reply.embeds[0]["title"] == "How many tents were sent?"


async def test_message_without_mention_is_ignored(world):
    fake, bot = world
    before = len(fake.bot_messages(fake.channel_id))
    ignored = await fake.send_message("where did the meeting take place?")
    await fake.send_message("ping", mentions_bot=True)  # a later message that is answered
    await fake.wait_until(lambda: len(fake.bot_messages(fake.channel_id)) >= before + 1, what="reply to mention")
    await fake.wait_until_handled(ignored)  # whatever the bot did with it is recorded by now
    replies = fake.bot_messages(fake.channel_id)[before:]
    assert len(replies) == 1


async def test_reindex_refused_for_member_without_manage_server(world):
    fake, bot = world
    # Discord's client hides the command from such a member...
    with pytest.raises(CommandUnavailable):
        await fake.slash("reindex", user=fake.user)
    # ...but admins can open it to everyone; the bot's own check still refuses.
    fake.permission_overrides.add("reindex")
    try:
        it = await fake.slash("reindex", user=fake.user)
        refusal = await fake.wait_for_response(it)
    finally:
        fake.permission_overrides.discard("reindex")
    assert refusal.ephemeral
    assert "Manage Server" in refusal.content


async def test_reindex_by_moderator_defers_and_summarises(world):
    fake, bot = world
    # /reindex rebuilds the server's own library: give it one document (dropped in by hand).
    seeds = bot.libraries.seeds_folder(fake.guild_id, create=True)
    add_document(seeds, "notice.txt", b"The harbour office opens at nine on weekdays.")
    try:
        it = await fake.slash("reindex", user=fake.moderator)
        deferred = await fake.wait_for_response(it)
        assert deferred.type == 5 and deferred.ephemeral
        summary = await fake.wait_for_followup(it, timeout=60)
        assert "Reindexed" in summary.content and "1 documents" in summary.content
    finally:
        remove_document(seeds, "notice.txt")
        await asyncio.to_thread(bot.libraries.library(fake.guild_id).reindex)


async def test_reindex_is_refused_in_dms(world):
    fake, bot = world
    with pytest.raises(CommandUnavailable):
        await fake.slash("reindex", user=fake.moderator, guild=False)


async def test_cooldown_answers_politely(world):
    fake, bot = world
    bot.limiter.per_minute = 1
    try:
        first = await fake.slash("ask", {"question": "Who is Darwish?"})
        await fake.wait_for_followup(first)
        second = await fake.slash("ask", {"question": "Who is Darwish?"})
        response = await fake.wait_for_response(second)
    finally:
        bot.limiter.per_minute = 0
    assert response.ephemeral and "try again in" in response.content


async def test_spam_mentions_get_one_notice_and_a_typo_costs_no_question(world):
    fake, bot = world
    bot.limiter = RateLimiter(1)
    try:
        typo = await fake.send_message("!!!", mentions_bot=True)  # nothing to ask: refused, not counted
        assert "no words" in all_text(await fake.wait_for_reply(typo))
        first = await fake.send_message("how many tents were sent?", mentions_bot=True)
        assert "10,000" in all_text(await fake.wait_for_reply(first))
        before = len(fake.bot_messages(fake.channel_id))
        spam = [await fake.send_message("and how many tents again?", mentions_bot=True) for _ in range(3)]
        for message in spam:
            await fake.wait_until_handled(message)  # the bot is done with it: whatever it sent is recorded
        notices = [all_text(m) for m in fake.bot_messages(fake.channel_id)[before:]]
        assert len(notices) == 1 and "asking quickly" in notices[0]
    finally:
        bot.limiter = RateLimiter(0)


async def test_direct_messages_need_no_mention_and_a_silent_reply_is_explained(world):
    fake, bot = world
    dm = await fake.send_message("how many tents were sent?", dm=True)
    assert "10,000" in all_text(await fake.wait_for_reply(dm))

    asked = await fake.send_message("how many tents were sent?", mentions_bot=True)
    answer = await fake.wait_for_reply(asked)
    silent = await fake.send_message("and where was that?", reply_to=answer, reply_mention=False)
    assert "leave the ping on" in all_text(await fake.wait_for_reply(silent))


async def test_a_mention_that_fails_is_answered_with_the_reason(world, monkeypatch):
    fake, bot = world

    def damaged(*args, **kwargs):
        raise IndexUnavailable("the index is damaged; a moderator can run /reindex")

    monkeypatch.setattr(Scope, "ask", damaged)
    message = await fake.send_message("how many tents were sent?", mentions_bot=True)
    assert "the index is damaged" in all_text(await fake.wait_for_reply(message))

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(Scope, "ask", broken)
    message = await fake.send_message("how many tents were sent?", mentions_bot=True)
    text = all_text(await fake.wait_for_reply(message))
    assert "Something went wrong" in text and "internal detail" not in text


async def test_exception_in_command_is_reported_and_bot_keeps_answering(world, monkeypatch):
    fake, bot = world
    calls = {"n": 0}
    real_ask = Scope.ask

    def flaky(scope, question, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return real_ask(scope, question, *args, **kwargs)

    monkeypatch.setattr(Scope, "ask", flaky)
    it = await fake.slash("ask", {"question": "How many tents were sent?"})
    error = await fake.wait_for_followup(it)
    assert error.ephemeral and "went wrong" in error.content and "boom" not in error.content
    it = await fake.slash("ask", {"question": "How many tents were sent?"})
    assert "10,000" in all_text(await fake.wait_for_followup(it))


async def test_sources_and_help(world):
    fake, bot = world
    it = await fake.slash("sources")
    response = await fake.wait_for_response(it)
    assert "2025-01-23" in all_text(response)
    it = await fake.slash("help")
    response = await fake.wait_for_response(it)
    assert response.ephemeral and "/ask" in all_text(response)


async def test_who_autocomplete_offers_names_within_limits(world):
    fake, bot = world
    it = await fake.autocomplete("who", {"name": "Ha"})
    response = await fake.wait_for_response(it)
    assert response.type == 8
    names = [c["name"] for c in response.choices]
    assert 0 < len(names) <= 25 and all(len(n) <= 100 for n in names)
    assert any("Hassan Darwish" == n or "Hafiz Naeem ur Rehman" == n for n in names)


async def test_who_renders_a_person_card_with_citations(world):
    fake, bot = world
    it = await fake.slash("who", {"name": "Rehman"})
    response = await fake.wait_for_response(it)
    text = all_text(response)
    assert "Hafiz Naeem ur Rehman" in text and "Emir" in text and "¶7" in text
    it = await fake.slash("who", {"name": "Angela Merkel"})
    response = await fake.wait_for_response(it)
    assert response.ephemeral and "No one called" in response.content
    # The same sentence as `citebot who` and the chat give (tests/test_cli.py).
    assert response.content.startswith("No one called 'Angela Merkel' in the documents.")


async def test_quote_shows_speakers_and_unattributed(world):
    fake, bot = world
    it = await fake.slash("quote", {})
    reply = await fake.wait_for_followup(it)
    text = all_text(reply)
    assert "Hassan Darwish" in text and "speaker not named in the source" in text
    it = await fake.slash("quote", {"topic": "tents"})
    reply = await fake.wait_for_followup(it)
    assert "not a quote" in reply.content
    assert nothing_allowed(reply.allowed_mentions)


async def test_bot_starts_on_the_previous_index_when_a_rebuild_fails(make_citebot, embedder, monkeypatch):
    from retrieval.index import build
    from retrieval.api import Citebot

    built = make_citebot({"bridge.txt": "date 2024-03-01\nOslo - The council approved a new bridge costing 40 million kroner."})
    built.ensure_index()
    (built.settings.seeds_dir / "bridge.txt").write_text("The bridge story changed while the bot was down.")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "write_generation", disk_full)
    restarted = Citebot(built.settings, embedder=embedder)  # a new process: nothing loaded yet
    async with FakeDiscord() as fake:
        bot = open_bot(restarted, BotSettings(cooldown_per_minute=0))
        async with running_bot(bot, fake):
            it = await fake.slash("ask", {"question": "How much does the bridge cost?"})
            reply = await fake.wait_for_followup(it)
    assert "40 million" in all_text(reply)


async def test_guild_id_setting_syncs_commands_to_that_server_only(seed_citebot, tmp_path):
    async with FakeDiscord() as fake:
        bot = open_bot(seed_citebot, BotSettings(guild_id=fake.guild_id), state_dir=tmp_path)
        async with running_bot(bot, fake):
            assert {c["name"] for c in fake.guild_commands()} >= {"ask", "who", "reindex"}
            assert fake.global_commands == []


async def test_mention_shows_typing_while_answering(world):
    fake, bot = world
    message = await fake.send_message("how many tents were sent?", mentions_bot=True)
    await fake.wait_for_typing(fake.channel_id)
    await fake.wait_for_reply(message)
