"""A per-user sliding-window limit for commands that change (or export) stored data.

Every attempt counts, including refused ones: the limit is there to stop a script or a stuck key
from flooding the database, and 20 a minute (DISCORD_WRITE_RATE_PER_MINUTE) leaves people typing
by hand plenty of room. The wait is explained ("try again in 12 s") by the central error handler.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from bot.errors import RateLimited


class SlidingWindow:
    def __init__(self, limit: int, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit  # 0: no limit
        self.window = window
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}

    def retry_after(self, user_id: int) -> float:
        """Seconds until `user_id` may act again (0: now)."""
        hits = self._recent(user_id, self._clock())
        if self.limit <= 0 or len(hits) < self.limit:
            return 0.0
        return max(0.0, hits[0] + self.window - self._clock())

    def hit(self, user_id: int) -> None:
        """Count one action, or raise `RateLimited` (nothing counted) when the window is full."""
        if self.limit <= 0:
            return
        now = self._clock()
        hits = self._recent(user_id, now)
        if len(hits) >= self.limit:
            wait = hits[0] + self.window - now
            raise RateLimited(
                f"⏳ Slow down a little: you can make {self.limit} changes a minute.", retry_after=max(1.0, wait)
            )
        hits.append(now)
        self._hits[user_id] = hits
        if len(self._hits) > 1000:  # forget people whose window emptied
            self._hits = {u: h for u, h in self._hits.items() if h and h[-1] > now - self.window}

    def _recent(self, user_id: int, now: float) -> deque[float]:
        hits = self._hits.get(user_id, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits
