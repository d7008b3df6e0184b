"""The watchlist repository on both backends: keyed by (user, scope), ordered, limited, shared."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest

from storage.ports import Store, WatchlistStore
from storage.records import FilmInput
from tests.storage.conftest import execute


@pytest.fixture
async def film_ids(store: Store) -> list[int]:
    films = store.films
    return [(await films.add(FilmInput(title=t, year=y))).id
            for t, y in [("Arrival", 2016), ("Parasite", 2019), ("Get Out", 2017), ("Oldboy", 2003)]]


@pytest.fixture
def repo(store: Store) -> WatchlistStore:
    return store.watchlists


async def test_add_is_idempotent(repo: WatchlistStore, film_ids: list[int]) -> None:
    assert await repo.add("u1", "", film_ids[0], max_size=10) == "added"
    assert await repo.add("u1", "", film_ids[0], max_size=10) == "exists"
    assert len(await repo.list("u1", "")) == 1


async def test_add_respects_the_size_limit(repo: WatchlistStore, film_ids: list[int]) -> None:
    assert [await repo.add("u1", "", f, max_size=2) for f in film_ids[:3]] == ["added", "added", "full"]
    assert await repo.add("u1", "", film_ids[0], max_size=2) == "exists"  # a full list still says exists
    assert await repo.add("u2", "", film_ids[2], max_size=2) == "added"  # the limit is per person


async def test_entries_are_per_user_and_scope(repo: WatchlistStore, film_ids: list[int]) -> None:
    await repo.add("u1", "", film_ids[0], max_size=10)
    await repo.add("u1", "guild-1", film_ids[1], max_size=10)
    await repo.add("u2", "", film_ids[2], max_size=10)
    assert [e.title for e in await repo.list("u1", "")] == ["Arrival"]
    assert [e.title for e in await repo.list("u1", "guild-1")] == ["Parasite"]
    assert [e.title for e in await repo.list("u2", "")] == ["Get Out"]
    assert await repo.list("u3", "") == []
    # Changing someone else's entry through their film id does nothing.
    assert not await repo.remove("u2", "", film_ids[0])
    assert not await repo.mark_watched("u2", "", film_ids[0], 4.0, "mine now")
    assert await repo.get("u2", "", film_ids[0]) is None
    entry = await repo.get("u1", "", film_ids[0])
    assert entry is not None and entry.watched_at is None and entry.note is None
    assert [(s, e.title) for s, e in await repo.all_for_user("u1")] == [("", "Arrival"), ("guild-1", "Parasite")]


async def test_list_order_unwatched_oldest_first_then_watched_newest_first(
    store: Store, repo: WatchlistStore, film_ids: list[int]
) -> None:
    for film_id in film_ids:  # added within the same second: insertion order must still hold
        await repo.add("u1", "", film_id, max_size=10)
    assert [e.title for e in await repo.list("u1", "")] == ["Arrival", "Parasite", "Get Out", "Oldboy"]
    await repo.mark_watched("u1", "", film_ids[0], None, None)
    await repo.mark_watched("u1", "", film_ids[2], None, None)
    await execute(store, "UPDATE watchlist_entries SET watched_at = '2020-01-01T00:00:00Z' WHERE film_id = ?",
                  film_ids[0])
    titles = [e.title for e in await repo.list("u1", "")]
    assert titles == ["Parasite", "Oldboy", "Get Out", "Arrival"]
    await execute(store, "UPDATE watchlist_entries SET added_at = '2000-01-01T00:00:00Z' WHERE film_id = ?",
                  film_ids[3])
    assert [e.title for e in await repo.list("u1", "")][:2] == ["Oldboy", "Parasite"]


async def test_mark_watched_keeps_earlier_rating_and_note(repo: WatchlistStore, film_ids: list[int]) -> None:
    await repo.add("u1", "", film_ids[1], max_size=10)
    assert await repo.mark_watched("u1", "", film_ids[1], 4.5, "stairs!")
    assert await repo.mark_watched("u1", "", film_ids[1], None, None)
    entry = await repo.get("u1", "", film_ids[1])
    assert entry is not None and (entry.rating, entry.note) == (4.5, "stairs!")
    assert entry.watched_at is not None and entry.watched_at.endswith("Z")
    assert entry.label == "Parasite (2019)"


async def test_schema_rejects_ratings_off_the_half_star_scale(store: Store, film_ids: list[int]) -> None:
    for bad in (0.0, 3.3, 5.5, 7.0):
        with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError)):
            await execute(
                store, "INSERT INTO watchlist_entries (user_id, film_id, rating) VALUES ('u', ?, ?)", film_ids[0], bad
            )


async def test_sharing_flag(repo: WatchlistStore) -> None:
    assert not await repo.is_shared("u1")
    await repo.set_shared("u1", True)
    assert await repo.is_shared("u1") and not await repo.is_shared("u2")
    await repo.set_shared("u1", False)
    assert not await repo.is_shared("u1")


async def test_add_in_a_unit_of_work_is_idempotent(store: Store, repo: WatchlistStore, film_ids: list[int]) -> None:
    async with store.unit_of_work() as unit:
        assert await unit.add_watchlist_entry("u1", "", film_ids[0], "2021-05-01T10:00:00Z") == 1
        assert await unit.add_watchlist_entry("u1", "", film_ids[0], None) == 0
        assert await unit.add_watchlist_entry("u1", "", film_ids[1], None) == 1
    entries = await repo.list("u1", "")
    assert entries[0].added_at == "2021-05-01T10:00:00Z"
    assert len(entries) == 2


async def test_concurrent_adds_never_pass_the_size_limit(repo: WatchlistStore, film_ids: list[int]) -> None:
    outcomes = await asyncio.gather(*(repo.add("u1", "", f, max_size=2) for f in film_ids))
    assert sorted(outcomes) == ["added", "added", "full", "full"]
    assert len(await repo.list("u1", "")) == 2
