"""The structured output we ask for, its JSON schemas, and strict-but-forgiving parsing.

Forgiving about packaging (code fences, a sentence before the JSON: local models do that), strict
about content: wrong types, empty answers or no usable points raise `LLMMalformedOutput`, which
the engines retry once and then answer offline. Missing spoiler flags count as spoilers (fail closed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.llm.client import JsonSchema
from bot.llm.errors import LLMMalformedOutput
from bot.spoilers.lexicon import STOPWORDS

MAX_POINT_CHARS = 600  # a point longer than this is a pasted paragraph, not a point
POINT_TEXT_CHARS = 320  # the length cap asked of servers that enforce one (two sentences)
MAX_DIGEST_CHARS = 700

# The aspects a summary point is about: the model picks one per point (an enum it cannot fill with
# prose), and the summary is rendered grouped by aspect, like the offline one.
ASPECTS = ("acting", "direction", "writing", "visuals", "sound", "pacing", "tone", "plot", "verdict")
# A spoiler-free summary has no `plot` points: the 1.5B model opened its answers with the premise retold
# from the reviews' openings (unsupported, or pasted, so removed: a wasted first point and a retry), and
# plot talk is where spoilers come from.
SPOILER_FREE_ASPECTS = tuple(a for a in ASPECTS if a != "plot")


def points_schema(
    *,
    min_points: int = 1,
    max_points: int = 8,
    aspects: bool = False,
    text_chars: int | None = None,
    aspect_names: tuple[str, ...] = ASPECTS,
) -> JsonSchema:
    """The points answer's schema.

    `minItems` makes `{"points": []}` impossible for servers that enforce the schema (a small model
    under a retry instruction answered exactly that). `text_chars` caps each text (llama.cpp and
    Ollama turn the schema into a grammar and stop the string there: a pasted paragraph cannot
    happen); it is left out for hosted APIs, whose strict mode refuses unknown keywords.
    Field order matters to a model writing left to right: the aspect and the review it comes from
    first, then the sentence about them.
    """
    text: dict[str, Any] = {"type": "string"}
    if text_chars:
        text["maxLength"] = text_chars
    item: dict[str, Any] = {}
    if aspects:
        item["aspect"] = {"type": "string", "enum": list(aspect_names)}
    item["sources"] = {"type": "array", "items": {"type": "integer"}}
    item["text"] = text
    item["spoiler"] = {"type": "boolean"}
    return JsonSchema(
        "reviewbot_points",
        {
            "type": "object",
            "properties": {
                "points": {
                    "type": "array",
                    "minItems": min_points,
                    "maxItems": max_points,
                    "items": {
                        "type": "object",
                        "properties": item,
                        "required": list(item),
                        "additionalProperties": False,
                    },
                }
            },
            "required": ["points"],
            "additionalProperties": False,
        },
    )


POINTS_SCHEMA = points_schema()
ANSWER_SCHEMA = points_schema(min_points=1, max_points=4)
DIGEST_TEXT_CHARS = 320  # each digest field: two sentences of at most 40 words, with room


def digest_schema(text_chars: int | None = None) -> JsonSchema:
    """The digest answer's schema. `text_chars` caps each field for servers that enforce it (local
    ones): a small model otherwise rambles on in the `safe` string until the output cap cuts the
    JSON off, and an excerpt of the review stands in for a digest."""
    text: dict[str, Any] = {"type": "string"}
    if text_chars:
        text["maxLength"] = text_chars
    return JsonSchema(
        "reviewbot_digest",
        {
            "type": "object",
            "properties": {"safe": text, "spoilers": dict(text)},
            "required": ["safe", "spoilers"],
            "additionalProperties": False,
        },
    )


DIGEST_SCHEMA = digest_schema()


def check_schema(count: int | None = None) -> JsonSchema:
    """The checker's answer: numbers of draft sentences. With `count` (servers that enforce schemas:
    local ones), only 1..count can be written: the 0.5B model named sentences that do not exist,
    twice, and the summary went offline (fail closed)."""
    number: dict[str, Any] = {"type": "integer"}
    if count:
        number.update(minimum=1, maximum=count)
    return JsonSchema(
        "reviewbot_spoiler_check",
        {
            "type": "object",
            "properties": {"spoiler_sentences": {"type": "array", "items": number}},
            "required": ["spoiler_sentences"],
            "additionalProperties": False,
        },
    )


CHECK_SCHEMA = check_schema()

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
_POINTS_START = re.compile(r'"points"\s*:\s*\[')


@dataclass(frozen=True, slots=True)
class Point:
    text: str
    sources: tuple[int, ...]
    spoiler: bool
    aspect: str = ""


# A sentence is complete when it ends with a full stop, ! or ? (an ellipsis too), optionally followed
# by closing quotes or brackets. An unescaped `"` inside a JSON string ends the string early under a
# grammar ("calling it a "), leaving a half-sentence: those ends are cut off, not shown.
_SENTENCE_END = re.compile(r"""[.!?…](?:["'’”)\]]*)(?=\s|$)""")
# An ellipsis after a function word trails off mid-sentence ("The score is...", seen from the 1.5B
# model in a spoilers-mode point): not an end. After a content word it can be a style ("It's good...").
_TRAILING_OFF = re.compile(r"""([^\W\d_]+)\s*(?:\.{2,}|…)["'’”)\]]*$""")


def complete_sentences(text: str) -> str:
    """`text` up to its last complete sentence ('' when it has none)."""
    text = text.strip()
    for end in reversed([m.end() for m in _SENTENCE_END.finditer(text)]):
        trailing = _TRAILING_OFF.search(text, 0, end)
        if trailing is None or trailing.group(1).lower() not in STOPWORDS:
            return text[:end].strip()
    return ""


def load_object(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer (code fences and leading chatter tolerated)."""
    stripped = _FENCE.sub("", text.strip())
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        start = stripped.find("{")
        try:
            value = json.JSONDecoder().raw_decode(stripped, start)[0] if start >= 0 else None
        except json.JSONDecodeError as error:
            raise LLMMalformedOutput(f"not JSON: {error}") from error
    if not isinstance(value, dict):
        raise LLMMalformedOutput(f"expected a JSON object, got {type(value).__name__}")
    return value


def _ids(value: object, known: Collection[int]) -> tuple[int, ...] | None:
    if not isinstance(value, list):
        return None
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool):
            return None
        if isinstance(item, int):
            ids.append(item)
        elif isinstance(item, str) and item.strip().isdigit():
            ids.append(int(item))
        else:
            return None
    return tuple(dict.fromkeys(i for i in ids if i in known))  # invented ids are dropped


# "Review 8 also gives …", "with reviews 6 and 7 mentioning …": the 1.5B model wrote the ids meant for
# `sources` into the text, where they mean nothing to a reader. They become "one reviewer", "two reviewers".
_REVIEW_IDS = re.compile(
    r"\b(?:the\s+)?(review(?:er)?s?)\s+(?:#|no\.?\s*|number\s+)?(\d+(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)\d+)*)\b",
    re.IGNORECASE,
)
_COUNT_WORDS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _without_review_ids(text: str) -> str:
    def words(match: re.Match[str]) -> str:
        count = len(re.findall(r"\d+", match.group(2)))
        said = f"{_COUNT_WORDS[count] if count < len(_COUNT_WORDS) else 'several'} reviewer{'s' if count > 1 else ''}"
        return said.capitalize() if match.group(0)[0].isupper() else said

    return _REVIEW_IDS.sub(words, text)


def point_from(item: object, known_ids: Collection[int]) -> Point | None:
    """A Point from one JSON item, or None when the item is not a usable point."""
    if not isinstance(item, dict):
        return None
    text = item.get("text")
    if not isinstance(text, str) or len(text) > MAX_POINT_CHARS:
        return None
    text = complete_sentences(_without_review_ids(" ".join(text.split())))
    if not text:
        return None
    sources = _ids(item.get("sources", []), known_ids)
    if sources is None:
        return None
    spoiler = item.get("spoiler")
    aspect = item.get("aspect")
    return Point(
        text, sources, spoiler is not False,  # missing or odd flag: spoiler
        aspect if isinstance(aspect, str) and aspect in ASPECTS else "",
    )


_WORD = re.compile(r"\w+")


def _same_words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def _numbers(words: frozenset[str]) -> frozenset[str]:
    return frozenset(w for w in words if w.isdigit())


NEAR_REPEAT = 0.75  # share of words two sentences have in common (of all the words of both) to be one


class _Repeats:
    """Small models repeat themselves: one point three times word for word (0.5B), or the same
    sentence under two aspects with one word changed ("The writing is described as bleak, …" /
    "The sound is described as bleak, …", 1.5B). Later copies of a sentence are left out, and a
    point with nothing new is dropped."""

    def __init__(self) -> None:
        self._seen: list[frozenset[str]] = []

    def _repeat(self, words: frozenset[str]) -> bool:
        if len(words) < 5:
            return any(words == seen for seen in self._seen)
        numbers = _numbers(words)  # "a score of 4.5 out of 5" and "… of 5 out of 5" are two claims
        return any(
            len(words & seen) >= NEAR_REPEAT * len(words | seen) and _numbers(seen) == numbers
            for seen in self._seen
        )

    def first_time(self, point: Point) -> Point | None:
        sentences = [s for s in re.split(r"(?<=[.!?…])\s+", point.text) if s]
        fresh = []
        for sentence in sentences:
            words = frozenset(_same_words(sentence))
            if not self._repeat(words):
                fresh.append(sentence)
                self._seen.append(words)
        if not fresh:
            return None
        if len(fresh) == len(sentences):
            return point
        return Point(" ".join(fresh), point.sources, point.spoiler, point.aspect)


def parse_points(text: str, known_ids: Collection[int], *, truncated: bool = False) -> list[Point]:
    """The usable points of an answer. `truncated`: cut off at the output cap; its complete points count."""
    if truncated:
        points = PointStream(known_ids).feed(text)
        if not points:
            raise LLMMalformedOutput("the answer was cut off before its first complete point")
        return points
    value = load_object(text)
    items = value.get("points")
    if not isinstance(items, list):
        raise LLMMalformedOutput("no 'points' list")
    repeats = _Repeats()
    points = [
        q for q in (repeats.first_time(p) for p in (point_from(i, known_ids) for i in items) if p is not None)
        if q is not None
    ]
    if not points:
        raise LLMMalformedOutput(f"no usable points among {len(items)} item(s)")
    return points


def parse_digest(text: str) -> tuple[str, str]:
    value = load_object(text)
    safe, spoilers = value.get("safe", ""), value.get("spoilers", "")
    if not isinstance(safe, str) or not isinstance(spoilers, str):
        raise LLMMalformedOutput("digest fields must be strings")
    return " ".join(safe.split())[:MAX_DIGEST_CHARS], " ".join(spoilers.split())[:MAX_DIGEST_CHARS]


def parse_check(text: str, count: int) -> set[int]:
    """Numbers (1-based) of the draft sentences the checker flagged."""
    value = load_object(text)
    flagged = value.get("spoiler_sentences")
    if not isinstance(flagged, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in flagged):
        raise LLMMalformedOutput("'spoiler_sentences' must be a list of numbers")
    if any(not 1 <= i <= count for i in flagged):
        raise LLMMalformedOutput("'spoiler_sentences' names sentences that do not exist")
    return set(flagged)


class PointStream:
    """Complete points out of a streamed JSON answer, as soon as each point's object closes.

    Only whole `{…}` items of the `points` array are returned (the JSON decoder cannot accept a
    half-written object), so a streamed point is exactly what the final parse will see.
    """

    def __init__(self, known_ids: Collection[int]) -> None:
        self._known = known_ids
        self._buffer = ""
        self._pos: int | None = None
        self._done = False
        self._decoder = json.JSONDecoder()
        self._repeats = _Repeats()

    def feed(self, delta: str) -> list[Point]:
        self._buffer += delta
        if self._done:
            return []
        if self._pos is None:
            match = _POINTS_START.search(self._buffer)
            if match is None:
                return []
            self._pos = match.end()
        found: list[Point] = []
        while True:
            pos = self._pos
            while pos < len(self._buffer) and self._buffer[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(self._buffer):
                break
            if self._buffer[pos] == "]":
                self._done = True
                break
            try:
                item, end = self._decoder.raw_decode(self._buffer, pos)
            except json.JSONDecodeError:
                break  # not complete yet
            self._pos = end
            point = point_from(item, self._known)
            point = self._repeats.first_time(point) if point is not None else None
            if point is not None:
                found.append(point)
        return found
