"""What every feature's rendering shares: colours, cutting to Discord's limits, escaping text that
came from people, stars, and a page of a paged list. Pure functions: no I/O, no state.

Everything a feature writes that came from people (review text, author names, notes, LLM output) is
either spoiler-masked by the service layer or has its markup escaped here, and is cut to Discord's
limits with `bot.text.chunking` so a spoiler span is never split open.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.text.markdown import escape_markdown

COLOUR = discord.Colour(0xE4A11B)
SPOILER_COLOUR = discord.Colour(0x8B1E3F)
TITLE_LIMIT = 256
WRITING = "✍️ writing…"


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stars(rating: float | None) -> str:
    return "" if rating is None else f"★ {rating:g}/5"


def plain(text: str) -> str:
    """Text from a person (a title, a name, a note), shown as written: every Discord markup
    character escaped, so it can't format, hide or end the bot's own markup around it."""
    return escape_markdown(text)


def count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paged list (reviews, a watchlist) and where it sits."""

    embed: discord.Embed
    index: int
    count: int
