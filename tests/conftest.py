"""Shared fixtures: real SQLite files in a temporary folder, real services, no network."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services, open_services
from bot.settings import Settings
from storage.db import Database

_ENV_PREFIXES = ("OPENAI_", "LLM_", "DISCORD_", "REVIEWBOT_", "SPOILER_", "MAX_", "WATCHLIST_", "CONVERSATION_")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Tests never see the developer's settings, .env file or a real API key."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"reviewbot_db": tmp_path / "reviewbot.db"}
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """The real service layer over a fresh database holding the bundled sample data."""
    async with open_services(settings) as svc:
        yield svc


@pytest.fixture
async def empty_services(make_settings: Callable[..., Settings]) -> AsyncIterator[Services]:
    async with open_services(make_settings(reviewbot_load_sample=False)) as svc:
        yield svc


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "storage.db")
    try:
        yield database
    finally:
        await database.close()
