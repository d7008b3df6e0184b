"""What /admin says: review choices, this server's settings, an import's progress and report."""

from __future__ import annotations

import discord

from bot.discord_app.markup import COLOUR, cut, plain
from bot.services.importer import ImportReport
from bot.text.chunking import CONTENT_LIMIT
from storage.records import GuildSettings, Review

IMPORT_FORMATS = (
    "I can import our JSON format, a reviews CSV, or a Letterboxd reviews.csv / watchlist.csv "
    "(a .json, .csv, .tsv or .txt file; see the README, “Data formats”)."
)
CONTENT_CODE_LIMIT = CONTENT_LIMIT - 200  # the report goes in a code block, after a line of text


def review_choice(review: Review, film_label: str) -> str:
    """An autocomplete entry: '#12 · Se7en (1995) · ann: A grim, rain-soaked…' (at most 100 characters)."""
    text = " ".join(review.text.split())
    return cut(f"#{review.id} · {film_label} · {review.author}: {text}", 100)


def review_removed(review: Review) -> str:
    return f"Removed review #{review.id} by **{cut(plain(review.author), 80)}**. Summaries are rebuilt without it."


def guild_settings_embed(settings: GuildSettings, default_cooldown: float) -> discord.Embed:
    embed = discord.Embed(title="This server's settings", colour=COLOUR)
    if settings.spoilers_in_channel is False:
        spoilers = "only the person who asked sees them"
    else:
        spoilers = "posted in the channel, plot reveals behind spoiler bars" + (
            "" if settings.spoilers_in_channel else " (the default)"
        )
    embed.add_field(name="/summary spoilers:true", value=spoilers, inline=False)
    if settings.llm_cooldown_seconds is None:
        cooldown = f"{default_cooldown:g} s between a person's requests (the bot's default)"
    else:
        cooldown = f"{settings.llm_cooldown_seconds:g} s between a person's requests"
    embed.add_field(name="/summary and /ask cooldown", value=cooldown, inline=False)
    return embed.set_footer(text="Change them with /admin settings; reset:true goes back to the defaults.")


def import_too_large(size: int, limit: int) -> str:
    return (
        f"That file is {size / 1024**2:,.1f} MiB; uploads here can be up to {limit // 1024**2} MiB. "
        "Split it (the header on every part), or ask the bot's operator to run `reviewbot import`."
    )


def import_progress(name: str, stage: str, done: int, total: int) -> str:
    if stage == "reading":
        amount = f"{done / 1024**2:,.1f} of {total / 1024**2:,.1f} MiB"
    else:
        amount = f"{done:,} of {total:,}"
    return f"⏳ Importing {plain(name)}: {stage} ({amount})…"


def import_report(report: ImportReport) -> str:
    """What was imported, with the skipped rows. The rows quote the file, so they go in a code block
    (nothing in it can format text or mention anyone)."""
    text = report.describe().replace("```", "'''")
    head, _, rest = text.partition("\n")
    if not rest:
        return head
    return f"{head}\n```\n{cut(rest, CONTENT_CODE_LIMIT)}\n```"
