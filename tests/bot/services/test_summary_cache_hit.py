"""A summary cache hit reads the review set's version and the film's counts, not every review's
text and sentences; any change to the reviews is a miss."""

from __future__ import annotations

import pytest

from bot.app import Services

pytestmark = pytest.mark.asyncio


async def test_a_cache_hit_loads_no_reviews(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    first = await services.summaries.summarize("Parasite")
    assert not first.cached

    async def no_loading(*_: object, **__: object) -> None:
        raise AssertionError("a cache hit loaded every review")

    real = services.reviews.for_film
    monkeypatch.setattr(services.reviews, "for_film", no_loading)
    again = await services.summaries.summarize("Parasite")
    assert again.cached and again.text == first.text
    assert (again.review_count, again.average_rating) == (first.review_count, first.average_rating)

    monkeypatch.setattr(services.reviews, "for_film", real)
    film = await services.films.resolve("Parasite")
    await services.reviews.add(film, text="A new review: sharp, funny, and the house is a marvel.", author="zed")
    changed = await services.summaries.summarize("Parasite")
    assert not changed.cached and changed.review_count == first.review_count + 1
