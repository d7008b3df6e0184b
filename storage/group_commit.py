"""Group commit: many small writes from many coroutines, one transaction and one thread hop.

aiosqlite runs every statement as its own hop to its worker thread, and each write that commits
alone pays a COMMIT. Under a burst (a server's members all adding films at once) that caps
throughput far below what SQLite can do. Here a write is a plain function of a sqlite3
connection, queued; a single flusher hands everything queued so far to a dedicated writer thread,
which runs the functions back to back inside ONE transaction, each in its own SAVEPOINT (so one
failing write rolls back alone), then COMMITs. Every caller gets its result only after that
COMMIT: an acknowledged write is durable, none is lost.

The flusher holds the database's asyncio write lock while a batch runs, so these writes never
contend with `Database.transaction()` inside SQLite. Another process can still hold SQLite's write
lock: BEGIN is retried with backoff after the busy timeout (nothing has run yet, so it is safe),
and a batch that still can't start, or that SQLite rolls back as a whole (disk full, I/O error),
fails for every caller in it with the `DatabaseProblem` explaining why (storage/errors.py).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from storage.errors import busy_backoff, is_busy, translate

log = logging.getLogger(__name__)
T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], Any]
MAX_BATCH = 512


class GroupCommitter:
    def __init__(
        self,
        path: Path,
        lock: asyncio.Lock,
        *,
        busy_timeout_ms: int,
        busy_retries: int = 0,
    ) -> None:
        self._path = path
        self._lock = lock
        self._busy_retries = busy_retries
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reviewbot-writer")
        self._conn = self._executor.submit(self._connect, path, busy_timeout_ms).result()
        self._pending: list[tuple[WriteFn, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0  # for tests and benchmarks
        self.writes = 0

    @staticmethod
    def _connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA secure_delete=ON")  # as storage/db.py: deleted rows are zeroed
        return conn

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in the next batch; its return value (or exception) once committed.

        A caller that is cancelled while waiting does not un-queue its write: it may still commit.
        """
        if self._closed:
            raise RuntimeError("the database is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="reviewbot-group-commit")
        return await future

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            async with self._lock:
                job = loop.run_in_executor(self._executor, self._run_batch, [fn for fn, _ in batch])
                try:
                    outcomes = await asyncio.shield(job)
                except asyncio.CancelledError:
                    await asyncio.wait([job])  # keep the lock until the thread is done with SQLite
                    raise
                except BaseException as error:  # BEGIN or COMMIT failed: nothing of the batch stands
                    log.warning("a batch of %d write(s) failed: %r", len(batch), error)
                    problem = translate(error, self._path)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(problem)
                    continue
            self.batches += 1
            self.writes += len(batch)
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue  # its caller was cancelled
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(translate(value, self._path))

    def _run_batch(self, fns: list[WriteFn]) -> list[tuple[bool, Any]]:
        """On the writer thread: one transaction, a savepoint per write."""
        conn = self._conn
        self._begin()
        outcomes: list[tuple[bool, Any]] = []
        try:
            for fn in fns:
                conn.execute("SAVEPOINT write")
                try:
                    outcomes.append((True, fn(conn)))
                except Exception as error:
                    if not conn.in_transaction:
                        # SQLite rolled the whole transaction back (disk full, I/O error): the
                        # batch's earlier writes are gone too, so the batch fails as a whole.
                        raise
                    conn.execute("ROLLBACK TO write")
                    outcomes.append((False, error))
                conn.execute("RELEASE write")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return outcomes

    def _begin(self) -> None:
        """BEGIN IMMEDIATE; after a busy timeout, retried with backoff (this thread only waits)."""
        for attempt in range(self._busy_retries + 1):
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not is_busy(error) or attempt == self._busy_retries:
                    raise
                delay = busy_backoff(attempt)
                log.info("database %s busy (%s); retrying the batch in %.2f s", self._path, error, delay)
                time.sleep(delay)

    async def close(self) -> None:
        """Finish what is queued, then close the connection and stop the thread."""
        self._closed = True
        if self._flusher is not None and not self._flusher.done():
            await asyncio.wait([self._flusher])
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._conn.close)
        self._executor.shutdown(wait=True)
