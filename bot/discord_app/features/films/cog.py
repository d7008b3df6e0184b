"""/film: facts about a film."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import FILM_HELP, Interaction, film_autocomplete
from bot.discord_app.features.films import render
from bot.discord_app.features.films.views import film_view

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot


class FilmsCog(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    @app_commands.command(name="film", description="Facts about a film: director, cast, runtime, genres, rating")
    @app_commands.describe(film=FILM_HELP)
    @app_commands.autocomplete(film=film_autocomplete)
    async def film(self, interaction: Interaction, film: app_commands.Range[str, 1, 200]) -> None:
        found = await self.bot.services.films.resolve(film)
        facts = await self.bot.services.films.facts(found)
        await interaction.response.send_message(embed=render.film_embed(facts), view=film_view(found.id))


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(FilmsCog(bot))
