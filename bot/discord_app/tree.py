"""The one place errors become replies.

Known errors (the service layer's `ReviewBotError`s, cooldowns, a restart in progress, a timeout)
become a short reply only the person sees; anything else is a bug: a generic apology for the person
and a logged traceback for us. Slash commands reach this through `ReviewTree.on_error`; buttons and
thread messages call `report_error` / `describe` themselves. No interaction is left unanswered.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.discord_app.replies import edit_original, follow_up, token_expired
from bot.errors import AmbiguousFilm, FilmNotFound, ImportFailed, RateLimited, ReviewBotError

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again in a little while."
PICK_TIP = "Tip: start typing the title and pick the film from the list."
ALREADY_ACKNOWLEDGED = 40060  # Discord's error code: "Interaction has already been acknowledged"
REMEMBERED_INTERACTIONS = 4096


class BotRestarting(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__("I'm restarting right now. Please try again in a minute.")


class Redelivered(app_commands.CheckFailure):
    """The gateway delivered an interaction we already have (it can replay events after a RESUME):
    the first delivery answers it; answering twice fails with "already acknowledged"."""

    def __init__(self) -> None:
        super().__init__("redelivered interaction")


class Refused(app_commands.CheckFailure):
    """A check's refusal carrying a service-layer error: discord.py only routes `AppCommandError`s
    raised by checks to the error handler, so the original travels inside."""

    def __init__(self, original: ReviewBotError) -> None:
        super().__init__(original.message)
        self.original = original


def describe(error: BaseException) -> tuple[str, bool]:
    """(what to tell the person, whether the error was expected)."""
    if isinstance(error, app_commands.CommandInvokeError | Refused):
        error = error.original
    if isinstance(error, FilmNotFound | AmbiguousFilm):
        return f"{error.message}\n-# {PICK_TIP}", True
    if isinstance(error, ImportFailed):
        # Its lines quote the file (a header, a value): in a code block, no markup of theirs counts.
        first, _, rest = error.message.partition("\n")
        fence = "`" * 3
        return (f"{first}\n{fence}\n{rest.replace(fence, chr(39) * 3)[:1500]}\n{fence}" if rest else first), True
    if isinstance(error, RateLimited) and error.retry_after and "again" not in error.message:
        return f"{error.message} Try again in {error.retry_after:.0f} s.", True
    if isinstance(error, ReviewBotError):
        return error.message, True
    if isinstance(error, app_commands.MissingPermissions):
        return "Only server managers (the *Manage Server* permission) can use this command.", True
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server.", True
    if isinstance(error, app_commands.CommandNotFound):
        return "I don't know that command any more. It will disappear from the list shortly.", True
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use that command here.", True
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "That took too long, so I stopped. Please try again in a little while.", True
    return APOLOGY, False


def _already_acknowledged(error: BaseException) -> bool:
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    return isinstance(original, discord.HTTPException) and original.code == ALREADY_ACKNOWLEDGED


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the person what went wrong, privately, whatever state the interaction is in."""
    if isinstance(error, Redelivered) or _already_acknowledged(error):
        # Someone else (the first delivery of this interaction) answers it: nothing to tell.
        log.info("Ignored a second delivery of interaction %s", interaction.id)
        return
    message, expected = describe(error)
    data: dict[str, Any] = dict(interaction.data or {})
    where = interaction.command.qualified_name if interaction.command else data.get("custom_id")
    if expected:
        # What people typed (a film's name, an import's rows) can be in the message: DEBUG only.
        log.info("%s in %s (user %s)", type(error).__name__, where, interaction.user.id)
        log.debug("Told user %s: %s", interaction.user.id, message)
    else:
        log.error("Unexpected error in %s (user %s)", where, interaction.user.id, exc_info=error)
    try:
        await reply_privately(interaction, message)
    except discord.HTTPException:
        log.warning("Could not tell user %s about an error in %s", interaction.user.id, where, exc_info=True)


async def reply_privately(interaction: discord.Interaction[Any], message: str) -> None:
    response = interaction.response
    if interaction.type is discord.InteractionType.autocomplete:
        if not response.is_done():
            await response.autocomplete([])
        return
    if not response.is_done():
        await response.send_message(message, ephemeral=True)
        return
    deferred = response.type is discord.InteractionResponseType.deferred_channel_message
    if deferred and interaction.extras.get("ephemeral"):
        # The private "thinking…" reply (or a progress preview shown in it) becomes the message.
        await edit_original(interaction, content=message, embeds=[], view=None, attachments=[])
        return
    if deferred:
        # A public "thinking…" reply: the first follow-up would fill it in *publicly* (Discord keeps
        # the defer's visibility), so remove it and say it privately instead.
        try:
            await interaction.delete_original_response()
        except discord.HTTPException as error:
            if token_expired(error):
                log.info("The interaction expired before its error could be reported privately")
                return
            await interaction.edit_original_response(content=message, embed=None, view=None)
            return
    await follow_up(interaction, content=message, ephemeral=True)


class ReviewTree(app_commands.CommandTree["ReviewBot"]):
    async def interaction_check(self, interaction: discord.Interaction[ReviewBot], /) -> bool:
        """Every command and autocomplete passes here first: refuse new work while shutting down,
        and let the bot track the work in progress so that a shutdown can finish it."""
        bot = interaction.client
        if self._seen_before(interaction.id):
            raise Redelivered()
        if bot.closing:
            raise BotRestarting()
        bot.access.check(interaction)
        if interaction.type is discord.InteractionType.application_command:
            bot.track(interaction)
        return True

    def _seen_before(self, interaction_id: int) -> bool:
        """Remember the newest interaction ids; True for one already seen."""
        seen: OrderedDict[int, None] = self.__dict__.setdefault("_seen_ids", OrderedDict())
        if interaction_id in seen:
            return True
        seen[interaction_id] = None
        if len(seen) > REMEMBERED_INTERACTIONS:
            seen.popitem(last=False)
        return False

    async def on_error(
        self, interaction: discord.Interaction[ReviewBot], error: app_commands.AppCommandError, /
    ) -> None:
        await report_error(interaction, error)
