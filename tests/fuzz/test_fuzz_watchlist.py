"""Hostile titles and notes against WatchlistService: a change or a clear rejection, and what is
stored (a stub film made from a weird title included) can be found again by the same text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import Services
from bot.errors import ReviewBotError
from tests.fuzz.hostile import EDGE_NUMBERS, budget, check_error, hostile_text, ratings, titles

pytestmark = pytest.mark.asyncio(loop_scope="module")

users = st.one_of(st.sampled_from(("111", "222", "terminal")), hostile_text(2).filter(bool))
watch_titles = st.one_of(titles, st.tuples(hostile_text(3), st.sampled_from(EDGE_NUMBERS)).map(" ".join))
notes = st.one_of(st.none(), hostile_text(), st.text(min_size=490, max_size=520))


@budget(150)
@given(user=users, title=watch_titles)
async def test_add_then_find_the_same_film_again(fuzz_services: Services, user: str, title: str) -> None:
    wl = fuzz_services.watchlist
    try:
        change = await wl.add(user, title)
    except ReviewBotError as error:
        check_error(error)
        return
    assert change.status in ("added", "exists")
    assert change.message.strip()
    # The same text finds the same film (a stub made from it included), and it is on the list.
    again = await fuzz_services.films.resolve(title)
    assert again.id == change.film.id, (title, change.film, again)
    assert change.film.id in {e.film_id for e in await wl.list(user)}
    assert (await wl.add(user, title)).status == "exists"


@budget(100)
@given(user=users, title=watch_titles, rating=ratings, note=notes)
async def test_watched_stores_the_rating_and_note_or_rejects(
    fuzz_services: Services, user: str, title: str, rating: float | None, note: str | None
) -> None:
    wl = fuzz_services.watchlist
    try:
        change = await wl.mark_watched(user, title, rating=rating, note=note)
    except ReviewBotError as error:
        check_error(error)
        return
    assert change.status == "watched" and change.entry is not None
    assert change.entry.watched_at
    if rating is not None:
        assert change.entry.rating == rating
    if note is not None and note.split():
        assert change.entry.note == " ".join(note.split())


@budget(100)
@given(user=users, title=watch_titles)
async def test_remove_takes_it_off_or_says_why_not(fuzz_services: Services, user: str, title: str) -> None:
    wl = fuzz_services.watchlist
    try:
        change = await wl.remove(user, title)
    except ReviewBotError as error:
        check_error(error)
        return
    assert change.status == "removed"
    assert change.film.id not in {e.film_id for e in await wl.list(user)}


@budget(50)
@given(user=users, query=st.one_of(hostile_text(), st.text(max_size=5)))
async def test_autocomplete_over_your_own_list_never_raises(fuzz_services: Services, user: str, query: str) -> None:
    listed = {e.film_id for e in await fuzz_services.watchlist.list(user)}
    choices = await fuzz_services.watchlist.search_own(user, query)
    assert {c.film_id for c in choices} <= listed


async def test_a_bidi_override_in_a_title_does_not_reverse_the_reply(fuzz_services: Services) -> None:
    change = await fuzz_services.watchlist.add("bidi", "Tenet\u202e \x05Inverted (2020)")
    assert change.film.title == "Tenet Inverted"
    assert "\u202e" not in change.message and "\x05" not in change.message
    assert (await fuzz_services.films.resolve("Tenet\u202e \x05Inverted (2020)")).id == change.film.id
