"""`reviewbot db copy SRC DST`: every row of one database into another, SQLite or PostgreSQL.

Both databases are opened (and migrated) as the bot would open them, so their schemas match; the
destination must hold no data. Tables are copied parent-first with their ids, in chunks, each table
in one transaction on the destination; booleans and JSON lists are converted between the backends'
types. At the end every table's row count is compared: a copy that lost anything fails loudly.

Another branch's new table is added to TABLES (and to both backends' migrations); see
docs/postgresql.md.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.backends import SqliteStore, open_store
from storage.errors import InvalidInput
from storage.ports import Store
from storage.postgres import PostgresStore

CHUNK = 5_000

# (table, columns, key to read it in order). Parents before children (foreign keys hold throughout).
TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("app_meta", ("key", "value"), "key"),
    ("films", ("id", "title", "year", "original_title", "directors", "cast_members", "characters",
               "runtime_minutes", "genres", "logline", "imdb_id", "tmdb_id", "is_stub", "created_at",
               "updated_at", "imdb_rating", "imdb_votes", "title_type"), "id"),
    ("film_titles", ("id", "film_id", "title", "norm", "kind", "year"), "id"),
    ("reviews", ("id", "film_id", "author", "author_user_id", "source", "rating", "text",
                 "author_flagged_spoilers", "content_hash", "created_at", "updated_at", "guild_id"), "id"),
    ("review_sentences", ("id", "review_id", "idx", "text", "spoiler_score", "author_marked", "topics"), "id"),
    ("user_prefs", ("user_id", "watchlist_shared"), "user_id"),
    ("watchlist_entries", ("id", "user_id", "scope", "film_id", "added_at", "watched_at", "rating", "note"), "id"),
    ("summary_cache", ("film_id", "mode", "engine", "prompt_version", "review_set_hash", "summary", "sources",
                       "notes", "input_tokens", "output_tokens", "created_at"),
     "film_id, mode, engine, prompt_version, review_set_hash"),
    ("review_digests", ("review_id", "engine", "prompt_version", "content_hash", "safe_digest", "spoiler_digest",
                        "input_tokens", "output_tokens", "created_at"), "review_id, engine, prompt_version"),
    ("llm_usage", ("id", "day", "user_id", "guild_id", "purpose", "input_tokens", "output_tokens", "created_at"),
     "id"),
    ("conversations", ("id", "key", "user_id", "film_id", "created_at", "updated_at"), "id"),
    ("conversation_turns", ("id", "conversation_id", "role", "user_id", "content", "tokens", "created_at"), "id"),
    ("guild_settings", ("guild_id", "spoilers_in_channel", "llm_cooldown_seconds", "updated_at"), "guild_id"),
)
# Integers 0/1 on SQLite, booleans on PostgreSQL.
BOOLEANS = frozenset({
    ("films", "is_stub"), ("reviews", "author_flagged_spoilers"), ("review_sentences", "author_marked"),
    ("user_prefs", "watchlist_shared"), ("guild_settings", "spoilers_in_channel"),
})

Progress = Callable[[str, int, int], None]  # (table, rows copied, rows in it)


@dataclass
class CopyReport:
    source: str
    destination: str
    counts: dict[str, int] = field(default_factory=dict)  # rows per table, equal on both sides
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


async def copy_database(
    source: str | Path, destination: str | Path, *, progress: Progress | None = None
) -> CopyReport:
    """Copy everything from `source` into the empty database `destination` (either backend)."""
    started = time.monotonic()
    if str(source) == str(destination):
        raise InvalidInput("The source and the destination are the same database.")
    src = await open_store(source, migrate=False)
    try:
        dst = await open_store(destination)
        try:
            report = CopyReport(src.location, dst.location)
            for table, _, _ in TABLES:
                if await _count(dst, table):
                    raise InvalidInput(
                        f"The destination {dst.location} already holds data ({table} is not empty): copy into a "
                        "new, empty database, so nothing there is mixed with or overwritten by the copy."
                    )
            for table, columns, order in TABLES:
                total = await _count(src, table)
                done = 0
                if progress:
                    progress(table, 0, total)
                async for chunk in _read(src, table, columns, order):
                    await _write(dst, table, columns, _convert(table, columns, chunk, to_pg=not _is_sqlite(dst)))
                    done += len(chunk)
                    if progress:
                        progress(table, done, total)
                report.counts[table] = total
            await _after_copy(dst)
            for table, expected in report.counts.items():
                found = await _count(dst, table)
                if found != expected:
                    raise RuntimeError(f"db copy: {table} has {found} rows in the destination, {expected} in the "
                                       "source")
        finally:
            await dst.close()
    finally:
        await src.close()
    report.seconds = time.monotonic() - started
    return report


def _is_sqlite(store: Store) -> bool:
    return isinstance(store, SqliteStore)


def _pg(store: Store) -> PostgresStore:
    assert isinstance(store, PostgresStore), store
    return store


async def _count(store: Store, table: str) -> int:
    if isinstance(store, SqliteStore):
        row = await store.db.fetchone(f"SELECT count(*) FROM {table}")
        return int(row[0]) if row else 0
    return int(await _pg(store).db.fetchval(f"SELECT count(*) FROM {table}"))


async def _read(store: Store, table: str, columns: Sequence[str], order: str) -> Any:
    """Chunks of rows, in key order (keyset pagination would need per-table keys; OFFSET is fine at
    the sizes a copy runs at, and each chunk is one query)."""
    cols = ", ".join(columns)
    for offset in itertools.count(0, CHUNK):
        if isinstance(store, SqliteStore):
            rows = [tuple(r) for r in await store.db.fetchall(
                f"SELECT {cols} FROM {table} ORDER BY {order} LIMIT ? OFFSET ?", (CHUNK, offset)
            )]
        else:
            rows = [tuple(r) for r in await _pg(store).db.fetch(
                f"SELECT {cols} FROM {table} ORDER BY {order} LIMIT $1 OFFSET $2", CHUNK, offset
            )]
        if not rows:
            return
        yield rows
        if len(rows) < CHUNK:
            return


def _convert(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], *, to_pg: bool) -> list[tuple[Any, ...]]:
    flags = [i for i, c in enumerate(columns) if (table, c) in BOOLEANS]
    if not flags:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i in flags:
            if values[i] is not None:
                values[i] = bool(values[i]) if to_pg else int(values[i])
        out.append(tuple(values))
    return out


async def _write(store: Store, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if isinstance(store, SqliteStore):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        async with store.db.transaction() as tx:
            await tx.executemany(sql, rows)
        return
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    async with _pg(store).db.transaction() as conn:
        await conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)


async def _after_copy(store: Store) -> None:
    """PostgreSQL: identity sequences continue after the copied ids, and the planner learns the new
    tables' sizes (without ANALYZE, look-ups on a freshly copied catalogue take seconds-long plans);
    VACUUM marks the new pages all-visible, so the title-word look-ups are index-only scans."""
    if isinstance(store, SqliteStore):
        return
    for table, columns, _ in TABLES:
        if "id" in columns:
            await _pg(store).db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
            )
    await _pg(store).db.execute("VACUUM ANALYZE")
