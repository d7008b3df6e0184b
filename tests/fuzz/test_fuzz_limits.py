"""Every user-visible limit is a setting, and reaching it says so: the refusal names the limit.

Small limits (make_settings) with input just under, at and over each one, plus a property over
random lengths: a refusal for being too long happens exactly when the input is over the limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from bot.app import Services, open_services
from bot.errors import InvalidInput, LimitReached, ReviewBotError
from bot.settings import Settings, setting_fields
from tests.fuzz.conftest import fuzz_settings
from tests.fuzz.hostile import budget, check_error

LIMITS = {
    "max_review_chars": 120,
    "max_title_chars": 30,
    "max_question_chars": 40,
    "max_note_chars": 12,
    "max_watchlist_size": 3,
    "conversation_max_turns": 3,
}


@pytest.fixture
async def limited(make_settings: Callable[..., Settings]) -> AsyncIterator[Services]:
    async with open_services(make_settings(**LIMITS)) as services:
        yield services


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def limited_module(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    async with open_services(fuzz_settings(tmp_path_factory.mktemp("limits") / "limits.db", **LIMITS)) as services:
        yield services


def test_every_limit_is_a_setting() -> None:
    fields = setting_fields()
    for name in (*LIMITS, "conversation_token_budget"):
        assert name in fields, f"{name} is not configurable"


@pytest.mark.parametrize("extra", [-1, 0, 1])
async def test_review_length(limited: Services, extra: int) -> None:
    film = await limited.films.resolve("Parasite")
    text = ("A fine film, truly wonderful " + "x" * 300)[: LIMITS["max_review_chars"] + extra]
    if len(text) > LIMITS["max_review_chars"]:
        with pytest.raises(InvalidInput, match=r"the limit is 120\b") as caught:
            await limited.reviews.add(film, text=text, author="ann")
        check_error(caught.value)
    else:
        assert (await limited.reviews.add(film, text=text, author="ann")).created


@pytest.mark.parametrize("extra", [0, 1])
async def test_title_length(limited: Services, extra: int) -> None:
    title = "z" * (LIMITS["max_title_chars"] + extra)
    if extra:
        with pytest.raises(InvalidInput, match=r"over 30 characters") as caught:
            await limited.watchlist.add("ann", title)
        check_error(caught.value)
    else:  # at the limit: it becomes a film, found again with its year too
        film = (await limited.watchlist.add("ann", f"{title} (1999)")).film
        assert film.title == title and (await limited.films.resolve(f"{title} (1999)")).id == film.id


@pytest.mark.parametrize("extra", [0, 1])
async def test_question_length(limited: Services, extra: int) -> None:
    question = ("is it good? " * 10)[: LIMITS["max_question_chars"] + extra - 1] + "x"
    if extra:
        with pytest.raises(InvalidInput, match=r"under 40 characters") as caught:
            await limited.ask.ask(question)
        check_error(caught.value)
    else:
        assert (await limited.ask.ask(question)).text


@pytest.mark.parametrize("extra", [0, 1])
async def test_note_length(limited: Services, extra: int) -> None:
    note = "n" * (LIMITS["max_note_chars"] + extra)
    if extra:
        with pytest.raises(InvalidInput, match=r"limited to 12 characters") as caught:
            await limited.watchlist.mark_watched("ann", "Parasite", note=note)
        check_error(caught.value)
        assert await limited.watchlist.list("ann") == []  # nothing was half done
    else:
        change = await limited.watchlist.mark_watched("ann", "Parasite", note=note)
        assert change.entry is not None and change.entry.note == note


async def test_watchlist_size(limited: Services) -> None:
    for title in ("Parasite", "Arrival", "Se7en"):
        await limited.watchlist.add("ann", title)
    with pytest.raises(LimitReached, match=r"already holds 3 films") as caught:
        await limited.watchlist.add("ann", "The Prestige")
    check_error(caught.value)
    assert (await limited.watchlist.add("ann", "Parasite")).status == "exists"  # no room needed
    # watching a film not on the full list adds it first, so it is refused the same way
    with pytest.raises(LimitReached):
        await limited.watchlist.mark_watched("ann", "Amélie")
    assert len(await limited.watchlist.list("ann")) == 3


async def test_conversation_length(limited: Services) -> None:
    for _ in range(LIMITS["conversation_max_turns"]):
        await limited.ask.ask("is the acting in Parasite good?", conversation="c")
    with pytest.raises(LimitReached, match=r"3 questions") as caught:
        await limited.ask.ask("and the music?", conversation="c")
    check_error(caught.value)
    assert (await limited.ask.ask("and the music?", conversation="another")).text  # a new one is fine


# --- the same boundaries, at random lengths ---------------------------------------------------------
lengths = st.integers(0, 200)
filler = st.sampled_from(("a", "word ", "ü", "\u200b", "||", "**", "'; --", " "))


@pytest.mark.asyncio(loop_scope="module")
@budget(60)
@given(n=lengths, unit=filler)
async def test_a_too_long_refusal_happens_exactly_over_the_limit(limited_module: Services, n: int, unit: str) -> None:
    text = (unit * n)[:n]
    checks = (
        ("max_title_chars", limited_module.films.resolve(text), " ".join(text.split())),
        ("max_question_chars", limited_module.ask.ask(text), " ".join(text.split())),
        ("max_note_chars", limited_module.watchlist.mark_watched("bob", "Parasite", note=text), " ".join(text.split())),
    )
    for name, call, measured in checks:
        try:
            await call
            refused = None
        except ReviewBotError as error:
            check_error(error)
            refused = error.message
        over = len(measured) > LIMITS[name]
        named = refused is not None and str(LIMITS[name]) in refused
        assert over == named, (name, len(measured), refused)
