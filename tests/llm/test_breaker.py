"""The circuit breaker's state machine, on a clock the tests move (no sleeping)."""

from __future__ import annotations

import logging

import pytest

from bot.llm.breaker import CircuitBreaker
from bot.llm.errors import (
    LLMAuthError,
    LLMBadRequest,
    LLMBrokenResponse,
    LLMContextTooLong,
    LLMError,
    LLMMalformedOutput,
    LLMPaused,
    LLMRateLimited,
    LLMRefused,
    LLMServerError,
    LLMTimeout,
    LLMUnreachable,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def fail(breaker: CircuitBreaker, error: LLMError) -> None:
    with pytest.raises(type(error)), breaker.call():
        raise error


def succeed(breaker: CircuitBreaker) -> None:
    with breaker.call():
        pass


def paused(breaker: CircuitBreaker) -> bool:
    try:
        succeed(breaker)
    except LLMPaused:
        return True
    return False


@pytest.mark.parametrize(
    "error",
    [LLMTimeout(), LLMUnreachable(), LLMServerError(), LLMRateLimited(), LLMBrokenResponse()],
    ids=lambda e: type(e).__name__,
)
def test_n_provider_failures_in_a_row_open_it_and_calls_then_fail_fast(clock: Clock, error: LLMError) -> None:
    breaker = CircuitBreaker(failures=3, cooldown=60, clock=clock)
    for _ in range(2):
        fail(breaker, error)
    assert breaker.state == "closed" and breaker.consecutive_failures == 2
    fail(breaker, error)
    assert breaker.state == "open"
    with pytest.raises(LLMPaused) as caught, breaker.call():
        raise AssertionError("never runs: nothing is sent while open")
    assert caught.value.retry_after == pytest.approx(60)
    clock.advance(59.9)
    assert paused(breaker) and breaker.retry_in() == pytest.approx(0.1)


@pytest.mark.parametrize(
    "error",
    [LLMContextTooLong(), LLMBadRequest(), LLMAuthError(), LLMRefused(), LLMMalformedOutput()],
    ids=lambda e: type(e).__name__,
)
def test_request_errors_are_not_provider_failures_and_reset_the_count(clock: Clock, error: LLMError) -> None:
    breaker = CircuitBreaker(failures=3, cooldown=60, clock=clock)
    for _ in range(5):
        fail(breaker, error)
    assert breaker.state == "closed" and breaker.consecutive_failures == 0
    fail(breaker, LLMTimeout())
    fail(breaker, LLMTimeout())
    fail(breaker, error)  # the provider answered: the run of failures is broken
    fail(breaker, LLMTimeout())
    assert breaker.state == "closed" and breaker.consecutive_failures == 1


def test_a_success_resets_the_count(clock: Clock) -> None:
    breaker = CircuitBreaker(failures=2, cooldown=60, clock=clock)
    for _ in range(3):
        fail(breaker, LLMServerError())
        succeed(breaker)
    assert breaker.state == "closed"


def test_after_the_cool_down_one_trial_goes_and_its_success_closes(clock: Clock) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=60, clock=clock)
    fail(breaker, LLMServerError())
    clock.advance(60)
    assert breaker.state == "half_open"
    with breaker.call():  # the trial
        assert paused(breaker), "only one trial at a time; the others still fail fast"
    assert breaker.state == "closed"
    succeed(breaker)
    fail(breaker, LLMServerError())
    assert breaker.retry_in() == pytest.approx(60), "a closed breaker starts again from the base cool-down"


def test_a_failed_trial_reopens_for_twice_as_long_up_to_the_cap(clock: Clock) -> None:
    breaker = CircuitBreaker(failures=2, cooldown=60, max_cooldown=300, clock=clock)
    fail(breaker, LLMTimeout())
    fail(breaker, LLMTimeout())
    for expected in (120, 240, 300, 300):
        clock.advance(breaker.retry_in())
        fail(breaker, LLMTimeout())  # the trial
        assert breaker.state == "open" and breaker.retry_in() == pytest.approx(expected)
    clock.advance(300)
    succeed(breaker)
    fail(breaker, LLMTimeout())
    assert breaker.state == "closed", "closing forgets the failures: it takes N again to open"


def test_a_trial_ending_in_a_request_error_closes_it_the_provider_answered(clock: Clock) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    fail(breaker, LLMUnreachable())
    clock.advance(10)
    fail(breaker, LLMContextTooLong())
    assert breaker.state == "closed"


def test_a_cancelled_trial_lets_the_next_call_be_the_trial(clock: Clock) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    fail(breaker, LLMTimeout())
    clock.advance(10)
    with pytest.raises(KeyboardInterrupt), breaker.call():
        raise KeyboardInterrupt  # any non-LLM ending (cancellation, our own bug): no verdict
    assert breaker.state == "half_open"
    succeed(breaker)
    assert breaker.state == "closed"


def test_failures_of_calls_sent_before_it_opened_do_not_extend_the_pause(clock: Clock) -> None:
    breaker = CircuitBreaker(failures=2, cooldown=60, clock=clock)
    late = breaker.call()
    late.__enter__()  # admitted while closed, still running
    fail(breaker, LLMTimeout())
    fail(breaker, LLMTimeout())
    clock.advance(30)
    error = LLMTimeout()
    assert late.__exit__(LLMTimeout, error, None) is False, "the error goes on to the caller"
    assert breaker.retry_in() == pytest.approx(30)


def test_a_longer_retry_after_keeps_it_open_that_long(clock: Clock) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=60, max_cooldown=600, clock=clock)
    fail(breaker, LLMRateLimited(retry_after=300))
    assert breaker.retry_in() == pytest.approx(300)
    clock.advance(300)
    fail(breaker, LLMRateLimited(retry_after=86400))
    assert breaker.retry_in() == pytest.approx(600), "capped"
    clock.advance(600)
    succeed(breaker)
    fail(breaker, LLMRateLimited(retry_after=5))
    assert breaker.retry_in() == pytest.approx(60), "a shorter one does not shorten the cool-down"


def test_state_changes_are_logged_at_warning_without_details(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=60, clock=clock)
    caplog.set_level(logging.DEBUG, logger="bot.llm.breaker")
    fail(breaker, LLMServerError("Error code: 500 - key sk-live-SECRET rejected by upstream"))
    assert paused(breaker)
    clock.advance(60)
    succeed(breaker)
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in messages] == [logging.WARNING] * 3, messages
    assert "open" in messages[0][1] and "server error" in messages[0][1] and "60 s" in messages[0][1]
    assert "half-open" in messages[1][1] and "closed" in messages[2][1]
    assert not any("SECRET" in text for _, text in messages)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failures=0)
