"""The film card."""

from __future__ import annotations

import discord

from bot.discord_app.markup import COLOUR, TITLE_LIMIT, cut, plain, stars
from bot.services.films import FilmFacts


def film_embed(facts: FilmFacts) -> discord.Embed:
    film = facts.film
    embed = discord.Embed(title=cut(plain(film.label), TITLE_LIMIT), colour=COLOUR)
    if film.logline:
        embed.description = cut(plain(film.logline), 1000)
    if film.original_title and film.original_title != film.title:
        embed.add_field(name="Original title", value=cut(plain(film.original_title), 512), inline=False)
    if film.directors:
        embed.add_field(name="Directed by", value=cut(plain(", ".join(film.directors)), 512))
    if film.runtime_minutes:
        embed.add_field(name="Runtime", value=f"{film.runtime_minutes} min")
    if film.genres:
        embed.add_field(name="Genres", value=cut(plain(", ".join(film.genres)), 512))
    if film.cast:
        embed.add_field(name="Cast", value=cut(plain(", ".join(film.cast[:8])), 512), inline=False)
    embed.add_field(name="Reviews", value=reviews_line(facts), inline=False)
    if film.is_stub:
        embed.set_footer(text="Only the title is known for this film so far.")
    elif film.imdb_id:
        embed.set_footer(text=f"IMDb {film.imdb_id}")
    return embed


def reviews_line(facts: FilmFacts) -> str:
    if not facts.review_count:
        return "No reviews stored yet — add one with /review."
    count = f"{facts.review_count} review{'s' if facts.review_count != 1 else ''}"
    if facts.average_rating is None:
        return count
    return f"{stars(round(facts.average_rating, 1))} average from {count}"
