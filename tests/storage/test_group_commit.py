"""Group commit: concurrent small writes share transactions, fail alone, and are durable when acknowledged."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.db import Database


async def _film(db: Database) -> int:
    row = await db.fetchone("SELECT id FROM films LIMIT 1")
    if row:
        return int(row[0])
    async with db.transaction() as tx:
        created = await tx.fetchone("INSERT INTO films (title) VALUES ('F') RETURNING id")
    assert created is not None
    return int(created[0])


def _insert(user: str, film_id: int):  # type: ignore[no-untyped-def]
    def write(conn: sqlite3.Connection) -> int:
        return conn.execute(
            "INSERT INTO watchlist_entries (user_id, film_id) VALUES (?, ?) RETURNING id", (user, film_id)
        ).fetchone()[0]

    return write


async def test_concurrent_writes_share_transactions_and_all_land(db: Database, tmp_path: Path) -> None:
    film_id = await _film(db)
    ids = await asyncio.gather(*(db.run_write(_insert(f"u{n}", film_id)) for n in range(500)))
    assert len(set(ids)) == 500
    committer = db._committer
    assert committer is not None and committer.writes == 500
    assert committer.batches < 50  # grouped: far fewer COMMITs than writes
    # Acknowledged means committed: another connection sees every row at once.
    other = sqlite3.connect(db.path)
    assert other.execute("SELECT count(*) FROM watchlist_entries").fetchone()[0] == 500
    other.close()


async def test_a_failing_write_rolls_back_alone(db: Database) -> None:
    film_id = await _film(db)

    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO watchlist_entries (user_id, film_id) VALUES ('bad', ?)", (film_id,))
        raise ValueError("boom")

    results = await asyncio.gather(
        db.run_write(_insert("a", film_id)),
        db.run_write(half_then_fail),
        db.run_write(_insert("b", film_id)),
        db.run_write(_insert("a", film_id)),  # UNIQUE(user, scope, film): an integrity error
        return_exceptions=True,
    )
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert isinstance(results[1], ValueError) and isinstance(results[3], sqlite3.IntegrityError)
    users = {r[0] for r in await db.fetchall("SELECT user_id FROM watchlist_entries")}
    assert users == {"a", "b"}  # the failed write's own insert was rolled back, the others stand


async def test_group_commit_and_transactions_interleave(db: Database) -> None:
    film_id = await _film(db)

    async def via_transaction(n: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO watchlist_entries (user_id, film_id) VALUES (?, ?)", (f"t{n}", film_id))

    await asyncio.gather(
        *(via_transaction(n) for n in range(50)), *(db.run_write(_insert(f"g{n}", film_id)) for n in range(50))
    )
    row = await db.fetchone("SELECT count(*) FROM watchlist_entries")
    assert row is not None and row[0] == 100


async def test_close_finishes_queued_writes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "close.db")
    film_id = await _film(db)
    writes = [asyncio.ensure_future(db.run_write(_insert(f"c{n}", film_id))) for n in range(100)]
    await asyncio.sleep(0)
    await db.close()
    assert all(w.done() and not w.exception() for w in writes)
    conn = sqlite3.connect(tmp_path / "close.db")
    assert conn.execute("SELECT count(*) FROM watchlist_entries").fetchone()[0] == 100
    conn.close()
    with pytest.raises(RuntimeError, match="closed"):
        await db.run_write(_insert("late", film_id))
