"""The database handle: migrations, pragmas, transactions and concurrency on real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

import storage.db as storage_db
from storage.db import Database, _split_sql
from storage.errors import DatabaseNewer
from storage.films import FilmRepository
from storage.records import FilmInput, ReviewInput, Sentence
from storage.reviews import ReviewRepository
from storage.watchlists import WatchlistRepository


def _latest_version() -> int:
    return max(version for version, _, _ in storage_db._migration_files())


async def _tables(db: Database) -> list[str]:
    rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index') ORDER BY name")
    return [r[0] for r in rows]


# --- migrations -----------------------------------------------------------------------------------
async def test_fresh_database_reaches_latest_version(db: Database) -> None:
    assert await db.schema_version() == _latest_version()
    names = await _tables(db)
    for table in ("films", "film_titles", "film_words", "film_words_vocab", "reviews", "review_sentences_fts",
                  "watchlist_entries", "summary_cache", "conversations", "conversation_turns"):
        assert table in names


async def test_migrate_again_is_a_no_op(db: Database) -> None:
    before = await _tables(db)
    assert await db.migrate() == 0
    assert await db.schema_version() == _latest_version()
    assert await _tables(db) == before


async def test_reopening_keeps_data_and_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "reopen.db"
    async with await Database.open(path) as first:
        await FilmRepository(first).add(FilmInput(title="Arrival", year=2016))
    async with await Database.open(path, migrate=False) as second:
        assert await second.migrate() == 0
        assert await FilmRepository(second).count() == 1


@pytest.mark.parametrize("migrate", [True, False])
async def test_a_database_from_a_newer_schema_is_refused_untouched(tmp_path: Path, migrate: bool) -> None:
    path = tmp_path / "newer.db"
    async with await Database.open(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={_latest_version() + 3}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    newer = rf"schema version {_latest_version() + 3}.*knows up to {_latest_version()}"
    with pytest.raises(DatabaseNewer, match=newer):
        await Database.open(path, migrate=migrate)
    assert path.read_bytes() == before


async def test_pragmas_on_every_connection(db: Database) -> None:
    assert len(db._readers) == storage_db.READERS
    for conn in (db._writer, *db._readers):
        async with conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
        async with conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
        async with conn.execute("PRAGMA busy_timeout") as cur:
            assert (await cur.fetchone())[0] == storage_db.BUSY_TIMEOUT_MS  # type: ignore[index]


_SHIPPED = storage_db._migration_files()


def _with_extra_migration(sql: str) -> list[tuple[int, str, str]]:
    shipped = _SHIPPED
    return [*shipped, (len(shipped) + 1, f"{len(shipped) + 1:04d}_extra.sql", sql)]


async def test_failing_migration_rolls_back_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "broken.db"
    async with await Database.open(path) as db:
        version = await db.schema_version()
    broken = _with_extra_migration(
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO films (title) VALUES ('left behind');\n"
        "INSERT INTO no_such_table VALUES (1);\n"
    )
    monkeypatch.setattr(storage_db, "_migration_files", lambda: broken)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await Database.open(path)
    monkeypatch.undo()
    async with await Database.open(path, migrate=False) as db:
        assert await db.schema_version() == version
        assert "half_done" not in await _tables(db)
        assert await FilmRepository(db).count() == 0
        # The handle still works after the failure: a good migration applies cleanly.
        assert await db.migrate() == 0


async def test_new_migration_is_applied_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "upgrade.db"
    async with await Database.open(path) as db:
        version = await db.schema_version()
    monkeypatch.setattr(
        storage_db, "_migration_files",
        lambda: _with_extra_migration(
            "-- a comment first\nCREATE TABLE extra (id INTEGER PRIMARY KEY);\n"
            "CREATE TRIGGER extra_ai AFTER INSERT ON extra BEGIN\n  SELECT 1;\nEND;\n"
        ),
    )
    async with await Database.open(path) as db:
        assert await db.schema_version() == version + 1
        assert await db.migrate() == 0
        assert {"extra", "extra_ai"} <= set(await _tables(db))


def test_migration_files_must_be_numbered_without_gaps(monkeypatch: pytest.MonkeyPatch) -> None:
    files = storage_db._migration_files()
    assert [v for v, _, _ in files] == list(range(1, len(files) + 1))
    assert all(name.endswith(".sql") for _, name, _ in files)


def test_split_sql_keeps_trigger_bodies_whole() -> None:
    statements = _split_sql(
        "-- header\nCREATE TABLE a (x TEXT); -- trailing\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n INSERT INTO a VALUES ('; not the end');\n"
        " SELECT 1;\nEND;\n"
    )
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    with pytest.raises(RuntimeError, match="incomplete"):
        _split_sql("CREATE TABLE b (x TEXT)")


# --- foreign keys and full-text triggers ----------------------------------------------------------
async def _film_with_everything(db: Database) -> int:
    film = await FilmRepository(db).add(FilmInput(title="The Prestige", year=2006, aliases=("Magicians",)))
    await ReviewRepository(db).add(
        ReviewInput(
            film_id=film.id, author="ann", source="test", rating=4.0, text="Magicians duel. Great.",
            author_flagged_spoilers=False, content_hash="h1",
            sentences=(Sentence(0, "Magicians duel.", 0.1, False), Sentence(1, "Great.", 0.0, False)),
        )
    )
    await WatchlistRepository(db).add("u1", "", film.id, max_size=10)
    return film.id


async def _count(db: Database, sql: str, params: tuple[object, ...] = ()) -> int:
    row = await db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


async def test_deleting_a_film_cascades(db: Database) -> None:
    film_id = await _film_with_everything(db)
    await db.execute("DELETE FROM films WHERE id = ?", (film_id,))
    for table in ("film_titles", "reviews", "review_sentences", "watchlist_entries"):
        assert await _count(db, f"SELECT count(*) FROM {table}") == 0, table


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await db.execute("INSERT INTO watchlist_entries (user_id, film_id) VALUES ('u', 999)")


async def test_fts_indexes_follow_inserts_and_deletes(db: Database) -> None:
    film_id = await _film_with_everything(db)
    titles = "SELECT count(*) FROM film_words WHERE film_words MATCH ?"
    sentences = "SELECT count(*) FROM review_sentences_fts WHERE review_sentences_fts MATCH ?"
    assert await _count(db, titles, ('"prestig"*',)) >= 1
    assert await _count(db, sentences, ("magician",)) == 1  # porter stemming: magicians -> magician
    # The index agrees with its content table (FTS5's own consistency check).
    await db.execute("INSERT INTO film_words(film_words) VALUES ('integrity-check')")
    await db.execute("INSERT INTO review_sentences_fts(review_sentences_fts) VALUES ('integrity-check')")

    await db.execute("UPDATE film_titles SET norm = 'illusionists' WHERE film_id = ? AND kind = 'alias'", (film_id,))
    assert await _count(db, titles, ('"illusion"*',)) == 1
    await db.execute("DELETE FROM films WHERE id = ?", (film_id,))
    assert await _count(db, titles, ('"prestig"*',)) == 0
    assert await _count(db, titles, ('"illusion"*',)) == 0
    assert await _count(db, sentences, ("magician",)) == 0
    await db.execute("INSERT INTO film_words(film_words) VALUES ('integrity-check')")
    await db.execute("INSERT INTO review_sentences_fts(review_sentences_fts) VALUES ('integrity-check')")


# --- transactions ---------------------------------------------------------------------------------
async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO app_meta (key, value) VALUES ('k', 'v')")
            raise RuntimeError("boom")
    assert await db.fetchone("SELECT 1 FROM app_meta WHERE key = 'k'") is None
    # The connection is usable afterwards.
    assert await db.execute("INSERT INTO app_meta (key, value) VALUES ('k', 'v')") == 1


async def test_reader_sees_committed_writes_only(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO app_meta (key, value) VALUES ('k', 'v')")
        assert await tx.fetchone("SELECT value FROM app_meta WHERE key = 'k'") is not None
        assert await db.fetchone("SELECT value FROM app_meta WHERE key = 'k'") is None
    assert await db.fetchone("SELECT value FROM app_meta WHERE key = 'k'") is not None


async def test_savepoint_undoes_part_of_a_transaction(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO app_meta (key, value) VALUES ('kept', '1')")
        await tx.savepoint("sp")
        await tx.execute("INSERT INTO app_meta (key, value) VALUES ('undone', '1')")
        await tx.rollback_to("sp")
    rows = await db.fetchall("SELECT key FROM app_meta ORDER BY key")
    assert [r[0] for r in rows] == ["kept"]


async def test_cancelled_transaction_leaves_the_connection_usable(db: Database) -> None:
    """A request cancelled mid-transaction (e.g. a Discord interaction timing out) must not leave
    the shared writer inside an open transaction."""

    async def slow_write() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO app_meta (key, value) VALUES ('cancelled', '1')")
            await asyncio.sleep(10)

    for steps in range(6):  # cancel at every await point: BEGIN, the insert, the sleep
        task = asyncio.create_task(slow_write())
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await db.execute("INSERT INTO app_meta (key, value) VALUES (?, '1')", (f"after{steps}",)) == 1
    assert await db.fetchone("SELECT 1 FROM app_meta WHERE key = 'cancelled'") is None


async def test_many_concurrent_writers_lose_nothing(db: Database) -> None:
    films = FilmRepository(db)
    film_ids = [(await films.add(FilmInput(title=f"Film {i}", year=2000 + i))).id for i in range(10)]
    repo = WatchlistRepository(db)
    results = await asyncio.gather(
        *(repo.add(f"user{n % 20}", "", film_ids[n // 20], max_size=100) for n in range(200))
    )
    assert results == ["added"] * 200
    assert await _count(db, "SELECT count(*) FROM watchlist_entries") == 200
    # Concurrent duplicates of the same entry: exactly one is added.
    again = await asyncio.gather(*(repo.add("user0", "", film_ids[0], max_size=100) for _ in range(50)))
    assert again == ["exists"] * 50


async def test_two_processes_can_open_the_same_file(tmp_path: Path) -> None:
    """The bot and a CLI import may open one database at once; migrations must not collide."""
    path = tmp_path / "shared.db"
    first, second = await asyncio.gather(Database.open(path), Database.open(path))
    try:
        assert await first.schema_version() == await second.schema_version() == _latest_version()
        await first.execute("INSERT INTO app_meta (key, value) VALUES ('a', '1')")
        assert await second.fetchone("SELECT value FROM app_meta WHERE key = 'a'") is not None
    finally:
        await first.close()
        await second.close()


async def test_opening_a_new_file_waits_out_another_writer(tmp_path: Path) -> None:
    """Switching a fresh file to WAL while another process writes it is answered SQLITE_BUSY at
    once (SQLite skips its busy handler there): open must wait that writer out, not fail."""
    path = tmp_path / "fresh.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("CREATE TABLE imported (x)")
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO imported VALUES (1)")
        asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
        db = await Database.open(path)
        try:
            row = await db.fetchone("PRAGMA journal_mode")
            assert row is not None and row[0] == "wal"
            assert await db.schema_version() == _latest_version()
        finally:
            await db.close()
    finally:
        other.close()


async def test_nested_transaction_raises_instead_of_deadlocking(db: Database) -> None:
    with pytest.raises(RuntimeError, match="nested"):
        async with db.transaction():
            await db.execute("INSERT INTO app_meta (key, value) VALUES ('n', '1')")  # same task
    assert await db.fetchone("SELECT 1 FROM app_meta WHERE key = 'n'") is None
    # Other tasks still queue behind an open transaction rather than failing.
    async with db.transaction() as tx:
        waiting = asyncio.create_task(db.execute("INSERT INTO app_meta (key, value) VALUES ('later', '1')"))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        await tx.execute("INSERT INTO app_meta (key, value) VALUES ('first', '1')")
    assert await waiting == 1


async def test_a_slow_read_does_not_hold_up_the_others(db: Database) -> None:
    """Reads are spread over several connections: a quick look-up finishes while a slow one runs."""
    slow = asyncio.ensure_future(
        db.fetchall("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
                    "SELECT count(*) FROM n")
    )
    await asyncio.sleep(0.01)
    quick = await db.fetchone("SELECT 1")
    assert quick is not None and not slow.done()
    await slow
