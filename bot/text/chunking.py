"""Split long text into pieces that fit Discord's limits without breaking a `||spoiler||` span.

Discord caps message content at 2,000 characters and an embed description at 4,096. A cut inside a
spoiler span would leave `||` unbalanced in both pieces, and an unclosed `||` shows the rest of the
text *in the clear*. So a span that has to be cut is closed at the end of one piece and reopened at
the start of the next; a span the writer never closed (a stream still being written, say) is closed
at the end. Cuts prefer, in order: a paragraph break, a line break, a sentence end, a space; only a
single word longer than the limit is cut mid-word.

Bars escaped with a backslash (`\\|\\|`, as `escape_spoiler_bars` writes them) are not markup.
"""

from __future__ import annotations

import re
from bisect import bisect_right

CONTENT_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
MARKER = "||"
_MIN_LIMIT = 16
# Cut points, best first; each pattern's match *end* is where a piece may end.
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?…][\"”’')\]*_]*(?=\s)"),
    re.compile(r"(?<=\S)(?=\s)"),
)


def spoiler_markers(text: str) -> list[int]:
    """Start offsets of the `||` markers that Discord treats as markup (not backslash-escaped)."""
    markers: list[int] = []
    i = 0
    while True:
        i = text.find(MARKER, i)
        if i < 0:
            return markers
        if _escaped(text, i):
            i += 1
            continue
        markers.append(i)
        i += 2


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def close_spoilers(text: str) -> str:
    """`text` with a trailing unclosed spoiler span closed (so it can never show in the clear)."""
    return text + MARKER if len(spoiler_markers(text)) % 2 else text


class _Layout:
    """Where the spoiler markers are, to answer "is a cut at offset c inside a span?" quickly."""

    def __init__(self, text: str) -> None:
        self.markers = spoiler_markers(text)

    def inside(self, cut: int) -> bool:
        """A cut between text[cut-1] and text[cut] lies inside a span (markers wholly before it: odd)."""
        return bisect_right(self.markers, cut - 2) % 2 == 1

    def splits_marker(self, cut: int) -> bool:
        index = bisect_right(self.markers, cut - 1) - 1
        return index >= 0 and self.markers[index] == cut - 1

    def opens_at(self, offset: int) -> bool:
        """A marker starts at `offset` and it opens a span."""
        index = bisect_right(self.markers, offset) - 1
        return index >= 0 and self.markers[index] == offset and index % 2 == 0

    def closes_at(self, offset: int) -> bool:
        index = bisect_right(self.markers, offset) - 1
        return index >= 0 and self.markers[index] == offset and index % 2 == 1


def split_message(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters whose spoiler spans are each balanced.

    Read in order, the pieces say exactly what `text` says (white space at the cuts aside) and
    hide exactly what it hides.
    """
    if limit < _MIN_LIMIT:
        raise ValueError(f"limit must be at least {_MIN_LIMIT}")
    layout = _Layout(text)
    open_at_end = len(layout.markers) % 2 == 1
    pieces: list[str] = []
    pos = _skip_space(text, 0)
    reopen = False
    while pos < len(text):
        prefix = MARKER if reopen else ""
        rest = text[pos:].rstrip()
        tail = MARKER if open_at_end else ""
        last = _join(prefix, rest, tail)
        if len(last) <= limit:
            pieces.append(last)
            break
        cut = _best_cut(text, layout, pos, prefix, limit)
        inside = layout.inside(cut)
        pieces.append(_join(prefix, text[pos:cut].rstrip(), MARKER if inside else ""))
        pos = _skip_space(text, cut)
        if inside and layout.closes_at(pos):  # only white space was left in the span: it ends here
            pos, inside = _skip_space(text, pos + len(MARKER)), False
        reopen = inside
    return [p for p in pieces if p.replace(MARKER, "").strip()]


def first_piece(text: str, limit: int = CONTENT_LIMIT, *, more: str = " …") -> str:
    """The first piece of `text`, with `more` appended when there is more (for a live preview)."""
    pieces = split_message(text, limit - len(more))
    if not pieces:
        return ""
    return pieces[0] + more if len(pieces) > 1 else pieces[0]


def _best_cut(text: str, layout: _Layout, pos: int, prefix: str, limit: int) -> int:
    """The offset where the piece starting at `pos` (after `prefix`) should end."""
    budget = limit - len(prefix)
    window_end = min(len(text), pos + budget)
    floor = pos + max(1, budget // 3)  # never settle for a tiny piece when a boundary is that early

    def fits(cut: int, *, empty_span: bool = False) -> bool:
        if cut <= pos or layout.splits_marker(cut):
            return False
        body = text[pos:cut].rstrip()
        if not body:
            return False
        if layout.inside(cut) and not empty_span:
            stripped_end = pos + len(body)
            # A span cut right after it opens would leave an empty span (one cut right before it
            # closes is ended there by split_message instead of being reopened empty).
            if stripped_end >= 2 and layout.opens_at(stripped_end - 2):
                return False
        return len(_join(prefix, body, MARKER if layout.inside(cut) else "")) <= limit

    search_end = min(len(text), window_end + 1)  # so a lookahead can see the character after the window
    for pattern in _BOUNDARIES:
        cuts = [m.end() for m in pattern.finditer(text, pos, search_end) if m.end() <= window_end]
        for cut in reversed(cuts):
            if cut < floor:
                break
            if fits(cut):
                return cut
    for cut in range(window_end, pos, -1):  # one very long word: cut it
        if fits(cut):
            return cut
    for cut in range(window_end, pos, -1):  # a span of nothing but white space, longer than a piece
        if fits(cut, empty_span=True):
            return cut
    raise AssertionError("unreachable: a limit of at least 16 always fits one character")


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _join(prefix: str, body: str, suffix: str) -> str:
    """prefix + body + suffix, with a space where a marker would otherwise touch a bar (and read
    as `|||`) or follow a backslash (and be escaped: the span would never close)."""
    if prefix and body.startswith("|"):
        prefix += " "
    if suffix and body.endswith(("|", "\\")):
        body += " "
    return (prefix + body + suffix).strip()
