"""Reading import files: streamed lines with byte progress, whole text, friendly encoding errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import InvalidInput
from bot.importers.files import CHUNK_BYTES, first_non_utf8_line, not_utf8, open_lines, read_text, starts_like_json


def test_open_lines_keeps_line_endings_drops_bom_and_counts_bytes(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    body = 'film,text\r\nSe7en,"two\r\nlines"\r\n' + "x\n" * CHUNK_BYTES
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    seen: list[int] = []
    with open_lines(path, seen.append) as lines:
        first = [next(lines), next(lines), next(lines)]
        rest = sum(1 for _ in lines)
    assert first == ["film,text\r\n", 'Se7en,"two\r\n', 'lines"\r\n']
    assert rest == CHUNK_BYTES
    assert seen == sorted(seen) and len(seen) >= 3  # read a chunk at a time, not all at once
    assert seen[-1] == path.stat().st_size


def test_open_lines_non_utf8_raises_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("film,text\nAmélie,Très bien, vraiment un beau film.\n".encode("latin-1"))
    with open_lines(path) as lines, pytest.raises(UnicodeDecodeError):
        list(lines)


def test_read_text_reports_the_line_of_a_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "films.json"
    path.write_bytes(b'{\n  "films": [\n    {"title": "Am\xe9lie"}\n  ]\n}\n')
    with pytest.raises(InvalidInput, match=r"films\.json is not UTF-8 text \(line 3"):
        read_text(path)


def test_read_text_drops_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "films.json"
    path.write_bytes(b'\xef\xbb\xbf{"films": []}')
    seen: list[int] = []
    assert read_text(path, seen.append) == '{"films": []}'
    assert seen == [path.stat().st_size]


@pytest.mark.parametrize(("content", "expected"), [(b'\xef\xbb\xbf \n {"a": 1}', True), (b"[]", True),
                                                  (b"film,text\n", False), (b"", False)])
def test_starts_like_json(tmp_path: Path, content: bytes, expected: bool) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(content)
    assert starts_like_json(path) is expected


def test_the_first_bad_line_is_exact_far_into_a_file(tmp_path: Path) -> None:
    # A text decoder fails a whole chunk at a time; the line must still be the right one.
    path = tmp_path / "r.csv"
    good = "".join(f"row {n},ünïcode is fine\n" for n in range(5000))
    path.write_bytes(good.encode() + b"caf\xe9,latin-1 here\n" + b"more,rows\n")
    assert first_non_utf8_line(path) == 5001
    assert "line 5001" in str(not_utf8(path))
    path.write_bytes(good.encode())
    assert first_non_utf8_line(path) is None
