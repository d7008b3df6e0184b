"""Hostile titles against FilmService.resolve / search / find_named: a film or a clear rejection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import Services
from bot.errors import AmbiguousFilm, FilmNotFound, InvalidInput, ReviewBotError
from tests.fuzz.hostile import EDGE_NUMBERS, budget, check_error, hostile_text, titles

pytestmark = pytest.mark.asyncio(loop_scope="module")

queries = st.one_of(
    titles,
    st.tuples(titles, st.sampled_from(EDGE_NUMBERS)).map(" ".join),
    st.from_regex(r"film:[0-9]{0,14}", fullmatch=True),
)


@budget(200)
@given(query=queries, year=st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.sampled_from((1960, 1998))))
async def test_resolve_gives_a_film_or_a_clear_rejection(fuzz_services: Services, query: str, year: int | None) -> None:
    try:
        film = await fuzz_services.films.resolve(query, year=year)
    except ReviewBotError as error:
        check_error(error)
        if isinstance(error, AmbiguousFilm):
            assert len(error.candidates) >= 2
        if isinstance(error, FilmNotFound):
            assert all(s.film_id > 0 for s in error.suggestions)
    else:
        assert film.id > 0 and film.title.strip()
        assert year is None or query.strip().startswith("film:") or film.year == year


@budget(200)
@given(query=st.one_of(queries, st.text(max_size=3)), limit=st.integers(1, 30))
async def test_search_never_raises_and_keeps_its_limit(fuzz_services: Services, query: str, limit: int) -> None:
    choices = await fuzz_services.films.search(query, limit=limit)
    assert len(choices) <= limit
    assert len({c.film_id for c in choices}) == len(choices)
    for choice in choices:
        assert choice.label.strip() and 0 <= choice.score <= 100


@budget(100)
@given(text=hostile_text(), year=st.one_of(st.none(), st.integers(0, 3000)))
async def test_find_named_gives_a_film_none_or_ambiguity(fuzz_services: Services, text: str, year: int | None) -> None:
    try:
        film = await fuzz_services.films.find_named(text, year=year)
    except AmbiguousFilm as error:
        check_error(error)
    else:
        assert film is None or film.id > 0


@pytest.mark.parametrize("query", ["", "   ", "\u200b\u200b", "!!!", "||", "**", "\x00", "'; --", "\u202e"])
async def test_nothing_to_search_for_is_invalid_input(fuzz_services: Services, query: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await fuzz_services.films.resolve(query)
    check_error(caught.value)


async def test_a_10000_character_title_is_rejected_naming_the_limit(fuzz_services: Services) -> None:
    with pytest.raises(InvalidInput, match="200 characters") as caught:
        await fuzz_services.films.resolve("a" * 10_000)
    check_error(caught.value)
