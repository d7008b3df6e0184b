"""Per-person cooldowns and sliding-window rate limits, kept in the database so every process of
the bot shares them. Each check-and-charge is one transaction: of many concurrent requests from one
person, exactly as many pass as the limit allows (an in-memory check followed, after an await, by
a charge let a burst of 30 through).

Times are unix seconds (wall clock, the same in every process), passed in by the caller so tests
can move the clock.
"""

from __future__ import annotations

from typing import Protocol

from storage.db import Database


class LimitsStore(Protocol):
    """What the service layer asks of storage for cooldowns and rate limits."""

    async def cooldown_left(self, user_id: str, kind: str, now: float) -> tuple[float, float]:
        """(seconds left, length it was started with); (0, 0) when none runs."""
        ...

    async def start_cooldown(self, user_id: str, kind: str, seconds: float, now: float) -> tuple[float, float]:
        """Start a cooldown unless one runs: (0, seconds) when started, else the running one's
        (seconds left, length)."""
        ...

    async def hit(self, user_id: str, kind: str, limit: int, window: float, now: float) -> float:
        """Count one action unless `limit` were counted in the last `window` seconds: 0 when counted,
        else the seconds until one leaves the window (nothing is counted then)."""
        ...


class LimitsRepository:
    """SQLite: `cooldowns` and `rate_hits` (migration *_shared_limits.sql)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def cooldown_left(self, user_id: str, kind: str, now: float) -> tuple[float, float]:
        row = await self._db.fetchone(
            "SELECT until, seconds FROM cooldowns WHERE user_id = ? AND kind = ?", (user_id, kind)
        )
        if row is None or row[0] <= now:
            return 0.0, 0.0
        return float(row[0]) - now, float(row[1])

    async def start_cooldown(self, user_id: str, kind: str, seconds: float, now: float) -> tuple[float, float]:
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT until, seconds FROM cooldowns WHERE user_id = ? AND kind = ?", (user_id, kind)
            )
            if row is not None and row[0] > now:
                return float(row[0]) - now, float(row[1])
            await tx.execute("DELETE FROM cooldowns WHERE until <= ?", (now,))  # forget the expired ones
            await tx.execute(
                "INSERT INTO cooldowns (user_id, kind, until, seconds) VALUES (?,?,?,?) "
                "ON CONFLICT (user_id, kind) DO UPDATE SET until = excluded.until, seconds = excluded.seconds",
                (user_id, kind, now + seconds, seconds),
            )
            return 0.0, seconds

    async def hit(self, user_id: str, kind: str, limit: int, window: float, now: float) -> float:
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM rate_hits WHERE kind = ? AND at <= ?", (kind, now - window))
            row = await tx.fetchone(
                "SELECT count(*), min(at) FROM rate_hits WHERE user_id = ? AND kind = ?", (user_id, kind)
            )
            count, oldest = (int(row[0]), row[1]) if row else (0, None)
            if count >= limit and oldest is not None:
                return max(float(oldest) + window - now, 0.001)
            await tx.execute("INSERT INTO rate_hits (user_id, kind, at) VALUES (?,?,?)", (user_id, kind, now))
            return 0.0
