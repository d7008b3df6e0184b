"""Reading import files as UTF-8 text, with progress by bytes read and a friendly encoding error."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import InvalidInput

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK_BYTES = 1024 * 1024
OnBytes = Callable[[int], None]  # called with the number of bytes read so far


class _CountingRaw(io.RawIOBase):
    """A raw binary stream that reports how far into the file reading has got."""

    def __init__(self, raw: io.FileIO, on_bytes: OnBytes | None) -> None:
        super().__init__()
        self._raw = raw
        self._on_bytes = on_bytes
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        n = self._raw.readinto(buffer) or 0
        self.count += n
        if self._on_bytes is not None:
            self._on_bytes(self.count)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


@contextmanager
def open_lines(path: Path, on_bytes: OnBytes | None = None) -> Iterator[io.TextIOWrapper]:
    """The file as UTF-8 text lines (a leading byte-order mark dropped, line endings kept as
    they are, which the csv module needs), read a megabyte at a time: memory stays flat."""
    raw = _CountingRaw(path.open("rb", buffering=0), on_bytes)
    with io.TextIOWrapper(io.BufferedReader(raw, CHUNK_BYTES), encoding="utf-8-sig", newline="") as text:
        yield text


def read_text(path: Path, on_bytes: OnBytes | None = None) -> str:
    """The whole file as UTF-8 text (for JSON, which the json module parses in one piece)."""
    chunks: list[bytes] = []
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            chunks.append(chunk)
            done += len(chunk)
            if on_bytes is not None:
                on_bytes(done)
    data = b"".join(chunks)
    del chunks
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise not_utf8(path, data.count(b"\n", 0, error.start) + 1) from None


def not_utf8(path: Path, line: int | None = None) -> InvalidInput:
    """The error for a file in another encoding (line: where the first bad byte is, if known)."""
    if line is None:
        line = first_non_utf8_line(path)
    where = f" (line {line} has a byte that is not valid UTF-8)" if line else ""
    return InvalidInput(
        f"{path.name} is not UTF-8 text{where}. Save it as UTF-8 (in Excel: “CSV UTF-8”) and try again."
    )


def first_non_utf8_line(path: Path) -> int | None:
    """The first line that does not decode as UTF-8 (a text decoder only says which chunk).

    Line by line is exact: the byte 0x0A never occurs inside a multi-byte UTF-8 sequence.
    """
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def starts_like_json(path: Path) -> bool:
    """Whether the first non-blank character is `{` or `[` (a JSON file with another extension)."""
    with path.open("rb") as handle:
        head = handle.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    return head[:1] in (b"{", b"[")
