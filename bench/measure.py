"""Latency and throughput measurements on a built benchmark database, through the real layers."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import statistics
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.app import Services, open_services
from bot.errors import ReviewBotError
from bot.settings import Settings
from storage.watchlists import WatchlistRepository


@dataclass(frozen=True, slots=True)
class Latency:
    name: str
    samples: list[float]  # milliseconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p95(self) -> float:
        return self.pct(95)

    @property
    def p99(self) -> float:
        return self.pct(99)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)


async def timed(name: str, calls: Sequence[Callable[[], Awaitable[object]]]) -> Latency:
    samples = []
    for call in calls:
        started = time.perf_counter()
        with contextlib.suppress(ReviewBotError):  # "not found" / "ambiguous" are answers too
            await call()
        samples.append((time.perf_counter() - started) * 1000)
    return Latency(name, samples)


def typo(rng: random.Random, title: str) -> str:
    """One realistic slip: a letter dropped, doubled, swapped with its neighbour, or replaced."""
    if len(title) < 4:
        return title
    i = rng.randrange(1, len(title) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return title[:i] + title[i + 1 :]
    if kind == 1:
        return title[:i] + title[i] + title[i:]
    if kind == 2:
        return title[: i - 1] + title[i] + title[i - 1] + title[i + 1 :]
    return title[:i] + rng.choice("aeiourstn") + title[i + 1 :]


async def sample_titles(services: Services, n: int, rng: random.Random) -> list[tuple[int, str, int | None]]:
    total = (await services.store.db.fetchone("SELECT max(id) FROM films"))[0]  # type: ignore[index]
    ids = [rng.randint(1, total) for _ in range(n * 2)]
    rows = await services.store.db.fetchall(
        f"SELECT id, title, year FROM films WHERE id IN ({','.join('?' * len(ids))})", ids
    )
    return [(r[0], r[1], r[2]) for r in rows][:n]


async def lookup(services: Services, n: int, rng: random.Random) -> tuple[list[Latency], Latency]:
    titles = await sample_titles(services, n, rng)
    films = services.films
    exact = await timed(
        "resolve exact",
        [lambda t=t, y=y: films.resolve(f"{t} ({y})" if y else t) for _, t, y in titles],
    )
    prefix = await timed(
        "autocomplete prefix", [lambda t=t: films.search(t[: max(3, len(t) * 3 // 5)]) for _, t, _ in titles]
    )
    typos = [typo(rng, t) for _, t, _ in titles]
    resolve_typo = await timed("resolve typo", [lambda t=t: films.resolve(t) for t in typos])
    search_typo = await timed("autocomplete typo", [lambda t=t: films.search(t) for t in typos])
    # The baseline: what a bot without indexes does, a plain LIKE '%…%' scan that collects every
    # matching title (it must see them all to rank them), for the same kinds of query.
    m = max(10, n // 10)
    like_queries = [t[: max(3, len(t) * 3 // 5)] for _, t, _ in titles[:m]] + typos[:m]
    like = await timed(
        "LIKE '%…%' scan",
        [
            lambda q=q: services.store.db.fetchall("SELECT id, title, year FROM films WHERE title LIKE ?", (f"%{q}%",))
            for q in like_queries
        ],
    )
    return [exact, prefix, resolve_typo, search_typo], like


async def ask_retrieval(services: Services, n: int, rng: random.Random) -> Latency:
    rows = await services.store.db.fetchall(
        "SELECT DISTINCT film_id FROM reviews WHERE id IN (SELECT abs(random()) % (SELECT max(id) FROM reviews) "
        "FROM reviews LIMIT ?)",
        (n,),
    )
    film_ids = [r[0] for r in rows][:n]
    questions = ["is the acting any good?", "how is the music?", "is it too slow?", "does it look good?",
                 "what do people think of the script?"]
    calls = []
    for film_id in film_ids:
        film = await services.films.get(film_id)
        if film is not None:
            calls.append(lambda f=film: services.ask.ask(rng.choice(questions), film=f))
    return await timed("/ask retrieval + answer", calls)


async def cache_hits(services: Services, n: int) -> Latency:
    rows = await services.store.db.fetchall("SELECT DISTINCT film_id FROM reviews LIMIT ?", (n,))
    films = [f for f in [await services.films.get(r[0]) for r in rows] if f is not None]
    for film in films:
        await services.summaries.summarize(film)  # fill the cache
    return await timed("summary cache hit", [lambda f=f: services.summaries.summarize(f) for f in films])


@dataclass(frozen=True, slots=True)
class WatchlistResult:
    ops_per_s_async: float  # through the service layer (film resolution, rules, storage)
    ops_per_s_storage: float  # through the storage layer (WatchlistRepository) only
    ops_per_s_raw: float
    lost_async: int
    lost_storage: int
    lost_raw: int
    users: int
    ops: int


async def watchlist_load(services: Services, db_path: Path, users: int, per_user: int) -> WatchlistResult:
    film_rows = await services.store.db.fetchall("SELECT id FROM films ORDER BY id LIMIT ?", (per_user * 2,))
    film_ids = [r[0] for r in film_rows]

    async def user(u: int) -> None:
        for i in range(per_user):
            await services.watchlist.add(f"bench-user-{u}", f"film:{film_ids[i]}")
            if i % 3 == 0:
                await services.watchlist.mark_watched(f"bench-user-{u}", f"film:{film_ids[i]}", rating=4.0)

    started = time.perf_counter()
    await asyncio.gather(*(user(u) for u in range(users)))
    elapsed = time.perf_counter() - started
    ops = users * (per_user + (per_user + 2) // 3)
    stored = await services.store.db.fetchone(
        "SELECT count(*) FROM watchlist_entries WHERE user_id LIKE 'bench-user-%'"
    )
    lost_async = users * per_user - int(stored[0])  # type: ignore[index]

    repo = WatchlistRepository(services.store.db)

    async def storage_user(u: int) -> None:
        for i in range(per_user):
            await repo.add(f"repo-user-{u}", "", film_ids[i], max_size=10_000)
            if i % 3 == 0:
                await repo.mark_watched(f"repo-user-{u}", "", film_ids[i], 4.0, None)

    started = time.perf_counter()
    await asyncio.gather(*(storage_user(u) for u in range(users)))
    storage_elapsed = time.perf_counter() - started
    stored = await services.store.db.fetchone("SELECT count(*) FROM watchlist_entries WHERE user_id LIKE 'repo-user-%'")
    lost_storage = users * per_user - int(stored[0])  # type: ignore[index]

    # Raw sqlite3 baseline: the same writes from `users` threads, each its own connection, each
    # write its own transaction (what a bot must do: a write is acknowledged only once committed).
    def raw_user(u: int) -> None:
        conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=30000")
        for i in range(per_user):
            conn.execute(
                "INSERT OR IGNORE INTO watchlist_entries (user_id, scope, film_id) VALUES (?, '', ?)",
                (f"raw-user-{u}", film_ids[i]),
            )
            if i % 3 == 0:
                conn.execute(
                    "UPDATE watchlist_entries SET watched_at = 'x', rating = 4 WHERE user_id = ? AND film_id = ?",
                    (f"raw-user-{u}", film_ids[i]),
                )
        conn.close()

    threads = [threading.Thread(target=raw_user, args=(u,)) for u in range(users)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    raw_elapsed = time.perf_counter() - started
    raw_stored = await services.store.db.fetchone(
        "SELECT count(*) FROM watchlist_entries WHERE user_id LIKE 'raw-user-%'"
    )
    return WatchlistResult(
        ops / elapsed, ops / storage_elapsed, ops / raw_elapsed, lost_async, lost_storage,
        users * per_user - int(raw_stored[0]), users, ops,  # type: ignore[index]
    )


async def run_all(db_path: Path, *, n: int, users: int, per_user: int, seed: int = 5) -> dict[str, object]:
    settings = Settings(_env_file=None, reviewbot_db=db_path, reviewbot_load_sample=False)  # type: ignore[call-arg]
    rng = random.Random(seed)
    async with open_services(settings) as services:
        started = time.perf_counter()
        await services.films.search("warm up")
        warmup_ms = (time.perf_counter() - started) * 1000
        latencies, like = await lookup(services, n, rng)
        ask = await ask_retrieval(services, n, rng)
        cache = await cache_hits(services, min(n, 100))
        watch = await watchlist_load(services, db_path, users, per_user)
    return {"latencies": [*latencies, ask, cache], "like": like, "watchlist": watch, "warmup_ms": warmup_ms}


async def sample_titles_by_id(services: Services, n: int, rng: random.Random) -> list[tuple[int, str, int | None]]:
    """Up to n films picked at random by id, through the repository (either backend)."""
    total = await services.store.films.count()
    picked = []
    for _ in range(n * 3):
        film = await services.store.films.get(rng.randint(1, total))
        if film is not None:
            picked.append((film.id, film.title, film.year))
        if len(picked) == n:
            break
    return picked


async def lookups_on(target: str | Path, n: int, seed: int) -> list[Latency]:
    """The four title look-ups on one database (either backend), with the same queries for the same
    seed: what `python -m bench --db postgresql://…` puts beside SQLite's numbers."""
    settings = Settings(_env_file=None, reviewbot_db=target, reviewbot_load_sample=False)  # type: ignore[call-arg]
    rng = random.Random(seed)
    async with open_services(settings) as services:
        titles = await sample_titles_by_id(services, n, rng)
        films = services.films
        # Steady state, as a bot that has run for a while serves it: each kind of look-up first runs
        # on other titles, so statements are prepared and planned on the pool's connections (a cost
        # each connection pays once per statement shape, not per query) before the timed queries.
        warm = [t for t in (await sample_titles_by_id(services, max(20, n // 5), rng)) if t not in titles]
        for _, t, y in warm:
            with contextlib.suppress(ReviewBotError):
                await films.resolve(f"{t} ({y})" if y else t)
                await films.search(t[: max(3, len(t) * 3 // 5)])
            with contextlib.suppress(ReviewBotError):
                await films.resolve(typo(rng, t))
            await films.search(typo(rng, t))
        exact = await timed(
            "resolve exact", [lambda t=t, y=y: films.resolve(f"{t} ({y})" if y else t) for _, t, y in titles]
        )
        prefix = await timed(
            "autocomplete prefix", [lambda t=t: films.search(t[: max(3, len(t) * 3 // 5)]) for _, t, _ in titles]
        )
        typos = [typo(rng, t) for _, t, _ in titles]
        resolve_typo = await timed("resolve typo", [lambda t=t: films.resolve(t) for t in typos])
        search_typo = await timed("autocomplete typo", [lambda t=t: films.search(t) for t in typos])
    return [exact, prefix, resolve_typo, search_typo]
