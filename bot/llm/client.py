"""One chat-completion call: fit check, request, streaming, usage accounting, error translation.

Every call goes through `ChatClient.complete`, so every call
- is refused before it is sent when prompt + output cap cannot fit the model's context window;
- goes through the client's circuit breaker (bot/llm/breaker.py): while the provider is failing,
  calls fail fast with `LLMPaused` instead of waiting for yet another timeout;
- is retried here, not by the SDK (its retries are switched off): 429, 5xx, timeouts and dropped
  connections get up to `max_retries` more attempts after a short wait, but only before anything
  was streamed, and a 429 asking for a longer wait than `max_wait` is not waited out (the SDK would
  sleep up to two minutes per retry while the person who asked waits);
- has an overall deadline (the SDK's timeout is per read; a server trickling bytes never trips it);
- records its token usage for the daily budgets (the server's count, else our own);
- raises only `LLMError` subclasses for anything the LLM or the network did wrong.

So an answer, or the error the engines turn into the offline fallback, comes within `deadline`
seconds: `timeout * (max_retries + 1) + max_wait * max_retries` plus a small margin.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from openai import AsyncOpenAI, omit
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from bot.llm.breaker import CircuitBreaker
from bot.llm.budget import DailyBudget, Reserved
from bot.llm.errors import (
    RETRYABLE,
    TRANSLATABLE,
    LLMBrokenResponse,
    LLMContextTooLong,
    LLMError,
    LLMMalformedOutput,
    LLMPaused,
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

FIRST_WAIT = 0.5  # seconds before the first retry; doubled for each next one, with jitter
MAX_WAIT = 8.0  # never wait longer than this (nor longer than the timeout) between attempts
DEADLINE_MARGIN = 2.0


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
    truncated: bool = False  # cut off at the output cap (only returned when the caller allows it)


@dataclass(slots=True)
class Usage:
    """Tokens spent by every call of one request, failed calls included.

    Passed down to each `ChatClient.complete`, which adds to it as soon as the server has answered,
    so a summary that ends offline still reports what it spent (`--json` used to say 0/0).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0

    def add(self, input_tokens: int, output_tokens: int) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.calls += 1


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
        breaker: CircuitBreaker | None = None,
        retry_timeouts: bool = True,
        temperature: float | None = None,
        retry_temperature: float | None = None,
    ) -> None:
        self._client = client.with_options(max_retries=0)  # retries are ours (see the module docstring)
        self.model = model
        self.counter = counter
        self.budget = budget
        self.context_window = context_window
        self.token_param = token_param
        self.response_format = response_format
        self.temperature = temperature  # None: the server's default
        # For asking again after an unusable answer (`retrying`); None: the same as `temperature`.
        self.retry_temperature = temperature if retry_temperature is None else retry_temperature
        self.breaker = breaker or CircuitBreaker()
        self.max_retries = max_retries
        # A single-slot local server still works on a request the client gave up on: retrying a
        # timeout there queues a second copy behind the first, and both are too late.
        self.retry_timeouts = retry_timeouts
        self.max_wait = min(timeout, MAX_WAIT)
        # Every attempt (each bounded by the per-read timeout) and every wait between them.
        self.deadline = timeout * (max_retries + 1) + self.max_wait * max_retries + DEADLINE_MARGIN

    def retrying(self) -> ChatClient:
        """This client for asking again after an unusable answer: the same connection, budget and
        breaker, sampling at `retry_temperature`. At a low temperature a small model asked again
        mostly writes the same answer again (bench/RESULTS.md, session 14)."""
        if self.retry_temperature == self.temperature:
            return self
        again = copy.copy(self)
        again.temperature = self.retry_temperature
        return again

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
        usage: Usage | None = None,
        allow_truncated: bool = False,
    ) -> Completion:
        """The answer's text. Streams (calling `on_delta` with each piece) when `on_delta` is given.

        `usage` receives the tokens of every attempt that got an answer. `allow_truncated` returns
        an answer cut off at the output cap (marked `truncated`) instead of raising: a streamed list
        of points can still use the points it completed.
        """
        prompt_tokens = self.prompt_tokens(messages)
        if prompt_tokens + max_tokens > self.context_window:
            raise LLMContextTooLong(
                f"{prompt_tokens} prompt tokens + {max_tokens} output tokens > {self.context_window}"
            )
        # The most this call can cost is held against today's budgets before it is sent (atomically:
        # concurrent calls can't all pass one check), and replaced by its real usage in _finish.
        async with self.budget.reserve(requester, prompt_tokens + max_tokens) as reserved:
            return await self._complete(
                messages, max_tokens, schema, on_delta, prompt_tokens, reserved, purpose, usage, allow_truncated
            )

    async def _complete(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        schema: JsonSchema | None,
        on_delta: DeltaCallback | None,
        prompt_tokens: int,
        reserved: Reserved,
        purpose: str,
        usage: Usage | None,
        allow_truncated: bool,
    ) -> Completion:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline
        failed: LLMError | None = None
        for attempt in range(self.max_retries + 1):
            relay = _Relay(on_delta) if on_delta is not None else None
            try:
                raw = await self._attempt(messages, max_tokens, schema, relay, deadline)
                return await self._finish(raw, prompt_tokens, reserved, purpose, usage, allow_truncated)
            except LLMPaused:
                if failed is not None:
                    raise failed from None  # the breaker opened during our own retries: say why
                raise
            except LLMError as error:
                log.warning(
                    "LLM call (%s) failed, attempt %d of %d: %s: %s",
                    purpose, attempt + 1, self.max_retries + 1, type(error).__name__, error.detail,
                )
                streamed = relay is not None and relay.used
                wait = None if streamed or attempt == self.max_retries else self._wait(error, attempt)
                if wait is None or loop.time() + wait >= deadline:
                    raise
                failed = error
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        schema: JsonSchema | None,
        on_delta: DeltaCallback | None,
        deadline: float,
    ) -> _Raw:
        """One request through the breaker, which judges the typed error it ends with (if any)."""
        with self.breaker.call():
            try:
                async with asyncio.timeout_at(deadline):
                    if on_delta is None:
                        raw = await self._once(messages, max_tokens, schema)
                    else:
                        raw = await self._stream(messages, max_tokens, schema, on_delta)
            except TimeoutError as error:
                raise LLMTimeout(f"no complete answer within {self.deadline:.0f} s") from error
            except TRANSLATABLE as error:
                raise from_openai(error) from error
            _check_response(raw)
            return raw

    async def _finish(
        self,
        raw: _Raw,
        prompt_tokens: int,
        reserved: Reserved,
        purpose: str,
        usage: Usage | None,
        allow_truncated: bool,
    ) -> Completion:
        completion = Completion(
            raw.text,
            raw.input_tokens if raw.input_tokens is not None else prompt_tokens,
            raw.output_tokens if raw.output_tokens is not None else self.counter.count(raw.text),
            truncated=raw.finish_reason == "length",
        )
        await reserved.settle(purpose, completion.input_tokens, completion.output_tokens)
        if usage is not None:
            usage.add(completion.input_tokens, completion.output_tokens)
        if raw.refusal or raw.finish_reason == "content_filter":
            raise LLMRefused(f"finish_reason={raw.finish_reason}, refusal={raw.refusal!r}")
        if completion.truncated and not allow_truncated:
            raise LLMMalformedOutput("the answer was cut off at the output token cap")
        return completion

    async def warm(self, messages: Sequence[Message]) -> bool:
        """Have a single-slot local server read `messages` into its prompt cache: one output token,
        no retries, nothing recorded (a local server costs nothing), any failure only logged.

        Such a server keeps the cache of the last prompt only; after the digest queue it holds a
        digest prompt, and the next /summary would read its whole system prompt again (~800 tokens:
        20-40 s for a 1.5B model on 2 CPU cores) before the first word.
        """
        try:
            async with asyncio.timeout(self.deadline):
                await self._client.chat.completions.create(
                    model=self.model,
                    messages=cast(list[ChatCompletionMessageParam], list(messages)),
                    **self._arguments(1, None),
                )
        except TimeoutError:
            log.info("warming the server's prompt cache timed out")
            return False
        except TRANSLATABLE as error:
            log.info("warming the server's prompt cache failed: %s", type(error).__name__)
            return False
        return True

    def _wait(self, error: LLMError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when this failure is not worth one."""
        if not isinstance(error, RETRYABLE) or (isinstance(error, LLMTimeout) and not self.retry_timeouts):
            return None
        if error.retry_after is not None and error.retry_after > 0:
            # The server says when; longer than a person should wait means: give up now.
            return error.retry_after if error.retry_after <= self.max_wait else None
        return min(FIRST_WAIT * 2.0**attempt, self.max_wait) * (1 - 0.25 * random.random())

    def _arguments(self, max_tokens: int, schema: JsonSchema | None) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "max_tokens": max_tokens if self.token_param == "max_tokens" else omit,
            "max_completion_tokens": max_tokens if self.token_param == "max_completion_tokens" else omit,
            "response_format": omit,
            "temperature": omit if self.temperature is None else self.temperature,
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
            raise LLMBrokenResponse(f"not a chat completion: {str(response)[:200]!r}")
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


@dataclass(slots=True)
class _Relay:
    """Passes stream pieces on, remembering whether any was passed (then a retry would repeat them)."""

    target: DeltaCallback
    used: bool = False

    async def __call__(self, piece: str) -> None:
        self.used = True
        await self.target(piece)


def _check_response(raw: _Raw) -> None:
    """The provider's own failures, which the breaker counts: a cut-off stream, an empty answer.

    Tokens of a broken answer are not recorded: the server's count is unknown and most servers do
    not bill a request that failed.
    """
    if raw.refusal or raw.finish_reason == "content_filter":
        return  # an (empty) refusal: the request's fault, judged in ChatClient._finish
    if raw.finish_reason is None:
        raise LLMBrokenResponse("the answer ended without a finish reason (truncated stream)")
    if not raw.text.strip():
        raise LLMBrokenResponse("empty answer")
