"""Bulk writes for large synthetic or batch loads (benchmarks): plain sqlite3, big transactions.

The bot's own writes go through `Database` (one aiosqlite writer behind a lock); this module is
for a process that owns the database for a while, such as `python -m bench` building a
million-review corpus.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from storage.db import BUSY_TIMEOUT_MS

ReviewRow = tuple[int, str, str, float | None, str, bool, str]  # film_id, author, source, rating, text, flag, hash
SentenceRow = tuple[int, str, float, bool, str]  # idx, text, score, author_marked, topics


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def film_ids(conn: sqlite3.Connection, limit: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM films ORDER BY id LIMIT ?", (limit,))]


def insert_reviews(conn: sqlite3.Connection, reviews: Iterable[tuple[ReviewRow, Sequence[SentenceRow]]]) -> int:
    """Insert reviews with their scored sentences in one transaction; returns how many."""
    count = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for review, sentences in reviews:
            cursor = conn.execute(
                "INSERT INTO reviews (film_id, author, source, rating, text, author_flagged_spoilers, content_hash) "
                "VALUES (?,?,?,?,?,?,?)",
                review,
            )
            review_id = cursor.lastrowid
            conn.executemany(
                "INSERT INTO review_sentences (review_id, idx, text, spoiler_score, author_marked, topics) "
                "VALUES (?,?,?,?,?,?)",
                [(review_id, *s) for s in sentences],
            )
            count += 1
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return count
