"""Leases: a named piece of work held by one owner (a bot process) until it releases it or its
lease expires. Several processes of one bot use them to do a piece of work once (one LLM call per
film and mode however many ask at once, `bot/services/singleflight.py`); a process that dies while
holding one loses it at `expires`, and another takes over.

Times are unix seconds (wall clock, comparable across machines), passed in by the caller.
"""

from __future__ import annotations

from storage.db import Database


class LeaseRepository:
    """SQLite (`LeaseStore` in storage/ports.py): the `leases` table (migration *_leases.sql)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(self, name: str, owner: str, ttl: float, now: float) -> bool:
        # One statement: the row is inserted, or taken over when it expired or is ours already.
        changed = await self._db.execute(
            "INSERT INTO leases (name, owner, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires "
            "WHERE leases.expires <= ? OR leases.owner = excluded.owner",
            (name, owner, now + ttl, now),
        )
        return changed > 0

    async def renew(self, name: str, owner: str, ttl: float, now: float) -> bool:
        changed = await self._db.execute(
            "UPDATE leases SET expires = ? WHERE name = ? AND owner = ?", (now + ttl, name, owner)
        )
        return changed > 0

    async def release(self, name: str, owner: str) -> None:
        await self._db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))
