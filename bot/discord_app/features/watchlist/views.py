"""A page of a watchlist with its Previous/Next buttons, and the film card's "Add to watchlist"."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ui import Button

from bot.discord_app.buttons import Interaction, TrackedButton, with_pager
from bot.discord_app.checks import guild_of
from bot.discord_app.features.watchlist import render


async def watchlist_message(
    interaction: Interaction, owner: discord.abc.User, page: int, viewer: int
) -> dict[str, Any]:
    bot = interaction.client
    entries = await bot.services.watchlist.list(str(owner.id), guild_id=guild_of(interaction))
    shown = render.watchlist_page(entries, page, owner.display_name)
    return with_pager(shown, lambda target: WatchlistPageButton(target, owner.id, viewer))


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
        await interaction.client.write_limit.hit(str(interaction.user.id))
        change = await interaction.client.services.watchlist.add(
            str(interaction.user.id), f"film:{self.film_id}", guild_id=guild_of(interaction)
        )
        await interaction.response.send_message(change.message, ephemeral=True)


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
