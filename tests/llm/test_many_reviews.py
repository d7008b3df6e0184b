"""A film with hundreds of reviews: digests made once and reused, every request inside the context window,
a representative selection when the digests do not all fit, and today's budget respected."""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter

import pytest

from bot.app import Services
from bot.llm.selection import Candidate, select_representative, stratum
from bot.services.reviews import ReviewService
from storage.films import FilmRepository
from storage.records import Film, FilmInput
from storage.reviews import ReviewRepository
from tests.fakes.fake_openai import FakeOpenAI, ServerError
from tests.llm.conftest import OpenLLM, calls, digest_worker, prompt_tokens

CONTEXT = 4096
OUTPUT = 400
BIG = {"llm_context_window": CONTEXT, "llm_max_output_tokens": OUTPUT, "llm_concurrency": 8}
OPINIONS = {
    "high": ["The acting is superb and the photography glows.", "A gripping, beautifully paced voyage."],
    "middle": ["The cast is fine but the middle drags.", "Handsome to look at, uneven in its pacing."],
    "low": ["The dialogue is clumsy and the acting is wooden.", "A dull, overlong slog with a muddy score."],
}
SPOILERS = ["In the end Captain Morrow dies in the storm.", "The twist is that Elsa was the stowaway all along."]


async def make_film(services: Services, count: int, seed: int = 7) -> Film:
    """A film with `count` reviews: ratings spread 1-5, some authors writing twice, a few with spoilers."""
    rng = random.Random(seed)
    film = await FilmRepository(services.store.db).add(
        FilmInput(
            "The Long Voyage", 1999, directors=("Ana Ruiz",), cast=("Tom Hale", "Mia Kern"),
            characters=("Captain Morrow", "Elsa"), genres=("Drama",),
        )
    )
    await add_reviews(services, film, [review_text(rng, i) for i in range(count)])
    services.films.invalidate()
    return film


def review_text(rng: random.Random, i: int) -> tuple[str, float, str]:
    rating = rng.choice([1.0, 1.5, 2.0, 3.0, 3.0, 3.5, 4.0, 4.5, 4.5, 5.0, 5.0, 5.0])
    lean = stratum(rating)
    parts = [f"Review number {i} of this film, written for the club newsletter."]
    parts += rng.sample(OPINIONS[lean], 2)
    parts.append(f"Overall I would give it {rating:g} stars and mention the harbour scenes.")
    if i % 10 == 3:
        parts.append(rng.choice(SPOILERS))
    author = f"member{i % 240}"  # 60 authors wrote two reviews
    return " ".join(parts), rating, author


async def add_reviews(services: Services, film: Film, reviews: list[tuple[str, float, str]]) -> None:
    """Stored the way ReviewService.add stores them, with one scoring context for the batch (fast)."""
    service = services.reviews
    repo = ReviewRepository(services.store.db)
    context = await service.context(film, [text for text, _, _ in reviews])
    for text, rating, author in reviews:
        scored = service.detector.score_review(text, author_flagged=False, context=context)
        await repo.add(ReviewService.build_input(film.id, text, author, rating, False, "import", scored))
    service.forget_corpus()


def blocks_in(user: str) -> list[int]:
    return [int(i) for i in re.findall(r"^<<review (\d+) \|", user, re.MULTILINE)]


def review_ids_of(request_user: str) -> set[int]:
    return set(blocks_in(request_user))


@pytest.mark.slow  # about 20 s of CPU: started first (tests/conftest.py), beside the rest of the suite
async def test_300_reviews_are_digested_in_the_background_and_a_summary_is_one_call(
    open_llm: OpenLLM, fake: FakeOpenAI
) -> None:
    async with open_llm(**BIG) as services:
        film = await make_film(services, 300)
        reviews = await services.reviews.for_film(film)
        await digest_worker(services).drain()
        assert len(calls(fake, "digest")) >= 300 and calls(fake, "summary") == []
        fake.reset()
        result = await services.summaries.summarize(film)
        assert result.engine == "openai:gpt-4o-mini", result.notes
        assert len(fake.requests) == 1, "a cache miss is one call over the stored digests"
        for request in fake.requests:
            fits = prompt_tokens(request) + request.body["max_tokens"] <= CONTEXT
            assert fits, "never sent a request that cannot fit"
        final = calls(fake, "summary")[0]
        chosen = blocks_in(final.user)
        assert 20 < len(chosen) < 300 and any("representative reviews of 300" in n for n in result.notes)
        ratings = {r.id: r.rating for r in reviews}
        population = Counter(stratum(r.rating) for r in reviews)
        picked = Counter(stratum(ratings[i]) for i in chosen)
        for name, size in population.items():
            share = picked[name] / len(chosen)
            assert abs(share - size / len(reviews)) < 0.08, (name, picked, population)
        authors = Counter(r.author for r in reviews if r.id in set(chosen))
        assert max(authors.values()) == 1, "voices are spread: nobody is chosen twice while others wait"
        assert result.as_json()["output_tokens"] == result.output_tokens > 0

        fake.reset()
        again = await services.summaries.summarize(film)
        assert again.cached and fake.requests == []

        late = ("A late arrival: the acting is superb and the score is lovely.", 5.0, "late")
        await add_reviews(services, film, [late])
        early = await services.summaries.summarize(film)
        assert len(fake.requests) == 1 and calls(fake, "digest") == [], "never a digest on the summary path"
        assert any("still being read in the background" in n for n in early.notes), early.notes
        fake.reset()
        assert await digest_worker(services).drain() == 1
        fresh = await services.summaries.summarize(film)
        assert not fresh.cached and fresh.engine == "openai:gpt-4o-mini"
        assert (len(calls(fake, "digest")), len(calls(fake, "summary"))) == (1, 1), "one digest, then one final"


async def test_reviews_with_spoilers_get_a_second_digest_for_spoilers_mode(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(**BIG) as services:
        film = await make_film(services, 40)
        reviews = await services.reviews.for_film(film)
        ids = {r.id for r in reviews}
        await digest_worker(services).drain()
        threshold = services.settings.spoiler_threshold
        with_spoilers = [
            r for r in reviews if any(s.spoiler_score >= threshold or s.author_marked for s in r.sentences)
        ]
        assert 0 < len(with_spoilers) < 40
        ours = [d for d in calls(fake, "digest") if review_ids_of(d.user) & ids]
        assert len(ours) == 40 + len(with_spoilers)
        assert sum("spoilers: " in d.user for d in ours) == len(with_spoilers)
        fake.reset()
        result = await services.summaries.summarize(film, spoilers=True)
        assert result.engine == "openai:gpt-4o-mini" and len(fake.requests) == 1


async def test_the_queue_survives_a_restart_and_waits_after_a_failure(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(**BIG) as services:
        film = await make_film(services, 6)
        worker = digest_worker(services)
        queued = await worker.pending()
        assert queued >= 6, "every stored review is queued, the sample's too"
        fake.script(ServerError(), ServerError())
        assert await worker.step() is True
        assert await worker.pending() == queued, "a failed review stays queued"
    fake.reset()
    async with open_llm(**BIG) as services:  # a restart: the queue is in the database
        worker = digest_worker(services)
        assert await worker.pending() == queued
        assert await worker.drain() == queued - 1, "the failed one waits before its next try"
        assert await worker.pending() == 1
        made = len(calls(fake, "digest"))
        fake.reset()
        reviews = await services.reviews.for_film(film)
        await services.reviews.rescore_film(film)
        assert await worker.pending() >= len(reviews), "rescored reviews are queued again"
        await worker.drain()
        assert calls(fake, "digest") == [] or len(calls(fake, "digest")) < made, "unchanged text is not digested again"


def test_selection_prefers_central_reviews_and_spreads_strata() -> None:
    common = "acting superb photography glows pacing gripping"
    candidates = [
        Candidate(1, "a", 5.0, common, 10),
        Candidate(2, "b", 5.0, common + " harbour", 10),
        Candidate(3, "c", 5.0, "zebra quantum marmalade", 10),  # an outlier
        Candidate(4, "d", 1.0, "acting wooden dialogue clumsy", 10),
        Candidate(5, "e", None, common, 10),
    ]
    chosen = [c.review_id for c in select_representative(candidates, 30)]
    assert 4 in chosen and 5 in chosen, "every stratum gets a voice"
    assert 3 not in chosen, "outliers wait"
    assert [c.review_id for c in select_representative(candidates, 1000)] == [1, 2, 3, 4, 5]
    assert select_representative(candidates, 5) == []


async def test_the_worker_reuses_a_films_checks_until_the_film_or_a_review_changes(llm: Services) -> None:
    """The allow-list and guard are built once per run of a film's reviews (not once per review: 300
    reviews made the queue quadratic), and rebuilt when a review is added or rescored."""
    worker = digest_worker(llm)
    film = await llm.films.resolve("Parasite")
    first, second, *_ = await llm.reviews.for_film(film)
    checks = await worker._film_checks(film, first)
    assert await worker._film_checks(film, second) is checks, "same film, same reviews: reused"

    rescored = [dataclasses.replace(s, spoiler_score=1.0) for s in first.sentences]
    await llm.reviews._reviews.replace_sentences(first.id, rescored)
    fresh = await llm.reviews.get(first.id)
    assert fresh is not None
    after_rescore = await worker._film_checks(film, fresh)
    assert after_rescore is not checks and all(s.spoiler_score == 1.0 for r in after_rescore.reviews
                                               if r.id == first.id for s in r.sentences)

    await llm.reviews.add(film, text="A late review: the photography is gorgeous and the score unsettling.",
                          author="late")
    assert await worker._film_checks(film, fresh) is not after_rescore, "a new review changes the set"
