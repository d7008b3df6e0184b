"""What every feature's rendering shares: colours, cutting to Discord's limits, escaping text that
came from people, stars, and a page of a paged list. Pure functions: no I/O, no state.

Everything a feature writes that came from people (review text, author names, notes, LLM output) is
either spoiler-masked by the service layer or has its markup escaped here, and is cut to Discord's
limits with `bot.text.chunking` so a spoiler span is never split open.
"""

from __future__ import annotations

import re
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


_BACKTICK = re.compile(r"(?<!\\)`")
_BLOCK_LINE = re.compile(r"^([ \t]*)(-#|#{1,3}|>{1,3})(?=\s)", re.MULTILINE)


def generated(text: str) -> str:
    """Text written by a summarizer or an LLM, with the markdown that would change the bot's own
    formatting around it neutralised: a backtick (a ``` opened a code block that swallowed the
    spoiler bars after it, showing them as plain `||`), and headings, subtext and quotes at a line's
    start. Bold, italics and the bot's own `||…||` spans are left as they are."""
    text = _BACKTICK.sub("\\`", text)
    return _BLOCK_LINE.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paged list (reviews, a watchlist) and where it sits."""

    embed: discord.Embed
    index: int
    count: int
