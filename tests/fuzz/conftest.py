"""Hypothesis profiles, and one real service layer per fuzz module.

Profiles (pick one with the environment variable HYPOTHESIS_PROFILE):
- "ci" (default): each test runs the number of examples it asks for through `hostile.budget`,
  the same ones every run; the whole fuzz suite takes about 30 s on two cores.
- "thorough": ten times as many examples, newly drawn each run, to look for new failures
  (`HYPOTHESIS_PROFILE=thorough pytest tests/fuzz`, about 6 minutes).

Each module gets one database with the sample data (opening one takes ~0.4 s, too slow per
example), on one event loop for the module. Every example adds to it, which is the point: the
database after hundreds of hostile writes must still pass SQLite's and FTS5's integrity checks,
which the fixture checks when the module is done.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, settings

from bot.app import Services, open_services
from bot.settings import Settings
from tests.fuzz.hostile import assert_consistent

_COMMON: dict[str, Any] = {
    "deadline": None,  # the first example of a module warms caches (corpus vocabulary, sentencex)
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
# "ci" is derandomized: the same examples every run, so a red build is about the change under test,
# never a new random draw. "thorough" draws afresh (and keeps failures in .hypothesis/) to explore.
settings.register_profile("ci", max_examples=100, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_ENV_PREFIXES = ("OPENAI_", "LLM_", "DISCORD_", "REVIEWBOT_", "SPOILER_", "MAX_", "WATCHLIST_", "CONVERSATION_")


def fuzz_settings(db: Path, **overrides: Any) -> Settings:
    """Settings from defaults and `overrides` only: no environment variables, no .env file."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(_ENV_PREFIXES):
                patch.delenv(name)
        return Settings(_env_file=None, reviewbot_db=db, **overrides)  # type: ignore[call-arg]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fuzz_services(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    """The real services over one database (sample data loaded) shared by a module's examples."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    async with open_services(fuzz_settings(path)) as services:
        yield services
        await assert_consistent(services.store.db)
