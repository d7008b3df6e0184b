"""`reviewbot run` and `reviewbot sync`: start the bot, or register its slash commands.

Resources are opened once (`open_services`) and handed to the bot. Problems a person can fix (no
token, a rejected token, Discord unreachable, a privileged intent not enabled) are one line on
stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator

import aiohttp
import discord
import discord.http
import yarl
from discord.gateway import DiscordWebSocket

from bot.app import open_services
from bot.discord_app.bot import ReviewBot
from bot.settings import Settings

log = logging.getLogger(__name__)

NO_TOKEN = (
    "reviewbot: DISCORD_TOKEN is not set. Copy the bot token from the Discord Developer Portal "
    "(your application → Bot → Reset Token) into DISCORD_TOKEN in the environment or .env; "
    "`reviewbot chat` works without one."
)
BAD_TOKEN = (
    "reviewbot: Discord rejected DISCORD_TOKEN. Copy a fresh token from the Developer Portal "
    "(your application → Bot → Reset Token)."
)
NEEDS_INTENT = (
    "reviewbot: DISCORD_MESSAGE_CONTENT is on, but the Message Content intent is not enabled for this bot. "
    "Switch it on in the Developer Portal (Bot → Privileged Gateway Intents) or unset DISCORD_MESSAGE_CONTENT."
)


def point_discord_at(settings: Settings) -> None:
    """Use the configured REST base (e.g. a nirn-proxy) and gateway. discord.py reads both from
    class attributes, so they are set here, at start-up, rather than at import."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def _unreachable(settings: Settings, error: BaseException) -> str:
    return f"reviewbot: cannot reach Discord at {settings.discord_api_base}: {error}"


# What the bot does in a channel, and so what its invite asks for: reply and embed (summaries, cards),
# attach files (/privacy export), open threads for /ask and talk in them, read the history its
# replies point to. Nothing else: no moderation, no mentions of everyone.
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)


def invite_url(application_id: int) -> str:
    """The link a server manager opens to add the bot: both scopes (the bot user, and its slash
    commands) and the permissions above."""
    return discord.utils.oauth_url(
        application_id, permissions=PERMISSIONS, scopes=("bot", "applications.commands")
    )


async def run_bot(settings: Settings) -> int:
    if settings.discord_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    point_discord_at(settings)
    async with open_services(settings) as services:
        bot = ReviewBot(services)
        with _shutdown_on_signals(bot):
            try:
                async with bot:
                    await bot.login(settings.discord_token.get_secret_value())
                    if bot.application_id is not None:
                        print(f"Invite me to a server: {invite_url(bot.application_id)}", flush=True)
                    await bot.connect()
            except discord.LoginFailure:
                print(BAD_TOKEN, file=sys.stderr)
                return 1
            except discord.PrivilegedIntentsRequired:
                print(NEEDS_INTENT, file=sys.stderr)
                return 1
            except (aiohttp.ClientError, OSError) as error:
                print(_unreachable(settings, error), file=sys.stderr)
                return 1
    log.info("Stopped cleanly")
    return 0


async def sync_commands(settings: Settings, guild_id: str | None) -> int:
    if settings.discord_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if guild_id is not None and not guild_id.isdigit():
        print(f"reviewbot: --guild needs a server id (a number), not {guild_id!r}.", file=sys.stderr)
        return 2
    point_discord_at(settings)
    async with open_services(settings, load_sample=False) as services:
        bot = ReviewBot(services)
        try:
            async with bot:
                await bot.login(settings.discord_token.get_secret_value())  # runs setup_hook: cogs load
                guild = discord.Object(int(guild_id)) if guild_id else None
                if guild is not None:
                    bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
        except discord.LoginFailure:
            print(BAD_TOKEN, file=sys.stderr)
            return 1
        except discord.Forbidden:
            print(
                f"reviewbot: Discord refused to register commands in server {guild_id}. Is the bot in that server, "
                "invited with the applications.commands scope? The invite URL is in README.md (Run on Discord).",
                file=sys.stderr,
            )
            return 1
        except discord.HTTPException as error:
            print(f"reviewbot: Discord refused the commands: {error.text or error}", file=sys.stderr)
            return 1
        except (aiohttp.ClientError, OSError) as error:
            print(_unreachable(settings, error), file=sys.stderr)
            return 1
    names = ", ".join(f"/{c.name}" for c in synced)
    where = f"to server {guild_id}: they work there now" if guild_id else "globally: Discord may take up to an hour"
    print(f"Registered {len(synced)} commands {where}.\n{names}")
    return 0


@contextlib.contextmanager
def _shutdown_on_signals(bot: ReviewBot) -> Iterator[None]:
    """SIGINT / SIGTERM: finish or answer the interactions in progress, then close (the database is
    closed by `open_services` on the way out)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    tasks: set[asyncio.Task[None]] = set()

    def stop(sig: signal.Signals) -> None:
        log.info("%s received", sig.name)
        task = loop.create_task(bot.shutdown())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C still stops the process
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
