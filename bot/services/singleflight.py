"""Single-flight: a piece of work done once however many ask for it at once, in this process or in
any other process of the bot that shares its database.

Whoever takes the work's lease (storage `LeaseStore`) does it; the others wait and look for its
result (e.g. the summary cache) until it appears or the lease comes free. Inside one process the
askers first queue on a local lock, so only one of them talks to the database while it waits. The
holder renews its lease while it works; a process that dies holding one loses it when it expires,
and a waiter takes the work over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from storage.ports import LeaseStore

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE_SECONDS = 30.0  # a dead holder's work is taken over after this long
POLL_START = 0.05  # seconds between looks while another process works; doubles up to POLL_MAX
POLL_MAX = 0.5


def process_name() -> str:
    """Who holds a lease: unique per process, readable in the database (host, pid, a random tail)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class SingleFlight:
    def __init__(
        self,
        leases: LeaseStore,
        *,
        owner: str | None = None,
        lease_seconds: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._leases = leases
        self.owner = owner or process_name()
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def run(
        self, name: str, *, done: Callable[[], Awaitable[T | None]], work: Callable[[], Awaitable[T]]
    ) -> T:
        """`done()` if it has a result, else `work()` by whichever asker holds the lease `name`.

        `done` is asked again after every wait: once the holder stored its result, the waiters
        return it. When the holder's work left nothing to find (it failed, or its answer was not
        worth keeping), the next waiter takes the lease and does the work itself.
        """
        lock = self._local.get(name)
        if lock is None:
            lock = self._local[name] = asyncio.Lock()
        async with lock:
            pause = POLL_START
            while True:
                found = await done()
                if found is not None:
                    return found
                if await self._leases.acquire(name, self.owner, self.lease_seconds, self._clock()):
                    async with self._held(name):
                        found = await done()  # it may have been finished between our look and the lease
                        return found if found is not None else await work()
                await asyncio.sleep(pause)
                pause = min(pause * 2, POLL_MAX)

    @contextlib.asynccontextmanager
    async def _held(self, name: str) -> AsyncIterator[None]:
        renewer = asyncio.create_task(self._renew(name))
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            # Shielded: a cancelled request (the bot shutting down) still frees the work for others.
            await asyncio.shield(self._leases.release(name, self.owner))

    async def _renew(self, name: str) -> None:
        """Keep the lease while the work runs (an LLM call may take minutes)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                if not await self._leases.renew(name, self.owner, self.lease_seconds, self._clock()):
                    log.warning("lease %s expired while its work ran; another process may repeat it", name)
                    return
            except Exception:  # a database hiccup: the work goes on, the lease may lapse
                log.warning("could not renew lease %s", name, exc_info=True)
