"""One bot per test module and backend, started against a local fake Discord (see harness.py):
every module using `harness` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.bot.discord_app.harness import Harness, start_bot


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def harness(request: pytest.FixtureRequest, tmp_path_factory: Any) -> AsyncIterator[Harness]:
    """One bot for the whole module (start-up is the slow part); tests use their own users."""
    url = None
    if request.param == "postgres":
        pg = request.getfixturevalue("pg")
        url = pg.create(template=request.getfixturevalue("pg_sample_template"), label="discord")
    try:
        async with start_bot(tmp_path_factory.mktemp("discord"), db=url) as h:
            yield h
    finally:
        if url is not None:
            pg.drop(url)
