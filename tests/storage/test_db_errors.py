"""SQLite failures become clear errors, told apart by result code: busy (with retries), disk full,
read-only, damaged, can't open. Each is produced for real, not mocked:

- busy: a second raw connection holds BEGIN EXCLUSIVE past a shortened busy timeout;
- full: `PRAGMA max_page_count` caps the database at its current size, so the next page SQLite
  needs fails with SQLITE_FULL, exactly as a full disk does (same code, same rollback);
- read-only: file permissions. Root ignores them, so when the tests run as root (CI containers)
  the open happens in a child process without root's permission-bypass capabilities; SQLite then
  meets a real EACCES from the OS, which `?mode=ro` or `PRAGMA query_only` would not exercise
  (those make SQLite refuse by itself, never reaching the file system's answer);
- damaged: bytes overwritten on disk.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.errors import DatabaseBusy, DatabaseCorrupt, DatabaseFull, DatabaseUnavailable
from storage.db import Database


def _insert_film(title: str):  # type: ignore[no-untyped-def]
    def write(conn: sqlite3.Connection) -> int:
        return int(conn.execute("INSERT INTO films (title) VALUES (?) RETURNING id", (title,)).fetchone()[0])

    return write


async def _count(db: Database, sql: str = "SELECT count(*) FROM films") -> int:
    row = await db.fetchone(sql)
    assert row is not None
    return int(row[0])


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


# --- busy ----------------------------------------------------------------------------------------
async def test_a_lock_held_past_the_busy_timeout_is_a_clear_busy_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "busy.db", busy_timeout_ms=100, busy_retries=1)
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(DatabaseBusy, match="busy right now; nothing was changed"):
            await db.execute("INSERT INTO films (title) VALUES ('a')")
        assert time.monotonic() - started >= 0.2  # two attempts, each waiting the busy timeout
        with pytest.raises(DatabaseBusy):
            await db.run_write(_insert_film("b"))  # group commit: the batch couldn't start
        assert await _count(db) == 0  # reads never wait for the writer (WAL)

        other.execute("COMMIT")
        await db.execute("INSERT INTO films (title) VALUES ('a')")
        await db.run_write(_insert_film("b"))
        assert await _count(db) == 2
    finally:
        other.close()
        await db.close()


@pytest.mark.parametrize("how", ["transaction", "group commit"])
async def test_retries_ride_out_a_lock_released_after_the_busy_timeout(tmp_path: Path, how: str) -> None:
    path = tmp_path / "retry.db"
    patient = await Database.open(path, busy_timeout_ms=150, busy_retries=3)
    impatient = await Database.open(path, busy_timeout_ms=150, busy_retries=0)
    other = sqlite3.connect(path, isolation_level=None)

    async def write(db: Database, title: str) -> None:
        if how == "transaction":
            await db.execute("INSERT INTO films (title) VALUES (?)", (title,))
        else:
            await db.run_write(_insert_film(title))

    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseBusy):
            await write(impatient, "lost")  # one busy timeout, no retry: fails while the lock is held
        asyncio.get_running_loop().call_later(0.4, other.execute, "COMMIT")
        started = time.monotonic()
        await write(patient, "kept")  # the first attempt times out at 0.15 s; a retry gets the lock
        assert time.monotonic() - started >= 0.35
        assert [r[0] for r in await patient.fetchall("SELECT title FROM films")] == ["kept"]
    finally:
        other.close()
        await impatient.close()
        await patient.close()


async def test_start_up_does_not_wait_for_another_process_writing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    await (await Database.open(path)).close()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # e.g. a long import in another process
        started = time.monotonic()
        db = await Database.open(path, busy_timeout_ms=2000)
        assert time.monotonic() - started < 1.0  # the writability probe doesn't wait for the lock
        assert await _count(db) == 0
        await db.close()
    finally:
        other.close()


# --- disk full -----------------------------------------------------------------------------------
async def test_disk_full_in_a_transaction_saves_nothing_and_the_database_stays_sound(db: Database) -> None:
    await db.execute("INSERT INTO films (title) VALUES ('before')")
    pages = await _count(db, "PRAGMA page_count")
    await db.execute(f"PRAGMA max_page_count = {pages}")  # the writer connection can't grow the file

    with pytest.raises(DatabaseFull, match=r"^The disk is full; nothing was saved\. Free some space"):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO films (title) VALUES ('during')")
            for n in range(100):
                await tx.execute("INSERT INTO app_meta (key, value) VALUES (?, ?)", (f"k{n}", "x" * 4000))

    assert [r[0] for r in await db.fetchall("SELECT title FROM films")] == ["before"]
    assert _integrity(db.path) == "ok"
    await db.execute("PRAGMA max_page_count = 1073741823")  # space freed: the connection still works
    await db.execute("INSERT INTO films (title) VALUES ('after')")
    assert await _count(db) == 2


async def test_disk_full_in_group_commit_fails_the_batch_and_keeps_what_was_acknowledged(db: Database) -> None:
    acknowledged = await db.run_write(_insert_film("acknowledged"))
    pages = await _count(db, "PRAGMA page_count")
    await db.run_write(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}").fetchone())

    def big(n: int):  # type: ignore[no-untyped-def]
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO app_meta (key, value) VALUES (?, ?)", (f"big{n}", "x" * 4000))

        return write

    results = await asyncio.gather(*(db.run_write(big(n)) for n in range(20)), return_exceptions=True)
    assert all(isinstance(r, DatabaseFull) for r in results), results
    assert await _count(db, "SELECT count(*) FROM app_meta WHERE key LIKE 'big%'") == 0
    assert await _count(db, f"SELECT count(*) FROM films WHERE id = {acknowledged}") == 1
    assert _integrity(db.path) == "ok"

    await db.run_write(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823").fetchone())
    await db.run_write(big(0))
    assert await _count(db, "SELECT count(*) FROM app_meta WHERE key LIKE 'big%'") == 1


# --- damaged or unusable files -------------------------------------------------------------------
async def test_a_file_that_is_not_a_database_is_a_clear_start_up_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    with pytest.raises(DatabaseCorrupt) as caught:
        await Database.open(path)
    assert str(path) in caught.value.message and "reviewbot db restore" in caught.value.message
    assert path.read_bytes().startswith(b"these are my notes")  # untouched


async def test_damaged_pages_are_a_clear_error_when_read(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    db = await Database.open(path)
    async with db.transaction() as tx:
        for n in range(300):
            await tx.execute("INSERT INTO films (title, logline) VALUES (?, ?)", (f"Film {n}", "words " * 40))
    root = await _count(db, "SELECT rootpage FROM sqlite_master WHERE name = 'films'")
    page_size = await _count(db, "PRAGMA page_size")
    await db.close()  # the last connection checkpoints: everything is in the main file now
    with path.open("r+b") as handle:  # scribble over the films table's root page
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * 64)

    db = await Database.open(path)  # page 1 (schema, version) is intact: it opens
    try:
        with pytest.raises(DatabaseCorrupt, match=r"database is damaged.*reviewbot db restore"):
            await db.fetchall("SELECT title FROM films")
    finally:
        await db.close()


async def test_a_folder_that_cannot_be_created_is_a_clear_start_up_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")  # even root can't mkdir through a file
    with pytest.raises(DatabaseUnavailable, match="can't create the folder for its database"):
        await Database.open(blocker / "sub" / "reviewbot.db")


async def test_a_path_that_cannot_be_opened_is_a_clear_start_up_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match=f"can't open its database {tmp_path}"):
        await Database.open(tmp_path)  # a folder, not a file: SQLITE_CANTOPEN


# --- read-only, with real file permissions ------------------------------------------------------
_OPEN_AS_CHILD = r"""
import asyncio, json, sys
from pathlib import Path
from bot.errors import ReviewBotError
from storage.db import Database

async def attempt(path):
    try:
        db = await Database.open(Path(path))
    except ReviewBotError as error:
        return [type(error).__name__, error.message]
    await db.close()
    return ["opened", ""]

print(json.dumps([asyncio.run(attempt(p)) for p in sys.argv[1:]]))
"""


# Root ignores file permissions because of three capabilities; without them root is bound by the
# owner bits like anyone. Dropping them from the bounding set and exec'ing makes the new process
# "root without the bypass" (a process can't drop its own effective capabilities via prctl).
_WITHOUT_BYPASS = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
    if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def _run_bound_by_permissions(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a child process that file permissions apply to, even when we are root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
    argv = [sys.executable, "-c", code, *args]
    if os.geteuid() == 0:
        if not sys.platform.startswith("linux"):  # pragma: no cover
            pytest.skip("dropping root's permission bypass is Linux-only")
        argv = [sys.executable, "-c", _WITHOUT_BYPASS, "-c", code, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)


async def test_read_only_file_and_folder_are_clear_start_up_errors(tmp_path: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover
        pytest.skip("POSIX permissions")
    ro_file_dir = tmp_path / "ro-file"
    ro_file_dir.mkdir()
    ro_file = ro_file_dir / "reviewbot.db"
    await (await Database.open(ro_file)).close()
    ro_file.chmod(0o444)  # the folder stays writable: SQLite can create -wal and -shm, not write the file

    ro_dir = tmp_path / "ro-dir"
    ro_dir.mkdir()
    in_ro_dir = ro_dir / "reviewbot.db"
    await (await Database.open(in_ro_dir)).close()
    in_ro_dir.chmod(0o666)
    ro_dir.chmod(0o555)  # the file is writable, but its -wal and -shm can't be created

    missing = ro_dir / "new.db"
    fine = tmp_path / "ok" / "reviewbot.db"

    try:
        done = _run_bound_by_permissions(_OPEN_AS_CHILD, str(ro_file), str(in_ro_dir), str(missing), str(fine))
    finally:
        ro_dir.chmod(0o755)  # so the temporary folder can be cleaned up
    assert done.returncode == 0, done.stderr
    (file_kind, file_msg), (dir_kind, dir_msg), (new_kind, new_msg), (fine_kind, _) = json.loads(done.stdout)

    assert file_kind == "DatabaseReadOnly"
    assert f"can't write to its database {ro_file}" in file_msg and "writable" in file_msg
    assert dir_kind == "DatabaseReadOnly" and "its folder is read-only" in dir_msg and str(in_ro_dir) in dir_msg
    assert new_kind == "DatabaseUnavailable" and f"can't open its database {missing}" in new_msg
    assert fine_kind == "opened"  # the child really can open a database where it may write
    assert stat.S_IMODE(ro_file.stat().st_mode) == 0o444 and _integrity(ro_file) == "ok"
