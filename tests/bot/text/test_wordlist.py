"""The sorted word file answers exactly as the package's set does."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from english_words import get_english_words_set

from bot.text import cache_file, wordlist
from bot.text.wordlist import WordList, _contains


@pytest.fixture(scope="module")
def web2() -> set[str]:
    words: set[str] = get_english_words_set(["web2"])
    return words


def _from_file(path: Path) -> WordList:
    words = WordList(path)
    "warm-up" in words  # noqa: B015 - the first look-up writes the file when it is missing
    return WordList(path)


def test_the_file_holds_exactly_the_packages_words(tmp_path: Path, web2: set[str]) -> None:
    path = tmp_path / "words.bin"
    _from_file(path)
    data = path.read_bytes()
    blob = data[data.index(b"\n", len(wordlist._HEADER)) + 1 + cache_file._DIGEST_SIZE :]
    assert set(blob.decode().split("\n")) == web2


def test_look_ups_in_the_file_answer_as_the_set(tmp_path: Path, web2: set[str]) -> None:
    words = _from_file(tmp_path / "words.bin")
    rng = random.Random(12)
    present = rng.sample(sorted(web2), 3000)
    ordered = sorted(web2)
    candidates = [
        *present,
        *(w[:-1] for w in present), *(w + "s" for w in present), *(w.upper() for w in present),
        *(w.capitalize() for w in present), *(w.lower() for w in present),
        ordered[0], ordered[-1], ordered[0][:-1] or "A", ordered[-1] + "z", "", "\n", "a\nb", "anna", "malcolm",
        "Malcolm", "train", "trains", "zzzzzz", "é", "naïve", "\udcff",
    ]
    for word in candidates:
        assert (word in words) == (word in web2), repr(word)
    assert words._words is None  # answered from the file, no set built


def test_contains_finds_first_last_and_nothing_between() -> None:
    blob = b"apple\nbanana\ncherry"
    assert all(_contains(blob, w) for w in (b"apple", b"banana", b"cherry"))
    assert not any(_contains(blob, w) for w in (b"", b"a", b"applf", b"banan", b"bananas", b"cherryz", b"d"))
    assert not _contains(b"", b"apple")


def test_a_damaged_file_is_not_used(tmp_path: Path, web2: set[str]) -> None:
    path = tmp_path / "words.bin"
    _from_file(path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x20  # one letter of the last word changed
    path.write_bytes(bytes(data))
    words = WordList(path)
    last = max(web2)
    assert last in words
    assert words._words is not None  # the set was loaded instead
    assert WordList(path)._read() is not None  # and the file made again


def test_a_file_from_another_version_of_the_package_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "words.bin"
    monkeypatch.setattr(wordlist, "_source_key", lambda: b"another version\n")
    _from_file(path)
    monkeypatch.undo()
    assert WordList(path)._read() is None


def test_a_loaded_set_answers_without_the_file(tmp_path: Path) -> None:
    words = WordList(tmp_path / "words.bin")
    words.load()
    assert "train" in words and "malcolm" not in words
    assert not (tmp_path / "words.bin").exists()
