"""Proves tests/fakediscord/ works with the real discord.py client, using a throwaway bot defined here.

The bot below is deliberately not the project's bot: it only exercises the fake's surface (slash commands, defers,
follow-ups, double responses, autocomplete, buttons, attachments, mentions, threads, typing, reactions).
"""

from __future__ import annotations

import asyncio
import io
from typing import Any, Optional

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from fakediscord import (
    CallbackType,
    CommandUnavailable,
    FakeDiscord,
    MessageFlags,
    Perm,
    running_bot,
    shard_of,
)

TOPICS = ["alpha", "alphabet", "beta", "gamma"]


class ConfirmView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content=f"confirmed by {interaction.user.name}", view=None)

    @discord.ui.button(label="Never", custom_id="never", disabled=True)
    async def never(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        raise AssertionError("a disabled button cannot be clicked")


class ChooseView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.select(
        custom_id="pick",
        options=[discord.SelectOption(label="Alpha", value="a"), discord.SelectOption(label="Beta", value="b")],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.defer()  # type 6 on a component: "original" is the message the select is on
        await interaction.edit_original_response(content=f"chose {select.values}", view=None)


class ThrowawayBot(commands.Bot):
    """A minimal bot whose handlers record what happened so tests can assert on the bot side too."""

    def __init__(self, intents: Optional[discord.Intents] = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or discord.Intents.default(),
            help_command=None,
            guild_ready_timeout=0.05,
        )
        self.seen: dict[int, discord.Message] = {}
        self.outcomes: dict[str, Any] = {}
        self.release_slow = asyncio.Event()
        self._add_commands()

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.command(name="ping", description="Defer, then follow up")
        @app_commands.describe(text="What to echo")
        async def ping(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(f"pong: {text}", allowed_mentions=discord.AllowedMentions.none())

        @tree.command(name="twice", description="Responds twice")
        async def twice(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("first")
            try:
                await interaction.response.send_message("second")
            except discord.InteractionResponded as exc:
                self.outcomes["twice_local"] = exc
            # Bypass discord.py's local guard to prove the fake itself refuses a second callback.
            interaction.response._response_type = None
            try:
                await interaction.response.send_message("second, really")
            except discord.HTTPException as exc:
                self.outcomes["twice_server"] = exc
            await interaction.followup.send("after twice", ephemeral=True)

        async def topic_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=t, value=t) for t in TOPICS if t.startswith(current)]

        @tree.command(name="lookup", description="Look up a topic")
        @app_commands.describe(topic="Topic to look up")
        @app_commands.autocomplete(topic=topic_choices)
        async def lookup(interaction: discord.Interaction, topic: str) -> None:
            await interaction.response.send_message(f"looked up {topic}")

        @tree.command(name="buttons", description="Shows buttons")
        async def buttons(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pick one", view=ConfirmView())

        @tree.command(name="secret", description="Ephemeral, no pings")
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                f"only you, {interaction.user.mention} @everyone",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions(everyone=False, users=False),
            )

        @tree.command(name="admin", description="Manage Server only")
        @app_commands.default_permissions(manage_guild=True)
        @app_commands.guild_only()
        async def admin(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"manage_guild={interaction.permissions.manage_guild}")

        @tree.command(name="slow", description="Answers when the test says so")
        async def slow(interaction: discord.Interaction) -> None:
            await self.release_slow.wait()
            try:
                await interaction.response.send_message("made it")
            except discord.NotFound as exc:
                self.outcomes["slow"] = exc

        @tree.command(name="readfile", description="Reads an attachment")
        @app_commands.describe(file="A file")
        async def readfile(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            await interaction.response.send_message(
                f"{file.filename}: {len(data)} bytes",
                file=discord.File(io.BytesIO(data[::-1]), filename="reversed.txt"),
            )

        @tree.command(name="long", description="Too long for Discord")
        async def long(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_message("x" * 2001)
            except discord.HTTPException as exc:
                self.outcomes["long"] = exc

        cite = app_commands.Group(name="cite", description="Citation tools")
        cite_admin = app_commands.Group(name="admin", description="Admin tools", parent=cite)

        @cite.command(name="search", description="Search the documents")
        @app_commands.describe(query="Question", limit="How many", who="Who asks")
        async def search(
            interaction: discord.Interaction,
            query: str,
            limit: app_commands.Range[int, 1, 5] = 3,
            who: Optional[discord.Member] = None,
        ) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            first = await interaction.followup.send(f"{query}|{limit}|{who.name if who else None}", wait=True)
            await interaction.edit_original_response(content=f"final: {query}")
            original = await interaction.original_response()
            extra = await interaction.followup.send("extra", wait=True)
            await extra.edit(content="extra, edited")
            self.outcomes["search"] = (first.id, original.id, original.content)

        @cite_admin.command(name="reindex", description="Rebuild the index")
        async def reindex(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("reindexing")
            await interaction.delete_original_response()
            try:
                await interaction.original_response()
            except discord.NotFound as exc:
                self.outcomes["reindex"] = exc

        tree.add_command(cite)

        @tree.command(name="choose", description="Shows a select menu")
        async def choose(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("choose one", view=ChooseView())

    async def on_message(self, message: discord.Message) -> None:
        if message.author == self.user:
            return
        self.seen[message.id] = message
        if self.user not in message.mentions:
            return
        async with message.channel.typing():
            pass
        await message.reply(f"you said: {message.content}", mention_author=False)
        await message.add_reaction("\N{EYES}")
        if "thread" in message.content:
            thread = await message.create_thread(name="discussion")
            await thread.send("in thread", file=discord.File(io.BytesIO(b"hello"), filename="hi.txt"))


@pytest.fixture
async def fake():
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord):
    client = ThrowawayBot()
    async with running_bot(client, fake):
        await client.tree.sync()
        yield client


# ---------------------------------------------------------------------------------------------------------- plumbing


async def test_bot_logs_in_and_sees_the_guild(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    assert bot.user is not None and bot.user.id == fake.bot_user.id
    assert bot.application_id == fake.application_id
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None and guild.name == "Test Guild" and not guild.unavailable
    assert guild.owner_id == fake.owner.id
    assert guild.me is not None and guild.me.id == fake.bot_user.id
    assert guild.default_role.permissions.value == fake.everyone_permissions
    channel = guild.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel) and channel.name == "general"
    assert channel.permissions_for(guild.me).send_messages
    # discord.py appends v/encoding/compress to DEFAULT_GATEWAY; the fake answers with plain text frames.
    query = fake.gateway_queries[0]
    assert query["v"] == "10" and query["encoding"] == "json" and "compress" in query
    assert fake.identify_payloads[0]["intents"] == bot.intents.value
    assert fake.identify_payloads[0]["token"] == "fake-token"


async def test_rest_replies_are_exact_json_without_ratelimit_headers(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.api_base}/users/@me", headers={"Authorization": "Bot t"}) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            assert not [h for h in resp.headers if h.lower().startswith("x-ratelimit")]
            assert (await resp.json())["id"] == str(fake.bot_user.id)
        async with http.get(f"{fake.api_base}/users/@me") as resp:
            assert resp.status == 401
        async with http.get(f"{fake.api_base}/no/such/route", headers={"Authorization": "Bot t"}) as resp:
            assert resp.status == 404 and resp.headers["Content-Type"] == "application/json"
    assert [r.path for r in fake.unhandled] == ["/no/such/route"]


async def test_point_discord_py_here_restores_originals(fake: FakeDiscord) -> None:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    with fake.point_discord_py_here():
        assert discord.http.Route.BASE == fake.api_base
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
        assert discord.http.Route("GET", "/users/@me").url == f"{fake.api_base}/users/@me"
    assert discord.http.Route.BASE == base
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == gateway


async def test_privileged_intent_not_enabled_fails_startup(fake: FakeDiscord) -> None:
    fake.allowed_privileged_intents = 0
    client = ThrowawayBot(intents=discord.Intents.default() | discord.Intents(message_content=True))
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(client, fake):
            pass
    assert fake.gateway_closes == [(4014, "Disallowed intent(s).")]


# ---------------------------------------------------------------------------------------------------------- commands


async def test_synced_command_json(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    sync = fake.command_syncs[-1]
    assert sync.guild_id is None
    assert {c["name"] for c in sync.payload} == {
        "ping", "twice", "lookup", "buttons", "secret", "admin", "slow", "readfile", "long", "cite", "choose"
    }
    ping = fake.command("ping")
    assert ping is not None
    assert ping["description"] == "Defer, then follow up"
    [text] = ping["options"]
    assert (text["type"], text["name"], text["required"], text["description"]) == (3, "text", True, "What to echo")
    assert fake.command("lookup")["options"][0]["autocomplete"] is True  # type: ignore[index]
    admin = fake.command("admin")
    assert admin is not None and admin["default_member_permissions"] == str(Perm.MANAGE_GUILD)
    assert next(c for c in sync.payload if c["name"] == "admin")["default_member_permissions"] == Perm.MANAGE_GUILD
    assert admin["contexts"] == [0]
    # A second bulk overwrite keeps command ids, like Discord.
    ids = {c["name"]: c["id"] for c in fake.global_commands}
    synced = await bot.tree.sync()
    assert {c.name: str(c.id) for c in synced} == ids


async def test_slash_defer_then_followup(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    it = await fake.slash("ping", {"text": "hello"})
    response = await fake.wait_for_response(it)
    assert response.type == CallbackType.DEFERRED_CHANNEL_MESSAGE
    assert not response.ephemeral
    followup = await fake.wait_for_followup(it)
    assert followup.content == "pong: hello"
    assert followup.allowed_mentions == discord.AllowedMentions.none().to_dict()
    # The first follow-up after a thinking defer replaces the loading message.
    assert followup.replaced_loading and it.original is not None and it.original.id == followup.id
    assert not it.original.loading and it.original.content == "pong: hello"
    assert it.rejected == []


async def test_subcommands_user_option_edits_and_followups(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    it = await fake.slash("cite search", {"query": "what?", "limit": 5, "who": fake.moderator})
    options = it.payload["data"]["options"]
    assert options[0]["name"] == "search" and options[0]["type"] == 1
    assert it.payload["data"]["resolved"]["users"][str(fake.moderator.id)]["username"] == "mod"
    await fake.wait_until(lambda: bot.outcomes.get("search"))
    first_id, original_id, original_content = bot.outcomes["search"]
    assert first_id == original_id == it.original.id  # type: ignore[union-attr]
    assert original_content == "final: what?"
    first, extra = it.followups
    assert first.payload["content"] == "what?|5|mod" and first.replaced_loading
    assert first.ephemeral  # inherited from the ephemeral defer even though the follow-up did not ask
    assert extra.content == "extra, edited" and not extra.ephemeral and not extra.replaced_loading
    assert [e["target"] for e in it.edits] == ["@original", str(extra.id)]
    with pytest.raises(CommandUnavailable, match="max_value"):
        await fake.slash("cite search", {"query": "q", "limit": 9})
    with pytest.raises(CommandUnavailable, match="required"):
        await fake.slash("cite search", {"limit": 2})


async def test_delete_original_and_dm_invocation(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    it = await fake.slash("cite", group="admin", subcommand="reindex", guild=False, user=fake.user)
    await fake.wait_until(lambda: bot.outcomes.get("reindex"))
    assert bot.outcomes["reindex"].code == 10008
    assert it.original is not None and it.original.deleted and it.deleted == [it.original.id]
    assert it.guild_id is None and "member" not in it.payload and it.payload["user"]["id"] == str(fake.user.id)
    assert it.channel_id == fake.dm_channel_id(fake.user)


async def test_select_menu_deferred_update(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    it = await fake.slash("choose")
    await it.wait_response()
    with pytest.raises(CommandUnavailable, match="no options"):
        await fake.click(it.original, "pick", values=["z"])  # type: ignore[arg-type]
    pick = await fake.click(it.original, "pick", values=["b"])  # type: ignore[arg-type]
    assert (await pick.wait_response()).type == CallbackType.DEFERRED_UPDATE_MESSAGE
    edit = await pick.wait_edit()
    assert edit["target"] == "@original"
    assert it.original is not None and it.original.content == "chose ['b']" and it.original.components == []


async def test_second_response_is_refused(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    it = await fake.slash("twice")
    followup = await fake.wait_for_followup(it)
    assert followup.content == "after twice" and followup.ephemeral and not followup.replaced_loading
    assert [r.content for r in it.responses] == ["first"]
    assert isinstance(bot.outcomes["twice_local"], discord.InteractionResponded)
    server_error = bot.outcomes["twice_server"]
    assert isinstance(server_error, discord.HTTPException)
    assert (server_error.status, server_error.code) == (400, 40060)
    assert it.rejected[0].error == {"code": 40060, "message": "Interaction has already been acknowledged."}
    # The same refusal for anybody else calling the callback.
    async with aiohttp.ClientSession() as http:
        url = f"{fake.api_base}/interactions/{it.id}/{it.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "late"}}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 40060


async def test_autocomplete_then_command(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    ac = await fake.autocomplete("lookup", {"topic": "alp"})
    response = await fake.wait_for_response(ac)
    assert response.type == CallbackType.AUTOCOMPLETE_RESULT
    assert [c["name"] for c in response.choices] == ["alpha", "alphabet"]
    assert ac.payload["data"]["options"] == [{"name": "topic", "type": 3, "value": "alp", "focused": True}]
    it = await fake.slash("lookup", {"topic": "alpha"})
    assert (await it.wait_response()).content == "looked up alpha"


async def test_button_click_updates_the_message(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    it = await fake.slash("buttons")
    response = await fake.wait_for_response(it)
    assert response.type == CallbackType.CHANNEL_MESSAGE
    message = it.original
    assert message is not None and message.custom_ids == ["confirm", "never"]
    with pytest.raises(CommandUnavailable, match="disabled"):
        await fake.click(message, "never")
    click = await fake.click(message, "confirm", user=fake.moderator)
    assert click.payload["data"] == {"custom_id": "confirm", "component_type": 2}
    update = await fake.wait_for_response(click)
    assert update.type == CallbackType.UPDATE_MESSAGE
    assert message.content == "confirmed by mod" and message.components == []
    with pytest.raises(CommandUnavailable, match="no component"):
        await fake.click(message, "confirm")


async def test_ephemeral_flag_and_allowed_mentions(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    it = await fake.slash("secret")
    response = await fake.wait_for_response(it)
    assert response.ephemeral and response.flags & MessageFlags.EPHEMERAL
    expected = discord.AllowedMentions(everyone=False, users=False).to_dict()
    assert response.allowed_mentions == expected
    assert it.original is not None
    pings = it.original.pings()
    assert pings["users"] == set() and pings["everyone"] is False
    assert all(m["id"] != str(it.original.id) for m in fake.channel_messages())  # ephemeral: not in history


async def test_default_member_permissions_are_enforced(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    with pytest.raises(CommandUnavailable, match="requires permissions"):
        await fake.slash("admin", user=fake.user)
    with pytest.raises(CommandUnavailable, match="DMs"):
        await fake.slash("admin", user=fake.moderator, guild=False)
    it = await fake.slash("admin", user=fake.moderator)
    assert (await it.wait_response()).content == "manage_guild=True"
    assert int(it.payload["member"]["permissions"]) & Perm.MANAGE_GUILD
    it2 = await fake.slash("admin", user=fake.user, member_permissions=Perm.MANAGE_GUILD)
    assert (await it2.wait_response()).content == "manage_guild=True"
    assert int(it2.payload["app_permissions"]) == fake.bot_channel_permissions(fake.channel_id)


async def test_unanswered_interaction_expires(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    now = [100.0]
    fake.clock = lambda: now[0]
    it = await fake.slash("slow")
    now[0] += 3.01  # past Discord's 3 s
    bot.release_slow.set()
    await fake.wait_until(lambda: it.rejected, what="the late response")
    assert it.rejected[0].status == 404
    assert it.rejected[0].error == {"code": 10062, "message": "Unknown interaction"}
    assert it.response is None
    await fake.wait_until(lambda: "slow" in bot.outcomes)
    assert bot.outcomes["slow"].code == 10062
    # Answered within the window: accepted.
    on_time = await fake.slash("slow")
    now[0] += 2.9
    assert (await on_time.wait_response()).content == "made it"
    # fake.expire() forces expiry without touching the clock.
    forced = await fake.slash("slow")
    fake.expire(forced)
    await fake.wait_until(lambda: forced.rejected)
    assert forced.rejected[0].error["code"] == 10062


async def test_attachment_option_and_file_upload(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    url = fake.add_attachment("notes.txt", b"abc123", "text/plain")
    it = await fake.slash("readfile", {"file": url})
    response = await it.wait_response()
    assert response.content == "notes.txt: 6 bytes"
    assert [(f.filename, f.data) for f in response.files] == [("reversed.txt", b"321cba")]
    assert it.original is not None
    [attachment] = it.original.attachments
    assert attachment["filename"] == "reversed.txt" and fake.attachment_bytes(attachment["url"]) == b"321cba"


async def test_message_payload_limits_are_enforced(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    it = await fake.slash("long")
    await fake.wait_until(lambda: it.rejected)
    assert it.rejected[0].status == 400
    assert it.rejected[0].error["code"] == 50035 and "content" in it.rejected[0].error["errors"]
    await fake.wait_until(lambda: "long" in bot.outcomes)
    assert bot.outcomes["long"].code == 50035


# ---------------------------------------------------------------------------------------------------------- messages


async def test_content_is_hidden_without_intent_unless_mentioned(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    assert not bot.intents.message_content
    plain = await fake.send_message("just chatting")
    seen = await fake.wait_until(lambda: bot.seen.get(int(plain["id"])))
    assert seen.content == "" and plain["content"] == "just chatting"
    delivered = [d["d"] for d in fake.dispatched if d["t"] == "MESSAGE_CREATE" and d["d"]["id"] == plain["id"]]
    assert delivered[0]["content"] == ""

    asked = await fake.send_message("what is citebot?", mentions_bot=True)
    seen = await fake.wait_until(lambda: bot.seen.get(int(asked["id"])))
    assert seen.content == f"<@{fake.bot_user.id}> what is citebot?"
    reply = await fake.wait_for_reply(asked)
    assert reply.content == f"you said: <@{fake.bot_user.id}> what is citebot?"
    assert reply.message["message_reference"]["message_id"] == asked["id"] and reply.message["type"] == 19
    assert reply.allowed_mentions is not None and reply.pings()["replied_user"] is False
    assert (await fake.wait_for_reaction(asked, "\N{EYES}")).user_id == fake.bot_user.id
    assert (await fake.wait_for_typing(fake.channel_id)).channel_id == fake.channel_id
    assert await fake.wait_for_message(fake.channel_id) is reply

    # A reply to the bot carries content only if it pings the bot (reply mention on), like a mention.
    pinging = await fake.send_message("and then?", reply_to=reply)
    seen = await fake.wait_until(lambda: bot.seen.get(int(pinging["id"])))
    assert seen.content == "and then?" and seen.reference is not None
    quiet = await fake.send_message("quietly", reply_to=reply, reply_mention=False)
    seen = await fake.wait_until(lambda: bot.seen.get(int(quiet["id"])))
    assert seen.content == ""

    in_dm = await fake.send_message("hello in private", dm=True)
    seen = await fake.wait_until(lambda: bot.seen.get(int(in_dm["id"])))
    assert seen.content == "hello in private" and isinstance(seen.channel, discord.DMChannel)


async def test_content_is_delivered_with_intent(fake: FakeDiscord) -> None:
    client = ThrowawayBot(intents=discord.Intents.default() | discord.Intents(message_content=True))
    async with running_bot(client, fake):
        plain = await fake.send_message("just chatting")
        seen = await fake.wait_until(lambda: client.seen.get(int(plain["id"])))
        assert seen.content == "just chatting"


async def test_thread_creation_and_upload_in_thread(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    asked = await fake.send_message("open a thread please", mentions_bot=True)
    thread = await fake.wait_for_thread()
    assert thread.message_id == int(asked["id"]) == thread.id and thread.name == "discussion"
    posted = await fake.wait_for_message(thread.id)
    assert posted.content == "in thread" and [(f.filename, f.data) for f in posted.files] == [("hi.txt", b"hello")]
    async with aiohttp.ClientSession() as http:
        async with http.get(posted.attachments[0]["url"]) as resp:
            assert await resp.read() == b"hello"
    assert isinstance(bot.get_channel(thread.id), discord.Thread)


async def test_channel_rest_send_edit_reply_and_permissions(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("hello")
    await sent.edit(content="edited")
    record = fake.sent_message(sent.id)
    assert record is not None and record.content == "edited" and record.edits[0]["content"] == "edited"
    fetched = await bot.fetch_channel(fake.channel_id)
    assert fetched.id == fake.channel_id
    with pytest.raises(discord.HTTPException) as bad_reply:
        await channel.send("to nowhere", reference=discord.MessageReference(message_id=1, channel_id=fake.channel_id))
    assert bad_reply.value.code == 50035
    await fake.set_bot_permissions(Perm.VIEW_CHANNEL, channel_id=fake.channel_id)
    await fake.wait_until(lambda: not channel.permissions_for(channel.guild.me).send_messages)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("not allowed")
    assert forbidden.value.code == 50013


async def test_wait_until_handled_returns_once_the_bot_is_done_with_a_message(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    ignored = await fake.send_message("not for the bot")
    await fake.wait_until_handled(ignored)
    assert int(ignored["id"]) in bot.seen and fake.bot_messages() == []
    asked = await fake.send_message("hello", mentions_bot=True)
    await fake.wait_until_handled(asked)  # no wait_for_reply: the handler's reply and reaction are recorded already
    assert [m.reply_to for m in fake.bot_messages()] == [int(asked["id"])]
    assert [r.message_id for r in fake.reactions] == [int(asked["id"])]


# ---------------------------------------------------------------------------------------------- many guilds, shards


class ShardedThrowaway(commands.AutoShardedBot):
    """discord.py's AutoShardedBot, recording the messages it is given; no 5 s between its own IDENTIFYs (the fake
    has no identify rate limit)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(), help_command=None,
                         guild_ready_timeout=0.05, **options)
        self.seen: list[discord.Message] = []

        @self.tree.command(name="where", description="Which shards answer")
        async def where(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"shards {self.shard_ids}")

    async def before_identify_hook(self, shard_id: Optional[int], *, initial: bool = False) -> None:
        return

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)


async def test_each_shard_gets_only_its_guilds_and_their_events_and_dms_go_to_shard_zero(fake: FakeDiscord) -> None:
    fake.shard_count = 2
    first = fake.add_guild("On shard 0", shard=(0, 2))
    second = fake.add_guild("On shard 1", shard=(1, 2))
    zero, one = ShardedThrowaway(shard_count=2, shard_ids=[0]), ShardedThrowaway(shard_count=2, shard_ids=[1])
    async with running_bot(zero, fake), running_bot(one, fake):
        assert sorted(p["shard"] for p in fake.identify_payloads) == [[0, 2], [1, 2]]
        on = {shard: {gid for gid in fake.guilds if shard_of(gid, 2) == shard} for shard in (0, 1)}
        assert first.id in on[0] and second.id in on[1]
        assert {g.id for g in zero.guilds} == on[0] and {g.id for g in one.guilds} == on[1]
        await fake.wait_until_handled(await fake.send_message("hi", mentions_bot=True, channel_id=second.channel_id))
        await fake.wait_until_handled(await fake.send_message("hello", mentions_bot=True, dm=True))
        assert [m.guild.id for m in one.seen if m.guild] == [second.id] and not [m for m in one.seen if not m.guild]
        assert [m.content.split()[-1] for m in zero.seen] == ["hello"]  # the DM, and nothing of shard 1's guild
        await zero.tree.sync()
        it = await fake.slash("where", channel_id=second.channel_id)
        assert (await fake.wait_for_response(it)).content == "shards [1]"
        it = await fake.slash("where", guild=False)
        assert (await fake.wait_for_response(it)).content == "shards [0]"
        delivered = await fake.dispatch("TYPING_START", {"guild_id": str(first.id), "channel_id": str(first.channel_id),
                                                         "user_id": str(fake.user.id), "timestamp": 0})
        assert delivered == 1 and fake.dispatched[-1]["shard"] == (0, 2)


async def test_without_a_shard_count_discord_py_asks_for_one_and_runs_every_shard(fake: FakeDiscord) -> None:
    fake.shard_count = 2
    second = fake.add_guild("On shard 1", shard=(1, 2))
    bot = ShardedThrowaway()
    async with running_bot(bot, fake):
        assert any(r.path == "/gateway/bot" for r in fake.requests)
        assert bot.shard_count == 2 and sorted(p["shard"] for p in fake.identify_payloads) == [[0, 2], [1, 2]]
        assert {g.id for g in bot.guilds} == set(fake.guilds) and bot.get_guild(second.id).shard_id == 1


async def test_an_interaction_in_another_guild_is_that_guilds_and_a_removed_bot_gets_nothing(fake: FakeDiscord,
                                                                                            bot: ThrowawayBot) -> None:
    other = fake.add_guild("Other", channel_names=("lobby",))
    await fake.invite_bot(other.id)
    await fake.wait_until(lambda: bot.get_guild(other.id) is not None, what="the new guild in the bot's cache")
    assert bot.get_guild(other.id).default_role.id == other.id
    assert [c.name for c in bot.get_guild(other.id).text_channels] == ["lobby"]
    it = await fake.slash("admin", channel_id=other.channel_id, user=fake.moderator)
    assert it.guild_id == other.id and "manage_guild=True" in (await fake.wait_for_response(it)).content
    assert int(it.payload["guild_id"]) == other.id

    await fake.remove_bot(other.id)
    await fake.wait_until(lambda: bot.get_guild(other.id) is None, what="the guild gone from the bot's cache")
    with pytest.raises(CommandUnavailable, match="not in guild"):
        await fake.slash("admin", channel_id=other.channel_id, user=fake.moderator)
    assert await fake.dispatch("TYPING_START", {"guild_id": str(other.id), "channel_id": str(other.channel_id),
                                                "user_id": str(fake.user.id), "timestamp": 0}) == 0
    await fake.invite_bot(other.id)
    await fake.wait_until(lambda: bot.get_guild(other.id) is not None, what="the guild back after a new invite")


async def test_the_application_names_its_owner_or_its_team(fake: FakeDiscord, bot: ThrowawayBot) -> None:
    app = await bot.application_info()
    assert app.owner.id == fake.owner.id and app.team is None
    admin, reader = fake.add_user("lead"), fake.add_user("reader")
    fake.team = [(admin, "admin"), (reader, "read_only")]
    app = await bot.application_info()
    assert app.team is not None and app.team.owner_id == admin.id
    assert {(m.id, m.role.name) for m in app.team.members} == {(admin.id, "admin"), (reader.id, "read_only")}
    assert app.owner.id == app.team.id  # the team's pseudo-user, as Discord reports a team-owned application
