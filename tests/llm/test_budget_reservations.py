"""The daily budget holds each call's most before it is sent: a burst can't spend past it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.errors import BudgetExceeded
from bot.llm.budget import DailyBudget
from bot.services.summaries import Requester
from storage.db import Database
from storage.usage import UsageRepository

pytestmark = pytest.mark.asyncio
ME = Requester("ann", "guild")


async def call(budget: DailyBudget, estimate: int, used: int, gate: asyncio.Event) -> int:
    async with budget.reserve(ME, estimate) as held:
        await gate.wait()  # every call is in flight at once
        await held.settle("test", used, 0)
    return used


async def test_a_burst_of_calls_stays_within_the_allowance(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        usage = UsageRepository(db)
        budget = DailyBudget(usage, per_user=3000, per_guild=10**9)
        gate = asyncio.Event()
        tasks = [asyncio.create_task(call(budget, 1200, 1100, gate)) for _ in range(30)]
        await asyncio.sleep(0.2)
        gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert sum(isinstance(r, int) for r in results) == 2, "two 1,200-token calls fit in 3,000"
        assert all(isinstance(r, BudgetExceeded) for r in results if not isinstance(r, int))
        assert await usage.used_today_by_user("ann") == 2200 <= 3000
        assert await budget.remaining(ME) == 800, "settled: the real usage replaced the reservations"


async def test_a_failed_call_gives_its_reservation_back(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        budget = DailyBudget(UsageRepository(db), per_user=1000, per_guild=1000)
        with pytest.raises(RuntimeError):
            async with budget.reserve(ME, 900):
                assert await budget.remaining(ME) == 100, "a call in flight counts"
                raise RuntimeError("the provider failed")
        assert await budget.remaining(ME) == 1000
        with pytest.raises(BudgetExceeded, match="you have 1,000 of today"):
            async with budget.reserve(ME, 1001):
                pass


async def test_a_reservation_left_by_a_dead_process_expires(tmp_path: Path) -> None:
    now = [1_000_000.0]
    async with await Database.open(tmp_path / "db.sqlite") as db:
        budget = DailyBudget(UsageRepository(db), per_user=1000, per_guild=1000, clock=lambda: now[0])
        await UsageRepository(db).reserve(
            user_id="ann", guild_id="guild", tokens=900, user_limit=1000, guild_limit=1000, now=now[0], ttl=60
        )
        assert await budget.remaining(ME) == 100
        now[0] += 61
        assert await budget.remaining(ME) == 1000
