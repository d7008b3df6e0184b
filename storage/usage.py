"""Token usage of LLM calls, for per-user and per-guild daily budgets."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.db import Database


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


class UsageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, *, user_id: str | None, guild_id: str | None, purpose: str, input_tokens: int, output_tokens: int
    ) -> None:
        await self._db.execute(
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
