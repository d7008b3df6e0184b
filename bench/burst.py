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
import contextlib
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.live import live_bot, pct, rss_mb
from tests.fakes.fake_discord import FakeDiscord, FakeInteraction
from tests.fakes.fake_openai import ChatRequest, FakeOpenAI
from tests.llm.model import PromptModel

SAMPLE_FILMS = ["Parasite", "Psycho (1960)", "Dune (2021)", "The Prestige", "Se7en", "Arrival", "Get Out",
                "Oldboy", "Amélie", "The Sixth Sense", "Dear Comrades!", "Dune (1984)", "Psycho (1998)"]


async def run(db: Path, n: int, llm_delay: float, seed: int) -> list[str]:
    model = PromptModel()

    async def slow_model(request: ChatRequest) -> Any:
        await asyncio.sleep(llm_delay)
        return model(request)

    async with FakeDiscord(ack_deadline=3.0) as discord, FakeOpenAI(slow_model) as llm:
        async with live_bot(db, discord, llm, LLM_TIMEOUT_SECONDS="30") as bot:
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
            with contextlib.suppress(TimeoutError):  # unanswered ones are counted below
                await discord.wait_for(lambda: all(ix.callbacks for ix in interactions), 10)
            # Final answers: wait until the bot has been quiet for 2 s (LLM answers arrive ~2 s in).
            last = len(discord.requests)
            while True:
                await asyncio.sleep(2.0)
                if len(discord.requests) == last:
                    break
                last = len(discord.requests)
            rss_after = rss_mb(bot.pid)
        stderr = bot.stderr

    db_mb = await asyncio.to_thread(os.path.getsize, db) / 1e6
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
        f"(database {db_mb:,.0f} MB).",
        f"LLM requests: {len(llm.requests)}.",
    ]
    slow = [line.split("slow query", 1)[1].strip() for line in stderr.splitlines() if "slow query" in line]
    if slow:
        lines.append(f"Slow queries logged by the bot: {len(slow)}; e.g. " + "; ".join(slow[:3]))
    if unanswered:
        missed: dict[str, int] = {}
        for ix in unanswered:
            name = ix.payload["data"].get("name", "?") + (" (autocomplete)" if ix.type == 4 else "")
            missed[name] = missed.get(name, 0) + 1
        lines.append(f"Unanswered by kind: {missed}")
    if "Traceback" in stderr or "ERROR" in stderr:
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
