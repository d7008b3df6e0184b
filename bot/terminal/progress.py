"""What the terminal shows while a (slow, local) model works: one short status line per change.

The services stream a preview (`on_text`) while an LLM writes: first the header and "*Reading 12
reviews…*", then the guard-approved points so far. Discord edits its reply with each preview; the
terminal cannot edit what it printed, so it prints a status line whenever the stage changes
("Reading 12 reviews…", "1 point so far…", "2 points so far…") and the whole answer at the end.
The offline engine answers at once and sends no preview: nothing is printed then.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_READING = re.compile(r"^\*(Reading \d+ reviews?…)\*$")


def progress_line(preview: str) -> str:
    """The status line for a streamed preview ('' when it says nothing new)."""
    lines = [line.strip() for line in preview.splitlines() if line.strip()]
    points = sum(1 for line in lines if line.startswith("•"))
    if points:
        return f"{points} point{'s' if points != 1 else ''} so far…"
    if lines and (match := _READING.match(lines[-1])):
        return match.group(1)
    return ""


class ProgressPrinter:
    """An `on_text` callback that passes each new status line to `show` (once per change)."""

    def __init__(self, show: Callable[[str], None]) -> None:
        self._show = show
        self._last = ""

    async def __call__(self, preview: str) -> None:
        line = progress_line(preview)
        if line and line != self._last:
            self._last = line
            self._show(line)
