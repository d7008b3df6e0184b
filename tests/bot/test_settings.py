"""Settings: every field is documented in .env.example, and values parse as a user writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, setting_fields

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_exactly_the_settings() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    documented = {line.split("=", 1)[0].strip().lower() for line in lines if "=" in line and not line.startswith("#")}
    assert documented == set(setting_fields())


def test_env_example_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = Settings(_env_file=ROOT / ".env.example")  # type: ignore[call-arg]
    assert not settings.llm_configured  # blank key and URL mean "not set"
    assert settings.discord_token is None
    assert settings.spoiler_threshold == 0.35


def test_bad_values_are_rejected_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOILER_THRESHOLD", "1.7")
    with pytest.raises(SettingsError, match="spoiler_threshold"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_code_beats_the_environment_which_beats_the_env_file_which_beats_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\nexport MAX_NOTE_CHARS=111\nmax_title_chars='222'\nSPOILER_THRESHOLD=0.5\nNOT_A_SETTING=x\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("Spoiler_Threshold", "0.6")  # any case, as environment names are often written
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
    env_file.write_text("".join(f"{name.upper()}=\n" for name in setting_fields()), encoding="utf-8")
    from_file = Settings(_env_file=env_file)  # type: ignore[call-arg]
    for name in setting_fields():
        monkeypatch.setenv(name.upper(), "")
    from_env = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_file.as_dict() == defaults.as_dict() == from_env.as_dict()
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
    assert {name.lower() for name, _ in rows} == set(setting_fields())
    assert all(explanation for _, explanation in rows), [name for name, text in rows if not text]


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("reviewbot_load_sample", "false", False), ("reviewbot_load_sample", " Yes ", True),
        ("reviewbot_load_sample", "0", False), ("discord_message_content", "on", True),
        ("max_review_chars", "7000", 7000), ("max_review_chars", " 100 ", 100),
        ("spoiler_threshold", "0.5", 0.5), ("spoiler_threshold", "1", 1.0),
        ("llm_temperature", "0", 0.0), ("llm_spoiler_check", "true", True),
        ("watchlist_scope", "guild", "guild"), ("reviewbot_log_level", "DEBUG", "DEBUG"),
        ("reviewbot_db", "data/reviews.db", Path("data/reviews.db")),
        ("reviewbot_db", "postgresql://bot@db:5432/reviews", "postgresql://bot@db:5432/reviews"),
        ("openai_base_url", "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        ("openai_base_url", "   ", None), ("discord_shard_count", " ", None),
    ],
)
def test_values_written_as_text_parse_as_their_type(
    monkeypatch: pytest.MonkeyPatch, name: str, text: str, value: object
) -> None:
    monkeypatch.setenv(name.upper(), text)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert getattr(settings, name) == value
    assert type(getattr(settings, name)) is type(value)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("reviewbot_load_sample", "maybe", "must be true or false, not 'maybe'"),
        ("max_review_chars", "6k", "must be a whole number, not '6k'"),
        ("max_review_chars", "99", "must be at least 100, not 99"),
        ("llm_timeout_seconds", "0", "must be more than 0, not 0.0"),
        ("spoiler_threshold", "nan", "must be a number, not 'nan'"),
        ("llm_max_retries", "11", "must be at most 10, not 11"),
        ("watchlist_scope", "server", "must be one of 'global', 'guild', not 'server'"),
        ("reviewbot_log_level", "debug", "must be one of 'DEBUG', 'INFO', 'WARNING', 'ERROR', not 'debug'"),
    ],
)
def test_a_bad_value_names_the_setting_and_what_it_must_be(
    monkeypatch: pytest.MonkeyPatch, name: str, text: str, problem: str
) -> None:
    monkeypatch.setenv(name.upper(), text)
    with pytest.raises(SettingsError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert str(caught.value) == f"setting {name} is invalid: {problem}"
    assert (caught.value.setting, caught.value.problem) == (name, problem)


def test_values_given_in_code_are_parsed_and_checked_like_text() -> None:
    settings = Settings(_env_file=None, max_note_chars="42", discord_token="tok", llm_spoiler_check=False)  # type: ignore[call-arg]
    assert settings.max_note_chars == 42 and settings.llm_spoiler_check is False
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == "tok"
    with pytest.raises(SettingsError, match="max_note_chars"):
        Settings(_env_file=None, max_note_chars=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unknown settings: max_notes"):
        Settings(_env_file=None, max_notes=10)  # type: ignore[call-arg]


def test_replace_keeps_what_was_given_and_checks_the_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """One-shot commands switch background digests off on a copy; what the user gave (e.g. a timeout,
    which tunes a local server's other limits) must still read as given."""
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "90")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    copy = settings.replace(llm_background_digests=False)
    assert copy.llm_background_digests is False and settings.llm_background_digests is True
    assert copy.llm_timeout_seconds == 90.0 and copy.reviewbot_db == settings.reviewbot_db
    assert copy.given == {"llm_timeout_seconds", "llm_background_digests"}
    with pytest.raises(SettingsError, match="max_watchlist_size"):
        settings.replace(max_watchlist_size=0)
    monkeypatch.setenv("MAX_NOTE_CHARS", "77")  # changed since: a copy is of the settings, not the environment
    assert settings.replace(max_title_chars=50).max_note_chars == 500


def test_a_bad_setting_is_one_line_on_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "SPOILER_THRESHOLD": "high"}
    result = subprocess.run([sys.executable, "-m", "bot", "film", "se7en"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "reviewbot: setting spoiler_threshold is invalid: must be a number, not 'high'\n"
