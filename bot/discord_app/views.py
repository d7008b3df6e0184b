"""Interactive messages and their buttons: summaries (with "Show spoilers"), the film card, review
pages and watchlist pages.

Every button is a `DynamicItem`: its state (film id, page, who is browsing) lives in its custom_id,
so buttons keep working after a restart and no view is held in memory. A button press goes through
`TrackedButton.callback`, which tracks the work (for a graceful shutdown) and sends any error to the
central handler, so no press is left unanswered.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any, TypeAlias

import discord
from discord.ui import Button, DynamicItem, View

from bot.discord_app import render
from bot.discord_app.replies import LiveText, defer, send_pieces
from bot.discord_app.tree import BotRestarting, report_error
from bot.errors import FilmNotFound
from bot.services.summaries import Requester
from storage.records import Film

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot

Interaction: TypeAlias = "discord.Interaction[ReviewBot]"


def requester_of(interaction: discord.Interaction[Any]) -> Requester:
    return Requester(str(interaction.user.id), str(interaction.guild_id) if interaction.guild_id else None)


# --- flows shared by commands and buttons --------------------------------------------------------
async def send_summary(interaction: Interaction, film: Film, *, spoilers: bool, ephemeral: bool) -> None:
    """Defer, stream the summary into the reply, then send it; spoiler-free ones get "Show spoilers"."""
    bot = interaction.client
    await defer(interaction, ephemeral=ephemeral)

    async def preview(text: str) -> None:
        await interaction.edit_original_response(embed=render.summary_preview(film, text, spoilers))

    live = LiveText(preview, interval=bot.edit_interval)
    try:
        async with asyncio.timeout(bot.work_timeout):
            result = await bot.services.summaries.summarize(
                film, spoilers=spoilers, requester=requester_of(interaction), on_text=live
            )
    finally:
        await live.close()
    view = None if spoilers else View(timeout=None).add_item(ShowSpoilersButton(film.id))
    pieces = [{"embed": embed} for embed in render.summary_embeds(result)]
    await send_pieces(interaction, pieces, view=view, ephemeral=ephemeral)


async def reviews_message(bot: ReviewBot, film: Film, page: int, viewer: int) -> dict[str, Any]:
    reviews = await bot.services.reviews.for_film(film)
    shown = render.reviews_page(film, reviews, page, bot.services.reviews.threshold)
    return _with_pager(shown, lambda target: ReviewsPageButton(film.id, target, viewer))


async def watchlist_message(
    interaction: Interaction, owner: discord.abc.User, page: int, viewer: int
) -> dict[str, Any]:
    bot = interaction.client
    guild_id = str(interaction.guild_id) if interaction.guild_id else None
    entries = await bot.services.watchlist.list(str(owner.id), guild_id=guild_id)
    shown = render.watchlist_page(entries, page, owner.display_name)
    return _with_pager(shown, lambda target: WatchlistPageButton(target, owner.id, viewer))


def _with_pager(page: render.Page, button: Any) -> dict[str, Any]:
    """The page's embed with Previous/Next buttons when there is more than one page."""
    if page.count <= 1:
        return {"embed": page.embed}
    previous = button(max(page.index - 1, 0))
    previous.item.label, previous.item.emoji = "Previous", "◀️"
    previous.item.disabled = page.index == 0
    following = button(min(page.index + 1, page.count - 1))
    following.item.label, following.item.emoji = "Next", "▶️"
    following.item.disabled = page.index >= page.count - 1
    return {"embed": page.embed, "view": View(timeout=None).add_item(previous).add_item(following)}


def film_view(film_id: int) -> View:
    return View(timeout=None).add_item(SummaryButton(film_id)).add_item(WatchlistAddButton(film_id))


async def _film(interaction: Interaction, film_id: int) -> Film:
    film = await interaction.client.services.films.get(film_id)
    if film is None:
        raise FilmNotFound(f"film #{film_id}")
    return film


# --- buttons -------------------------------------------------------------------------------------
class TrackedButton(DynamicItem[Button[Any]], template=re.compile(r"(?!)")):
    """Base: tracked, error-handled press handling. Subclasses implement `pressed`."""

    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        bot = interaction.client
        try:
            if bot.closing:
                raise BotRestarting()
            bot.track(interaction)
            await self.pressed(interaction)
        except Exception as error:
            await report_error(interaction, error)

    async def pressed(self, interaction: Interaction) -> None:
        raise NotImplementedError


class ShowSpoilersButton(TrackedButton, template=r"rb:spoil:(?P<film>\d+)"):
    """Anyone may press it; the spoiler version goes only to the person who pressed."""

    def __init__(self, film_id: int) -> None:
        super().__init__(
            Button(label="Show spoilers", emoji="👁️", style=discord.ButtonStyle.danger, custom_id=f"rb:spoil:{film_id}")
        )
        self.film_id = film_id

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: Any, match: re.Match[str], /) -> ShowSpoilersButton:  # type: ignore[override]
        return cls(int(match["film"]))

    async def pressed(self, interaction: Interaction) -> None:
        film = await _film(interaction, self.film_id)
        await send_summary(interaction, film, spoilers=True, ephemeral=True)


class SummaryButton(TrackedButton, template=r"rb:sum:(?P<film>\d+)"):
    def __init__(self, film_id: int) -> None:
        super().__init__(
            Button(label="Summary", emoji="📝", style=discord.ButtonStyle.primary, custom_id=f"rb:sum:{film_id}")
        )
        self.film_id = film_id

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: Any, match: re.Match[str], /) -> SummaryButton:  # type: ignore[override]
        return cls(int(match["film"]))

    async def pressed(self, interaction: Interaction) -> None:
        film = await _film(interaction, self.film_id)
        interaction.client.llm_cooldown.check(interaction.user.id)
        await interaction.client.charge_llm(interaction.user.id, interaction.guild_id)
        await send_summary(interaction, film, spoilers=False, ephemeral=True)


class WatchlistAddButton(TrackedButton, template=r"rb:wladd:(?P<film>\d+)"):
    def __init__(self, film_id: int) -> None:
        super().__init__(
            Button(
                label="Add to watchlist",
                emoji="➕",
                style=discord.ButtonStyle.secondary,
                custom_id=f"rb:wladd:{film_id}",
            )
        )
        self.film_id = film_id

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: Any, match: re.Match[str], /) -> WatchlistAddButton:  # type: ignore[override]
        return cls(int(match["film"]))

    async def pressed(self, interaction: Interaction) -> None:
        interaction.client.write_limit.hit(interaction.user.id)
        guild_id = str(interaction.guild_id) if interaction.guild_id else None
        change = await interaction.client.services.watchlist.add(
            str(interaction.user.id), f"film:{self.film_id}", guild_id=guild_id
        )
        await interaction.response.send_message(change.message, ephemeral=True)


class ReviewsPageButton(TrackedButton, template=r"rb:rv:(?P<film>\d+):(?P<page>\d+):(?P<viewer>\d+)"):
    """Turns the page for the person browsing; anyone else gets their own private copy to browse."""

    def __init__(self, film_id: int, page: int, viewer: int) -> None:
        super().__init__(Button(custom_id=f"rb:rv:{film_id}:{page}:{viewer}"))
        self.film_id, self.page, self.viewer = film_id, page, viewer

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: Any, match: re.Match[str], /) -> ReviewsPageButton:  # type: ignore[override]
        return cls(int(match["film"]), int(match["page"]), int(match["viewer"]))

    async def pressed(self, interaction: Interaction) -> None:
        film = await _film(interaction, self.film_id)
        presser = interaction.user.id
        message = await reviews_message(interaction.client, film, self.page, presser)
        if presser == self.viewer:
            await interaction.response.edit_message(**{"view": None, **message})
        else:
            await interaction.response.send_message(**message, ephemeral=True)


class WatchlistPageButton(TrackedButton, template=r"rb:wl:(?P<page>\d+):(?P<owner>\d+):(?P<viewer>\d+)"):
    """Pages of a watchlist. Only lists their owner posted publicly have buttons others can press;
    those people get a private copy to browse."""

    def __init__(self, page: int, owner: int, viewer: int) -> None:
        super().__init__(Button(custom_id=f"rb:wl:{page}:{owner}:{viewer}"))
        self.page, self.owner, self.viewer = page, owner, viewer

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: Any, match: re.Match[str], /) -> WatchlistPageButton:  # type: ignore[override]
        return cls(int(match["page"]), int(match["owner"]), int(match["viewer"]))

    async def pressed(self, interaction: Interaction) -> None:
        presser = interaction.user
        owner = presser if presser.id == self.owner else await interaction.client.fetch_user(self.owner)
        message = await watchlist_message(interaction, owner, self.page, presser.id)
        if presser.id == self.viewer:
            await interaction.response.edit_message(**{"view": None, **message})
        else:
            await interaction.response.send_message(**message, ephemeral=True)


DYNAMIC_ITEMS: tuple[type[DynamicItem[Any]], ...] = (
    ShowSpoilersButton,
    SummaryButton,
    WatchlistAddButton,
    ReviewsPageButton,
    WatchlistPageButton,
)
