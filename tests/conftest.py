"""Shared fixtures: real SQLite files in a temporary folder, real PostgreSQL databases (fresh per
test run), real services, no network.

Tests that take the `backend` fixture run once per backend. Without a reachable PostgreSQL the
PostgreSQL runs are skipped with one line naming the server; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services, open_services
from bot.settings import Settings
from storage.backends import open_store
from storage.db import Database
from storage.ports import Store
from tests.pg_support import PgCluster, run_isolated

_ENV_PREFIXES = ("OPENAI_", "LLM_", "DISCORD_", "REVIEWBOT_", "SPOILER_", "MAX_", "WATCHLIST_", "CONVERSATION_")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules holding a test marked `slow` run first (otherwise in their usual order): on two
    workers (pytest-xdist, --dist loadscope) they then overlap the rest of the suite instead of
    running alone at its end."""
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)  # sort is stable


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

    run_isolated(build())
    return path


# --- PostgreSQL --------------------------------------------------------------------------------
_PG_STATE: dict[str, Any] = {}


def _pg() -> tuple[PgCluster | None, str]:
    if "cluster" not in _PG_STATE:
        _PG_STATE["cluster"], _PG_STATE["why"] = PgCluster.reach()
    return _PG_STATE["cluster"], _PG_STATE["why"]


def pytest_report_header(config: pytest.Config) -> str:
    cluster, why = _pg()
    if cluster is not None:
        return f"postgresql: {cluster.admin_url} (databases {cluster.prefix}_*, dropped at the end)"
    if os.environ.get("CI") == "true":
        return f"postgresql: MISSING under CI=true, the PostgreSQL tests will fail: {why}"
    return f"postgresql: {why}; the PostgreSQL tests are skipped"


def pytest_sessionfinish(session: pytest.Session) -> None:
    cluster = _PG_STATE.get("cluster")
    if cluster is not None:
        cluster.drop_all()


@pytest.fixture(scope="session")
def pg() -> PgCluster:
    """The test run's PostgreSQL server; skips (fails under CI=true) when there is none."""
    cluster, why = _pg()
    if cluster is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs PostgreSQL: {why}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {why}")
    return cluster


@pytest.fixture(scope="session")
def pg_sample_template(pg: PgCluster) -> str:
    """A PostgreSQL database holding the bundled sample data, built once per session; tests get
    copies (CREATE DATABASE … TEMPLATE), as SQLite tests get copies of the sample file."""
    url = pg.create(label="sample_template", ahead=False)

    async def build() -> None:
        async with open_services(Settings(_env_file=None, reviewbot_db=url)):  # type: ignore[call-arg]
            pass

    run_isolated(build())
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def pg_migrated_template(pg: PgCluster) -> str:
    """An empty PostgreSQL database with every migration applied (about 0.7 s on PostgreSQL),
    built once per session; the `store` fixture's databases are copies of it."""
    url = pg.create(label="migrated_template", ahead=False)

    async def build() -> None:
        await (await open_store(url)).close()

    run_isolated(build())
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def migrated_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with every migration applied, built once per session."""
    path = tmp_path_factory.mktemp("migrated-template") / "migrated.db"

    async def build() -> None:
        await (await open_store(path)).close()

    run_isolated(build())
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test once per backend."""
    if request.param == "postgres":
        request.getfixturevalue("pg")
    return str(request.param)


@pytest.fixture
def db_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., str | Path]:
    """Where a test's database lives on its backend: `db_target(sample=True)` starts from a copy
    of the sample data, `db_target(migrated=True)` from a copy of an empty migrated database,
    `db_target()` from nothing."""

    def make(*, sample: bool = False, migrated: bool = False) -> str | Path:
        if backend == "sqlite":
            path = tmp_path / f"{request.node.name[:40]}-{len(list(tmp_path.glob('*.db')))}.db"
            if sample or migrated:
                template_file = "sample_db_template" if sample else "migrated_db_template"
                shutil.copyfile(request.getfixturevalue(template_file), path)
            return path
        cluster: PgCluster = request.getfixturevalue("pg")
        template = None
        if sample or migrated:
            template = request.getfixturevalue("pg_sample_template" if sample else "pg_migrated_template")
        url = cluster.create(template=template)
        request.addfinalizer(lambda: cluster.drop(url))
        return url

    return make


@pytest.fixture
async def store(db_target: Callable[..., str | Path]) -> AsyncIterator[Store]:
    """An empty, migrated store on each backend (the repository contract tests), a copy of the
    session's migrated template (migrating from nothing is tested with `db_target()`)."""
    opened = await open_store(db_target(migrated=True))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def backend_services(db_target: Callable[..., str | Path]) -> AsyncIterator[Services]:
    """The service layer over the sample data, on each backend."""
    settings = Settings(_env_file=None, reviewbot_db=db_target(sample=True))  # type: ignore[call-arg]
    async with open_services(settings) as svc:
        yield svc


# --- SQLite --------------------------------------------------------------------------------------
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
