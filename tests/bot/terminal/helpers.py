"""Helpers for running `reviewbot` as a child process."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a `reviewbot` child process: none of the developer's settings."""
    prefixes = ("OPENAI_", "LLM_", "DISCORD_", "REVIEWBOT_", "SPOILER_", "MAX_", "WATCHLIST_", "CONVERSATION_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


Run = Callable[..., "subprocess.CompletedProcess[str]"]
