"""Terminal tests start from a copy of the session's sample database (tests/conftest.py) instead of
loading and scoring the sample data themselves."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.terminal.helpers import Run, clean_env


@pytest.fixture
def cli_db(tmp_path: Path, sample_db_template: Path) -> str:
    """A database file holding the sample data, for `--db`."""
    path = tmp_path / "cli.db"
    shutil.copyfile(sample_db_template, path)
    return str(path)



@pytest.fixture
def reviewbot(cli_db: str, tmp_path: Path) -> Run:
    """Run `python -m bot ARGS` as a person would, on the sample database; returns the finished process."""

    def run(*args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args], input=input, capture_output=True, text=True,
            env=clean_env(REVIEWBOT_DB=cli_db, **env), cwd=tmp_path, timeout=120, check=False,
        )

    return run
