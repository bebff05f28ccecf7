"""/seed add and /seed remove: moderators keep their server's documents current, then its
index follows. Each server has its own library (its seeds folder made on the first add);
``library: shared`` acts on the shared library instead, for the bot's owners only
(``admin.check_library``).

Also, with ``CITEBOT_WATCH=1``, watches the shared library's seeds folder so files dropped
in by hand are indexed without a command (the watcher is ``retrieval.watch_seeds``; this is
the glue). Server libraries are changed through /seed (or ``citebot add --server``), not watched.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval import (
    CitebotError,
    LibraryId,
    SeedRejected,
    Stored,
    add_url,
    document_key,
    find_document,
    library_label,
    remove_document,
    safe_document_name,
    shown,  # names are echoed in replies, the audit line and labels
    store_document,
    type_problem,
)

from ..audit import audit
from ..checks import MODERATOR_PERMISSIONS, is_moderator, library_refusal
from ..render import AUTOCOMPLETE_CHOICES_LIMIT, CHOICE_LIMIT, render_text
from ..replies import added_summary
from .admin import LIBRARY_CHOICES, LIBRARY_OPTION, check_library, chosen_library, library_action, reindex_and_report

if TYPE_CHECKING:
    from ..app import CitebotBot

log = logging.getLogger("citebot.bot.seed")

# Seconds between polls of the seeds folder, and the quiet time after a change before
# reindexing (a file copied in pieces, or several files dropped at once, make one reindex).
WATCH_INTERVAL = 2.0
WATCH_DEBOUNCE = 3.0

# A URL option holds at most this many characters (fetch refuses longer ones anyway).
URL_OPTION_CHARS = 2000


def attachment_problem(attachment: discord.Attachment, max_bytes: int) -> str | None:
    """Why ``attachment`` cannot be a document, judged from its metadata alone (before a byte
    is downloaded); else None. Its name says the format (the one suffix list), and the type
    Discord declares for it must fit that format; the bytes are read as that format after."""
    try:
        safe_document_name(attachment.filename)
    except SeedRejected as exc:
        return str(exc)
    if (problem := type_problem(attachment.filename, attachment.content_type)) is not None:
        return problem
    if attachment.size > max_bytes:
        return f"{attachment.filename} is {attachment.size:,} bytes; the limit is {max_bytes:,} bytes"
    if attachment.size == 0:
        return f"{attachment.filename}: the file is empty"
    return None


def _round_trips(name: str) -> bool:
    """Whether Discord hands ``name`` back unchanged when it is an option value.

    Values are at most 100 characters (UTF-16 units, to be safe with emoji), and the client
    trims and collapses spaces; invisible or unnormalised text may not survive either.
    """
    return (
        len(name.encode("utf-16-le", "surrogatepass")) // 2 <= CHOICE_LIMIT
        and name.isprintable()
        and name == " ".join(name.split())
        and unicodedata.normalize("NFC", name) == name
    )


def removal_value(name: str) -> str:
    """The autocomplete value for document ``name``: the name itself when Discord would send it
    back intact, else its ``document_key`` (``remove_document`` resolves that token against the
    folder's listing), so every file the folder holds can be picked and removed."""
    return name if _round_trips(name) else document_key(name)


def _label(name: str) -> str:
    """An autocomplete label of at most 100 characters; long names keep their end (the part
    that tells "report-2024-final.md" from "report-2024-draft.md") around an ellipsis."""
    text = shown(name)
    if len(text) <= CHOICE_LIMIT:
        return text
    tail = 30
    return text[: CHOICE_LIMIT - tail - 1] + "…" + text[-tail:]


def removal_choices(names: list[str], current: str) -> list[app_commands.Choice[str]]:
    """Up to 25 documents matching ``current`` (prefix or word-prefix matches first).

    Unlike the generic helper, names are not merged by case or spacing: "Notes.txt" and
    "notes.txt" are two files, and each gets a value that removes exactly that file.
    """
    needle = " ".join(current.split()).casefold()
    starts: list[str] = []
    contains: list[str] = []
    for name in names:
        key = " ".join(shown(name).split()).casefold()
        if not needle or key.startswith(needle) or any(w.startswith(needle) for w in key.split()):
            starts.append(name)
        elif needle in key or current.strip() == document_key(name):
            contains.append(name)
    picked = (starts + contains)[:AUTOCOMPLETE_CHOICES_LIMIT]
    return [app_commands.Choice(name=_label(n), value=removal_value(n)) for n in picked]


class Seed(commands.Cog):
    seed = app_commands.Group(
        name="seed",
        description="Moderators: add or remove documents",
        default_permissions=MODERATOR_PERMISSIONS,
        guild_only=True,
    )

    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot
        self._watch_task: asyncio.Task[None] | None = None
        # How /seed add url: reaches the web: None is the real DNS and sockets; tests give a
        # fake that answers names as a table (fetch checks every address either way).
        self.network = None

    def seeds_dir(self, library: LibraryId, *, create: bool = False) -> Path:
        """The seeds folder of ``library``; ``create`` makes a server's (its first document)."""
        return self.bot.libraries.seeds_folder(library, create=create)

    @property
    def max_document_bytes(self) -> int:
        """The largest upload accepted: a file the index would skip as too big is refused now."""
        return min(self.bot.settings.max_upload_bytes, self.bot.libraries.settings.max_document_bytes)

    # ---- commands ---------------------------------------------------------------------

    @seed.command(name="add", description="Moderators: add a document (a file or a web page's URL) and reindex")
    @app_commands.describe(
        file="A .txt, .md, .html, .pdf or .docx file",
        url="Or the http(s) address of a web page, PDF or Word file to fetch",
        replace="Overwrite a document with the same name",
        library=LIBRARY_OPTION,
    )
    @app_commands.choices(library=LIBRARY_CHOICES)
    @is_moderator()
    async def add(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, URL_OPTION_CHARS] | None = None,
        replace: bool = False,
        library: app_commands.Choice[str] | None = None,
    ) -> None:
        target = chosen_library(interaction, library.value if library else None)
        what = shown(file.filename) if file is not None else f"url {shown(url)[:200]}" if url is not None else ""
        action = library_action(f"seed add {what}".rstrip() + (" (replace)" if replace else ""), target)
        await check_library(self.bot, interaction, target, action)  # before a byte is downloaded
        self.bot.limiter.check(interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if file is not None and url is None:
            stored = await self._add_attachment(interaction, action, file, replace, target)
        elif url is not None and file is None:
            stored = await self._add_url(interaction, action, url, replace, target)
        else:
            await self._refuse(interaction, action, "Not added: give either a file or a url, not both or neither.")
            return
        if stored is not None:
            into = library_label(None) if target is None else None  # a server's own needs no naming there
            await reindex_and_report(self.bot, interaction, action, added_summary(stored, shown, into), library=target)

    async def _add_attachment(
        self, interaction: discord.Interaction, action: str, file: discord.Attachment, replace: bool, library: LibraryId
    ) -> Stored | None:
        limit = self.max_document_bytes
        problem = attachment_problem(file, limit)
        if problem is not None:
            await self._refuse(interaction, action, f"Not added: {problem}.")
            return None
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            log.warning("downloading attachment %s failed: %s", shown(file.filename), exc)
            await self._refuse(interaction, action, "Not added: the attachment could not be downloaded; try again.")
            return None
        try:
            # Off the event loop: reading a long PDF takes a while.
            return await asyncio.to_thread(
                lambda: store_document(self.seeds_dir(library, create=True), file.filename, data, replace=replace, max_bytes=limit)
            )
        except CitebotError as exc:  # SeedRejected, or the folder could not be written
            await self._refuse(interaction, action, f"Not added: {exc}.")
            return None

    async def _add_url(
        self, interaction: discord.Interaction, action: str, url: str, replace: bool, library: LibraryId
    ) -> Stored | None:
        limit, allow_private = self.max_document_bytes, self.bot.libraries.settings.fetch_allow_private
        try:
            # Only ever fetched, never read as a path: add_url, not add_source. The fetch
            # blocks (DNS, the download, up to its timeout), so it runs on a worker thread.
            return await asyncio.to_thread(
                lambda: add_url(self.seeds_dir(library, create=True), url, max_bytes=limit,
                                allow_private=allow_private, replace=replace, network=self.network)
            )
        except CitebotError as exc:  # refused or failed fetch, not a readable document, a name taken
            await self._refuse(interaction, action, f"Not added: {exc}.")
            return None

    async def name_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        # The library the command will act on (the option as typed so far). Checks do not
        # run for autocomplete: a library is listed only to those who may remove from it.
        library = chosen_library(interaction, getattr(interaction.namespace, "library", None))
        if await library_refusal(self.bot, interaction, library) is not None:
            return []
        try:
            names = await asyncio.to_thread(self.bot.libraries.documents, library)
        except CitebotError:
            return []
        return removal_choices(names, current)

    @seed.command(name="remove", description="Moderators: move a document to removed/ and reindex")
    @app_commands.describe(name="The document's file name (pick it from the list)", library=LIBRARY_OPTION)
    @app_commands.autocomplete(name=name_autocomplete)
    @app_commands.choices(library=LIBRARY_CHOICES)
    @is_moderator()
    async def remove(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        library: app_commands.Choice[str] | None = None,
    ) -> None:
        target = chosen_library(interaction, library.value if library else None)
        action = library_action(f"seed remove {shown(name)}", target)
        await check_library(self.bot, interaction, target, action)
        self.bot.limiter.check(interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        seeds = self.seeds_dir(target)
        if target is not None and not seeds.is_dir():
            await self._refuse(interaction, action, "Not removed: this server's library has no documents yet.")
            return
        try:
            # The value may be a key standing for a name Discord cannot carry (see
            # removal_value); audit and reply with the file's real name.
            real = (await asyncio.to_thread(find_document, seeds, name)).name
            action = library_action(f"seed remove {shown(real)}", target)
            moved = await asyncio.to_thread(remove_document, seeds, real)
        except CitebotError as exc:
            await self._refuse(interaction, action, f"Not removed: {shown(str(exc))}.")
            return
        await reindex_and_report(
            self.bot, interaction, action, f"Moved {shown(real)} to {moved.parent.name}/{shown(moved.name)} (not deleted).",
            library=target,
        )

    # ---- shared steps -----------------------------------------------------------------

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.followup.send(**render_text(text).send_kwargs(), ephemeral=True)

    async def _refuse(self, interaction: discord.Interaction, action: str, text: str) -> None:
        await audit(self.bot, interaction, action, "refused: " + text)
        await self._reply(interaction, text)

    # ---- CITEBOT_WATCH ----------------------------------------------------------------

    async def cog_load(self) -> None:
        # Cogs load in setup_hook, so watching starts with the bot and stops with it (close
        # unloads every cog). Sharded, one process watches: the one that rebuilds the shared library.
        if not self.bot.settings.watch or not self.bot.builds_shared:
            return
        from retrieval import watch_seeds  # only needed when watching

        seeds = self.seeds_dir(None)
        self._watch_task = asyncio.create_task(
            watch_seeds(seeds, self._seeds_changed, interval=WATCH_INTERVAL, debounce=WATCH_DEBOUNCE),
            name="citebot-seed-watcher",
        )
        log.info("watching %s for changes", seeds)

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
        await self.bot.run_rebuild(self.bot.libraries.shared.reindex, reason="seeds folder changed")


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(Seed(bot))
