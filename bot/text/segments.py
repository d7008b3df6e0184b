"""Split a review into sentences and note which ones its author marked as spoilers.

Authors mark spoilers in several ways; every one is honoured (fail closed):
- Discord markup `||…||`, Reddit `>!…!<`, forum tags `[spoiler]…[/spoiler]` (an unclosed marker
  marks everything to the end of the review);
- a warning sentence ("Spoilers ahead.", "SPOILER WARNING:", "Major spoilers below") flags every
  sentence after it as `warned`, up to an "end of spoilers" sentence if there is one; the detector
  weighs that heavily (a warning says spoilers follow, not that every later sentence is one).

Sentence boundaries come from `sentencex` (abbreviations, initials, quotes, ellipses), run on the
text with the markup removed so that `||` never confuses it; spans map back to the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sentencex

from bot.text.regex_cache import compile_pattern

_MARKUP = compile_pattern(r"\|\||\[/?spoilers?\]|>!|!<", re.IGNORECASE)
_WARNING = compile_pattern(
    r"(?<!\bno )(?<!\bwithout )(?<!\bfree of )(?<!\bmild )(?<!\bminor )"
    r"\b(?:spoilers?\s+(?:ahead|below|follow|warning|alert|inside|galore)"
    r"|spoiler\s*-?\s*(?:warning|alert)"
    r"|(?:major|heavy|massive|huge|full|big)\s+spoilers?"
    r"|(?:contains|has|with)\s+(?:major\s+|some\s+|heavy\s+)?spoilers)\b"
    r"|^\s*spoilers?\s*[:!.-]",
    re.IGNORECASE,
)
_END_WARNING = compile_pattern(r"\b(?:end(?:\s+of)?\s+spoilers?|spoilers?\s+(?:end|over|done))\b", re.IGNORECASE)
_NEGATED = compile_pattern(r"\b(?:no|without|spoiler[- ]free|won'?t|not)\b[^.!?]{0,20}\bspoil", re.IGNORECASE)
_SPACE = compile_pattern(r"\s+")
# Boundaries sentencex misses: "?!" or "!!!" before a capital, and an ellipsis before a capital.
_EXTRA_BREAK = compile_pattern(r"(?:[!?]+|\.\.\.|…)[\"”’)]*\s+(?=[A-Z\"“])")


@dataclass(frozen=True, slots=True)
class SentenceSpan:
    idx: int
    start: int  # offsets into the original text
    end: int
    text: str  # markup removed, white space collapsed
    marked: bool  # its author hid it behind spoiler markup
    warned: bool = False  # it follows the author's "spoilers ahead" warning
    is_warning: bool = False  # the sentence is itself a spoiler warning ("Spoilers ahead.")


def _strip_markup(text: str) -> tuple[str, list[int], list[tuple[int, int]]]:
    """Clean text, a map from clean offsets to original offsets, and marked regions (clean offsets)."""
    clean: list[str] = []
    positions: list[int] = []
    regions: list[tuple[int, int]] = []
    open_bars: int | None = None
    open_tag: int | None = None
    cursor = 0
    for match in _MARKUP.finditer(text):
        for offset in range(cursor, match.start()):
            clean.append(text[offset])
            positions.append(offset)
        here = len(clean)
        token = match.group(0).lower()
        if token == "||":
            if open_bars is None:
                open_bars = here
            else:
                regions.append((open_bars, here))
                open_bars = None
        elif token in ("[spoiler]", "[spoilers]", ">!"):
            open_tag = here if open_tag is None else open_tag
        elif open_tag is not None:  # a closing tag
            regions.append((open_tag, here))
            open_tag = None
        cursor = match.end()
    for offset in range(cursor, len(text)):
        clean.append(text[offset])
        positions.append(offset)
    positions.append(len(text))
    for still_open in (open_bars, open_tag):
        if still_open is not None:  # unclosed: fail closed, hide to the end
            regions.append((still_open, len(clean)))
    return "".join(clean), positions, regions


def split_review(text: str) -> list[SentenceSpan]:
    clean, positions, regions = _strip_markup(text)
    spans: list[SentenceSpan] = []
    warned = False
    for start, end in _boundaries(clean):
        sentence = _SPACE.sub(" ", clean[start:end]).strip()
        if not sentence or not any(ch.isalnum() for ch in sentence):
            continue
        in_region = any(r_start < end and start < r_end for r_start, r_end in regions)
        is_warning = bool(_WARNING.search(sentence)) and not _NEGATED.search(sentence)
        if _END_WARNING.search(sentence):
            warned = False
            is_warning = False
        spans.append(
            SentenceSpan(
                idx=len(spans),
                start=positions[start],
                end=positions[end] if end < len(positions) else len(text),
                text=sentence,
                marked=in_region,
                warned=warned,
                is_warning=is_warning,
            )
        )
        if is_warning:
            warned = True
    return spans


def _boundaries(clean: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for boundary in sentencex.get_sentence_boundaries("en", clean):
        if boundary["is_paragraph_break"]:
            continue
        start, end = boundary["start_index"], boundary["end_index"]
        for extra in _EXTRA_BREAK.finditer(clean, start, end):
            if extra.end() < end:
                spans.append((start, extra.end()))
                start = extra.end()
        spans.append((start, end))
    return spans


def split_sentences(text: str) -> list[str]:
    """Plain sentences of any text (markup removed)."""
    return [span.text for span in split_review(text)]


def escape_spoiler_bars(text: str) -> str:
    """Neutralise `||` in user-written text so it cannot open or close a Discord spoiler span."""
    return text.replace("||", "\\|\\|")


def wrap_spoiler(text: str) -> str:
    """Hide text behind Discord's spoiler markup, escaping any bars inside it first.

    A space keeps the markers apart from a bar at either end (`|||` reads differently) and from a
    trailing backslash, which would escape the closing marker and leave the spoiler in the clear.
    """
    body = escape_spoiler_bars(text)
    if body.startswith("|"):
        body = " " + body
    if body.endswith(("|", "\\")):
        body += " "
    return f"||{body}||"
