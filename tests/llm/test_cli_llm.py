"""`reviewbot summary FILM --json` and `reviewbot ask --json` as a user runs them (a real process),
with OPENAI_BASE_URL pointing at the fake server, and with nothing configured."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from tests.fakes.fake_openai import FakeOpenAI, ServerError
from tests.llm.conftest import calls
from tests.llm.model import kind_of


async def reviewbot(*args: str, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    return (await reviewbot_err(*args, env=env, cwd=cwd))[0]


async def reviewbot_err(*args: str, env: dict[str, str], cwd: Path) -> tuple[dict[str, Any], str]:
    """The JSON on stdout and what went to stderr (status lines while the model works)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return dict(json.loads(out)), err.decode()


async def test_summary_and_ask_json_name_the_engine_and_tokens(tmp_path: Path, fake: FakeOpenAI) -> None:
    env = {
        **os.environ,
        "REVIEWBOT_DB": str(tmp_path / "cli.db"),
        "OPENAI_BASE_URL": fake.base_url,
        "LLM_MODEL": "llama3.1:8b",
        "LLM_MAX_RETRIES": "0",
        # The scripted server error below must meet the summary's call, not a background digest's.
        "LLM_BACKGROUND_DIGESTS": "false",
    }
    first, status = await reviewbot_err("summary", "Parasite", "--json", env=env, cwd=tmp_path)
    assert "Reading " in status and "point" in status, "progress goes to stderr, never into the JSON"
    assert first["engine"] == "openai:llama3.1:8b" and first["cached"] is False
    assert first["input_tokens"] > 0 and first["output_tokens"] > 0
    assert first["film"]["title"] == "Parasite" and first["summary"].startswith("**Parasite (2019)**")
    (request,) = calls(fake, "summary")
    assert request.body["model"] == "llama3.1:8b" and "max_tokens" in request.body
    (check,) = calls(fake, "check")  # the model's second spoiler check, on by default
    assert "<<draft" in check.user and "<<known spoilers" in check.user
    noted = [n for n in first["notes"] if "checked the answer for spoilers" in n]
    assert len(noted) == 1 and re.search(r"\(\d+ tokens in, \d+ out\)", noted[0]), first["notes"]

    again = await reviewbot("summary", "Parasite", "--json", env=env, cwd=tmp_path)
    assert again["cached"] is True and again["input_tokens"] == first["input_tokens"]
    assert again["notes"] == first["notes"], "the check is cached with the summary"
    assert len(fake.requests) == 2, "a cache hit makes no LLM call"

    answer = await reviewbot("ask", "Is the acting in Parasite good?", "--json", env=env, cwd=tmp_path)
    assert answer["engine"] == "openai:llama3.1:8b" and answer["sources"]

    fake.script(ServerError())
    fallback = await reviewbot("summary", "Se7en", "--json", env=env, cwd=tmp_path)
    assert fallback["engine"] == "offline", [kind_of(r) for r in fake.requests]
    assert fallback["notes"] == ["The LLM was unavailable (server error); this is the offline summary."]


async def test_with_nothing_configured_the_offline_engine_answers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLM_"))}
    env["REVIEWBOT_DB"] = str(tmp_path / "offline.db")
    result = await reviewbot("summary", "Parasite", "--json", env=env, cwd=tmp_path)
    assert result["engine"] == "offline" and result["input_tokens"] == result["output_tokens"] == 0
