"""The background worker that digests reviews when they are added, so /summary never waits for it.

A trigger (storage/migrations, digest_queue) puts every review whose sentences were stored or
rescored into a persisted queue; this worker takes them one at a time (a local server has one slot,
and people asking for summaries should find it free most of the time), makes the digests the summary
engine needs (spoiler-free, and spoilers for reviews that have spoiler sentences), and removes the
review from the queue. A failure leaves it queued with a growing wait; a restart picks up where the
last run stopped. Reviews already digested from the same text cost nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.llm.digests import Digester
from bot.llm.errors import LLMError
from bot.llm.guard import GuardFilm, SpoilerGuard
from bot.llm.material import material
from bot.services.reviews import ReviewService
from bot.services.summaries import Requester
from bot.spoilers.allowlist import AllowList
from storage.ports import DigestQueueStore, FilmStore
from storage.records import Film, Review

log = logging.getLogger(__name__)

WORKER = Requester("reviewbot:digests")  # whose tokens these are, in the usage table
IDLE_SECONDS = 5.0  # how often an empty queue is looked at again
MAX_WAIT = 3600.0  # the longest a failing review waits before its next try


@dataclass
class _FilmChecks:
    film: Film
    version: str
    reviews: list[Review]
    allow: AllowList
    _guard: SpoilerGuard | None = None

    def fits(self, film: Film, version: str, review: Review) -> bool:
        return (
            film == self.film and version == self.version
            and any(r == review for r in self.reviews if r.id == review.id)
        )

    async def guard(self, reviews: ReviewService, threshold: float) -> SpoilerGuard:
        if self._guard is None:
            context = await reviews.context(self.film, [r.text for r in self.reviews])
            self._guard = SpoilerGuard.for_films(
                reviews.detector, [GuardFilm(context, self.allow, self.reviews, self.film.logline)],
                threshold=threshold,
            )
        return self._guard


class DigestWorker:
    def __init__(
        self,
        queue: DigestQueueStore,
        digester: Digester,
        reviews: ReviewService,
        films: FilmStore,
        *,
        threshold: float,
        idle_seconds: float = IDLE_SECONDS,
        warm: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._queue = queue
        self._digester = digester
        self._reviews = reviews
        self._films = films
        self.threshold = threshold
        self.idle_seconds = idle_seconds
        # Called when the queue runs empty after work (single-slot local servers): puts the summary
        # prompt back into the server's prompt cache, which the digests displaced.
        self.warm = warm
        self._checks: _FilmChecks | None = None  # the last film's allow-list and guard
        self.made = 0  # digests made by this worker (for logs and the benchmark)
        self.input_tokens = 0
        self.output_tokens = 0

    async def step(self) -> bool:
        """Digest the next queued review. False when nothing is due now."""
        review_id = await self._queue.next()
        if review_id is None:
            return False
        review = await self._reviews.get(review_id)
        film = await self._films.get(review.film_id) if review is not None else None
        if review is None or film is None:
            await self._queue.done(review_id)
            return True
        checks = await self._film_checks(film, review)
        items = [material(review, "spoiler_free", checks.allow)]
        spoilers = material(review, "spoilers", checks.allow)
        if spoilers.spoilers:
            items.append(spoilers)
        missing = [i for i in items if not i.empty and not await self._digester.stored([i])]
        if missing:
            guard = await checks.guard(self._reviews, self.threshold)
            try:
                batch = await self._digester.make(film, missing, guard, WORKER)
            except LLMError as error:
                attempts = await self._queue.failed(review_id, error.reason, MAX_WAIT)
                wait = error.retry_after or min(30.0 * 2.0 ** (attempts - 1), MAX_WAIT)
                await self._queue.reschedule(review_id, wait)
                log.warning("digest of review %s failed (%s); next try in %.0f s", review_id, error.reason, wait)
                return True
            self.made += batch.made
            self.input_tokens += batch.input_tokens
            self.output_tokens += batch.output_tokens
        await self._queue.done(review_id)
        return True

    async def _film_checks(self, film: Film, review: Review) -> _FilmChecks:
        """The film's allow-list and guard, built once for a run of its reviews: an import queues a
        film's reviews together, and rebuilding both for each of 300 reviews made the queue quadratic.
        Rebuilt when the film, its review set, or the stored copy of this review (rescored sentences)
        differs from what they were built from."""
        version = await self._reviews.review_set_version(film)
        cached = self._checks
        if cached is None or not cached.fits(film, version, review):
            film_reviews = await self._reviews.for_film(film)
            allow = AllowList.for_film(film, film_reviews, threshold=self.threshold)
            cached = self._checks = _FilmChecks(film, version, film_reviews, allow)
        return cached

    async def drain(self) -> int:
        """Digest everything due now (tests, the benchmark, `reviewbot` maintenance); how many reviews."""
        count = 0
        while await self.step():
            count += 1
        return count

    async def run(self) -> None:
        """Forever: one review at a time, a short sleep when the queue is empty; `warm` once the queue
        runs empty after work, and at start-up (the first summary after a restart finds the shared
        system prompt in a single-slot server's cache, not ~850 tokens to read: ~17 s on a 1.5B model)."""
        worked = True
        while True:
            try:
                busy = await self.step()
                if worked and not busy and self.warm is not None:
                    await self.warm()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not stop every later digest; it is logged and retried later
                log.exception("digest worker step failed")
                busy = False
            worked = busy
            if not busy:
                await asyncio.sleep(self.idle_seconds)

    async def pending(self) -> int:
        return await self._queue.pending()
