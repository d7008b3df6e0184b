"""What every feature's buttons share.

Every button is a `DynamicItem`: its state (film id, page, who is browsing) lives in its custom_id,
so buttons keep working after a restart and no view is held in memory. A button press goes through
`TrackedButton.callback`, which tracks the work (for a graceful shutdown) and sends any error to the
central handler, so no press is left unanswered. Each feature registers its own buttons in its
cog's `setup`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import discord
from discord.ui import Button, DynamicItem, View

from bot.discord_app.markup import Page
from bot.discord_app.tree import BotRestarting, report_error

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot

Interaction: TypeAlias = "discord.Interaction[ReviewBot]"


class TrackedButton(DynamicItem[Button[Any]], template=re.compile(r"(?!)")):
    """Base: tracked, error-handled press handling. Subclasses implement `pressed`."""

    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        bot = interaction.client
        try:
            if bot.closing:
                raise BotRestarting()
            bot.access.check(interaction)
            bot.track(interaction)
            await self.pressed(interaction)
        except Exception as error:
            await report_error(interaction, error)

    async def pressed(self, interaction: Interaction) -> None:
        raise NotImplementedError


def with_pager(page: Page, button: Callable[[int], TrackedButton]) -> dict[str, Any]:
    """The page's embed with Previous/Next buttons when there is more than one page; `button(target)`
    makes the button that shows page `target`."""
    if page.count <= 1:
        return {"embed": page.embed}
    previous = button(max(page.index - 1, 0))
    previous.item.label, previous.item.emoji = "Previous", "◀️"
    previous.item.disabled = page.index == 0
    following = button(min(page.index + 1, page.count - 1))
    following.item.label, following.item.emoji = "Next", "▶️"
    following.item.disabled = page.index >= page.count - 1
    return {"embed": page.embed, "view": View(timeout=None).add_item(previous).add_item(following)}
