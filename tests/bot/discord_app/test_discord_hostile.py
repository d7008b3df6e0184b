"""Hostile or broken input from the gateway: no single event takes the bot down, and every
interaction gets an answer (a button the bot doesn't know included)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable

import pytest

from tests.bot.discord_app.harness import Harness
from tests.fakes.fake_discord import EPHEMERAL, JSON

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _user_id(payload: JSON) -> None:
    payload["member"]["user"]["id"] = "not-a-number"


def _no_user(payload: JSON) -> None:
    del payload["member"]


def _guild_id(payload: JSON) -> None:
    payload["guild_id"] = "🙂"


def _type(payload: JSON) -> None:
    payload["type"] = "two"


def _data(payload: JSON) -> None:
    payload["data"] = None


def _channel(payload: JSON) -> None:
    payload["channel"] = {"id": "x", "type": "text"}


BREAKAGES: dict[str, Callable[[JSON], None]] = {
    "user id not a number": _user_id, "no user at all": _no_user, "guild id not a number": _guild_id,
    "type not a number": _type, "no data": _data, "channel garbled": _channel,
}


@pytest.mark.parametrize("breakage", BREAKAGES)
async def test_a_malformed_interaction_does_not_take_the_bot_down(harness: Harness, breakage: str) -> None:
    user = harness.user("malformed")
    good = await harness.run("film", film="Parasite", user=user)
    broken = copy.deepcopy(good.payload)
    broken["id"] = harness.fake.new_id()
    BREAKAGES[breakage](broken)
    await harness.fake.dispatch("INTERACTION_CREATE", broken)
    await asyncio.sleep(0.2)
    after = await harness.run("film", film="Se7en", user=user)
    assert after.callback_type == 4, "the bot still answers"
    assert not harness.bot.is_closed()


async def test_a_malformed_message_does_not_take_the_bot_down(harness: Harness) -> None:
    await harness.fake.dispatch("MESSAGE_CREATE", {"id": "nope", "channel_id": None, "author": {"id": "x"}})
    await asyncio.sleep(0.2)
    assert (await harness.run("help", user=harness.user("after-message"))).callback_type == 4


async def test_a_button_the_bot_does_not_know_is_answered(harness: Harness) -> None:
    user = harness.user("presser")
    shown = await harness.run("film", film="Parasite", user=user)
    message = harness.original(shown)
    for custom_id in ("rb:gone:1", "something-else-entirely", "rb:sum:abc"):
        message["components"] = [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": custom_id}]}]
        ix = await harness.press(message["id"], custom_id, user=user)
        data = ix.callbacks[0].body["data"]
        assert ix.callback_type == 4 and data["flags"] & EPHEMERAL
        assert "no longer" in data["content"]
