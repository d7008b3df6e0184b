"""Every way the LLM provider can fail, through both user paths (summaries and /ask), streamed and not:
the person always gets the offline answer with a note, within a bounded time, nothing escapes, and
nothing is cached under the LLM's key. Then the circuit breaker: a failing provider is left alone
for a while, and one trial call after the cool-down brings the LLM back.

Each fault is the provider's answer to every request (it is down, not hiccuping), so the retries
and the bound on the time are exercised too.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

import pytest

from bot.app import Services
from bot.llm.answer_engine import LLMAnswerEngine
from bot.llm.breaker import CircuitBreaker
from bot.llm.summary_engine import LLMSummaryEngine
from bot.services.summaries import Mode
from storage.records import Film
from storage.summaries import SummaryKey
from tests.fakes.fake_openai import (
    Behaviour,
    FakeOpenAI,
    Hang,
    Malformed,
    RateLimit,
    Reply,
    ServerError,
    Stall,
    Truncated,
    closed_port_url,
)
from tests.llm.conftest import OpenLLM, calls, digest_worker
from tests.llm.model import PromptModel, grounded, points, review_ids
from tests.llm.test_breaker import Clock
from tests.llm.test_many_reviews import make_film

TIMEOUT = 0.15  # LLM_TIMEOUT_SECONDS in these tests
RETRIES = 1  # LLM_MAX_RETRIES: one more attempt for 429, 5xx, timeouts and refused connections
# Our own work around the calls (database, guard, offline summary). Generous because the suite shares two cores
# with everything else (0.3 s failed at load average 10); still far below the waits it guards against (a 30 s
# Retry-After, a hung stream).
MARGIN = 2.0
ANSWER = points(("Reviewers praise the two leads and the rain-soaked city.", [1], False))
PAUSED_SUMMARY = "The LLM is unavailable right now (paused after repeated failures); this is the offline summary."
PAUSED_ANSWER = "The LLM is unavailable right now (paused after repeated failures); this is the offline answer."


@dataclass(frozen=True)
class Fault:
    name: str
    behaviour: Behaviour | None  # None: the server's port is closed (connection refused)
    reason: str  # in the note the person sees
    # Requests the server receives for one question, plain and streamed. A failure the client retries
    # (429, 5xx, timeouts) takes 1 + RETRIES; a broken answer is asked again once by the engine; a
    # stream that broke after it started is not retried (its text was already being shown).
    requests: tuple[int, int]
    timeouts: tuple[int, int] = (0, 0)  # how many of those attempts run into the timeout
    waits: tuple[float, float] = (0.0, 0.0)  # the most the client sleeps between attempts

    def bound(self, stream: bool) -> float:
        return self.timeouts[stream] * TIMEOUT + self.waits[stream] + MARGIN


PROGRESS = re.compile(r"\n\*Reading \d+ reviews?…\*$")
BACKOFF = TIMEOUT  # the client waits at most min(timeout, 8 s) between attempts
FAULTS = [
    Fault("429 retry-after 30 s", RateLimit(retry_after=30), "rate limited", (1, 1)),
    Fault("429 retry-after 0.1 s", RateLimit(retry_after=0.1), "rate limited", (2, 2), waits=(0.1, 0.1)),
    Fault("429 no retry-after", RateLimit(retry_after=None), "rate limited", (2, 2), waits=(BACKOFF, BACKOFF)),
    Fault("500", ServerError(500), "server error", (2, 2), waits=(BACKOFF, BACKOFF)),
    Fault("502", ServerError(502), "server error", (2, 2), waits=(BACKOFF, BACKOFF)),
    Fault("503", ServerError(503), "server error", (2, 2), waits=(BACKOFF, BACKOFF)),
    Fault("connection refused", None, "could not be reached", (0, 0), waits=(BACKOFF, BACKOFF)),
    Fault("hang before answering", Hang(seconds=30), "timed out", (2, 2), (2, 2), (BACKOFF, BACKOFF)),
    Fault("hang mid-stream", Stall(ANSWER, after_chars=30, seconds=30), "timed out", (2, 1), (2, 1), (BACKOFF, 0)),
    Fault("truncated (no finish, no [DONE])", Truncated(ANSWER, after_chars=30), "gave an unusable answer", (2, 2)),
    Fault("connection cut mid-chunk", Truncated(ANSWER, after_chars=30, abort=True), "see reason_of", (2, 1)),
    Fault("invalid JSON body", Malformed(), "gave an unusable answer", (2, 2)),
    Fault("empty answer", Reply(""), "gave an unusable answer", (2, 2)),
]
FAULT_SETTINGS = {
    "llm_timeout_seconds": TIMEOUT,
    "llm_max_retries": RETRIES,
    "llm_breaker_failures": 1000,  # the breaker has its own tests below
}


async def llm_cached(services: Services, film: Film, mode: Mode) -> bool:
    engine = services.summaries.engine
    version = await services.reviews.review_set_version(film)
    key = SummaryKey(film.id, mode, engine.name, engine.prompt_version, version)
    return await services.store.summaries.get(key) is not None


def reason_of(fault: Fault, stream: bool) -> str:
    if fault.name == "connection cut mid-chunk":  # plain: the body is cut; streamed: the socket drops
        return "could not be reached" if stream else "gave an unusable answer"
    return fault.reason


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_every_fault_gets_the_offline_answer_with_a_note_in_bounded_time(
    open_llm: OpenLLM, fake: FakeOpenAI, fault: Fault
) -> None:
    url = closed_port_url() if fault.behaviour is None else fake.base_url
    fake.responder = lambda request: fault.behaviour or Reply("unreachable")
    timings: list[str] = []
    async with open_llm(openai_base_url=url, **FAULT_SETTINGS) as services:
        film = await services.films.resolve("Se7en")
        shown: list[str] = []

        async def on_text(text: str) -> None:
            shown.append(text)

        for stream in (False, True):
            callback = on_text if stream else None
            reason = reason_of(fault, stream)

            fake.requests.clear()
            started = time.perf_counter()
            summary = await services.summaries.summarize(film, on_text=callback)
            elapsed = time.perf_counter() - started
            timings.append(f"summary stream={stream}: {elapsed:.3f} s")
            assert summary.engine == "offline" and not summary.cached
            assert summary.notes == [f"The LLM was unavailable ({reason}); this is the offline summary."]
            assert summary.text.startswith("**Se7en (1995)**") and "Verdict" in summary.text
            assert len(fake.requests) == fault.requests[stream]
            assert elapsed < fault.bound(stream), (elapsed, fault.bound(stream))
            assert not await llm_cached(services, film, "spoiler_free")

            fake.requests.clear()
            started = time.perf_counter()
            answer = await services.ask.ask("Is the acting any good?", film=film, on_text=callback)
            elapsed = time.perf_counter() - started
            timings.append(f"ask stream={stream}: {elapsed:.3f} s")
            assert answer.engine == "offline"
            assert answer.notes[0] == f"The LLM was unavailable ({reason}); this is the offline answer."
            assert answer.text.startswith("What reviewers say about the acting in **Se7en (1995)**")
            assert answer.sources
            assert len(fake.requests) == fault.requests[stream]
            assert elapsed < fault.bound(stream), (elapsed, fault.bound(stream))
            half_written = [text for text in shown if not PROGRESS.search(text)]
            assert half_written == [], "only progress lines were shown while it streamed, nothing half-written"
    print(f"\n{fault.name}: " + "; ".join(timings))


# --- the circuit breaker, through the services -----------------------------------------------------
@dataclass
class Switch:
    """The provider's health, flipped by the test: down answers every request with `fault`."""

    model: PromptModel
    fault: Behaviour = field(default_factory=lambda: ServerError(503))
    down: bool = True

    def __call__(self, request: object) -> Behaviour | str:
        return self.fault if self.down else self.model(request)  # type: ignore[arg-type]


def engines(services: Services) -> tuple[LLMSummaryEngine, LLMAnswerEngine]:
    summary, answer = services.summaries.engine, services.ask.engine
    assert isinstance(summary, LLMSummaryEngine) and isinstance(answer, LLMAnswerEngine)
    return summary, answer


def on_clock(services: Services) -> tuple[CircuitBreaker, Clock]:
    summary, answer = engines(services)
    assert summary.breaker is answer.breaker, "one breaker per client, shared by both engines"
    clock = Clock()
    summary.breaker.clock = clock
    return summary.breaker, clock


BREAKER = {"llm_breaker_failures": 3, "llm_breaker_cooldown_seconds": 60, "llm_max_retries": 0}


async def test_after_n_failures_calls_stop_reaching_the_provider_until_a_trial_succeeds(
    open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel
) -> None:
    switch = Switch(model)
    fake.responder = switch
    async with open_llm(**BREAKER) as services:
        breaker, clock = on_clock(services)
        await services.summaries.summarize("Se7en")
        await services.ask.ask("Is the acting in Se7en any good?")  # summaries and answers count together
        assert breaker.state == "closed"
        third = await services.summaries.summarize("Parasite")
        assert third.notes == ["The LLM was unavailable (server error); this is the offline summary."]
        assert breaker.state == "open" and len(fake.requests) == 3

        started = time.perf_counter()
        summary = await services.summaries.summarize("The Prestige")
        answer = await services.ask.ask("Is the acting in Parasite any good?", on_text=None)
        elapsed = time.perf_counter() - started
        assert len(fake.requests) == 3, "nothing reaches the provider while the breaker is open"
        assert summary.engine == "offline" and summary.notes == [PAUSED_SUMMARY]
        assert "Verdict" in summary.text and not summary.cached
        assert answer.engine == "offline" and answer.notes[0] == PAUSED_ANSWER and answer.sources
        assert elapsed < MARGIN, elapsed

        clock.advance(59)
        await services.summaries.summarize("Se7en")
        assert len(fake.requests) == 3, "still cooling down"
        clock.advance(1)
        switch.down = False
        back = await services.summaries.summarize("Se7en")
        assert back.engine == "openai:gpt-4o-mini" and len(fake.requests) == 4, "one trial call"
        assert breaker.state == "closed"
        again = await services.ask.ask("Is the acting in Se7en any good?")
        assert again.engine == "openai:gpt-4o-mini" and len(fake.requests) == 5


async def test_a_failed_trial_pauses_twice_as_long(open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel) -> None:
    fake.responder = Switch(model, fault=Hang(seconds=30))
    async with open_llm(**BREAKER, llm_timeout_seconds=0.1) as services:
        breaker, clock = on_clock(services)
        # Which calls were made is read from the notes, not from the requests the server received: a
        # request the client gave up on within 0.1 s can be dropped by the server unread on a busy machine.
        timed_out = "The LLM was unavailable (timed out); this is the offline answer."
        for _ in range(3):
            failed = await services.ask.ask("Is the acting in Se7en any good?")
            assert failed.notes[0] == timed_out
        assert breaker.state == "open"
        clock.advance(60)
        trial = await services.ask.ask("Is the acting in Se7en any good?")
        assert trial.notes[0] == timed_out, "the trial call was made, and failed"
        assert breaker.state == "open" and breaker.retry_in() == pytest.approx(120)
        clock.advance(60)
        paused = await services.summaries.summarize("Se7en")
        assert paused.notes == [PAUSED_SUMMARY], "still paused: nothing was sent"


async def test_half_open_lets_one_call_through_and_the_rest_answer_offline_at_once(
    open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel
) -> None:
    switch = Switch(model, fault=RateLimit(retry_after=None))
    fake.responder = switch
    async with open_llm(**BREAKER) as services:
        breaker, clock = on_clock(services)
        for _ in range(3):
            await services.summaries.summarize("Se7en")
        clock.advance(60)
        switch.down = False
        # The trial takes a while, so the other questions certainly arrive while it is under way.
        model.overrides["answer"] = lambda request: Hang(0.25, then=points(
            (grounded(request, "Reviewers like the {0}.", review_ids(request)[0]), review_ids(request)[:1], False)
        ))
        answers = await asyncio.gather(*(services.ask.ask(f"Is the acting in Se7en good, {n}?") for n in range(5)))
        assert len(calls(fake, "answer")) == 1, "a single trial call in half-open state"
        assert sorted(a.engine for a in answers) == ["offline"] * 4 + ["openai:gpt-4o-mini"]
        assert all(a.notes[0] == PAUSED_ANSWER for a in answers if a.engine == "offline")
        assert breaker.state == "closed"


async def test_a_long_retry_after_keeps_the_provider_alone_that_long(
    open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel
) -> None:
    fake.responder = Switch(model, fault=RateLimit(retry_after=300))
    async with open_llm(**{**BREAKER, "llm_max_retries": 2}) as services:
        breaker, _ = on_clock(services)
        started = time.perf_counter()
        for _ in range(3):
            result = await services.summaries.summarize("Se7en")
            assert result.notes == ["The LLM was unavailable (rate limited); this is the offline summary."]
        assert time.perf_counter() - started < 0.5, "a 5-minute retry-after is not waited out by anyone"
        assert len(fake.requests) == 3, "nor retried"
        assert breaker.retry_in() == pytest.approx(300)


async def test_half_open_digests_start_with_one_trial_call(
    open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel
) -> None:
    switch = Switch(model)
    fake.responder = switch
    async with open_llm(**BREAKER, llm_direct_max_tokens=0, llm_concurrency=4) as services:
        breaker, clock = on_clock(services)
        film = await make_film(services, 12)
        for _ in range(3):
            await services.ask.ask("Is the acting in Se7en any good?")
        clock.advance(60)
        switch.down = False
        await digest_worker(services).drain()
        assert breaker.state == "closed" and len(calls(fake, "digest")) >= 12
        fake.reset()
        result = await services.summaries.summarize(film)
        assert result.engine == "openai:gpt-4o-mini", result.notes
        assert calls(fake, "digest") == [] and len(calls(fake, "summary")) == 1

