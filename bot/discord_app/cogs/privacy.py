"""/privacy export | delete: everything the bot stores about you, as a file, or erased.

Both reply privately. Deleting asks first: a red "Delete everything" button and Cancel that only
the person who asked can press, and that stop working after `confirm_timeout` seconds.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.cogs._shared import Interaction, write_limit
from bot.discord_app.replies import defer, follow_up
from bot.discord_app.tree import report_error

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot

log = logging.getLogger(__name__)


class PrivacyCog(commands.GroupCog, group_name="privacy", group_description="Your data: get a copy, or erase it"):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    @app_commands.command(name="export", description="Get everything stored about you as a JSON file (only you see it)")
    @write_limit()
    async def export(self, interaction: Interaction) -> None:
        await defer(interaction, ephemeral=True)
        data = await self.bot.services.privacy.export(str(interaction.user.id))
        payload = await asyncio.to_thread(_encode, data)
        if len(payload) > interaction.filesize_limit:
            await follow_up(interaction, content=render.EXPORT_TOO_LARGE, ephemeral=True)
            return
        file = discord.File(io.BytesIO(payload), filename=f"reviewbot-data-{interaction.user.id}.json")
        await follow_up(interaction, content=render.export_note(data), file=file, ephemeral=True)

    @app_commands.command(name="delete", description="Erase everything stored about you (asks first)")
    @write_limit()
    async def delete(self, interaction: Interaction) -> None:
        view = ConfirmDelete(self.bot, interaction, timeout=self.bot.confirm_timeout)
        await interaction.response.send_message(render.DELETE_QUESTION, view=view, ephemeral=True)


class ConfirmDelete(discord.ui.View):
    """The confirmation for /privacy delete. Held in memory: after a restart it is simply gone,
    and nothing was deleted (asking again is cheap)."""

    def __init__(self, bot: ReviewBot, origin: Interaction, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.origin = origin

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        if interaction.user.id != self.origin.user.id:
            await interaction.response.send_message("Only the person who asked can answer this.", ephemeral=True)
            return False
        self.bot.track(interaction)
        return True

    @discord.ui.button(label="Delete everything", emoji="🗑️", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: Interaction, button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.defer()  # acknowledged at once; the deletion is one transaction
        counts = await self.bot.services.privacy.delete(str(interaction.user.id))
        # Their reviews leave the spoiler detector's vocabulary and the title suggestions too.
        self.bot.services.reviews.forget_corpus()
        self.bot.services.films.invalidate()
        log.info("Deleted the data of user %s on request", interaction.user.id)
        await interaction.edit_original_response(content=render.deleted(counts), view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: Interaction, button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Cancelled: nothing was deleted.", view=None)

    async def on_timeout(self) -> None:
        try:
            await self.origin.edit_original_response(content=render.DELETE_TIMED_OUT, view=None)
        except discord.HTTPException:
            log.info("Could not withdraw a timed-out deletion question", exc_info=True)

    async def on_error(self, interaction: Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:  # type: ignore[override]
        await report_error(interaction, error)


def _encode(data: dict[str, object]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
