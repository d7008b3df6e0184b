"""Personal watchlists. The caller's user id is the key to every operation: no one can reach
another person's list, except to read one its owner chose to share."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.errors import (
    FilmChoice,
    FilmNotFound,
    InvalidInput,
    LimitReached,
    NotOnWatchlist,
    PermissionDenied,
)
from bot.services.films import FilmService, same_numbers, split_year
from bot.services.reviews import check_rating
from bot.text.markdown import escape_markdown
from bot.text.unicode import require_text
from storage.normalize import normalize_title
from storage.ports import WatchlistStore
from storage.records import Film, WatchlistEntry

Status = Literal["added", "exists", "removed", "watched"]


@dataclass(frozen=True, slots=True)
class WatchlistChange:
    status: Status
    film: Film
    created_film: bool = False
    entry: WatchlistEntry | None = None

    @property
    def message(self) -> str:
        """What to tell the person, in Discord markup (the title's own markup escaped)."""
        label = escape_markdown(self.film.label)
        if self.status == "exists":
            return f"{label} is already on your list."
        if self.status == "removed":
            return f"Removed {label} from your list."
        created = ""
        if self.created_film:
            what = "title and year" if self.film.year else "title"
            created = f" I didn't know this film, so I added a basic record for it ({what} only)."
        if self.status == "watched":
            extra = ""
            if self.entry and self.entry.rating is not None:
                extra = f" with {self.entry.rating:g}/5"
            return f"Marked {label} as watched{extra}.{created}"
        return f"Added {label} to your list.{created}"


class WatchlistService:
    def __init__(
        self,
        repo: WatchlistStore,
        films: FilmService,
        *,
        scope_mode: str,
        max_size: int,
        max_note_chars: int,
    ) -> None:
        self._repo = repo
        self._films = films
        self._scope_mode = scope_mode
        self._max_size = max_size
        self._max_note_chars = max_note_chars

    def scope(self, guild_id: str | None) -> str:
        """'' for one list per person everywhere; the guild id when lists are per server."""
        return (guild_id or "") if self._scope_mode == "guild" else ""

    async def add(self, user_id: str, query: str, *, guild_id: str | None = None) -> WatchlistChange:
        film, created = await self._films.resolve_or_create(query)
        status = await self._repo.add(user_id, self.scope(guild_id), film.id, max_size=self._max_size)
        if status == "full":
            raise LimitReached(
                f"Your list already holds {self._max_size} films, the most it can. "
                "Remove some first (watched films stay on the list, and count, until removed)."
            )
        return WatchlistChange("added" if status == "added" else "exists", film, created)

    async def remove(self, user_id: str, query: str, *, guild_id: str | None = None) -> WatchlistChange:
        film = await self._own_film(user_id, query, guild_id)
        await self._repo.remove(user_id, self.scope(guild_id), film.id)
        return WatchlistChange("removed", film)

    async def mark_watched(
        self,
        user_id: str,
        query: str,
        *,
        rating: float | None = None,
        note: str | None = None,
        guild_id: str | None = None,
    ) -> WatchlistChange:
        rating = check_rating(rating)
        if note is not None:
            note = " ".join(require_text(note).split())
            if len(note) > self._max_note_chars:
                raise InvalidInput(f"Notes are limited to {self._max_note_chars} characters.")
        scope = self.scope(guild_id)
        created = False
        try:
            film = await self._own_film(user_id, query, guild_id)
        except (NotOnWatchlist, FilmNotFound):
            # Watching something that was never on the list is normal: add it (creating a basic
            # record for a film we don't know, as add does), then mark it.
            added = await self.add(user_id, query, guild_id=guild_id)
            film, created = added.film, added.created_film
        await self._repo.mark_watched(user_id, scope, film.id, rating, note or None)
        entry = await self._repo.get(user_id, scope, film.id)
        return WatchlistChange("watched", film, created, entry)

    async def list(self, user_id: str, *, guild_id: str | None = None) -> list[WatchlistEntry]:
        return await self._repo.list(user_id, self.scope(guild_id))

    async def list_of(
        self, viewer_id: str, owner_id: str, *, guild_id: str | None = None
    ) -> builtins.list[WatchlistEntry]:
        """Someone else's list: only when its owner shared it."""
        if viewer_id != owner_id and not await self._repo.is_shared(owner_id):
            raise PermissionDenied("That watchlist is private.")
        return await self._repo.list(owner_id, self.scope(guild_id))

    async def set_shared(self, user_id: str, shared: bool) -> None:
        await self._repo.set_shared(user_id, shared)

    async def is_shared(self, user_id: str) -> bool:
        return await self._repo.is_shared(user_id)

    async def search_own(
        self, user_id: str, query: str, *, guild_id: str | None = None, limit: int = 25
    ) -> builtins.list[FilmChoice]:
        """Autocomplete over the caller's own list only."""
        entries = await self._repo.list(user_id, self.scope(guild_id))
        if not query.strip():
            return [FilmChoice(e.film_id, e.label) for e in entries[:limit]]
        labels = [normalize_title(e.label) for e in entries]
        matches = process.extract(
            normalize_title(query), labels, scorer=fuzz.WRatio, limit=limit, score_cutoff=50
        )
        return [FilmChoice(entries[i].film_id, entries[i].label, round(s, 1)) for _, s, i in matches]

    async def _own_film(self, user_id: str, query: str, guild_id: str | None) -> Film:
        """Resolve within the caller's list first, so "psycho" means the Psycho they saved."""
        entries = await self._repo.list(user_id, self.scope(guild_id))
        title, year = split_year(query)
        norm = normalize_title(title)
        if query.startswith("film:"):
            film = await self._films.resolve(query)
            if any(e.film_id == film.id for e in entries):
                return film
        else:
            mine = [
                e for e in entries if normalize_title(e.title) == norm and (year is None or e.year == year)
            ]
            if len(mine) == 1:
                film_ = await self._films.get(mine[0].film_id)
                if film_ is not None:
                    return film_
            # A typo of a title on the list, but never another year's film: "Psycho (1960)" must
            # not remove the Psycho (1998) someone saved.
            candidates = [e for e in entries if year is None or e.year == year]
            if not mine and candidates:
                titles = [normalize_title(e.title) for e in candidates]
                close = process.extractOne(norm, titles, scorer=fuzz.ratio)
                if close and close[1] >= 88 and same_numbers(norm, close[0]):
                    film_ = await self._films.get(candidates[close[2]].film_id)
                    if film_ is not None:
                        return film_
        film = await self._films.resolve(query)
        if not any(e.film_id == film.id for e in entries):
            raise NotOnWatchlist(f"{escape_markdown(film.label)} isn't on your list.")
        return film
