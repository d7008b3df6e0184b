"""Structured calls: one retry on unusable output, and guarded streaming of points.

Streaming never bypasses the guard: the streamed JSON is parsed point by point (`PointStream`), each
complete point goes through the same `SpoilerGuard.check` as the final answer, and `on_text` only
ever receives text rendered from points that passed. Half-written points are never shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.llm.client import ChatClient, DeltaCallback, JsonSchema, Message
from bot.llm.errors import LLMMalformedOutput
from bot.llm.guard import GuardedPoint, SpoilerGuard
from bot.llm.schema import POINTS_SCHEMA, Point, PointStream, parse_points
from bot.services.summaries import Mode, Requester, TextCallback

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_RESERVE = 80  # prompt tokens kept free for the retry's extra message
RETRY_MESSAGE = (
    "Your last reply could not be used ({reason}). Reply again with only the JSON object described in "
    "the instructions, and nothing else."
)


@dataclass(slots=True)
class Parsed(Generic[T]):
    value: T
    input_tokens: int
    output_tokens: int
    attempts: int


def retry_messages(messages: Sequence[Message], error: LLMMalformedOutput) -> list[Message]:
    return [*messages, {"role": "user", "content": RETRY_MESSAGE.format(reason=error.reason)}]


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
) -> Parsed[T]:
    """`parse(answer)`, asking a second time when the first answer is unusable (then it raises).

    `on_delta` makes a fresh stream consumer per attempt (None: no streaming).
    """
    input_tokens = output_tokens = 0
    attempt_messages = list(messages)
    for attempt in (1, 2):
        try:
            completion = await chat.complete(
                attempt_messages,
                max_tokens=max_tokens,
                requester=requester,
                purpose=purpose,
                schema=schema,
                on_delta=on_delta(),
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
    render: Callable[[list[GuardedPoint]], str],
    on_text: TextCallback | None = None,
) -> Parsed[list[Point]]:
    """The model's points, unguarded (the caller guards them for real); previews are guarded."""

    def previewer() -> DeltaCallback | None:
        if on_text is None:
            return None
        stream = PointStream(known_ids)
        shown: list[GuardedPoint] = []

        async def on_delta(piece: str) -> None:
            fresh = [g for g in (guard.check(p, mode) for p in stream.feed(piece)) if g is not None]
            if fresh:
                shown.extend(fresh)
                await on_text(render(shown))

        return on_delta

    return await complete_parsed(
        chat,
        messages,
        lambda text: parse_points(text, known_ids),
        max_tokens=max_tokens,
        requester=requester,
        purpose=purpose,
        schema=POINTS_SCHEMA,
        on_delta=previewer,
    )
