"""Cooldowns, rate limits and LLM token reservations on PostgreSQL (storage/limits.py and
storage/usage.py are the SQLite versions; the behaviour is the same).

PostgreSQL runs transactions side by side (READ COMMITTED), so a read-then-write check would let
a burst through: each check-and-charge first takes a transaction-scoped advisory lock on the
person (and the server, for budgets), in that order, so two of them never interleave.
"""

from __future__ import annotations

from storage.postgres.db import Conn, PostgresDatabase
from storage.usage import Reservation, today

_USED = (
    "SELECT (SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM llm_usage WHERE {who} = $1 AND day = $2)"
    " + (SELECT coalesce(sum(tokens), 0) FROM llm_reservations WHERE {who} = $1 AND day = $2 AND expires > $3)"
)
_USER_USED = _USED.format(who="user_id")
_GUILD_USED = _USED.format(who="guild_id")


async def _lock(conn: Conn, *parts: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "\x1f".join(parts))


class PgLimitsRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def cooldown_left(self, user_id: str, kind: str, now: float) -> tuple[float, float]:
        row = await self._db.fetchrow(
            "SELECT until, seconds FROM cooldowns WHERE user_id = $1 AND kind = $2", user_id, kind
        )
        if row is None or row[0] <= now:
            return 0.0, 0.0
        return float(row[0]) - now, float(row[1])

    async def start_cooldown(self, user_id: str, kind: str, seconds: float, now: float) -> tuple[float, float]:
        """Locked check-and-start in one round trip (cooldown_start, migration 0007)."""
        row = await self._db.fetchrow("SELECT * FROM cooldown_start($1, $2, $3, $4)", user_id, kind, seconds, now)
        assert row is not None
        return float(row[0]), float(row[1])

    async def hit(self, user_id: str, kind: str, limit: int, window: float, now: float) -> float:
        """Locked count-and-charge in one round trip (rate_hit, migration 0007): the seconds to
        wait, or 0 when this hit was counted."""
        return float(await self._db.fetchval("SELECT rate_hit($1, $2, $3, $4, $5)", user_id, kind, limit, window, now))


class PgUsageReservations:
    """The reservation half of the usage ledger (mixed into PgUsageRepository)."""

    _db: PostgresDatabase

    async def committed_today(self, user_id: str, guild_id: str | None, now: float) -> tuple[int, int]:
        day = today()
        user = int(await self._db.fetchval(_USER_USED, user_id, day, now))
        guild = int(await self._db.fetchval(_GUILD_USED, guild_id, day, now)) if guild_id is not None else 0
        return user, guild

    async def reserve(
        self, *, user_id: str, guild_id: str | None, tokens: int, user_limit: int, guild_limit: int,
        now: float, ttl: float,
    ) -> Reservation:
        day = today()
        async with self._db.transaction() as conn:
            await _lock(conn, "budget-user", user_id)
            if guild_id is not None:
                await _lock(conn, "budget-guild", guild_id)
            await conn.execute("DELETE FROM llm_reservations WHERE expires <= $1", now)
            user_left = user_limit - int(await conn.fetchval(_USER_USED, user_id, day, now))
            guild_left: int | None = None
            if guild_id is not None:
                guild_left = guild_limit - int(await conn.fetchval(_GUILD_USED, guild_id, day, now))
            if tokens > user_left or (guild_left is not None and tokens > guild_left):
                return Reservation(None, max(user_left, 0), None if guild_left is None else max(guild_left, 0))
            reservation_id = await conn.fetchval(
                "INSERT INTO llm_reservations (day, user_id, guild_id, tokens, expires) VALUES ($1,$2,$3,$4,$5) "
                "RETURNING id",
                day, user_id, guild_id, tokens, now + ttl,
            )
            return Reservation(int(reservation_id), user_left, guild_left)

    async def settle(
        self, reservation_id: int, *, user_id: str | None, guild_id: str | None, purpose: str,
        input_tokens: int, output_tokens: int,
    ) -> None:
        async with self._db.transaction() as conn:
            moved = await conn.fetchval(
                "WITH gone AS (DELETE FROM llm_reservations WHERE id = $1 RETURNING user_id, guild_id) "
                "INSERT INTO llm_usage (day, user_id, guild_id, purpose, input_tokens, output_tokens) "
                "SELECT $2, user_id, guild_id, $3, $4, $5 FROM gone RETURNING 1",
                reservation_id, today(), purpose, input_tokens, output_tokens,
            )
            if moved is None:  # it expired (a very slow call) and was dropped: the usage still counts
                await conn.execute(
                    "INSERT INTO llm_usage (day, user_id, guild_id, purpose, input_tokens, output_tokens) "
                    "VALUES ($1,$2,$3,$4,$5,$6)",
                    today(), user_id, guild_id, purpose, input_tokens, output_tokens,
                )

    async def release(self, reservation_id: int) -> None:
        await self._db.execute("DELETE FROM llm_reservations WHERE id = $1", reservation_id)
