"""The bot: a `commands.Bot` that is handed the already-open services (discord.py's
advanced_startup pattern), loads one cog per feature in `setup_hook`, and can shut down gracefully.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Services
from bot.discord_app.access import Access
from bot.discord_app.replies import EDIT_INTERVAL
from bot.discord_app.tree import BotRestarting, ReviewTree, report_error
from bot.services.limits import Cooldown, RateLimit

log = logging.getLogger(__name__)

EXTENSIONS = tuple(
    f"bot.discord_app.features.{feature}.cog"
    for feature in ("summary", "films", "reviews", "watchlist", "ask", "help", "privacy", "admin")
)  # each feature's cog module registers its command(s) and its buttons
MAX_WORK_SECONDS = 14 * 60  # an interaction token lives 15 minutes
CONFIRM_TIMEOUT = 60.0  # seconds a "Delete everything?" question waits for an answer
IDENTIFY_INTERVAL = 5.0  # seconds between two shards' IDENTIFY (Discord's max_concurrency 1)
UNKNOWN_COMPONENT = (
    "That button no longer works (it may come from an older version of me). "
    "Run the command again for a fresh one."
)


def intents_for(message_content: bool) -> discord.Intents:
    """Only what the bot uses. Slash commands need no intent at all; `guilds` keeps channels and
    threads in the cache, `guild_messages` delivers follow-up messages in conversation threads (their
    text arrives only when they mention the bot, unless the privileged Message Content intent is
    switched on with DISCORD_MESSAGE_CONTENT)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = message_content
    return intents


class ReviewBot(commands.AutoShardedBot):
    """Sharded as Discord asks (GET /gateway/bot), or the range DISCORD_SHARD_IDS of
    DISCORD_SHARD_COUNT, so several processes on several machines can serve one bot: everything
    they must agree on (cooldowns, budgets, caches, button state) lives in the shared database."""

    def __init__(
        self,
        services: Services,
        *,
        guild_ready_timeout: float = 2.0,
        shutdown_grace: float = 10.0,
        identify_interval: float = IDENTIFY_INTERVAL,
    ) -> None:
        settings = services.settings
        shards: dict[str, Any] = {}  # none given: as many as Discord recommends, all run here
        if settings.discord_shard_count is not None:
            shards["shard_count"] = settings.discord_shard_count
        if settings.shard_ids is not None:
            shards["shard_ids"] = settings.shard_ids
        super().__init__(
            **shards,
            command_prefix=commands.when_mentioned,  # unused: the bot has slash commands only
            help_command=None,
            intents=intents_for(settings.discord_message_content),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=ReviewTree,
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            guild_ready_timeout=guild_ready_timeout,
        )
        self.services = services
        self.settings = settings
        # In the database, so a burst (or several processes) can't slip past them: see services/limits.py.
        self.llm_cooldown = Cooldown(services.limits, "llm", settings.discord_command_cooldown_seconds)
        self.write_limit = RateLimit(services.limits, "write", settings.discord_write_rate_per_minute)
        self.access = Access.from_settings(settings)  # the channel and role allow/block lists
        # The LLM engine has its own timeout and falls back to the offline answer; this is the backstop.
        per_try = settings.llm_timeout_seconds * (settings.llm_max_retries + 1)
        self.work_timeout = min(MAX_WORK_SECONDS, per_try + 30.0)
        self.shutdown_grace = shutdown_grace
        self.edit_interval = EDIT_INTERVAL  # seconds between edits of a streaming answer
        self.confirm_timeout = CONFIRM_TIMEOUT
        self.closing = False
        self.identify_interval = identify_interval
        self._in_flight: dict[asyncio.Task[Any], discord.Interaction[Any] | discord.Message] = {}
        self._component_ids: list[re.Pattern[str]] = []  # the custom_ids of every registered button
        _guard_parsers(self._connection.parsers)

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        super().add_dynamic_items(*items)
        self._component_ids.extend(item.__discord_ui_compiled_template__ for item in items)

    async def on_interaction(self, interaction: discord.Interaction[Any], /) -> None:
        """Answer a button (or menu, or form) no feature knows; discord.py drops those silently,
        and the person would see "This interaction failed"."""
        if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            return
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        if any(pattern.fullmatch(custom_id) for pattern in self._component_ids):
            return
        log.info("Answered a press of an unknown component (%d characters of custom_id)", len(custom_id))
        try:
            await interaction.response.send_message(UNKNOWN_COMPONENT, ephemeral=True)
        except discord.HTTPException:
            log.warning("Could not answer an unknown component", exc_info=True)

    async def setup_hook(self) -> None:
        # Buttons carry their state in their custom_id, so they keep working after a restart.
        for extension in EXTENSIONS:
            await self.load_extension(extension)

    async def on_ready(self) -> None:
        log.info(
            "Connected as %s (id %s) to %d server(s) on shard(s) %s of %s", self.user, self.user and self.user.id,
            len(self.guilds), _ranges(sorted(self.shards)), self.shard_count,
        )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Discord lets a bot start one session per `identify_interval` (5 s): the shards of this
        process identify one after another. (Tests set it to 0: the fake Discord has no such limit.)"""
        if not initial:
            await asyncio.sleep(self.identify_interval)

    async def charge_llm(self, user_id: int, guild_id: int | None) -> None:
        """Start the person's LLM cooldown (the server's own length when it set one, /admin settings),
        or refuse when one runs: atomic, so of a burst of requests only the first goes on."""
        own = await self.services.guilds.get(str(guild_id) if guild_id else None)
        await self.llm_cooldown.start(str(user_id), own.llm_cooldown_seconds)

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: messages are only read by the ask cog's thread follow-ups."""

    # --- work in progress ------------------------------------------------------------------------
    def track(self, origin: discord.Interaction[Any] | discord.Message) -> None:
        """Remember the current task as work for `origin`, until the task ends."""
        if self.closing and isinstance(origin, discord.Message):
            raise BotRestarting()
        task = asyncio.current_task()
        if task is not None and task not in self._in_flight:
            self._in_flight[task] = origin
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._in_flight.pop(task, None)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def drain(self, seconds: float) -> set[asyncio.Task[Any]]:
        """Wait up to `seconds` for the work in progress; returns what is still running."""
        deadline = time.monotonic() + seconds
        pending = {t for t in self._in_flight if t is not asyncio.current_task()}
        while pending and time.monotonic() < deadline:
            _, pending = await asyncio.wait(pending, timeout=deadline - time.monotonic())
            pending |= {t for t in self._in_flight if t is not asyncio.current_task()}  # started meanwhile
            pending = {t for t in pending if not t.done()}
        return pending

    async def close(self) -> None:
        """discord.py's AutoShardedClient.close assumes `connect` ran (it posts to the event queue
        `connect` creates): a bot that only logged in (`reviewbot sync`) or never started would
        fail on its way out. Such a bot gets an empty queue first (nothing reads it)."""
        if not hasattr(self, "_AutoShardedClient__queue"):
            self._AutoShardedClient__queue: asyncio.PriorityQueue[Any] = asyncio.PriorityQueue()
        await super().close()

    async def shutdown(self) -> None:
        """Stop taking new work, let work in progress finish (or answer it), then disconnect."""
        if self.closing:
            return
        self.closing = True
        log.info("Shutting down: finishing %d interaction(s) in progress", self.in_flight)
        unfinished = await self.drain(self.shutdown_grace)
        for task in unfinished:
            origin = self._in_flight.get(task)
            task.cancel()
            if isinstance(origin, discord.Interaction):
                await report_error(origin, BotRestarting())
            elif isinstance(origin, discord.Message):
                await self._say_restarting(origin)
        if unfinished:
            await asyncio.wait(unfinished, timeout=2.0)
        await self.close()

    @staticmethod
    async def _say_restarting(message: discord.Message) -> None:
        try:
            await message.reply(str(BotRestarting()), mention_author=False)
        except discord.HTTPException:
            log.warning("Could not tell %s that the bot is restarting", message.author.id, exc_info=True)


def _ranges(ids: list[int]) -> str:
    """[0, 1, 2, 5] → "0-2,5", for the log line."""
    parts: list[str] = []
    for i in ids:
        if parts and parts[-1].rsplit("-", 1)[-1] == str(i - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{i}"
        else:
            parts.append(str(i))
    return ",".join(parts)
def _guard_parsers(parsers: dict[str, Callable[[Any], Any]]) -> None:
    """Wrap discord.py's gateway event parsers so one malformed event (an interaction whose user id
    is not a number, say) is logged and dropped: unguarded, its exception ends `Client.connect`,
    and with it the bot. The event's data is not logged (it can hold what people wrote)."""
    for event, parse in list(parsers.items()):
        parsers[event] = _guarded(event, parse)


def _guarded(event: str, parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def guarded(data: Any) -> Any:
        try:
            return parse(data)
        except Exception as error:
            # The type only: the message can quote the event's data.
            log.error("Dropped a malformed %s gateway event (%s)", event, type(error).__name__)
            return None

    return guarded
