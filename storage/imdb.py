"""Bulk loading of the IMDb non-commercial datasets into `films` (all of its SQL lives here).

The five files are streamed into TEMP staging tables in batches (SQLite keeps them on disk, so
memory stays bounded whatever the catalogue size), then films are upserted with set-based SQL:
one statement joins the staged crew, principals and names into each film's JSON lists. It all
happens in ONE transaction: an interrupted import leaves the database as it was, and running it
again updates films in place (matched on `imdb_id`), never duplicating them.

This runs synchronously on its own sqlite3 connection in a worker thread: a bulk import is a
batch job, and aiosqlite's one-statement-at-a-time bridge would only slow it down.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from storage.db import BUSY_TIMEOUT_MS
from storage.normalize import normalize_title, title_variants

BATCH = 20_000

_STAGING = """
CREATE TEMP TABLE imdb_basics (
    tconst TEXT PRIMARY KEY, title_type TEXT, title TEXT NOT NULL, original TEXT, year INTEGER,
    runtime INTEGER, genres TEXT NOT NULL
);
CREATE TEMP TABLE imdb_ratings (tconst TEXT PRIMARY KEY, rating REAL, votes INTEGER);
CREATE TEMP TABLE imdb_crew (tconst TEXT PRIMARY KEY, directors TEXT NOT NULL);
CREATE TEMP TABLE imdb_principals (tconst TEXT NOT NULL, ordering INTEGER, nconst TEXT, characters TEXT);
CREATE TEMP TABLE imdb_names (nconst TEXT PRIMARY KEY, name TEXT NOT NULL);
"""
_STAGING_INDEXES = "CREATE INDEX temp.imdb_principals_tconst ON imdb_principals(tconst, ordering);"


def _alternate_norm(title: str | None) -> str | None:
    """The normalised title without its leading article ('the prestige' -> 'prestige'), if any."""
    if not title:
        return None
    base = normalize_title(title)
    others = title_variants(title) - {base}
    return next(iter(others), None)


class ImdbLoader:
    """Usage: `with ImdbLoader(path) as loader: loader.stage_*(rows)…; counts = loader.finish()`."""

    def __init__(self, db_path: Path) -> None:
        self._conn = sqlite3.connect(db_path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA temp_store=FILE")
        self._conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache for the joins
        self._conn.create_function("normalize_title", 1, normalize_title, deterministic=True)
        self._conn.create_function("alternate_norm", 1, _alternate_norm, deterministic=True)
        self._conn.execute("BEGIN IMMEDIATE")
        for statement in _STAGING.strip().split(";"):
            if statement.strip():
                self._conn.execute(statement)
        self._done = False

    def __enter__(self) -> ImdbLoader:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if not self._done:
                self._conn.execute("ROLLBACK")
        finally:
            self._conn.close()

    # --- staging ---------------------------------------------------------------------------------
    def stage_basics(self, rows: Iterable[Sequence[object]]) -> None:
        """(tconst, title_type, title, original, year, runtime, genres_json)"""
        self._many("INSERT OR REPLACE INTO imdb_basics VALUES (?,?,?,?,?,?,?)", rows)

    def stage_ratings(self, rows: Iterable[Sequence[object]]) -> None:
        self._many("INSERT OR REPLACE INTO imdb_ratings VALUES (?,?,?)", rows)

    def stage_crew(self, rows: Iterable[Sequence[object]]) -> None:
        """(tconst, directors_json: JSON list of nconst)"""
        self._many("INSERT OR REPLACE INTO imdb_crew VALUES (?,?)", rows)

    def stage_principals(self, rows: Iterable[Sequence[object]]) -> None:
        """(tconst, ordering, nconst, characters_json)"""
        self._many("INSERT INTO imdb_principals VALUES (?,?,?,?)", rows)

    def stage_names(self, rows: Iterable[Sequence[object]]) -> None:
        self._many("INSERT OR REPLACE INTO imdb_names VALUES (?,?)", rows)

    def _many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        batch: list[Sequence[object]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._conn.executemany(sql, batch)
                batch.clear()
        if batch:
            self._conn.executemany(sql, batch)

    # --- the upsert ------------------------------------------------------------------------------
    def finish(self, progress: Callable[[str], None] | None = None) -> dict[str, int]:
        """Upsert the staged titles into films and their names; COMMIT. Returns counts."""
        conn = self._conn
        say = progress or (lambda _stage: None)
        conn.execute(_STAGING_INDEXES)
        before = conn.execute("SELECT count(*) FROM films WHERE imdb_id IS NOT NULL").fetchone()[0]
        say("joining crew and cast")
        conn.execute(
            """
            INSERT INTO films (title, year, original_title, directors, cast_members, characters, runtime_minutes,
                               genres, imdb_id, imdb_rating, imdb_votes, title_type)
            SELECT b.title, b.year, CASE WHEN b.original != b.title THEN b.original END,
                   coalesce((SELECT json_group_array(n.name) FROM imdb_crew c, json_each(c.directors) d
                             JOIN imdb_names n ON n.nconst = d.value WHERE c.tconst = b.tconst), '[]'),
                   coalesce((SELECT json_group_array(name) FROM (
                             SELECT n.name FROM imdb_principals p JOIN imdb_names n ON n.nconst = p.nconst
                             WHERE p.tconst = b.tconst ORDER BY p.ordering LIMIT 8)), '[]'),
                   coalesce((SELECT json_group_array(ch.value) FROM imdb_principals p, json_each(p.characters) ch
                             WHERE p.tconst = b.tconst AND json_valid(p.characters)), '[]'),
                   b.runtime, b.genres, b.tconst, r.rating, r.votes, b.title_type
            FROM imdb_basics b LEFT JOIN imdb_ratings r ON r.tconst = b.tconst WHERE true
            ON CONFLICT(imdb_id) DO UPDATE SET
                title = excluded.title, year = excluded.year, original_title = excluded.original_title,
                directors = excluded.directors, cast_members = excluded.cast_members,
                characters = excluded.characters, runtime_minutes = excluded.runtime_minutes,
                genres = excluded.genres, imdb_rating = excluded.imdb_rating, imdb_votes = excluded.imdb_votes,
                title_type = excluded.title_type, is_stub = 0,
                updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
            """
        )
        say("indexing titles")
        # Names that no longer match the film (a retitled film on re-import) go; current ones are
        # inserted unless present (UNIQUE(film_id, norm)), so a re-run rewrites nothing unchanged. (A
        # NULL original title in the NOT IN list made it NULL for every name: old names stayed.)
        conn.execute(
            """
            DELETE FROM film_titles WHERE kind IN ('title', 'original') AND film_id IN (
                SELECT f.id FROM films f JOIN imdb_basics b ON b.tconst = f.imdb_id)
            AND title NOT IN (SELECT f.title FROM films f WHERE f.id = film_titles.film_id
                              UNION SELECT f.original_title FROM films f WHERE f.id = film_titles.film_id
                              AND f.original_title IS NOT NULL)
            """
        )
        for column, kind, expression in (
            ("f.title", "title", "normalize_title(f.title)"),
            ("f.title", "title", "alternate_norm(f.title)"),
            ("f.original_title", "original", "normalize_title(f.original_title)"),
        ):
            conn.execute(
                f"""
                INSERT OR IGNORE INTO film_titles (film_id, title, norm, kind)
                SELECT f.id, {column}, {expression}, '{kind}' FROM films f JOIN imdb_basics b ON b.tconst = f.imdb_id
                WHERE {column} IS NOT NULL AND {expression} IS NOT NULL AND {expression} != ''
                """
            )
        staged = conn.execute("SELECT count(*) FROM imdb_basics").fetchone()[0]
        after = conn.execute("SELECT count(*) FROM films WHERE imdb_id IS NOT NULL").fetchone()[0]
        conn.execute("COMMIT")
        self._done = True
        return {"titles": staged, "added": after - before, "updated": staged - (after - before)}


def staged_json(values: Iterable[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)
