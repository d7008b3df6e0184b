"""Cooldowns and write limits, kept in the database: a burst of concurrent requests from one person
is checked and charged atomically, and two processes (two handles on one file) share them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.errors import RateLimited
from bot.services.limits import Cooldown, OnCooldown, RateLimit
from storage.db import Database
from storage.limits import LimitsRepository

pytestmark = pytest.mark.asyncio


async def test_rate_limit_forgets_old_hits(tmp_path: Path) -> None:
    now = [1000.0]
    async with await Database.open(tmp_path / "db.sqlite") as db:
        window = RateLimit(LimitsRepository(db), "write", 2, 60, clock=lambda: now[0])
        await window.hit("1")
        now[0] += 30
        await window.hit("1")
        with pytest.raises(RateLimited, match="2 changes a minute") as refused:
            await window.hit("1")
        assert refused.value.retry_after == pytest.approx(30)
        await window.hit("2")  # per person
        now[0] += 30.5
        await window.hit("1")  # the first hit left the window; the refused one never counted
        with pytest.raises(RateLimited):
            await window.hit("1")
        unlimited = RateLimit(LimitsRepository(db), "write", 0)
        for _ in range(50):
            await unlimited.hit("1")


async def test_cooldown_uses_the_seconds_it_was_started_with(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        cooldown = Cooldown(LimitsRepository(db), "llm", 5)
        await cooldown.start("1")  # the bot's default
        await cooldown.start("2", 30)  # a server's own cooldown
        await cooldown.start("3", 0)  # a server that switched it off
        with pytest.raises(OnCooldown) as first:
            await cooldown.check("1")
        assert first.value.per == 5
        with pytest.raises(OnCooldown) as second:
            await cooldown.start("2")
        assert second.value.per == 30 and 29 < (second.value.retry_after or 0) <= 30
        assert "once every 30 seconds" in second.value.message
        await cooldown.check("3")
        await cooldown.start("3", 0)


async def test_a_burst_starts_one_cooldown_and_refuses_the_rest(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        cooldown = Cooldown(LimitsRepository(db), "llm", 30)
        # Everyone passes the cheap early check before anyone starts the cooldown (the old race) ...
        await asyncio.gather(*(cooldown.check("burst") for _ in range(30)))
        results = await asyncio.gather(*(cooldown.start("burst") for _ in range(30)), return_exceptions=True)
        # ... but only one start succeeds.
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, OnCooldown) for r in results if r is not None)


async def test_a_burst_of_writes_counts_exactly_the_limit(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        window = RateLimit(LimitsRepository(db), "write", 5)
        results = await asyncio.gather(*(window.hit("burst") for _ in range(40)), return_exceptions=True)
        assert sum(r is None for r in results) == 5


async def test_two_processes_share_the_limits(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    async with await Database.open(path) as one, await Database.open(path) as two:
        first, second = Cooldown(LimitsRepository(one), "llm", 30), Cooldown(LimitsRepository(two), "llm", 30)
        await first.start("shared")
        with pytest.raises(OnCooldown):
            await second.check("shared")
        with pytest.raises(OnCooldown):
            await second.start("shared")
