"""README.md is the front page: at most 300 lines, and every command it shows works as shown.

- ```console blocks: each `$ command` runs for real (through bash, `reviewbot` on the PATH) on a fresh
  copy of the sample database; its output must be the lines that follow it.
- ```bash blocks: each `reviewbot …` line runs for real and succeeds (`run` and `sync` need Discord:
  they are parsed, not run); the install lines name extras that exist.
- ```dotenv blocks: every line is a real setting with a valid value.
- Inline `reviewbot …` spans parse; inline `/command` spans exist in the Discord command tree, and
  those the terminal chat has too run there without error.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from discord import app_commands

from bot.app import Services
from bot.cli import build_parser
from bot.discord_app.bot import ReviewBot
from bot.errors import ReviewBotError
from bot.settings import Settings, setting_fields
from bot.terminal.commands import ChatSession
from tests.bot.terminal.helpers import clean_env

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
CHAT_ONLY_IN_DISCORD = {"admin"}


def blocks(language: str) -> list[str]:
    return [textwrap.dedent(m.group(3)) for m in _BLOCK.finditer(README) if m.group(2) == language]


def prose() -> str:
    return _BLOCK.sub("", README)


@pytest.fixture
def shell(tmp_path: Path, sample_db_template: Path) -> dict[str, str]:
    """An environment where `reviewbot` is this checkout, on a fresh copy of the sample database."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "reviewbot"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bot "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    db = tmp_path / "readme.db"
    shutil.copyfile(sample_db_template, db)
    env = clean_env(REVIEWBOT_DB=str(db), COLUMNS="100")
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def run(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], env=env, cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


def test_readme_is_short() -> None:
    assert len(README.splitlines()) <= 300


def test_console_examples_show_the_real_output(shell: dict[str, str], tmp_path: Path) -> None:
    examples = blocks("console")
    assert examples, "the README shows real output"
    for block in examples:
        commands: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            else:
                commands[-1][1].append(line.rstrip())
        for command, expected in commands:
            done = run(command, shell, tmp_path)
            shown = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
            assert shown == expected, f"$ {command}\n" + "\n".join(shown)


def test_bash_commands_run(shell: dict[str, str], tmp_path: Path) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    ran = 0
    for block in blocks("bash"):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("python3 -m venv .venv && .venv/bin/pip install -q "):
                for extra in re.findall(r"\.\[(\w+)\]", line):
                    assert extra in extras, line
                continue
            assert line.startswith("reviewbot "), f"a README command this test does not know how to check: {line}"
            argv = shlex.split(line)[1:]
            if argv[0] in ("run", "sync"):  # need Discord: parsed only (tests/bot/discord_app run them)
                build_parser().parse_args(argv)
                continue
            done = run(line, shell, tmp_path)
            assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
            assert "Traceback" not in done.stderr and "INFO" not in done.stderr
            ran += 1
    assert ran >= 5


def test_dotenv_examples_are_real_settings(tmp_path: Path) -> None:
    for block in blocks("dotenv"):
        for line in block.splitlines():
            assert "=" in line, line
            assert line.split("=", 1)[0].lower() in setting_fields(), line
        env_file = tmp_path / ".env"
        env_file.write_text(block, encoding="utf-8")
        assert Settings(_env_file=env_file).llm_configured  # type: ignore[call-arg]


def test_inline_reviewbot_commands_parse() -> None:
    spans = [s for s in _INLINE.findall(prose()) if s.startswith("reviewbot ")]
    assert spans
    for span in spans:
        argv = shlex.split(span.replace("…", "x"))[1:]
        build_parser().parse_args(argv)


async def test_slash_commands_exist_in_discord_and_run_in_the_chat(services: Services) -> None:
    bot = ReviewBot(services)
    await bot.setup_hook()
    tree = {c.name: c for c in bot.tree.get_commands()}
    await bot.close()
    chat = ChatSession(services, user_id="readme")
    spans = [s for s in _INLINE.findall(prose()) if re.match(r"/[a-z]", s)]
    assert len(spans) >= 10
    for span in spans:
        name, *rest = span[1:].split()
        assert name in tree or name == "quit", span
        command = tree.get(name)
        if isinstance(command, app_commands.Group) and rest:
            assert rest[0] in {c.name for c in command.commands}, span
        if name in CHAT_ONLY_IN_DISCORD or (isinstance(command, app_commands.Group) and not rest):
            continue
        arguments = rest[1:] if isinstance(command, app_commands.Group) else rest
        try:
            await chat.handle(span)
        except ReviewBotError as error:  # only a command named without its argument, e.g. `/summary`
            assert not arguments and "There's no /" not in error.message, f"{span}: {error.message}"
