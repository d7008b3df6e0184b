"""The fake server itself, through the real openai client: each behaviour does what it says."""

from __future__ import annotations

import time

import openai
import pytest
from openai import AsyncOpenAI

from tests.fakes.fake_openai import (
    ContentFiltered,
    ContextLength,
    FakeOpenAI,
    Hang,
    Malformed,
    RateLimit,
    Reply,
    ServerError,
    Truncated,
)

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}]


def client(fake: FakeOpenAI, *, retries: int = 0, timeout: float = 2.0) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=fake.base_url, api_key="test-key", max_retries=retries, timeout=timeout)


async def test_plain_and_streamed_answers_and_recorded_requests() -> None:
    async with FakeOpenAI(lambda req: f"echo: {req.user}") as fake:
        c = client(fake)
        done = await c.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
        assert done.choices[0].message.content == "echo: hello"
        assert done.usage is not None and done.usage.prompt_tokens > 0
        stream = await c.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}  # type: ignore[arg-type]
        )
        pieces, finish = [], None
        async for chunk in stream:
            if chunk.choices:
                pieces.append(chunk.choices[0].delta.content or "")
                finish = chunk.choices[0].finish_reason or finish
        assert "".join(pieces) == "echo: hello" and finish == "stop"
        assert len(fake.requests) == 2
        assert fake.requests[0].system == "be brief" and fake.requests[1].stream
        assert fake.requests[0].headers["Authorization"] == "Bearer test-key"
        await c.close()


async def test_rate_limit_honours_retry_after_then_answers() -> None:
    async with FakeOpenAI() as fake:
        fake.script(RateLimit(retry_after=0.2), Reply("after the wait"))
        c = client(fake, retries=1)
        started = time.monotonic()
        done = await c.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
        assert done.choices[0].message.content == "after the wait"
        assert time.monotonic() - started >= 0.2
        assert len(fake.requests) == 2 and fake.pending == 0
        await c.close()


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (RateLimit(), openai.RateLimitError),
        (ServerError(), openai.InternalServerError),
        (ContextLength(), openai.BadRequestError),
        (Hang(30), openai.APITimeoutError),
        (Malformed(), ValueError),
    ],
)
async def test_failures_surface_as_the_clients_own_errors(behaviour: object, error: type[Exception]) -> None:
    async with FakeOpenAI() as fake:
        fake.script(behaviour)  # type: ignore[arg-type]
        # A hang must end in the client's timeout, soon; any other answer must arrive before it, even
        # on a loaded 2-core machine (0.3 s for a 500 once ran out during a full test run).
        c = client(fake, timeout=0.3 if isinstance(behaviour, Hang) else 4.0)
        started = time.monotonic()
        with pytest.raises(error) as caught:
            await c.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
        if isinstance(behaviour, ContextLength):
            assert caught.value.code == "context_length_exceeded"  # type: ignore[attr-defined]
        assert time.monotonic() - started < 5
        await c.close()


async def test_truncated_and_filtered_streams() -> None:
    async with FakeOpenAI() as fake:
        c = client(fake)
        fake.script(Truncated("a long answer that stops", after_chars=6), ContentFiltered("half"))
        for expected_text, expected_finish in (("a long", None), ("half", "content_filter")):
            stream = await c.chat.completions.create(model="m", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
            text, finish = "", None
            async for chunk in stream:
                if chunk.choices:
                    text += chunk.choices[0].delta.content or ""
                    finish = chunk.choices[0].finish_reason or finish
            assert (text, finish) == (expected_text, expected_finish)
        fake.script(Truncated("cut off mid-stream", abort=True))
        with pytest.raises(openai.APIConnectionError):
            stream = await c.chat.completions.create(model="m", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
            async for _ in stream:
                pass
        await c.close()
