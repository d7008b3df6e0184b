"""Answering interactions: deferring, showing text as it streams, and sending several pieces.

Every message inherits `allowed_mentions=AllowedMentions.none()` from the bot, so nothing written by
a reviewer or an LLM can ping anyone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

log = logging.getLogger(__name__)

EDIT_INTERVAL = 1.0  # seconds between edits of a streaming answer (Discord's rate limits allow ~5/5 s)


async def defer(interaction: discord.Interaction[Any], *, ephemeral: bool = False) -> None:
    """Acknowledge now ("thinking…"), answer within 15 minutes. Call before anything slow."""
    interaction.extras["ephemeral"] = ephemeral
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)


class LiveText:
    """A `TextCallback` that shows text growing in one message, edited at most once per `interval`.

    Edits run in a background task so the LLM stream is never held up by Discord; `close()` waits
    for an edit in progress (so no stale preview can land after the final answer) and stops.
    """

    def __init__(self, edit: Callable[[str], Awaitable[object]], *, interval: float = EDIT_INTERVAL) -> None:
        self._edit = edit
        self._interval = interval
        self._latest = ""
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.edits = 0

    async def __call__(self, text: str) -> None:
        self._latest = text
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._pump(), name="reviewbot-live-text")

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            async with self._lock:
                try:
                    await self._edit(self._latest)
                    self.edits += 1
                except discord.HTTPException:
                    log.warning("A preview edit failed; the final answer will still be sent", exc_info=True)
            await asyncio.sleep(self._interval)

    async def close(self) -> None:
        if self._task is None:
            return
        async with self._lock:
            self._task.cancel()
        await asyncio.wait([self._task])
        if not self._task.cancelled() and (error := self._task.exception()) is not None:
            log.error("The live preview stopped with an error", exc_info=error)


async def send_pieces(
    interaction: discord.Interaction[Any],
    pieces: Sequence[dict[str, Any]],
    *,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> discord.Message:
    """Fill in the deferred reply with the first piece, send the rest as follow-ups; `view` (buttons)
    goes on the last one. Returns the last message."""
    last_index = len(pieces) - 1
    message: discord.Message | None = None
    for index, piece in enumerate(pieces):
        extra: dict[str, Any] = {"view": view} if index == last_index and view is not None else {}
        if index == 0:
            message = await interaction.edit_original_response(**piece, **extra)
        else:
            message = await interaction.followup.send(**piece, **extra, ephemeral=ephemeral, wait=True)
    assert message is not None, "send_pieces needs at least one piece"
    return message
