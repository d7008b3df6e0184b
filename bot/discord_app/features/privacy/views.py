"""The "Delete everything" / "Cancel" buttons of /privacy delete."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import discord
from discord.ui import Button

from bot.discord_app.buttons import Interaction, TrackedButton
from bot.discord_app.features.privacy import render

log = logging.getLogger(__name__)


class ForgetButton(TrackedButton, template=r"rb:forget:(?P<answer>yes|no):(?P<user>\d+):(?P<until>\d+)"):
    """"Delete everything" (yes) or "Cancel" (no), for `user` only, until `until` (ms since 1970)."""

    def __init__(self, answer: str, user_id: int, until: int) -> None:
        yes = answer == "yes"
        super().__init__(
            Button(
                label="Delete everything" if yes else "Cancel",
                emoji="🗑️" if yes else None,
                style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
                custom_id=f"rb:forget:{answer}:{user_id}:{until}",
            )
        )
        self.answer, self.user_id, self.until = answer, user_id, until

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: Any, match: re.Match[str], /) -> ForgetButton:  # type: ignore[override]
        return cls(match["answer"], int(match["user"]), int(match["until"]))

    async def pressed(self, interaction: Interaction) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("Only the person who asked can answer this.", ephemeral=True)
            return
        if time.time() * 1000 > self.until:
            await interaction.response.edit_message(content=render.DELETE_TIMED_OUT, view=None)
            return
        if self.answer == "no":
            await interaction.response.edit_message(content="Cancelled: nothing was deleted.", view=None)
            return
        await interaction.response.defer()  # acknowledged at once; the deletion is one transaction
        services = interaction.client.services
        counts = await services.privacy.delete(str(interaction.user.id))
        # Their reviews leave the spoiler detector's vocabulary and the title suggestions too.
        services.reviews.forget_corpus()
        services.films.invalidate()
        log.info("Deleted the data of user %s on request", interaction.user.id)
        await interaction.edit_original_response(content=render.deleted(counts), view=None)
