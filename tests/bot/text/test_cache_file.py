"""Sealed cache files: what was written is read back; anything else reads as absent."""

from __future__ import annotations

from pathlib import Path

from bot.text.cache_file import read_sealed, write_sealed


def test_a_sealed_file_reads_back_only_with_its_prefix_and_intact(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.bin"
    assert read_sealed(path, b"v1\n") is None  # absent
    assert write_sealed(path, b"v1\n", b"body")
    assert read_sealed(path, b"v1\n") == b"body"
    assert read_sealed(path, b"v2\n") is None  # made by something else
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    assert read_sealed(path, b"v1\n") is None  # damaged
    assert [p.name for p in path.parent.iterdir()] == ["c.bin"]  # no temporary file left behind


def test_an_unwritable_folder_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert not write_sealed(blocker / "c.bin", b"v1\n", b"body")
