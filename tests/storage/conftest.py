"""Helpers for storage tests that run on both backends (the `store` fixture, tests/conftest.py)."""

from __future__ import annotations

import itertools
import re
from typing import Any

from storage.backends import SqliteStore
from storage.ports import Store


async def execute(store: Store, sql: str, *args: Any) -> None:
    """Raw SQL for setting up a case the repositories can't make (e.g. IMDb vote counts): written
    with `?` placeholders, numbered ($1, $2…) for PostgreSQL."""
    if isinstance(store, SqliteStore):
        await store.db.execute(sql, args)
        return
    numbers = itertools.count(1)
    await store.db.execute(re.sub(r"\?", lambda _: f"${next(numbers)}", sql), *args)  # type: ignore[attr-defined]


async def fetchval(store: Store, sql: str, *args: Any) -> Any:
    """The first column of the first row of a raw query (`?` placeholders), on either backend."""
    if isinstance(store, SqliteStore):
        row = await store.db.fetchone(sql, args)
        return None if row is None else row[0]
    numbers = itertools.count(1)
    return await store.db.fetchval(re.sub(r"\?", lambda _: f"${next(numbers)}", sql), *args)  # type: ignore[attr-defined]
