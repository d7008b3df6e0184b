"""/watchlist add | remove | list | watched: a personal list; replies only you can see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import (
    Interaction,
    film_autocomplete,
    guild_of,
    own_film_autocomplete,
    write_limit,
)
from bot.discord_app.features.watchlist.views import WatchlistAddButton, WatchlistPageButton, watchlist_message

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot


class WatchlistCog(
    commands.GroupCog, group_name="watchlist", group_description="Your personal watchlist (only you see the replies)"
):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    @app_commands.command(name="add", description="Add a film to your watchlist")
    @app_commands.describe(film="The film: start typing and pick it from the list (unknown titles are added too)")
    @app_commands.autocomplete(film=film_autocomplete)
    @write_limit()
    async def add(self, interaction: Interaction, film: app_commands.Range[str, 1, 200]) -> None:
        change = await self.bot.services.watchlist.add(str(interaction.user.id), film, guild_id=guild_of(interaction))
        await interaction.response.send_message(change.message, ephemeral=True)

    @app_commands.command(name="remove", description="Take a film off your watchlist")
    @app_commands.describe(film="A film on your list")
    @app_commands.autocomplete(film=own_film_autocomplete)
    @write_limit()
    async def remove(self, interaction: Interaction, film: app_commands.Range[str, 1, 200]) -> None:
        change = await self.bot.services.watchlist.remove(
            str(interaction.user.id), film, guild_id=guild_of(interaction)
        )
        await interaction.response.send_message(change.message, ephemeral=True)

    @app_commands.command(name="watched", description="Mark a film as watched, with your rating if you like")
    @app_commands.describe(film="A film on your list", rating="Your rating, 0.5 to 5 stars in halves (optional)")
    @app_commands.autocomplete(film=own_film_autocomplete)
    @write_limit()
    async def watched(
        self,
        interaction: Interaction,
        film: app_commands.Range[str, 1, 200],
        rating: app_commands.Range[float, 0.5, 5.0] | None = None,
    ) -> None:
        change = await self.bot.services.watchlist.mark_watched(
            str(interaction.user.id), film, rating=rating, guild_id=guild_of(interaction)
        )
        await interaction.response.send_message(change.message, ephemeral=True)

    @app_commands.command(name="list", description="Show your watchlist")
    @app_commands.describe(share="Post it in the channel for everyone to see (default: only you)")
    async def list(self, interaction: Interaction, share: bool = False) -> None:
        user = interaction.user
        message = await watchlist_message(interaction, user, 0, user.id)
        await interaction.response.send_message(**message, ephemeral=not share)


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(WatchlistAddButton, WatchlistPageButton)
    await bot.add_cog(WatchlistCog(bot))
