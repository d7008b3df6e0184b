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
from typing import Any

from bot.errors import InvalidInput
from bot.services.maintenance import MaintenanceService, PreparedRestore
from bot.settings import Settings
from storage.backends import is_postgres, sqlite_path
from storage.db import latest_schema_version

CONFIRM_WORD = "restore"


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if is_postgres(settings.reviewbot_db):
        raise InvalidInput("`reviewbot db backup|check|restore` work on SQLite files only so far.")
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
