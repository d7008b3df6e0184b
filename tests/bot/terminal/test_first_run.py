"""What a new user meets in the first minutes: --version, quiet output, --json everywhere, pipes that
close early, odd bytes on the command line, and user text that looks like terminal markup."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from tests.bot.terminal.helpers import clean_env
from tests.fakes.fake_discord import FakeDiscord


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == "reviewbot 0.1.0"


def _leaf_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [path]
    return [leaf for name, child in subs[0].choices.items() for leaf in _leaf_parsers(child, (*path, name))]


def test_every_one_shot_command_takes_json() -> None:
    interactive = {("chat",), ("run",), ("sync",)}
    leaves = [leaf for leaf in _leaf_parsers(build_parser()) if leaf not in interactive]
    assert ("watchlist", "list") in leaves and ("privacy", "export") in leaves
    positional = {("reviews", "add"): ["--film", "x", "--text-file", "f"], ("privacy", "export"): ["--user", "u"],
                  ("privacy", "delete"): ["--user", "u"], ("watchlist", "list"): [], ("db", "check"): [],
                  ("db", "copy"): ["from.db", "to.db"]}
    for leaf in leaves:
        argv = positional.get(leaf, ["x"])
        args = build_parser().parse_args([*leaf, *argv, "--json"])
        assert args.json is True, leaf


def test_watchlist_list_and_privacy_export_as_json(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watchlist", "--user", "ana", "add", "Parasite", "--db", cli_db]) == 0
    capsys.readouterr()
    assert main(["watchlist", "--user", "ana", "list", "--json", "--db", cli_db]) == 0
    assert [e["film"] for e in json.loads(capsys.readouterr().out)] == ["Parasite (2019)"]
    assert main(["privacy", "export", "--user", "ana", "--json", "--db", cli_db]) == 0
    assert json.loads(capsys.readouterr().out)["user_id"] == "ana"
    assert main(["privacy", "delete", "--user", "ana", "--yes", "--json", "--db", cli_db]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"]["watchlist_entries"] == 1
    assert main(["privacy", "delete", "--user", "ana", "--json", "--db", cli_db]) == 1, "--json never prompts"
    assert "--yes" in json.loads(capsys.readouterr().out)["error"]


def test_a_new_database_starts_without_log_lines(tmp_path: Path) -> None:
    """Creating the database and loading the sample is not news for a person reading the output."""
    env = clean_env(REVIEWBOT_DB=str(tmp_path / "new.db"))
    done = subprocess.run([sys.executable, "-m", "bot", "film", "Se7en"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0 and "David Fincher" in done.stdout
    assert done.stderr == ""
    verbose = subprocess.run([sys.executable, "-m", "bot", "-v", "film", "Se7en"], capture_output=True, text=True,
                             env=env, cwd=tmp_path, timeout=120, check=False)
    assert "DEBUG" in verbose.stderr, "-v still shows the logs"


def test_a_closed_pipe_is_no_traceback(cli_db: str, tmp_path: Path) -> None:
    """`reviewbot reviews list se7en --json | head -c 100`: the reader is gone before we write."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "reviews", "list", "se7en", "--json", "--db", cli_db],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(), cwd=tmp_path,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141
    assert err == ""


def test_non_utf8_arguments_are_a_clear_error(cli_db: str, tmp_path: Path) -> None:
    for argv in ([b"watchlist", b"--user", b"\xff", b"list"], [b"film", b"Am\xe9lie"]):
        done = subprocess.run([sys.executable.encode(), b"-m", b"bot", *argv, b"--db", cli_db.encode()],
                              capture_output=True, env=clean_env(), cwd=tmp_path, timeout=120, check=False)
        err = done.stderr.decode()
        assert done.returncode == 1 and "Traceback" not in err
        assert err.count("\n") == 1 and "not valid UTF-8" in err and ("\\xff" in err or "\\xe9" in err), err
    argv = [sys.executable.encode(), b"-m", b"bot", b"film", b"\xff", b"--json", b"--db", cli_db.encode()]
    done = subprocess.run(argv, capture_output=True, env=clean_env(), cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 1 and "UTF-8" in json.loads(done.stdout)["error"]


HOSTILE_AUTHORS = ["[/bold]", "[link=https://evil.example]click[/link]", "\x1b]8;;https://evil.example\x1b\\x"]


def test_user_text_is_never_terminal_markup(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich renders as for a real terminal (links and styles)
    review = tmp_path / "review.txt"
    review.write_text("A [bold]tense[/bold] and precise thriller, with acting that stays with you.", encoding="utf-8")
    for author in HOSTILE_AUTHORS:
        assert main(["reviews", "add", "--film", "Se7en", "--text-file", str(review), "--author", author,
                     "--db", cli_db]) == 0
    capsys.readouterr()
    assert main(["reviews", "list", "Se7en", "--db", cli_db]) == 0
    out = capsys.readouterr().out
    assert "[/bold]" in out and "[link=https://evil.example]click[/link]" in out and "[bold]tense[/bold]" in out
    assert "\x1b]8;" not in out, "no hidden hyperlink"
    assert "\\x1b]8;;https://evil.example" in out, "the escape sequence is shown, not obeyed"


async def test_a_rejected_token_is_one_line(cli_db: str, tmp_path: Path) -> None:
    """No library warnings (voice support) or INFO lines from discord.py before the one line that matters."""
    async with FakeDiscord() as fake:
        env = clean_env(DISCORD_TOKEN="not-the-token", DISCORD_API_BASE=fake.api_base,
                        DISCORD_GATEWAY_URL=fake.gateway_url, REVIEWBOT_DB=cli_db)
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        out, err = await child.communicate()
    assert child.returncode == 1
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "rejected DISCORD_TOKEN" in lines[0], err.decode()
    assert out == b""


def test_a_film_not_in_the_catalogue_says_how_to_add_it(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "Citizen Kane", "--db", cli_db]) == 1
    err = capsys.readouterr().err
    assert "“Citizen Kane” in the catalogue" in err and "reviewbot import FILE" in err and "Did you mean" not in err
    assert main(["summary", "Parasit 2", "--db", cli_db]) == 1
    err = capsys.readouterr().err
    assert "Did you mean “Parasite (2019)”?" in err and "reviewbot import FILE" in err
