"""The digest queue on PostgreSQL (storage/digest_queue.py is the SQLite version).

Several processes may run a digest worker against one database: `next` claims a review (it is
not due again for CLAIM_SECONDS, and `SKIP LOCKED` keeps two claims apart), so each review is
digested once; a process that dies mid-digest only delays that review by the claim.
"""

from __future__ import annotations

import time

from storage.postgres.db import PostgresDatabase

CLAIM_SECONDS = 600.0


class PgDigestQueueRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def next(self) -> int | None:
        now = time.time()
        value = await self._db.fetchval(
            "UPDATE digest_queue SET not_before = $2 WHERE review_id = ("
            " SELECT review_id FROM digest_queue WHERE not_before <= $1"
            " ORDER BY not_before, queued_at, review_id LIMIT 1 FOR UPDATE SKIP LOCKED"
            ") RETURNING review_id",
            now, now + CLAIM_SECONDS,
        )
        return int(value) if value is not None else None

    async def done(self, review_id: int) -> None:
        await self._db.execute("DELETE FROM digest_queue WHERE review_id = $1", review_id)

    async def failed(self, review_id: int, error: str, wait_seconds: float) -> int:
        value = await self._db.fetchval(
            "UPDATE digest_queue SET attempts = attempts + 1, not_before = $1, last_error = $2 WHERE review_id = $3 "
            "RETURNING attempts",
            time.time() + wait_seconds, error[:200], review_id,
        )
        return int(value) if value is not None else 0

    async def reschedule(self, review_id: int, wait_seconds: float) -> None:
        await self._db.execute(
            "UPDATE digest_queue SET not_before = $1 WHERE review_id = $2", time.time() + wait_seconds, review_id
        )

    async def pending(self) -> int:
        return int(await self._db.fetchval("SELECT count(*) FROM digest_queue"))
