"""Per-person limits: the cooldown of LLM-backed commands and a sliding-window rate of writes.

Both live in the database (storage/limits.py), so every process of the bot shares them, and each
check-and-charge is one transaction: when 30 requests from one person arrive at once, one starts
the cooldown and 29 are refused, however their awaits interleave.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.errors import RateLimited
from storage.limits import LimitsStore


class OnCooldown(RateLimited):
    """The person must wait `retry_after` seconds of a `per`-second cooldown."""

    def __init__(self, retry_after: float, per: float) -> None:
        super().__init__(
            f"⏳ One moment: summaries and answers can be asked for once every {per:g} seconds. "
            f"Try again in {retry_after:.1f} s.",
            retry_after=retry_after,
        )
        self.per = per


class Cooldown:
    """`check` runs before a command does anything (cheap, a read); `start` only once the command is
    about to do the expensive work, so a typo in a film title does not cost the person their turn.
    `start` is the atomic one: of concurrent requests, only the first starts it, the rest are refused."""

    def __init__(
        self, store: LimitsStore, kind: str, seconds: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self.kind = kind
        self.seconds = seconds  # the default; a server may set its own (passed to `start`)
        self._clock = clock

    async def retry_after(self, user_id: str) -> float:
        return (await self._store.cooldown_left(user_id, self.kind, self._clock()))[0]

    async def check(self, user_id: str) -> None:
        """Raise `OnCooldown` while the person must wait."""
        wait, per = await self._store.cooldown_left(user_id, self.kind, self._clock())
        if wait > 0:
            raise OnCooldown(wait, per)

    async def start(self, user_id: str, seconds: float | None = None) -> None:
        """Start the person's cooldown (`seconds`, else the default), or raise `OnCooldown` when one
        runs already."""
        seconds = self.seconds if seconds is None else seconds
        if seconds <= 0:
            return
        wait, per = await self._store.start_cooldown(user_id, self.kind, seconds, self._clock())
        if wait > 0:
            raise OnCooldown(wait, per)


class RateLimit:
    """At most `limit` actions per `window` seconds per person (0: no limit). Every attempt counts,
    including ones refused later for another reason: the limit is there to stop a script or a stuck
    key from flooding the database; refused-by-this-limit attempts do not count."""

    def __init__(
        self, store: LimitsStore, kind: str, limit: int, window: float = 60.0,
        *, clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.kind = kind
        self.limit = limit
        self.window = window
        self._clock = clock

    async def hit(self, user_id: str) -> None:
        """Count one action, or raise `RateLimited` (nothing counted) when the window is full."""
        if self.limit <= 0:
            return
        wait = await self._store.hit(user_id, self.kind, self.limit, self.window, self._clock())
        if wait > 0:
            raise RateLimited(
                f"⏳ Slow down a little: you can make {self.limit} changes a minute.", retry_after=max(1.0, wait)
            )
