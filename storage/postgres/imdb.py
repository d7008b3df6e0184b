"""Bulk loading of the IMDb datasets into PostgreSQL: the same contract as storage/imdb.py.

The five files stream into TEMP staging tables with COPY (asyncpg's `copy_records_to_table`, in
batches, so memory stays bounded), then films are upserted with set-based SQL, all in ONE
transaction on one pooled connection: an interrupted import leaves the database as it was, and a
re-run updates films in place (matched on `imdb_id`).

The reading side (bot/importers/imdb.py) is synchronous and runs in a worker thread, as on SQLite;
each batch is handed to the event loop (`run_coroutine_threadsafe`), which owns the connection.
SQLite calls Python's normalize_title from SQL; here the names are normalised while staging.
Staged rows repeated in a file count once, the last one winning (SQLite's INSERT OR REPLACE).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, TypeVar

from storage.normalize import normalize_title, title_variants
from storage.postgres.db import Conn

BATCH = 20_000
T = TypeVar("T")

_STAGING = (
    "CREATE TEMP TABLE imdb_basics (seq BIGINT GENERATED ALWAYS AS IDENTITY, tconst TEXT NOT NULL, title_type TEXT, "
    "title TEXT NOT NULL, original TEXT, year INTEGER, runtime INTEGER, genres TEXT NOT NULL, title_norm TEXT, "
    "alternate_norm TEXT, original_norm TEXT) ON COMMIT DROP",
    "CREATE TEMP TABLE imdb_ratings (seq BIGINT GENERATED ALWAYS AS IDENTITY, tconst TEXT NOT NULL, "
    "rating DOUBLE PRECISION, votes INTEGER) ON COMMIT DROP",
    "CREATE TEMP TABLE imdb_crew (seq BIGINT GENERATED ALWAYS AS IDENTITY, tconst TEXT NOT NULL, "
    "directors TEXT NOT NULL) ON COMMIT DROP",
    "CREATE TEMP TABLE imdb_principals (tconst TEXT NOT NULL, ordering INTEGER, nconst TEXT, characters TEXT) "
    "ON COMMIT DROP",
    "CREATE TEMP TABLE imdb_names (seq BIGINT GENERATED ALWAYS AS IDENTITY, nconst TEXT NOT NULL, name TEXT NOT NULL) "
    "ON COMMIT DROP",
)
# The last staged row of each key, as keyed tables (SQLite's INSERT OR REPLACE); indexed for the joins.
_DEDUPLICATE = (
    "CREATE TEMP TABLE basics ON COMMIT DROP AS SELECT DISTINCT ON (tconst) * FROM imdb_basics "
    "ORDER BY tconst, seq DESC",
    "CREATE TEMP TABLE ratings ON COMMIT DROP AS SELECT DISTINCT ON (tconst) * FROM imdb_ratings "
    "ORDER BY tconst, seq DESC",
    "CREATE TEMP TABLE crew ON COMMIT DROP AS SELECT DISTINCT ON (tconst) tconst, directors::jsonb AS directors "
    "FROM imdb_crew ORDER BY tconst, seq DESC",
    "CREATE TEMP TABLE names ON COMMIT DROP AS SELECT DISTINCT ON (nconst) * FROM imdb_names "
    "ORDER BY nconst, seq DESC",
    "CREATE UNIQUE INDEX ON basics (tconst)",
    "CREATE UNIQUE INDEX ON ratings (tconst)",
    "CREATE UNIQUE INDEX ON crew (tconst)",
    "CREATE UNIQUE INDEX ON names (nconst)",
    "CREATE INDEX ON imdb_principals (tconst, ordering)",
    "ANALYZE basics",
    "ANALYZE ratings",
    "ANALYZE crew",
    "ANALYZE names",
    "ANALYZE imdb_principals",
)
_UPSERT_FILMS = """
INSERT INTO films (title, year, original_title, directors, cast_members, characters, runtime_minutes, genres,
                   imdb_id, imdb_rating, imdb_votes, title_type)
SELECT b.title, b.year, CASE WHEN b.original <> b.title THEN b.original END,
       coalesce((SELECT jsonb_agg(n.name ORDER BY d.position) FROM crew c
                 CROSS JOIN LATERAL jsonb_array_elements_text(c.directors) WITH ORDINALITY AS d(nconst, position)
                 JOIN names n ON n.nconst = d.nconst WHERE c.tconst = b.tconst), '[]'),
       coalesce((SELECT jsonb_agg(x.name ORDER BY x.ordering, x.seq) FROM (
                 SELECT n.name, p.ordering, n.seq FROM imdb_principals p JOIN names n ON n.nconst = p.nconst
                 WHERE p.tconst = b.tconst ORDER BY p.ordering, n.seq LIMIT 8) x), '[]'),
       coalesce((SELECT jsonb_agg(ch.value ORDER BY p.ordering, ch.position) FROM imdb_principals p
                 CROSS JOIN LATERAL jsonb_array_elements_text(p.characters::jsonb)
                     WITH ORDINALITY AS ch(value, position)
                 WHERE p.tconst = b.tconst AND p.characters IS NOT NULL), '[]'),
       b.runtime, b.genres::jsonb, b.tconst, r.rating, r.votes, b.title_type
FROM basics b LEFT JOIN ratings r ON r.tconst = b.tconst
ORDER BY b.seq
ON CONFLICT (imdb_id) DO UPDATE SET
    title = excluded.title, year = excluded.year, original_title = excluded.original_title,
    directors = excluded.directors, cast_members = excluded.cast_members, characters = excluded.characters,
    runtime_minutes = excluded.runtime_minutes, genres = excluded.genres, imdb_rating = excluded.imdb_rating,
    imdb_votes = excluded.imdb_votes, title_type = excluded.title_type, is_stub = false, updated_at = utc_now_text()
"""
# Names that no longer match the film (a retitled film on re-import) go; current ones are inserted
# unless present (UNIQUE(film_id, norm)), so a re-run rewrites nothing unchanged.
_DROP_OLD_NAMES = """
DELETE FROM film_titles t USING films f, basics b
WHERE t.film_id = f.id AND b.tconst = f.imdb_id AND t.kind IN ('title', 'original')
  AND t.title IS DISTINCT FROM f.title AND t.title IS DISTINCT FROM f.original_title
"""
_ADD_NAMES = [
    f"""
    INSERT INTO film_titles (film_id, title, norm, kind)
    SELECT f.id, {column}, {norm}, '{kind}' FROM films f JOIN basics b ON b.tconst = f.imdb_id
    WHERE {column} IS NOT NULL AND {norm} IS NOT NULL AND {norm} <> '' ORDER BY f.id
    ON CONFLICT (film_id, norm) DO NOTHING
    """
    for column, norm, kind in (
        ("f.title", "b.title_norm", "title"),
        ("f.title", "b.alternate_norm", "title"),
        ("f.original_title", "b.original_norm", "original"),
    )
]


def _alternate_norm(title: str | None) -> str | None:
    """The normalised title without its leading article ('the prestige' -> 'prestige'), if any."""
    if not title:
        return None
    base = normalize_title(title)
    return next(iter(title_variants(title) - {base}), None)


def _characters(value: object) -> str | None:
    """IMDb's characters field (a JSON list of names) as a JSON array, or None if it is not JSON:
    what SQLite's json_each reads from it (a list's items, an object's values, a scalar itself)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    items = parsed if isinstance(parsed, list) else list(parsed.values()) if isinstance(parsed, dict) else [parsed]
    return json.dumps([i if isinstance(i, str) else json.dumps(i) for i in items if i is not None], ensure_ascii=False)


class PgImdbLoader:
    """A CatalogueLoader (storage/ports.py) on one connection inside an open transaction. Its
    methods are called from a worker thread; their SQL runs on `loop`, which owns `conn`."""

    def __init__(self, conn: Conn, loop: asyncio.AbstractEventLoop) -> None:
        self._conn = conn
        self._loop = loop

    async def create_staging(self) -> None:
        for statement in _STAGING:
            await self._conn.execute(statement)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    # --- staging ---------------------------------------------------------------------------------
    def stage_basics(self, rows: Iterable[Sequence[object]]) -> None:
        """(tconst, title_type, title, original, year, runtime, genres_json), normalised names added."""

        def with_norms() -> Iterable[Sequence[object]]:
            for tconst, title_type, title, original, year, runtime, genres in rows:
                original_norm = normalize_title(str(original)) if original and original != title else None
                yield (tconst, title_type, title, original, year, runtime, genres, normalize_title(str(title)),
                       _alternate_norm(str(title)), original_norm)

        self._copy("imdb_basics", ("tconst", "title_type", "title", "original", "year", "runtime", "genres",
                                   "title_norm", "alternate_norm", "original_norm"), with_norms())

    def stage_ratings(self, rows: Iterable[Sequence[object]]) -> None:
        self._copy("imdb_ratings", ("tconst", "rating", "votes"), rows)

    def stage_crew(self, rows: Iterable[Sequence[object]]) -> None:
        """(tconst, directors_json: JSON list of nconst)"""
        self._copy("imdb_crew", ("tconst", "directors"), rows)

    def stage_principals(self, rows: Iterable[Sequence[object]]) -> None:
        """(tconst, ordering, nconst, characters_json)"""
        self._copy("imdb_principals", ("tconst", "ordering", "nconst", "characters"),
                   ((t, o, n, _characters(c)) for t, o, n, c in rows))

    def stage_names(self, rows: Iterable[Sequence[object]]) -> None:
        self._copy("imdb_names", ("nconst", "name"), rows)

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        batch: list[tuple[object, ...]] = []
        for row in rows:
            batch.append(tuple(row))
            if len(batch) >= BATCH:
                self._run(self._conn.copy_records_to_table(table, records=batch, columns=list(columns)))
                batch = []
        if batch:
            self._run(self._conn.copy_records_to_table(table, records=batch, columns=list(columns)))

    # --- the upsert ------------------------------------------------------------------------------
    def finish(self, progress: Callable[[str], None] | None = None) -> dict[str, int]:
        """Upsert the staged titles into films and their names. Returns counts; the caller's
        transaction commits."""
        return self._run(self._finish(progress or (lambda _stage: None)))

    async def _finish(self, say: Callable[[str], None]) -> dict[str, int]:
        conn = self._conn
        for statement in _DEDUPLICATE:
            await conn.execute(statement)
        before = int(await conn.fetchval("SELECT count(*) FROM films WHERE imdb_id IS NOT NULL"))
        say("joining crew and cast")
        await conn.execute(_UPSERT_FILMS)
        say("indexing titles")
        await conn.execute(_DROP_OLD_NAMES)
        for statement in _ADD_NAMES:
            await conn.execute(statement)
        staged = int(await conn.fetchval("SELECT count(*) FROM basics"))
        after = int(await conn.fetchval("SELECT count(*) FROM films WHERE imdb_id IS NOT NULL"))
        return {"titles": staged, "added": after - before, "updated": staged - (after - before)}
