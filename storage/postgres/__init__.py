"""The PostgreSQL backend: a shared database for several bot processes (see docs/postgresql.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from storage.errors import InvalidInput
from storage.ports import CatalogueLoader, ImportUnit
from storage.postgres.db import Conn, PostgresDatabase, redacted
from storage.postgres.digest_queue import PgDigestQueueRepository
from storage.postgres.limits import PgLimitsRepository
from storage.postgres.repos import (
    PgConversationRepository,
    PgFilmRepository,
    PgGuildSettingsRepository,
    PgMetaRepository,
    PgReviewRepository,
    PgSummaryRepository,
    PgUsageRepository,
    PgUserDataRepository,
    PgWatchlistRepository,
    add_film_in,
    add_review_in,
    add_watchlist_entry_in,
    find_film_in,
    set_meta_in,
)
from storage.records import FilmInput, ReviewInput

T = TypeVar("T")


class PostgresStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        self.films = PgFilmRepository(db)
        self.reviews = PgReviewRepository(db)
        self.watchlists = PgWatchlistRepository(db)
        self.conversations = PgConversationRepository(db)
        self.summaries = PgSummaryRepository(db)
        self.usage = PgUsageRepository(db)
        self.users = PgUserDataRepository(db)
        self.guild_settings = PgGuildSettingsRepository(db)
        self.meta = PgMetaRepository(db)
        self.limits = PgLimitsRepository(db)
        self.digest_queue = PgDigestQueueRepository(db)

    @property
    def location(self) -> str:
        return redacted(self.db.url)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[ImportUnit]:
        async with self.db.transaction() as conn:
            yield _PgImportUnit(conn)

    async def load_catalogue(self, load: Callable[[CatalogueLoader], T]) -> T:
        raise InvalidInput(
            "Importing the IMDb datasets straight into PostgreSQL is not supported yet: import them into a "
            "SQLite file (`reviewbot --db catalogue.db import …`), then copy it over with "
            "`reviewbot db copy catalogue.db postgresql://…`."
        )

    async def close(self) -> None:
        await self.db.close()


class _PgImportUnit:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def find_film(self, title: str, year: int | None) -> int | None:
        return await find_film_in(self._conn, title, year)

    async def find_film_by_imdb(self, imdb_id: str) -> int | None:
        value = await self._conn.fetchval("SELECT id FROM films WHERE imdb_id = $1", imdb_id)
        return int(value) if value is not None else None

    async def add_film(self, film: FilmInput) -> int:
        return await add_film_in(self._conn, film)

    async def add_review(self, review: ReviewInput) -> tuple[int, bool]:
        return await add_review_in(self._conn, review)

    async def add_watchlist_entry(self, user_id: str, scope: str, film_id: int, added_at: str | None) -> int:
        return await add_watchlist_entry_in(self._conn, user_id, scope, film_id, added_at)

    async def set_meta(self, key: str, value: str) -> None:
        await set_meta_in(self._conn, key, value)


async def open_postgres(url: str, *, migrate: bool = True) -> PostgresStore:
    return PostgresStore(await PostgresDatabase.open(url, migrate=migrate))
