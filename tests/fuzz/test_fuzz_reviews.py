"""Hostile reviews and authors through ReviewService.add, then SummaryService.summarize over them:
a stored review or a clear rejection; summaries stay within Discord's limit, and no `||` written by
a reviewer (or in a title or a name) opens or closes a spoiler span in the bot's own text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.app import Services
from bot.errors import ReviewBotError
from bot.services.reviews import masked_text
from bot.summarize.offline import SUMMARY_CHAR_LIMIT
from bot.text.chunking import spoiler_markers
from bot.text.markdown import strip_display_controls, unescape_markdown
from storage.films import FilmRepository
from storage.records import Film, FilmInput
from tests.fuzz.hostile import DISCORD_LIMIT, budget, check_error, hostile_text, ratings, review_texts, titles

pytestmark = pytest.mark.asyncio(loop_scope="module")

authors = st.one_of(st.sampled_from(("ann", "@everyone", "<@123>", "||bob||", "**x**", "`", "\\")), hostile_text(3))
reviews = st.tuples(review_texts, authors, ratings, st.booleans())
_fresh = itertools.count(1)


def hidden_spans(text: str) -> list[str]:
    markers = spoiler_markers(text)
    assert len(markers) % 2 == 0, f"unbalanced spoiler markup: {text!r}"
    return [text[a + 2 : b] for a, b in zip(markers[::2], markers[1::2], strict=True)]


def check_summary(text: str, sentences: set[str], *, spoilers: bool) -> None:
    """Fits a Discord message; spoiler-free has no span; every span is a whole stored sentence."""
    assert len(text) <= SUMMARY_CHAR_LIMIT + 100 < DISCORD_LIMIT, len(text)
    spans = hidden_spans(text)
    if not spoilers:
        assert not spans, f"a spoiler span in a spoiler-free summary: {spans}"
    shown = {" ".join(strip_display_controls(s).split()) for s in sentences}
    for span in spans:
        assert " ".join(unescape_markdown(span).split()) in shown, f"a span the bot did not make: {span!r}"


async def add_and_check(
    services: Services, film: Film, text: str, author: str, rating: float | None, flag: bool
) -> None:
    try:
        added = await services.reviews.add(
            film, text=text, author=author, rating=rating, contains_spoilers=flag, author_user_id=author
        )
    except ReviewBotError as error:
        event(f"rejected: {error.message[:30]}")
        check_error(error)
        return
    event("stored")
    review = await services.reviews.get(added.review_id)
    assert review is not None and review.film_id == film.id
    assert len(review.text) <= services.settings.max_review_chars
    assert added.sentences == len(review.sentences)
    masked = masked_text(review, services.settings.spoiler_threshold)
    assert len(spoiler_markers(masked)) % 2 == 0, masked


async def summaries_hold(services: Services, film: Film) -> None:
    stored = await services.reviews.for_film(film)
    sentences = {s.text for r in stored for s in r.sentences}
    for spoilers in (False, True):
        result = await services.summaries.summarize(film, spoilers=spoilers)
        check_summary(result.text, sentences, spoilers=spoilers)


@budget(100)
@given(title=titles, batch=st.lists(reviews, min_size=1, max_size=4))
async def test_reviews_of_a_new_film_then_its_summaries(
    fuzz_services: Services, title: str, batch: list[tuple[str, str, float | None, bool]]
) -> None:
    """A fresh film per example (its title as hostile as any), so a failure replays exactly."""
    name = " ".join(f"{title[:400]} {next(_fresh)}".split())
    film = await FilmRepository(fuzz_services.store.db).add(FilmInput(title=name, year=2000))
    for text, author, rating, flag in batch:
        await add_and_check(fuzz_services, film, text, author, rating, flag)
    await summaries_hold(fuzz_services, film)


@budget(60)
@given(
    name=st.sampled_from(("Parasite", "Psycho (1960)", "Dune (2021)", "The Prestige")),
    review=reviews,
)
async def test_reviews_pile_up_on_sample_films(
    fuzz_services: Services, name: str, review: tuple[str, str, float | None, bool]
) -> None:
    """Reviews accumulate across examples here: summaries over many hostile reviews still hold."""
    film = await fuzz_services.films.resolve(name)
    await add_and_check(fuzz_services, film, *review)
    await summaries_hold(fuzz_services, film)


@budget(60)
@given(query=titles, spoilers=st.booleans())
async def test_summarize_any_query(fuzz_services: Services, query: str, spoilers: bool) -> None:
    try:
        result = await fuzz_services.summaries.summarize(query, spoilers=spoilers)
    except ReviewBotError as error:
        check_error(error)
        return
    stored = await fuzz_services.reviews.for_film(result.film)
    check_summary(result.text, {s.text for r in stored for s in r.sentences}, spoilers=spoilers)
