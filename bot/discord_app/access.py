"""Where and by whom the bot may be used: the channel and role allow/block lists of the settings
(DISCORD_ALLOWED_CHANNELS, …). Checked for every command, button and thread follow-up; a refusal
is a short private reply (tree.describe), never silence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from bot.settings import Settings

CHANNEL_REFUSED = "I'm not used in this channel here. Ask a server manager where I can be used."
ROLE_REFUSED = "You can't use me in this server (your roles aren't on my list). Ask a server manager."
DM_REFUSED = "I'm only used in some server channels, not in direct messages."


class NotAllowedHere(discord.app_commands.CheckFailure):
    pass


@dataclass(frozen=True, slots=True)
class Access:
    allowed_channels: frozenset[int] = frozenset()
    blocked_channels: frozenset[int] = frozenset()
    allowed_roles: frozenset[int] = frozenset()
    blocked_roles: frozenset[int] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        ids = Settings.ids
        return cls(
            ids(settings.discord_allowed_channels), ids(settings.discord_blocked_channels),
            ids(settings.discord_allowed_roles), ids(settings.discord_blocked_roles),
        )

    def refusal(self, channel: Any, user: Any, in_guild: bool) -> str | None:
        """Why `user` may not use the bot in `channel` (None: they may)."""
        if not in_guild:
            return DM_REFUSED if self.allowed_channels or self.allowed_roles else None
        channels = {getattr(channel, "id", None), getattr(channel, "parent_id", None)} - {None}
        if channels & self.blocked_channels or (self.allowed_channels and not channels & self.allowed_channels):
            return CHANNEL_REFUSED
        roles = {role.id for role in getattr(user, "roles", ())}
        if roles & self.blocked_roles or (self.allowed_roles and not roles & self.allowed_roles):
            return ROLE_REFUSED
        return None

    def check(self, interaction: discord.Interaction[Any]) -> None:
        """Raise NotAllowedHere (answered privately by the error handler) when refused."""
        why = self.refusal(interaction.channel, interaction.user, interaction.guild_id is not None)
        if why is not None:
            raise NotAllowedHere(why)
