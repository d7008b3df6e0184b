"""A PostgreSQL server for the tests: fresh databases per test run, dropped at the end.

The server is REVIEWBOT_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test, the
development and CI machines' server). Each run names its databases `reviewbot_test_<pid>_<random>…`
so parallel runs on one server never meet; `drop_all` removes them when the session ends.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

T = TypeVar("T")
ADMIN_URL = os.environ.get("REVIEWBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def run_isolated(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on its own loop and thread: session fixtures may be first
    requested from inside a running test loop, where asyncio.run is not allowed."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class PgCluster:
    """Creates and drops the test run's databases (synchronously: used from session fixtures)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"reviewbot_test_{os.getpid()}_{secrets.token_hex(3)}"
        self._created: list[str] = []
        self._count = 0

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

    def create(self, *, template: str | None = None, label: str = "db") -> str:
        """A new empty database (or a copy of `template`); returns its URL."""
        self._count += 1
        name = f"{self.prefix}_{label}_{self._count}"
        clause = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{clause}')
        self._created.append(name)
        return self.url(name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._created:
            self._created.remove(name)

    def drop_all(self) -> None:
        for name in reversed(self._created):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.clear()

    def _admin(self, sql: str) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(self.admin_url, timeout=10)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        run_isolated(run())
