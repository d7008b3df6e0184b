"""Cooldowns and rate limits in the database, on both backends: a burst from two processes (two
stores on one database) is checked and charged atomically; old hits leave the window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from storage.backends import open_store
from storage.ports import Store


@pytest.fixture
async def two(db_target: Callable[..., str | Path]) -> AsyncIterator[tuple[Store, Store]]:
    target = db_target()
    first = await open_store(target)
    second = await open_store(target)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_a_burst_of_hits_from_two_processes_counts_exactly_the_limit(two: tuple[Store, Store]) -> None:
    one, other = two
    waits = await asyncio.gather(*(
        (one if i % 2 else other).limits.hit("burst", "write", 5, 60.0, 1000.0 + i / 100) for i in range(40)
    ))
    assert sum(w == 0 for w in waits) == 5
    # The hits' clocks span 0.39 s and they run in any order, so a refusal waits up to the window plus that.
    assert all(0 < w <= 60 + 0.4 for w in waits if w)
    assert await one.limits.hit("someone else", "write", 5, 60.0, 1000.5) == 0  # per person


async def test_old_hits_leave_the_window_and_the_wait_is_until_the_oldest_leaves(store: Store) -> None:
    assert await store.limits.hit("u", "write", 2, 10.0, 100.0) == 0
    assert await store.limits.hit("u", "write", 2, 10.0, 104.0) == 0
    assert await store.limits.hit("u", "write", 2, 10.0, 105.0) == pytest.approx(5.0)  # refused: not counted
    assert await store.limits.hit("u", "write", 2, 10.0, 110.5) == 0  # the first left the window
    assert await store.limits.hit("u", "write", 2, 10.0, 111.0) == pytest.approx(3.0)


async def test_a_burst_of_cooldown_starts_from_two_processes_starts_one(two: tuple[Store, Store]) -> None:
    one, other = two
    started = await asyncio.gather(*(
        (one if i % 2 else other).limits.start_cooldown("burst", "llm", 30.0, 1000.0) for i in range(30)
    ))
    assert started.count((0.0, 30.0)) == 1
    assert all(left == pytest.approx(30.0) and length == 30.0 for left, length in started if left)
    assert await other.limits.cooldown_left("burst", "llm", 1010.0) == (pytest.approx(20.0), 30.0)
    # Over: a new one starts, with its own length.
    assert await one.limits.start_cooldown("burst", "llm", 5.0, 1031.0) == (0.0, 5.0)
    assert await one.limits.start_cooldown("burst", "llm", 5.0, 1032.0) == (pytest.approx(4.0), 5.0)
