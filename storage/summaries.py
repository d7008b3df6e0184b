"""The summary cache and the per-review LLM digests."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from storage.db import Database
from storage.records import CachedSummary, Digest, SummaryKey
from storage.single_flight import LEASE_SECONDS, KeyedLocks, key_text, leased

__all__ = ["Digest", "SummaryKey", "SummaryRepository"]


class SummaryRepository:
    def __init__(self, db: Database, *, lease_seconds: float = LEASE_SECONDS) -> None:
        self._db = db
        self._lease_seconds = lease_seconds
        # One waiter per process polls the lease, the others queue on this lock.
        self._in_flight = KeyedLocks()

    @asynccontextmanager
    async def single_flight(self, key: SummaryKey) -> AsyncIterator[None]:
        """An in-process lock, then a lease row renewed while the call runs (storage/single_flight.py):
        a `reviewbot` command summarising beside the running bot on the same file makes no
        duplicate call either."""
        name = key_text(key.film_id, key.mode, key.engine, key.prompt_version)
        async with self._in_flight.hold(name), leased(self, name, seconds=self._lease_seconds):
            yield

    # LeaseTable: the lease rows (unix times: the processes sharing a file share a clock)
    async def take(self, name: str, holder: str, seconds: float) -> bool:
        now = time.time()
        return await self._db.execute(
            "INSERT INTO summary_leases (key, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
            "SET holder = excluded.holder, expires_at = excluded.expires_at WHERE summary_leases.expires_at < ?",
            (name, holder, now + seconds, now),
        ) == 1

    async def renew(self, name: str, holder: str, seconds: float) -> bool:
        return await self._db.execute(
            "UPDATE summary_leases SET expires_at = ? WHERE key = ? AND holder = ?",
            (time.time() + seconds, name, holder),
        ) == 1

    async def release(self, name: str, holder: str) -> None:
        await self._db.execute("DELETE FROM summary_leases WHERE key = ? AND holder = ?", (name, holder))

    async def get(self, key: SummaryKey) -> CachedSummary | None:
        row = await self._db.fetchone(
            "SELECT summary, sources, notes, input_tokens, output_tokens, created_at FROM summary_cache "
            "WHERE film_id = ? AND mode = ? AND engine = ? AND prompt_version = ? AND review_set_hash = ?",
            (key.film_id, key.mode, key.engine, key.prompt_version, key.review_set_hash),
        )
        if row is None:
            return None
        return CachedSummary(
            summary=row[0],
            sources=tuple(json.loads(row[1])),
            notes=tuple(json.loads(row[2])),
            input_tokens=row[3],
            output_tokens=row[4],
            created_at=row[5],
        )

    async def put(
        self,
        key: SummaryKey,
        summary: str,
        *,
        sources: Sequence[int],
        notes: Sequence[str] = (),
        input_tokens: int = 0,
        output_tokens: int = 0,
    ) -> None:
        async with self._db.transaction() as tx:
            # Entries for an older review set of this film are dead weight once a newer one lands.
            await tx.execute(
                "DELETE FROM summary_cache WHERE film_id = ? AND mode = ? AND engine = ? "
                "AND review_set_hash != ?",
                (key.film_id, key.mode, key.engine, key.review_set_hash),
            )
            await tx.execute(
                "INSERT OR REPLACE INTO summary_cache (film_id, mode, engine, prompt_version, review_set_hash, "
                "summary, sources, notes, input_tokens, output_tokens) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    key.film_id, key.mode, key.engine, key.prompt_version, key.review_set_hash, summary,
                    json.dumps(list(sources)), json.dumps(list(notes)), input_tokens, output_tokens,
                ),
            )

    async def count_for_film(self, film_id: int) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM summary_cache WHERE film_id = ?", (film_id,))
        return int(row[0]) if row else 0

    # --- digests ---------------------------------------------------------------------------------
    async def digests(self, review_ids: Sequence[int], engine: str, prompt_version: str) -> dict[int, Digest]:
        found: dict[int, Digest] = {}
        for start in range(0, len(review_ids), 500):
            chunk = list(review_ids[start : start + 500])
            rows = await self._db.fetchall(
                "SELECT review_id, content_hash, safe_digest, spoiler_digest, input_tokens, output_tokens "
                "FROM review_digests WHERE engine = ? AND prompt_version = ? "
                f"AND review_id IN ({','.join('?' * len(chunk))})",
                [engine, prompt_version, *chunk],
            )
            for r in rows:
                found[r[0]] = Digest(r[0], r[1], r[2], r[3], r[4], r[5])
        return found

    async def put_digest(self, digest: Digest, engine: str, prompt_version: str) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO review_digests (review_id, engine, prompt_version, content_hash, "
            "safe_digest, spoiler_digest, input_tokens, output_tokens) VALUES (?,?,?,?,?,?,?,?)",
            (
                digest.review_id, engine, prompt_version, digest.content_hash, digest.safe_digest,
                digest.spoiler_digest, digest.input_tokens, digest.output_tokens,
            ),
        )
