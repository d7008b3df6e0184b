"""Leases on both backends: one holder at a time, renewals, release, take-over after expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from storage.backends import open_store
from storage.ports import Store


async def test_one_owner_holds_a_lease_until_it_releases_it(store: Store) -> None:
    leases = store.leases
    assert await leases.acquire("summary:1", "a", 30, now=1000)
    assert not await leases.acquire("summary:1", "b", 30, now=1001)
    assert await leases.acquire("summary:2", "b", 30, now=1001)  # another name is another lease
    assert await leases.acquire("summary:1", "a", 30, now=1002)  # the holder taking it again renews it
    await leases.release("summary:1", "b")  # not b's: nothing happens
    assert not await leases.acquire("summary:1", "b", 30, now=1003)
    await leases.release("summary:1", "a")
    assert await leases.acquire("summary:1", "b", 30, now=1004)


async def test_an_expired_lease_is_taken_over_and_its_old_holder_knows(store: Store) -> None:
    leases = store.leases
    assert await leases.acquire("work", "dead", 10, now=1000)
    assert await leases.renew("work", "dead", 10, now=1005)  # now held until 1015
    assert not await leases.acquire("work", "alive", 10, now=1014)
    assert await leases.acquire("work", "alive", 10, now=1015)
    assert not await leases.renew("work", "dead", 10, now=1016)
    await leases.release("work", "dead")  # the late release of the old holder frees nothing
    assert not await leases.acquire("work", "third", 10, now=1017)


async def test_of_many_handles_racing_for_a_lease_exactly_one_wins(
    db_target: Callable[..., str | Path],
) -> None:
    """Several processes (one store each, on one database) ask at the same moment."""
    target = db_target()
    stores = [await open_store(target) for _ in range(4)]
    try:
        won = await asyncio.gather(
            *(s.leases.acquire("race", f"p{i}-{j}", 30, now=1000) for i, s in enumerate(stores) for j in range(5))
        )
    finally:
        for s in stores:
            await s.close()
    assert sum(won) == 1
