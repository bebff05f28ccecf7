"""/who and /quote, with names autocompleted from the people index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval import clean_text

from ..render import autocomplete_choices, render_people, render_person, render_quotes, render_text

if TYPE_CHECKING:
    from ..app import CitebotBot


class People(commands.Cog):
    def __init__(self, bot: "CitebotBot") -> None:
        self.bot = bot

    def _names(self) -> list[str]:
        names: list[str] = []
        for person in self.bot.citebot.people():
            names.append(person.name)
            names.extend(a for a in person.aliases if a != person.name)
        return names

    async def name_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return autocomplete_choices(self._names(), current)

    @app_commands.command(name="who", description="Who a person in the documents is: roles, aliases, where mentioned")
    @app_commands.describe(name="A name or part of one (leave empty to list everyone)")
    @app_commands.autocomplete(name=name_autocomplete)
    async def who(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100] | None = None) -> None:
        sources = self.bot.citebot.sources()
        name = clean_text(name) if name else None  # "   " or a lone zero-width space means no name
        if not name:
            parts = render_people(self.bot.citebot.people(), sources=sources)
        else:
            match = self.bot.citebot.who(name)
            if match.person is not None:
                parts = render_person(match.person, sources=sources)
            else:
                parts = render_text(match.not_found(name), ephemeral=True)
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
        result = await self.bot.run_heavy(self.bot.citebot.quotes, topic, speaker)
        parts = render_quotes(result.quotes, topic=topic, speaker=speaker, note=result.note)
        await interaction.followup.send(**parts.send_kwargs())


async def setup(bot: "CitebotBot") -> None:
    await bot.add_cog(People(bot))
