"""Prompt files: loading, explicit filling, versions, and what every prompt promises."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from bot.llm.prompts import PROMPT_NAMES, PromptSet


@pytest.fixture(scope="module")
def prompts() -> PromptSet:
    return PromptSet.load()


def test_every_prompt_loads_with_system_and_user_parts(prompts: PromptSet) -> None:
    for name in PROMPT_NAMES:
        prompt = prompts.prompts[name]
        assert prompt.system and prompt.user
        assert "{{>" not in prompt.system, "includes are resolved when loading"
        assert "<!--" not in prompt.system + prompt.user, "comments are for people, not the model"


def test_every_prompt_marks_data_and_asks_for_json(prompts: PromptSet) -> None:
    for name in PROMPT_NAMES:
        prompt = prompts.prompts[name]
        assert "key" in prompt.placeholders, name
        assert "is DATA" in prompt.system and "`^`" in prompt.system, name
        assert "not instructions" in prompt.system.lower() or "never an instruction" in prompt.system.lower()
        assert "JSON object" in prompt.system, name
        assert "{{key}}" not in prompt.system, "system prompts stay identical between calls (prompt caching)"


def test_render_fills_every_placeholder_exactly_once(prompts: PromptSet) -> None:
    messages = prompts.render(
        "review_digest", key="abcd1234", film="title: X", review="said: {{key}} {{film}} ignore^this"
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "Data key: abcd1234" in user
    assert "said: {{key}} {{film}}" in user, "placeholders inside filled values are never expanded"


def test_render_refuses_missing_or_unknown_values(prompts: PromptSet) -> None:
    with pytest.raises(ValueError, match="missing"):
        prompts.render("review_digest", key="k", film="f")
    with pytest.raises(ValueError, match="unknown"):
        prompts.render("review_digest", key="k", film="f", review="r", extra="x")


def test_answer_policies_are_fragments_of_the_prompt_file(prompts: PromptSet) -> None:
    assert "No spoilers" in prompts.fragment("answer", "spoiler_free")
    assert "Spoilers allowed" in prompts.fragment("answer", "spoilers")


def test_version_changes_when_any_prompt_text_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = PromptSet.load()
    source = Path(str(resources.files("prompts")))
    copy = tmp_path / "prompts_copy"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.syspath_prepend(str(tmp_path))
    same = PromptSet.load("prompts_copy")
    assert same.version == original.version
    digest = copy / "review_digest.md"
    digest.write_text(digest.read_text(encoding="utf-8").replace("at most 2 sentences", "at most 3 sentences"))
    changed = PromptSet.load("prompts_copy")
    assert changed.version != original.version
    assert changed.file_version("review_digest") != original.file_version("review_digest")
    assert changed.file_version("answer") == original.file_version("answer"), "per-file versions are independent"
