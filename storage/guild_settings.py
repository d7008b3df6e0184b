"""Per-server settings chosen with /admin settings. A missing row or a NULL column means "the
bot's default", so a server that never changed anything has no row at all."""

from __future__ import annotations

from storage.db import Database
from storage.records import GuildSettings


class GuildSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: str) -> GuildSettings:
        row = await self._db.fetchone(
            "SELECT spoilers_in_channel, llm_cooldown_seconds FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return GuildSettings()
        return GuildSettings(
            spoilers_in_channel=None if row[0] is None else bool(row[0]), llm_cooldown_seconds=row[1]
        )

    async def put(self, guild_id: str, settings: GuildSettings) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO guild_settings (guild_id, spoilers_in_channel, llm_cooldown_seconds) VALUES (?,?,?) "
                "ON CONFLICT (guild_id) DO UPDATE SET spoilers_in_channel = excluded.spoilers_in_channel, "
                "llm_cooldown_seconds = excluded.llm_cooldown_seconds, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (
                    guild_id,
                    None if settings.spoilers_in_channel is None else int(settings.spoilers_in_channel),
                    settings.llm_cooldown_seconds,
                ),
            )
