"""Reviews and their per-sentence spoiler scores."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Sequence

from storage.db import Database, Writer
from storage.records import Review, ReviewInput, Sentence, SentenceHit, content_hash
from storage.search import fts5_any_prefix

__all__ = ["ReviewRepository", "content_hash"]

_REVIEW_COLUMNS = (
    "id, film_id, author, source, rating, text, author_flagged_spoilers, content_hash, created_at, author_user_id, "
    "guild_id"
)


class ReviewRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, review: ReviewInput) -> tuple[int, bool]:
        """Store a review with its sentences. Returns (id, created); an identical review is not duplicated."""
        async with self._db.transaction() as tx:
            return await self.add_in(tx, review)

    @staticmethod
    async def add_in(tx: Writer, review: ReviewInput) -> tuple[int, bool]:
        existing = await tx.fetchone(
            "SELECT id FROM reviews WHERE film_id = ? AND author = ? AND content_hash = ?",
            (review.film_id, review.author, review.content_hash),
        )
        if existing is not None:
            return int(existing[0]), False
        row = await tx.fetchone(
            "INSERT INTO reviews (film_id, author, author_user_id, source, rating, text, "
            "author_flagged_spoilers, content_hash, created_at, guild_id) "
            "VALUES (?,?,?,?,?,?,?,?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), ?) RETURNING id",
            (
                review.film_id,
                review.author,
                review.author_user_id,
                review.source,
                review.rating,
                review.text,
                int(review.author_flagged_spoilers),
                review.content_hash,
                review.created_at,
                review.guild_id,
            ),
        )
        assert row is not None
        review_id = int(row[0])
        await tx.executemany(
            "INSERT INTO review_sentences (review_id, idx, text, spoiler_score, author_marked, topics) "
            "VALUES (?,?,?,?,?,?)",
            [
                (review_id, s.idx, s.text, s.spoiler_score, int(s.author_marked), ",".join(s.topics))
                for s in review.sentences
            ],
        )
        await tx.execute("DELETE FROM summary_cache WHERE film_id = ?", (review.film_id,))
        return review_id, True

    async def replace_sentences(self, review_id: int, sentences: Sequence[Sentence]) -> None:
        """Re-score a review (e.g. after the detector changed); invalidates its film's summaries."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM review_sentences WHERE review_id = ?", (review_id,))
            await tx.executemany(
                "INSERT INTO review_sentences (review_id, idx, text, spoiler_score, author_marked, topics) "
                "VALUES (?,?,?,?,?,?)",
                [
                    (review_id, s.idx, s.text, s.spoiler_score, int(s.author_marked), ",".join(s.topics))
                    for s in sentences
                ],
            )
            await tx.execute(
                "DELETE FROM summary_cache WHERE film_id = (SELECT film_id FROM reviews WHERE id = ?)",
                (review_id,),
            )

    async def delete(self, review_id: int) -> bool:
        async with self._db.transaction() as tx:
            row = await tx.fetchone("DELETE FROM reviews WHERE id = ? RETURNING film_id", (review_id,))
            if row is None:
                return False
            await tx.execute("DELETE FROM summary_cache WHERE film_id = ?", (row[0],))
            return True

    async def get(self, review_id: int) -> Review | None:
        row = await self._db.fetchone(f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE id = ?", (review_id,))
        if row is None:
            return None
        sentences = await self._sentences_for([review_id])
        return _review(row, sentences.get(review_id, ()))

    async def for_film(self, film_id: int, *, with_sentences: bool = True) -> list[Review]:
        rows = await self._db.fetchall(
            f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE film_id = ? ORDER BY created_at, id", (film_id,)
        )
        sentences = await self._sentences_for([r["id"] for r in rows]) if with_sentences else {}
        return [_review(r, sentences.get(r["id"], ())) for r in rows]

    async def for_user(self, user_id: str) -> list[Review]:
        rows = await self._db.fetchall(
            f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE author_user_id = ? ORDER BY id", (user_id,)
        )
        return [_review(r, ()) for r in rows]

    async def in_guild(self, guild_id: str, *, id_prefix: str = "", limit: int = 25) -> list[tuple[Review, str]]:
        """The newest reviews written in a Discord server (id starting with `id_prefix`), each with
        its film's label: what a server's managers pick from when removing one."""
        rows = await self._db.fetchall(
            f"SELECT {', '.join('r.' + c.strip() for c in _REVIEW_COLUMNS.split(','))}, f.title AS film_title, "
            "f.year AS film_year FROM reviews r JOIN films f ON f.id = r.film_id "
            "WHERE r.guild_id = ? AND CAST(r.id AS TEXT) LIKE ? ORDER BY r.id DESC LIMIT ?",
            (guild_id, id_prefix.replace("%", "").replace("_", "") + "%", limit),
        )
        return [
            (_review(r, ()), f"{r['film_title']} ({r['film_year']})" if r["film_year"] else r["film_title"])
            for r in rows
        ]

    async def review_set_hash(self, film_id: int) -> str:
        """Changes whenever a review of the film is added, edited (hash) or deleted."""
        rows = await self._db.fetchall(
            "SELECT id, content_hash, updated_at FROM reviews WHERE film_id = ? ORDER BY id", (film_id,)
        )
        digest = hashlib.sha256()
        for r in rows:
            digest.update(f"{r[0]}:{r[1]}:{r[2]};".encode())
        return digest.hexdigest()[:32]

    async def film_ids_after(self, film_id: int, limit: int) -> list[int]:
        """Ids of films with reviews, above `film_id`, in order: a resumable walk over every film."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT film_id FROM reviews WHERE film_id > ? ORDER BY film_id LIMIT ?", (film_id, limit)
        )
        return [int(r[0]) for r in rows]

    async def recent_texts_by_film(self, limit: int) -> list[tuple[int, str]]:
        """(film id, text) of the newest reviews across the database, for corpus word statistics."""
        rows = await self._db.fetchall("SELECT film_id, text FROM reviews ORDER BY id DESC LIMIT ?", (limit,))
        return [(int(r[0]), str(r[1])) for r in rows]

    async def search_sentences(
        self, words: Sequence[str], *, film_ids: Sequence[int] | None, limit: int
    ) -> list[SentenceHit]:
        """Review sentences containing any of the words (as prefixes), optionally within some films,
        best first (FTS5 bm25 order)."""
        if not words:
            return []
        params: list[object] = [fts5_any_prefix(words)]
        film_filter = ""
        if film_ids:
            film_filter = f" AND r.film_id IN ({','.join('?' * len(film_ids))})"
            params.extend(film_ids)
        params.append(limit)
        rows = await self._db.fetchall(
            "SELECT s.review_id, r.film_id, r.author, s.idx, s.text, s.spoiler_score, s.author_marked, "
            "bm25(review_sentences_fts) AS rank FROM review_sentences_fts "
            "JOIN review_sentences s ON s.id = review_sentences_fts.rowid "
            "JOIN reviews r ON r.id = s.review_id "
            f"WHERE review_sentences_fts MATCH ?{film_filter} ORDER BY rank LIMIT ?",
            params,
        )
        return [
            SentenceHit(
                review_id=r[0], film_id=r[1], author=r[2], idx=r[3], text=r[4], spoiler_score=r[5],
                author_marked=bool(r[6]), rank=float(r[7]),
            )
            for r in rows
        ]

    async def sentences_for_film(self, film_id: int, limit: int = 20_000) -> list[SentenceHit]:
        """Every stored sentence of a film's reviews (newest reviews first), for ranking in Python."""
        rows = await self._db.fetchall(
            "SELECT s.review_id, r.film_id, r.author, s.idx, s.text, s.spoiler_score, s.author_marked "
            "FROM reviews r JOIN review_sentences s ON s.review_id = r.id WHERE r.film_id = ? "
            "ORDER BY r.id DESC, s.idx LIMIT ?",
            (film_id, limit),
        )
        return [
            SentenceHit(
                review_id=r[0], film_id=r[1], author=r[2], idx=r[3], text=r[4], spoiler_score=r[5],
                author_marked=bool(r[6]), rank=0.0,
            )
            for r in rows
        ]

    async def _sentences_for(self, review_ids: Sequence[int]) -> dict[int, tuple[Sentence, ...]]:
        result: dict[int, list[Sentence]] = defaultdict(list)
        for start in range(0, len(review_ids), 500):
            chunk = review_ids[start : start + 500]
            rows = await self._db.fetchall(
                "SELECT review_id, idx, text, spoiler_score, author_marked, topics FROM review_sentences "
                f"WHERE review_id IN ({','.join('?' * len(chunk))}) ORDER BY review_id, idx",
                chunk,
            )
            for r in rows:
                result[r[0]].append(
                    Sentence(
                        idx=r[1], text=r[2], spoiler_score=r[3], author_marked=bool(r[4]),
                        topics=tuple(t for t in r[5].split(",") if t),
                    )
                )
        return {k: tuple(v) for k, v in result.items()}


def _review(row: sqlite3.Row, sentences: tuple[Sentence, ...]) -> Review:
    return Review(
        id=row["id"],
        film_id=row["film_id"],
        author=row["author"],
        source=row["source"],
        rating=row["rating"],
        text=row["text"],
        author_flagged_spoilers=bool(row["author_flagged_spoilers"]),
        content_hash=row["content_hash"],
        created_at=row["created_at"],
        author_user_id=row["author_user_id"],
        sentences=sentences,
        guild_id=row["guild_id"],
    )
