"""Progress throttling, and delivery on the event loop from worker threads."""

from __future__ import annotations

import asyncio
import threading

from bot.importers.progress import Throttle


def test_first_and_last_of_a_stage_always_pass_in_between_throttled() -> None:
    calls: list[tuple[str, int, int]] = []
    throttle = Throttle(lambda *a: calls.append(a), interval=3600)
    for n in range(1001):
        throttle.update("scoring", n, 1000)
    throttle.update("writing", 0, 10)
    throttle.update("writing", 10, 10)
    throttle.update("writing", 10, 10)  # repeated: dropped
    assert calls == [("scoring", 0, 1000), ("scoring", 1000, 1000), ("writing", 0, 10), ("writing", 10, 10)]


def test_no_interval_forwards_everything() -> None:
    calls: list[tuple[str, int, int]] = []
    throttle = Throttle(lambda *a: calls.append(a), interval=0)
    for n in range(5):
        throttle.update("checking", n, 4)
    assert len(calls) == 5


def test_none_callback_is_a_no_op() -> None:
    Throttle(None).update("reading", 1, 2)


async def test_updates_from_a_worker_thread_run_on_the_loop() -> None:
    threads: list[int] = []
    calls: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        threads.append(threading.get_ident())
        calls.append(done)

    throttle = Throttle.on_running_loop(progress, interval=0)

    def work() -> None:
        for n in range(50):
            throttle.update("scoring", n, 49)

    await asyncio.to_thread(work)
    await asyncio.sleep(0)
    assert calls == list(range(50))
    assert set(threads) == {threading.get_ident()}
