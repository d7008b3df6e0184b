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


def test_secrets_do_not_show_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "very-secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "very-secret" not in repr(settings) and "sk-secret" not in repr(settings)
    assert settings.llm_configured
