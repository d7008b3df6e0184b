"""`reviewbot db backup|check|restore` as an operator uses them, and a damaged database at start-up."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import latest_schema_version


def _titles(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT f.title FROM watchlist_entries w JOIN films f ON f.id = w.film_id")]
    finally:
        conn.close()


class _Terminal(io.StringIO):
    """Standard input as a person at a terminal: typed answers, and isatty() is true."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def live(tmp_path: Path, sample_db_template: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A database with the sample data and one watchlist entry, plus a backup taken then."""
    db = tmp_path / "live.db"
    shutil.copyfile(sample_db_template, db)  # the sample data, without loading it again
    assert main(["watchlist", "--user", "ana", "add", "Parasite", "--db", str(db)]) == 0
    capsys.readouterr()
    return db


def test_backup_check_and_restore_round_trip(live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backup = tmp_path / "backup.db"
    assert main(["db", "backup", str(backup), "--json", "--db", str(live)]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["backup"] == str(backup) and made["quick_check"] == "ok" and made["bytes"] > 0

    assert main(["db", "check", "--db", str(live)]) == 0
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "foreign keys: ok" in out

    assert main(["watchlist", "--user", "ana", "add", "Se7en", "--db", str(live)]) == 0
    assert _titles(live) == ["Parasite", "Se7en"]
    capsys.readouterr()

    assert main(["db", "restore", str(backup), "--yes", "--db", str(live)]) == 0
    out = capsys.readouterr().out
    assert f"Restored {live} from {backup}" in out and "1 watchlist entry" in out
    assert "kept as" in out and ".before-restore-" in out
    assert _titles(live) == ["Parasite"]
    kept = next(tmp_path.glob("live.db.before-restore-*"))
    assert _titles(kept) == ["Parasite", "Se7en"]

    assert main(["watchlist", "--user", "ana", "--json", "list", "--db", str(live)]) == 0  # the bot carries on
    assert [e["film"] for e in json.loads(capsys.readouterr().out)] == ["Parasite (2019)"]


def test_restore_asks_first(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "backup.db"
    assert main(["db", "backup", str(backup), "--db", str(live)]) == 0
    assert main(["watchlist", "--user", "ana", "add", "Se7en", "--db", str(live)]) == 0
    capsys.readouterr()

    # Not a terminal and no --yes: refused before anything is read.
    assert main(["db", "restore", str(backup), "--db", str(live)]) == 1
    assert "Refusing to restore without confirmation: add --yes." in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", _Terminal("no thanks\n"))
    assert main(["db", "restore", str(backup), "--db", str(live)]) == 1
    err = capsys.readouterr().err
    assert f"Backup  {backup}: 13 film(s)" in err and "1 watchlist entry" in err
    assert f"Current {live}:" in err and "2 watchlist entries" in err
    assert "Type 'restore' to confirm" in err and "Nothing was restored." in err
    assert _titles(live) == ["Parasite", "Se7en"]
    assert not list(tmp_path.glob("*.restore-*.tmp")) and not list(tmp_path.glob("*before-restore*"))

    monkeypatch.setattr("sys.stdin", _Terminal("restore\n"))
    assert main(["db", "restore", str(backup), "--db", str(live)]) == 0
    assert _titles(live) == ["Parasite"]


def test_unusable_backups_and_damaged_databases_are_one_clear_line(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n" * 100)
    assert main(["db", "restore", str(junk), "--yes", "--db", str(live)]) == 1
    err = capsys.readouterr().err
    assert f"reviewbot: {junk} is not a SQLite database." in err and "Traceback" not in err
    assert _titles(live) == ["Parasite"]

    # The same file as the bot's database: start-up says what is wrong and what to do.
    assert main(["film", "Parasite", "--db", str(junk)]) == 1
    err = capsys.readouterr().err
    assert f"The database file {junk} is not a SQLite database" in err and "reviewbot db restore" in err
    assert "Traceback" not in err
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")  # the Discord bot: the database opens first
    assert main(["run", "--db", str(junk)]) == 1
    err = capsys.readouterr().err
    assert f"The database file {junk} is not a SQLite database" in err and "Traceback" not in err

    assert main(["db", "check", "--db", str(junk)]) == 1
    captured = capsys.readouterr()
    assert "integrity: PROBLEMS" in captured.out and "file is not a database" in captured.out
    assert "reviewbot db restore" in captured.err

    assert main(["db", "check", "--json", "--db", str(tmp_path / "nowhere.db")]) == 1
    assert json.loads(capsys.readouterr().out) == {"error": f"There is no database at {tmp_path / 'nowhere.db'}."}
    assert not (tmp_path / "nowhere.db").exists()


def _bump_schema(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA user_version={version}")
        conn.commit()
    finally:
        conn.close()


def test_a_database_from_a_newer_reviewbot_is_refused_and_check_says_so(
    live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = latest_schema_version() + 1
    _bump_schema(live, newer)
    before = live.read_bytes()

    assert main(["db", "check", "--db", str(live)]) == 1
    err = capsys.readouterr().err
    assert "NEWER" in err and f"schema version {newer}" in err

    assert main(["db", "check", "--json", "--db", str(live)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["newer"] is True and report["ok"] is False and report["schema_version"] == newer

    # Any command that opens the database refuses it, names the versions, and writes nothing.
    assert main(["watchlist", "--user", "u1", "add", "Parasite", "--db", str(live)]) == 1
    err = capsys.readouterr().err
    assert "newer reviewbot" in err and f"schema version {newer}" in err and str(latest_schema_version()) in err
    assert live.read_bytes() == before
