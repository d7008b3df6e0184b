"""The title vocabulary: typo corrections, remembered per vocabulary."""

from __future__ import annotations

import pytest

from bot.services import vocabulary as vocabulary_module
from bot.services.vocabulary import Vocabulary


def test_corrections_are_known_words_within_one_or_two_edits_nearest_first() -> None:
    words = Vocabulary(["comrades", "comrade", "parasite", "paradise", "car", "dune"])
    assert words.corrections("comrads") == ["comrade", "comrades"]
    assert words.corrections("parasote") == ["parasite"]
    assert words.corrections("parassitte") == ["parasite"]  # two edits, from eight letters on
    assert words.corrections("dnue") == ["dune"]  # a swap is one edit
    assert words.corrections("cat") == []  # short words are words, not typos
    assert words.corrections("1999") == []


def test_corrections_are_remembered_and_cannot_be_changed_by_a_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    words = Vocabulary(["comrades", "comrade"])
    first = words.corrections("comrads")
    first.append("changed")
    assert words.corrections("comrads") == ["comrade", "comrades"]
    asked: list[str] = []
    original = Vocabulary._corrections

    def counted(self: Vocabulary, word: str, limit: int) -> list[str]:
        asked.append(word)
        return original(self, word, limit)

    monkeypatch.setattr(Vocabulary, "_corrections", counted)
    words.corrections("comrads")
    assert asked == []  # remembered from above
    assert words.corrections("comrads", limit=1) == ["comrade"] and asked == ["comrads"]  # another limit
    monkeypatch.setattr(vocabulary_module, "REMEMBERED_CORRECTIONS", 2)
    words.corrections("comrade")  # a third entry: the memory is full, forgotten, then holds this one
    words.corrections("comrads")
    assert asked == ["comrads", "comrade", "comrads"]
