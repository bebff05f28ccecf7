"""/who and /quote, with names autocompleted from the people index of where they are asked
(the server's library and the shared one, or a DM's shared library)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval import Person, clean_text

from ..render import MessageParts, autocomplete_choices, render_people, render_person, render_quotes, render_text

if TYPE_CHECKING:
    from ..app import CitebotBot


class People(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    async def _people(self, interaction: discord.Interaction) -> list[Person]:
        # On a thread: a server's library not loaded yet is loaded now.
        return await asyncio.to_thread(lambda: self.bot.scope(interaction.guild_id).people())

    async def name_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names: list[str] = []
        for person in await self._people(interaction):
            names.append(person.name)
            names.extend(a for a in person.aliases if a != person.name)
        return autocomplete_choices(names, current)

    @app_commands.command(name="who", description="Who a person in the documents is: roles, aliases, where mentioned")
    @app_commands.describe(name="A name or part of one (leave empty to list everyone)")
    @app_commands.autocomplete(name=name_autocomplete)
    async def who(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100] | None = None) -> None:
        name = clean_text(name) if name else None  # "   " or a lone zero-width space means no name

        def look_up() -> MessageParts:  # on a thread: a server's library may load now
            scope = self.bot.scope(interaction.guild_id)
            sources = scope.sources()
            if not name:
                return render_people(scope.people(), sources=sources)
            match = scope.who(name)
            if match.person is not None:
                return render_person(match.person, sources=sources)
            return render_text(match.not_found(name), ephemeral=True)

        parts = await asyncio.to_thread(look_up)
        await interaction.response.send_message(**parts.send_kwargs(), ephemeral=parts.ephemeral)

    @app_commands.command(name="quote", description="Find verbatim quotes in the documents and who said them")
    @app_commands.describe(topic="What the quote is about (leave empty for all quotes)", speaker="Only quotes by this person")
    @app_commands.autocomplete(speaker=name_autocomplete)
    async def quote(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 300] | None = None,
        speaker: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        self.bot.limiter.check(interaction.user.id)
        await interaction.response.defer(thinking=True)
        result = await self.bot.run_heavy(lambda: self.bot.scope(interaction.guild_id).quotes(topic, speaker))
        parts = render_quotes(result.quotes, topic=topic, speaker=speaker, note=result.note)
        await interaction.followup.send(**parts.send_kwargs())


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(People(bot))
