"""Summaries as embeds: the preview while an LLM writes, and the finished summary."""

from __future__ import annotations

import discord

from bot.discord_app.markup import COLOUR, SPOILER_COLOUR, TITLE_LIMIT, WRITING, cut, generated, plain
from bot.services.summaries import SummaryResult
from bot.text.chunking import EMBED_DESCRIPTION_LIMIT, first_piece, split_message
from storage.records import Film

FOOTER_LIMIT = 1500  # with a full 4,096 description and a title, stays under the 6,000 per message


def summary_title(film: Film, spoilers: bool) -> str:
    return cut(f"{plain(film.label)} — {'with spoilers' if spoilers else 'spoiler-free'} summary", TITLE_LIMIT)


def summary_preview(film: Film, text: str, spoilers: bool) -> discord.Embed:
    """The embed while an LLM is still writing (the text is cut safely and marked as unfinished)."""
    embed = discord.Embed(
        title=summary_title(film, spoilers),
        description=first_piece(generated(text), EMBED_DESCRIPTION_LIMIT) or "…",
        colour=SPOILER_COLOUR if spoilers else COLOUR,
    )
    return embed.set_footer(text=WRITING)


def summary_embeds(result: SummaryResult) -> list[discord.Embed]:
    """One embed per 4,096 characters of summary; the facts about it in the last one's footer."""
    spoilers = result.mode == "spoilers"
    pieces = split_message(generated(result.text), EMBED_DESCRIPTION_LIMIT) or [
        "No reviewer said anything I could summarise."
    ]
    embeds = [
        discord.Embed(description=piece, colour=SPOILER_COLOUR if spoilers else COLOUR) for piece in pieces
    ]
    embeds[0].title = summary_title(result.film, spoilers)
    basis = f"from {result.review_count} review{'s' if result.review_count != 1 else ''}"
    if result.average_rating is not None:
        basis += f" · average {result.average_rating:.1f}/5"
    footer = " · ".join([basis, *result.notes])
    if spoilers:
        footer += " · Plot reveals are hidden: click the dark bars to read them."
    embeds[-1].set_footer(text=cut(footer, FOOTER_LIMIT))
    return embeds
