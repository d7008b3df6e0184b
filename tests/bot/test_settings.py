"""Settings: every field is documented in .env.example, and values parse as a user writes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_exactly_the_settings() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    documented = {line.split("=", 1)[0].strip().lower() for line in lines if "=" in line and not line.startswith("#")}
    assert documented == set(Settings.model_fields)


def test_env_example_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = Settings(_env_file=ROOT / ".env.example")  # type: ignore[call-arg]
    assert not settings.llm_configured  # blank key and URL mean "not set"
    assert settings.discord_token is None
    assert settings.spoiler_threshold == 0.35


def test_bad_values_are_rejected_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOILER_THRESHOLD", "1.7")
    with pytest.raises(ValidationError, match="spoiler_threshold"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_code_beats_the_environment_which_beats_the_env_file_which_beats_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\nexport MAX_NOTE_CHARS=111\nmax_title_chars='222'\nSPOILER_THRESHOLD=0.5\nNOT_A_SETTING=x\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("Spoiler_Threshold", "0.6")  # any case, as pydantic-settings matched names
    monkeypatch.setenv("UNRELATED_VARIABLE", "x")
    settings = Settings(_env_file=env_file, max_title_chars=333)  # type: ignore[call-arg]
    assert (settings.max_note_chars, settings.max_title_chars, settings.spoiler_threshold) == (111, 333, 0.6)
    assert settings.max_review_chars == 6000, "a setting given nowhere keeps its default"
    assert Settings(_env_file=env_file).max_title_chars == 222  # type: ignore[call-arg]
    assert Settings(_env_file=None).max_note_chars == 500, "no file: the environment only"  # type: ignore[call-arg]
    assert Settings(_env_file=tmp_path / "missing.env").max_note_chars == 500  # type: ignore[call-arg]
    monkeypatch.chdir(tmp_path)
    assert Settings().max_note_chars == 111, "by default, .env in the working directory"


def test_secrets_do_not_show_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "very-secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "very-secret" not in repr(settings) and "sk-secret" not in repr(settings)
    assert settings.llm_configured


def test_every_blank_setting_means_its_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`NAME=` in .env or the environment is "not set" for every field, never "" as a path or number."""
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name.upper()}=\n" for name in Settings.model_fields), encoding="utf-8")
    from_file = Settings(_env_file=env_file)  # type: ignore[call-arg]
    for name in Settings.model_fields:
        monkeypatch.setenv(name.upper(), "")
    from_env = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_file.model_dump() == defaults.model_dump() == from_env.model_dump()
    assert from_file.reviewbot_db != Path(".")


def test_a_copied_env_example_keeps_commands_working(tmp_path: Path, sample_db_template: Path) -> None:
    """The first thing a new user does: `cp .env.example .env`, then run a command."""
    import shutil
    import subprocess
    import sys

    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    home = tmp_path / "home"
    data = home / ".local" / "share" / "reviewbot"
    data.mkdir(parents=True)
    shutil.copyfile(sample_db_template, data / "reviewbot.db")  # where the blank REVIEWBOT_DB must lead
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "film", "se7en", "--json"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert '"title": "Se7en"' in result.stdout and result.stderr == ""


def test_the_configuration_reference_is_current_and_complete() -> None:
    """docs/configuration.md is generated (python -m bot.settings_doc); a new or changed setting
    without a regenerated reference, or without an explanation in .env.example, fails here."""
    from bot import settings_doc

    assert settings_doc.main(["--check"]) == 0, "run: python -m bot.settings_doc"
    rows = [row for section in settings_doc.parse_env_example((ROOT / ".env.example").read_text("utf-8"))
            for row in section.rows]
    assert {name.lower() for name, _ in rows} == set(Settings.model_fields)
    assert all(explanation for _, explanation in rows), [name for name, text in rows if not text]
