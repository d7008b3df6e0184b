"""One bot per test module, started against a local fake Discord (see harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from tests.bot.discord_app.harness import Harness, start_bot


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory: Any) -> AsyncIterator[Harness]:
    """One bot for the whole module (start-up is the slow part); tests use their own users."""
    async with start_bot(tmp_path_factory.mktemp("discord")) as h:
        yield h
