"""`python -m bench`: build a synthetic catalogue and measure the bot on it; print tables and ratios.

    python -m bench --size 10k            # quick (about a minute)
    python -m bench --size 1m --reviews 1000000 --record   # the full table for bench/RESULTS.md

It also runs the burst (`bench.burst`: 200 interactions at once through a live `reviewbot run`
on the same database, which gives the bot's memory on it too). Other scripts:
`python -m bench.spoiler_eval` (detector quality), `python -m bench.soak` (faults over time).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import burst, cluster
from bench.build import build
from bench.measure import Latency, run_all

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
TARGETS = {
    "resolve exact": 25.0, "autocomplete prefix": 25.0, "resolve typo": 25.0, "autocomplete typo": 25.0,
    "/ask retrieval + answer": 50.0,
}


def table(latencies: list[Latency], like: Latency) -> list[str]:
    lines = [
        "| measurement | n | p50 ms | p95 ms | p99 ms | target | vs LIKE scan (p50) |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for lat in latencies:
        target = TARGETS.get(lat.name)
        target_text = f"p99 < {target:g} ms {'✓' if lat.p99 < target else '✗'}" if target else ""
        if lat.name == "summary cache hit":
            target_text = f"p50 < 5 ms {'✓' if lat.p50 < 5 else '✗'}"
        ratio = f"{like.p50 / lat.p50:,.0f}×" if lat.name in ("autocomplete prefix", "resolve exact", "resolve typo",
                                                             "autocomplete typo") else ""
        lines.append(f"| {lat.name} | {len(lat.samples)} | {lat.p50:.2f} | {lat.p95:.2f} | {lat.p99:.2f} | "
                     f"{target_text} | {ratio} |")
    lines.append(
        f"| {like.name} (baseline) | {len(like.samples)} | {like.p50:.2f} | {like.p95:.2f} | {like.p99:.2f} | | 1× |"
    )
    return lines


async def postgres_lookups(sqlite_db: Path, url: str, samples: int) -> list[str]:
    """Copy the SQLite catalogue into PostgreSQL, then the same look-ups on both, side by side."""
    from bench.measure import lookups_on
    from storage.copy import copy_database

    copied = await copy_database(sqlite_db, url)
    on_sqlite = await lookups_on(sqlite_db, samples, seed=11)
    on_pg = await lookups_on(url, samples, seed=11)
    lines = [
        f"Look-ups on PostgreSQL beside SQLite (same queries; catalogue copied with `db copy`: {copied.rows:,} rows "
        f"in {copied.seconds:.0f} s):", "",
        "| measurement | SQLite p50 / p99 ms | PostgreSQL p50 / p99 ms | p99 ratio (target ≤ 2×) |",
        "|---|---:|---:|---:|",
    ]
    for lite, pg in zip(on_sqlite, on_pg, strict=True):
        ratio = pg.p99 / lite.p99 if lite.p99 else float("inf")
        lines.append(f"| {lite.name} | {lite.p50:.2f} / {lite.p99:.2f} | {pg.p50:.2f} / {pg.p99:.2f} | "
                     f"{ratio:.2f}× {'✓' if ratio <= 2 else '✗'} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=SIZES, default="10k", help="catalogue size (IMDb titles)")
    parser.add_argument("--reviews", type=int, help="synthetic reviews (default: as many as titles, max 1M)")
    parser.add_argument("--samples", type=int, default=300, help="queries per latency measurement")
    parser.add_argument("--users", type=int, default=100, help="concurrent watchlist users")
    parser.add_argument("--per-user", type=int, default=30, help="watchlist adds per user")
    parser.add_argument("--work", type=Path, default=Path("bench/out"), help="where data and databases go")
    parser.add_argument("--reuse", action="store_true", help="reuse a database built earlier with the same size")
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    parser.add_argument("--no-burst", action="store_true", help="skip the 200-interaction burst through the live bot")
    parser.add_argument(
        "--db", help="an empty postgresql://… database: the catalogue is copied into it and the look-ups run on "
        "PostgreSQL beside SQLite (target: p99 within 2× of SQLite), then the burst through one bot process against "
        "two on shard ranges (bench.cluster; target ≥ 1.6×)",
    )
    parser.add_argument(
        "--lookups-only", action="store_true",
        help="with --db: only the look-up table on both backends (no SQLite table, watchlist or bursts)",
    )
    args = parser.parse_args()
    n_titles = SIZES[args.size]
    n_reviews = args.reviews or min(n_titles, 1_000_000)
    db = args.work / f"bench-{n_titles}-{n_reviews}.db"
    lines = [f"## {args.size} titles, {n_reviews:,} reviews — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"SQLite {__import__('sqlite3').sqlite_version}", ""]
    if not (args.reuse and db.exists()):
        started = time.monotonic()
        report = build(args.work, n_titles, n_reviews)
        lines += [
            f"Build: IMDb-format import of {report.titles:,} titles ({report.import_rows:,} rows in 5 files) → "
            f"{report.films:,} feature films in {report.import_seconds:.1f} s "
            f"(**{report.import_rows / report.import_seconds:,.0f} rows/s**, peak RSS {report.import_peak_mb:.0f} MB; "
            f"target < 120 s and < 500 MB for 1M titles). {report.reviews:,} reviews inserted in "
            f"{report.review_seconds:.1f} s. Total {time.monotonic() - started:.0f} s.", "",
        ]
    if args.lookups_only and args.db:
        lines += asyncio.run(postgres_lookups(db, args.db, args.samples))
        print("\n".join(lines))
        return
    results = asyncio.run(run_all(db, n=args.samples, users=args.users, per_user=args.per_user))
    lines += table(results["latencies"], results["like"])  # type: ignore[arg-type]
    watch = results["watchlist"]
    lines += [
        "",
        f"Watchlist, {watch.users} concurrent users, {watch.ops:,} writes each way "  # type: ignore[attr-defined]
        f"(add, and mark watched every third): storage layer (aiosqlite reads + group-commit writes) "
        f"**{watch.ops_per_s_storage:,.0f} ops/s**, ratio **{watch.ops_per_s_storage / watch.ops_per_s_raw:.2f}** "  # type: ignore[attr-defined]
        f"against raw sqlite3 threads ({watch.ops_per_s_raw:,.0f} ops/s, one commit per write; target ≥ 0.5); "  # type: ignore[attr-defined]
        f"full service layer (resolving each film too) {watch.ops_per_s_async:,.0f} ops/s. "  # type: ignore[attr-defined]
        f"Lost writes: storage {watch.lost_storage}, service {watch.lost_async}, raw {watch.lost_raw}.",  # type: ignore[attr-defined]
        f"First autocomplete after start-up (cold caches): {results['warmup_ms']:.0f} ms.",
    ]
    if args.db:
        lines += ["", *asyncio.run(postgres_lookups(db, args.db, args.samples))]
        # The burst on that PostgreSQL copy: one bot process holding both shards, then two (bench.cluster).
        lines += ["", *asyncio.run(cluster.cluster_burst(args.db, 200))]
    if not args.no_burst:
        # The live bot on this same database: acknowledgement under a burst, and its memory.
        lines += ["", *asyncio.run(burst.run(db, 200, 2.0, seed=3))]
    text = "\n".join(lines)
    print(text)
    if args.record:
        with Path("bench/RESULTS.md").open("a", encoding="utf-8") as out:
            out.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
