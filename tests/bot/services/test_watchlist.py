"""WatchlistService over the sample data: add/remove/list/watched, limits, scopes, and isolation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Services, open_services
from bot.errors import AmbiguousFilm, FilmNotFound, InvalidInput, LimitReached, NotOnWatchlist, PermissionDenied
from bot.settings import Settings

ANN, BOB = "111", "222"


async def test_add_then_add_again_says_already_on_your_list(services: Services) -> None:
    first = await services.watchlist.add(ANN, "parasite")
    assert first.status == "added" and not first.created_film
    assert first.message == "Added Parasite (2019) to your list."
    again = await services.watchlist.add(ANN, "Parasite (2019)")
    assert again.status == "exists" and "already on your list" in again.message
    assert [e.label for e in await services.watchlist.list(ANN)] == ["Parasite (2019)"]


async def test_add_resolves_typos_and_years(services: Services) -> None:
    assert (await services.watchlist.add(ANN, "Dear Comrads")).film.title == "Dear Comrades!"
    assert (await services.watchlist.add(ANN, "psycho 1998")).film.label == "Psycho (1998)"
    with pytest.raises(AmbiguousFilm):
        await services.watchlist.add(ANN, "Psycho")


async def test_add_unknown_film_creates_a_stub_and_says_so(services: Services) -> None:
    change = await services.watchlist.add(ANN, "Nomadland (2020)")
    assert change.status == "added" and change.created_film and change.film.is_stub
    assert change.film.label == "Nomadland (2020)"
    assert "didn't know this film" in change.message and "title and year" in change.message
    no_year = await services.watchlist.add(ANN, "Minari")
    assert "didn't know" in no_year.message and "(title only)" in no_year.message
    # The stub is a real film now: found by title and by typo, not created twice.
    assert (await services.watchlist.add(BOB, "nomadlnd")).film.id == change.film.id


@pytest.mark.parametrize("typed", ["", "   ", "!!!", "film:999999"])
async def test_add_rejects_what_cannot_become_a_film(services: Services, typed: str) -> None:
    with pytest.raises((InvalidInput, FilmNotFound)):
        await services.watchlist.add(ANN, typed)
    assert await services.watchlist.list(ANN) == []


async def test_remove(services: Services) -> None:
    await services.watchlist.add(ANN, "Arrival")
    change = await services.watchlist.remove(ANN, "arrival")
    assert change.status == "removed" and change.message == "Removed Arrival (2016) from your list."
    assert await services.watchlist.list(ANN) == []
    with pytest.raises(NotOnWatchlist, match="isn't on your list"):
        await services.watchlist.remove(ANN, "Arrival")


async def test_remove_uses_your_own_list_to_pick_the_remake(services: Services) -> None:
    await services.watchlist.add(ANN, "Psycho (1998)")
    assert (await services.watchlist.remove(ANN, "psycho")).film.label == "Psycho (1998)"


async def test_remove_of_a_film_not_on_the_list(services: Services) -> None:
    await services.watchlist.add(ANN, "Parasite")
    with pytest.raises(NotOnWatchlist):
        await services.watchlist.remove(ANN, "Oldboy")
    with pytest.raises(FilmNotFound):
        await services.watchlist.remove(ANN, "xqzzv blorp")
    assert len(await services.watchlist.list(ANN)) == 1


async def test_list_order_and_dates(services: Services) -> None:
    for title in ("Arrival", "Parasite", "Get Out", "Oldboy"):
        await services.watchlist.add(ANN, title)
    await services.watchlist.mark_watched(ANN, "Parasite", rating=5)
    await services.store.db.execute("UPDATE watchlist_entries SET watched_at = '2001-01-01T00:00:00Z' "
                              "WHERE film_id = (SELECT id FROM films WHERE title = 'Parasite')")
    await services.watchlist.mark_watched(ANN, "Get Out")
    entries = await services.watchlist.list(ANN)
    assert [e.title for e in entries] == ["Arrival", "Oldboy", "Get Out", "Parasite"]
    assert all(e.added_at.endswith("Z") for e in entries)
    assert [e.watched_at is not None for e in entries] == [False, False, True, True]


async def test_mark_watched_with_rating_and_note(services: Services) -> None:
    await services.watchlist.add(ANN, "Oldboy")
    change = await services.watchlist.mark_watched(ANN, "oldboy", rating=4.5, note="  the hallway  fight ")
    assert change.status == "watched" and change.message == "Marked Oldboy (2003) as watched with 4.5/5."
    assert change.entry is not None
    assert (change.entry.rating, change.entry.note) == (4.5, "the hallway fight")
    assert change.entry.watched_at is not None


@pytest.mark.parametrize("rating", [0.5, 1, 2.5, 5])
async def test_ratings_in_half_stars_are_accepted(services: Services, rating: float) -> None:
    change = await services.watchlist.mark_watched(ANN, "Arrival", rating=rating)
    assert change.entry is not None and change.entry.rating == rating


async def test_bad_ratings_and_long_notes_are_rejected(services: Services) -> None:
    await services.watchlist.add(ANN, "Arrival")
    for rating in (3.3, 7, 0, -1, 5.5, float("nan"), float("inf")):
        with pytest.raises(InvalidInput, match="half stars"):
            await services.watchlist.mark_watched(ANN, "Arrival", rating=rating)
    limit = services.settings.max_note_chars
    with pytest.raises(InvalidInput, match=str(limit)):
        await services.watchlist.mark_watched(ANN, "Arrival", note="x" * (limit + 1))
    [entry] = await services.watchlist.list(ANN)
    assert entry.watched_at is None and entry.rating is None  # nothing half-done


async def test_marking_a_film_not_on_the_list_adds_it(services: Services) -> None:
    change = await services.watchlist.mark_watched(ANN, "Get Out", rating=4)
    assert change.status == "watched"
    [entry] = await services.watchlist.list(ANN)
    assert entry.title == "Get Out" and entry.watched_at is not None and entry.rating == 4


async def test_marking_an_unknown_film_creates_it(services: Services) -> None:
    change = await services.watchlist.mark_watched(ANN, "Minari (2020)", rating=4)
    assert change.film.is_stub and change.film.label == "Minari (2020)"
    assert "didn't know" in change.message
    [entry] = await services.watchlist.list(ANN)
    assert entry.watched_at is not None


async def test_size_limit(make_settings: Callable[..., Settings]) -> None:
    async with open_services(make_settings(max_watchlist_size=3)) as svc:
        for title in ("Arrival", "Parasite", "Get Out"):
            await svc.watchlist.add(ANN, title)
        with pytest.raises(LimitReached) as caught:
            await svc.watchlist.add(ANN, "Oldboy")
        assert "3 films" in str(caught.value) and "Remove" in str(caught.value)
        assert "mark" not in str(caught.value)  # watched films still count: don't suggest it helps
        with pytest.raises(LimitReached):
            await svc.watchlist.mark_watched(ANN, "Oldboy")
        with pytest.raises(LimitReached):
            await svc.watchlist.add(ANN, "Some Film Nobody Knows")
        assert (await svc.watchlist.add(ANN, "Arrival")).status == "exists"  # re-adding is fine
        assert (await svc.watchlist.add(BOB, "Oldboy")).status == "added"  # per person
        await svc.watchlist.remove(ANN, "Arrival")
        assert (await svc.watchlist.add(ANN, "Oldboy")).status == "added"


# --- isolation -------------------------------------------------------------------------------------
async def test_one_user_cannot_reach_anothers_list(services: Services) -> None:
    await services.watchlist.add(ANN, "Parasite")
    await services.watchlist.add(ANN, "Oldboy")
    parasite = (await services.films.resolve("Parasite")).id

    assert await services.watchlist.list(BOB) == []
    with pytest.raises(PermissionDenied, match="private"):
        await services.watchlist.list_of(BOB, ANN)
    for query in ("Parasite", f"film:{parasite}"):
        with pytest.raises(NotOnWatchlist):
            await services.watchlist.remove(BOB, query)
    assert await services.watchlist.search_own(BOB, "para") == []
    assert await services.watchlist.search_own(BOB, "") == []
    # Bob marking "Parasite" watched puts it on HIS list; Ann's entry is untouched.
    await services.watchlist.mark_watched(BOB, "Parasite", rating=1, note="bob's note")
    ann = {e.title: e for e in await services.watchlist.list(ANN)}
    assert set(ann) == {"Parasite", "Oldboy"}
    assert ann["Parasite"].watched_at is None and ann["Parasite"].note is None
    assert [e.title for e in await services.watchlist.list(BOB)] == ["Parasite"]


async def test_a_shared_list_can_be_read_not_changed(services: Services) -> None:
    await services.watchlist.add(ANN, "Arrival")
    assert [e.title for e in await services.watchlist.list_of(ANN, ANN)] == ["Arrival"]  # own list
    await services.watchlist.set_shared(ANN, True)
    assert await services.watchlist.is_shared(ANN)
    assert [e.title for e in await services.watchlist.list_of(BOB, ANN)] == ["Arrival"]
    with pytest.raises(NotOnWatchlist):
        await services.watchlist.remove(BOB, "Arrival")
    await services.watchlist.mark_watched(BOB, "Arrival", rating=2)
    [ann_entry] = await services.watchlist.list(ANN)
    assert ann_entry.watched_at is None and ann_entry.rating is None
    await services.watchlist.set_shared(ANN, False)
    with pytest.raises(PermissionDenied):
        await services.watchlist.list_of(BOB, ANN)


async def test_search_own_sees_only_your_list(services: Services) -> None:
    await services.watchlist.add(ANN, "Psycho (1960)")
    await services.watchlist.add(ANN, "Parasite")
    await services.watchlist.add(BOB, "Psycho (1998)")
    labels = [c.label for c in await services.watchlist.search_own(ANN, "psyco")]
    assert labels == ["Psycho (1960)"]
    assert {c.label for c in await services.watchlist.search_own(ANN, "")} == {"Psycho (1960)", "Parasite (2019)"}
    assert [c.label for c in await services.watchlist.search_own(BOB, "psycho")] == ["Psycho (1998)"]


@pytest.fixture
async def guild_services(make_settings: Callable[..., Settings]) -> AsyncIterator[Services]:
    async with open_services(make_settings(watchlist_scope="guild")) as svc:
        yield svc


async def test_guild_scope_keeps_one_list_per_server(guild_services: Services) -> None:
    wl = guild_services.watchlist
    await wl.add(ANN, "Arrival", guild_id="g1")
    await wl.add(ANN, "Parasite", guild_id="g2")
    assert [e.title for e in await wl.list(ANN, guild_id="g1")] == ["Arrival"]
    assert [e.title for e in await wl.list(ANN, guild_id="g2")] == ["Parasite"]
    assert await wl.list(ANN) == []  # direct messages: a list of its own
    with pytest.raises(NotOnWatchlist):
        await wl.remove(ANN, "Arrival", guild_id="g2")
    await wl.remove(ANN, "Arrival", guild_id="g1")
    assert await wl.list(ANN, guild_id="g1") == []


async def test_global_scope_ignores_the_server(services: Services) -> None:
    await services.watchlist.add(ANN, "Arrival", guild_id="g1")
    assert [e.title for e in await services.watchlist.list(ANN, guild_id="g2")] == ["Arrival"]
    assert [e.title for e in await services.watchlist.list(ANN)] == ["Arrival"]


async def test_concurrent_adds_all_land(services: Services) -> None:
    users = [str(n) for n in range(40)]
    titles = ["Arrival", "Parasite", "Get Out", "Oldboy", "Se7en"]
    changes = await asyncio.gather(*(services.watchlist.add(u, t) for u in users for t in titles))
    assert {c.status for c in changes} == {"added"}
    counts = [len(await services.watchlist.list(u)) for u in users]
    assert counts == [5] * 40


async def test_a_sequel_is_not_the_film_on_your_list(services: Services) -> None:
    await services.watchlist.add(ANN, "Toy Story (1995)")
    with pytest.raises(FilmNotFound, match="Toy Story"):
        await services.watchlist.remove(ANN, "Toy Story 2")
    change = await services.watchlist.mark_watched(ANN, "Toy Story 2")
    assert change.film.title == "Toy Story 2" and change.created_film
    entries = {e.title: e for e in await services.watchlist.list(ANN)}
    assert entries["Toy Story"].watched_at is None and entries["Toy Story 2"].watched_at is not None


async def test_typo_against_your_own_list(services: Services) -> None:
    await services.watchlist.add(ANN, "Dear Comrades!")
    assert (await services.watchlist.remove(ANN, "deer comrads")).film.title == "Dear Comrades!"


async def test_importing_the_real_film_completes_a_watchlist_stub(services: Services, tmp_path: object) -> None:
    import json
    from pathlib import Path

    stub = (await services.watchlist.add(ANN, "Nomadland")).film
    assert stub.is_stub
    data = {"films": [{"title": "Nomadland", "year": 2020, "directors": ["Chloé Zhao"]}], "reviews": []}
    path = Path(str(tmp_path)) / "nomadland.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    await services.importer.import_path(path)
    film = await services.films.resolve("Nomadland")  # one film, not "Nomadland" or "Nomadland (2020)"
    assert film.id == stub.id and not film.is_stub and film.directors == ("Chloé Zhao",)
    assert [e.label for e in await services.watchlist.list(ANN)] == ["Nomadland (2020)"]


async def test_a_year_never_matches_another_years_film_on_the_list(services: Services) -> None:
    """Found by the soak run: removing "Psycho (1960)" removed the Psycho (1998) on the list."""
    await services.watchlist.add("ana", "Psycho (1998)")
    with pytest.raises(NotOnWatchlist):
        await services.watchlist.remove("ana", "Psycho (1960)")
    assert [e.label for e in await services.watchlist.list("ana")] == ["Psycho (1998)"]
    await services.watchlist.remove("ana", "Psycho (1998)")
    assert await services.watchlist.list("ana") == []
