"""Shared fixtures: real SQLite files in a temporary folder, real services, no network."""

from __future__ import annotations

import asyncio
import os
import shutil
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


@pytest.fixture(scope="session")
def sample_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the bundled sample data, built once per test session.

    Loading and scoring the sample takes about 1.5 s; copying the finished file takes milliseconds.
    """
    path = tmp_path_factory.mktemp("sample-template") / "sample.db"

    async def build() -> None:
        async with open_services(Settings(_env_file=None, reviewbot_db=path)):  # type: ignore[call-arg]
            pass

    asyncio.run(build())
    return path


@pytest.fixture
def make_settings(tmp_path: Path, sample_db_template: Path) -> Callable[..., Settings]:
    """Settings for a database in the test's own folder. When the sample data is wanted and the
    file does not exist yet, it starts as a copy of the session's sample database."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"reviewbot_db": tmp_path / "reviewbot.db"}
        values.update(overrides)
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        target = settings.reviewbot_db
        if settings.reviewbot_load_sample and isinstance(target, Path) and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample_db_template, target)
        return settings

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
