"""The PostgreSQL backend: a shared database for several bot processes (see docs/postgresql.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from storage.ports import CatalogueLoader, ImportUnit
from storage.postgres.db import Conn, PostgresDatabase, redacted
from storage.postgres.digest_queue import PgDigestQueueRepository
from storage.postgres.imdb import PgImdbLoader
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
        """`load(loader)` in a worker thread, staging with COPY on one connection, all in one
        transaction (storage/postgres/imdb.py); then ANALYZE, so look-ups plan for the new size."""
        loop = asyncio.get_running_loop()
        async with self.db.transaction() as conn:
            loader = PgImdbLoader(conn, loop)
            await loader.create_staging()
            result = await asyncio.to_thread(load, loader)
        await self.db.execute("ANALYZE films")
        await self.db.execute("ANALYZE film_titles")
        await self.db.execute("ANALYZE film_title_words")
        return result

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
