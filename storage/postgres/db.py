"""The PostgreSQL handle: an asyncpg pool, numbered migrations under an advisory lock, clear errors.

Every bot process (one per shard range, on any machine) opens its own pool on the same database.
Migrations are applied at start-up while holding a session advisory lock, so processes starting
together migrate once: the others wait, then find nothing left to do. The schema version lives in
the database (`schema_version`); a database migrated by a newer reviewbot is refused before
anything writes to it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
    newer_schema,
)

log = logging.getLogger(__name__)

# A connection as the pool lends it (or a plain one): what repositories write through.
Conn = asyncpg.Connection | PoolConnectionProxy

# pg_advisory_lock key for migrations: any fixed 64-bit number, the same in every process.
MIGRATION_LOCK = 0x7265766965770001  # "review" + 1
POOL_MIN = 1
POOL_MAX = 10
COMMAND_TIMEOUT_S = 30.0
# Each statement is planned once per connection, when asyncpg first prepares it, not at every run.
# By default PostgreSQL plans the first five runs for their values and keeps doing so while that
# plan looks cheaper than the generic one: a title look-up (repos.py `_lookup_statement`) then took
# 2-3 ms to plan for 0.5 ms of work, at every run. Every statement here is an index look-up or
# range whose plan does not depend on the values.
SERVER_SETTINGS = {"plan_cache_mode": "force_generic_plan"}


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every `NNNN_name.sql` in storage/postgres/migrations, in order."""
    found = []
    for entry in resources.files("storage.postgres.migrations").iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"PostgreSQL migrations must be numbered 1..N without gaps, found {versions}")
    return found


def latest_schema_version() -> int:
    return len(migration_files())


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@contextmanager
def explained(url: str, *, opening: bool = False) -> Iterator[None]:
    """PostgreSQL failures a person can act on, as `DatabaseProblem`s (the rest pass unchanged)."""
    where = redacted(url)
    try:
        yield
    except (OSError, socket.gaierror, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError) as error:
        raise DatabaseUnavailable(
            f"reviewbot can't reach its PostgreSQL database {where} ({error}). Check that PostgreSQL is running "
            "and REVIEWBOT_DB names the right host, port and database."
            if opening
            else "The database can't be reached right now; nothing was saved. Please try again later."
        ) from error
    except asyncpg.InvalidCatalogNameError as error:
        raise DatabaseUnavailable(
            f"The PostgreSQL database in {where} does not exist. Create it (`createdb NAME`) or fix REVIEWBOT_DB."
        ) from error
    except (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InvalidPasswordError) as error:
        raise DatabaseUnavailable(
            f"PostgreSQL refused reviewbot's login to {where}: {error}. Fix the user or password in REVIEWBOT_DB."
        ) from error
    except asyncpg.DiskFullError as error:
        raise DatabaseFull("The database server's disk is full; nothing was saved.") from error
    except asyncpg.ReadOnlySQLTransactionError as error:
        raise DatabaseReadOnly(
            "The database is read-only right now (a standby server?), so nothing was saved."
        ) from error
    except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError) as error:
        raise DatabaseBusy(
            "The database is busy right now; nothing was changed. Please try again in a moment."
        ) from error


class PostgresDatabase:
    """Owns the pool. `await PostgresDatabase.open(url)`; `await db.close()`."""

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self.pool = pool

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> PostgresDatabase:
        with explained(url, opening=True):
            pool = await asyncpg.create_pool(
                url, min_size=POOL_MIN, max_size=POOL_MAX, command_timeout=COMMAND_TIMEOUT_S, reset=_keep_session,
                server_settings=SERVER_SETTINGS,
            )
        db = cls(url, pool)
        try:
            with explained(url, opening=True):
                await db._prepare(migrate=migrate)
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        await self.pool.close()

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await _version(conn)

    async def _prepare(self, *, migrate: bool) -> None:
        """Refuse a newer schema; else (with migrate) apply what is missing, under the advisory
        lock: a second process starting now waits here, then finds the work done."""
        async with self.pool.acquire() as conn:
            if not migrate:
                self._refuse_newer(await _version(conn))
                return
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await self._migrate(conn)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    def _refuse_newer(self, version: int) -> None:
        if version > latest_schema_version():
            raise newer_schema(redacted(self.url), version, latest_schema_version())

    async def _migrate(self, conn: Conn) -> int:
        current = await _version(conn)
        self._refuse_newer(current)
        applied = 0
        for version, name, sql in migration_files():
            if version <= current:
                continue
            log.info("applying PostgreSQL migration %s", name)
            async with conn.transaction():
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_version (version, name) VALUES ($1, $2)", version, name)
            applied += 1
        return applied

    # --- queries ---------------------------------------------------------------------------------
    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        with explained(self.url):
            return list(await self.pool.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        with explained(self.url):
            return await self.pool.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        with explained(self.url):
            return await self.pool.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        """One statement in its own transaction; the rows it changed."""
        with explained(self.url):
            return rowcount(await self.pool.execute(sql, *args))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """A connection inside a transaction: committed on leaving the block, rolled back on an exception."""
        with explained(self.url):
            async with self.pool.acquire() as conn, conn.transaction():
                yield conn


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset between borrowers: asyncpg's default (RESET ALL, UNLISTEN *, unlock all advisory
    locks…) is one more round trip on every query through the pool. Nothing here changes session
    state: transaction-scoped advisory locks end with their transaction, and the one session lock
    (migrations) is released explicitly."""


async def _version(conn: Conn) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))


def rowcount(status: str) -> int:
    """Rows changed, from a command status such as 'UPDATE 3' or 'INSERT 0 1'."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
