"""Single-flight of summaries: one holder per key in a process (KeyedLocks), and across processes
sharing a database, a lease row per key that the holder renews while its call runs (`leased`).

Why a renewed lease: an LLM call has no fixed length (a slow local model, retries), so any fixed
expiry either lets a second process start a duplicate call while the first is still running, or
keeps a key blocked for a long time after its holder died. The holder takes the lease for
`seconds`, a heartbeat task pushes the expiry `seconds` ahead every `seconds / 3` while the call
runs, and the lease is deleted when it ends. A process that dies stops renewing, so its lease runs
out within `seconds` and the next caller takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0  # a lease not renewed for this long is free: a dead holder blocks the key this long
LEASE_WAIT_SECONDS = 150.0  # a waiter then makes the call itself: availability over one extra call
LEASE_POLL_SECONDS = 0.05
RENEWALS_PER_LEASE = 3  # renew every seconds / 3: two renewals may fail or be late before it lapses


class LeaseTable(Protocol):
    """Lease rows in a backend's database (summary_leases)."""

    async def take(self, name: str, holder: str, seconds: float) -> bool:
        """Take the lease if nobody holds it or its holder's has expired."""
        ...

    async def renew(self, name: str, holder: str, seconds: float) -> bool:
        """Push the expiry `seconds` ahead; False if the lease is no longer this holder's."""
        ...

    async def release(self, name: str, holder: str) -> None: ...


@asynccontextmanager
async def leased(
    table: LeaseTable,
    name: str,
    *,
    seconds: float = LEASE_SECONDS,
    wait_seconds: float = LEASE_WAIT_SECONDS,
    poll_seconds: float = LEASE_POLL_SECONDS,
) -> AsyncIterator[bool]:
    """Hold the lease `name` for the block (waiting for it while another holder renews it), renewed
    in the background until the block ends. Yields whether the lease was taken: after
    `wait_seconds` the block runs without it."""
    holder = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    taken = await table.take(name, holder, seconds)
    while not taken and time.monotonic() < deadline:
        await asyncio.sleep(poll_seconds)
        taken = await table.take(name, holder, seconds)
    if not taken:
        log.warning("single-flight lease %r still held after %.0f s; going ahead without it", name, wait_seconds)
        yield False
        return
    heartbeat = asyncio.create_task(_renew(table, name, holder, seconds), name=f"lease heartbeat {name!r}")
    try:
        yield True
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        await table.release(name, holder)


async def _renew(table: LeaseTable, name: str, holder: str, seconds: float) -> None:
    """Renew until cancelled. A failed renewal (database unreachable for a moment) is retried at the
    next beat; a lease found taken by another holder (this process was stalled past the expiry)
    ends the heartbeat: the other holder's lease is not taken back."""
    while True:
        await asyncio.sleep(seconds / RENEWALS_PER_LEASE)
        try:
            still_ours = await table.renew(name, holder, seconds)
        except Exception:  # a heartbeat must not die of a transient error; the next beat retries
            log.warning("could not renew single-flight lease %r; retrying", name, exc_info=True)
            continue
        if not still_ours:
            log.warning("single-flight lease %r expired before it was renewed; another process may call too", name)
            return


class KeyedLocks:
    """An asyncio.Lock per key, forgotten once nobody holds or waits for it (no unbounded dict)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def key_text(*parts: object) -> str:
    return "\x1f".join(str(p) for p in parts)
