"""`reviewbot db check` on PostgreSQL: the schema version against this code's, and row counts.

PostgreSQL keeps its own pages consistent and enforces foreign keys on every write, so there is no
equivalent of SQLite's integrity_check to run from here; what can go wrong for reviewbot is a
database migrated by a newer version, which is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from storage.postgres.db import explained, latest_schema_version, redacted

TABLES = ("films", "film_titles", "reviews", "review_sentences", "watchlist_entries", "conversations",
          "conversation_turns", "summary_cache", "llm_usage")


@dataclass(frozen=True, slots=True)
class PostgresCheck:
    location: str
    schema_version: int
    latest_schema_version: int
    counts: dict[str, int]

    @property
    def newer(self) -> bool:
        return self.schema_version > self.latest_schema_version

    @property
    def ok(self) -> bool:
        return not self.newer


async def check_postgres(url: str) -> PostgresCheck:
    """Read-only: one connection, no migrations."""
    with explained(url, opening=True):
        conn = await asyncpg.connect(url, timeout=10)
        try:
            exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
            version = int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")) if exists else 0
            counts = {}
            for table in TABLES:
                if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
                    counts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        finally:
            await conn.close()
    return PostgresCheck(redacted(url), version, latest_schema_version(), counts)
