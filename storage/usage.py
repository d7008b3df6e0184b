"""Token usage of LLM calls, for per-user and per-guild daily budgets, and the reservations of calls
in flight.

A call reserves its most it can cost before it starts (`reserve`: the check against both budgets
and the reservation are one transaction, so a burst of concurrent calls can't all pass one check),
and `settle` replaces the reservation with what the call really used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from storage.db import Database, Writer


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class Reservation:
    """The answer to `reserve`: `id` is None when refused. `user_left` / `guild_left`: tokens left
    today before this reservation (None: no guild)."""

    id: int | None
    user_left: int
    guild_left: int | None


class UsageLedger(Protocol):
    """What the daily budget asks of storage."""

    async def record(
        self, *, user_id: str | None, guild_id: str | None, purpose: str, input_tokens: int, output_tokens: int
    ) -> None: ...
    async def used_today_by_user(self, user_id: str) -> int: ...
    async def used_today_by_guild(self, guild_id: str) -> int: ...
    async def committed_today(self, user_id: str, guild_id: str | None, now: float) -> tuple[int, int]:
        """Tokens used plus tokens reserved by calls in flight today: (the user's, the guild's)."""
        ...

    async def reserve(
        self, *, user_id: str, guild_id: str | None, tokens: int, user_limit: int, guild_limit: int,
        now: float, ttl: float,
    ) -> Reservation:
        """Reserve `tokens` when both budgets still hold them (with what is reserved already)."""
        ...

    async def settle(
        self, reservation_id: int, *, user_id: str | None, guild_id: str | None, purpose: str,
        input_tokens: int, output_tokens: int,
    ) -> None:
        """The call ended: its real usage replaces its reservation, in one transaction."""
        ...

    async def release(self, reservation_id: int) -> None:
        """The call used nothing (it failed before an answer): drop its reservation."""
        ...


class UsageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, *, user_id: str | None, guild_id: str | None, purpose: str, input_tokens: int, output_tokens: int
    ) -> None:
        async with self._db.transaction() as tx:
            await self._record(tx, user_id, guild_id, purpose, input_tokens, output_tokens)

    @staticmethod
    async def _record(
        tx: Writer, user_id: str | None, guild_id: str | None, purpose: str, input_tokens: int, output_tokens: int
    ) -> None:
        await tx.execute(
            "INSERT INTO llm_usage (day, user_id, guild_id, purpose, input_tokens, output_tokens) "
            "VALUES (?,?,?,?,?,?)",
            (today(), user_id, guild_id, purpose, input_tokens, output_tokens),
        )

    async def used_today_by_user(self, user_id: str) -> int:
        row = await self._db.fetchone(
            "SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM llm_usage WHERE user_id = ? AND day = ?",
            (user_id, today()),
        )
        return int(row[0]) if row else 0

    async def used_today_by_guild(self, guild_id: str) -> int:
        row = await self._db.fetchone(
            "SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM llm_usage WHERE guild_id = ? AND day = ?",
            (guild_id, today()),
        )
        return int(row[0]) if row else 0

    # The same sums, used and reserved, for reading outside a transaction and inside one.
    _USER_SQL = (
        "SELECT (SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM llm_usage"
        " WHERE user_id = :who AND day = :day)"
        " + (SELECT coalesce(sum(tokens), 0) FROM llm_reservations"
        " WHERE user_id = :who AND day = :day AND expires > :now)"
    )
    _GUILD_SQL = _USER_SQL.replace("user_id", "guild_id")

    async def committed_today(self, user_id: str, guild_id: str | None, now: float) -> tuple[int, int]:
        day = today()
        user = await self._db.fetchone(self._USER_SQL, {"who": user_id, "day": day, "now": now})
        guild = None
        if guild_id is not None:
            guild = await self._db.fetchone(self._GUILD_SQL, {"who": guild_id, "day": day, "now": now})
        return (int(user[0]) if user else 0), (int(guild[0]) if guild else 0)

    async def reserve(
        self, *, user_id: str, guild_id: str | None, tokens: int, user_limit: int, guild_limit: int,
        now: float, ttl: float,
    ) -> Reservation:
        day = today()
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM llm_reservations WHERE expires <= ?", (now,))
            user = await tx.fetchone(self._USER_SQL, {"who": user_id, "day": day, "now": now})
            user_left = user_limit - (int(user[0]) if user else 0)
            guild_left: int | None = None
            if guild_id is not None:
                guild = await tx.fetchone(self._GUILD_SQL, {"who": guild_id, "day": day, "now": now})
                guild_left = guild_limit - (int(guild[0]) if guild else 0)
            if tokens > user_left or (guild_left is not None and tokens > guild_left):
                return Reservation(None, max(user_left, 0), None if guild_left is None else max(guild_left, 0))
            await tx.execute(
                "INSERT INTO llm_reservations (day, user_id, guild_id, tokens, expires) VALUES (?,?,?,?,?)",
                (day, user_id, guild_id, tokens, now + ttl),
            )
            row = await tx.fetchone("SELECT last_insert_rowid()")
            return Reservation(int(row[0]) if row else 0, user_left, guild_left)

    async def settle(
        self, reservation_id: int, *, user_id: str | None, guild_id: str | None, purpose: str,
        input_tokens: int, output_tokens: int,
    ) -> None:
        async with self._db.transaction() as tx:
            # The reservation's own user id: a person who erased their data meanwhile stays erased.
            moved = await tx.execute(
                "INSERT INTO llm_usage (day, user_id, guild_id, purpose, input_tokens, output_tokens) "
                "SELECT ?, user_id, guild_id, ?, ?, ? FROM llm_reservations WHERE id = ?",
                (today(), purpose, input_tokens, output_tokens, reservation_id),
            )
            if moved:
                await tx.execute("DELETE FROM llm_reservations WHERE id = ?", (reservation_id,))
            else:  # it expired (a very slow call) and was dropped: the usage still counts
                await self._record(tx, user_id, guild_id, purpose, input_tokens, output_tokens)

    async def release(self, reservation_id: int) -> None:
        await self._db.execute("DELETE FROM llm_reservations WHERE id = ?", (reservation_id,))
