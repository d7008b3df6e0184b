"""A real `reviewbot run` process connected to the fake Discord and the fake OpenAI server
(shared by bench.burst and bench.soak)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.fake_openai import FakeOpenAI


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


@dataclass
class LiveBot:
    process: asyncio.subprocess.Process
    env: dict[str, str]
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)


def bot_env(db: Path | str, discord: FakeDiscord, llm: FakeOpenAI, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DISCORD_", "REVIEWBOT_", "LLM_"))}
    return {
        **clean,
        "REVIEWBOT_DB": str(db), "DISCORD_TOKEN": discord.token, "DISCORD_API_BASE": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "x",
        "LLM_MODEL": "fake-model", "DISCORD_COMMAND_COOLDOWN_SECONDS": "0",
        "LLM_DAILY_TOKENS_PER_USER": "100000000", "LLM_DAILY_TOKENS_PER_GUILD": "1000000000",
        "REVIEWBOT_LOG_LEVEL": "WARNING", **extra,
    }


@asynccontextmanager
async def live_bot(
    db: Path | str, discord: FakeDiscord, llm: FakeOpenAI, *, run_args: Sequence[str] = (), sync_commands: bool = True,
    shards: int = 1, **extra_env: str,
) -> AsyncIterator[LiveBot]:
    """Sync the commands, start the bot (`run_args`: e.g. a shard range), wait until its `shards`
    shards are connected and ready; stop it (SIGTERM) on exit."""
    env = bot_env(db, discord, llm, **extra_env)
    if sync_commands:
        await sync(env, discord)
    identified = len([s for s in discord.shards.values() if s.identify])
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *run_args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    live = LiveBot(process, env)

    async def collect() -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            live.stderr_lines.append(line.decode(errors="replace"))

    reader = asyncio.create_task(collect())
    try:
        connected = identified + shards
        await discord.wait_for(lambda: len([s for s in discord.shards.values() if s.identify]) >= connected, 60)
        await asyncio.sleep(3.0)  # READY, GUILD_CREATE and discord.py's guild_ready_timeout (2 s)
        yield live
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        await asyncio.wait([reader], timeout=5)


async def sync(env: dict[str, str], discord: FakeDiscord) -> None:
    """`reviewbot sync` to the fake's first server (commands appear there at once)."""
    sync = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sync", "--guild", discord.guild_id, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    _, err = await sync.communicate()
    if sync.returncode:
        raise SystemExit(f"reviewbot sync failed: {err.decode()[-800:]}")
