"""/seed add and /seed remove: moderators keep the documents current, then the index follows.

Also, with ``CITEBOT_WATCH=1``, watches the seeds folder so files dropped in by hand are
indexed without a command (the watcher is ``retrieval.watch.watch_seeds``; this is the glue).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval.documents import DOCUMENT_SUFFIXES
from retrieval.errors import CitebotError
from retrieval.seeds import SeedRejected, add_document, list_documents, remove_document, safe_document_name
from retrieval.service import ReindexRunning

from ..audit import audit
from ..checks import is_moderator
from ..render import MESSAGE_CONTENT_LIMIT, MessageParts, autocomplete_choices, escape, truncate

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.seed")

# Seconds between polls of the seeds folder, and the quiet time after a change before
# reindexing (a file copied in pieces, or several files dropped at once, make one reindex).
WATCH_INTERVAL = 2.0
WATCH_DEBOUNCE = 3.0

# Content types a text document may arrive with. Discord guesses from the extension and some
# clients send none or octet-stream for .md; everything else (image/*, application/pdf...) is
# refused before a byte is downloaded. The bytes are checked as UTF-8 text after download anyway.
_TEXT_TYPES = ("text/",)
_UNTYPED = {"", "application/octet-stream"}


def attachment_problem(attachment: discord.Attachment, max_bytes: int) -> str | None:
    """Why ``attachment`` cannot be a document, judged from its metadata alone; else None."""
    try:
        safe_document_name(attachment.filename)
    except SeedRejected as exc:
        return str(exc)
    content_type = (attachment.content_type or "").split(";", 1)[0].strip().lower()
    if content_type not in _UNTYPED and not content_type.startswith(_TEXT_TYPES):
        kinds = " or ".join(DOCUMENT_SUFFIXES)
        return f"{attachment.filename} is {content_type}; only {kinds} text files can be documents"
    if attachment.size > max_bytes:
        return f"{attachment.filename} is {attachment.size:,} bytes; the limit is {max_bytes:,} bytes"
    if attachment.size == 0:
        return f"{attachment.filename}: the file is empty"
    return None


class Seed(commands.Cog):
    seed = app_commands.Group(
        name="seed",
        description="Moderators: add or remove documents",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot
        self._watch_task: asyncio.Task[None] | None = None

    @property
    def seeds_dir(self) -> Path:
        return Path(self.bot.settings.seeds_dir)

    # ---- commands ---------------------------------------------------------------------

    @seed.command(name="add", description="Moderators: add a .txt or .md document and reindex")
    @app_commands.describe(file="A UTF-8 .txt or .md file", replace="Overwrite a document with the same name")
    @is_moderator()
    async def add(self, interaction: discord.Interaction, file: discord.Attachment, replace: bool = False) -> None:
        self.bot.check_rate(interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        action = f"seed add {file.filename}" + (" (replace)" if replace else "")
        problem = attachment_problem(file, self.bot.settings.max_upload_bytes)
        if problem is not None:
            await self._refuse(interaction, action, f"Not added: {problem}.")
            return
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            log.warning("downloading attachment %s failed: %s", file.filename, exc)
            await self._refuse(interaction, action, "Not added: the attachment could not be downloaded; try again.")
            return
        try:
            path = await asyncio.to_thread(
                add_document, self.seeds_dir, file.filename, data,
                replace=replace, max_bytes=self.bot.settings.max_upload_bytes,
            )
        except CitebotError as exc:  # SeedRejected, or the folder could not be written
            await self._refuse(interaction, action, f"Not added: {exc}.")
            return
        await self._reindex_and_report(interaction, action, f"Saved {path.name}.")

    async def name_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        # Checks do not run for autocomplete: don't list the folder to members who can't remove.
        perms = getattr(interaction.user, "guild_permissions", None)
        if interaction.guild is None or perms is None or not perms.manage_guild:
            return []
        try:
            names = await asyncio.to_thread(list_documents, self.seeds_dir)
        except CitebotError:
            return []
        return autocomplete_choices(names, current)

    @seed.command(name="remove", description="Moderators: move a document to removed/ and reindex")
    @app_commands.describe(name="The document's file name")
    @app_commands.autocomplete(name=name_autocomplete)
    @is_moderator()
    async def remove(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]) -> None:
        self.bot.check_rate(interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        action = f"seed remove {name}"
        try:
            moved = await asyncio.to_thread(remove_document, self.seeds_dir, name)
        except CitebotError as exc:
            await self._refuse(interaction, action, f"Not removed: {exc}.")
            return
        await self._reindex_and_report(
            interaction, action, f"Moved {name} to {moved.parent.name}/{moved.name} (not deleted)."
        )

    # ---- shared steps -----------------------------------------------------------------

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        parts = MessageParts(content=truncate(escape(text), MESSAGE_CONTENT_LIMIT, markdown=True))
        await interaction.followup.send(**parts.send_kwargs(), ephemeral=True)

    async def _refuse(self, interaction: discord.Interaction, action: str, text: str) -> None:
        await audit(self.bot, interaction, action, "refused: " + text)
        await self._reply(interaction, text)

    async def _reindex_and_report(self, interaction: discord.Interaction, action: str, done: str) -> None:
        """Reindex after a change to the folder; the change itself stands whatever happens here."""
        try:
            report = await self.bot.run_heavy(self.bot.citebot.reindex)
        except ReindexRunning:
            outcome = f"{done} A reindex is already running; try again when it finishes (/reindex)."
        except CitebotError as exc:
            outcome = f"{done} The reindex failed: {exc}."  # the service says whether an index still answers
        except Exception:
            log.exception("reindex after %s failed", action)
            outcome = f"{done} The reindex failed (the error has been logged). The previous index keeps answering."
        else:
            outcome = f"{done}\nReindexed.\n{report.summary()}"
        await audit(self.bot, interaction, action, outcome)
        await self._reply(interaction, outcome)

    # ---- CITEBOT_WATCH ----------------------------------------------------------------

    async def cog_load(self) -> None:
        # Cogs load in setup_hook, so watching starts with the bot and stops with it (close
        # unloads every cog).
        if not self.bot.settings.watch:
            return
        from retrieval.watch import watch_seeds  # only needed when watching

        self._watch_task = asyncio.create_task(
            watch_seeds(self.seeds_dir, self._seeds_changed, interval=WATCH_INTERVAL, debounce=WATCH_DEBOUNCE),
            name="citebot-seed-watcher",
        )
        log.info("watching %s for changes", self.seeds_dir)

    async def cog_unload(self) -> None:
        task, self._watch_task = self._watch_task, None
        if task is not None:
            task.cancel()
            # A reindex it started finishes on its thread; only the waiting is cancelled.
            await asyncio.gather(task, return_exceptions=True)

    async def _seeds_changed(self) -> None:
        # ReindexRunning propagates on purpose: the watcher keeps the change pending and
        # calls again later (the running build may have read the folder before the change).
        log.info("seeds folder changed; reindexing")
        await self.bot.run_heavy(self.bot.citebot.reindex, reason="seeds folder changed")


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Seed(bot))
