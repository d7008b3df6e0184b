"""PostgreSQL leases (see storage/leases.py for what they are for)."""

from __future__ import annotations

from storage.postgres.db import PostgresDatabase


class PgLeaseRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def acquire(self, name: str, owner: str, ttl: float, now: float) -> bool:
        # INSERT … ON CONFLICT takes the row lock, so of processes racing for an expired lease one wins.
        holder = await self._db.fetchval(
            "INSERT INTO leases (name, owner, expires) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires "
            "WHERE leases.expires <= $4 OR leases.owner = excluded.owner "
            "RETURNING owner",
            name, owner, now + ttl, now,
        )
        return bool(holder == owner)

    async def renew(self, name: str, owner: str, ttl: float, now: float) -> bool:
        changed = await self._db.execute(
            "UPDATE leases SET expires = $1 WHERE name = $2 AND owner = $3", now + ttl, name, owner
        )
        return changed > 0

    async def release(self, name: str, owner: str) -> None:
        await self._db.execute("DELETE FROM leases WHERE name = $1 AND owner = $2", name, owner)
