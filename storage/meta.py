"""Small key/value facts about the database itself (e.g. whether the sample data was loaded)."""

from __future__ import annotations

from storage.db import Database, Writer


class MetaRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        row = await self._db.fetchone("SELECT value FROM app_meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set(self, key: str, value: str) -> None:
        async with self._db.transaction() as tx:
            await self.set_in(tx, key, value)

    @staticmethod
    async def set_in(tx: Writer, key: str, value: str) -> None:
        await tx.execute(
            "INSERT INTO app_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
