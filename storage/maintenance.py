"""Backups, checks and restores of the database file (all of their SQL and file work).

Synchronous: run these in a worker thread. Each opens its own sqlite3 connections by path, so they
work whether or not the bot is running:

- `backup` uses SQLite's online backup API in one step, i.e. inside one read transaction: in WAL
  mode that is a consistent snapshot of the last commit, taken without blocking the bot's writes.
  The copy is written next to its destination, switched to a self-contained single file
  (journal_mode=DELETE), checked, synced, and only then renamed into place.
- `check` runs `PRAGMA integrity_check` and `PRAGMA foreign_key_check` read-only.
- A restore has two steps, so the person can be asked in between: `prepare_restore` copies the
  backup next to the database and validates the copy (a SQLite file, intact, our tables, a schema
  version this code can open); `finish_restore` swaps it in. The swap needs the database to itself
  (in WAL mode every open connection holds a shared lock, so leaving WAL mode fails while any other
  connection exists: that is how "the bot is still running" is detected), keeps the current
  database as `<db>.before-restore-<UTC time>`, and writes the backup into it with the backup API,
  i.e. in one transaction: a crash half-way leaves the old database as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.db import latest_schema_version
from storage.errors import (
    SQLITE_CANTOPEN,
    SQLITE_CORRUPT,
    SQLITE_FULL,
    SQLITE_NOTADB,
    DatabaseFull,
    DatabaseInUse,
    DatabaseUnavailable,
    InvalidInput,
    UnusableBackup,
    is_busy,
    primary_code,
    reraise,
)

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables every reviewbot database has had since migration 0001.
REQUIRED_TABLES = frozenset({"films", "film_titles", "reviews", "review_sentences", "watchlist_entries", "app_meta"})
MAX_PROBLEMS = 100  # integrity_check rows reported


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """What a database file holds: enough for a person to recognise it before a restore."""

    path: Path
    size_bytes: int
    schema_version: int
    films: int
    reviews: int
    watchlist_entries: int

    def describe(self) -> str:
        return (
            f"{self.films:,} film(s), {self.reviews:,} review(s), {self.watchlist_entries:,} watchlist "
            f"entr{'y' if self.watchlist_entries == 1 else 'ies'}; schema version {self.schema_version}; "
            f"{_mb(self.size_bytes)}"
        )


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size_bytes: int
    seconds: float
    schema_version: int
    quick_check: str  # 'ok', or SQLite's first complaint about the copy (and so about the database)


@dataclass(frozen=True, slots=True)
class CheckReport:
    path: Path
    size_bytes: int
    schema_version: int | None  # None: SQLite can't read the file at all
    integrity: list[str]  # ['ok'] when intact
    foreign_keys: list[str]  # one line per row pointing at a missing parent
    latest_schema_version: int  # the newest this code knows: a database beyond it is refused

    @property
    def newer(self) -> bool:
        """Made by a newer reviewbot: this one refuses to open (and so to write) it."""
        return self.schema_version is not None and self.schema_version > self.latest_schema_version

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and not self.foreign_keys and not self.newer


@dataclass(frozen=True, slots=True)
class PreparedRestore:
    """A validated copy of a backup, next to the database, waiting to be swapped in."""

    db_path: Path
    source: Path
    copy: Path
    info: DatabaseInfo  # of the backup
    current: DatabaseInfo | None  # of the database it would replace, when that is readable


@dataclass(frozen=True, slots=True)
class RestoreResult:
    db_path: Path
    source: Path
    info: DatabaseInfo
    previous: Path | None  # where the replaced database was kept (None: there was none)


# --- backup --------------------------------------------------------------------------------------
def backup(db_path: Path, dest: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the database to `dest` (a file, or a folder to put a time-stamped file in)."""
    started = time.monotonic()
    _require_database(db_path)
    if dest.is_dir():
        dest = dest / f"{db_path.stem}-{_stamp()}.db"
    if _same_file(dest, db_path):
        raise InvalidInput(f"{dest} is the database itself; back it up to another file.")
    if not dest.parent.is_dir():
        raise InvalidInput(f"There is no folder {dest.parent} to put the backup in.")
    if dest.exists() and not overwrite:
        raise InvalidInput(f"{dest} already exists. Choose another name, or add --force to replace it.")
    partial = dest.with_name(dest.name + ".partial")
    _remove(partial)
    try:
        with _connect_ro(db_path) as source, _closing(sqlite3.connect(partial, isolation_level=None)) as copy:
            version = int(source.execute("PRAGMA user_version").fetchone()[0])
            source.backup(copy)  # all pages in one step: one read transaction, one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            verdict = str(copy.execute("PRAGMA quick_check(1)").fetchone()[0])
        _fsync(partial)
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    except sqlite3.Error as error:
        _remove(partial)
        if primary_code(error) == SQLITE_FULL:
            raise DatabaseFull(f"The disk holding {dest.parent} is full; no backup was written.") from error
        reraise(error, db_path, opening=True)
    except BaseException:
        _remove(partial)
        raise
    if verdict != "ok":
        log.error("backup of %s copied a damaged database: %s", db_path, verdict)
    return BackupResult(dest, dest.stat().st_size, time.monotonic() - started, version, verdict)


# --- check ---------------------------------------------------------------------------------------
def check(db_path: Path) -> CheckReport:
    """integrity_check and foreign_key_check, read-only. A file SQLite can't read at all is
    reported as a failed check rather than raised: that is the answer the person asked for."""
    _require_database(db_path)
    size = db_path.stat().st_size
    try:
        with _connect_ro(db_path) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            size = _logical_size(conn)
            integrity = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})")]
            foreign_keys = [
                f"{table} row {rowid} points to a missing row of {parent}"
                for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")
            ]
    except sqlite3.Error as error:
        if primary_code(error) in (SQLITE_CORRUPT, SQLITE_NOTADB):
            return CheckReport(db_path, size, None, [str(error)], [], latest_schema_version())
        reraise(error, db_path, opening=True)
    return CheckReport(db_path, size, version, integrity, foreign_keys, latest_schema_version())


# --- restore -------------------------------------------------------------------------------------
def prepare_restore(db_path: Path, source: Path) -> PreparedRestore:
    """Copy `source` next to the database and validate the copy; raises UnusableBackup if unfit."""
    if not source.is_file():
        raise UnusableBackup(f"There is no file at {source}.")
    if _same_file(source, db_path):
        raise UnusableBackup(f"{source} is the database itself, not a backup of it.")
    _require_sqlite_header(source)
    copy = db_path.with_name(f"{db_path.name}.restore-{os.getpid()}.tmp")
    _remove(copy)
    try:
        try:
            with _connect_ro(source) as src, _closing(sqlite3.connect(copy, isolation_level=None)) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as error:
            code = primary_code(error)
            if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
                raise UnusableBackup(f"{source} is damaged ({error}). Pick another backup.") from error
            if code == SQLITE_CANTOPEN:
                raise UnusableBackup(f"Can't open {source} ({error}).") from error
            reraise(error, db_path, opening=True)  # e.g. no room for the copy next to the database
        info = inspect(copy, label=source)
        current = _readable_info(db_path)
    except BaseException:
        _remove(copy)
        raise
    return PreparedRestore(db_path, source, copy, info, current)


def discard_restore(prepared: PreparedRestore) -> None:
    _remove(prepared.copy)


def finish_restore(prepared: PreparedRestore) -> RestoreResult:
    """Swap the validated copy in; the current database is kept as `<db>.before-restore-<time>`."""
    db_path, copy = prepared.db_path, prepared.copy
    if not copy.is_file():
        raise RuntimeError(f"the prepared copy {copy} is gone")
    if not db_path.exists():
        os.replace(copy, db_path)
        _fsync_dir(db_path.parent)
        return RestoreResult(db_path, prepared.source, prepared.info, None)
    keep = _free_name(db_path.with_name(f"{db_path.name}.before-restore-{_stamp()}"))
    try:
        if not _has_sqlite_header(db_path):
            # Not SQLite at all: nothing can have it open as a database, and SQLite must not touch
            # it (closing would delete a -wal beside it that someone may want to look at).
            _restore_by_rename(db_path, copy, keep)
        else:
            _restore_in_place(db_path, copy, keep)
    except sqlite3.Error as error:
        if primary_code(error) not in (SQLITE_CORRUPT, SQLITE_NOTADB):
            reraise(error, db_path, opening=True)
        # Too damaged to copy page by page: move it (and its journals) aside instead.
        log.warning("database %s is damaged (%s); restoring by renaming files", db_path, error)
        _remove(keep)
        _restore_by_rename(db_path, copy, keep)
    finally:
        _remove(copy)
    return RestoreResult(db_path, prepared.source, prepared.info, keep)


def _restore_in_place(db_path: Path, copy: Path, keep: Path) -> None:
    # timeout=0: never wait for another connection; if there is one, the restore must not happen.
    with _closing(sqlite3.connect(db_path, isolation_level=None, timeout=0)) as live:
        live.execute("PRAGMA locking_mode=EXCLUSIVE")  # once taken, our locks are kept until close
        try:
            mode = live.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            live.execute("BEGIN EXCLUSIVE")
            live.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if is_busy(error):
                raise _in_use(db_path) from error
            raise
        if mode != "delete":
            raise _in_use(db_path)
        with _closing(sqlite3.connect(keep, isolation_level=None)) as kept:
            live.backup(kept)
        _fsync(keep)
        with _closing(sqlite3.connect(copy, isolation_level=None)) as src:
            src.backup(live)  # one write transaction into the live file: all of it or none
        live.execute("PRAGMA journal_mode=WAL")
    _fsync(db_path)


def _restore_by_rename(db_path: Path, copy: Path, keep: Path) -> None:
    # A -wal or -journal left beside the database would be applied to the restored file on the
    # next open, so they move with the file they belong to.
    for suffix in ("", "-wal", "-shm", "-journal"):
        old = Path(f"{db_path}{suffix}")
        if old.exists():
            os.replace(old, Path(f"{keep}{suffix}"))
    os.replace(copy, db_path)
    _fsync_dir(db_path.parent)


def _in_use(db_path: Path) -> DatabaseInUse:
    return DatabaseInUse(
        f"Another program has the database {db_path} open (the bot, or another reviewbot command?). "
        "Stop it, then run the restore again. Nothing was changed."
    )


# --- validation ----------------------------------------------------------------------------------
def inspect(path: Path, *, label: Path | None = None) -> DatabaseInfo:
    """Validate a reviewbot database file (intact, our tables, a version this code can open)."""
    name = label or path
    try:
        with _connect_ro(path) as conn:
            problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise UnusableBackup(
                    f"{name} is damaged (integrity check: {'; '.join(problems)}). Pick another backup."
                )
            tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            missing = REQUIRED_TABLES - tables
            if missing or version < 1:
                raise UnusableBackup(
                    f"{name} is a SQLite database but not a reviewbot one (it has no "
                    f"{', '.join(sorted(missing or REQUIRED_TABLES))} table)."
                )
            latest = latest_schema_version()
            if version > latest:
                raise UnusableBackup(
                    f"{name} was made by a newer reviewbot (schema version {version}; this one knows up to "
                    f"{latest}). Upgrade reviewbot, then restore it."
                )
            counts = [
                int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in ("films", "reviews", "watchlist_entries")
            ]
    except sqlite3.DatabaseError as error:
        if primary_code(error) in (SQLITE_CORRUPT, SQLITE_NOTADB):
            raise UnusableBackup(f"{name} is damaged ({error}). Pick another backup.") from error
        raise
    return DatabaseInfo(name, path.stat().st_size, version, *counts)


def _readable_info(db_path: Path) -> DatabaseInfo | None:
    """The current database's contents for the confirmation question; None if it can't be read."""
    if not db_path.exists():
        return None
    try:
        with _connect_ro(db_path) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            size = _logical_size(conn)
            counts = [
                int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in ("films", "reviews", "watchlist_entries")
            ]
    except sqlite3.Error as error:
        log.info("the current database %s can't be summarised: %s", db_path, error)
        return None
    return DatabaseInfo(db_path, size, version, *counts)


def _require_database(db_path: Path) -> None:
    if not db_path.is_file():
        raise DatabaseUnavailable(f"There is no database at {db_path}.")


def _has_sqlite_header(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _require_sqlite_header(path: Path) -> None:
    try:
        is_sqlite = _has_sqlite_header(path)
    except OSError as error:
        raise UnusableBackup(f"Can't read {path}: {error.strerror or error}.") from error
    if not is_sqlite:
        raise UnusableBackup(
            f"{path} is not a SQLite database. Restore a file made by `reviewbot db backup` "
            "(or a copy of a reviewbot database)."
        )


# --- helpers -------------------------------------------------------------------------------------
@contextlib.contextmanager
def _connect_ro(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection (`mode=ro`: SQLite itself refuses any write), never creating a file."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def _closing(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield conn
    finally:
        conn.close()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories can't be opened (Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        log.debug("fsync of folder %s not supported", path)
    finally:
        os.close(fd)


def _logical_size(conn: sqlite3.Connection) -> int:
    """The database's size including what still sits in its WAL (the file alone can lag behind)."""
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    return pages * int(conn.execute("PRAGMA page_size").fetchone()[0])


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
