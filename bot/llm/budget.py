"""Daily token budgets per user and per guild, enforced before any LLM call.

Usage is recorded per call in `llm_usage` (storage/usage.py). Days are UTC, so budgets reset at
midnight UTC. A limit of 0 means no LLM use at all for that user or server (as .env.example says);
terminal users have no guild, so only the per-user limit applies to them.
"""

from __future__ import annotations

import logging

from bot.errors import BudgetExceeded
from bot.services.summaries import Requester
from storage.ports import UsageStore

log = logging.getLogger(__name__)


class DailyBudget:
    def __init__(self, usage: UsageStore, *, per_user: int, per_guild: int) -> None:
        self._usage = usage
        self.per_user = per_user
        self.per_guild = per_guild

    async def _left(self, requester: Requester) -> tuple[int, bool]:
        """(tokens left today, whether the guild's budget is the tighter one)."""
        user_left = self.per_user - await self._usage.used_today_by_user(requester.user_id)
        if requester.guild_id is None:
            return max(0, user_left), False
        guild_left = self.per_guild - await self._usage.used_today_by_guild(requester.guild_id)
        return max(0, min(user_left, guild_left)), guild_left < user_left

    async def remaining(self, requester: Requester) -> int:
        return (await self._left(requester))[0]

    async def ensure_available(self, requester: Requester, needed: int = 1) -> int:
        """Raise BudgetExceeded unless at least `needed` tokens are left today; returns what is left."""
        left, guild = await self._left(requester)
        if left >= needed:
            return left
        who, limit = ("This server", self.per_guild) if guild else ("You", self.per_user)
        if limit == 0:
            message = (
                f"LLM answers are switched off {'for this server' if guild else 'for you'} "
                "(the daily allowance is 0); summaries made earlier are still available."
            )
        elif left <= 0:
            message = (
                f"{who} used today's LLM allowance ({limit:,} tokens). It resets at midnight UTC; "
                "summaries made earlier are still available."
            )
        else:
            message = (
                f"That needs about {needed:,} LLM tokens; {who.lower()} {'has' if guild else 'have'} "
                f"{left:,} of today's {limit:,} left. The allowance resets at midnight UTC."
            )
        raise BudgetExceeded(message)

    async def record(self, requester: Requester, purpose: str, input_tokens: int, output_tokens: int) -> None:
        await self._usage.record(
            user_id=requester.user_id,
            guild_id=requester.guild_id,
            purpose=purpose,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )
