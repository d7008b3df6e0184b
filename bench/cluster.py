"""The bot on PostgreSQL beside SQLite, and one bot split over two processes (issue 11).

    python -m bench.cluster --db postgresql://postgres@127.0.0.1/bench      # the SQLite sample data
    python -m bench --db postgresql://…                                     # after the SQLite tables

Look-ups: the same queries on a SQLite file and on a PostgreSQL copy of it (`reviewbot db copy`),
p99 side by side (target: PostgreSQL within 2× of SQLite). Burst: the same interactions (no LLM:
/film, /watchlist add, autocomplete, over servers on two shards) answered by one `reviewbot run`
holding both shards, then by two processes holding one each, on the PostgreSQL database:
interactions per second from the first sent to the last answered (target: two ≥ 1.6× one; the
load generator, fake Discord and PostgreSQL share the machine's cores with the bots).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import Any

import asyncpg

from bench.live import bot_env, live_bot, pct, sync
from bench.measure import Latency, lookup, sample_titles
from bot.app import open_services
from bot.settings import Settings
from storage.copy import copy_database
from tests.fakes.fake_discord import FakeDiscord, FakeInteraction
from tests.fakes.fake_openai import FakeOpenAI

FILMS = ["Parasite", "Psycho (1960)", "Se7en", "The Sixth Sense", "Dear Comrades!", "Psycho (1998)"]


async def _fresh_database(url: str) -> None:
    """Drop and create the database `url` names (it must be a scratch database)."""
    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _lookups(target: str | Path, titles: list[tuple[int, str, int | None]]) -> list[Latency]:
    """The same queries on either backend (the typos drawn from the same seed)."""
    settings = Settings(_env_file=None, reviewbot_db=target, reviewbot_load_sample=False)  # type: ignore[call-arg]
    async with open_services(settings) as services:
        await services.films.search("warm up")
        latencies, _ = await lookup(services, len(titles), random.Random(5), baseline=False, titles=titles)
    return latencies


async def _titles(sqlite_db: Path, n: int) -> list[tuple[int, str, int | None]]:
    settings = Settings(_env_file=None, reviewbot_db=sqlite_db, reviewbot_load_sample=False)  # type: ignore[call-arg]
    async with open_services(settings) as services:
        return await sample_titles(services, n, random.Random(5))


async def lookups_side_by_side(sqlite_db: Path, url: str, n: int) -> list[str]:
    await _fresh_database(url)
    report = await copy_database(sqlite_db, url)
    titles = await _titles(sqlite_db, n)
    sqlite = await _lookups(sqlite_db, titles)
    postgres = await _lookups(url, titles)
    lines = [
        f"Look-ups on SQLite and on a PostgreSQL copy ({report!s:.120}), {n} queries each:", "",
        "| measurement | SQLite p50 ms | SQLite p99 ms | PostgreSQL p50 ms | PostgreSQL p99 ms | p99 ratio "
        "| target ≤ 2× |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for a, b in zip(sqlite, postgres, strict=True):
        ratio = b.p99 / a.p99 if a.p99 else float("inf")
        lines.append(f"| {a.name} | {a.p50:.2f} | {a.p99:.2f} | {b.p50:.2f} | {b.p99:.2f} | {ratio:.2f}× | "
                     f"{'✓' if ratio <= 2 else '✗'} |")
    return lines


async def _burst(url: str, n: int, split: bool) -> tuple[float, list[float], int]:
    """interactions/s, acknowledgement times (ms), unanswered."""
    async with FakeDiscord(shard_count=2) as discord, FakeOpenAI() as llm, AsyncExitStack() as stack:
        channels = [discord.add_guild(f"Server {s}", shard=s)["channel_id"] for s in (0, 1)]
        env: dict[str, str] = {"REVIEWBOT_LOAD_SAMPLE": "false", "DISCORD_WRITE_RATE_PER_MINUTE": "0"}
        await sync(bot_env(url, discord, llm, **env), discord)
        ranges = [["--shard-ids", "0", "--shard-count", "2"], ["--shard-ids", "1", "--shard-count", "2"]]
        if split:
            for args in ranges:
                await stack.enter_async_context(live_bot(url, discord, llm, run_args=args, sync_commands=False, **env))
        else:
            await stack.enter_async_context(live_bot(url, discord, llm, sync_commands=False, shards=2, **env))
        users = [discord.user(f"member{i}") for i in range(n)]
        rng = random.Random(7)

        def one(i: int) -> Any:
            channel, film = channels[i % 2], rng.choice(FILMS)
            kind = i % 3
            if kind == 0:
                return discord.command("film", user=users[i], film=film, channel_id=channel)
            if kind == 1:
                return discord.command("watchlist add", user=users[i], film=film, channel_id=channel)
            return discord.autocomplete("summary", "film", user=users[i], film=film[:4])

        started = time.monotonic()
        interactions: list[FakeInteraction] = list(await asyncio.gather(*(one(i) for i in range(n))))

        def answered(ix: FakeInteraction) -> bool:
            return ix.choices is not None or ix.state == "replied"

        with suppress(TimeoutError):
            await discord.wait_for(lambda: all(answered(ix) for ix in interactions), 120)
        elapsed = time.monotonic() - started
        acks = [(ix.acked_at - ix.sent_at) * 1000 for ix in interactions if ix.acked_at is not None]
        done = sum(answered(ix) for ix in interactions)
        return done / elapsed, acks, n - done


async def cluster_burst(url: str, n: int) -> list[str]:
    one_rate, one_acks, one_missed = await _burst(url, n, split=False)
    two_rate, two_acks, two_missed = await _burst(url, n, split=True)
    ratio = two_rate / one_rate
    return [
        f"Burst on PostgreSQL: {n} interactions at once (/film, /watchlist add, autocomplete; servers on "
        "shards 0 and 1 of 2), one process holding both shards against two holding one each:", "",
        "| bot | interactions/s | ack p50 ms | ack p99 ms | unanswered |",
        "|---|---:|---:|---:|---:|",
        f"| one process (shards 0-1) | {one_rate:.0f} | {pct(one_acks, 50):.0f} | {pct(one_acks, 99):.0f} | "
        f"{one_missed} |",
        f"| two processes (shard 0, shard 1) | {two_rate:.0f} | {pct(two_acks, 50):.0f} | {pct(two_acks, 99):.0f} | "
        f"{two_missed} |",
        "", f"Two processes against one: **{ratio:.2f}×** (target ≥ 1.6×: {'met' if ratio >= 1.6 else 'NOT met'}).",
    ]


async def run(sqlite_db: Path, url: str, *, samples: int, n: int) -> list[str]:
    lines = await lookups_side_by_side(sqlite_db, url, samples)
    return [*lines, "", *await cluster_burst(url, n)]


async def _sample_db(folder: Path) -> Path:
    db = folder / "sample.db"
    settings = Settings(_env_file=None, reviewbot_db=db, reviewbot_load_sample=True)  # type: ignore[call-arg]
    async with open_services(settings):
        pass
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="a scratch postgresql:// database (dropped and re-created)")
    parser.add_argument("--sqlite", type=Path, help="the SQLite database to compare with (default: the sample data)")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--n", type=int, default=300, help="interactions in each burst")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="reviewbot-cluster-"))
    try:
        sqlite_db = args.sqlite or asyncio.run(_sample_db(folder))
        print("\n".join(asyncio.run(run(sqlite_db, args.db, samples=args.samples, n=args.n))))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
