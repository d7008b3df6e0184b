"""The database handle: one aiosqlite writer connection plus one reader, migrations, transactions.

SQLite allows one writer at a time. All writes go through a single connection guarded by an
asyncio lock, so two coroutines can never interleave statements inside one transaction. Reads use
a second connection: in WAL mode they see the last committed state and never wait for the writer.

Another process (a CLI import, a backup) may hold the write lock: SQLite waits up to the busy
timeout, and starting a transaction is retried a few times with backoff (safe: nothing has run
yet). SQLite failures a person can act on (busy, disk full, read-only, damaged) leave as
`DatabaseProblem`s with a clear message (storage/errors.py), told apart by result code.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.errors import busy_backoff, cannot_create, explained, is_busy, newer_schema
from storage.group_commit import GroupCommitter

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
SLOW_QUERY_MS = 100  # reads slower than this are logged (WARNING)
READERS = 3  # reader connections (2 cores: a third keeps fast look-ups moving past two slow ones)
BUSY_RETRIES = 2  # after the first busy timeout: worst case about (1 + 2) x 5 s, then DatabaseBusy
T = TypeVar("T")


def _migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every `NNNN_name.sql` shipped in storage/migrations, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        version = int(name.split("_", 1)[0])
        found.append((version, name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return found


def latest_schema_version() -> int:
    """The newest `PRAGMA user_version` this code knows (older databases are migrated on open)."""
    return len(_migration_files())


async def _switch_to_wal(conn: aiosqlite.Connection, busy_timeout_ms: int) -> None:
    """Put the file in WAL mode (a no-op once it is: the mode is stored in the file).

    Switching a new file needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without
    its busy handler, when two connections race for that lock (two processes opening a fresh file
    together). So a busy switch is retried here with backoff until the busy timeout runs out.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    attempt = 0
    while True:
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if not is_busy(error) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(min(busy_backoff(attempt), max(0.0, deadline - time.monotonic())))
        attempt += 1


class Database:
    """Owns the connections. Create with `await Database.open(path)`; close with `await db.close()`."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        *,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        busy_retries: int = BUSY_RETRIES,
    ) -> None:
        self.path = path
        self._writer = writer
        # Readers: WAL lets them run side by side (and sqlite3 releases the GIL while it works), so
        # one slow query no longer holds up every look-up queued behind it. More join in open().
        self._readers: list[aiosqlite.Connection] = [reader]
        self._in_flight: list[int] = [0]
        self._busy_timeout_ms = busy_timeout_ms
        self._busy_retries = busy_retries
        self._write_lock = asyncio.Lock()
        self._write_owner: asyncio.Task[Any] | None = None  # the task inside transaction(), if any
        self._committer: GroupCommitter | None = None  # created on the first run_write()

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        migrate: bool = True,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        busy_retries: int = BUSY_RETRIES,
    ) -> Database:
        """Open (creating if needed) and migrate. A file that can't be opened, written, or read as a
        database raises a `DatabaseProblem` naming the path and the fix, so start-up fails clearly."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise cannot_create(path, error) from error
        with explained(path, opening=True):
            writer = await cls._connect(path, busy_timeout_ms)
            try:
                reader = await cls._connect(path, busy_timeout_ms)
            except BaseException:
                await writer.close()
                raise
        db = cls(path, writer, reader, busy_timeout_ms=busy_timeout_ms, busy_retries=busy_retries)
        try:
            with explained(path, opening=True):
                await db._refuse_newer()
                if migrate:
                    await db.migrate()
                await db._check_writable()
                for _ in range(READERS - 1):
                    db._readers.append(await cls._connect(path, busy_timeout_ms))
                    db._in_flight.append(0)
        except BaseException:
            # aiosqlite's worker threads are not daemons: an unclosed handle keeps the process alive.
            await db.close()
            raise
        return db

    @staticmethod
    async def _connect(path: Path, busy_timeout_ms: int) -> aiosqlite.Connection:
        # isolation_level=None: autocommit, so transactions are explicit (BEGIN IMMEDIATE below).
        conn = aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
        try:
            await conn
        except BaseException:
            # aiosqlite stops its thread after a failed connect, and that thread then reports to
            # this loop: wait for it, or it reports to a closed loop (an error in a thread) later.
            thread = getattr(conn, "_thread", None)
            if thread is not None:
                await asyncio.to_thread(thread.join, 5)
            raise
        try:
            conn.row_factory = sqlite3.Row
            await _switch_to_wal(conn, busy_timeout_ms)
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            # WAL + NORMAL: a commit is durable once written to the WAL (it survives a crash of the
            # process, kill -9 included); only a power cut or OS crash can lose the last commits.
            await conn.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros, not left in free space: a person who erases
            # their data (privacy delete) leaves no readable trace in the file.
            await conn.execute("PRAGMA secure_delete=ON")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _refuse_newer(self) -> None:
        """A database from a newer reviewbot (schema beyond our migrations) is not ours to touch:
        its tables may hold data this code would mangle, so it is refused before anything writes."""
        version = await self._user_version()
        if version > latest_schema_version():
            raise newer_schema(str(self.path), version, latest_schema_version())

    async def _check_writable(self) -> None:
        """Fail at start-up, not at a user's first write, when the file can't be written.

        A read-only file opens and reads fine; SQLite refuses only the first page write. So write
        one (user_version, unchanged) and roll it back. If another process holds the write lock we
        don't wait for it: that process writing shows the file is writable.
        """
        async with self._write_lock:
            await self._writer.execute("PRAGMA busy_timeout=0")
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    raise
                return
            finally:
                await self._writer.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            try:
                version = await self._user_version()
                await self._writer.execute(f"PRAGMA user_version={version}")
            finally:
                await self._rollback()

    async def close(self) -> None:
        if self._committer is not None:
            await self._committer.close()
        for conn in (*self._readers, self._writer):
            try:
                await conn.close()
            except (sqlite3.Error, ValueError):  # pragma: no cover - closing twice
                log.debug("connection already closed")

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- migrations ------------------------------------------------------------------------------
    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than `PRAGMA user_version`, each in its own transaction.

        Returns the number applied; running it again is a no-op. The version is read again inside
        each transaction, so two processes opening a new database at once (the bot and a CLI
        import) do not both apply the same migration.
        """
        applied = 0
        async with self._write_lock:
            current = await self._user_version()
            for version, name, sql in _migration_files():
                if version <= current:
                    continue
                await self._begin()
                try:
                    current = await self._user_version()
                    if version > current:
                        log.info("applying migration %s", name)
                        for statement in _split_sql(sql):
                            await self._writer.execute(statement)
                        await self._writer.execute(f"PRAGMA user_version={version}")
                        applied += 1
                        current = version
                except BaseException:
                    await self._rollback()
                    raise
                await self._commit()
        return applied

    async def _user_version(self) -> int:
        cursor = await self._writer.execute("PRAGMA user_version")
        row = await cursor.fetchone()
        await cursor.close()
        return int(row[0]) if row else 0

    # --- reads -----------------------------------------------------------------------------------
    # One hop to the reader thread per query (execute_fetchall), not three (execute, fetch, close):
    # under a burst of interactions the hops, not SQLite, are what queue up.
    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        started = time.perf_counter()
        index = min(range(len(self._readers)), key=self._in_flight.__getitem__)  # the least busy
        self._in_flight[index] += 1
        try:
            with explained(self.path):
                rows = list(await self._readers[index].execute_fetchall(sql, params))
        finally:
            self._in_flight[index] -= 1
        _note_slow(sql, started)
        return rows

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """The first row of a query meant to return one (a look-up by key, an aggregate)."""
        return next(iter(await self.fetchall(sql, params)), None)

    # --- writes ----------------------------------------------------------------------------------
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Writer]:
        """Serialise a group of writes: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception.

        Not re-entrant: inside a transaction use its `Writer`, not `db.execute` (that would wait
        for the lock this task already holds, forever), so nesting raises instead.
        """
        task = asyncio.current_task()
        if task is not None and task is self._write_owner:
            raise RuntimeError("nested Database.transaction(): use the Writer of the open transaction")
        async with self._write_lock:
            self._write_owner = task
            try:
                # Errors leaving the transaction (from BEGIN, the body's statements, or COMMIT) that a
                # person can act on become DatabaseProblems; the transaction is rolled back either way.
                with explained(self.path):
                    await self._begin()
                    try:
                        yield Writer(self._writer)
                    except BaseException:
                        await self._rollback()
                        raise
                    await self._commit()
            finally:
                self._write_owner = None

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE, retried with backoff while another process holds the write lock
        beyond the busy timeout (safe: nothing has run yet). Still busy: the busy error."""
        for attempt in range(self._busy_retries + 1):
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                return
            except asyncio.CancelledError:
                # aiosqlite runs the statement on its own thread even when the caller stops waiting, so
                # the transaction opens anyway. Queue a ROLLBACK behind it (the thread runs statements in
                # order) before the lock is released, or the next BEGIN fails with "cannot start a
                # transaction within a transaction" for ever after.
                await self._rollback()
                raise
            except sqlite3.OperationalError as error:
                if not is_busy(error) or attempt == self._busy_retries:
                    raise
                delay = busy_backoff(attempt)
                log.info("database %s busy (%s); retrying in %.2f s", self.path, error, delay)
                await asyncio.sleep(delay)

    async def _commit(self) -> None:
        try:
            await self._writer.execute("COMMIT")
        except sqlite3.Error:
            # A failed COMMIT leaves the transaction open; close it so the connection stays usable.
            await self._rollback()
            raise

    async def _rollback(self) -> None:
        """Roll back the open transaction; never hides the exception that brought us here."""
        try:
            await self._writer.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:  # SQLite had already rolled back (e.g. disk full)
            log.warning("rollback found no open transaction: %s", exc)

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a small write function `fn(conn)` with group commit (see storage/group_commit.py):
        it shares one transaction with whatever else is queued, and returns once committed.
        `fn` runs on the writer thread: plain sqlite3 calls, no awaits, nothing slow."""
        if self._committer is None:
            with explained(self.path):
                self._committer = GroupCommitter(
                    self.path, self._write_lock, busy_timeout_ms=self._busy_timeout_ms, busy_retries=self._busy_retries
                )
        return await self._committer.run(fn)

    async def scrub(self, fts_tables: Sequence[str]) -> None:
        """After an erasure, leave none of the erased text in the file: secure_delete (set on every
        connection) zeroes deleted rows, but a full-text index only marks entries deleted until its
        segments are merged, so merge them ('optimize', which frees the old pages: zeroed too), and
        the WAL still holds old page images until it is checkpointed and truncated."""
        async with self.transaction() as tx:
            for table in fts_tables:
                await tx.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        async with self._write_lock:
            with explained(self.path):
                cursor = await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                row = await cursor.fetchone()
                await cursor.close()
        if row is not None and row[0]:
            log.warning("The WAL of %s could not be truncated yet (a reader was busy); it will be on the next "
                        "checkpoint", self.path)

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """One write statement in its own transaction; returns the rows changed."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)


class Writer:
    """The write side of an open transaction (see `Database.transaction`)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        changed = cursor.rowcount
        await cursor.close()
        return changed

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any] | dict[str, Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        cursor = await self._conn.execute(sql, params)
        row = await cursor.fetchone()
        await cursor.close()
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        cursor = await self._conn.execute(sql, params)
        rows = await cursor.fetchall()
        await cursor.close()
        return list(rows)

    async def savepoint(self, name: str) -> None:
        await self._conn.execute(f"SAVEPOINT {name}")

    async def release(self, name: str) -> None:
        await self._conn.execute(f"RELEASE {name}")

    async def rollback_to(self, name: str) -> None:
        await self._conn.execute(f"ROLLBACK TO {name}")
        await self._conn.execute(f"RELEASE {name}")


def _note_slow(sql: str, started: float) -> None:
    """A slow read holds one of the few reader connections (READERS) while look-ups queue for the
    rest: log it (the SQL only, never its parameters, which can hold what people typed)."""
    elapsed = (time.perf_counter() - started) * 1000
    if elapsed > SLOW_QUERY_MS:
        log.warning("slow query (%.0f ms): %s", elapsed, " ".join(sql.split())[:160])


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping CREATE TRIGGER … BEGIN … END; bodies whole.

    `executescript` would be simpler but it COMMITs first, which breaks the one-transaction rule.
    """
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if statement and statement != ";":
                statements.append(statement)
            buffer = ""
    if buffer.strip():
        raise RuntimeError(f"incomplete SQL statement in migration: {buffer[:80]!r}")
    return statements
