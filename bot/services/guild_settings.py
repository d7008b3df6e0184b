"""Per-server settings (/admin settings): read on every LLM command, so they are cached in memory
and the cache is updated on every change (one process owns the database's writes)."""

from __future__ import annotations

from dataclasses import replace

from bot.errors import InvalidInput
from storage.ports import GuildSettingsStore
from storage.records import GuildSettings

MAX_COOLDOWN_SECONDS = 3600.0
_KEEP = object()  # "leave this setting as it is" (None means "back to the default")


class GuildSettingsService:
    def __init__(self, repo: GuildSettingsStore) -> None:
        self._repo = repo
        self._cache: dict[str, GuildSettings] = {}

    async def get(self, guild_id: str | None) -> GuildSettings:
        """A server's settings; outside servers (DMs) always the defaults."""
        if guild_id is None:
            return GuildSettings()
        cached = self._cache.get(guild_id)
        if cached is None:
            cached = self._cache[guild_id] = await self._repo.get(guild_id)
        return cached

    async def update(
        self,
        guild_id: str,
        *,
        spoilers_in_channel: bool | object | None = _KEEP,
        llm_cooldown_seconds: float | object | None = _KEEP,
    ) -> GuildSettings:
        """Change some settings; pass None to go back to the bot's default for that one."""
        current = await self.get(guild_id)
        changes: dict[str, object] = {}
        if spoilers_in_channel is not _KEEP:
            changes["spoilers_in_channel"] = spoilers_in_channel
        if llm_cooldown_seconds is not _KEEP:
            if isinstance(llm_cooldown_seconds, int | float) and not 0 <= llm_cooldown_seconds <= MAX_COOLDOWN_SECONDS:
                raise InvalidInput(f"The cooldown goes from 0 to {MAX_COOLDOWN_SECONDS:g} seconds.")
            changes["llm_cooldown_seconds"] = llm_cooldown_seconds
        updated = replace(current, **changes)  # type: ignore[arg-type]
        await self._repo.put(guild_id, updated)
        self._cache[guild_id] = updated
        return updated
