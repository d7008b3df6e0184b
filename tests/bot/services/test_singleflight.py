"""Single-flight summaries: one engine call per film and mode, however many ask at once and from
however many processes (each a service stack of its own on one database), on both backends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path

from bot.app import Services, open_services
from bot.services.singleflight import SingleFlight
from bot.services.summaries import EngineOutput, Mode, Requester, SummaryService, TextCallback, review_set_hash
from bot.settings import Settings
from storage.records import Film, Review


class CountingEngine:
    """An engine that takes a while and counts its calls (a stand-in for an LLM call)."""

    name = "counting"
    prompt_version = "v1"

    def __init__(self, seconds: float = 0.3, *, fail_first: int = 0) -> None:
        self.seconds = seconds
        self.calls: list[tuple[int, Mode]] = []
        self.fail_first = fail_first

    async def summarize(
        self, film: Film, reviews: Sequence[Review], *, mode: Mode, requester: Requester,
        on_text: TextCallback | None = None,
    ) -> EngineOutput:
        self.calls.append((film.id, mode))
        await asyncio.sleep(self.seconds)
        if len(self.calls) <= self.fail_first:
            raise RuntimeError("the model server went away")
        return EngineOutput(f"summary of {film.title} ({mode})", [r.id for r in reviews])


def _summaries(svc: Services, engine: CountingEngine, **flight: float) -> SummaryService:
    return SummaryService(svc.films, svc.reviews, svc.store.summaries, engine, SingleFlight(svc.store.leases, **flight))


async def _processes(target: str | Path, n: int, stack: AsyncExitStack) -> list[Services]:
    settings = Settings(_env_file=None, reviewbot_db=target, reviewbot_load_sample=False)  # type: ignore[call-arg]
    return [await stack.enter_async_context(open_services(settings)) for _ in range(n)]


async def test_twenty_requests_over_two_processes_make_one_call_per_film_and_mode(
    db_target: Callable[..., str | Path],
) -> None:
    target = db_target(sample=True)
    engine = CountingEngine()
    async with AsyncExitStack() as stack:
        one, two = (_summaries(svc, engine) for svc in await _processes(target, 2, stack))
        results = await asyncio.gather(
            *(s.summarize("Parasite", requester=Requester(f"u{i}")) for i, s in enumerate([one, two] * 10)),
            *(two.summarize("Parasite", spoilers=True) for _ in range(3)),
        )
    assert sorted(m for _, m in engine.calls) == ["spoiler_free", "spoilers"]
    free = [r for r in results if r.mode == "spoiler_free"]
    assert len(free) == 20 and len({r.text for r in free}) == 1
    assert sum(not r.cached for r in results) == 2  # the two that made the calls; the rest read the cache


async def test_a_failed_call_lets_the_next_asker_try_and_nobody_waits_forever(
    db_target: Callable[..., str | Path],
) -> None:
    target = db_target(sample=True)
    engine = CountingEngine(0.1, fail_first=1)
    async with AsyncExitStack() as stack:
        (svc,) = await _processes(target, 1, stack)
        summaries = _summaries(svc, engine)
        results = await asyncio.gather(*(summaries.summarize("Parasite") for _ in range(5)), return_exceptions=True)
    assert sum(isinstance(r, RuntimeError) for r in results) == 1
    assert len(engine.calls) == 2  # the failure, then one successful call the other four share


async def test_a_process_that_died_holding_the_lease_is_taken_over_after_it_expires(
    db_target: Callable[..., str | Path],
) -> None:
    target = db_target(sample=True)
    engine = CountingEngine(0.01)
    async with AsyncExitStack() as stack:
        (svc,) = await _processes(target, 1, stack)
        film = await svc.films.resolve("Parasite")
        # A process took the lease for the spoiler-free summary, then died (it never releases it).
        flights = SingleFlight(svc.store.leases, lease_seconds=0.6)
        summaries = SummaryService(svc.films, svc.reviews, svc.store.summaries, engine, flights)
        reviews = await svc.reviews.for_film(film)
        name = f"summary:{film.id}:spoiler_free:counting:v1:{review_set_hash(reviews)}"
        assert await svc.store.leases.acquire(name, "dead-process", 0.6, time.time())
        started = time.monotonic()
        result = await summaries.summarize(film)
        waited = time.monotonic() - started
    assert result.text.startswith("summary of Parasite") and len(engine.calls) == 1
    assert 0.3 < waited < 5
