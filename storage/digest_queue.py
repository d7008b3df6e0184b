"""The persisted queue of reviews waiting for their LLM digest (bot/llm/digest_queue.py reads it)."""

from __future__ import annotations

import time

from storage.db import Database


class DigestQueueRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def next(self) -> int | None:
        """The review to digest now: the oldest one not waiting after a failure."""
        row = await self._db.fetchone(
            "SELECT review_id FROM digest_queue WHERE not_before <= ? ORDER BY not_before, queued_at, review_id "
            "LIMIT 1",
            (time.time(),),
        )
        return int(row[0]) if row else None

    async def done(self, review_id: int) -> None:
        await self._db.execute("DELETE FROM digest_queue WHERE review_id = ?", (review_id,))

    async def failed(self, review_id: int, error: str, wait_seconds: float) -> int:
        """Record a failed try: the review waits `wait_seconds`. Returns its failed tries so far."""
        await self._db.execute(
            "UPDATE digest_queue SET attempts = attempts + 1, not_before = ?, last_error = ? WHERE review_id = ?",
            (time.time() + wait_seconds, error[:200], review_id),
        )
        row = await self._db.fetchone("SELECT attempts FROM digest_queue WHERE review_id = ?", (review_id,))
        return int(row[0]) if row else 0

    async def reschedule(self, review_id: int, wait_seconds: float) -> None:
        await self._db.execute(
            "UPDATE digest_queue SET not_before = ? WHERE review_id = ?", (time.time() + wait_seconds, review_id)
        )

    async def pending(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM digest_queue")
        return int(row[0]) if row else 0
