"""Answering interactions: deferring, showing text as it streams, sending several pieces, and what
to do when the interaction's token has expired.

An interaction's token works for 15 minutes; after that its webhook answers 401 "Invalid Webhook
Token" (or 404 "Unknown Webhook"). Every reply made after a defer goes through `edit_original` or
`follow_up`, which then fall back, once, to a normal message in the channel, when the reply was
public and the bot may post there. A private (ephemeral) reply is never posted in the channel:
that would show it to everyone. Then, or without a channel or permission, the bot gives up with a
log line. (Rate limits, 429, are retried by discord.py itself.)

Every message inherits `allowed_mentions=AllowedMentions.none()` from the bot, so nothing written by
a reviewer or an LLM can ping anyone, and a fallback message mentions nobody either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

log = logging.getLogger(__name__)

EDIT_INTERVAL = 1.0  # seconds between edits of a streaming answer (Discord's rate limits allow ~5/5 s)
EXPIRED_CODES = frozenset({50027, 10015})  # Invalid Webhook Token, Unknown Webhook
_SENDABLE = ("content", "embed", "embeds", "view", "file", "files")


def token_expired(error: discord.HTTPException) -> bool:
    """Discord's answer to a webhook call after the interaction's 15 minutes are up."""
    return error.status == 401 or error.code in EXPIRED_CODES


def _what(interaction: discord.Interaction[Any]) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    return str(data.get("custom_id", "an interaction"))


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
        self.show(text)

    def show(self, text: str) -> None:
        """The same from synchronous code on the event loop (e.g. an import's progress callback)."""
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
                except discord.HTTPException as error:
                    if token_expired(error):
                        log.info("The interaction expired while its answer was being written; previews stop")
                        return
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


# --- replies after a defer, with the fallback ----------------------------------------------------------
async def edit_original(interaction: discord.Interaction[Any], **fields: Any) -> discord.Message | None:
    """Fill in (or change) the deferred reply. None: it could not be delivered (logged)."""
    if not interaction.extras.get("expired"):
        try:
            return await interaction.edit_original_response(**fields)
        except discord.HTTPException as error:
            if not token_expired(error):
                raise
            interaction.extras["expired"] = True
    return await to_channel(interaction, fields, ephemeral=bool(interaction.extras.get("ephemeral")))


async def follow_up(
    interaction: discord.Interaction[Any], *, ephemeral: bool = False, **fields: Any
) -> discord.Message | None:
    """Another message for the interaction. None: it could not be delivered (logged)."""
    if not interaction.extras.get("expired"):
        try:
            return await interaction.followup.send(**fields, ephemeral=ephemeral, wait=True)
        except discord.HTTPException as error:
            if not token_expired(error):
                raise
            interaction.extras["expired"] = True
    # After a defer the first follow-up takes the defer's visibility, whatever it asks for.
    private = ephemeral or bool(interaction.extras.get("ephemeral"))
    return await to_channel(interaction, fields, ephemeral=private)


async def to_channel(
    interaction: discord.Interaction[Any], fields: dict[str, Any], *, ephemeral: bool
) -> discord.Message | None:
    """The fallback once the token has expired: a normal channel message, if it may be posted."""
    what = _what(interaction)
    if ephemeral:
        log.info("The interaction for %s expired before its private answer was ready; it is not posted publicly", what)
        return None
    channel = interaction.channel
    if not isinstance(channel, discord.abc.Messageable) or not _may_post(interaction, fields):
        log.info("The interaction for %s expired and I may not post in its channel; the answer is dropped", what)
        return None
    sendable = {key: value for key, value in fields.items() if key in _SENDABLE and value is not None}
    try:
        message = await channel.send(**sendable)
    except discord.HTTPException:
        log.warning("The interaction for %s expired and posting its answer in the channel failed", what, exc_info=True)
        return None
    log.info("The interaction for %s expired; its answer was posted in the channel instead", what)
    return message


def _may_post(interaction: discord.Interaction[Any], fields: dict[str, Any]) -> bool:
    if interaction.guild_id is None:
        return True  # a DM with the bot
    allowed = interaction.app_permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    if not (allowed.send_messages_in_threads if in_thread else allowed.send_messages):
        return False
    return allowed.embed_links or not (fields.get("embed") or fields.get("embeds"))


async def send_pieces(
    interaction: discord.Interaction[Any],
    pieces: Sequence[dict[str, Any]],
    *,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> discord.Message | None:
    """Fill in the deferred reply with the first piece, send the rest as follow-ups; `view` (buttons)
    goes on the last one. Returns the last message (None: it could not be delivered)."""
    last_index = len(pieces) - 1
    message: discord.Message | None = None
    for index, piece in enumerate(pieces):
        extra: dict[str, Any] = {"view": view} if index == last_index and view is not None else {}
        if index == 0:
            message = await edit_original(interaction, **piece, **extra)
        else:
            message = await follow_up(interaction, **piece, **extra, ephemeral=ephemeral)
    return message
