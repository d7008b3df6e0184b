"""A circuit breaker: stop calling an LLM provider that keeps failing, and try it again later.

- closed: calls go through. `failures` provider failures in a row (timeouts, 5xx, connection
  errors, 429s, broken responses: `is_provider_fault` in bot/llm/errors.py) open it.
- open: every call fails at once with `LLMPaused`, so people get the offline answer straight away,
  with a note, instead of waiting for a timeout, and the provider is left alone.
- half-open (the cool-down has passed): one trial call goes through while the others still fail
  fast. If it works the breaker closes; if the provider fails again it opens for twice as long
  (at most `max_cooldown`).

Request errors (too long, bad request, refused, bad key) and answers that miss our JSON schema are
not provider failures: the provider answered. They count as signs of life, like a success. A 429
whose retry-after is longer than the cool-down keeps the breaker open that long.

One breaker per `ChatClient`, so the summary and answer engines share it. State changes are logged
at WARNING. The clock is injectable (tests move time without sleeping).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from bot.llm.errors import LLMError, LLMPaused, LLMRateLimited, is_provider_fault

log = logging.getLogger(__name__)

State = Literal["closed", "open", "half_open"]
Clock = Callable[[], float]
MAX_COOLDOWN_SECONDS = 600.0


class CircuitBreaker:
    def __init__(
        self,
        *,
        failures: int = 5,
        cooldown: float = 60.0,
        max_cooldown: float = MAX_COOLDOWN_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        if failures < 1 or cooldown < 0:
            raise ValueError("a circuit breaker needs failures >= 1 and cooldown >= 0")
        self.threshold = failures
        self.base_cooldown = cooldown
        self.max_cooldown = max(max_cooldown, cooldown)
        self.clock = clock
        self._open = False  # open or half-open; which one depends on the clock
        self._failures = 0  # provider failures in a row (while closed)
        self._cooldown = cooldown  # length of the next opening (doubles after a failed trial)
        self._until = 0.0  # while open: when the next trial may go
        self._trial = False  # a trial call is under way

    @property
    def state(self) -> State:
        if not self._open:
            return "closed"
        return "open" if self.clock() < self._until else "half_open"

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def retry_in(self) -> float:
        """Seconds until a trial call may go (0 when closed or half-open)."""
        return max(0.0, self._until - self.clock()) if self._open else 0.0

    @contextmanager
    def call(self) -> Iterator[None]:
        """Around one request: raises `LLMPaused` instead of sending when open, and records how
        the request ended (an `LLMError` raised inside is judged; anything else, such as a
        cancellation, gives no verdict and frees the trial slot)."""
        trial = self._admit()
        try:
            yield
        except LLMError as error:
            if is_provider_fault(error):
                self._failed(error, trial)
            else:
                self._succeeded()
            raise
        except BaseException:
            if trial:
                self._trial = False  # no verdict: the next call becomes the trial
            raise
        self._succeeded()

    # --- transitions -----------------------------------------------------------------------------
    def _admit(self) -> bool:
        """Whether this call is the half-open trial; raises LLMPaused when it may not go at all."""
        if not self._open:
            return False
        left = self._until - self.clock()
        if left > 0:
            raise LLMPaused(f"calls paused for {left:.0f} more s", retry_after=left)
        if self._trial:
            raise LLMPaused("a trial call is under way", retry_after=0.0)
        self._trial = True
        log.warning("LLM circuit breaker half-open: sending one trial call")
        return True

    def _failed(self, error: LLMError, trial: bool) -> None:
        if not self._open:
            self._failures += 1
            if self._failures >= self.threshold:
                self._trip(error, f"{self._failures} provider failures in a row")
        elif trial:
            self._trial = False
            self._cooldown = min(self._cooldown * 2, self.max_cooldown)
            self._trip(error, "the trial call failed")
        # else: a call sent before the breaker opened; the opening already accounts for it

    def _trip(self, error: LLMError, why: str) -> None:
        length = self._cooldown
        if isinstance(error, LLMRateLimited) and error.retry_after:
            length = max(length, min(error.retry_after, self.max_cooldown))
        self._open = True
        self._until = self.clock() + length
        log.warning("LLM circuit breaker open: %s (last: %s); calls paused for %.0f s", why, error.reason, length)

    def _succeeded(self) -> None:
        if self._open:
            log.warning("LLM circuit breaker closed: the provider answered again")
        self._open = False
        self._trial = False
        self._failures = 0
        self._cooldown = self.base_cooldown
