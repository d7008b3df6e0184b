"""Opening a store: `REVIEWBOT_DB` (or --db) chooses the backend.

A path (or a `sqlite:///path` URL) is the embedded SQLite database; a `postgresql://…` URL is a
shared PostgreSQL database. The service layer gets a `Store` (storage/ports.py) and never learns
which one it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from storage.conversations import ConversationRepository
from storage.db import Database, Writer
from storage.digest_queue import DigestQueueRepository
from storage.errors import InvalidInput, explained
from storage.films import FilmRepository
from storage.guild_settings import GuildSettingsRepository
from storage.imdb import ImdbLoader
from storage.limits import LimitsRepository
from storage.meta import MetaRepository
from storage.ports import CatalogueLoader, ImportUnit, Store
from storage.records import FilmInput, ReviewInput
from storage.reviews import ReviewRepository
from storage.summaries import SummaryRepository
from storage.usage import UsageRepository
from storage.users import UserDataRepository
from storage.watchlists import WatchlistRepository, add_in_transaction

T = TypeVar("T")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: str | Path) -> bool:
    """Whether a `REVIEWBOT_DB` value names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.lower().startswith(POSTGRES_SCHEMES)


def sqlite_path(target: str | Path) -> Path:
    """The file a SQLite `REVIEWBOT_DB` value names (a path, or `sqlite:///path`)."""
    if isinstance(target, Path):
        return target
    if target.lower().startswith("sqlite://"):
        return Path(target[len("sqlite://"):] or ".")
    if "://" in target:
        scheme = target.split("://", 1)[0]
        raise InvalidInput(
            f"REVIEWBOT_DB names a {scheme}:// database, which reviewbot doesn't speak. Use a file path "
            "(SQLite) or a postgresql://user@host/dbname URL."
        )
    return Path(target).expanduser()


class SqliteStore:
    """The embedded backend: one SQLite file (see storage/db.py for its connections)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.films = FilmRepository(db)
        self.reviews = ReviewRepository(db)
        self.watchlists = WatchlistRepository(db)
        self.conversations = ConversationRepository(db)
        self.summaries = SummaryRepository(db)
        self.usage = UsageRepository(db)
        self.users = UserDataRepository(db)
        self.guild_settings = GuildSettingsRepository(db)
        self.meta = MetaRepository(db)
        self.limits = LimitsRepository(db)
        self.digest_queue = DigestQueueRepository(db)

    @property
    def location(self) -> str:
        return str(self.db.path)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[ImportUnit]:
        async with self.db.transaction() as tx:
            yield _SqliteImportUnit(tx)

    async def load_catalogue(self, load: Callable[[CatalogueLoader], T]) -> T:
        path = self.db.path

        def run() -> T:
            with ImdbLoader(path) as loader:
                return load(loader)

        with explained(path):  # its own connection: busy, disk full… become clear errors too
            return await asyncio.to_thread(run)

    async def close(self) -> None:
        await self.db.close()


class _SqliteImportUnit:
    def __init__(self, tx: Writer) -> None:
        self._tx = tx

    async def find_film(self, title: str, year: int | None) -> int | None:
        return await FilmRepository.find_in(self._tx, title, year)

    async def find_film_by_imdb(self, imdb_id: str) -> int | None:
        return await FilmRepository.find_by_imdb_in(self._tx, imdb_id)

    async def add_film(self, film: FilmInput) -> int:
        return await FilmRepository.add_in(self._tx, film)

    async def add_review(self, review: ReviewInput) -> tuple[int, bool]:
        return await ReviewRepository.add_in(self._tx, review)

    async def add_watchlist_entry(self, user_id: str, scope: str, film_id: int, added_at: str | None) -> int:
        return await add_in_transaction(self._tx, user_id, scope, film_id, added_at)

    async def set_meta(self, key: str, value: str) -> None:
        await MetaRepository.set_in(self._tx, key, value)


async def open_store(target: str | Path, *, migrate: bool = True) -> Store:
    """Open (creating and migrating if needed) the database `target` names."""
    if is_postgres(target):
        from storage.postgres import open_postgres  # asyncpg is loaded only for PostgreSQL

        return await open_postgres(str(target), migrate=migrate)
    return SqliteStore(await Database.open(sqlite_path(target), migrate=migrate))
