"""Backup, check and restore of the database file, on real SQLite files (and a real second process
where "another program has it open" matters)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import DatabaseInUse, DatabaseUnavailable, InvalidInput, UnusableBackup
from storage import maintenance
from storage.db import Database, _migration_files, _split_sql, latest_schema_version


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _titles(path: Path) -> list[str]:
    return [str(r[0]) for r in _query(path, "SELECT title FROM films ORDER BY id")]


def _make_db(path: Path, *titles: str) -> None:
    async def fill() -> None:
        db = await Database.open(path)
        try:
            for title in titles:
                await db.execute("INSERT INTO films (title) VALUES (?)", (title,))
        finally:
            await db.close()

    asyncio.run(fill())


def _assert_sound_snapshot(path: Path) -> None:
    assert _query(path, "PRAGMA integrity_check") == [("ok",)]
    assert _query(path, "PRAGMA journal_mode") == [("delete",)]  # self-contained: no -wal needed
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}.partial").exists()
    rows = _query(path, "SELECT count(*) FROM app_meta WHERE key LIKE 'item%'")[0][0]
    counted = _query(path, "SELECT value FROM app_meta WHERE key = 'count'")
    assert [(str(rows),)] == counted or (rows == 0 and counted == [])  # a snapshot of one commit


def _damage(path: Path, table: str = "films") -> None:
    """Overwrite the start of a table's root page."""
    root, page_size = _query(path, f"SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master "
                                   f"WHERE name = '{table}'")[0]
    assert isinstance(root, int) and isinstance(page_size, int)
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * 64)


@pytest.fixture
def other_process() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait(timeout=10)


def _hold_open(path: Path, started: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """Another process with the database open (idle, as a running bot usually is)."""
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL')\n"
        "c.execute('SELECT count(*) FROM films').fetchall()\n"
        "print('ready', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    started.append(proc)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


# --- backup --------------------------------------------------------------------------------------
async def test_backup_is_a_consistent_single_file_while_writes_go_on(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "live.db")
    stop = asyncio.Event()

    async def keep_writing() -> int:
        n = 0
        while not stop.is_set():
            def write(conn: sqlite3.Connection, n: int = n) -> None:
                # Two rows that must always agree: the count is updated in the same transaction.
                conn.execute("INSERT INTO app_meta (key, value) VALUES (?, 'x')", (f"item{n:06d}",))
                conn.execute(
                    "INSERT INTO app_meta (key, value) VALUES ('count', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(n + 1),)
                )

            await db.run_write(write)
            n += 1
        return n

    writer = asyncio.create_task(keep_writing())
    try:
        backups = []
        for k in range(3):
            await asyncio.sleep(0.05)
            result = await asyncio.to_thread(maintenance.backup, db.path, tmp_path / f"b{k}.db")
            backups.append(result)
    finally:
        stop.set()
        written = await writer
        await db.close()

    assert written > 0
    for result in backups:
        assert result.quick_check == "ok" and result.schema_version == latest_schema_version()
        _assert_sound_snapshot(result.path)


def test_backup_destinations(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    _make_db(live, "Parasite")
    folder = tmp_path / "backups"
    folder.mkdir()

    into_folder = maintenance.backup(live, folder)
    assert into_folder.path.parent == folder and into_folder.path.name.startswith("live-")
    assert _titles(into_folder.path) == ["Parasite"]

    target = tmp_path / "b.db"
    maintenance.backup(live, target)
    with pytest.raises(InvalidInput, match=r"already exists.*--force"):
        maintenance.backup(live, target)
    _make_db(live, "Se7en")
    maintenance.backup(live, target, overwrite=True)
    assert _titles(target) == ["Parasite", "Se7en"]

    with pytest.raises(InvalidInput, match="is the database itself"):
        maintenance.backup(live, live)
    with pytest.raises(InvalidInput, match="no folder"):
        maintenance.backup(live, tmp_path / "missing" / "b.db")
    with pytest.raises(DatabaseUnavailable, match="There is no database at"):
        maintenance.backup(tmp_path / "nothing.db", tmp_path / "c.db")
    assert not (tmp_path / "nothing.db").exists()  # a backup never creates the database


# --- check ---------------------------------------------------------------------------------------
def test_check_reports_sound_damaged_and_dangling(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    _make_db(live, *(f"Film {n}" for n in range(300)))
    report = maintenance.check(live)
    assert report.ok and report.integrity == ["ok"] and report.foreign_keys == []
    assert report.schema_version == latest_schema_version() and report.size_bytes > 0

    conn = sqlite3.connect(live)  # foreign keys off, as any other tool might leave them
    conn.execute("INSERT INTO watchlist_entries (user_id, film_id) VALUES ('ana', 99999)")
    conn.commit()
    conn.close()
    report = maintenance.check(live)
    assert not report.ok and report.integrity == ["ok"]
    assert report.foreign_keys == ["watchlist_entries row 1 points to a missing row of films"]

    _damage(live)
    report = maintenance.check(live)
    assert not report.ok and report.integrity != ["ok"]

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 500)
    report = maintenance.check(junk)
    assert not report.ok and report.schema_version is None and "not a database" in report.integrity[0]


# --- restore -------------------------------------------------------------------------------------
def test_restore_round_trip_keeps_the_replaced_database(tmp_path: Path) -> None:
    live, backup = tmp_path / "live.db", tmp_path / "backup.db"
    _make_db(live, "Parasite")
    maintenance.backup(live, backup)
    _make_db(live, "Added after the backup")

    prepared = maintenance.prepare_restore(live, backup)
    assert prepared.info.films == 1 and prepared.info.path == backup
    assert prepared.current is not None and prepared.current.films == 2
    assert _titles(live) == ["Parasite", "Added after the backup"]  # nothing changes before finish
    result = maintenance.finish_restore(prepared)

    assert _titles(live) == ["Parasite"]
    assert result.previous is not None and result.previous.name.startswith("live.db.before-restore-")
    assert _titles(result.previous) == ["Parasite", "Added after the backup"]
    assert _query(result.previous, "PRAGMA integrity_check") == [("ok",)]
    assert not prepared.copy.exists()
    assert _query(live, "PRAGMA journal_mode") == [("wal",)]
    _make_db(live)  # and the bot opens it as usual
    assert _titles(live) == ["Parasite"]


def test_restore_of_an_older_schema_is_migrated_on_next_open(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    for version, _, sql in _migration_files()[:-1]:
        for statement in _split_sql(sql):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={version}")
    conn.execute("INSERT INTO films (title) VALUES ('From the old days')")
    conn.close()
    live = tmp_path / "live.db"
    _make_db(live)

    prepared = maintenance.prepare_restore(live, old)
    assert prepared.info.schema_version == latest_schema_version() - 1
    maintenance.finish_restore(prepared)
    _make_db(live)  # opening it migrates it
    assert _query(live, "PRAGMA user_version") == [(latest_schema_version(),)]
    assert _titles(live) == ["From the old days"]


def test_restore_refuses_files_that_are_not_sound_reviewbot_backups(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    _make_db(live, "Parasite")

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(UnusableBackup, match="is not a SQLite database"):
        maintenance.prepare_restore(live, text)
    with pytest.raises(UnusableBackup, match="There is no file"):
        maintenance.prepare_restore(live, tmp_path / "missing.db")
    with pytest.raises(UnusableBackup, match="is the database itself"):
        maintenance.prepare_restore(live, live)

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(UnusableBackup, match="not a reviewbot one"):
        maintenance.prepare_restore(live, other)

    newer = tmp_path / "newer.db"
    maintenance.backup(live, newer)
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version={latest_schema_version() + 1}")
    conn.close()
    with pytest.raises(UnusableBackup, match="made by a newer reviewbot"):
        maintenance.prepare_restore(live, newer)

    damaged = tmp_path / "damaged.db"
    _make_db(damaged, *(f"Film {n}" for n in range(300)))
    _damage(damaged)
    with pytest.raises(UnusableBackup, match="is damaged"):
        maintenance.prepare_restore(live, damaged)

    assert _titles(live) == ["Parasite"]  # nothing changed
    assert sorted(p.name for p in tmp_path.iterdir() if ".restore-" in p.name) == []  # no copies left


def test_restore_refuses_while_another_process_has_the_database_open(
    tmp_path: Path, other_process: list[subprocess.Popen[str]]
) -> None:
    live, backup = tmp_path / "live.db", tmp_path / "backup.db"
    _make_db(live, "Parasite")
    maintenance.backup(live, backup)
    _make_db(live, "Se7en")

    holder = _hold_open(live, other_process)
    prepared = maintenance.prepare_restore(live, backup)
    with pytest.raises(DatabaseInUse, match=r"Another program has the database .* open.*Nothing was changed"):
        maintenance.finish_restore(prepared)
    assert _titles(live) == ["Parasite", "Se7en"]
    assert not any("before-restore" in p.name for p in tmp_path.iterdir())

    holder.kill()
    holder.wait(timeout=10)
    maintenance.finish_restore(maintenance.prepare_restore(live, backup))
    assert _titles(live) == ["Parasite"]


def test_restore_over_a_damaged_database_moves_it_aside(tmp_path: Path) -> None:
    live, backup = tmp_path / "live.db", tmp_path / "backup.db"
    _make_db(live, "Parasite")
    maintenance.backup(live, backup)
    live.write_bytes(b"\x00garbage" * 1000)
    Path(f"{live}-wal").write_bytes(b"a stale journal that must not be replayed onto the restored file")

    prepared = maintenance.prepare_restore(live, backup)
    assert prepared.current is None  # unreadable: the question says so
    result = maintenance.finish_restore(prepared)
    assert _titles(live) == ["Parasite"] and not Path(f"{live}-wal").exists()
    assert result.previous is not None and result.previous.read_bytes().startswith(b"\x00garbage")
    assert Path(f"{result.previous}-wal").exists()


def test_a_declined_restore_changes_nothing(tmp_path: Path) -> None:
    live, backup = tmp_path / "live.db", tmp_path / "backup.db"
    _make_db(live, "Parasite")
    maintenance.backup(live, backup)
    _make_db(live, "Se7en")
    prepared = maintenance.prepare_restore(live, backup)
    maintenance.discard_restore(prepared)
    assert not prepared.copy.exists() and _titles(live) == ["Parasite", "Se7en"]


def test_restore_into_a_new_location(tmp_path: Path) -> None:
    backup = tmp_path / "backup.db"
    _make_db(tmp_path / "old.db", "Parasite")
    maintenance.backup(tmp_path / "old.db", backup)
    fresh = tmp_path / "fresh.db"
    result = maintenance.finish_restore(maintenance.prepare_restore(fresh, backup))
    assert result.previous is None and _titles(fresh) == ["Parasite"]
