"""200 interactions at once: the real bot (a separate `reviewbot run` process) against the fake
Discord and a fake LLM that takes 2 s per answer. Prints the acknowledgement latency distribution
(INTERACTION_CREATE sent -> first callback received, measured by the fake Discord) and the time to
the final answer, and the bot's resident memory.

    python -m bench.burst                       # fresh database with the sample data
    python -m bench.burst --db bench/out/bench-1000000-1000000.db --n 200   # on the 1M catalogue
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.fakes.fake_discord import FakeDiscord, FakeInteraction
from tests.fakes.fake_openai import ChatRequest, FakeOpenAI
from tests.llm.model import PromptModel

SAMPLE_FILMS = ["Parasite", "Psycho (1960)", "Dune (2021)", "The Prestige", "Se7en", "Arrival", "Get Out",
                "Oldboy", "Amélie", "The Sixth Sense", "Dear Comrades!", "Dune (1984)", "Psycho (1998)"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


async def run(db: Path, n: int, llm_delay: float, seed: int) -> list[str]:
    model = PromptModel()

    async def slow_model(request: ChatRequest) -> Any:
        await asyncio.sleep(llm_delay)
        return model(request)

    async with FakeDiscord(ack_deadline=3.0) as discord, FakeOpenAI(slow_model) as llm:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DISCORD_", "REVIEWBOT_", "LLM_"))},
            "REVIEWBOT_DB": str(db), "DISCORD_TOKEN": discord.token, "DISCORD_API_BASE": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "x",
            "LLM_MODEL": "fake-model", "LLM_TIMEOUT_SECONDS": "30", "DISCORD_COMMAND_COOLDOWN_SECONDS": "0",
            "LLM_DAILY_TOKENS_PER_USER": "10000000", "LLM_DAILY_TOKENS_PER_GUILD": "1000000000",
            "REVIEWBOT_LOG_LEVEL": "WARNING",
        }
        sync = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "sync", "--guild", discord.guild_id, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        _, err = await sync.communicate()
        if sync.returncode:
            raise SystemExit(f"sync failed: {err.decode()[-500:]}")
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            await discord.wait_for(lambda: discord.identify is not None, 30)
            await asyncio.sleep(3.0)  # READY, GUILD_CREATE and discord.py's guild_ready_timeout (2 s)
            rss_idle = rss_mb(bot.pid)
            # Warm-up: one of each, so first-use costs (imports, caches) are not in the burst.
            for warm in (discord.command("film", film="Parasite"), discord.autocomplete("summary", "film", film="par")):
                ix = await warm
                await discord.wait_for(lambda ix=ix: ix.callbacks, 10)
            rng = random.Random(seed)
            users = [discord.user(f"member{i}") for i in range(n)]
            kinds = ["summary", "watchlist add", "film", "autocomplete"]

            def one(i: int) -> Any:
                kind = kinds[i % len(kinds)]
                film = rng.choice(SAMPLE_FILMS)
                if kind == "autocomplete":
                    return discord.autocomplete("summary", "film", user=users[i], film=film[: rng.randint(3, 6)])
                if kind == "summary":
                    return discord.command("summary", user=users[i], film=film, spoilers=bool(i % 8 == 0))
                return discord.command(kind, user=users[i], film=film)

            started = time.monotonic()
            interactions: list[FakeInteraction] = list(await asyncio.gather(*(one(i) for i in range(n))))
            sent_spread = time.monotonic() - started
            await discord.wait_for(lambda: all(ix.callbacks for ix in interactions), 10)
            # Final answers: wait until the bot has been quiet for 2 s (LLM answers arrive ~2 s in).
            last = len(discord.requests)
            while True:
                await asyncio.sleep(2.0)
                if len(discord.requests) == last:
                    break
                last = len(discord.requests)
            rss_after = rss_mb(bot.pid)
        finally:
            bot.terminate()
            try:
                await asyncio.wait_for(bot.wait(), 20)
            except TimeoutError:
                bot.kill()
        stderr = (await bot.stderr.read()).decode() if bot.stderr else ""

    acks = [(ix.acked_at - ix.sent_at) * 1000 for ix in interactions if ix.acked_at is not None]
    unanswered = [ix for ix in interactions if not ix.callbacks]
    finals: dict[str, list[float]] = {}
    for ix, i in zip(interactions, range(n), strict=True):
        token_requests = [r.at for r in discord.requests if ix.token in r.path]
        if token_requests:
            finals.setdefault(kinds[i % len(kinds)], []).append((max(token_requests) - ix.sent_at) * 1000)
    late = sum(1 for a in acks if a > 3000)
    lines = [
        f"Burst: {n} interactions sent within {sent_spread * 1000:.0f} ms (mixed /summary with a fake LLM "
        f"taking {llm_delay:g} s per answer, /watchlist add, /film, autocomplete; one user each).",
        "",
        "| measure | n | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
        f"| acknowledgement (INTERACTION_CREATE → callback) | {len(acks)} | {pct(acks, 50):.0f} | "
        f"{pct(acks, 95):.0f} | {pct(acks, 99):.0f} | {max(acks):.0f} |",
    ]
    for kind, values in sorted(finals.items()):
        lines.append(f"| final answer: {kind} | {len(values)} | {pct(values, 50):.0f} | {pct(values, 95):.0f} | "
                     f"{pct(values, 99):.0f} | {max(values):.0f} |")
    lines += [
        "",
        f"Unanswered: **{len(unanswered)}**; acknowledged after Discord's 3 s limit: {late}. "
        f"Target: acknowledgement p99 < 250 ms → {'met' if pct(acks, 99) < 250 and not unanswered else 'NOT met'} "
        f"(p99 {pct(acks, 99):.0f} ms, {3000 / max(pct(acks, 99), 1):.0f}× inside Discord's limit).",
        f"Bot resident memory: {rss_idle:.0f} MB after start-up, {rss_after:.0f} MB after the burst "
        f"(database {db.stat().st_size / 1e6:,.0f} MB).",
        f"LLM requests: {len(llm.requests)}.",
    ]
    if "Traceback" in stderr:
        lines.append("The bot logged a traceback:\n" + stderr[-2000:])
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="database to run on (copied first; default: fresh, sample data)")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--llm-delay", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "burst.db"
        if args.db:
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{args.db}{suffix}")
                if source.exists():
                    shutil.copy(source, f"{db}{suffix}")
        print("\n".join(asyncio.run(run(db, args.n, args.llm_delay, args.seed))))


if __name__ == "__main__":
    main()
