"""The per-person limiters on their own (no Discord): write rate and LLM cooldown."""

from __future__ import annotations

import pytest
from discord import app_commands

from bot.discord_app.cooldown import UserCooldown
from bot.discord_app.ratelimit import SlidingWindow
from bot.errors import RateLimited


def test_sliding_window_forgets_old_hits() -> None:
    now = [0.0]
    window = SlidingWindow(2, 60, clock=lambda: now[0])
    window.hit(1)
    now[0] = 30
    window.hit(1)
    with pytest.raises(RateLimited, match="2 changes a minute") as refused:
        window.hit(1)
    assert refused.value.retry_after == 30
    assert window.retry_after(1) == 30 and window.retry_after(2) == 0
    now[0] = 60.5
    window.hit(1)  # the first hit left the window; the refused one never counted
    with pytest.raises(RateLimited):
        window.hit(1)
    unlimited = SlidingWindow(0)
    for _ in range(100):
        unlimited.hit(1)
    assert unlimited.retry_after(1) == 0


def test_cooldown_uses_the_seconds_it_was_charged_with() -> None:
    cooldown = UserCooldown(5)
    cooldown.charge(1)  # the bot's default
    cooldown.charge(2, 30)  # a server's own cooldown
    cooldown.charge(3, 0)  # a server that switched it off
    with pytest.raises(app_commands.CommandOnCooldown) as first:
        cooldown.check(1)
    assert first.value.cooldown.per == 5
    with pytest.raises(app_commands.CommandOnCooldown) as second:
        cooldown.check(2)
    assert second.value.cooldown.per == 30 and 29 < second.value.retry_after <= 30
    cooldown.check(3)
