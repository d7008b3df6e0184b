"""/reviews (read them, spoilers hidden) and /review (add your own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import FILM_HELP, Interaction, film_autocomplete, guild_of, write_limit
from bot.discord_app.features.reviews import render
from bot.discord_app.features.reviews.views import ReviewsPageButton, reviews_message
from bot.discord_app.replies import defer, follow_up
from bot.services.reviews import check_rating

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot


class ReviewsCog(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    @app_commands.command(name="reviews", description="Read a film's stored reviews, spoilers hidden")
    @app_commands.describe(film=FILM_HELP)
    @app_commands.autocomplete(film=film_autocomplete)
    async def reviews(self, interaction: Interaction, film: app_commands.Range[str, 1, 200]) -> None:
        found = await self.bot.services.films.resolve(film)
        message = await reviews_message(self.bot, found, 0, interaction.user.id)
        await interaction.response.send_message(**message)

    @app_commands.command(name="review", description="Add your own review of a film")
    @app_commands.describe(
        film=FILM_HELP,
        text="Your review; sentences that give the plot away are detected and hidden from others",
        rating="Your rating, 0.5 to 5 stars in halves (optional)",
        spoilers="Does your review reveal the plot? (I check every sentence too)",
    )
    @app_commands.autocomplete(film=film_autocomplete)
    @write_limit()
    async def review(
        self,
        interaction: Interaction,
        film: app_commands.Range[str, 1, 200],
        text: app_commands.Range[str, 1, 6000],
        rating: app_commands.Range[float, 0.5, 5.0] | None = None,
        spoilers: bool = False,
    ) -> None:
        reviews = self.bot.services.reviews
        found = await self.bot.services.films.resolve(film)
        text = reviews.validate_text(text)  # mistakes are answered at once, privately
        check_rating(rating)
        await defer(interaction, ephemeral=True)
        added = await reviews.add(
            found, text=text, author=interaction.user.display_name, rating=rating, contains_spoilers=spoilers,
            source="discord", author_user_id=str(interaction.user.id), guild_id=guild_of(interaction),
        )
        await follow_up(interaction, content=render.review_saved(found, added), ephemeral=True)


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(ReviewsPageButton)
    await bot.add_cog(ReviewsCog(bot))
