"""What several features use: film autocomplete, the LLM cooldown and write-limit checks, who is
asking, and the film a button names."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import discord
from discord import app_commands

from bot.discord_app.tree import Refused
from bot.errors import FilmChoice, FilmNotFound, RateLimited
from bot.services.summaries import Requester
from storage.records import Film

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot

log = logging.getLogger(__name__)
T = TypeVar("T")
Interaction: TypeAlias = "discord.Interaction[ReviewBot]"
CHOICE_NAME_LIMIT = 100  # Discord's limit for an autocomplete choice's name
FILM_HELP = "The film: start typing and pick it from the list"


def guild_of(interaction: discord.Interaction[Any]) -> str | None:
    return str(interaction.guild_id) if interaction.guild_id else None


def requester_of(interaction: discord.Interaction[Any]) -> Requester:
    return Requester(str(interaction.user.id), guild_of(interaction))


async def film_by_id(interaction: Interaction, film_id: int) -> Film:
    """The film a button names (it may have been merged or removed since the button was made)."""
    film = await interaction.client.services.films.get(film_id)
    if film is None:
        raise FilmNotFound(f"film #{film_id}")
    return film


def _choices(found: list[FilmChoice]) -> list[app_commands.Choice[str]]:
    out = []
    for choice in found[:25]:
        name = choice.label if len(choice.label) <= CHOICE_NAME_LIMIT else choice.label[:99] + "…"
        out.append(app_commands.Choice(name=name, value=f"film:{choice.film_id}"))
    return out


async def film_autocomplete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Films matching what is typed so far (typos forgiven; the year tells remakes apart)."""
    films = interaction.client.services.films
    try:
        found = await films.search(current, limit=25) if current.strip() else await films.browse(limit=25)
    except Exception:
        log.exception("Film autocomplete failed (%d characters typed)", len(current))
        return []
    return _choices(found)


async def own_film_autocomplete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Films on the caller's own watchlist only."""
    watchlist = interaction.client.services.watchlist
    try:
        found = await watchlist.search_own(str(interaction.user.id), current, guild_id=guild_of(interaction))
    except Exception:
        log.exception("Watchlist autocomplete failed (%d characters typed)", len(current))
        return []
    return _choices(found)


def llm_cooldown() -> Callable[[T], T]:
    """Refuse (with an explanation) while the person's cooldown runs; see bot/services/limits.py."""

    async def predicate(interaction: Interaction) -> bool:
        try:
            await interaction.client.llm_cooldown.check(str(interaction.user.id))
        except RateLimited as error:
            raise Refused(error) from error
        return True

    return app_commands.check(predicate)


def write_limit() -> Callable[[T], T]:
    """Count the command against the person's writes per minute (see bot/services/limits.py); refuse with
    an explanation when they are used up."""

    async def predicate(interaction: Interaction) -> bool:
        try:
            await interaction.client.write_limit.hit(str(interaction.user.id))
        except RateLimited as error:
            raise Refused(error) from error
        return True

    return app_commands.check(predicate)
