"""/help: what the bot can do, briefly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import Interaction
from bot.discord_app.features.help import render

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot


class HelpCog(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What this bot can do")
    async def help(self, interaction: Interaction) -> None:
        embed = render.help_embed(self.bot.services.engine_name, self.bot.llm_cooldown.seconds)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(HelpCog(bot))
