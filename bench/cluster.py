"""One bot split over two processes (issue 11): the burst on PostgreSQL, one process against two.

    python -m bench --db postgresql://…                  # after the SQLite tables and the PostgreSQL look-ups
    python -m bench.cluster --db postgresql://…/bench    # on a database that already holds the films

The same interactions (no LLM: /film, /watchlist add, autocomplete, over servers on two shards)
answered by one `reviewbot run` holding both shards, then by two processes holding one each, on the
PostgreSQL database: interactions per second from the first sent to the last answered (target: two
≥ 1.6× one; the load generator, fake Discord and PostgreSQL share the machine's cores with the bots).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.live import LiveBot, bot_env, live_bot, pct, sync
from tests.fakes.fake_discord import FakeDiscord, FakeInteraction
from tests.fakes.fake_openai import FakeOpenAI

FILMS = ["Parasite", "Psycho (1960)", "Se7en", "The Sixth Sense", "Dear Comrades!", "Psycho (1998)"]


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


async def postgres_backends(url: str) -> list[int]:
    """The server processes serving connections to this database (the bots' pools)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [r[0] for r in rows]


@dataclass(frozen=True, slots=True)
class BurstResult:
    rate: float  # interactions answered per second, first sent to last answered
    acks: list[float]  # ms
    unanswered: int
    cpu_generator: float  # CPU seconds during the burst: this process (load generator, fake Discord)
    cpu_bots: float  # the bot processes
    cpu_postgres: float  # PostgreSQL's backends for this database
    seconds: float  # first sent to last answered
    load: tuple[float, float]  # 1-minute load average before and after
    errors: int  # lines the bots logged at WARNING or above during the burst (late answers, failures)


async def _burst(url: str, n: int, split: bool) -> BurstResult:
    """The burst through one or two bot processes, with the CPU each side spent on it."""
    async with FakeDiscord(shard_count=2) as discord, FakeOpenAI() as llm, AsyncExitStack() as stack:
        channels = [discord.add_guild(f"Server {s}", shard=s)["channel_id"] for s in (0, 1)]
        # No background digests: the burst is about interactions (no LLM). With them on, each bot
        # process worked through the 10,000 bench reviews' digest queue against the fake model during
        # the burst (thousands of warnings logged), and two processes just meant two such workers.
        env: dict[str, str] = {"REVIEWBOT_LOAD_SAMPLE": "false", "DISCORD_WRITE_RATE_PER_MINUTE": "0",
                               "LLM_BACKGROUND_DIGESTS": "false"}
        await sync(bot_env(url, discord, llm, **env), discord)
        ranges = [["--shard-ids", "0", "--shard-count", "2"], ["--shard-ids", "1", "--shard-count", "2"]]
        bots: list[LiveBot] = []
        if split:
            for args in ranges:
                bots.append(await stack.enter_async_context(
                    live_bot(url, discord, llm, run_args=args, sync_commands=False, **env)
                ))
        else:
            bots.append(await stack.enter_async_context(
                live_bot(url, discord, llm, sync_commands=False, shards=2, **env)
            ))
        users = [discord.user(f"member{i}") for i in range(n)]
        rng = random.Random(7)

        def one(i: int) -> Any:
            channel, film = channels[i % 2], rng.choice(FILMS)
            kind = i % 3
            if kind == 0:
                return discord.command("film", user=users[i], film=film, channel_id=channel)
            if kind == 1:
                return discord.command("watchlist add", user=users[i], film=film, channel_id=channel)
            return discord.autocomplete("summary", "film", user=users[i], film=film[:4], channel_id=channel)

        # Warm-up: one of each per shard, so first-use costs (imports, caches, pool connections)
        # stay out of the burst, as in bench.burst.
        warm = [await discord.command("film", user=users[0], film=FILMS[0], channel_id=c) for c in channels]
        warm += [await discord.autocomplete("summary", "film", user=users[0], film="par", channel_id=c)
                 for c in channels]
        with suppress(TimeoutError):
            await discord.wait_for(lambda: all(ix.callbacks for ix in warm), 30)
        backends = await postgres_backends(url)
        logged_before = sum(len(b.stderr_lines) for b in bots)
        load_before = os.getloadavg()[0]
        cpu_before = (time.process_time(), sum(cpu_seconds(b.pid) for b in bots),
                      sum(cpu_seconds(p) for p in backends))
        started = time.monotonic()
        interactions: list[FakeInteraction] = list(await asyncio.gather(*(one(i) for i in range(n))))

        def answered(ix: FakeInteraction) -> bool:
            return ix.choices is not None or ix.state == "replied"

        with suppress(TimeoutError):
            await discord.wait_for(lambda: all(answered(ix) for ix in interactions), 120)
        waited = time.monotonic() - started
        # The rate runs to the last answer, not to the end of the wait: one interaction lost to
        # Discord's 3 s limit must not turn 200 answers in 3 s into 200 in 120 s. (These commands
        # answer in their first callback.)
        answer_times = [ix.acked_at for ix in interactions if answered(ix) and ix.acked_at is not None]
        elapsed = max(answer_times) - started if answer_times else waited
        backends = sorted(set(backends) | set(await postgres_backends(url)))  # pools may have grown
        cpu_after = (time.process_time(), sum(cpu_seconds(b.pid) for b in bots),
                     sum(cpu_seconds(p) for p in backends))
        acks = [(ix.acked_at - ix.sent_at) * 1000 for ix in interactions if ix.acked_at is not None]
        done = sum(answered(ix) for ix in interactions)
        return BurstResult(
            done / elapsed, acks, n - done, cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1],
            cpu_after[2] - cpu_before[2], elapsed, (load_before, os.getloadavg()[0]),
            sum(len(b.stderr_lines) for b in bots) - logged_before,
        )


async def cluster_burst(url: str, n: int) -> list[str]:
    one = await _burst(url, n, split=False)
    two = await _burst(url, n, split=True)
    ratio = two.rate / one.rate

    def row(name: str, r: BurstResult) -> str:
        per = 1000 / n
        return (f"| {name} | {r.rate:.0f} | {pct(r.acks, 50):.0f} | {pct(r.acks, 99):.0f} | {r.unanswered} | "
                f"{r.cpu_bots * per:.1f} | {r.cpu_postgres * per:.1f} | {r.cpu_generator * per:.1f} | "
                f"{(r.cpu_bots + r.cpu_postgres + r.cpu_generator) / r.seconds:.2f} | "
                f"{r.load[0]:.1f} → {r.load[1]:.1f} | {r.errors} |")

    return [
        f"Burst on PostgreSQL: {n} interactions at once (/film, /watchlist add, autocomplete; servers on "
        "shards 0 and 1 of 2), one process holding both shards against two holding one each. CPU ms per "
        "interaction for the bot process(es), PostgreSQL's backends serving them, and the load generator "
        "(this process: the fake Discord); 'cores busy' is their CPU over the burst's wall time:", "",
        "| bot | interactions/s | ack p50 ms | ack p99 ms | unanswered | bot CPU ms | PostgreSQL CPU ms | "
        "generator CPU ms | cores busy | load average | lines logged |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        row("one process (shards 0-1)", one),
        row("two processes (shard 0, shard 1)", two),
        "", f"Two processes against one: **{ratio:.2f}×** (target ≥ 1.6×: {'met' if ratio >= 1.6 else 'NOT met'}).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="a postgresql:// database holding films (e.g. after bench --db)")
    parser.add_argument("--n", type=int, default=200, help="interactions in each burst")
    args = parser.parse_args()
    print("\n".join(asyncio.run(cluster_burst(args.db, args.n))))


if __name__ == "__main__":
    main()
