"""`reviewbot run` / `reviewbot sync`: one-line explanations instead of tracebacks, and a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from bot.cli import main
from bot.discord_app.runner import run_bot, sync_commands
from tests.bot.discord_app.harness import discord_settings
from tests.fakes.fake_discord import FakeDiscord

COMMANDS = {"summary", "film", "reviews", "review", "watchlist", "ask", "help", "privacy", "admin"}


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def test_missing_token_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "DISCORD_TOKEN" in line and "reviewbot chat" in line
    assert main(["sync"]) == 2


async def test_rejected_token_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeDiscord() as fake:
        settings = discord_settings(fake, tmp_path / "db.sqlite", discord_token="not-the-token")
        assert await run_bot(settings) == 1
        assert "rejected DISCORD_TOKEN" in one_line(capsys.readouterr().err)
        assert await sync_commands(settings, None) == 1
        assert "rejected" in one_line(capsys.readouterr().err)


async def test_unreachable_discord_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with FakeDiscord() as fake:
        settings = discord_settings(fake, tmp_path / "db.sqlite", discord_api_base=f"http://127.0.0.1:{port}/api/v10")
        assert await run_bot(settings) == 1
    assert "cannot reach Discord" in one_line(capsys.readouterr().err)


async def test_sync_to_a_guild_and_globally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeDiscord() as fake:
        settings = discord_settings(fake, tmp_path / "db.sqlite")
        assert await sync_commands(settings, fake.guild_id) == 0
        assert {c["name"] for c in fake.commands[fake.guild_id]} == COMMANDS
        assert None not in fake.commands, "a guild sync leaves global commands alone"
        out = capsys.readouterr().out
        assert "Registered 9 commands to server" in out and "/watchlist" in out
        puts = [r for r in fake.requests if r.method == "PUT"]
        assert puts[0].path.endswith(f"/guilds/{fake.guild_id}/commands")
        assert puts[0].authorization == f"Bot {fake.token}"

        assert await sync_commands(settings, None) == 0
        assert {c["name"] for c in fake.commands[None]} == COMMANDS
        assert "globally" in capsys.readouterr().out

        assert await sync_commands(settings, "123") == 1, "a server the bot is not in"
        assert "applications.commands" in one_line(capsys.readouterr().err)
        assert await sync_commands(settings, "not-a-number") == 2
        assert "server id" in one_line(capsys.readouterr().err)
        assert not [r for r in fake.requests if "gateway" in r.path], "sync never connects to the gateway"


async def test_run_answers_commands_and_stops_cleanly_on_sigterm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeDiscord() as fake:
        settings = discord_settings(fake, tmp_path / "db.sqlite")
        assert await sync_commands(settings, None) == 0
        running = asyncio.create_task(run_bot(settings))
        await fake.wait_for(lambda: fake.identify is not None or running.done(), within=10)
        assert not running.done(), running
        assert fake.identify is not None
        assert fake.identify["intents"] == (1 << 0) | (1 << 9), "guilds + guild messages, nothing privileged"
        ix = await fake.command("help")
        await fake.wait_for(lambda: ix.callbacks)
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(running, 10) == 0
        assert fake._ws is None, "the gateway connection was closed"
    # The invite link: this application, both scopes, and exactly the permissions the bot uses.
    (invite,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Invite me")]
    query = parse_qs(urlsplit(invite.split(": ", 1)[1]).query)
    assert query["client_id"] == [str(fake.app_id)] and query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted.send_messages and granted.embed_links and granted.attach_files and granted.create_public_threads
    assert granted.send_messages_in_threads and granted.read_message_history
    assert not (granted.administrator or granted.manage_messages or granted.mention_everyone)
