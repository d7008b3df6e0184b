"""Soak: the real bot (`reviewbot run`) against the fake Discord and the fake LLM for a chosen time,
with random commands from many users and random faults, then checks what users must be able to
rely on. Exit status 1 if any check fails.

    python -m bench.soak --minutes 10          # the recorded run (bench/RESULTS.md)
    python -m bench.soak --minutes 1 --rate 8  # a quick one

Faults: the LLM answers with 429 (with and without retry-after), 500/502/503, a hang, invalid
JSON, a truncated stream or an empty answer (each with some probability), otherwise a valid
answer after 0.2-1.5 s; the gateway connection is dropped now and then (the bot must RESUME).
Checks: every interaction answered; no unexpected error reached a user (no generic apology, no
traceback in the bot's log); memory flat; PRAGMA integrity_check ok; every watchlist add the bot
confirmed to a user is in the database (unless that user removed it later).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from bench.live import live_bot, pct
from bot.discord_app.tree import APOLOGY
from tests.fakes.fake_discord import JSON, FakeDiscord, FakeInteraction
from tests.fakes.fake_openai import (
    Behaviour,
    ChatRequest,
    FakeOpenAI,
    Hang,
    HTTPError,
    Malformed,
    RateLimit,
    Reply,
    ServerError,
    Truncated,
)
from tests.llm.model import PromptModel

FILMS = ["Parasite (2019)", "Psycho (1960)", "Dune (2021)", "The Prestige (2006)", "Se7en (1995)", "Arrival (2016)",
         "Get Out (2017)", "Oldboy (2003)", "Amélie (2001)", "The Sixth Sense (1999)", "Dear Comrades! (2020)",
         "Dune (1984)", "Psycho (1998)"]
QUESTIONS = ["is the acting any good?", "how is the music?", "is it scary?", "anything like it?", "who directed it?",
             "is it too long?", "what do people think of the ending?"]


def text_of(messages: list[JSON]) -> str:
    parts: list[str] = []
    for m in messages:
        parts.append(m.get("content") or "")
        for e in m.get("embeds") or []:
            parts += [e.get("title") or "", e.get("description") or ""]
            parts += [f"{f.get('name')} {f.get('value')}" for f in e.get("fields") or []]
    return "\n".join(parts)


class FaultyModel:
    """Plays a model that fails in every way the issue lists, `fault_rate` of the time."""

    def __init__(self, rng: random.Random, fault_rate: float) -> None:
        self.rng = rng
        self.fault_rate = fault_rate
        self.model = PromptModel()
        self.faults: dict[str, int] = {}

    async def __call__(self, request: ChatRequest) -> Behaviour | str:
        if self.rng.random() < self.fault_rate:
            fault: Behaviour = self.rng.choice([
                RateLimit(retry_after=0.5), RateLimit(retry_after=None), ServerError(), HTTPError(502, {}),
                HTTPError(503, {}), Hang(), Malformed(), Truncated("The acting is"), Reply(""),
            ])
            name = type(fault).__name__ + (f"{fault.status}" if isinstance(fault, HTTPError) else "")
            self.faults[name] = self.faults.get(name, 0) + 1
            return fault
        await asyncio.sleep(self.rng.uniform(0.2, 1.5))
        return self.model(request)


async def soak(minutes: float, rate: float, seed: int, fault_rate: float, db: Path) -> tuple[list[str], bool]:
    rng = random.Random(seed)
    faulty = FaultyModel(rng, fault_rate)
    async with FakeDiscord() as discord, FakeOpenAI(faulty) as llm:
        extra = {"LLM_TIMEOUT_SECONDS": "4", "LLM_MAX_RETRIES": "1"}
        async with live_bot(db, discord, llm, **extra) as bot:
            users = [discord.user(f"soaker{i}") for i in range(40)]
            sent: list[tuple[str, JSON, FakeInteraction, dict[str, Any]]] = []
            memory: list[tuple[float, float]] = []
            drops = 0
            started = time.monotonic()
            deadline = started + minutes * 60
            next_drop = started + rng.uniform(20, 60)
            next_sample = started
            while (now := time.monotonic()) < deadline:
                if now >= next_sample:
                    memory.append((now - started, bot.rss_mb()))
                    next_sample = now + 5
                if now >= next_drop:
                    await discord.drop_connection()
                    drops += 1
                    next_drop = now + rng.uniform(30, 90)
                user = rng.choice(users)
                film = rng.choice(FILMS)
                kind, call, meta = pick(rng, discord, user, film)
                try:
                    ix = await asyncio.wait_for(call, 10)
                except (TimeoutError, AssertionError, RuntimeError):
                    await asyncio.sleep(0.5)  # the gateway is reconnecting: try again shortly
                    continue
                sent.append((kind, user, ix, meta))
                await asyncio.sleep(rng.expovariate(rate))
            # Let the last answers (LLM fallbacks take up to the timeout) arrive, then look.
            quiet_since, seen = time.monotonic(), len(discord.requests)
            while time.monotonic() - quiet_since < 6:
                await asyncio.sleep(1)
                if len(discord.requests) != seen:
                    quiet_since, seen = time.monotonic(), len(discord.requests)
            memory.append((time.monotonic() - started, bot.rss_mb()))
            stderr = bot.stderr

    unanswered = [ix for _, _, ix, _ in sent if not ix.callbacks]
    late = [ix for _, _, ix, _ in sent if ix.acked_at and ix.acked_at - ix.sent_at > 3]
    apologies = [ix for _, _, ix, _ in sent if APOLOGY[:30] in text_of(discord.interaction_messages(ix))]
    acks = [(ix.acked_at - ix.sent_at) * 1000 for _, _, ix, _ in sent if ix.acked_at]
    kinds: dict[str, int] = {}
    for kind, *_ in sent:
        kinds[kind] = kinds.get(kind, 0) + 1

    # Watchlist writes the bot confirmed, replayed in order per user: what must be in the database.
    expected: dict[tuple[str, str], bool] = {}
    for kind, user, ix, meta in sent:
        said = text_of(discord.interaction_messages(ix))
        if kind == "watchlist add" and ("Added" in said or "already on your list" in said):
            expected[(user["id"], meta["film"])] = True
        elif kind == "watchlist remove" and "Removed" in said:
            expected[(user["id"], meta["film"])] = False
    conn = sqlite3.connect(db)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    stored = {
        (user_id, f"{title} ({year})")
        for user_id, title, year in conn.execute(
            "SELECT w.user_id, f.title, f.year FROM watchlist_entries w JOIN films f ON f.id = w.film_id"
        )
    }
    conn.close()
    missing = [key for key, present in expected.items() if present and key not in stored]

    warm = [m for t, m in memory if t >= 30] or [m for _, m in memory]
    third = max(1, len(warm) // 3)
    early, late_mem = statistics.fmean(warm[:third]), statistics.fmean(warm[-third:])
    growth = late_mem - early
    traceback = "Traceback" in stderr
    checks = {
        "every interaction answered": not unanswered,
        "acknowledged within Discord's 3 s": not late,
        "no unexpected error reached a user": not apologies and not traceback,
        f"memory flat (growth {growth:+.1f} MB, under 25 MB)": growth < 25,
        f"integrity_check: {integrity}": integrity == "ok",
        f"acknowledged watchlist writes present ({len([v for v in expected.values() if v])} checked)": not missing,
    }
    lines = [
        f"Soak: {minutes:g} min, {len(sent)} interactions ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
        f"{len(llm.requests)} LLM requests, injected LLM faults: "
        f"{', '.join(f'{k} {v}' for k, v in sorted(faulty.faults.items())) or 'none'}; gateway drops: {drops}.",
        f"Acknowledgement: p50 {pct(acks, 50):.0f} ms, p99 {pct(acks, 99):.0f} ms, max {max(acks, default=0):.0f} ms. "
        f"Memory: {memory[0][1]:.0f} MB at start, {early:.0f} → {late_mem:.0f} MB (first vs last third after "
        f"warm-up), {max(m for _, m in memory):.0f} MB peak.",
        "",
    ]
    lines += [f"- [{'x' if ok else ' '}] {name}" for name, ok in checks.items()]
    if apologies:
        kinds_apologised: dict[str, int] = {}
        for kind, _, ix, _ in sent:
            if ix in apologies:
                kinds_apologised[kind] = kinds_apologised.get(kind, 0) + 1
        lines.append(f"Apologies (unexpected errors) by command: {kinds_apologised}")
    errors = [line for line in stderr.splitlines() if " ERROR " in line or "Traceback" in line]
    if errors:
        lines.append("Errors the bot logged:\n" + "\n".join(errors[:20]))
    if traceback:
        start = stderr.find("Traceback")
        lines.append("First traceback:\n" + stderr[start : start + 4000])
    if missing:
        lines.append(f"Missing watchlist writes: {missing[:10]}")
    return lines, all(checks.values())


def pick(
    rng: random.Random, discord: FakeDiscord, user: JSON, film: str
) -> tuple[str, Awaitable[FakeInteraction], dict[str, Any]]:
    roll = rng.random()
    if roll < 0.22:
        return "summary", discord.command("summary", user=user, film=film, spoilers=rng.random() < 0.2), {}
    if roll < 0.34:
        return "film", discord.command("film", user=user, film=film), {}
    if roll < 0.44:
        return "autocomplete", discord.autocomplete("summary", "film", user=user, film=film[: rng.randint(2, 7)]), {}
    if roll < 0.60:
        return "watchlist add", discord.command("watchlist add", user=user, film=film), {"film": film}
    if roll < 0.66:
        return "watchlist remove", discord.command("watchlist remove", user=user, film=film), {"film": film}
    if roll < 0.72:
        return "watchlist list", discord.command("watchlist list", user=user), {}
    if roll < 0.78:
        rating = rng.choice([3.0, 3.5, 4.0, 4.5])
        return "watchlist watched", discord.command("watchlist watched", user=user, film=film, rating=rating), {}
    if roll < 0.88:
        question = rng.choice(QUESTIONS)
        return "ask", discord.command("ask", user=user, question=question, film=film), {}
    if roll < 0.94:
        return "reviews", discord.command("reviews", user=user, film=film), {}
    if roll < 0.98:
        text = f"Soak review {rng.randint(0, 10**9)}: the acting is strong and the score is moving throughout."
        return "review", discord.command("review", user=user, film=film, text=text, rating=4.0, spoilers=False), {}
    return "help", discord.command("help", user=user), {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=5.0, help="interactions per second (average)")
    parser.add_argument("--fault-rate", type=float, default=0.25, help="share of LLM requests that fail")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        lines, ok = asyncio.run(soak(args.minutes, args.rate, args.seed, args.fault_rate, Path(folder) / "soak.db"))
    print("\n".join(lines))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
