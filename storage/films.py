"""Films and the names they are known by."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from storage.db import Database, Writer
from storage.normalize import normalize_title, title_variants
from storage.records import Film, FilmInput, TitleHit, TitleMatches
from storage.search import TitleQuery, WordQuery, fts5_query

_FILM_COLUMNS = (
    "f.id, f.title, f.year, f.original_title, f.directors, f.cast_members, f.characters, "
    "f.runtime_minutes, f.genres, f.logline, f.imdb_id, f.is_stub"
)


def _film_from_row(row: sqlite3.Row, aliases: Iterable[str] = ()) -> Film:
    return Film(
        id=row["id"],
        title=row["title"],
        year=row["year"],
        original_title=row["original_title"],
        aliases=tuple(aliases),
        directors=tuple(json.loads(row["directors"])),
        cast=tuple(json.loads(row["cast_members"])),
        characters=tuple(json.loads(row["characters"])),
        runtime_minutes=row["runtime_minutes"],
        genres=tuple(json.loads(row["genres"])),
        logline=row["logline"],
        imdb_id=row["imdb_id"],
        is_stub=bool(row["is_stub"]),
    )


class FilmRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reads -----------------------------------------------------------------------------------
    async def get(self, film_id: int) -> Film | None:
        row = await self._db.fetchone(f"SELECT {_FILM_COLUMNS} FROM films f WHERE f.id = ?", (film_id,))
        if row is None:
            return None
        # One row per normalised form ("The X" is also stored as "x"): each alias once, in order.
        aliases = await self._db.fetchall(
            "SELECT title FROM film_titles WHERE film_id = ? AND kind = 'alias' GROUP BY title ORDER BY min(id)",
            (film_id,),
        )
        return _film_from_row(row, (a["title"] for a in aliases))

    async def get_many(self, film_ids: Iterable[int]) -> list[Film]:
        films = []
        for film_id in dict.fromkeys(film_ids):
            film = await self.get(film_id)
            if film is not None:
                films.append(film)
        return films

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM films")
        return int(row[0]) if row else 0

    async def find_exact(self, norm: str, year: int | None = None) -> list[TitleHit]:
        """Films one of whose names normalises exactly to `norm` (of that year, if given).

        The year is filtered in SQL: a catalogue can hold hundreds of films with one name
        ("Hamlet"), and the one asked for must not fall outside a LIMIT."""
        select = (
            "SELECT t.film_id, f.title, f.year, t.title AS matched, t.norm "
            "FROM film_titles t JOIN films f ON f.id = t.film_id "
        )
        if year is None:
            rows = await self._db.fetchall(select + "WHERE t.norm = ? ORDER BY t.year, t.film_id LIMIT 50", (norm,))
        else:  # both columns of the (norm, year) index
            rows = await self._db.fetchall(
                select + "WHERE t.norm = ? AND t.year = ? ORDER BY t.film_id LIMIT 50", (norm, year)
            )
        return [_hit(r) for r in rows]

    async def find_prefix(self, norm: str, limit: int) -> list[TitleHit]:
        """Names starting with `norm`: a range scan of the index on film_titles.norm, in index
        order, so a one-letter prefix over a million names still reads only `limit` rows."""
        rows = await self._db.fetchall(
            "SELECT t.film_id, f.title, f.year, t.title AS matched, t.norm FROM film_titles t "
            "JOIN films f ON f.id = t.film_id WHERE t.norm >= ? AND t.norm < ? ORDER BY t.norm LIMIT ?",
            (norm, norm + "\U0010ffff", limit),
        )
        return [_hit(r) for r in rows]

    async def find_words(self, query: WordQuery, limit: int) -> list[TitleHit]:
        """Names containing the query's words (FTS5 over their words), up to `limit` of them.

        Not ordered by bm25: ranking every match of a common word costs more than the caller's
        own fuzzy ranking of the few it needs (the index returns them in rowid order)."""
        text = fts5_query(query)
        if not text:
            return []  # no terms: nothing to find (an empty MATCH is a syntax error)
        rows = await self._db.fetchall(
            "SELECT t.film_id, f.title, f.year, t.title AS matched, t.norm FROM "
            "(SELECT rowid FROM film_words WHERE film_words MATCH ? LIMIT ?) m "
            "JOIN film_titles t ON t.id = m.rowid JOIN films f ON f.id = t.film_id",
            (text, limit),
        )
        return [_hit(r) for r in rows]

    async def lookup(self, query: TitleQuery) -> TitleMatches:
        """The look-ups in turn, each only when needed: reads here are in-process, so nothing is
        asked in advance (not even the word queries, which cost a typo correction per word)."""
        named: list[TitleHit] = []
        for variant in query.variants:
            named = await self.find_exact(variant, query.year)
            if named:
                break
        if named:
            film = await self.get(named[0].film_id) if len({h.film_id for h in named}) == 1 else None
            return TitleMatches(named=tuple(named), film=film)
        wanted = query.candidates
        if wanted is None:
            return TitleMatches()
        exact = await self.find_exact(wanted.norm) if wanted.exact else []
        prefixed = await self.find_prefix(wanted.norm, wanted.limit)
        stamp = await self.names_stamp()
        words: list[TitleHit] | None = None
        if len({h.film_id for h in exact + prefixed}) < wanted.limit:
            words = []
            for word_query in wanted.words():
                words = await self.find_words(word_query, wanted.word_limit)
                if words:
                    break
        return TitleMatches(
            exact=tuple(exact), prefixed=tuple(prefixed), words=None if words is None else tuple(words),
            names_stamp=stamp,
        )

    async def vocabulary(self) -> list[str]:
        """Every distinct word of every film name (the word index's own vocabulary)."""
        rows = await self._db.fetchall("SELECT term FROM film_words_vocab")
        return [str(r[0]) for r in rows]

    async def popular(self, limit: int) -> list[TitleHit]:
        """Films to offer before anything is typed: the most reviewed here, then the most voted
        on IMDb, then by title."""
        rows = await self._db.fetchall(
            "SELECT f.id AS film_id, f.title, f.year, f.title AS matched, '' AS norm FROM films f "
            "JOIN (SELECT film_id, count(*) AS n FROM reviews GROUP BY film_id ORDER BY n DESC LIMIT ?) r "
            "ON r.film_id = f.id ORDER BY r.n DESC, f.title COLLATE NOCASE",
            (limit,),
        )
        hits = [_hit(r) for r in rows]
        if len(hits) < limit:
            seen = {h.film_id for h in hits}
            more = await self._db.fetchall(
                "SELECT f.id AS film_id, f.title, f.year, f.title AS matched, '' AS norm FROM films f "
                "WHERE f.imdb_votes IS NOT NULL ORDER BY f.imdb_votes DESC LIMIT ?",
                (limit,),
            )
            hits += [h for h in map(_hit, more) if h.film_id not in seen][: limit - len(hits)]
        return hits

    async def names_stamp(self) -> int:
        """Changes when names are added (the newest name's id): cheap staleness check for caches."""
        row = await self._db.fetchone("SELECT coalesce(max(id), 0) FROM film_titles")
        return int(row[0]) if row else 0

    async def find_by_title_year(self, title: str, year: int | None) -> Film | None:
        """The stored film with exactly this (normalised) main title and year, for imports."""
        norm = normalize_title(title)
        rows = await self._db.fetchall(
            "SELECT t.film_id FROM film_titles t JOIN films f ON f.id = t.film_id "
            "WHERE t.norm = ? AND (f.year IS ? OR ? IS NULL) ORDER BY t.kind = 'title' DESC, f.id",
            (norm, year, year),
        )
        return await self.get(rows[0]["film_id"]) if rows else None

    async def review_stats(self, film_id: int) -> tuple[int, float | None]:
        row = await self._db.fetchone(
            "SELECT count(*), avg(rating) FROM reviews WHERE film_id = ?", (film_id,)
        )
        assert row is not None
        return int(row[0]), (round(float(row[1]), 2) if row[1] is not None else None)

    async def similar(
        self, film_id: int, genres: Iterable[str], directors: Iterable[str], limit: int
    ) -> list[Film]:
        """Films sharing the most genres and directors with this one, better reviewed first."""
        wanted = [g.lower() for g in genres] + [d.lower() for d in directors]
        if not wanted:
            return []
        rows = await self._db.fetchall(
            "SELECT f.id, (SELECT count(*) FROM json_each(f.genres) g WHERE lower(g.value) IN "
            f"({','.join('?' * len(wanted))})) + 2 * (SELECT count(*) FROM json_each(f.directors) d "
            f"WHERE lower(d.value) IN ({','.join('?' * len(wanted))})) AS shared, "
            "(SELECT avg(rating) FROM reviews r WHERE r.film_id = f.id) AS avg_rating "
            "FROM films f WHERE f.id != ? AND f.is_stub = 0 AND f.id IN (SELECT film_id FROM reviews) "
            "ORDER BY shared DESC, avg_rating DESC LIMIT ?",
            [*wanted, *wanted, film_id, limit * 3],
        )
        ids = [r[0] for r in rows if r[1] > 0][:limit]
        return await self.get_many(ids)

    # --- writes ----------------------------------------------------------------------------------
    async def add(self, film: FilmInput) -> Film:
        async with self._db.transaction() as tx:
            film_id = await self.add_in(tx, film)
        stored = await self.get(film_id)
        assert stored is not None
        return stored

    async def add_stub(self, title: str, year: int | None) -> tuple[Film, bool]:
        """A minimal film (title, optional year), unless one with that main title (and year) exists.

        Returns (film, created). Find and insert share one transaction, so two people adding the
        same unknown film at the same moment get one record, not two identical ones.
        """
        async with self._db.transaction() as tx:
            film_id = await self.find_in(tx, title, year, include_stubs=True)
            created = film_id is None
            if film_id is None:
                film_id = await self.add_in(tx, FilmInput(title=title, year=year, is_stub=True))
        film = await self.get(film_id)
        assert film is not None
        return film, created

    @staticmethod
    async def find_in(tx: Writer, title: str, year: int | None, *, include_stubs: bool = False) -> int | None:
        """Inside a transaction: the id of the film with this main title and year (None if absent).

        Stubs (title-only records made by a watchlist add) are skipped unless asked for, so an
        import of the real film goes to `add_in`, which completes the stub instead of leaving two.
        """
        row = await tx.fetchone(
            "SELECT t.film_id FROM film_titles t JOIN films f ON f.id = t.film_id "
            "WHERE t.norm = ? AND t.kind = 'title' AND (f.year IS ? OR ? IS NULL) AND (? OR f.is_stub = 0) "
            "ORDER BY f.is_stub, f.id LIMIT 1",
            (normalize_title(title), year, year, include_stubs),
        )
        return int(row[0]) if row else None

    @staticmethod
    async def find_by_imdb_in(tx: Writer, imdb_id: str) -> int | None:
        """Inside a transaction: the id of the film with this IMDb id (None if absent)."""
        row = await tx.fetchone("SELECT id FROM films WHERE imdb_id = ?", (imdb_id,))
        return int(row[0]) if row else None

    @staticmethod
    async def add_in(tx: Writer, film: FilmInput) -> int:
        """Insert a film and its names inside an open transaction; returns its id.

        A stub with the same main title (and the same year, or none) is the same film: a full
        record completes it in place (watchlist entries pointing at it keep working). A new stub
        for a title already stored returns that film. So a title is never split between a stub
        and the real film.
        """
        if film.is_stub:
            existing = await FilmRepository.find_in(tx, film.title, film.year, include_stubs=True)
            if existing is not None:
                return existing
        stub = await tx.fetchone(
            "SELECT f.id FROM film_titles t JOIN films f ON f.id = t.film_id "
            "WHERE t.norm = ? AND t.kind = 'title' AND f.is_stub = 1 AND (f.year IS NULL OR f.year IS ?) "
            "ORDER BY f.year IS NULL, f.id LIMIT 1",
            (normalize_title(film.title), film.year),
        )
        values = (
            film.title,
            film.year,
            film.original_title,
            json.dumps(list(film.directors), ensure_ascii=False),
            json.dumps(list(film.cast), ensure_ascii=False),
            json.dumps(list(film.characters), ensure_ascii=False),
            film.runtime_minutes,
            json.dumps(list(film.genres), ensure_ascii=False),
            film.logline,
            film.imdb_id,
            int(film.is_stub),
        )
        if stub is not None:  # only for a full record: a stub input found it above
            film_id = int(stub[0])
            await tx.execute(
                "UPDATE films SET title = ?, year = ?, original_title = ?, directors = ?, cast_members = ?, "
                "characters = ?, runtime_minutes = ?, genres = ?, logline = ?, imdb_id = ?, is_stub = ?, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                (*values, film_id),
            )
            await tx.execute("DELETE FROM film_titles WHERE film_id = ?", (film_id,))
        else:
            row = await tx.fetchone(
                "INSERT INTO films (title, year, original_title, directors, cast_members, characters, "
                "runtime_minutes, genres, logline, imdb_id, is_stub) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                values,
            )
            assert row is not None
            film_id = int(row[0])
        names: list[tuple[str, str]] = [(film.title, "title")]
        if film.original_title:
            names.append((film.original_title, "original"))
        names.extend((alias, "alias") for alias in film.aliases)
        seen: set[str] = set()
        for name, kind in names:
            for norm in sorted(title_variants(name)):
                if norm in seen:
                    continue
                seen.add(norm)
                await tx.execute(
                    "INSERT INTO film_titles (film_id, title, norm, kind) VALUES (?,?,?,?)",
                    (film_id, name, norm, kind),
                )
        return film_id


def _hit(row: sqlite3.Row) -> TitleHit:
    return TitleHit(
        film_id=row["film_id"], title=row["title"], year=row["year"], matched=row["matched"], norm=row["norm"]
    )
