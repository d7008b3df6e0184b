"""`reviewbot db backup|check|restore`: the database file's maintenance, from the terminal.

These work on the file, without opening the services: a backup or a check runs safely next to a
live bot, and a restore needs the database to itself (it refuses, saying so, while anything else
has it open).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from bot.errors import InvalidInput
from bot.services.maintenance import MaintenanceService, PreparedRestore
from bot.settings import Settings
from storage.backends import is_postgres, sqlite_path
from storage.copy import CopyReport, copy_database
from storage.db import latest_schema_version
from storage.postgres.maintenance import check_postgres

CONFIRM_WORD = "restore"


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.db_command == "copy":
        return await copy(args)
    if is_postgres(settings.reviewbot_db):
        return await postgres(str(settings.reviewbot_db), args)
    service = MaintenanceService(sqlite_path(settings.reviewbot_db))
    if args.db_command == "backup":
        return await backup(service, args)
    if args.db_command == "check":
        return await check(service, args)
    return await restore(service, args)


async def backup(service: MaintenanceService, args: argparse.Namespace) -> int:
    result = await service.backup(args.path, overwrite=args.force)
    if args.json:
        _print_json({"backup": str(result.path), "bytes": result.size_bytes, "seconds": round(result.seconds, 3),
                     "schema_version": result.schema_version, "quick_check": result.quick_check})
    else:
        print(f"Backed up {service.db_path} to {result.path} ({result.size_bytes / 1e6:,.1f} MB, schema version "
              f"{result.schema_version}) in {result.seconds:.1f} s.")
    if result.quick_check != "ok":
        print(f"reviewbot: warning: the database itself is damaged ({result.quick_check}), and the backup "
              "copies it. Run `reviewbot db check`.", file=sys.stderr)
        return 1
    return 0


async def check(service: MaintenanceService, args: argparse.Namespace) -> int:
    report = await service.check()
    latest = latest_schema_version()
    if args.json:
        _print_json({"path": str(report.path), "ok": report.ok, "integrity": report.integrity,
                     "foreign_keys": report.foreign_keys, "schema_version": report.schema_version,
                     "latest_schema_version": latest, "newer": report.newer, "bytes": report.size_bytes})
        return 0 if report.ok else 1
    version = "unreadable" if report.schema_version is None else f"schema version {report.schema_version}"
    print(f"{report.path}: {version} (this reviewbot: {latest}), {report.size_bytes / 1e6:,.1f} MB")
    print("integrity: " + ("ok" if report.integrity == ["ok"] else "PROBLEMS"))
    for line in report.integrity if report.integrity != ["ok"] else []:
        print(f"  - {line}")
    if report.schema_version is None:
        print("foreign keys: not checked")
    else:
        broken = len(report.foreign_keys)
        print("foreign keys: " + (f"{broken} broken reference(s)" if broken else "ok"))
    for line in report.foreign_keys[:50]:
        print(f"  - {line}")
    if report.newer:
        print(f"schema: NEWER than this reviewbot knows (it needs a reviewbot with schema version "
              f"{report.schema_version}): this one refuses to open or change it. Run the newer reviewbot, "
              "or restore a backup made for this one.", file=sys.stderr)
        return 1
    if not report.ok:
        print("The file was not changed. Restore a backup with `reviewbot db restore BACKUP` "
              "(stop the bot first).", file=sys.stderr)
        return 1
    return 0


async def restore(service: MaintenanceService, args: argparse.Namespace) -> int:
    if not args.yes and not sys.stdin.isatty():
        raise InvalidInput("Refusing to restore without confirmation: add --yes.")
    prepared = await service.prepare_restore(args.path)
    finished = False
    try:
        if not args.yes and not await _confirm(prepared):
            print("Nothing was restored.", file=sys.stderr)
            return 1
        result = await service.finish_restore(prepared)
        finished = True
    finally:
        if not finished:
            await service.discard_restore(prepared)
    latest = latest_schema_version()
    upgrade = result.info.schema_version < latest
    if args.json:
        _print_json({"restored": str(result.db_path), "source": str(result.source),
                     "previous": str(result.previous) if result.previous else None,
                     "schema_version": result.info.schema_version, "films": result.info.films,
                     "reviews": result.info.reviews, "watchlist_entries": result.info.watchlist_entries})
        return 0
    print(f"Restored {result.db_path} from {result.source}: {result.info.describe()}.")
    if result.previous:
        print(f"The database it replaced is kept as {result.previous}.")
    if upgrade:
        print(f"It will be upgraded from schema version {result.info.schema_version} to {latest} when reviewbot "
              "next opens it.")
    return 0


async def _confirm(prepared: PreparedRestore) -> bool:
    current = prepared.current.describe() if prepared.current else "can't be read (it will be kept as a copy)"
    if not prepared.db_path.exists():
        current = "doesn't exist yet"
    question = (
        f"Backup  {prepared.source}: {prepared.info.describe()}\n"
        f"Current {prepared.db_path}: {current}\n"
        "Replace the current database with the backup? The current one is kept as a copy.\n"
        f"Type '{CONFIRM_WORD}' to confirm: "
    )

    def ask() -> str:
        # The question goes to stderr, so that --json output on stdout stays clean.
        print(question, end="", file=sys.stderr, flush=True)
        return sys.stdin.readline()

    return (await asyncio.to_thread(ask)).strip().lower() == CONFIRM_WORD


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


async def copy(args: argparse.Namespace) -> int:
    """`db copy SRC DST`: progress per table on stderr, the counts compared at the end."""
    shown: dict[str, int] = {}

    def progress(table: str, done: int, total: int) -> None:
        if args.json or (not sys.stderr.isatty() and done not in (total,)):
            return
        if shown.get(table) != done:
            shown[table] = done
            print(f"\r  {table}: {done:,}/{total:,}", end="\n" if done == total else "", file=sys.stderr, flush=True)

    report = await copy_database(args.source, args.destination, progress=progress)
    if args.json:
        _print_json({"source": report.source, "destination": report.destination, "counts": report.counts,
                     "rows": report.rows, "seconds": round(report.seconds, 3)})
    else:
        print(_describe_copy(report))
    return 0


def _describe_copy(report: CopyReport) -> str:
    return (f"Copied {report.rows:,} rows in {len(report.counts)} tables from {report.source} to {report.destination} "
            f"in {report.seconds:.1f} s; every table's row count matches.")


async def postgres(url: str, args: argparse.Namespace) -> int:
    """On PostgreSQL: a backup is a logical copy into a new SQLite file (portable, and restorable on
    either backend); a check compares the schema version and counts the rows; a restore is a copy
    into a new, empty database (a live shared database is never overwritten in place)."""
    if args.db_command == "backup":
        path = args.path
        if path.is_dir():
            path = path / f"reviewbot-{time.strftime('%Y%m%d-%H%M%S')}.db"
        if path.exists():
            if not args.force:
                raise InvalidInput(f"{path} already exists. Choose another name, or add --force to replace it.")
            path.unlink()
        report = await copy_database(url, path)
        if args.json:
            _print_json({"backup": str(path), "rows": report.rows, "seconds": round(report.seconds, 3)})
        else:
            print(f"Backed up {report.source} to {path} (a SQLite file, {report.rows:,} rows) "
                  f"in {report.seconds:.1f} s.")
        return 0
    if args.db_command == "check":
        result = await check_postgres(url)
        if args.json:
            _print_json({"path": result.location, "ok": result.ok, "schema_version": result.schema_version,
                         "latest_schema_version": result.latest_schema_version, "newer": result.newer,
                         "counts": result.counts})
        else:
            print(f"{result.location}: schema version {result.schema_version} "
                  f"(this reviewbot: {result.latest_schema_version})")
            print("rows: " + ", ".join(f"{table} {n:,}" for table, n in result.counts.items()))
            if result.newer:
                print(f"schema: NEWER than this reviewbot knows (it needs a reviewbot with schema version "
                      f"{result.schema_version}): this one refuses to open or change it.", file=sys.stderr)
        return 0 if result.ok else 1
    raise InvalidInput(
        "`db restore` does not overwrite a shared PostgreSQL database. Restore into a new, empty one instead: "
        f"`reviewbot db copy {args.path} postgresql://…/NEW_DATABASE`, then point REVIEWBOT_DB at it."
    )
