"""The channel and role allow/block lists: a refused command, button or follow-up gets a short
private reply, never silence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio

from bot.discord_app.access import CHANNEL_REFUSED, DM_REFUSED, ROLE_REFUSED, Access
from tests.bot.discord_app.harness import Harness, start_bot
from tests.fakes.fake_discord import EPHEMERAL


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory: Any) -> AsyncIterator[Harness]:
    async with start_bot(tmp_path_factory.mktemp("access")) as h:
        yield h


@pytest.mark.asyncio(loop_scope="module")
async def test_only_the_allowed_channels_and_their_threads(harness: Harness) -> None:
    fake, bot = harness.fake, harness.bot
    elsewhere = fake.add_thread("other-place", parent_id=fake.new_id())  # a thread of another channel
    inside = fake.add_thread("film-talk", parent_id=fake.channel_id)
    real = bot.access
    bot.access = Access(allowed_channels=frozenset({int(fake.channel_id)}))
    try:
        user = harness.user("visitor")
        ok = await harness.run("film", film="Parasite", user=user)
        assert ok.callback_type == 4 and "embeds" in ok.callbacks[0].body["data"]
        in_thread = await harness.run("help", user=user, channel_id=inside["id"])
        assert "embeds" in in_thread.callbacks[0].body["data"], "a thread counts as its channel"
        refused = await harness.run("film", film="Parasite", user=user, channel_id=elsewhere["id"])
        data = refused.callbacks[0].body["data"]
        assert data["flags"] & EPHEMERAL and data["content"] == CHANNEL_REFUSED
        dm = await harness.run("help", user=user, dm=True)
        assert dm.callbacks[0].body["data"]["content"] == DM_REFUSED
        # A button on a message in the allowed channel still works; the list applies to buttons too.
        button = harness.original(ok)["components"][0]["components"][1]["custom_id"]
        bot.access = Access(blocked_channels=frozenset({int(fake.channel_id)}))
        pressed = await harness.press(harness.original(ok)["id"], button, user=user)
        assert pressed.callbacks[0].body["data"]["content"] == CHANNEL_REFUSED
    finally:
        bot.access = real


def test_roles_allow_and_block() -> None:
    channel = SimpleNamespace(id=1, parent_id=None)
    member = SimpleNamespace(roles=[SimpleNamespace(id=10), SimpleNamespace(id=20)])
    nobody = SimpleNamespace(roles=[])
    assert Access(allowed_roles=frozenset({20})).refusal(channel, member, True) is None
    assert Access(allowed_roles=frozenset({30})).refusal(channel, member, True) == ROLE_REFUSED
    assert Access(allowed_roles=frozenset({30})).refusal(channel, nobody, True) == ROLE_REFUSED
    assert Access(blocked_roles=frozenset({10})).refusal(channel, member, True) == ROLE_REFUSED
    assert Access(blocked_roles=frozenset({99})).refusal(channel, member, True) is None
    assert Access().refusal(None, None, False) is None


def test_settings_read_comma_separated_ids(tmp_path: Path) -> None:
    from bot.settings import Settings, SettingsError

    settings = Settings(_env_file=None, discord_allowed_channels="1, 2,3", discord_blocked_roles="")  # type: ignore[call-arg]
    access = Access.from_settings(settings)
    assert access.allowed_channels == {1, 2, 3} and access.blocked_roles == frozenset()
    with pytest.raises(SettingsError, match="'general' is not a Discord id"):
        Settings(_env_file=None, discord_allowed_channels="general")  # type: ignore[call-arg]
