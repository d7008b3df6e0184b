"""A page of reviews with its Previous/Next buttons."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from discord.ui import Button

from bot.discord_app.buttons import Interaction, TrackedButton, with_pager
from bot.discord_app.checks import film_by_id
from bot.discord_app.features.reviews import render
from storage.records import Film

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot


async def reviews_message(bot: ReviewBot, film: Film, page: int, viewer: int) -> dict[str, Any]:
    reviews = await bot.services.reviews.for_film(film)
    shown = render.reviews_page(film, reviews, page, bot.services.reviews.threshold)
    return with_pager(shown, lambda target: ReviewsPageButton(film.id, target, viewer))


class ReviewsPageButton(TrackedButton, template=r"rb:rv:(?P<film>\d+):(?P<page>\d+):(?P<viewer>\d+)"):
    """Turns the page for the person browsing; anyone else gets their own private copy to browse."""

    def __init__(self, film_id: int, page: int, viewer: int) -> None:
        super().__init__(Button(custom_id=f"rb:rv:{film_id}:{page}:{viewer}"))
        self.film_id, self.page, self.viewer = film_id, page, viewer

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: Any, match: re.Match[str], /) -> ReviewsPageButton:  # type: ignore[override]
        return cls(int(match["film"]), int(match["page"]), int(match["viewer"]))

    async def pressed(self, interaction: Interaction) -> None:
        film = await film_by_id(interaction, self.film_id)
        presser = interaction.user.id
        message = await reviews_message(interaction.client, film, self.page, presser)
        if presser == self.viewer:
            await interaction.response.edit_message(**{"view": None, **message})
        else:
            await interaction.response.send_message(**message, ephemeral=True)
