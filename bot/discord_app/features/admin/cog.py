"""/admin delete-review | settings | import: for server managers only.

Discord hides the group from members without *Manage Server* (`default_permissions`), but a
server can change who sees a command, so every command also checks the permission itself
(`interaction_check`, and the autocomplete, which shows review text, checks too). DMs have no
/admin (`allowed_contexts`: servers only).

Scope, because the film library and its reviews are shared by every server the bot is in:
- delete-review removes only reviews written (or imported) in *this* server;
- settings are this server's own (spoiler summaries in channels, the /summary and /ask cooldown);
- import adds to the shared library, so the operator can switch it off (DISCORD_ADMIN_IMPORT).
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import Interaction, write_limit
from bot.discord_app.features.admin import render
from bot.discord_app.replies import LiveText, defer, edit_original
from bot.errors import InvalidInput, PermissionDenied
from bot.importers.progress import Throttle
from bot.importers.records import ParsedFile
from bot.services.guild_settings import MAX_COOLDOWN_SECONDS
from bot.services.importer import ImportReport, ImportService

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot

log = logging.getLogger(__name__)
MAX_IMPORT_BYTES = 25 * 1024**2  # an upload is read into memory first
IMPORT_SUFFIXES = (".json", ".csv", ".tsv", ".txt")


@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.default_permissions(manage_guild=True)
class AdminCog(
    commands.GroupCog, group_name="admin", group_description="For server managers: reviews, settings, imports"
):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot
        self._importing = asyncio.Lock()  # one import at a time: scoring a big file is CPU-heavy

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    # --- delete-review ---------------------------------------------------------------------------
    @app_commands.command(name="delete-review", description="Remove a review written in this server")
    @app_commands.describe(review="The review: type its number (shown in /reviews) or pick it from the list")
    @write_limit()
    async def delete_review(self, interaction: Interaction, review: app_commands.Range[int, 1]) -> None:
        guild = str(interaction.guild_id)
        removed = await self.bot.services.reviews.delete_in_guild(review, guild)
        log.info("Review %d removed by user %s, a manager of server %s", review, interaction.user.id, guild)
        await interaction.response.send_message(render.review_removed(removed), ephemeral=True)

    @delete_review.autocomplete("review")
    async def _review_choices(self, interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return []  # the choices quote reviews: only for those who may remove them
        try:
            found = await self.bot.services.reviews.in_guild(str(interaction.guild_id), id_prefix=current.strip())
        except Exception:
            log.exception("Review autocomplete failed")
            return []
        return [app_commands.Choice(name=render.review_choice(r, label), value=r.id) for r, label in found]

    # --- settings --------------------------------------------------------------------------------
    @app_commands.command(name="settings", description="Show or change this server's settings")
    @app_commands.describe(
        spoilers_in_channel="Post /summary spoilers:true in the channel (on) or only to the asker (off)",
        cooldown_seconds=f"Seconds between a person's /summary and /ask here (0 to {MAX_COOLDOWN_SECONDS:g})",
        reset="Go back to the bot's defaults for everything",
    )
    @write_limit()
    async def settings(
        self,
        interaction: Interaction,
        spoilers_in_channel: bool | None = None,
        cooldown_seconds: app_commands.Range[float, 0.0, MAX_COOLDOWN_SECONDS] | None = None,
        reset: bool = False,
    ) -> None:
        guilds = self.bot.services.guilds
        guild = str(interaction.guild_id)
        if reset:
            current = await guilds.update(guild, spoilers_in_channel=None, llm_cooldown_seconds=None)
        elif spoilers_in_channel is not None or cooldown_seconds is not None:
            changes: dict[str, object] = {}
            if spoilers_in_channel is not None:
                changes["spoilers_in_channel"] = spoilers_in_channel
            if cooldown_seconds is not None:
                changes["llm_cooldown_seconds"] = cooldown_seconds
            current = await guilds.update(guild, **changes)
        else:
            current = await guilds.get(guild)
        embed = render.guild_settings_embed(current, self.bot.llm_cooldown.seconds)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- import ----------------------------------------------------------------------------------
    @app_commands.command(name="import", description="Add films and reviews (or your watchlist) from a file")
    @app_commands.describe(file="Our JSON or reviews CSV, or a Letterboxd reviews.csv / watchlist.csv")
    @write_limit()
    async def import_file(self, interaction: Interaction, file: discord.Attachment) -> None:
        if not self.bot.settings.discord_admin_import:
            raise PermissionDenied("Imports from Discord are switched off for this bot (DISCORD_ADMIN_IMPORT).")
        name = _safe_name(file.filename)
        if not name.lower().endswith(IMPORT_SUFFIXES):
            raise InvalidInput(render.IMPORT_FORMATS)
        if file.size > MAX_IMPORT_BYTES:
            raise InvalidInput(render.import_too_large(file.size, MAX_IMPORT_BYTES))
        if self._importing.locked():
            raise InvalidInput("Another import is running. Please try again when it has finished.")
        async with self._importing:
            await defer(interaction, ephemeral=True)
            report = await self._import(interaction, name, await file.read())
        log.info("Import of an uploaded file by user %s in server %s: %s", interaction.user.id,
                 interaction.guild_id, report.as_json() | {"skipped": len(report.skipped)})
        await edit_original(interaction, content=render.import_report(report))

    async def _import(self, interaction: Interaction, name: str, data: bytes) -> ImportReport:
        """Parse (in a worker thread) and import the upload, showing progress in the reply. Bad
        rows are skipped and reported; reviews are tagged with this server; a watchlist file goes
        to the manager's own list."""
        live = LiveText(lambda text: interaction.edit_original_response(content=text), interval=self.bot.edit_interval)

        def progress(stage: str, done: int, total: int) -> None:
            live.show(render.import_progress(name, stage, done, total))

        importer = self.bot.services.importer
        guild = str(interaction.guild_id)
        try:
            parsed = await asyncio.to_thread(_parse_upload, importer, data, name, Throttle.on_running_loop(progress))
            return await importer.apply(
                parsed, skip_bad=True, user_id=str(interaction.user.id), scope=self.bot.services.watchlist.scope(guild),
                progress=progress, name=name, guild_id=guild,
            )
        finally:
            await live.close()

def _safe_name(filename: str) -> str:
    """The upload's name without anything a path could use (the parser reads the name: a
    Letterboxd watchlist.csv is recognised by it)."""
    return re.sub(r"[^\w.-]", "_", Path(filename).name)[-100:] or "upload"


def _parse_upload(importer: ImportService, data: bytes, name: str, throttle: Throttle) -> ParsedFile:
    """In a worker thread: the upload in a private temporary folder, parsed, then removed."""
    with tempfile.TemporaryDirectory(prefix="reviewbot-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return importer.parse_path(path, throttle=throttle)


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(AdminCog(bot))
