"""Review summaries: pick the engine, consult the cache, run the spoiler guard, record the result."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.services.films import FilmService
from bot.services.reviews import ReviewService
from bot.spoilers.allowlist import ALLOWLIST_VERSION
from bot.summarize.offline import summarize_offline
from storage.ports import SummaryStore
from storage.records import Film, Review, SummaryKey

log = logging.getLogger(__name__)

Mode = Literal["spoiler_free", "spoilers"]
# Receives the answer so far (cumulative, already through the spoiler guard) while it is produced,
# so a front door can show it growing (Discord edits its message about once a second).
TextCallback = Callable[[str], Awaitable[None]]
OFFLINE_NOTE = "Offline summary: extracted from the stored reviews (no LLM is configured)."


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked, for budgets and rate limits. Terminal users have no guild."""

    user_id: str = "terminal"
    guild_id: str | None = None


@dataclass(slots=True)
class EngineOutput:
    text: str
    sources: list[int]
    input_tokens: int = 0
    output_tokens: int = 0
    notes: list[str] = field(default_factory=list)
    engine: str | None = None  # set when the engine fell back to another (e.g. offline)
    cacheable: bool = True  # False for a partial answer (e.g. today's LLM budget covered only some reviews)


class SummaryEngine(Protocol):
    """Anything that turns a film's reviews into summary text with `||spoiler||` markup."""

    name: str  # 'offline' or 'openai:<model>' — part of the cache key
    prompt_version: str

    async def summarize(
        self,
        film: Film,
        reviews: Sequence[Review],
        *,
        mode: Mode,
        requester: Requester,
        on_text: TextCallback | None = None,
    ) -> EngineOutput: ...


class OfflineEngine:
    name = "offline"

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        # The version changes when the threshold or the allow-list changes, so cached summaries follow it.
        self.prompt_version = f"aspects-v7-a{ALLOWLIST_VERSION}-t{threshold:.3f}"

    async def summarize(
        self,
        film: Film,
        reviews: Sequence[Review],
        *,
        mode: Mode,
        requester: Requester,
        on_text: TextCallback | None = None,
    ) -> EngineOutput:
        # Reading every sentence's opinions takes ~0.5 ms a sentence the first time (a film with 50
        # long reviews: well under a second); not on the event loop.
        result = await asyncio.to_thread(
            summarize_offline, film, reviews, spoilers=mode == "spoilers", threshold=self.threshold
        )
        return EngineOutput(result.text, result.sources, notes=[OFFLINE_NOTE])


@dataclass(frozen=True, slots=True)
class SummaryResult:
    film: Film
    mode: Mode
    engine: str
    text: str
    review_count: int
    average_rating: float | None
    cached: bool
    sources: list[int]
    input_tokens: int = 0
    output_tokens: int = 0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "film": {"id": self.film.id, "title": self.film.title, "year": self.film.year},
            "mode": self.mode,
            "engine": self.engine,
            "summary": self.text,
            "review_count": self.review_count,
            "average_rating": self.average_rating,
            "cached": self.cached,
            "sources": self.sources,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "notes": self.notes,
        }


class SummaryService:
    def __init__(
        self,
        films: FilmService,
        reviews: ReviewService,
        cache: SummaryStore,
        engine: SummaryEngine,
    ) -> None:
        self._films = films
        self._reviews = reviews
        self._cache = cache
        self.engine = engine

    async def summarize(
        self,
        query: str | Film,
        *,
        spoilers: bool = False,
        requester: Requester | None = None,
        on_text: TextCallback | None = None,
    ) -> SummaryResult:
        film = query if isinstance(query, Film) else await self._films.resolve(query)
        requester = requester or Requester()
        mode: Mode = "spoilers" if spoilers else "spoiler_free"
        # A cache hit needs only the review set's version and the film's counts, not every review's
        # text and sentences (loaded on a miss only).
        version = await self._reviews.review_set_version(film)
        key = SummaryKey(film.id, mode, self.engine.name, self.engine.prompt_version, version)
        cached = await self._cache.get(key)
        if cached is None:
            # Single-flight: of many simultaneous requests (in any process) for this film and mode,
            # one calls the engine; the others wait here, then find its summary in the cache.
            async with self._cache.single_flight(key):
                cached = await self._cache.get(key)
                if cached is None:
                    return await self._summarize_now(film, key, mode, requester, on_text)
        facts = await self._films.facts(film)
        average = None if facts.average_rating is None else round(facts.average_rating, 2)
        return SummaryResult(
            film, mode, self.engine.name, cached.summary, facts.review_count, average, True,
            list(cached.sources), cached.input_tokens, cached.output_tokens, list(cached.notes),
        )

    async def _summarize_now(
        self, film: Film, key: SummaryKey, mode: Mode, requester: Requester, on_text: TextCallback | None
    ) -> SummaryResult:
        reviews = await self._reviews.for_film(film)
        ratings = [r.rating for r in reviews if r.rating is not None]
        average = round(sum(ratings) / len(ratings), 2) if ratings else None
        output = await self.engine.summarize(film, reviews, mode=mode, requester=requester, on_text=on_text)
        if output.cacheable and (output.engine is None or output.engine == self.engine.name):
            # A fallback answer is not cached under the LLM's key: the next request retries the LLM.
            await self._cache.put(
                key, output.text, sources=output.sources, notes=output.notes,
                input_tokens=output.input_tokens, output_tokens=output.output_tokens,
            )
        return SummaryResult(
            film, mode, output.engine or self.engine.name, output.text, len(reviews), average, False,
            output.sources, output.input_tokens, output.output_tokens, output.notes,
        )
