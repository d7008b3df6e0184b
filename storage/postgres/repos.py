"""The repositories on PostgreSQL: the contract of storage/ports.py, in PostgreSQL's SQL.

Word searches use tsvector columns with GIN indexes (storage/postgres/migrations/0001_initial.sql);
writes that SQLite serialises with its single writer take a row or advisory lock here, since
several processes write at once.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg

from storage.normalize import normalize_title, title_variants
from storage.postgres.db import Conn, PostgresDatabase, rowcount
from storage.postgres.limits import PgUsageReservations
from storage.records import (
    CachedSummary,
    Digest,
    Film,
    FilmInput,
    GuildSettings,
    Review,
    ReviewInput,
    Sentence,
    SentenceHit,
    SummaryKey,
    TitleHit,
    TitleMatches,
    Turn,
    WatchlistEntry,
)
from storage.search import Term, TitleQuery, WordQuery
from storage.single_flight import LEASE_SECONDS, KeyedLocks, key_text, leased
from storage.users import REDACTED

_FILM_COLUMNS = (
    "f.id, f.title, f.year, f.original_title, f.directors, f.cast_members, f.characters, "
    "f.runtime_minutes, f.genres, f.logline, f.imdb_id, f.is_stub"
)
_HIT = "t.film_id, f.title, f.year, t.title AS matched, t.norm"
# Films with their aliases, in one round trip ($1: an array of ids).
_FILMS_BY_ID = (
    f"SELECT {_FILM_COLUMNS}, ARRAY(SELECT a.title FROM film_titles a WHERE a.film_id = f.id AND a.kind = 'alias' "
    "GROUP BY a.title ORDER BY min(a.id)) AS aliases FROM films f WHERE f.id = ANY($1::bigint[])"
)


def tsquery_term(term: Term) -> str:
    """A word as a quoted tsquery lexeme (so &, |, ! and : in it are just characters)."""
    quoted = "'" + term.word.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + ":*" if term.prefix else quoted


def _film(row: asyncpg.Record, aliases: Iterable[str] = (), *, id_column: str = "id") -> Film:
    return Film(
        id=row[id_column], title=row["title"], year=row["year"], original_title=row["original_title"],
        aliases=tuple(aliases), directors=tuple(json.loads(row["directors"])),
        cast=tuple(json.loads(row["cast_members"])), characters=tuple(json.loads(row["characters"])),
        runtime_minutes=row["runtime_minutes"], genres=tuple(json.loads(row["genres"])), logline=row["logline"],
        imdb_id=row["imdb_id"], is_stub=bool(row["is_stub"]),
    )


def _hit(row: asyncpg.Record) -> TitleHit:
    return TitleHit(film_id=row["film_id"], title=row["title"], year=row["year"], matched=row["matched"],
                    norm=row["norm"])


def _word_names(query: WordQuery, args: list[object]) -> str | None:
    """The ids of the names with a term of every group of `query` (or, match_all=False, of any), as
    a subquery whose parameters are appended to `args`; None for a query without terms.

    Each term is a range scan of film_title_words' byte-ordered key (`word = w`: w up to w + U+0001;
    a prefix: up to w + U+10FFFF); a group is the UNION of its terms, the groups are INTERSECTed (or
    UNIONed). (A single statement over arrays of terms, grouped and counted per name, took 10 ms
    where this takes 1.5: it materialised every hit of 'the'.)"""
    groups = []
    for group in query.groups:
        terms = []
        for term in dict.fromkeys(group):
            args += [term.word, term.word + ("\U0010ffff" if term.prefix else "\x01")]
            terms.append(
                f"SELECT title_id FROM film_title_words WHERE word >= ${len(args) - 1} AND word < ${len(args)}"
            )
        if terms:
            groups.append("(" + " UNION ".join(terms) + ")")
    if not groups:
        return None
    return (" INTERSECT " if query.match_all else " UNION ").join(groups)


# The parts of a lookup statement's result, in this order: each row carries its part, its place in
# it (k), a TitleHit's columns, and for the film named, its other columns (NULL in other rows).
_FILM, _NAMED, _EXACT, _PREFIX, _STAMP, _WORDS = range(6)  # _WORDS + i: the i-th word query
_NO_FILM = ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"


def _lookup_statement(query: TitleQuery, word_queries: Sequence[WordQuery]) -> tuple[str, list[object]]:
    """PgFilmRepository.lookup's statement: find_exact for every variant (the first found is kept),
    and find_exact, find_prefix, names_stamp and find_words as they are written above, each behind
    a condition on the parts before it. One text per shape (year or not, candidates, word queries),
    so asyncpg prepares each shape once per connection."""
    args: list[object] = [list(query.variants)]
    order, of_year = "t.year NULLS FIRST, t.film_id", ""
    if query.year is not None:
        args.append(query.year)
        order, of_year = "t.film_id", f" AND t.year = ${len(args)}::int"
    ctes = [
        "named AS (SELECT v.i, h.* FROM unnest($1::text[]) WITH ORDINALITY AS v(norm, i) CROSS JOIN LATERAL "
        f"(SELECT {_HIT}, row_number() OVER (ORDER BY {order}) AS k FROM film_titles t "
        f'JOIN films f ON f.id = t.film_id WHERE t.norm = v.norm COLLATE "C"{of_year} ORDER BY {order} LIMIT 50) h)',
        "named_first AS (SELECT * FROM named WHERE i = (SELECT min(i) FROM named))",
    ]
    parts = [
        f"SELECT {_FILM} AS part, 0::bigint AS k, f.id AS film_id, f.title, f.year, NULL::text AS matched, "
        f"NULL::text AS norm, f.original_title, f.directors, f.cast_members, f.characters, f.runtime_minutes, "
        "f.genres, f.logline, f.imdb_id, f.is_stub, ARRAY(SELECT a.title FROM film_titles a WHERE a.film_id = f.id "
        "AND a.kind = 'alias' GROUP BY a.title ORDER BY min(a.id)) AS aliases FROM films f "
        "WHERE f.id = (SELECT min(film_id) FROM named_first HAVING count(DISTINCT film_id) = 1)",
        f"SELECT {_NAMED}, k, film_id, title, year, matched, norm{_NO_FILM} FROM named_first",
    ]
    wanted = query.candidates
    if wanted is not None:
        args += [wanted.norm, wanted.norm + "\U0010ffff", wanted.limit]
        norm, end, limit = (f"${len(args) - 2}::text", f"${len(args) - 1}::text", f"${len(args)}::int")
        unnamed = "NOT EXISTS (SELECT 1 FROM named)"
        films_found = ["SELECT film_id FROM prefixed"]
        if wanted.exact:
            ctes.append(
                f"exact AS (SELECT {_HIT}, row_number() OVER (ORDER BY t.year NULLS FIRST, t.film_id) AS k "
                f"FROM film_titles t JOIN films f ON f.id = t.film_id WHERE t.norm = {norm} AND {unnamed} "
                "ORDER BY t.year NULLS FIRST, t.film_id LIMIT 50)"
            )
            parts.append(f"SELECT {_EXACT}, k, film_id, title, year, matched, norm{_NO_FILM} FROM exact")
            films_found.append("SELECT film_id FROM exact")
        ctes.append(
            f"prefixed AS (SELECT {_HIT}, row_number() OVER (ORDER BY t.norm) AS k FROM film_titles t "
            f"JOIN films f ON f.id = t.film_id WHERE t.norm >= {norm} AND t.norm < {end} AND {unnamed} "
            f"ORDER BY t.norm LIMIT {limit})"
        )
        parts.append(f"SELECT {_PREFIX}, k, film_id, title, year, matched, norm{_NO_FILM} FROM prefixed")
        parts.append(
            f"SELECT {_STAMP}, 0, s.stamp, NULL, NULL, NULL, NULL{_NO_FILM} FROM "
            f"(SELECT coalesce(max(id), 0) AS stamp FROM film_titles) s WHERE {unnamed}"
        )
        words_wanted = (
            f"{unnamed} AND (SELECT count(DISTINCT film_id) FROM ({' UNION ALL '.join(films_found)}) c) < {limit}"
        )
        for i, word_query in enumerate(word_queries):
            names = _word_names(word_query, args)
            assert names is not None  # queries without terms are left out by the caller
            args.append(wanted.word_limit)
            earlier = "".join(f" AND NOT EXISTS (SELECT 1 FROM words{j})" for j in range(i))
            ctes.append(
                f"words{i} AS (SELECT {_HIT}, t.id AS k FROM film_titles t JOIN films f ON f.id = t.film_id "
                f"WHERE {words_wanted}{earlier} AND t.id = ANY(ARRAY(SELECT title_id FROM ({names}) m "
                f"ORDER BY title_id LIMIT ${len(args)}::int)))"
            )
            parts.append(f"SELECT {_WORDS + i}, k, film_id, title, year, matched, norm{_NO_FILM} FROM words{i}")
    sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(parts) + " ORDER BY part, k"
    return sql, args


class PgFilmRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def get(self, film_id: int) -> Film | None:
        rows = await self._db.fetch(_FILMS_BY_ID, [film_id])
        return _film(rows[0], rows[0]["aliases"]) if rows else None

    async def get_many(self, film_ids: Iterable[int]) -> list[Film]:
        """In the order asked, each once, missing ones left out: one round trip for them all."""
        wanted = list(dict.fromkeys(film_ids))
        if not wanted:
            return []
        found = {r["id"]: _film(r, r["aliases"]) for r in await self._db.fetch(_FILMS_BY_ID, wanted)}
        return [found[i] for i in wanted if i in found]

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM films"))

    async def find_exact(self, norm: str, year: int | None = None) -> list[TitleHit]:
        select = f"SELECT {_HIT} FROM film_titles t JOIN films f ON f.id = t.film_id "
        if year is None:
            rows = await self._db.fetch(select + "WHERE t.norm = $1 ORDER BY t.year NULLS FIRST, t.film_id LIMIT 50",
                                        norm)
        else:
            rows = await self._db.fetch(select + "WHERE t.norm = $1 AND t.year = $2 ORDER BY t.film_id LIMIT 50",
                                        norm, year)
        return [_hit(r) for r in rows]

    async def find_prefix(self, norm: str, limit: int) -> list[TitleHit]:
        """A range scan of the byte-ordered (COLLATE "C") index on norm, as on SQLite."""
        rows = await self._db.fetch(
            f"SELECT {_HIT} FROM film_titles t JOIN films f ON f.id = t.film_id "
            "WHERE t.norm >= $1 AND t.norm < $2 ORDER BY t.norm LIMIT $3",
            norm, norm + "\U0010ffff", limit,
        )
        return [_hit(r) for r in rows]

    async def find_words(self, query: WordQuery, limit: int) -> list[TitleHit]:
        """The first `limit` names (by id, as FTS5 returns them on SQLite) with a term of every group
        (or, match_all=False, of any group): see `_word_names`. One statement per shape of query,
        prepared once per connection."""
        args: list[object] = []
        names = _word_names(query, args)
        if names is None:
            return []
        args.append(limit)
        rows = await self._db.fetch(
            f"SELECT {_HIT} FROM film_titles t JOIN films f ON f.id = t.film_id WHERE t.id = ANY(ARRAY("
            f"SELECT title_id FROM ({names}) m ORDER BY title_id LIMIT ${len(args)})) ORDER BY t.id",
            *args,
        )
        return [_hit(r) for r in rows]

    async def lookup(self, query: TitleQuery) -> TitleMatches:
        """Every look-up a resolution may need in one statement (one round trip): the exact names,
        and only if none is found (a one-time filter: the parts not needed are never executed) the
        candidates, their word stage only if exact and prefix hits are fewer than the limit's films.
        The word queries are built up front for this: a typo correction per word, about 0.1 ms a
        title on the 10k bench catalogue, where a round trip costs more."""
        wanted = query.candidates
        # A query without terms finds nothing (find_words returns []): it is left out.
        word_queries = [q for q in wanted.words() if any(q.groups)] if wanted is not None else []
        sql, args = _lookup_statement(query, word_queries)
        parts: defaultdict[int, list[asyncpg.Record]] = defaultdict(list)
        for row in await self._db.fetch(sql, *args):
            parts[row["part"]].append(row)
        named = tuple(_hit(r) for r in parts[_NAMED])
        if named or wanted is None:
            film = next((_film(r, r["aliases"], id_column="film_id") for r in parts[_FILM]), None)
            return TitleMatches(named=named, film=film)
        exact = tuple(_hit(r) for r in parts[_EXACT])
        prefixed = tuple(_hit(r) for r in parts[_PREFIX])
        words: tuple[TitleHit, ...] | None = None
        if len({h.film_id for h in exact + prefixed}) < wanted.limit:  # the statement's own condition
            words = next((hits for i in range(len(word_queries)) if (hits := tuple(map(_hit, parts[_WORDS + i])))), ())
        return TitleMatches(exact=exact, prefixed=prefixed, words=words, names_stamp=int(parts[_STAMP][0]["film_id"]))

    async def vocabulary(self) -> list[str]:
        rows = await self._db.fetch("SELECT DISTINCT word FROM film_title_words")
        return [str(r[0]) for r in rows]

    async def popular(self, limit: int) -> list[TitleHit]:
        rows = await self._db.fetch(
            "SELECT f.id AS film_id, f.title, f.year, f.title AS matched, '' AS norm FROM films f "
            "JOIN (SELECT film_id, count(*) AS n FROM reviews GROUP BY film_id ORDER BY n DESC LIMIT $1) r "
            "ON r.film_id = f.id ORDER BY r.n DESC, lower(f.title)",
            limit,
        )
        hits = [_hit(r) for r in rows]
        if len(hits) < limit:
            seen = {h.film_id for h in hits}
            more = await self._db.fetch(
                "SELECT f.id AS film_id, f.title, f.year, f.title AS matched, '' AS norm FROM films f "
                "WHERE f.imdb_votes IS NOT NULL ORDER BY f.imdb_votes DESC LIMIT $1",
                limit,
            )
            hits += [h for h in map(_hit, more) if h.film_id not in seen][: limit - len(hits)]
        return hits

    async def names_stamp(self) -> int:
        return int(await self._db.fetchval("SELECT coalesce(max(id), 0) FROM film_titles"))

    async def find_by_title_year(self, title: str, year: int | None) -> Film | None:
        rows = await self._db.fetch(
            "SELECT t.film_id FROM film_titles t JOIN films f ON f.id = t.film_id "
            "WHERE t.norm = $1 AND (f.year IS NOT DISTINCT FROM $2::int OR $2::int IS NULL) "
            "ORDER BY t.kind = 'title' DESC, f.id",
            normalize_title(title), year,
        )
        return await self.get(rows[0]["film_id"]) if rows else None

    async def review_stats(self, film_id: int) -> tuple[int, float | None]:
        row = await self._db.fetchrow("SELECT count(*), avg(rating) FROM reviews WHERE film_id = $1", film_id)
        assert row is not None
        return int(row[0]), (round(float(row[1]), 2) if row[1] is not None else None)

    async def similar(
        self, film_id: int, genres: Iterable[str], directors: Iterable[str], limit: int
    ) -> list[Film]:
        wanted = [g.lower() for g in genres] + [d.lower() for d in directors]
        if not wanted:
            return []
        rows = await self._db.fetch(
            "SELECT f.id, (SELECT count(*) FROM jsonb_array_elements_text(f.genres) g WHERE lower(g) = ANY($1)) "
            "+ 2 * (SELECT count(*) FROM jsonb_array_elements_text(f.directors) d WHERE lower(d) = ANY($1)) AS shared, "
            "(SELECT avg(rating) FROM reviews r WHERE r.film_id = f.id) AS avg_rating "
            "FROM films f WHERE f.id != $2 AND NOT f.is_stub AND f.id IN (SELECT film_id FROM reviews) "
            "ORDER BY shared DESC, avg_rating DESC NULLS LAST LIMIT $3",
            wanted, film_id, limit * 3,
        )
        ids = [r[0] for r in rows if r[1] > 0][:limit]
        return await self.get_many(ids)

    async def add(self, film: FilmInput) -> Film:
        async with self._db.transaction() as conn:
            film_id = await add_film_in(conn, film)
        stored = await self.get(film_id)
        assert stored is not None
        return stored

    async def add_stub(self, title: str, year: int | None) -> tuple[Film, bool]:
        async with self._db.transaction() as conn:
            await _lock_title(conn, title)
            film_id = await find_film_in(conn, title, year, include_stubs=True)
            created = film_id is None
            if film_id is None:
                film_id = await add_film_in(conn, FilmInput(title=title, year=year, is_stub=True))
        film = await self.get(film_id)
        assert film is not None
        return film, created


async def _lock_title(conn: Conn, title: str) -> None:
    """Two processes adding the same unknown title at once make one film: the find and the insert
    run under a transaction-scoped lock on the title (SQLite gets this from its single writer)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('film:' || $1))", normalize_title(title))


async def find_film_in(
    conn: Conn, title: str, year: int | None, *, include_stubs: bool = False
) -> int | None:
    row = await conn.fetchrow(
        "SELECT t.film_id FROM film_titles t JOIN films f ON f.id = t.film_id "
        "WHERE t.norm = $1 AND t.kind = 'title' AND (f.year IS NOT DISTINCT FROM $2::int OR $2::int IS NULL) "
        "AND ($3 OR NOT f.is_stub) ORDER BY f.is_stub, f.id LIMIT 1",
        normalize_title(title), year, include_stubs,
    )
    return int(row[0]) if row else None


async def add_film_in(conn: Conn, film: FilmInput) -> int:
    """As storage/films.py `add_in`: a full record completes a stub of the same title in place."""
    await _lock_title(conn, film.title)
    if film.is_stub:
        existing = await find_film_in(conn, film.title, film.year, include_stubs=True)
        if existing is not None:
            return existing
    stub = await conn.fetchrow(
        "SELECT f.id FROM film_titles t JOIN films f ON f.id = t.film_id "
        "WHERE t.norm = $1 AND t.kind = 'title' AND f.is_stub "
        "AND (f.year IS NULL OR f.year IS NOT DISTINCT FROM $2::int) "
        "ORDER BY f.year IS NULL, f.id LIMIT 1",
        normalize_title(film.title), film.year,
    )
    values = (
        film.title, film.year, film.original_title,
        json.dumps(list(film.directors), ensure_ascii=False), json.dumps(list(film.cast), ensure_ascii=False),
        json.dumps(list(film.characters), ensure_ascii=False), film.runtime_minutes,
        json.dumps(list(film.genres), ensure_ascii=False), film.logline, film.imdb_id, film.is_stub,
    )
    if stub is not None:
        film_id = int(stub[0])
        await conn.execute(
            "UPDATE films SET title = $1, year = $2, original_title = $3, directors = $4, cast_members = $5, "
            "characters = $6, runtime_minutes = $7, genres = $8, logline = $9, imdb_id = $10, is_stub = $11, "
            "updated_at = utc_now_text() WHERE id = $12",
            *values, film_id,
        )
        await conn.execute("DELETE FROM film_titles WHERE film_id = $1", film_id)
    else:
        film_id = int(await conn.fetchval(
            "INSERT INTO films (title, year, original_title, directors, cast_members, characters, runtime_minutes, "
            "genres, logline, imdb_id, is_stub) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
            *values,
        ))
    names: list[tuple[str, str]] = [(film.title, "title")]
    if film.original_title:
        names.append((film.original_title, "original"))
    names.extend((alias, "alias") for alias in film.aliases)
    seen: set[str] = set()
    rows = []
    for name, kind in names:
        for norm in sorted(title_variants(name)):
            if norm not in seen:
                seen.add(norm)
                rows.append((film_id, name, norm, kind))
    await conn.executemany("INSERT INTO film_titles (film_id, title, norm, kind) VALUES ($1,$2,$3,$4)", rows)
    return film_id


# --- reviews -------------------------------------------------------------------------------------
_REVIEW_COLUMNS = (
    "id, film_id, author, source, rating, text, author_flagged_spoilers, content_hash, created_at, author_user_id, "
    "guild_id"
)
_SENTENCE_INSERT = (
    "INSERT INTO review_sentences (review_id, idx, text, spoiler_score, author_marked, topics) "
    "VALUES ($1,$2,$3,$4,$5,$6)"
)


def _review(row: asyncpg.Record, sentences: tuple[Sentence, ...]) -> Review:
    return Review(
        id=row["id"], film_id=row["film_id"], author=row["author"], source=row["source"], rating=row["rating"],
        text=row["text"], author_flagged_spoilers=bool(row["author_flagged_spoilers"]),
        content_hash=row["content_hash"], created_at=row["created_at"], author_user_id=row["author_user_id"],
        sentences=sentences, guild_id=row["guild_id"],
    )


def _sentence_rows(review_id: int, sentences: Sequence[Sentence]) -> list[tuple[object, ...]]:
    return [(review_id, s.idx, s.text, s.spoiler_score, s.author_marked, ",".join(s.topics)) for s in sentences]


def _sentence_hit(r: asyncpg.Record, rank: float = 0.0) -> SentenceHit:
    return SentenceHit(review_id=r[0], film_id=r[1], author=r[2], idx=r[3], text=r[4], spoiler_score=r[5],
                       author_marked=bool(r[6]), rank=rank)


async def add_review_in(conn: Conn, review: ReviewInput) -> tuple[int, bool]:
    review_id = await conn.fetchval(
        "INSERT INTO reviews (film_id, author, author_user_id, source, rating, text, author_flagged_spoilers, "
        "content_hash, created_at, guild_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8, coalesce($9, utc_now_text()), $10) "
        "ON CONFLICT (film_id, author, content_hash) DO NOTHING RETURNING id",
        review.film_id, review.author, review.author_user_id, review.source, review.rating, review.text,
        review.author_flagged_spoilers, review.content_hash, review.created_at, review.guild_id,
    )
    if review_id is None:
        existing = await conn.fetchval(
            "SELECT id FROM reviews WHERE film_id = $1 AND author = $2 AND content_hash = $3",
            review.film_id, review.author, review.content_hash,
        )
        return int(existing), False
    await conn.executemany(_SENTENCE_INSERT, _sentence_rows(review_id, review.sentences))
    await conn.execute("DELETE FROM summary_cache WHERE film_id = $1", review.film_id)
    return int(review_id), True


class PgReviewRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def add(self, review: ReviewInput) -> tuple[int, bool]:
        async with self._db.transaction() as conn:
            return await add_review_in(conn, review)

    async def replace_sentences(self, review_id: int, sentences: Sequence[Sentence]) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM review_sentences WHERE review_id = $1", review_id)
            await conn.executemany(_SENTENCE_INSERT, _sentence_rows(review_id, sentences))
            await conn.execute(
                "DELETE FROM summary_cache WHERE film_id = (SELECT film_id FROM reviews WHERE id = $1)", review_id
            )

    async def delete(self, review_id: int) -> bool:
        async with self._db.transaction() as conn:
            film_id = await conn.fetchval("DELETE FROM reviews WHERE id = $1 RETURNING film_id", review_id)
            if film_id is None:
                return False
            await conn.execute("DELETE FROM summary_cache WHERE film_id = $1", film_id)
            return True

    async def get(self, review_id: int) -> Review | None:
        row = await self._db.fetchrow(f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE id = $1", review_id)
        if row is None:
            return None
        sentences = await self._sentences_for([review_id])
        return _review(row, sentences.get(review_id, ()))

    async def for_film(self, film_id: int, *, with_sentences: bool = True) -> list[Review]:
        rows = await self._db.fetch(
            f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE film_id = $1 ORDER BY created_at, id", film_id
        )
        sentences = await self._sentences_for([r["id"] for r in rows]) if with_sentences else {}
        return [_review(r, sentences.get(r["id"], ())) for r in rows]

    async def for_user(self, user_id: str) -> list[Review]:
        rows = await self._db.fetch(
            f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE author_user_id = $1 ORDER BY id", user_id
        )
        return [_review(r, ()) for r in rows]

    async def in_guild(self, guild_id: str, *, id_prefix: str = "", limit: int = 25) -> list[tuple[Review, str]]:
        rows = await self._db.fetch(
            f"SELECT {', '.join('r.' + c.strip() for c in _REVIEW_COLUMNS.split(','))}, f.title AS film_title, "
            "f.year AS film_year FROM reviews r JOIN films f ON f.id = r.film_id "
            "WHERE r.guild_id = $1 AND r.id::text LIKE $2 ORDER BY r.id DESC LIMIT $3",
            guild_id, id_prefix.replace("%", "").replace("_", "").replace("\\", "") + "%", limit,
        )
        return [
            (_review(r, ()), f"{r['film_title']} ({r['film_year']})" if r["film_year"] else r["film_title"])
            for r in rows
        ]

    async def review_set_hash(self, film_id: int) -> str:
        rows = await self._db.fetch(
            "SELECT id, content_hash, updated_at FROM reviews WHERE film_id = $1 ORDER BY id", film_id
        )
        digest = hashlib.sha256()
        for r in rows:
            digest.update(f"{r[0]}:{r[1]}:{r[2]};".encode())
        return digest.hexdigest()[:32]

    async def recent_texts_by_film(self, limit: int) -> list[tuple[int, str]]:
        rows = await self._db.fetch("SELECT film_id, text FROM reviews ORDER BY id DESC LIMIT $1", limit)
        return [(int(r[0]), str(r[1])) for r in rows]

    async def film_ids_after(self, film_id: int, limit: int) -> list[int]:
        """Ids of films with reviews, above `film_id`, in order: a resumable walk over every film."""
        rows = await self._db.fetch(
            "SELECT DISTINCT film_id FROM reviews WHERE film_id > $1 ORDER BY film_id LIMIT $2", film_id, limit
        )
        return [int(r[0]) for r in rows]

    async def search_sentences(
        self, words: Sequence[str], *, film_ids: Sequence[int] | None, limit: int
    ) -> list[SentenceHit]:
        """Sentences containing any of the words (as prefixes, stemmed), best first (ts_rank)."""
        if not words:
            return []
        query = " | ".join(tsquery_term(Term(w, prefix=True)) for w in words)
        film_filter = " AND r.film_id = ANY($3)" if film_ids else ""
        args: list[object] = [query, limit, list(film_ids)] if film_ids else [query, limit]
        rows = await self._db.fetch(
            "SELECT s.review_id, r.film_id, r.author, s.idx, s.text, s.spoiler_score, s.author_marked, "
            "ts_rank(s.words, q) AS rank FROM review_sentences s JOIN reviews r ON r.id = s.review_id, "
            f"to_tsquery('reviewbot_english', $1) q WHERE s.words @@ q{film_filter} ORDER BY rank DESC, s.id LIMIT $2",
            *args,
        )
        # Lower is better, as with SQLite's bm25.
        return [_sentence_hit(r, -float(r[7])) for r in rows]

    async def sentences_for_film(self, film_id: int, limit: int = 20_000) -> list[SentenceHit]:
        rows = await self._db.fetch(
            "SELECT s.review_id, r.film_id, r.author, s.idx, s.text, s.spoiler_score, s.author_marked "
            "FROM reviews r JOIN review_sentences s ON s.review_id = r.id WHERE r.film_id = $1 "
            "ORDER BY r.id DESC, s.idx LIMIT $2",
            film_id, limit,
        )
        return [_sentence_hit(r) for r in rows]

    async def _sentences_for(self, review_ids: Sequence[int]) -> dict[int, tuple[Sentence, ...]]:
        result: dict[int, list[Sentence]] = defaultdict(list)
        if not review_ids:
            return {}
        rows = await self._db.fetch(
            "SELECT review_id, idx, text, spoiler_score, author_marked, topics FROM review_sentences "
            "WHERE review_id = ANY($1) ORDER BY review_id, idx",
            list(review_ids),
        )
        for r in rows:
            result[r[0]].append(Sentence(idx=r[1], text=r[2], spoiler_score=r[3], author_marked=bool(r[4]),
                                         topics=tuple(t for t in r[5].split(",") if t)))
        return {k: tuple(v) for k, v in result.items()}


# --- watchlists ----------------------------------------------------------------------------------
_ENTRY = (
    "SELECT w.film_id, f.title, f.year, w.added_at, w.watched_at, w.rating, w.note "
    "FROM watchlist_entries w JOIN films f ON f.id = w.film_id "
)


def _entry(row: asyncpg.Record) -> WatchlistEntry:
    return WatchlistEntry(film_id=row["film_id"], title=row["title"], year=row["year"], added_at=row["added_at"],
                          watched_at=row["watched_at"], rating=row["rating"], note=row["note"])


async def add_watchlist_entry_in(
    conn: Conn, user_id: str, scope: str, film_id: int, added_at: str | None
) -> int:
    status = await conn.execute(
        "INSERT INTO watchlist_entries (user_id, scope, film_id, added_at) VALUES ($1,$2,$3, coalesce($4, "
        "utc_now_text())) ON CONFLICT (user_id, scope, film_id) DO NOTHING",
        user_id, scope, film_id, added_at,
    )
    return rowcount(status)


class PgWatchlistRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def add(self, user_id: str, scope: str, film_id: int, *, max_size: int) -> str:
        """'added', 'exists' or 'full'. The size check and the insert run under a lock on the
        list, so adds from several processes at once never pass the limit together: one call of
        watchlist_add (migration 0006), one round trip."""
        return str(await self._db.fetchval("SELECT watchlist_add($1, $2, $3, $4)", user_id, scope, film_id, max_size))

    async def remove(self, user_id: str, scope: str, film_id: int) -> bool:
        return await self._db.execute(
            "DELETE FROM watchlist_entries WHERE user_id = $1 AND scope = $2 AND film_id = $3",
            user_id, scope, film_id,
        ) > 0

    async def mark_watched(
        self, user_id: str, scope: str, film_id: int, rating: float | None, note: str | None
    ) -> bool:
        return await self._db.execute(
            "UPDATE watchlist_entries SET watched_at = utc_now_text(), rating = coalesce($1, rating), "
            "note = coalesce($2, note) WHERE user_id = $3 AND scope = $4 AND film_id = $5",
            rating, note, user_id, scope, film_id,
        ) > 0

    async def get(self, user_id: str, scope: str, film_id: int) -> WatchlistEntry | None:
        row = await self._db.fetchrow(
            _ENTRY + "WHERE w.user_id = $1 AND w.scope = $2 AND w.film_id = $3", user_id, scope, film_id
        )
        return _entry(row) if row else None

    async def list(self, user_id: str, scope: str) -> builtins.list[WatchlistEntry]:
        rows = await self._db.fetch(
            _ENTRY + "WHERE w.user_id = $1 AND w.scope = $2 "
            "ORDER BY w.watched_at IS NOT NULL, CASE WHEN w.watched_at IS NULL THEN w.added_at END, "
            "w.watched_at DESC, CASE WHEN w.watched_at IS NULL THEN w.id ELSE -w.id END",
            user_id, scope,
        )
        return [_entry(r) for r in rows]

    async def all_for_user(self, user_id: str) -> builtins.list[tuple[str, WatchlistEntry]]:
        rows = await self._db.fetch(
            "SELECT w.scope, w.film_id, f.title, f.year, w.added_at, w.watched_at, w.rating, w.note "
            "FROM watchlist_entries w JOIN films f ON f.id = w.film_id WHERE w.user_id = $1 ORDER BY w.id",
            user_id,
        )
        return [(r["scope"], _entry(r)) for r in rows]

    async def set_shared(self, user_id: str, shared: bool) -> None:
        await self._db.execute(
            "INSERT INTO user_prefs (user_id, watchlist_shared) VALUES ($1, $2) "
            "ON CONFLICT (user_id) DO UPDATE SET watchlist_shared = excluded.watchlist_shared",
            user_id, shared,
        )

    async def is_shared(self, user_id: str) -> bool:
        return bool(await self._db.fetchval("SELECT watchlist_shared FROM user_prefs WHERE user_id = $1", user_id))


# --- conversations -------------------------------------------------------------------------------
# As storage/conversations.py: a person's own turns and the assistant's replies to them.
_TURNS_OF_USER = """
    SELECT t.id FROM conversation_turns t WHERE t.user_id = $1
    UNION
    SELECT a.id FROM conversation_turns a
    WHERE a.role = 'assistant' AND a.user_id IS NULL AND (
        SELECT q.user_id FROM conversation_turns q
        WHERE q.conversation_id = a.conversation_id AND q.id < a.id ORDER BY q.id DESC LIMIT 1
    ) = $1
"""


class PgConversationRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def ensure(self, key: str, user_id: str | None, film_id: int | None) -> int:
        """One statement, so two processes creating the same conversation get the same row."""
        return int(await self._db.fetchval(
            "INSERT INTO conversations (key, user_id, film_id) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET "
            "film_id = coalesce(excluded.film_id, conversations.film_id), updated_at = CASE WHEN excluded.film_id "
            "IS NOT NULL AND excluded.film_id IS DISTINCT FROM conversations.film_id THEN utc_now_text() "
            "ELSE conversations.updated_at END RETURNING id",
            key, user_id, film_id,
        ))

    async def film_of(self, conversation_id: int) -> int | None:
        value = await self._db.fetchval("SELECT film_id FROM conversations WHERE id = $1", conversation_id)
        return int(value) if value is not None else None

    async def exists(self, key: str) -> bool:
        return await self._db.fetchval("SELECT 1 FROM conversations WHERE key = $1", key) is not None

    async def add_turn(
        self, conversation_id: int, role: str, content: str, tokens: int, user_id: str | None = None
    ) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO conversation_turns (conversation_id, role, user_id, content, tokens) "
                "VALUES ($1,$2,$3,$4,$5)",
                conversation_id, role, user_id, content, tokens,
            )
            await conn.execute("UPDATE conversations SET updated_at = utc_now_text() WHERE id = $1", conversation_id)

    async def question_count(self, conversation_id: int) -> int:
        return int(await self._db.fetchval(
            "SELECT count(*) FROM conversation_turns WHERE conversation_id = $1 AND role = 'user'", conversation_id
        ))

    async def retire(self, conversation_id: int) -> None:
        await self._db.execute(
            "UPDATE conversations SET key = key || ':ended:' || id, updated_at = utc_now_text() WHERE id = $1",
            conversation_id,
        )

    async def recent_turns(self, conversation_id: int, token_budget: int) -> list[Turn]:
        rows = await self._db.fetch(
            "SELECT role, content, tokens, created_at FROM conversation_turns WHERE conversation_id = $1 "
            "ORDER BY id DESC LIMIT 200",
            conversation_id,
        )
        kept: list[Turn] = []
        used = 0
        for r in rows:
            if used + r[2] > token_budget:
                break
            used += r[2]
            kept.append(Turn(role=r[0], content=r[1], tokens=r[2], created_at=r[3]))
        kept.reverse()
        return kept

    async def turns_for_user(self, user_id: str) -> list[tuple[str, Turn]]:
        rows = await self._db.fetch(
            "SELECT c.key, t.role, t.content, t.tokens, t.created_at FROM conversation_turns t "
            f"JOIN conversations c ON c.id = t.conversation_id WHERE t.id IN ({_TURNS_OF_USER}) ORDER BY t.id",
            user_id,
        )
        return [(r[0], Turn(role=r[1], content=r[2], tokens=r[3], created_at=r[4])) for r in rows]


async def delete_user_conversations_in(conn: Conn, user_id: str) -> tuple[int, int]:
    turns = rowcount(await conn.execute(f"DELETE FROM conversation_turns WHERE id IN ({_TURNS_OF_USER})", user_id))
    conversations = rowcount(await conn.execute(
        "DELETE FROM conversations WHERE user_id = $1 AND NOT EXISTS "
        "(SELECT 1 FROM conversation_turns t WHERE t.conversation_id = conversations.id)",
        user_id,
    ))
    await conn.execute("UPDATE conversations SET user_id = NULL WHERE user_id = $1", user_id)
    return conversations, turns


# --- the rest ------------------------------------------------------------------------------------
class PgSummaryRepository:
    def __init__(self, db: PostgresDatabase, *, lease_seconds: float = LEASE_SECONDS) -> None:
        self._db = db
        self._lease_seconds = lease_seconds
        self._in_flight = KeyedLocks()  # one waiter per process polls the lease, not every request

    @asynccontextmanager
    async def single_flight(self, key: SummaryKey) -> AsyncIterator[None]:
        """A lease row per (film, mode, engine, prompt), renewed while the call runs (see
        storage/single_flight.py). No connection is held during the (long) LLM call."""
        name = key_text(key.film_id, key.mode, key.engine, key.prompt_version)
        async with self._in_flight.hold(name), leased(self, name, seconds=self._lease_seconds):
            yield

    # LeaseTable: the lease rows (storage/single_flight.py)
    async def take(self, name: str, holder: str, seconds: float) -> bool:
        taken = await self._db.fetchval(
            "INSERT INTO summary_leases (key, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3)) "
            "ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
            "WHERE summary_leases.expires_at < now() RETURNING holder",
            name, holder, seconds,
        )
        return bool(taken == holder)

    async def renew(self, name: str, holder: str, seconds: float) -> bool:
        return await self._db.execute(
            "UPDATE summary_leases SET expires_at = now() + make_interval(secs => $3) WHERE key = $1 AND holder = $2",
            name, holder, seconds,
        ) == 1

    async def release(self, name: str, holder: str) -> None:
        await self._db.execute("DELETE FROM summary_leases WHERE key = $1 AND holder = $2", name, holder)

    async def get(self, key: SummaryKey) -> CachedSummary | None:
        row = await self._db.fetchrow(
            "SELECT summary, sources, notes, input_tokens, output_tokens, created_at FROM summary_cache "
            "WHERE film_id = $1 AND mode = $2 AND engine = $3 AND prompt_version = $4 AND review_set_hash = $5",
            key.film_id, key.mode, key.engine, key.prompt_version, key.review_set_hash,
        )
        if row is None:
            return None
        return CachedSummary(summary=row[0], sources=tuple(json.loads(row[1])), notes=tuple(json.loads(row[2])),
                             input_tokens=row[3], output_tokens=row[4], created_at=row[5])

    async def put(
        self,
        key: SummaryKey,
        summary: str,
        *,
        sources: Sequence[int],
        notes: Sequence[str] = (),
        input_tokens: int = 0,
        output_tokens: int = 0,
    ) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM summary_cache WHERE film_id = $1 AND mode = $2 AND engine = $3 AND review_set_hash != $4",
                key.film_id, key.mode, key.engine, key.review_set_hash,
            )
            await conn.execute(
                "INSERT INTO summary_cache (film_id, mode, engine, prompt_version, review_set_hash, summary, sources, "
                "notes, input_tokens, output_tokens) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) "
                "ON CONFLICT (film_id, mode, engine, prompt_version, review_set_hash) DO UPDATE SET "
                "summary = excluded.summary, sources = excluded.sources, notes = excluded.notes, "
                "input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, "
                "created_at = utc_now_text()",
                key.film_id, key.mode, key.engine, key.prompt_version, key.review_set_hash, summary,
                json.dumps(list(sources)), json.dumps(list(notes)), input_tokens, output_tokens,
            )

    async def count_for_film(self, film_id: int) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM summary_cache WHERE film_id = $1", film_id))

    async def digests(self, review_ids: Sequence[int], engine: str, prompt_version: str) -> dict[int, Digest]:
        rows = await self._db.fetch(
            "SELECT review_id, content_hash, safe_digest, spoiler_digest, input_tokens, output_tokens "
            "FROM review_digests WHERE engine = $1 AND prompt_version = $2 AND review_id = ANY($3)",
            engine, prompt_version, list(review_ids),
        )
        return {r[0]: Digest(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows}

    async def put_digest(self, digest: Digest, engine: str, prompt_version: str) -> None:
        await self._db.execute(
            "INSERT INTO review_digests (review_id, engine, prompt_version, content_hash, safe_digest, "
            "spoiler_digest, input_tokens, output_tokens) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
            "ON CONFLICT (review_id, engine, prompt_version) DO UPDATE SET content_hash = excluded.content_hash, "
            "safe_digest = excluded.safe_digest, spoiler_digest = excluded.spoiler_digest, "
            "input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, created_at = utc_now_text()",
            digest.review_id, engine, prompt_version, digest.content_hash, digest.safe_digest,
            digest.spoiler_digest, digest.input_tokens, digest.output_tokens,
        )


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


class PgUsageRepository(PgUsageReservations):
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def record(
        self, *, user_id: str | None, guild_id: str | None, purpose: str, input_tokens: int, output_tokens: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO llm_usage (day, user_id, guild_id, purpose, input_tokens, output_tokens) "
            "VALUES ($1,$2,$3,$4,$5,$6)",
            _today(), user_id, guild_id, purpose, input_tokens, output_tokens,
        )

    async def used_today_by_user(self, user_id: str) -> int:
        return int(await self._db.fetchval(
            "SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM llm_usage WHERE user_id = $1 AND day = $2",
            user_id, _today(),
        ))

    async def used_today_by_guild(self, guild_id: str) -> int:
        return int(await self._db.fetchval(
            "SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM llm_usage WHERE guild_id = $1 AND day = $2",
            guild_id, _today(),
        ))


_ERASED_TABLES = ("reviews", "review_sentences", "conversation_turns", "watchlist_entries", "summary_cache")


class PgUserDataRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def delete_all(self, user_id: str, *, quotes: Sequence[str] = ()) -> dict[str, int]:
        """As storage/users.py: everything of one person, in one transaction, their quoted sentences
        redacted from others' conversation memory; then the touched tables are vacuumed, so the
        deleted rows' text does not linger in dead tuples."""
        async with self._db.transaction() as conn:
            redacted = 0
            for quote in dict.fromkeys(quotes):
                redacted += rowcount(await conn.execute(
                    "UPDATE conversation_turns SET content = replace(content, $1, $2) WHERE strpos(content, $1) > 0",
                    quote, REDACTED,
                ))
            film_ids = [r[0] for r in await conn.fetch(
                "SELECT DISTINCT film_id FROM reviews WHERE author_user_id = $1", user_id
            )]
            conversations, turns = await delete_user_conversations_in(conn, user_id)
            counts = {
                "watchlist_entries": rowcount(await conn.execute(
                    "DELETE FROM watchlist_entries WHERE user_id = $1", user_id
                )),
                "reviews": rowcount(await conn.execute("DELETE FROM reviews WHERE author_user_id = $1", user_id)),
                "conversations": conversations,
                "conversation_turns": turns,
                "llm_usage": rowcount(await conn.execute(
                    "UPDATE llm_usage SET user_id = NULL WHERE user_id = $1", user_id
                )),
                "preferences": rowcount(await conn.execute("DELETE FROM user_prefs WHERE user_id = $1", user_id)),
            }
            await conn.execute("DELETE FROM cooldowns WHERE user_id = $1", user_id)
            await conn.execute("DELETE FROM rate_hits WHERE user_id = $1", user_id)
            await conn.execute("UPDATE llm_reservations SET user_id = NULL WHERE user_id = $1", user_id)
            await conn.execute("DELETE FROM summary_cache WHERE film_id = ANY($1)", film_ids)
            counts["quotes_redacted"] = redacted
        for table in _ERASED_TABLES:  # VACUUM cannot run inside a transaction
            await self._db.execute(f"VACUUM {table}")
        return counts


class PgGuildSettingsRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def get(self, guild_id: str) -> GuildSettings:
        row = await self._db.fetchrow(
            "SELECT spoilers_in_channel, llm_cooldown_seconds FROM guild_settings WHERE guild_id = $1", guild_id
        )
        if row is None:
            return GuildSettings()
        return GuildSettings(spoilers_in_channel=row[0], llm_cooldown_seconds=row[1])

    async def put(self, guild_id: str, settings: GuildSettings) -> None:
        await self._db.execute(
            "INSERT INTO guild_settings (guild_id, spoilers_in_channel, llm_cooldown_seconds) VALUES ($1,$2,$3) "
            "ON CONFLICT (guild_id) DO UPDATE SET spoilers_in_channel = excluded.spoilers_in_channel, "
            "llm_cooldown_seconds = excluded.llm_cooldown_seconds, updated_at = utc_now_text()",
            guild_id, settings.spoilers_in_channel, settings.llm_cooldown_seconds,
        )


class PgMetaRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        value = await self._db.fetchval("SELECT value FROM app_meta WHERE key = $1", key)
        return str(value) if value is not None else None

    async def set(self, key: str, value: str) -> None:
        async with self._db.transaction() as conn:
            await set_meta_in(conn, key, value)


async def set_meta_in(conn: Conn, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO app_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key, value,
    )
