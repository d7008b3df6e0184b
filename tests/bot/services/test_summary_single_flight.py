"""Single-flight of summaries: many simultaneous requests for one uncached film make one engine
call, in one process (both backends) and across processes sharing PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bot.app import Services, open_services
from bot.services.summaries import EngineOutput, OfflineEngine
from storage.records import Film, Review


class CountingEngine(OfflineEngine):
    """The offline engine, slow as a model and counting its calls."""

    def __init__(self, calls: list[int]) -> None:
        super().__init__(0.35)
        self.calls = calls

    async def summarize(self, film: Film, reviews: Sequence[Review], **kwargs: Any) -> EngineOutput:
        self.calls.append(film.id)
        await asyncio.sleep(0.3)
        return await super().summarize(film, reviews, **kwargs)


async def test_twenty_requests_for_one_uncached_film_make_one_call(backend_services: Services) -> None:
    calls: list[int] = []
    backend_services.summaries.engine = CountingEngine(calls)
    results = await asyncio.gather(*(backend_services.summaries.summarize("Parasite") for _ in range(20)))
    assert len(calls) == 1
    assert len({r.text for r in results}) == 1 and sum(not r.cached for r in results) == 1
    # The other mode is another summary: one more call, not twenty.
    await asyncio.gather(*(backend_services.summaries.summarize("Parasite", spoilers=True) for _ in range(5)))
    assert len(calls) == 2


async def test_one_call_across_two_processes_sharing_postgres(pg: Any, pg_sample_template: str) -> None:
    from bot.settings import Settings

    url = pg.create(template=pg_sample_template, label="flight")
    calls: list[int] = []
    settings = Settings(_env_file=None, reviewbot_db=url)  # type: ignore[call-arg]
    # Two service stacks, each with its own pool: as two bot processes would be.
    async with open_services(settings) as first, open_services(settings) as second:
        first.summaries.engine = CountingEngine(calls)
        second.summaries.engine = CountingEngine(calls)
        results = await asyncio.gather(
            *(svc.summaries.summarize("Se7en") for _ in range(10) for svc in (first, second))
        )
    assert len(calls) == 1 and len({r.text for r in results}) == 1
