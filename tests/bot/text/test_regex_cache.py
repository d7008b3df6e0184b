"""The compiled-pattern cache: what it hands out is exactly what `re.compile` makes, cold or warm, and a
damaged or foreign file is never used."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from bot.text import regex_cache
from bot.text.regex_cache import PatternCache

# Every module whose tables of patterns go through the cache.
CACHED_MODULES = (
    "bot.services.ask",
    "bot.spoilers.allowlist",
    "bot.spoilers.detector",
    "bot.spoilers.instructions",
    "bot.spoilers.lexicon",
    "bot.spoilers.names",
    "bot.summarize.offline",
    "bot.text.markdown",
    "bot.text.safety",
    "bot.text.segments",
    "bot.text.topics",
)


def _patterns_in(value: object, depth: int = 0) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        yield value
    elif depth < 4 and isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _patterns_in(item, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item, depth + 1)


def _module_patterns(module: ModuleType) -> list[re.Pattern[str]]:
    return [p for value in vars(module).values() for p in _patterns_in(value) if isinstance(p.pattern, str)]


def _all_patterns() -> list[re.Pattern[str]]:
    return [p for name in CACHED_MODULES for p in _module_patterns(importlib.import_module(name))]


def test_the_modules_compile_through_the_cache() -> None:
    for name in CACHED_MODULES:
        source = Path(importlib.import_module(name).__file__ or "").read_text(encoding="utf-8")
        assert "compile_pattern(" in source, name


def test_every_pattern_of_the_spoiler_checks_equals_what_re_compile_makes() -> None:
    """`==` on patterns compares flags and the compiled code: the checks decide exactly as before."""
    patterns = _all_patterns()
    assert len(patterns) > 300  # the tables inside tuples and dicts are found too
    for pattern in patterns:
        assert pattern == re.compile(pattern.pattern, pattern.flags), pattern.pattern[:80]


def test_patterns_from_the_file_equal_re_compile(tmp_path: Path) -> None:
    texts = [(p.pattern, p.flags) for p in _all_patterns()]
    cold = PatternCache(tmp_path / "regex.bin")
    for text, flags in texts:
        assert cold.compile(text, flags) == re.compile(text, flags)
    cold.save()
    warm = PatternCache(tmp_path / "regex.bin")
    for text, flags in texts:
        assert warm.compile(text, flags) == re.compile(text, flags)
    assert warm.new_entries == 0  # every one came from the file


def test_named_groups_and_matching_behave_as_with_re(tmp_path: Path) -> None:
    text = r"(?P<num>\d+)\s?(?:/|out of)\s?(?P<den>10|5)\b|(?P<stars>★+)"
    cache = PatternCache(tmp_path / "regex.bin")
    cache.compile(text, re.IGNORECASE)
    cache.save()
    pattern = PatternCache(tmp_path / "regex.bin").compile(text, re.IGNORECASE)
    match = pattern.search("I give it 8 out of 10.")
    assert match is not None and match.group("num", "den") == ("8", "10")
    assert pattern.groupindex == re.compile(text, re.IGNORECASE).groupindex
    assert pattern.groups == 3


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "regex.bin"
    cache = PatternCache(path)
    cache.compile(r"\bspoilers?\b", re.IGNORECASE)
    cache.save()
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01  # one bit of the stored code flipped
    path.write_bytes(bytes(data))
    reread = PatternCache(path)
    assert reread.compile(r"\bspoilers?\b", re.IGNORECASE) == re.compile(r"\bspoilers?\b", re.IGNORECASE)
    assert reread.new_entries == 1  # compiled again, not taken from the damaged file


def test_an_entry_the_engine_refuses_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "regex.bin"
    text = r"\b(?:dies|died)\b"
    bad = PatternCache(path)
    bad.compile(text)
    built, _, groups, groupindex, indexgroup = bad._new[(text, 0)]
    bad._new[(text, 0)] = (built, b"\xff\xff\xff\xff", groups, groupindex, indexgroup)  # no valid engine code
    bad.save()
    reread = PatternCache(path)
    assert reread.compile(text) == re.compile(text)
    assert reread.new_entries == 1
    reread.save()
    fixed = PatternCache(path)
    assert fixed.compile(text) == re.compile(text)
    assert fixed.new_entries == 0  # the file now holds the good entry


@pytest.mark.parametrize("content", [b"", b"reviewbot-regex-cache 1\n", b"not a cache file at all"])
def test_an_empty_or_foreign_file_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "regex.bin"
    path.write_bytes(content)
    cache = PatternCache(path)
    assert cache.compile(r"the (end|ending)\b") == re.compile(r"the (end|ending)\b")
    assert cache.new_entries == 1


def test_another_pythons_file_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "regex.bin"
    monkeypatch.setattr(regex_cache, "_build_key", lambda: "another python")
    other = PatternCache(path)
    other.compile(r"\btwist\w*")
    other.save()
    monkeypatch.undo()
    cache = PatternCache(path)
    assert cache.compile(r"\btwist\w*") == re.compile(r"\btwist\w*")
    assert cache.new_entries == 1


def test_an_invalid_pattern_raises_as_re_does(tmp_path: Path) -> None:
    with pytest.raises(re.error):
        PatternCache(tmp_path / "regex.bin").compile(r"(unclosed")


def test_an_unwritable_folder_only_costs_the_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = PatternCache(blocker / "regex.bin")  # a folder that cannot exist
    assert cache.compile(r"\bdies\b") == re.compile(r"\bdies\b")
    cache.save()  # no error
    assert not (blocker / "regex.bin").exists()


def test_entries_of_other_processes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "regex.bin"
    first, second = PatternCache(path), PatternCache(path)
    first.compile(r"\bkiller\b")
    second.compile(r"\bfinale\b")
    first.save()
    second.save()
    both = PatternCache(path)
    both.compile(r"\bkiller\b")
    both.compile(r"\bfinale\b")
    assert both.new_entries == 0
