"""Progress reports for long imports, throttled and always delivered on the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

Progress = Callable[[str, int, int], None]  # (stage, done, total)
INTERVAL_SECONDS = 0.25


class Throttle:
    """Forwards `update(stage, done, total)` to a `Progress` callback at a readable rate.

    A stage's first and last updates always go through (so a front door can draw 0% and 100%);
    in between at most one every `interval` seconds, whatever the file's size. Updates made in a
    worker thread (parsing, spoiler scoring) are handed to the event loop with
    `call_soon_threadsafe`, so the callback never runs concurrently with the loop: it may touch
    the terminal or a Discord message without locks. Made on the loop thread (or with no loop).
    """

    def __init__(
        self,
        progress: Progress | None,
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        self._progress = progress
        self._loop = loop
        self._interval = interval
        self._stage = ""
        self._last = 0.0
        self._sent: tuple[str, int, int] | None = None

    @classmethod
    def on_running_loop(cls, progress: Progress | None, *, interval: float = INTERVAL_SECONDS) -> Throttle:
        return cls(progress, asyncio.get_running_loop(), interval=interval)

    def update(self, stage: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        if (stage, done, total) == self._sent:
            return
        if stage == self._stage and done < total and now - self._last < self._interval:
            return
        self._stage, self._last, self._sent = stage, now, (stage, done, total)
        if self._loop is None or _running_loop() is self._loop:
            self._progress(stage, done, total)
        else:
            self._loop.call_soon_threadsafe(self._progress, stage, done, total)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
