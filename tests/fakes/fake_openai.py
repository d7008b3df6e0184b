"""A fake OpenAI-compatible server (aiohttp) for tests that drive the real `openai` client.

It listens on 127.0.0.1 on a free port and speaks just enough of the chat completions API
(``POST /v1/chat/completions``, plain JSON and streamed server-sent events, plus ``GET /v1/models``)
for `openai.AsyncOpenAI(base_url=fake.base_url, api_key="test")` to work unchanged.

Usage::

    async with FakeOpenAI() as fake:                     # answers "OK." unless told otherwise
        client = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0, timeout=2)
        fake.script(RateLimit(retry_after=0), Reply("Hello."))   # the next two requests, in order
        ...
        assert len(fake.requests) == 2                   # every request received, failed ones too
        fake.requests[-1].system                         # what the prompt said

What a request gets, in order of precedence:
1. the next behaviour queued with `fake.script(...)` (one per request, first in first out);
2. otherwise `responder(request)`: a function (sync or async) given the `ChatRequest` that returns a
   behaviour or a plain string (shorthand for `Reply(string)`); tests use it to play a model,
   including an adversarial one;
3. otherwise `Reply("OK.")`.

Behaviours: `Reply` (normal answer; streamed in chunks when the request asks for `stream`),
`RateLimit` (429 with `retry-after`), `ServerError` (500 by default), `Hang` (answers nothing until
the client gives up; released when the server closes), `Stall` (starts answering, then goes quiet
mid-answer), `Malformed` (a 200 whose body, or first streamed event, is not valid JSON),
`ContextLength` (the 400 OpenAI sends for a prompt that is too long), `Truncated` (the answer stops
half-way: a stream that ends without its finish reason and ``[DONE]``, or a connection that is cut),
`ContentFiltered` (finish reason ``content_filter``), `HTTPError` (any status and body).
`Reply("")` is an empty answer. `closed_port_url()` is a base URL where nothing listens (connection
refused).

The Discord tests reuse this to check what users see when the LLM fails or hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientConnectionResetError, web

__all__ = [
    "ChatRequest",
    "ContentFiltered",
    "ContextLength",
    "FakeOpenAI",
    "HTTPError",
    "Hang",
    "Malformed",
    "RateLimit",
    "Reply",
    "ServerError",
    "Stall",
    "Truncated",
    "closed_port_url",
]


# --- behaviours ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """A normal answer. Streamed requests get it in `chunk_chars`-sized deltas, `chunk_delay` apart."""

    content: str
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None  # (prompt, completion) tokens; estimated when None
    refusal: str | None = None
    chunk_chars: int = 16
    chunk_delay: float = 0.0


@dataclass(frozen=True)
class RateLimit:
    retry_after: float | None = 0.0  # seconds, sent as the `retry-after` header when not None
    code: str = "rate_limit_exceeded"


@dataclass(frozen=True)
class ServerError:
    status: int = 500


@dataclass(frozen=True)
class Hang:
    """Send nothing for `seconds` (or until the server closes), then a normal `then` reply."""

    seconds: float = 60.0
    then: str = "Too late."


@dataclass(frozen=True)
class Stall:
    """Start answering, then go quiet after `after_chars` characters for `seconds` (or until the server
    closes), then drop the connection. Streamed: the first chunks arrive; not streamed: the status,
    headers and the first part of the JSON body arrive."""

    content: str
    after_chars: int = 20
    seconds: float = 60.0


@dataclass(frozen=True)
class Malformed:
    body: str = '{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, "mess'
    content_type: str = "application/json"


@dataclass(frozen=True)
class ContextLength:
    """OpenAI's answer to a prompt longer than the model's context window."""

    n_ctx: int = 8192


@dataclass(frozen=True)
class Truncated:
    """The answer stops after `after_chars` characters.

    Streamed: the stream ends without a finish reason or ``[DONE]`` (or, with `abort`, the connection is
    cut). Not streamed: the JSON body itself is cut off.
    """

    content: str
    after_chars: int = 20
    abort: bool = False


@dataclass(frozen=True)
class ContentFiltered:
    partial: str = ""


@dataclass(frozen=True)
class HTTPError:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


Behaviour = (
    Reply | RateLimit | ServerError | Hang | Stall | Malformed | ContextLength | Truncated
    | ContentFiltered | HTTPError
)
Responder = Callable[["ChatRequest"], "Behaviour | str | Awaitable[Behaviour | str]"]


# --- requests ------------------------------------------------------------------------------------
@dataclass
class ChatRequest:
    """One request as received: the decoded JSON body and the headers."""

    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    def contents(self, role: str) -> list[str]:
        return [_text(m.get("content")) for m in self.messages if m.get("role") == role]

    @property
    def system(self) -> str:
        """All system (and developer) messages, joined."""
        return "\n".join(self.contents("system") + self.contents("developer"))

    @property
    def user(self) -> str:
        """The last user message."""
        users = self.contents("user")
        return users[-1] if users else ""

    @property
    def text(self) -> str:
        """Every message's text, joined: for "did the prompt contain X" checks."""
        return "\n".join(_text(m.get("content")) for m in self.messages)


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


# --- the server ----------------------------------------------------------------------------------
class FakeOpenAI:
    """An OpenAI-compatible chat completions server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, responder: Responder | None = None, *, model: str = "fake-model") -> None:
        self.responder = responder
        self.model = model
        self.requests: list[ChatRequest] = []
        # Other GET endpoints a real server answers, path -> JSON: llama.cpp's `/props`, Ollama's
        # `/api/version`, ... (what bot/llm/probe.py asks at start-up). Anything else is a 404.
        self.endpoints: dict[str, Any] = {}
        self._queue: list[Behaviour] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # lifecycle
    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/{path:.*}", self._endpoint)
        # handler_cancellation: a handler still busy (a `Hang`) is cancelled when its client goes away.
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()  # releases hanging handlers at once
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # scripting
    def script(self, *behaviours: Behaviour | str) -> None:
        """Queue behaviours for the next requests, one each, in order."""
        self._queue.extend(Reply(b) if isinstance(b, str) else b for b in behaviours)

    @property
    def pending(self) -> int:
        """Scripted behaviours not used yet."""
        return len(self._queue)

    def reset(self) -> None:
        self.requests.clear()
        self._queue.clear()

    # handlers
    async def _models(self, request: web.Request) -> web.Response:
        if request.path in self.endpoints:
            return web.json_response(self.endpoints[request.path])
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _endpoint(self, request: web.Request) -> web.Response:
        if request.path not in self.endpoints:
            return _error(404, f"no endpoint {request.path}", "not_found_error")
        return web.json_response(self.endpoints[request.path])

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _error(400, "invalid JSON in request body", "invalid_request_error")
        chat = ChatRequest(body, dict(request.headers))
        self.requests.append(chat)
        behaviour = await self._behaviour_for(chat)
        return await self._perform(behaviour, chat, request)

    async def _behaviour_for(self, chat: ChatRequest) -> Behaviour:
        if self._queue:
            return self._queue.pop(0)
        if self.responder is None:
            return Reply("OK.")
        result = self.responder(chat)
        if inspect.isawaitable(result):
            result = await result
        return Reply(result) if isinstance(result, str) else result

    async def _perform(self, b: Behaviour, chat: ChatRequest, request: web.Request) -> web.StreamResponse:
        if isinstance(b, Reply):
            if chat.stream:
                return await self._stream(b, chat, request)
            return web.json_response(self._completion(b, chat))
        if isinstance(b, RateLimit):
            headers = {} if b.retry_after is None else {"retry-after": f"{b.retry_after:g}"}
            return _error(429, "Rate limit reached. Please try again later.", "requests", b.code, headers)
        if isinstance(b, ServerError):
            return _error(b.status, "The server had an error while processing your request.", "server_error")
        if isinstance(b, Hang):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), b.seconds)
            if self._closing.is_set() or request.transport is None or request.transport.is_closing():
                return web.Response(status=503)  # nobody is listening any more
            return await self._perform(Reply(b.then), chat, request)
        if isinstance(b, Stall):
            return await self._stall(b, chat, request)
        if isinstance(b, Malformed):
            if chat.stream:  # a stream whose first event carries the broken body as its data
                headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
                return web.Response(body=f"data: {b.body}\n\n".encode(), headers=headers)
            return web.Response(text=b.body, content_type=b.content_type.split(";")[0])
        if isinstance(b, ContextLength):
            return _error(
                400,
                f"This model's maximum context length is {b.n_ctx} tokens. "
                "Please reduce the length of the messages.",
                "invalid_request_error",
                "context_length_exceeded",
                param="messages",
            )
        if isinstance(b, Truncated):
            if chat.stream:
                return await self._stream(
                    Reply(b.content[: b.after_chars]), chat, request, finish=False, abort=b.abort
                )
            full = json.dumps(self._completion(Reply(b.content), chat))
            return web.Response(text=full[: len(full) // 2], content_type="application/json")
        if isinstance(b, ContentFiltered):
            return await self._perform(Reply(b.partial, finish_reason="content_filter"), chat, request)
        if isinstance(b, HTTPError):
            return web.json_response(b.body, status=b.status, headers=b.headers)
        raise TypeError(f"unknown behaviour {b!r}")

    def _usage(self, b: Reply, chat: ChatRequest) -> dict[str, int]:
        prompt, completion = b.usage or (_estimate_tokens(chat.text), _estimate_tokens(b.content))
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _completion(self, b: Reply, chat: ChatRequest) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": chat.model or self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": b.content, "refusal": b.refusal},
                    "finish_reason": b.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": self._usage(b, chat),
        }

    async def _stall(self, b: Stall, chat: ChatRequest, request: web.Request) -> web.StreamResponse:
        if chat.stream:
            response = web.StreamResponse(headers={"content-type": "text/event-stream", "cache-control": "no-cache"})
            with contextlib.suppress(ClientConnectionResetError):
                await self._write_stream(
                    response, Reply(b.content[: b.after_chars]), chat, request, finish=False, abort=False, eof=False
                )
        else:
            response = web.StreamResponse(headers={"content-type": "application/json"})
            await response.prepare(request)
            full = json.dumps(self._completion(Reply(b.content), chat))
            with contextlib.suppress(ClientConnectionResetError):
                await response.write(full[: max(1, min(b.after_chars, len(full) - 1))].encode())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), b.seconds)
        if request.transport is not None:
            request.transport.close()
        return response

    async def _stream(
        self, b: Reply, chat: ChatRequest, request: web.Request, *, finish: bool = True, abort: bool = False
    ) -> web.StreamResponse:
        headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
        response = web.StreamResponse(headers=headers)
        try:
            return await self._write_stream(response, b, chat, request, finish=finish, abort=abort)
        except ClientConnectionResetError:  # the client stopped reading (closed the stream early)
            return response

    async def _write_stream(
        self,
        response: web.StreamResponse,
        b: Reply,
        chat: ChatRequest,
        request: web.Request,
        *,
        finish: bool,
        abort: bool,
        eof: bool = True,
    ) -> web.StreamResponse:
        await response.prepare(request)
        base = {
            "id": f"chatcmpl-fake{len(self.requests)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": chat.model or self.model,
        }

        async def send(payload: dict[str, Any]) -> None:
            await response.write(f"data: {json.dumps(payload)}\n\n".encode())

        await send({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        step = max(1, b.chunk_chars)
        for start in range(0, len(b.content), step):
            if b.chunk_delay:
                await asyncio.sleep(b.chunk_delay)
            piece = b.content[start : start + step]
            delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
            await send({**base, "choices": [delta]})
        if abort:
            assert request.transport is not None
            request.transport.close()  # the client sees the connection drop mid-answer
            return response
        if finish:
            await send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": b.finish_reason}]})
            if (chat.body.get("stream_options") or {}).get("include_usage"):
                await send({**base, "choices": [], "usage": self._usage(b, chat)})
            await response.write(b"data: [DONE]\n\n")
        if eof:
            await response.write_eof()
        return response


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _error(
    status: int,
    message: str,
    type_: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    param: str | None = None,
) -> web.Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers or {})
