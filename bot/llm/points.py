"""Structured calls: one retry on unusable output, and guarded streaming of points.

Streaming never bypasses the checks: the streamed JSON is parsed point by point (`PointStream`), each
complete point goes through the same `PointChecker.check` (bot/llm/grounding.py) and
`SpoilerGuard.check` as the final answer, and `on_text` only ever receives text rendered from points
that passed. Half-written points are never shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.llm.client import ChatClient, DeltaCallback, JsonSchema, Message, Usage
from bot.llm.errors import LLMMalformedOutput
from bot.llm.grounding import CheckReport, PointChecker
from bot.llm.guard import GuardedPoint, SpoilerGuard
from bot.llm.schema import POINTS_SCHEMA, Point, PointStream, parse_points
from bot.services.summaries import Mode, Requester, TextCallback

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_RESERVE = 120  # prompt tokens kept free for the retry's extra message
RETRY_MESSAGE = (
    "Your last reply could not be used ({reason}). Reply again with only the JSON object described in "
    "the instructions, and nothing else."
)
# The second try after an answer with no usable point: stricter and shorter, naming what went wrong.
STRICTER_MESSAGE = (
    "None of your points could be used ({reason}). Try once more, strictly: every point is one short "
    "sentence in your own words about what the reviews say, cites the id of the review it comes from, "
    "adds nothing the reviews do not say, copies no sentence from the data or from these instructions, "
    "and reveals nothing of the plot. Reply with only the JSON object."
)


@dataclass(slots=True)
class Parsed(Generic[T]):
    value: T
    input_tokens: int
    output_tokens: int
    attempts: int


@dataclass(slots=True)
class Generated:
    """The model's usable points (checked by `PointChecker`, not yet guarded) and what they cost."""

    points: list[Point]
    input_tokens: int
    output_tokens: int
    attempts: int
    checks: CheckReport = field(default_factory=CheckReport)


def retry_messages(
    messages: Sequence[Message], error: LLMMalformedOutput, template: str = RETRY_MESSAGE
) -> list[Message]:
    return [*messages, {"role": "user", "content": template.format(reason=error.reason_text)}]


async def complete_parsed(
    chat: ChatClient,
    messages: Sequence[Message],
    parse: Callable[[str], T],
    *,
    max_tokens: int,
    requester: Requester,
    purpose: str,
    schema: JsonSchema,
    on_delta: Callable[[], DeltaCallback | None] = lambda: None,
    usage: Usage | None = None,
) -> Parsed[T]:
    """`parse(answer)`, asking a second time when the first answer is unusable (then it raises).

    `on_delta` makes a fresh stream consumer per attempt (None: no streaming). A timeout is never
    asked again here (bot/llm/client.py decides about retrying those).
    """
    input_tokens = output_tokens = 0
    attempt_messages = list(messages)
    for attempt in (1, 2):
        try:
            completion = await (chat if attempt == 1 else chat.retrying()).complete(
                attempt_messages,
                max_tokens=max_tokens,
                requester=requester,
                purpose=purpose,
                schema=schema,
                on_delta=on_delta(),
                usage=usage,
            )
            input_tokens += completion.input_tokens
            output_tokens += completion.output_tokens
            return Parsed(parse(completion.text), input_tokens, output_tokens, attempt)
        except LLMMalformedOutput as error:
            if attempt == 2:
                raise
            log.info("unusable %s answer (%s); asking once more", purpose, error.detail)
            attempt_messages = retry_messages(messages, error)
    raise AssertionError("unreachable")  # pragma: no cover


Render = Callable[[list[tuple[Point, GuardedPoint]]], str]


async def generate_points(
    chat: ChatClient,
    messages: Sequence[Message],
    *,
    known_ids: Collection[int],
    max_tokens: int,
    requester: Requester,
    purpose: str,
    guard: SpoilerGuard,
    mode: Mode,
    render: Render,
    checker: PointChecker,
    schema: JsonSchema = POINTS_SCHEMA,
    on_text: TextCallback | None = None,
    usage: Usage | None = None,
) -> Generated:
    """The model's usable points; previews (`on_text`) show only points that passed checks and guard.

    Two tries at most. The second one follows an answer that was not JSON, or whose every point was
    echo, unsupported, cut off or a spoiler, and says so in a stricter instruction. An answer cut off
    at the output cap keeps its complete points. The caller guards the points for real.
    """
    shown: list[tuple[Point, GuardedPoint]] = []

    def checked(point: Point, report: CheckReport) -> tuple[Point, GuardedPoint] | None:
        kept = checker.check(point, report)
        guarded = guard.check(kept, mode) if kept is not None else None
        return (kept, guarded) if kept is not None and guarded is not None else None

    def previewer() -> DeltaCallback | None:
        if on_text is None:
            return None
        stream = PointStream(known_ids)

        async def on_delta(piece: str) -> None:
            fresh = [c for c in (checked(p, CheckReport()) for p in stream.feed(piece)) if c is not None]
            if fresh:
                shown.extend(fresh)
                await on_text(render(shown))

        return on_delta

    input_tokens = output_tokens = 0
    attempt_messages = list(messages)
    report = CheckReport()
    for attempt in (1, 2):
        report = CheckReport()
        try:
            completion = await (chat if attempt == 1 else chat.retrying()).complete(
                attempt_messages, max_tokens=max_tokens, requester=requester, purpose=purpose,
                schema=schema, on_delta=previewer(), usage=usage, allow_truncated=True,
            )
            input_tokens += completion.input_tokens
            output_tokens += completion.output_tokens
            points = parse_points(completion.text, known_ids, truncated=completion.truncated)
            usable = [c for c in (checked(p, report) for p in points) if c is not None]
            if not usable:
                log.info("%s: every point removed: %s", purpose, [t[:90] for t, _ in report.removed])
                raise _NoUsablePoints(
                    f"no usable points among {len(points)}: {report.describe() or 'all withheld as spoilers'}",
                    reason_text=_plain_reasons(report),
                )
        except LLMMalformedOutput as error:
            if attempt == 2:
                log.info("unusable %s answer again (%s)", purpose, error.detail)
                raise
            log.info("unusable %s answer (%s); asking once more", purpose, error.detail)
            stricter = isinstance(error, _NoUsablePoints)
            attempt_messages = retry_messages(messages, error, STRICTER_MESSAGE if stricter else RETRY_MESSAGE)
            shown.clear()
            continue
        if report.sentences_dropped:
            log.info("%s: the checks removed %s: %s", purpose, report.describe(), [t[:90] for t, _ in report.removed])
        return Generated([p for p, _ in usable], input_tokens, output_tokens, attempt, report)
    raise AssertionError("unreachable")  # pragma: no cover


class _NoUsablePoints(LLMMalformedOutput):
    """Valid JSON, but every point was echo, unsupported, cut off or a spoiler."""


_REASONS = {
    "prompt_echo": "they repeated the instructions",
    "unsupported": "they said things the reviews do not say",
    "pasted": "they pasted review text",
    "contradicted": "they turned a reviewer's judgement around",
    "says_nothing": "they said only what the reviews do not discuss",
}


def _plain_reasons(report: CheckReport) -> str:
    said = [_REASONS[r] for r in report.reasons if r in _REASONS]
    return "; ".join(said) or "they gave away the plot or were incomplete"
