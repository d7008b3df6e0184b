"""Database maintenance for the operator: backup, check, restore (storage/maintenance.py does
the work, in a worker thread so the event loop never waits on the disk).

It works on the database *file*, not on an open `Database`: a backup or a check runs next to a
live bot, and a restore needs the file to itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import maintenance
from storage.maintenance import BackupResult, CheckReport, PreparedRestore, RestoreResult

__all__ = ["BackupResult", "CheckReport", "MaintenanceService", "PreparedRestore", "RestoreResult"]


class MaintenanceService:
    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path

    async def backup(self, dest: Path, *, overwrite: bool = False) -> BackupResult:
        return await asyncio.to_thread(maintenance.backup, self.db_path, dest, overwrite=overwrite)

    async def check(self) -> CheckReport:
        return await asyncio.to_thread(maintenance.check, self.db_path)

    async def prepare_restore(self, source: Path) -> PreparedRestore:
        """Validate a backup (raises UnusableBackup); nothing changes until `finish_restore`."""
        return await asyncio.to_thread(maintenance.prepare_restore, self.db_path, source)

    async def finish_restore(self, prepared: PreparedRestore) -> RestoreResult:
        return await asyncio.to_thread(maintenance.finish_restore, prepared)

    async def discard_restore(self, prepared: PreparedRestore) -> None:
        await asyncio.to_thread(maintenance.discard_restore, prepared)
