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
import random
import time
from contextlib import AsyncExitStack, suppress
from typing import Any

from bench.live import bot_env, live_bot, pct, sync
from tests.fakes.fake_discord import FakeDiscord, FakeInteraction
from tests.fakes.fake_openai import FakeOpenAI

FILMS = ["Parasite", "Psycho (1960)", "Se7en", "The Sixth Sense", "Dear Comrades!", "Psycho (1998)"]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="a postgresql:// database holding films (e.g. after bench --db)")
    parser.add_argument("--n", type=int, default=200, help="interactions in each burst")
    args = parser.parse_args()
    print("\n".join(asyncio.run(cluster_burst(args.db, args.n))))


if __name__ == "__main__":
    main()
