"""/privacy export | delete: everything the bot stores about you, as a file, or erased.

Both reply privately. Deleting asks first: a red "Delete everything" button and Cancel. Like every
button here they carry their state in their custom_id (who may answer, and until when), so they
keep working across a restart and can't be answered by anyone else or after the deadline; a timer
also withdraws the question when it lapses.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands
from discord.ui import View

from bot.discord_app.checks import Interaction, write_limit
from bot.discord_app.features.privacy import render
from bot.discord_app.features.privacy.views import ForgetButton
from bot.discord_app.replies import defer, follow_up

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot

log = logging.getLogger(__name__)


class PrivacyCog(commands.GroupCog, group_name="privacy", group_description="Your data: get a copy, or erase it"):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot
        self._timers: set[asyncio.Task[None]] = set()

    async def cog_unload(self) -> None:
        for timer in self._timers:
            timer.cancel()

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
        timeout = self.bot.confirm_timeout
        until = int((time.time() + timeout) * 1000)
        view = View(timeout=None)
        for answer in ("yes", "no"):
            view.add_item(ForgetButton(answer, interaction.user.id, until))
        await interaction.response.send_message(render.DELETE_QUESTION, view=view, ephemeral=True)
        timer = asyncio.create_task(_withdraw(interaction, timeout), name="reviewbot-privacy-timeout")
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)


async def _withdraw(interaction: Interaction, after: float) -> None:
    """Take the buttons off an unanswered question once it lapses (an answered one has none)."""
    await asyncio.sleep(after)
    try:
        message = await interaction.original_response()
        if message.components:
            await interaction.edit_original_response(content=render.DELETE_TIMED_OUT, view=None)
    except discord.HTTPException:
        log.info("Could not withdraw a lapsed deletion question", exc_info=True)


def _encode(data: dict[str, object]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(ForgetButton)
    await bot.add_cog(PrivacyCog(bot))
