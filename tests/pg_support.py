"""A PostgreSQL server for the tests: fresh databases per test run, dropped at the end.

The server is REVIEWBOT_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test, the
development and CI machines' server). Each run (each pytest-xdist worker) names its databases
`reviewbot_test_<pid>_<random>…` so parallel runs on one server never meet; `drop_all` removes them
when the session ends.

Creating a database takes PostgreSQL about 0.3-0.5 s and dropping one about 0.8-1 s (a drop waits
for a checkpoint; drops made together share one), most of it waiting rather than working. So the databases a test
asks for are made ahead, a few at a time, by a background thread (`create` hands out one that is
ready), and a test's database is dropped in that thread too (`drop` returns at once): a test waits
for neither, and the waiting of several overlaps.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections import deque
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

T = TypeVar("T")
ADMIN_URL = os.environ.get("REVIEWBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
READY_AHEAD = 3  # databases kept ready per template once a test has asked for one
# Statements that may run at once. Each DROP DATABASE waits for a checkpoint (about a second), and
# drops running together share one, so drops get more room; creations (which need none) their own.
CREATE_SLOTS = 3
DROP_SLOTS = 8


def run_isolated(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on its own loop and thread: session fixtures may be first
    requested from inside a running test loop, where asyncio.run is not allowed."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class _Admin:
    """An event loop in a thread of its own that runs CREATE and DROP DATABASE statements (at most
    CREATE_SLOTS and DROP_SLOTS at a time) while the tests go on."""

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pg-admin", daemon=True)
        self._thread.start()
        self._slots: dict[str, asyncio.Semaphore] = {}

    def submit(self, sql: str) -> Future[None]:
        return asyncio.run_coroutine_threadsafe(self._execute(sql), self._loop)

    async def _execute(self, sql: str) -> None:
        kind = sql.split()[0]
        if kind not in self._slots:
            self._slots[kind] = asyncio.Semaphore(DROP_SLOTS if kind == "DROP" else CREATE_SLOTS)
        async with self._slots[kind]:
            for attempt in range(20):
                conn = await asyncpg.connect(self._admin_url, timeout=10)
                try:
                    await conn.execute(sql)
                    return
                except asyncpg.ObjectInUseError:
                    # A template whose last connection (from the fixture that built it) is still
                    # closing on the server: CREATE … TEMPLATE waits until it is gone.
                    if attempt == 19:
                        raise
                finally:
                    await conn.close()
                await asyncio.sleep(0.05)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class PgCluster:
    """Creates and drops the test run's databases. Its methods are synchronous (session fixtures
    use them from any thread); the statements run in the background thread."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"reviewbot_test_{os.getpid()}_{secrets.token_hex(3)}"
        self._lock = threading.Lock()
        self._created: set[str] = set()
        self._ready: dict[str | None, deque[tuple[str, Future[None]]]] = {}
        self._drops: list[Future[None]] = []
        self._count = 0
        self._admin_thread: _Admin | None = None

    @classmethod
    def reach(cls, admin_url: str = ADMIN_URL) -> tuple[PgCluster | None, str]:
        """The cluster, or None and why not (one line)."""

        async def probe() -> None:
            conn = await asyncpg.connect(admin_url, timeout=3)
            await conn.close()

        try:
            run_isolated(probe())
        except Exception as error:  # any failure to connect means: no PostgreSQL here
            return None, f"no PostgreSQL reachable at {admin_url} ({type(error).__name__}: {error})"
        return cls(admin_url), ""

    def url(self, name: str) -> str:
        return _with_database(self.admin_url, name)

    @property
    def _admin(self) -> _Admin:
        if self._admin_thread is None:
            self._admin_thread = _Admin(self.admin_url)
        return self._admin_thread

    def _start_create(self, template: str | None, label: str) -> tuple[str, Future[None]]:
        with self._lock:
            self._count += 1
            name = f"{self.prefix}_{label}_{self._count}"
            self._created.add(name)
        clause = f' TEMPLATE "{template}"' if template else ""
        return name, self._admin.submit(f'CREATE DATABASE "{name}"{clause}')

    def create(self, *, template: str | None = None, label: str = "db", ahead: bool = True) -> str:
        """A new empty database (or a copy of `template`); returns its URL.

        With `ahead` (the default) it comes from the databases made in advance for that template,
        and the next ones are started now. A template itself is made with `ahead=False`.
        """
        if not ahead:
            name, future = self._start_create(template, label)
            future.result()
            return self.url(name)
        with self._lock:
            ready = self._ready.setdefault(template, deque())
        if not ready:
            ready.append(self._start_create(template, "db"))
        name, future = ready.popleft()
        while len(ready) < READY_AHEAD:
            ready.append(self._start_create(template, "db"))
        future.result()
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop the database in the background (a session's end waits for every drop)."""
        name = urlsplit(url).path.lstrip("/")
        with self._lock:
            self._created.discard(name)
        self._drops.append(self._admin.submit(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_all(self) -> None:
        """Drop every database this run made (those made ahead and never used too), at the end."""
        if self._admin_thread is None:
            return
        for ready in self._ready.values():
            for _, future in ready:
                future.exception()  # made or failed: either way, drop it below
        self._ready.clear()
        with self._lock:
            names = list(self._created)
        for name in names:
            self.drop(self.url(name))
        for future in self._drops:
            future.result()
        self._drops.clear()
        self._admin_thread.close()
        self._admin_thread = None
