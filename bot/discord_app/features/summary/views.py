"""The summary flow shared by /summary and the buttons, and the buttons: "Show spoilers" under a
spoiler-free summary, "Summary" on the film card."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord
from discord.ui import Button, View

from bot.discord_app.buttons import Interaction, TrackedButton
from bot.discord_app.checks import film_by_id, requester_of
from bot.discord_app.features.summary import render
from bot.discord_app.replies import LiveText, defer, send_pieces
from storage.records import Film


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
        film = await film_by_id(interaction, self.film_id)
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
        film = await film_by_id(interaction, self.film_id)
        await interaction.client.llm_cooldown.check(str(interaction.user.id))
        await interaction.client.charge_llm(interaction.user.id, interaction.guild_id)
        await send_summary(interaction, film, spoilers=False, ephemeral=True)
