"""Single-flight leases on both backends: renewed while the call runs, released when it ends,
free again soon after their holder dies (issue 11: one LLM call per film and mode, whatever
the call's length, across processes)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from storage.backends import open_store
from storage.ports import Store
from storage.postgres import PostgresStore
from storage.postgres.repos import PgSummaryRepository
from storage.records import SummaryKey
from storage.single_flight import key_text
from storage.summaries import SummaryRepository

LEASE = 0.4  # seconds: every test holds a lease for several times this
KEY = SummaryKey(film_id=7, mode="spoiler_free", engine="llm", prompt_version="v1", review_set_hash="h")
ROOT = Path(__file__).resolve().parents[2]
NAME = key_text(KEY.film_id, KEY.mode, KEY.engine, KEY.prompt_version)


def leases(store: Store) -> Any:
    """A summary repository on this store's database with short leases (one 'process')."""
    if isinstance(store, PostgresStore):
        return PgSummaryRepository(store.db, lease_seconds=LEASE)
    return SummaryRepository(store.db, lease_seconds=LEASE)  # type: ignore[attr-defined]


@pytest.fixture
async def two(db_target: Callable[..., str | Path]) -> AsyncIterator[tuple[Any, Any, str | Path]]:
    """Two stores on one database, each with its own connections and in-process locks: two
    processes, as far as single-flight can tell."""
    target = db_target()
    first = await open_store(target)
    second = await open_store(target)
    try:
        yield leases(first), leases(second), target
    finally:
        await first.close()
        await second.close()


def heartbeats() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("lease heartbeat")]


async def test_a_call_longer_than_the_lease_keeps_it(two: tuple[Any, Any, str | Path]) -> None:
    one, other, _ = two
    events: list[str] = []
    holding = asyncio.Event()

    async def long_call() -> None:
        async with one.single_flight(KEY):
            events.append("first in")
            holding.set()
            await asyncio.sleep(LEASE * 4)  # four lease lengths: only renewals keep it
            events.append("first out")

    async def second_request() -> None:
        await holding.wait()
        async with other.single_flight(KEY):
            events.append("second in")

    await asyncio.gather(long_call(), second_request())
    assert events == ["first in", "first out", "second in"]
    assert heartbeats() == []  # each heartbeat stopped with its call


async def test_the_lease_is_released_when_the_call_ends_or_fails(two: tuple[Any, Any, str | Path]) -> None:
    one, other, _ = two
    async with one.single_flight(KEY):
        assert not await other.take(NAME, "someone else", LEASE)
    assert await other.take(NAME, "someone else", LEASE)  # free at once, not after expiry
    await other.release(NAME, "someone else")

    with pytest.raises(RuntimeError):
        async with one.single_flight(KEY):
            raise RuntimeError("the model failed")
    assert await other.take(NAME, "someone else", LEASE)
    await asyncio.sleep(LEASE)
    # The finished holder's heartbeat does not renew (or take back) the lease now someone else's.
    assert not await one.renew(NAME, "a finished holder", LEASE)
    assert heartbeats() == []


async def test_a_cancelled_request_releases_and_stops_renewing(two: tuple[Any, Any, str | Path]) -> None:
    one, other, _ = two
    inside = asyncio.Event()

    async def request() -> None:
        async with one.single_flight(KEY):
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(request())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert heartbeats() == []
    assert await other.take(NAME, "next", LEASE)


async def test_a_lease_nobody_renews_expires(two: tuple[Any, Any, str | Path]) -> None:
    """A holder that took the lease and stopped (its process died) blocks the key for one lease
    length, not for the waiters' whole patience."""
    one, other, _ = two
    assert await one.take(NAME, "died mid-call", LEASE)
    started = time.monotonic()
    async with other.single_flight(KEY):
        waited = time.monotonic() - started
    assert LEASE * 0.5 <= waited < LEASE * 5


HOLDER = """
import asyncio, sys
from storage.backends import open_store
from tests.storage.test_single_flight import KEY, leases

async def main() -> None:
    store = await open_store(sys.argv[1])
    async with leases(store).single_flight(KEY):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_another_process_renews_its_lease_and_frees_it_by_dying(two: tuple[Any, Any, str | Path]) -> None:
    """A real second process: while it lives, its heartbeat keeps the key from us well past the
    lease length; killed (no clean-up), its lease expires and we take the key."""
    _, other, target = two
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(target), stdout=asyncio.subprocess.PIPE,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        assert line.decode().strip() == "held"
        deadline = time.monotonic() + LEASE * 5
        while time.monotonic() < deadline:
            assert not await other.take(NAME, "us", LEASE), "the living holder's lease was lost"
            await asyncio.sleep(LEASE / 4)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    killed = time.monotonic()
    async with other.single_flight(KEY):
        waited = time.monotonic() - killed
    assert waited < LEASE * 3
