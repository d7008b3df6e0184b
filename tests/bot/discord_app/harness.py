"""The real bot, connected over real sockets to a local fake Discord (helpers for the tests here).

`start_bot` is the whole start-up a test needs (fake Discord up, services open, bot logged in,
commands synced, gateway READY); `Harness` adds the steps tests repeat: send an interaction, wait
until the bot has finished with it, read what it sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import Services, open_services
from bot.discord_app.bot import ReviewBot
from bot.discord_app.runner import point_discord_at
from bot.settings import Settings
from tests.fakes.fake_discord import JSON, FakeDiscord, FakeInteraction


def discord_settings(fake: FakeDiscord, db: Path | str, **overrides: Any) -> Settings:
    """Settings for a bot talking to `fake`: every value given explicitly, so nothing from the
    environment leaks in (module-scoped fixtures run before the per-test env clean-up)."""
    values: dict[str, Any] = {
        "reviewbot_db": db,
        "reviewbot_load_sample": True,
        "discord_token": fake.token,
        "discord_api_base": fake.api_base,
        "discord_gateway_url": fake.gateway_url,
        "discord_command_cooldown_seconds": 0,
        "discord_message_content": False,
        "openai_api_key": None,
        "openai_base_url": None,
        "watchlist_scope": "global",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Harness:
    fake: FakeDiscord
    bot: ReviewBot
    services: Services

    async def settle(self, ix: FakeInteraction, within: float = 5.0) -> FakeInteraction:
        """Wait until the bot acknowledged `ix` and finished all the work it started for it."""
        await self.fake.wait_for(lambda: ix.callbacks, within)
        await self.idle(within)
        return ix

    async def idle(self, within: float = 5.0) -> None:
        left = await self.bot.drain(within)
        assert not left, f"the bot is still busy: {left}"

    async def run(self, name: str, **kwargs: Any) -> FakeInteraction:
        return await self.settle(await self.fake.command(name, **kwargs))

    async def press(self, message_id: str, custom_id: str, **kwargs: Any) -> FakeInteraction:
        return await self.settle(await self.fake.press(message_id, custom_id, **kwargs))

    async def autocomplete(self, name: str, focused: str, **kwargs: Any) -> list[JSON]:
        ix = await self.fake.autocomplete(name, focused, **kwargs)
        await self.fake.wait_for(lambda: ix.choices is not None)
        assert ix.choices is not None
        return ix.choices

    def messages(self, ix: FakeInteraction) -> list[JSON]:
        return self.fake.interaction_messages(ix)

    def original(self, ix: FakeInteraction) -> JSON:
        assert ix.original_id is not None, "no original response"
        return self.fake.messages[ix.original_id]

    def user(self, name: str) -> JSON:
        return self.fake.user(name)


@asynccontextmanager
async def start_bot(
    tmp: Path, *, shutdown_grace: float = 5.0, db: str | None = None, **overrides: Any
) -> AsyncIterator[Harness]:
    """`db`: a PostgreSQL URL to run on (default: a SQLite file in `tmp`)."""
    async with FakeDiscord() as fake:
        settings = discord_settings(fake, db or tmp / "reviewbot.db", **overrides)
        async with open_services(settings) as services:
            bot = ReviewBot(services, guild_ready_timeout=0.01, shutdown_grace=shutdown_grace)
            bot.edit_interval = 0.2  # the throttle is tested at this scale: keeps the tests fast
            point_discord_at(settings)
            async with bot:
                await bot.login(fake.token)
                await bot.tree.sync()
                runner = asyncio.create_task(bot.connect(reconnect=True))
                await asyncio.wait_for(bot.wait_until_ready(), 5)
                try:
                    yield Harness(fake, bot, services)
                finally:
                    await bot.close()
                    await asyncio.wait([runner], timeout=5)
