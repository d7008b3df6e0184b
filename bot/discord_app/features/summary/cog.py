"""/summary: what reviewers think of a film, spoiler-free unless asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import Interaction, film_autocomplete, guild_of, llm_cooldown
from bot.discord_app.features.summary.views import ShowSpoilersButton, SummaryButton, send_summary

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot


class SummaryCog(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    @app_commands.command(name="summary", description="What reviewers think of a film, spoiler-free unless you ask")
    @app_commands.describe(
        film="The film: start typing and pick it from the list",
        spoilers="Include plot reveals, hidden behind spoiler bars (default: no)",
    )
    @app_commands.autocomplete(film=film_autocomplete)
    @llm_cooldown()
    async def summary(
        self, interaction: Interaction, film: app_commands.Range[str, 1, 200], spoilers: bool = False
    ) -> None:
        found = await self.bot.services.films.resolve(film)
        await self.bot.charge_llm(interaction.user.id, interaction.guild_id)
        # A server may keep spoiler summaries out of its channels (/admin settings): then only the asker sees one.
        private = spoilers and (await self.bot.services.guilds.get(guild_of(interaction))).spoilers_in_channel is False
        await send_summary(interaction, found, spoilers=spoilers, ephemeral=private)


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(ShowSpoilersButton, SummaryButton)
    await bot.add_cog(SummaryCog(bot))
