"""Daily token budgets per user and per guild, enforced before any LLM call.

Usage is recorded per call in `llm_usage` (storage/usage.py). Days are UTC, so budgets reset at
midnight UTC. A limit of 0 means no LLM use at all for that user or server (as .env.example says);
terminal users have no guild, so only the per-user limit applies to them.

Every call first *reserves* the most it can cost (its prompt plus its output cap) with `reserve`:
the check against both budgets and the reservation are one database transaction, so concurrent
calls (a burst of /ask from one person, or several bot processes) can never together spend past a
budget. When the call ends its real usage replaces the reservation (`Reserved.settle`); a call that
fails before answering gives it back. `ensure_available` and `remaining` are the cheap early checks
engines make before they start (they count reservations in flight too).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.errors import BudgetExceeded
from bot.services.summaries import Requester
from storage.ports import UsageStore

log = logging.getLogger(__name__)
RESERVATION_TTL = 20 * 60.0  # seconds; longer than any call (a call's deadline is minutes)


class Reserved:
    """Tokens reserved for one call; `settle` records what it really used."""

    def __init__(self, usage: UsageStore, reservation_id: int, requester: Requester) -> None:
        self._usage = usage
        self._id = reservation_id
        self._requester = requester
        self.settled = False

    async def settle(self, purpose: str, input_tokens: int, output_tokens: int) -> None:
        await self._usage.settle(
            self._id, user_id=self._requester.user_id, guild_id=self._requester.guild_id, purpose=purpose,
            input_tokens=input_tokens, output_tokens=output_tokens,
        )
        self.settled = True


class DailyBudget:
    def __init__(
        self, usage: UsageStore, *, per_user: int, per_guild: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._usage = usage
        self.per_user = per_user
        self.per_guild = per_guild
        self._clock = clock

    async def _left(self, requester: Requester) -> tuple[int, bool]:
        """(tokens left today, whether the guild's budget is the tighter one)."""
        user_used, guild_used = await self._usage.committed_today(requester.user_id, requester.guild_id, self._clock())
        user_left = self.per_user - user_used
        if requester.guild_id is None:
            return max(0, user_left), False
        guild_left = self.per_guild - guild_used
        return max(0, min(user_left, guild_left)), guild_left < user_left

    async def remaining(self, requester: Requester) -> int:
        return (await self._left(requester))[0]

    async def ensure_available(self, requester: Requester, needed: int = 1) -> int:
        """Raise BudgetExceeded unless at least `needed` tokens are left today; returns what is left."""
        left, guild = await self._left(requester)
        if left >= needed:
            return left
        raise self._exceeded(left, needed, guild)

    @asynccontextmanager
    async def reserve(self, requester: Requester, tokens: int) -> AsyncIterator[Reserved]:
        """Hold `tokens` of today's budgets for one call, or raise BudgetExceeded (nothing held).
        Settle the `Reserved` with the call's real usage; unsettled, it is given back on exit."""
        reservation = await self._usage.reserve(
            user_id=requester.user_id, guild_id=requester.guild_id, tokens=tokens,
            user_limit=self.per_user, guild_limit=self.per_guild, now=self._clock(), ttl=RESERVATION_TTL,
        )
        if reservation.id is None:
            guild = reservation.guild_left is not None and reservation.guild_left < reservation.user_left
            left = reservation.user_left if reservation.guild_left is None else min(
                reservation.user_left, reservation.guild_left
            )
            log.info("LLM call refused: %d tokens needed, %d left today", tokens, left)
            raise self._exceeded(left, tokens, guild)
        held = Reserved(self._usage, reservation.id, requester)
        try:
            yield held
        finally:
            if not held.settled:
                await self._usage.release(reservation.id)

    def _exceeded(self, left: int, needed: int, guild: bool) -> BudgetExceeded:
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
        return BudgetExceeded(message)
