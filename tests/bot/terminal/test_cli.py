"""The `reviewbot` command as a person or a script uses it: one-shot commands with --json, the
chat reading commands from a pipe, and clear errors with non-zero exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.terminal.helpers import Run


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_summary_json_has_the_documented_fields(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = cli_db
    data = run_json(capsys, "summary", "dear comrads", "--json", "--db", db)
    assert isinstance(data, dict)
    expected = {"film", "mode", "engine", "summary", "review_count", "cached", "input_tokens", "output_tokens"}
    assert expected <= data.keys()
    assert data["film"]["title"] == "Dear Comrades!" and data["mode"] == "spoiler_free"
    assert data["engine"] == "offline" and data["cached"] is False and data["review_count"] == 4
    again = run_json(capsys, "summary", "Dear Comrades! (2020)", "--json", "--db", db)
    assert isinstance(again, dict) and again["cached"] is True
    spoilers = run_json(capsys, "summary", "Dear Comrades!", "--spoilers", "--json", "--db", db)
    assert isinstance(spoilers, dict) and spoilers["mode"] == "spoilers"


def test_film_reviews_watchlist_and_ask(tmp_path: Path, cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = cli_db
    film = run_json(capsys, "film", "psycho 1960", "--json", "--db", db)
    assert isinstance(film, dict) and film["directors"] == ["Alfred Hitchcock"] and film["review_count"] == 4

    review = tmp_path / "review.txt"
    review.write_text("A cold, precise thriller. The acting is superb and the score unforgettable.", encoding="utf-8")
    added = run_json(capsys, "reviews", "add", "--film", "Se7en", "--text-file", str(review), "--rating", "4.5",
                     "--json", "--db", db)
    assert isinstance(added, dict) and added["created"] is True and added["film"] == "Se7en (1995)"
    listed = run_json(capsys, "reviews", "list", "Se7en", "--json", "--db", db)
    assert isinstance(listed, dict) and len(listed["reviews"]) == 5

    assert run_json(capsys, "watchlist", "--user", "ana", "--json", "add", "Parasite", "--db", db)
    entries = run_json(capsys, "watchlist", "--user", "ana", "--json", "list", "--db", db)
    assert isinstance(entries, list) and [e["film"] for e in entries] == ["Parasite (2019)"]
    other = run_json(capsys, "watchlist", "--user", "ben", "--json", "list", "--db", db)
    assert other == []

    answer = run_json(capsys, "ask", "is the acting any good?", "--film", "Parasite", "--json", "--db", db)
    assert isinstance(answer, dict) and answer["engine"] == "offline" and answer["sources"]


def test_errors_are_one_line_and_non_zero(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = cli_db
    assert main(["summary", "Psycho", "--db", db]) == 1
    err = capsys.readouterr().err
    assert "Psycho (1960)" in err and "Psycho (1998)" in err and "Traceback" not in err
    assert main(["summary", "qqqq zzzz", "--json", "--db", db]) == 1
    assert "error" in json.loads(capsys.readouterr().out)
    assert main(["watchlist", "--user", "ana", "watched", "Parasite", "--rating", "7", "--db", db]) == 1
    assert "0.5 to 5" in capsys.readouterr().err


def test_chat_reads_commands_from_a_pipe(reviewbot: Run) -> None:
    commands = "\n".join([
        "/help",
        "/summary dear comrads",
        "/film Dune",
        "/watchlist add Parasite",
        "/watchlist add Parasite",
        "/watchlist list",
        "/ask who directed Se7en?",
        "and is the music good?",
        "/bogus",
        "/quit",
        "/film Parasite",  # after /quit: never run
    ])
    done = reviewbot("chat", input=commands)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "/summary <film> [spoilers]" in out
    assert "Dear Comrades! (2020) · 4 reviews" in out and "Offline summary" in out
    assert "matches more than one film" in out and "Dune (1984)" in out and "Dune (2021)" in out
    assert "Added Parasite (2019) to your list." in out and "already on your list" in out
    assert "Se7en (1995) was directed by David Fincher." in out
    assert "music & sound in Se7en" in out  # the follow-up remembered the film
    assert "There's no /bogus command" in out
    assert out.count("> /film Parasite") == 0
    assert "Traceback" not in done.stderr
    assert done.stderr == "", "no log lines in the chat by default"
