"""A film with hundreds of reviews: digests made once and reused, every request inside the context window,
a representative selection when the digests do not all fit, and today's budget respected."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from bot.app import Services
from bot.errors import BudgetExceeded
from bot.llm.selection import Candidate, select_representative, stratum
from bot.services.reviews import ReviewService
from bot.services.summaries import Requester
from storage.films import FilmRepository
from storage.records import Film, FilmInput
from storage.reviews import ReviewRepository
from tests.fakes.fake_openai import FakeOpenAI
from tests.llm.conftest import OpenLLM, calls, prompt_tokens

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


async def test_300_reviews_fit_the_budget_and_one_more_costs_two_calls(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(**BIG) as services:
        film = await make_film(services, 300)
        reviews = await services.reviews.for_film(film)
        result = await services.summaries.summarize(film)
        assert result.engine == "openai:gpt-4o-mini", result.notes
        assert len(calls(fake, "digest")) == 300 and len(calls(fake, "summary")) == 1
        assert len(fake.requests) == 301
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
        assert result.input_tokens > sum(prompt_tokens(r) for r in fake.requests) * 0.5
        assert result.as_json()["output_tokens"] == result.output_tokens > 0

        fake.reset()
        again = await services.summaries.summarize(film)
        assert again.cached and fake.requests == []

        late = ("A late arrival: the acting is superb and the score is lovely.", 5.0, "late")
        await add_reviews(services, film, [late])
        fresh = await services.summaries.summarize(film)
        assert not fresh.cached and fresh.engine == "openai:gpt-4o-mini"
        assert (len(calls(fake, "digest")), len(calls(fake, "summary"))) == (1, 1), "one digest plus one final"
        assert len(fake.requests) == 2


async def test_spoilers_mode_digests_only_the_reviews_with_spoilers_again(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(**BIG) as services:
        film = await make_film(services, 40)
        await services.summaries.summarize(film)
        assert len(calls(fake, "digest")) == 40
        fake.reset()
        reviews = await services.reviews.for_film(film)
        threshold = services.settings.spoiler_threshold
        with_spoilers = [
            r for r in reviews if any(s.spoiler_score >= threshold or s.author_marked for s in r.sentences)
        ]
        assert 0 < len(with_spoilers) < 40
        result = await services.summaries.summarize(film, spoilers=True)
        assert result.engine == "openai:gpt-4o-mini"
        digests = calls(fake, "digest")
        assert len(digests) == len(with_spoilers), "reviews without spoilers share their spoiler-free digest"
        assert all("spoilers: " in d.user for d in digests)


async def test_a_small_budget_reads_a_representative_part_and_says_so(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(**BIG, llm_daily_tokens_per_user=25_000) as services:
        film = await make_film(services, 60)
        me = Requester("saver")
        result = await services.summaries.summarize(film, requester=me)
        digests = len(calls(fake, "digest"))
        assert result.engine == "openai:gpt-4o-mini" and 5 < digests < 60
        assert any(f"Written from {digests} of 60 reviews" in n for n in result.notes), result.notes
        again = await services.summaries.summarize(film, requester=Requester("other"))
        assert not again.cached, "a partial summary is not cached"


async def test_no_budget_for_even_the_final_call_is_refused_before_any_call(
    open_llm: OpenLLM, fake: FakeOpenAI
) -> None:
    async with open_llm(**BIG, llm_daily_tokens_per_user=2_000) as services:
        film = await make_film(services, 60)
        with pytest.raises(BudgetExceeded, match="needs about"):
            await services.summaries.summarize(film, requester=Requester("poor"))
        assert fake.requests == []


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


async def test_stored_digests_still_serve_when_the_budget_covers_no_new_one(
    open_llm: OpenLLM, fake: FakeOpenAI
) -> None:
    async with open_llm(**BIG) as services:
        film = await make_film(services, 30)
        await services.summaries.summarize(film)
        newcomer = ("A newcomer: the acting is superb and the score is lovely.", 5.0, "new")
        await add_reviews(services, film, [newcomer])
    fake.reset()
    async with open_llm(**BIG, llm_daily_tokens_per_user=CONTEXT + 300) as services:  # the final call, no digest
        result = await services.summaries.summarize(film, requester=Requester("frugal"))
        assert calls(fake, "digest") == [] and len(calls(fake, "summary")) == 1
        assert any("Written from 30 of 31 reviews" in n for n in result.notes), result.notes
