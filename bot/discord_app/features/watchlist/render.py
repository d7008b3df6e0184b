"""A page of a watchlist."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.discord_app.markup import COLOUR, TITLE_LIMIT, Page, cut, plain, stars
from storage.records import WatchlistEntry

WATCHLIST_PER_PAGE = 10


def watchlist_page(entries: Sequence[WatchlistEntry], page: int, owner: str) -> Page:
    count = max(1, -(-len(entries) // WATCHLIST_PER_PAGE))
    page = max(0, min(page, count - 1))
    embed = discord.Embed(title=cut(f"{plain(owner)}'s watchlist", TITLE_LIMIT), colour=COLOUR)
    if not entries:
        embed.description = "Nothing here yet. Add a film with /watchlist add."
        return Page(embed, 0, 1)
    lines = []
    for entry in entries[page * WATCHLIST_PER_PAGE : (page + 1) * WATCHLIST_PER_PAGE]:
        if entry.watched_at:
            line = f"✅ **{plain(entry.label)}** — watched {entry.watched_at[:10]}"
            if entry.rating is not None:
                line += f" · {stars(entry.rating)}"
            if entry.note:
                line += f"\n  {cut(plain(entry.note), 200)}"
        else:
            line = f"🎬 **{plain(entry.label)}** — added {entry.added_at[:10]}"
        lines.append(line)
    embed.description = "\n".join(lines)
    to_watch = sum(1 for e in entries if not e.watched_at)
    embed.set_footer(text=f"Page {page + 1}/{count} · {to_watch} to watch · {len(entries) - to_watch} watched")
    return Page(embed, page, count)
