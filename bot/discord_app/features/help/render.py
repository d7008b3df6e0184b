"""The /help embed."""

from __future__ import annotations

import discord

from bot.discord_app.markup import COLOUR

HELP_LINES = (
    ("/summary film spoilers", "What reviewers think, spoiler-free unless you ask. "
     "**Show spoilers** reveals the rest to you alone."),
    ("/film film", "Director, cast, runtime, genres, logline and the average rating."),
    ("/reviews film", "Read the stored reviews, spoilers hidden behind dark bars."),
    ("/review film text rating spoilers", "Add your own review (spoilers are detected and hidden)."),
    ("/watchlist add · remove · list · watched", "Your personal list; only you see the replies."),
    ("/ask question film", "Ask about a film. I answer in a thread: mention me there to follow up."),
    ("/privacy export · delete", "Get a file with everything I store about you, or erase it all."),
)


def help_embed(engine: str, cooldown: float) -> discord.Embed:
    embed = discord.Embed(
        title="What I can do",
        description="Spoiler-safe film reviews, facts, watchlists and answers. Start typing a film's title "
        "and pick it from the list (the year tells remakes apart).",
        colour=COLOUR,
    )
    for name, text in HELP_LINES:
        embed.add_field(name=name, value=text, inline=False)
    notes = ["Summaries and answers are written by an LLM" if engine != "offline"
             else "Summaries and answers are quoted from the stored reviews (no LLM)"]
    if cooldown:
        notes.append(f"/summary and /ask can be used once every {cooldown:g} s")
    embed.set_footer(text=" · ".join(notes) + ".")
    return embed
