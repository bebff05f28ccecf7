"""The Discord bot: a ``commands.Bot`` subclass handed its Citebot service and settings.

Shaped like discord.py's ``examples/advanced_startup.py``: cogs loaded in ``setup_hook``,
one tree error handler, ``AllowedMentions.none()`` bot-wide.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from retrieval.errors import CitebotError, QuestionError, StorageError
from retrieval.service import Citebot, ReindexRunning
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


def configure_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at another Discord-compatible server when the settings say so."""
    from discord import gateway, http
    import yarl

    if settings.discord_api_base:
        # _set_api_version() rebuilds Route.BASE from the version: set ours after it.
        http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class CitebotBot(commands.Bot):
    def __init__(self, citebot: Citebot, settings: Settings, **options: Any) -> None:
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
        from retrieval.store import atomic_write_text

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
    except (OSError, discord.GatewayNotFound, discord.ConnectionClosed) as exc:
        print(f"citebot: cannot reach Discord: {exc}", file=sys.stderr)
        return 1
    return 0
