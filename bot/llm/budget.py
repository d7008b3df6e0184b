"""Daily token budgets per user and per guild, enforced before any LLM call.

Usage is recorded per call in `llm_usage` (storage/usage.py). A limit of 0 means "no limit".
Days are UTC, so budgets reset at midnight UTC.
"""

from __future__ import annotations

import logging

from bot.errors import BudgetExceeded
from bot.services.summaries import Requester
from storage.usage import UsageRepository

log = logging.getLogger(__name__)


class DailyBudget:
    def __init__(self, usage: UsageRepository, *, per_user: int, per_guild: int) -> None:
        self._usage = usage
        self.per_user = per_user
        self.per_guild = per_guild

    async def remaining(self, requester: Requester) -> int | None:
        """Tokens left today for this requester (the smaller of user and guild), None if unlimited."""
        left: list[int] = []
        if self.per_user:
            left.append(self.per_user - await self._usage.used_today_by_user(requester.user_id))
        if self.per_guild and requester.guild_id:
            left.append(self.per_guild - await self._usage.used_today_by_guild(requester.guild_id))
        return max(0, min(left)) if left else None

    async def ensure_available(self, requester: Requester, needed: int = 1) -> int | None:
        """Raise BudgetExceeded unless at least `needed` tokens are left; returns what is left."""
        left = await self.remaining(requester)
        if left is not None and left < needed:
            raise BudgetExceeded(await self._message(requester, needed, left))
        return left

    async def record(self, requester: Requester, purpose: str, input_tokens: int, output_tokens: int) -> None:
        await self._usage.record(
            user_id=requester.user_id,
            guild_id=requester.guild_id,
            purpose=purpose,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )

    async def _message(self, requester: Requester, needed: int, left: int) -> str:
        guild_spent = bool(
            self.per_guild
            and requester.guild_id
            and await self._usage.used_today_by_guild(requester.guild_id) + needed > self.per_guild
        )
        who, limit = ("This server", self.per_guild) if guild_spent else ("You", self.per_user)
        if left <= 0:
            return (
                f"{who} used today's LLM allowance ({limit:,} tokens). It resets at midnight UTC; "
                "summaries made earlier are still available."
            )
        return (
            f"That needs about {needed:,} LLM tokens; {who.lower()} {'has' if guild_spent else 'have'} "
            f"{left:,} of today's {limit:,} left. The allowance resets at midnight UTC."
        )
