"""A page of a watchlist with its Previous/Next buttons, and the film card's "Add to watchlist"."""

from __future__ import annotations

import re
import time
from typing import Any

import discord
from discord.ui import Button

from bot.discord_app.buttons import Interaction, TrackedButton, with_pager
from bot.discord_app.checks import guild_of
from bot.discord_app.features.watchlist import render


async def watchlist_message(
    interaction: Interaction, owner: discord.abc.User, page: int, viewer: int, shared_at: int | None = None
) -> dict[str, Any]:
    """A page of `owner`'s list for `viewer`. The owner sees their list as it is now; anyone else
    sees it as it was shared at `shared_at` (films added since stay private), until the share expires."""
    watchlist = interaction.client.services.watchlist
    guild = guild_of(interaction)
    if viewer == owner.id:
        entries = await watchlist.list(str(owner.id), guild_id=guild)
    else:
        entries = await watchlist.as_shared(str(owner.id), shared_at or 0, guild_id=guild)
    shown = render.watchlist_page(entries, page, owner.display_name)
    stamp = int(time.time()) if shared_at is None else shared_at
    return with_pager(shown, lambda target: WatchlistPageButton(target, owner.id, viewer, stamp))


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


class WatchlistPageButton(
    TrackedButton, template=r"rb:wl:(?P<page>\d+):(?P<owner>\d+):(?P<viewer>\d+)(?::(?P<at>\d+))?"
):
    """Pages of a watchlist. Only lists their owner posted publicly have buttons others can press;
    those people get a private copy to browse, of the list as it was when posted (`at`, unix
    seconds; buttons made before shares carried it count as expired)."""

    def __init__(self, page: int, owner: int, viewer: int, shared_at: int = 0) -> None:
        super().__init__(Button(custom_id=f"rb:wl:{page}:{owner}:{viewer}:{shared_at}"))
        self.page, self.owner, self.viewer, self.shared_at = page, owner, viewer, shared_at

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: Any, match: re.Match[str], /) -> WatchlistPageButton:  # type: ignore[override]
        return cls(int(match["page"]), int(match["owner"]), int(match["viewer"]), int(match["at"] or 0))

    async def pressed(self, interaction: Interaction) -> None:
        presser = interaction.user
        owner = presser if presser.id == self.owner else await interaction.client.fetch_user(self.owner)
        message = await watchlist_message(interaction, owner, self.page, presser.id, self.shared_at)
        if presser.id == self.viewer:
            await interaction.response.edit_message(**{"view": None, **message})
        else:
            await interaction.response.send_message(**message, ephemeral=True)
