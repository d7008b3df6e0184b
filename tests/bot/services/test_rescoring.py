"""An upgraded spoiler detector protects reviews stored before it: their scores are redone."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from bot.app import Services, open_services
from bot.services.reviews import DETECTOR_VERSION_KEY, RESCORE_CURSOR_KEY
from bot.settings import Settings
from bot.spoilers.detector import DETECTOR_VERSION


async def test_a_database_scored_by_version_1_is_rescored_by_version_2(services: Services) -> None:
    meta = services.store.meta
    film = await services.films.resolve("The Sixth Sense")
    (first, *_) = await services.reviews.for_film(film)
    # What version 1 stored: every sentence scored safe (a detector that missed everything).
    stale = [dataclasses.replace(s, spoiler_score=0.0) for s in first.sentences]
    await services.reviews._reviews.replace_sentences(first.id, stale)
    assert await meta.get(DETECTOR_VERSION_KEY) in (None, "1")

    rescored = await services.reviews.rescore_outdated(meta, version=2)

    assert rescored == len(await services.reviews._reviews.recent_texts_by_film(10**6))
    fresh = await services.reviews.get(first.id)
    assert fresh is not None and [s.spoiler_score for s in fresh.sentences] != [0.0] * len(stale)
    assert max(s.spoiler_score for s in fresh.sentences) >= services.settings.spoiler_threshold
    assert (await meta.get(DETECTOR_VERSION_KEY), await meta.get(RESCORE_CURSOR_KEY)) == ("2", "0")
    assert await services.reviews.rescore_outdated(meta, version=2) == 0, "done once, not at every start"


async def test_an_interrupted_rescore_resumes_after_the_last_film_done(services: Services) -> None:
    meta = services.store.meta
    films = await services.reviews._reviews.film_ids_after(0, 10**6)
    await meta.set(RESCORE_CURSOR_KEY, str(films[-2]))
    rescored = await services.reviews.rescore_outdated(meta, version=2)
    assert rescored == len(await services.reviews._reviews.for_film(films[-1], with_sentences=False))


async def test_a_new_database_records_todays_version_and_rescores_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    async with open_services(make_settings(reviewbot_load_sample=False), load_sample=False) as services:
        meta = services.store.meta
        assert await services.reviews.rescore_outdated(meta, version=3) == 0
        assert await meta.get(DETECTOR_VERSION_KEY) == "3"


async def test_a_one_shot_command_after_an_upgrade_answers_from_todays_scores(
    make_settings: Callable[..., Settings],
) -> None:
    """A one-shot command skips the warm-up, but never the rescore an upgrade needs (fail closed)."""
    settings = make_settings()
    async with open_services(settings, warm=False) as services:
        film = await services.films.resolve("The Sixth Sense")
        (first, *_) = await services.reviews.for_film(film)
        stale = [dataclasses.replace(s, spoiler_score=0.0) for s in first.sentences]
        await services.reviews._reviews.replace_sentences(first.id, stale)
        await services.store.meta.set(DETECTOR_VERSION_KEY, "0")  # scored by a detector older than today's
    async with open_services(settings, warm=False) as services:
        fresh = await services.reviews.get(first.id)
        assert fresh is not None
        assert max(s.spoiler_score for s in fresh.sentences) >= services.settings.spoiler_threshold
        assert await services.store.meta.get(DETECTOR_VERSION_KEY) == str(DETECTOR_VERSION)


async def test_concurrent_rescores_never_record_an_older_version_after_a_newer_one(
    make_settings: Callable[..., Settings],
) -> None:
    """The start-up rescore runs in the background; another caller at the same moment must not
    interleave with it (the older version written last would make the next start redo everything)."""
    async with open_services(make_settings(reviewbot_load_sample=False), load_sample=False, warm=False) as services:
        meta = services.store.meta
        await asyncio.gather(
            services.reviews.rescore_outdated(meta, version=5), services.reviews.rescore_outdated(meta, version=4)
        )
        assert await meta.get(DETECTOR_VERSION_KEY) == "5"
