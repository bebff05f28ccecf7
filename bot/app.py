"""The Discord bot: a ``commands.Bot`` subclass handed everything it uses.

Shaped like discord.py's ``examples/advanced_startup.py``: the start-up code (``run_bot``,
or a test) opens the libraries (``retrieval.Libraries``: the shared one and every server's)
and the bot's state stores and hands them to the bot, which closes them in ``close()``;
cogs load in ``setup_hook``; one tree error handler; ``AllowedMentions.none()`` bot-wide.

A question in a server is answered from that server's scope (``CitebotBot.scope``: its own
library and, unless its /settings turned it off, the shared one); in a DM from the shared
library alone. Nothing of one server's library is ever read for another server or a DM.

Sharded (``CITEBOT_SHARD_COUNT`` set) the bot is :class:`ShardedCitebotBot`, the same bot
over discord.py's ``AutoShardedBot``, serving the shards ``CITEBOT_SHARD_IDS`` names. One
process serves shard 0 (every unsharded process does): it alone rebuilds the shared library,
watches its folder and syncs the slash commands (``builds_shared``); every process reads it,
and every few seconds switches to a generation another process published (``refresh``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import socket
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from retrieval import (
    Citebot,
    CitebotError,
    Libraries,
    QuestionError,
    ReindexRunning,
    Scope,
    Settings,
    StorageError,
    atomic_write_text,
    library_label,
)

from .answer_store import AnswerStore
from .checks import RateLimiter, application_owners
from .checks import is_owner as owner_rule
from .guild_settings import GuildSettingsStore
from .logs import setup_logging
from .payloads import use_tolerant_json
from .render import render_error
from .settings import BotSettings
from .replies import REINDEX_RUNNING, UNEXPECTED

log = logging.getLogger("citebot.bot")

COG_MODULES = (
    "bot.cogs.ask",
    "bot.cogs.info",
    "bot.cogs.people",
    "bot.cogs.admin",
    "bot.cogs.seed",
    "bot.cogs.settings",
    "bot.cogs.feedback",
)


_API_VERSION_PATH = re.compile(r"/api/v\d+$")


def api_base_url(base: str, version: int) -> str:
    """The REST base discord.py wants (``…/api/v10``) from a server's address given with or
    without the version path, or with a trailing slash: people copy either form."""
    base = base.strip().rstrip("/")
    if _API_VERSION_PATH.search(base):
        return base
    return f"{base.removesuffix('/api')}/api/v{version}"


def configure_discord_endpoints(settings: BotSettings) -> None:
    """Point discord.py at another Discord-compatible server when the settings say so."""
    from discord import gateway, http

    if settings.discord_api_base and settings.discord_api_base.strip():
        # _set_api_version() rebuilds Route.BASE from the version: set ours after it.
        http.Route.BASE = api_base_url(settings.discord_api_base, http.INTERNAL_API_VERSION)
    if settings.discord_gateway_url and settings.discord_gateway_url.strip():
        gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url.strip())


class GatewayUnreachable(Exception):
    """The gateway could not be reached for the first connection, however often we tried."""


# Seconds a start-up connection attempt may take (a gateway that drops packets never refuses).
GATEWAY_TIMEOUT = 10.0


def backoff_delays(attempts: int, first: float = 1.0, cap: float = 60.0) -> tuple[float, ...]:
    """The waits between ``attempts`` tries: doubling from ``first``, at most ``cap`` each."""
    return tuple(min(cap, first * 2**i) for i in range(max(1, attempts) - 1))


async def gateway_problem(url: yarl.URL, timeout: float = GATEWAY_TIMEOUT) -> str | None:
    """Why a connection to the gateway at ``url`` cannot be opened now, or None if it can.

    Name resolution, TCP and (for ``wss``) TLS: the steps that fail when the gateway is down,
    unroutable or its name does not resolve. Nothing is sent over the connection.
    """
    secure = url.scheme in ("wss", "https")
    host, port = url.host or "", url.port or (443 if secure else 80)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ssl.create_default_context() if secure else None), timeout
        )
    except asyncio.TimeoutError:
        return f"no answer in {timeout:g} s"
    except ConnectionRefusedError:
        return "connection refused"
    except socket.gaierror as exc:
        return f"cannot resolve {host} ({exc.strerror or exc})"
    except ssl.SSLError as exc:
        return f"TLS failed ({exc.reason or exc})"
    except OSError as exc:
        return str(exc.strerror or exc)
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return None


def _reason(exc: BaseException | None) -> str:
    """A failed connection's cause in a few words (the exception discord.py was handling)."""
    if exc is None:
        return "the connection failed"
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"the gateway refused the WebSocket ({exc.status} {exc.message})"
    if isinstance(exc, asyncio.TimeoutError):
        return "the gateway did not answer in time"
    return str(getattr(exc, "strerror", None) or exc) or type(exc).__name__


discord_log = logging.getLogger("discord.client")


class _UntilConnected(logging.Filter):
    """Drops discord.py's "Attempting a reconnect" traceback while no connection was ever
    made: it will not reconnect then (see ``CitebotBot.connect``), and our line says why."""

    def __init__(self, bot: discord.Client) -> None:
        super().__init__()
        self.bot = bot

    def filter(self, record: logging.LogRecord) -> bool:
        return self.bot.ws is not None or not str(record.msg).startswith("Attempting a reconnect")


async def websocket_problem(url: yarl.URL, timeout: float = GATEWAY_TIMEOUT) -> str | None:
    """Why the gateway at ``url`` refuses a WebSocket now (reachable, but not a gateway: a
    wrong path, a proxy's error page), or None if it accepts one. Closed at once, before
    IDENTIFY: Discord counts sessions started, not connections."""
    from discord.http import INTERNAL_API_VERSION

    try:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url.with_query(v=INTERNAL_API_VERSION, encoding="json"), timeout=timeout):
                return None
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        return _reason(exc)


# Seconds between two IDENTIFYs of this process (a second shard, a reconnect): Discord
# allows one every 5 seconds, and discord.py's own hook waits as long.
IDENTIFY_DELAY = 5.0
# Seconds between two looks at who owns the application (a team changes rarely).
OWNERS_REFRESH_SECONDS = 3600.0


class CitebotBot(commands.Bot):
    """The bot over ``libraries``, with its own ``settings`` and the stores it keeps its state
    in (opened by the caller, see :func:`open_bot`, closed by :meth:`close`); ``state_dir``
    (the libraries' data folder too) holds the marker that spares a command sync when
    nothing changed.

    ``builds_shared``: whether this process may rebuild the shared library (and watch its
    folder, and sync the commands). True unsharded, and in the one process that holds
    shard 0; in the others ``libraries`` only reads the shared library (``build_shared``
    off), and ``refresh`` switches them to each generation the builder publishes.
    """

    def __init__(
        self,
        libraries: Libraries,
        settings: BotSettings,
        *,
        answers: AnswerStore,
        guild_settings: GuildSettingsStore,
        state_dir: Path,
        connect_delays: Sequence[float] | None = None,
        identify_delay: float = IDENTIFY_DELAY,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = False  # privileged; mentions carry their content without it
        options.setdefault("guild_ready_timeout", 2.0)
        # The bot never joins voice: discord.py's two warnings that voice libraries are
        # missing would otherwise open every start, and every start-up error, on stderr.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        use_tolerant_json()
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        self.libraries = libraries
        self.settings = settings
        self.answers = answers
        self.guild_settings = guild_settings
        self.state_dir = Path(state_dir)
        self.limiter = RateLimiter(settings.cooldown_per_minute)
        # Questions (embedding, FAISS) share two threads: the machine has two cores. Rebuilds
        # take a thread of their own, one at a time: however long one runs, and whichever
        # library it is, questions to every library keep both threads.
        self.heavy = asyncio.Semaphore(2)
        self.rebuilds = asyncio.Semaphore(1)
        self._refresh_task: asyncio.Task[None] | None = None
        # Waits between start-up attempts to reach the gateway (tests pass zeros).
        self.connect_delays = tuple(connect_delays) if connect_delays is not None else backoff_delays(settings.connect_attempts)
        self.identify_delay = identify_delay
        self.builds_shared = settings.holds_shard_zero
        # The bot's owners (see checks.is_owner): the setting's until Discord has been asked.
        self._owners = application_owners(None, settings.owner_ids)
        self._owners_checked = float("-inf")
        self._owners_lock = asyncio.Lock()
        self.tree.on_error = self.on_app_command_error  # type: ignore[assignment]

    @property
    def sharded(self) -> bool:
        return False

    async def close(self) -> None:
        # discord.py unloads the cogs first (the seeds watcher stops), then the stores close.
        task, self._refresh_task = self._refresh_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            await super().close()
        finally:
            self.answers.close()
            self.guild_settings.close()
            self.libraries.close()

    async def setup_hook(self) -> None:
        # Load (or rebuild) the shared index before commands arrive, off the event loop. With
        # nothing to serve it raises, and run_bot turns that into one line. Server libraries
        # load on their first question.
        problem = await asyncio.to_thread(self.libraries.shared.ensure_serving)
        if problem is not None:  # the rebuild could not happen; the previous index answers
            log.error("rebuilding the index failed; serving the previous one: %s", problem)
        # login() has just fetched the application: its owner or team, without another request.
        self._remember_owners(self.application)
        for module in COG_MODULES:
            await self.load_extension(module)
        if self.builds_shared:  # the commands are the application's: one process syncs them
            await self.sync_commands_if_changed()
        self._refresh_task = asyncio.create_task(self._refresh_libraries(), name="citebot-refresh-libraries")

    # ---- libraries ----------------------------------------------------------------------

    def scope(self, server_id: int | None) -> Scope:
        """What a question asked in ``server_id`` (None: a DM) is answered from: that server's
        library, and the shared one unless the server's /settings turned it off. Safe on a
        worker thread; made per question, never kept."""
        shared = self.guild_settings.get(server_id).shared
        return self.libraries.scope(server_id, shared=shared)

    async def _refresh_libraries(self) -> None:
        """Every ``refresh_seconds``, switch each loaded library to a generation another process
        published (the shared library's builder, ``citebot index``/``add``/``remove``)."""
        while True:
            await asyncio.sleep(self.settings.refresh_seconds)  # a period, not a wait for an event
            try:
                switched = await asyncio.to_thread(self.libraries.refresh)
            except Exception:  # a bug here must not stop the refreshing for good
                log.exception("looking for new index generations failed")
                continue
            for library in switched:
                log.info("%s: now answering from a new index generation", library_label(library))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Nothing is deleted: invited again, the server finds its documents, settings and votes.
        log.info(
            "removed from server %s (%s); its library and state are kept in %s (delete them with "
            "`citebot forget --server %s`)", guild.name, guild.id, self.libraries.folder(guild.id), guild.id,
        )

    async def on_guild_join(self, guild: discord.Guild) -> None:
        documents = await asyncio.to_thread(self.libraries.documents, guild.id)
        kept = f"; its library is back ({len(documents)} document{'' if len(documents) == 1 else 's'})" if documents else ""
        log.info("added to server %s (%s)%s", guild.name, guild.id, kept)

    # ---- owners -------------------------------------------------------------------------

    def _remember_owners(self, app: discord.AppInfo | None) -> None:
        if app is not None:
            self._owners = application_owners(app, self.settings.owner_ids)
        self._owners_checked = asyncio.get_running_loop().time()

    async def owners(self, *, refresh: bool = False) -> frozenset[int]:
        """The ids of the bot's owners, as ``checks.application_owners`` says; Discord is asked
        again after ``OWNERS_REFRESH_SECONDS`` (or now, with ``refresh``). When Discord cannot
        say, the owners known last stay, and Discord is asked again only after as long."""
        loop = asyncio.get_running_loop()
        if refresh or loop.time() - self._owners_checked >= OWNERS_REFRESH_SECONDS:
            async with self._owners_lock:
                if refresh or loop.time() - self._owners_checked >= OWNERS_REFRESH_SECONDS:
                    try:
                        app = await self.application_info()
                    except (discord.HTTPException, aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                        log.warning("could not ask Discord who owns the application (%s); keeping the owners known", exc)
                        app = None
                    self._remember_owners(app)
        return self._owners

    async def is_owner(self, user: discord.abc.User, /) -> bool:
        # discord.py's own rule knows nothing of CITEBOT_OWNER_IDS: one rule, in checks.py.
        return await owner_rule(self, user)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(self.identify_delay)

    async def connect(self, *, reconnect: bool = True) -> None:
        """discord.py's connection loop, once the gateway has been reached.

        discord.py retries a connection it once had, but when the very first one fails it
        reads ``self.ws`` (still None) to resume and dies of an AttributeError (2.7.1), after
        logging a traceback. So until the gateway answers we retry here: one line per
        attempt, doubling waits, then ``GatewayUnreachable`` for ``run_bot`` to report.
        """
        from discord.gateway import DiscordWebSocket

        attempts = len(self.connect_delays) + 1
        for attempt in range(1, attempts + 1):
            url = DiscordWebSocket.DEFAULT_GATEWAY
            problem = await gateway_problem(url)
            if problem is None and self.sharded:
                # discord.py retries a shard that cannot connect every 5 s forever, with a
                # traceback each time: a gateway that refuses the WebSocket is found first.
                problem = await websocket_problem(url)
            if problem is None:
                quiet = _UntilConnected(self)
                discord_log.addFilter(quiet)
                try:
                    await super().connect(reconnect=reconnect)
                    return
                except AttributeError as exc:
                    if self.ws is not None or self.sharded:  # not the first-connection failure: a real bug
                        raise
                    # The gateway went away between our check and discord.py's connection,
                    # or refused the WebSocket: what went wrong is what the bug interrupted.
                    problem = _reason(exc.__context__)
                finally:
                    discord_log.removeFilter(quiet)
            if self.is_closed():
                return
            if attempt == attempts:
                raise GatewayUnreachable(f"cannot reach the Discord gateway at {url}: {problem} (tried {attempts} times)")
            delay = self.connect_delays[attempt - 1]
            log.warning(
                "cannot reach the Discord gateway at %s (attempt %d of %d): %s; retrying in %g s",
                url, attempt, attempts, problem, delay,
            )
            await asyncio.sleep(delay)

    async def on_ready(self) -> None:
        shards = ""
        if self.sharded:
            ids = self.shard_ids if self.shard_ids is not None else range(self.shard_count or 0)
            shards = f" on shards {_ranges(ids)} of {self.shard_count}"
        log.info("connected as %s (%s) to %d servers%s", self.user, getattr(self.user, "id", "?"), len(self.guilds), shards)

    async def on_message(self, message: discord.Message, /) -> None:
        # No prefix commands: mentions are questions, handled by the Ask cog's listener.
        return

    # ---- command sync -------------------------------------------------------------------

    def _commands_hash(self, guild: discord.abc.Snowflake | None) -> str:
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands_if_changed(self) -> bool:
        """Sync only when the command definitions changed: syncing is rate-limited by Discord."""
        guild = discord.Object(self.settings.guild_id) if self.settings.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        digest = self._commands_hash(guild)
        # Per application too: a new token (another application) has none of our commands yet.
        marker = self.state_dir / f"commands-{self.application_id}-{self.settings.guild_id or 'global'}.sha256"
        try:
            if marker.read_text().strip() == digest:
                log.info("slash commands unchanged; not syncing")
                return False
        except OSError:
            pass
        await self.tree.sync(guild=guild)
        marker.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(marker, digest + "\n")
        log.info("slash commands synced %s", f"to guild {self.settings.guild_id}" if guild else "globally")
        return True

    # ---- shared helpers for cogs ------------------------------------------------------------

    async def run_heavy(self, func, *args, **kwargs):
        """A question's work (embedding, searching) on one of the two heavy threads."""
        async with self.heavy:
            return await asyncio.to_thread(func, *args, **kwargs)

    async def run_rebuild(self, func, *args, **kwargs):
        """A rebuild on the rebuilds' own thread (one at a time), never one a question needs."""
        async with self.rebuilds:
            return await asyncio.to_thread(func, *args, **kwargs)

    # ---- errors ---------------------------------------------------------------------------

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use this command here."
        elif isinstance(original, ReindexRunning):
            message = REINDEX_RUNNING
        elif isinstance(original, (QuestionError, CitebotError)):
            message = str(original)
        else:
            log.error("command %s failed", getattr(interaction.command, "qualified_name", "?"), exc_info=original)
            message = UNEXPECTED
        await send_ephemeral(interaction, message)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        # The default prints to stderr; we want the traceback in the log, and to keep running.
        log.exception("error in %s", event_method)


class ShardedCitebotBot(CitebotBot, commands.AutoShardedBot):
    """:class:`CitebotBot` over discord.py's ``AutoShardedBot``: the shards of the settings
    (all of them when ``CITEBOT_SHARD_IDS`` is unset; as many as Discord recommends when the
    count is ``auto``), one gateway connection each, in this process."""

    def __init__(self, libraries: Libraries, settings: BotSettings, **options: Any) -> None:
        count = settings.shard_count
        options["shard_count"] = count if isinstance(count, int) else None  # None: discord.py asks Discord
        options["shard_ids"] = list(settings.shard_ids) if settings.shard_ids is not None else None
        super().__init__(libraries, settings, **options)

    @property
    def sharded(self) -> bool:
        return True


def _ranges(ids: Sequence[int] | None) -> str:
    """Shard ids as the setting spells them: ``0-3,6``."""
    if not ids:
        return "all"
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    parts = render_error(message)
    try:
        if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            # The first follow-up after a public "thinking…" would take its place and be
            # public too: remove the placeholder so the error reaches only the asker.
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                pass
        if interaction.response.is_done():
            await interaction.followup.send(**parts.send_kwargs(), ephemeral=True)
        else:
            await interaction.response.send_message(**parts.send_kwargs(), ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error message to the user", exc_info=True)


def open_libraries(citebot: Citebot, settings: BotSettings, state_dir: Path | None = None) -> Libraries:
    """The libraries of a bot whose shared library is ``citebot``'s folders (its settings and
    model), each server's in ``state_dir`` (default: ``citebot``'s data folder). The shared
    library is this process's to rebuild only if it serves shard 0."""
    library_settings = citebot.settings if state_dir is None else citebot.settings.with_overrides(data_dir=Path(state_dir))
    return Libraries(library_settings, citebot.embedder, build_shared=settings.holds_shard_zero)


def open_bot(
    libraries: Libraries | Citebot, settings: BotSettings, *, state_dir: Path | None = None, **options: Any
) -> CitebotBot:
    """The bot over ``libraries`` with its stores opened in their data folder (each server's
    state beside its library, see ``server_state``); ``bot.close()`` closes them all. A
    ``Citebot`` stands for the shared library: the libraries are made over its settings
    (``open_libraries``), in ``state_dir`` when given. An install from before per-server
    state is upgraded here, once: its single files are split by server and kept, renamed.

    Raises ``OSError`` when the folder cannot be used, ``StorageError`` for a state file the
    disk refuses; nothing is left open then.
    """
    if isinstance(libraries, Citebot):
        libraries = open_libraries(libraries, settings, state_dir)
    elif state_dir is not None and Path(state_dir) != Path(libraries.settings.state_dir):
        raise ValueError("a server's bot state lives beside its library: state_dir is the libraries' data folder")
    folder = Path(libraries.settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)  # a file in its place fails here, with its name
    guild_settings = GuildSettingsStore(folder)
    try:
        answers = AnswerStore(folder)
    except BaseException:
        guild_settings.close()
        raise
    if settings.holds_shard_zero:
        # The DMs' answers are this process's (Discord sends DMs to shard 0): opened now, a
        # disk that refuses the data folder stops the start in one line, not the first answer.
        try:
            answers.open(None)
        except BaseException:
            answers.close()
            guild_settings.close()
            raise
    bot_class = ShardedCitebotBot if settings.sharded else CitebotBot
    return bot_class(libraries, settings, answers=answers, guild_settings=guild_settings, state_dir=folder, **options)


def run_bot(settings: Settings, bot_settings: BotSettings) -> int:
    """``citebot run`` once the command line has checked the settings, the token and the
    folders: returns the process exit status.

    ``bot.run`` is discord.py's ``async with bot: await bot.start(token)`` (plus Ctrl-C
    handling), so ``close()`` runs, and closes the stores, however the bot stops.
    """
    import sys

    setup_logging(bot_settings.log_level)
    configure_discord_endpoints(bot_settings)
    try:
        # One model for every library; the shared library is rebuilt by shard 0's process only.
        bot = open_bot(Libraries(settings, build_shared=bot_settings.holds_shard_zero), bot_settings)
    except OSError as exc:  # the server settings and answers live in the data folder
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"citebot: cannot use the data folder {settings.state_dir}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except StorageError as exc:  # a state file the disk refuses (full, I/O error, locked)
        print(f"citebot: {exc}", file=sys.stderr)
        return 1
    token = bot_settings.discord_token
    assert token, "citebot run checks the token first"
    try:
        # log_handler=None: we configured logging ourselves (and the token is never logged).
        bot.run(token, log_handler=None)
    except discord.LoginFailure:
        print("citebot: Discord rejected the token (check DISCORD_TOKEN)", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("citebot: the bot asked for an intent it is not allowed", file=sys.stderr)
        return 1
    except CitebotError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return 1
    except GatewayUnreachable as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return 1
    except (OSError, discord.GatewayNotFound, discord.ConnectionClosed) as exc:
        print(f"citebot: cannot reach Discord: {exc}", file=sys.stderr)
        return 1
    return 0
