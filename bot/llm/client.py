"""One chat-completion call: fit check, request, streaming, usage accounting, error translation.

Every call goes through `ChatClient.complete`, so every call
- is refused before it is sent when prompt + output cap cannot fit the model's context window;
- has an overall deadline (the SDK's timeout is per read; a server trickling bytes never trips it);
- records its token usage for the daily budgets (the server's count, else our own);
- raises only `LLMError` subclasses for anything the LLM or the network did wrong.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from openai import AsyncOpenAI, omit
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from bot.llm.budget import DailyBudget
from bot.llm.errors import (
    TRANSLATABLE,
    LLMContextTooLong,
    LLMMalformedOutput,
    LLMRefused,
    LLMTimeout,
    from_openai,
)
from bot.services.summaries import Requester
from bot.tokens import TokenCounter

log = logging.getLogger(__name__)

TokenParam = Literal["max_tokens", "max_completion_tokens"]
ResponseFormat = Literal["json_schema", "json_object", "none"]
DeltaCallback = Callable[[str], Awaitable[None]]
Message = dict[str, str]


@dataclass(frozen=True, slots=True)
class JsonSchema:
    """The shape asked for with `response_format` (when the server supports it)."""

    name: str
    schema: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int


@dataclass(slots=True)
class _Raw:
    text: str = ""
    finish_reason: str | None = None
    refusal: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


class ChatClient:
    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str,
        counter: TokenCounter,
        budget: DailyBudget,
        context_window: int,
        timeout: float,
        max_retries: int,
        token_param: TokenParam = "max_tokens",
        response_format: ResponseFormat = "json_schema",
    ) -> None:
        self._client = client
        self.model = model
        self.counter = counter
        self.budget = budget
        self.context_window = context_window
        self.token_param = token_param
        self.response_format = response_format
        # Covers every retry of the SDK plus its back-off (at most 8 s each, or a short retry-after).
        self.deadline = timeout * (max_retries + 1) + 8.0 * max_retries + 5.0

    # --- fitting ---------------------------------------------------------------------------------
    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return self.counter.count_messages(list(messages))

    def fits(self, messages: Sequence[Message], max_tokens: int) -> bool:
        return self.prompt_tokens(messages) + max_tokens <= self.context_window

    # --- calling ---------------------------------------------------------------------------------
    async def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        requester: Requester,
        purpose: str,
        schema: JsonSchema | None = None,
        on_delta: DeltaCallback | None = None,
    ) -> Completion:
        """The answer's text. Streams (calling `on_delta` with each piece) when `on_delta` is given."""
        prompt_tokens = self.prompt_tokens(messages)
        if prompt_tokens + max_tokens > self.context_window:
            raise LLMContextTooLong(
                f"{prompt_tokens} prompt tokens + {max_tokens} output tokens > {self.context_window}"
            )
        try:
            async with asyncio.timeout(self.deadline):
                if on_delta is None:
                    raw = await self._once(messages, max_tokens, schema)
                else:
                    raw = await self._stream(messages, max_tokens, schema, on_delta)
        except TimeoutError as error:
            raise LLMTimeout(f"no complete answer within {self.deadline:.0f} s") from error
        except TRANSLATABLE as error:
            translated = from_openai(error)
            log.warning("LLM call (%s) failed: %s: %s", purpose, type(translated).__name__, translated.detail)
            raise translated from error
        completion = Completion(
            raw.text,
            raw.input_tokens if raw.input_tokens is not None else prompt_tokens,
            raw.output_tokens if raw.output_tokens is not None else self.counter.count(raw.text),
        )
        await self.budget.record(requester, purpose, completion.input_tokens, completion.output_tokens)
        self._check_finish(raw)
        return completion

    @staticmethod
    def _check_finish(raw: _Raw) -> None:
        if raw.refusal or raw.finish_reason == "content_filter":
            raise LLMRefused(f"finish_reason={raw.finish_reason}, refusal={raw.refusal!r}")
        if raw.finish_reason == "length":
            raise LLMMalformedOutput("the answer was cut off at the output token cap")
        if raw.finish_reason is None:
            raise LLMMalformedOutput("the answer ended without a finish reason (truncated stream)")
        if not raw.text.strip():
            raise LLMMalformedOutput("empty answer")

    def _arguments(self, max_tokens: int, schema: JsonSchema | None) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "max_tokens": max_tokens if self.token_param == "max_tokens" else omit,
            "max_completion_tokens": max_tokens if self.token_param == "max_completion_tokens" else omit,
            "response_format": omit,
        }
        if schema is not None and self.response_format == "json_schema":
            arguments["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema.name, "schema": schema.schema, "strict": True},
            }
        elif schema is not None and self.response_format == "json_object":
            arguments["response_format"] = {"type": "json_object"}
        return arguments

    async def _once(self, messages: Sequence[Message], max_tokens: int, schema: JsonSchema | None) -> _Raw:
        response = await self._client.chat.completions.create(
            model=self.model,
            messages=cast(list[ChatCompletionMessageParam], list(messages)),
            **self._arguments(max_tokens, schema),
        )
        if not isinstance(response, ChatCompletion) or not response.choices:
            raise LLMMalformedOutput(f"not a chat completion: {str(response)[:200]!r}")
        choice = response.choices[0]
        message = choice.message
        raw = _Raw(
            text=message.content or "",
            finish_reason=choice.finish_reason,
            refusal=getattr(message, "refusal", None),
        )
        if response.usage is not None:
            raw.input_tokens = response.usage.prompt_tokens
            raw.output_tokens = response.usage.completion_tokens
        return raw

    async def _stream(
        self, messages: Sequence[Message], max_tokens: int, schema: JsonSchema | None, on_delta: DeltaCallback
    ) -> _Raw:
        stream = await self._client.chat.completions.create(
            model=self.model,
            messages=cast(list[ChatCompletionMessageParam], list(messages)),
            stream=True,
            stream_options={"include_usage": True},
            **self._arguments(max_tokens, schema),
        )
        raw = _Raw()
        pieces: list[str] = []
        async with stream:
            async for chunk in stream:
                if chunk.usage is not None:
                    raw.input_tokens = chunk.usage.prompt_tokens
                    raw.output_tokens = chunk.usage.completion_tokens
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                raw.finish_reason = choice.finish_reason or raw.finish_reason
                refusal = getattr(choice.delta, "refusal", None)
                if refusal:
                    raw.refusal = (raw.refusal or "") + refusal
                if choice.delta.content:
                    pieces.append(choice.delta.content)
                    await on_delta(choice.delta.content)
        raw.text = "".join(pieces)
        return raw
