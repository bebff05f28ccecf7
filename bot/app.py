"""The Discord bot: a ``commands.Bot`` subclass handed its Citebot service and settings.

Shaped like discord.py's ``examples/advanced_startup.py``: cogs loaded in ``setup_hook``,
one tree error handler, ``AllowedMentions.none()`` bot-wide.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import socket
import ssl
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from retrieval.errors import CitebotError, QuestionError, ReindexRunning, StorageError
from retrieval.api import Citebot
from retrieval.settings import Settings

from .answer_store import AnswerStore
from .guild_settings import GuildSettingsStore
from .logs import setup_logging
from .render import render_error
from .text import UNEXPECTED

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


class CooldownHit(app_commands.CheckFailure):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"You're asking quickly: try again in {max(1, round(retry_after))} s.")
        self.retry_after = retry_after


class NotModerator(app_commands.CheckFailure):
    pass


class RateLimiter:
    """At most ``per_minute`` questions per user in any 60 seconds (0 = unlimited)."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._refused: dict[int, float] = {}
        self._hits = 0

    def first_refusal(self, user_id: int) -> bool:
        """True the first time a user is refused in a minute: one "you're asking quickly"
        notice is enough, a reply to every extra message would be spam of our own."""
        now = self._clock()
        if now - self._refused.get(user_id, -60.0) < 60:
            return False
        self._refused[user_id] = now
        return True

    def hit(self, user_id: int) -> float | None:
        """Record a question; return seconds to wait when over the limit, else None."""
        if self.per_minute <= 0:
            return None
        now = self._clock()
        self._hits += 1
        if self._hits % 1000 == 0:  # forget users idle for a minute: the tables stay small
            self._seen = defaultdict(deque, {u: s for u, s in self._seen.items() if s and now - s[-1] < 60})
            self._refused = {u: t for u, t in self._refused.items() if now - t < 60}
        seen = self._seen[user_id]
        while seen and now - seen[0] >= 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return 60 - (now - seen[0])
        seen.append(now)
        return None


_API_VERSION_PATH = re.compile(r"/api/v\d+$")


def api_base_url(base: str, version: int) -> str:
    """The REST base discord.py wants (``…/api/v10``) from a server's address given with or
    without the version path, or with a trailing slash: people copy either form."""
    base = base.strip().rstrip("/")
    if _API_VERSION_PATH.search(base):
        return base
    return f"{base.removesuffix('/api')}/api/v{version}"


def configure_discord_endpoints(settings: Settings) -> None:
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


class CitebotBot(commands.Bot):
    def __init__(
        self, citebot: Citebot, settings: Settings, *, connect_delays: Sequence[float] | None = None, **options: Any
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = False  # privileged; mentions carry their content without it
        options.setdefault("guild_ready_timeout", 2.0)
        # The bot never joins voice: discord.py's two warnings that voice libraries are
        # missing would otherwise open every start, and every start-up error, on stderr.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        self.citebot = citebot
        self.settings = settings
        self.limiter = RateLimiter(settings.cooldown_per_minute)
        self.guild_settings = GuildSettingsStore(settings.state_dir / "guilds.sqlite")
        self.answers = AnswerStore(settings.state_dir / "answers.sqlite")
        # Heavy work (embedding, FAISS, rebuilds) shares two threads: the machine has two cores.
        self.heavy = asyncio.Semaphore(2)
        # Waits between start-up attempts to reach the gateway (tests pass zeros).
        self.connect_delays = tuple(connect_delays) if connect_delays is not None else backoff_delays(settings.connect_attempts)
        self.tree.on_error = self.on_app_command_error  # type: ignore[assignment]

    async def setup_hook(self) -> None:
        # Load (or rebuild) the index before commands arrive, off the event loop. With nothing
        # to serve it raises, and run_bot turns that into one line.
        problem = await asyncio.to_thread(self.citebot.ensure_serving)
        if problem is not None:  # the rebuild could not happen; the previous index answers
            log.error("rebuilding the index failed; serving the previous one: %s", problem)
        await asyncio.to_thread(self.answers.prune)
        for module in COG_MODULES:
            await self.load_extension(module)
        await self.sync_commands_if_changed()

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
            if problem is None:
                quiet = _UntilConnected(self)
                discord_log.addFilter(quiet)
                try:
                    await super().connect(reconnect=reconnect)
                    return
                except AttributeError as exc:
                    if self.ws is not None:  # not the first-connection failure: a real bug
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
        log.info("connected as %s (%s) to %d servers", self.user, getattr(self.user, "id", "?"), len(self.guilds))

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
        marker = Path(self.settings.state_dir) / f"commands-{self.application_id}-{self.settings.guild_id or 'global'}.sha256"
        try:
            if marker.read_text().strip() == digest:
                log.info("slash commands unchanged; not syncing")
                return False
        except OSError:
            pass
        await self.tree.sync(guild=guild)
        marker.parent.mkdir(parents=True, exist_ok=True)
        from retrieval.index.store import atomic_write_text

        atomic_write_text(marker, digest + "\n")
        log.info("slash commands synced %s", f"to guild {self.settings.guild_id}" if guild else "globally")
        return True

    # ---- shared helpers for cogs ------------------------------------------------------------

    def check_rate(self, user_id: int) -> None:
        wait = self.limiter.hit(user_id)
        if wait is not None:
            raise CooldownHit(wait)

    async def run_heavy(self, func, *args, **kwargs):
        async with self.heavy:
            return await asyncio.to_thread(func, *args, **kwargs)

    # ---- errors ---------------------------------------------------------------------------

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use this command here."
        elif isinstance(original, ReindexRunning):
            message = "A reindex is already running; the current index keeps answering."
        elif isinstance(original, (QuestionError, CitebotError)):
            message = str(original)
        else:
            log.error("command %s failed", getattr(interaction.command, "qualified_name", "?"), exc_info=original)
            message = UNEXPECTED
        await send_ephemeral(interaction, message)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        # The default prints to stderr; we want the traceback in the log, and to keep running.
        log.exception("error in %s", event_method)


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


def run_bot(settings: Settings) -> int:
    """``citebot run``: returns the process exit status."""
    import sys

    setup_logging(settings.log_level)
    if not settings.discord_token:
        print("citebot: DISCORD_TOKEN is not set (put it in .env or the environment)", file=sys.stderr)
        return 1
    configure_discord_endpoints(settings)
    if not Path(settings.seeds_dir).is_dir() and not (Path(settings.index_dir) / "CURRENT").exists():
        print(f"citebot: seeds folder not found: {settings.seeds_dir}", file=sys.stderr)
        return 2
    try:
        bot = CitebotBot(Citebot(settings), settings)
    except OSError as exc:  # the server settings and answers live in the data folder
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"citebot: cannot use the data folder {settings.state_dir}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except StorageError as exc:  # a state file the disk refuses (full, I/O error, locked)
        print(f"citebot: {exc}", file=sys.stderr)
        return 1
    try:
        # log_handler=None: we configured logging ourselves (and the token is never logged).
        bot.run(settings.discord_token, log_handler=None)
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
