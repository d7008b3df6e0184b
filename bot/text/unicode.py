"""Text that is not really text: lone UTF-16 surrogates.

Python turns bytes that are not UTF-8 into lone surrogates in a few places: command-line arguments
and a terminal in another encoding (the 'surrogateescape' handler), and JSON's `"\\udcff"` escapes.
SQLite stores UTF-8 only, so such a string fails deep inside a write with UnicodeEncodeError. The
service layer refuses it up front instead, with a message a person can act on.
"""

from __future__ import annotations

import re

from bot.errors import InvalidInput

_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_TEXT = (
    "Part of that isn't valid text (bytes that are not UTF-8, or a lone surrogate such as \\udcff). "
    "Check your terminal's or file's encoding is UTF-8 and try again."
)


def has_lone_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def require_text(text: str) -> str:
    """`text` itself, or InvalidInput when it holds lone surrogates."""
    if has_lone_surrogates(text):
        raise InvalidInput(NOT_TEXT)
    return text
