"""The film card's buttons: each belongs to its own feature (summary, watchlist)."""

from __future__ import annotations

from discord.ui import View

from bot.discord_app.features.summary.views import SummaryButton
from bot.discord_app.features.watchlist.views import WatchlistAddButton


def film_view(film_id: int) -> View:
    return View(timeout=None).add_item(SummaryButton(film_id)).add_item(WatchlistAddButton(film_id))
