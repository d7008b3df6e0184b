"""The Dockerfile and compose.yaml (Docker itself is not run here: see docs/deployment.md). The
compose file must parse, its profiles must be the three documented, and the cluster's processes
must split the shards and share one database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.cli import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _interpolated(value: str) -> str:
    """${NAME:-default} as compose fills it with nothing set."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_compose_has_the_sqlite_bot_by_default_and_the_cluster_and_ollama_profiles() -> None:
    services = _compose()["services"]
    assert "profiles" not in services["bot"], "the SQLite bot runs on a plain `docker compose up`"
    assert services["bot"]["volumes"] == ["data:/data"]
    assert {name for name, s in services.items() if "cluster" in s.get("profiles", [])} == {
        "postgres", "bot-shard-0", "bot-shard-1"}
    assert services["ollama"]["profiles"] == ["ollama"]


def test_the_cluster_processes_split_the_shards_over_one_database() -> None:
    services = _compose()["services"]
    shard_ids: list[int] = []
    urls = set()
    for name in ("bot-shard-0", "bot-shard-1"):
        service = services[name]
        env = {k: _interpolated(str(v)) for k, v in service["environment"].items()}
        args = build_parser().parse_args([_interpolated(a) for a in service["command"]])
        settings = Settings(
            _env_file=None, reviewbot_db=env["REVIEWBOT_DB"],  # type: ignore[call-arg]
            discord_shard_count=env["DISCORD_SHARD_COUNT"], discord_shard_ids=args.shard_ids,
        )
        assert settings.shard_ids is not None and settings.discord_shard_count == 2
        shard_ids += settings.shard_ids
        urls.add(str(settings.reviewbot_db))
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert sorted(shard_ids) == [0, 1]
    assert len(urls) == 1 and urls.pop().startswith("postgresql://reviewbot:")


def test_the_image_installs_the_package_and_runs_as_a_user_with_a_data_volume() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.MULTILINE)
    assert "pip install --no-cache-dir --no-index --find-links /wheels reviewbot" in dockerfile
    assert re.search(r"^USER reviewbot$", dockerfile, re.MULTILINE)
    assert 'VOLUME ["/data"]' in dockerfile and "REVIEWBOT_DB=/data/reviewbot.db" in dockerfile
    assert 'ENTRYPOINT ["reviewbot"]' in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".env", "*.db"} <= set(ignored), "no secrets, databases or virtualenvs in the image"


def test_every_data_file_the_code_reads_is_declared_as_package_data() -> None:
    """The image installs the wheel, not the sources: a prompt, migration or sample file missing from
    `[tool.setuptools.package-data]` works in a checkout and breaks in the container."""
    import tomllib
    from fnmatch import fnmatch

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    missing = []
    for package in ("bot", "storage", "prompts"):
        for path in (ROOT / package).rglob("*"):
            if not path.is_file() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            if not any(fnmatch(relative, pattern) for pattern in declared.get(package, [])):
                missing.append(f"{package}/{relative}")
    assert not missing, f"not in the wheel (add to package-data in pyproject.toml): {missing}"
