"""Every way an OpenAI-compatible server can fail, as the project's own error types (real client, real socket)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from bot.llm.breaker import CircuitBreaker
from bot.llm.budget import DailyBudget
from bot.llm.client import ChatClient, ResponseFormat
from bot.llm.errors import (
    LLMAuthError,
    LLMBadRequest,
    LLMContextTooLong,
    LLMError,
    LLMMalformedOutput,
    LLMPaused,
    LLMRateLimited,
    LLMRefused,
    LLMServerError,
    LLMTimeout,
    LLMUnreachable,
)
from bot.llm.schema import POINTS_SCHEMA
from bot.services.summaries import Requester
from bot.tokens import TokenCounter
from storage.db import Database
from storage.usage import UsageRepository
from tests.fakes.fake_openai import (
    Behaviour,
    ContentFiltered,
    ContextLength,
    FakeOpenAI,
    Hang,
    HTTPError,
    Malformed,
    RateLimit,
    Reply,
    ServerError,
    Stall,
    Truncated,
)

MESSAGES = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Hello."}]
ME = Requester("tester", "guild-1")


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


def make_chat(fake: FakeOpenAI, db: Database, *, retries: int = 0, context_window: int = 4096) -> ChatClient:
    client = AsyncOpenAI(base_url=fake.base_url, api_key="k", timeout=0.3, max_retries=retries)
    return ChatClient(
        client,
        model="gpt-4o-mini",
        counter=TokenCounter("gpt-4o-mini"),
        budget=DailyBudget(UsageRepository(db), per_user=10**9, per_guild=10**9),
        context_window=context_window,
        timeout=0.3,
        max_retries=retries,
    )


LLAMA_CPP_TOO_LONG = HTTPError(  # llama.cpp's server: no code, a type of its own
    400,
    {"error": {"code": 400, "message": "the request exceeds the available context size",
               "type": "exceed_context_size_error"}},
)
CASES: list[tuple[Behaviour, type[LLMError], bool]] = [
    (RateLimit(retry_after=7), LLMRateLimited, False),
    (ServerError(), LLMServerError, False),
    (ServerError(status=503), LLMServerError, False),
    (Hang(seconds=30), LLMTimeout, False),
    (Hang(seconds=30), LLMTimeout, True),
    (Malformed(), LLMMalformedOutput, False),
    (Malformed(body="<html>oops</html>", content_type="text/html"), LLMMalformedOutput, False),
    (ContextLength(), LLMContextTooLong, False),
    (LLAMA_CPP_TOO_LONG, LLMContextTooLong, False),
    (Truncated("a long answer", after_chars=4), LLMMalformedOutput, True),
    (Truncated("a long answer", after_chars=4), LLMMalformedOutput, False),
    (Truncated("a long answer", abort=True), LLMUnreachable, True),
    (ContentFiltered(), LLMRefused, False),
    (ContentFiltered("half"), LLMRefused, True),
    (Reply("I can't help with that.", refusal="I can't help with that."), LLMRefused, False),
    (Reply(""), LLMMalformedOutput, False),
    (Reply("", finish_reason="stop"), LLMMalformedOutput, True),
    (Reply('{"points": [', finish_reason="length"), LLMMalformedOutput, False),
    (HTTPError(401, {"error": {"message": "bad key", "code": "invalid_api_key"}}), LLMAuthError, False),
    (HTTPError(404, {"error": {"message": "no such model", "code": "model_not_found"}}), LLMBadRequest, False),
    (HTTPError(400, {"error": {"message": "blocked", "code": "content_filter"}}), LLMRefused, False),
]


@pytest.mark.parametrize(("behaviour", "error", "stream"), CASES, ids=lambda v: getattr(v, "__name__", None))
async def test_failures_become_typed_errors(
    server: FakeOpenAI, db: Database, behaviour: Behaviour, error: type[LLMError], stream: bool
) -> None:
    chat = make_chat(server, db)
    server.script(behaviour)
    pieces: list[str] = []

    async def on_delta(piece: str) -> None:
        pieces.append(piece)

    with pytest.raises(error) as caught:
        await chat.complete(
            MESSAGES, max_tokens=50, requester=ME, purpose="test", on_delta=on_delta if stream else None
        )
    assert caught.value.reason and len(server.requests) == 1
    if isinstance(behaviour, RateLimit):
        assert caught.value.retry_after == 7


async def test_the_client_retries_a_429_after_retry_after_then_answers(server: FakeOpenAI, db: Database) -> None:
    chat = make_chat(server, db, retries=2)
    server.script(RateLimit(retry_after=0.05), RateLimit(retry_after=0.05), Reply("Fine."))
    completion = await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test")
    assert completion.text == "Fine." and len(server.requests) == 3


async def test_a_trickling_stream_hits_the_overall_deadline(server: FakeOpenAI, db: Database) -> None:
    chat = make_chat(server, db)
    chat.deadline = 0.5  # the SDK's read timeout (0.3 s) never trips: a chunk arrives every 0.1 s
    server.script(Reply("x" * 200, chunk_chars=1, chunk_delay=0.1))

    async def on_delta(piece: str) -> None:
        return None

    with pytest.raises(LLMTimeout):
        await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test", on_delta=on_delta)


async def test_a_request_that_cannot_fit_is_never_sent(server: FakeOpenAI, db: Database) -> None:
    chat = make_chat(server, db, context_window=1024)
    long = [{"role": "user", "content": "word " * 2000}]
    with pytest.raises(LLMContextTooLong):
        await chat.complete(long, max_tokens=50, requester=ME, purpose="test")
    assert server.requests == []
    assert chat.fits(MESSAGES, 50) and not chat.fits(long, 50)


async def test_usage_is_recorded_from_the_servers_counts(server: FakeOpenAI, db: Database) -> None:
    chat = make_chat(server, db)
    server.script(Reply("Fine.", usage=(123, 45)), Reply("Streamed.", usage=(10, 5)))
    await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test")

    async def on_delta(piece: str) -> None:
        return None

    streamed = await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test", on_delta=on_delta)
    assert (streamed.input_tokens, streamed.output_tokens) == (10, 5), "stream_options include_usage"
    usage = UsageRepository(db)
    assert await usage.used_today_by_user("tester") == 123 + 45 + 10 + 5
    assert await usage.used_today_by_guild("guild-1") == 183
    assert server.requests[0].body["max_tokens"] == 50
    assert "response_format" not in server.requests[0].body, "no schema asked, none sent"


@pytest.mark.parametrize("response_format", ["json_schema", "json_object", "none"])
async def test_how_json_is_asked_for(server: FakeOpenAI, db: Database, response_format: ResponseFormat) -> None:
    chat = make_chat(server, db)
    chat.response_format = response_format
    chat.token_param = "max_completion_tokens"
    await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test", schema=POINTS_SCHEMA)
    body = server.requests[0].body
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body
    if response_format == "json_schema":
        assert body["response_format"]["json_schema"]["name"] == "reviewbot_points"
        assert body["response_format"]["json_schema"]["strict"] is True
    elif response_format == "json_object":
        assert body["response_format"] == {"type": "json_object"}
    else:
        assert "response_format" not in body


async def test_failures_before_anything_streamed_are_retried_and_only_the_answer_is_shown(
    server: FakeOpenAI, db: Database
) -> None:
    chat = make_chat(server, db, retries=2)
    server.script(ServerError(502), Hang(seconds=30), Reply("Fine, thanks.", chunk_chars=4))
    pieces: list[str] = []

    async def on_delta(piece: str) -> None:
        pieces.append(piece)

    completion = await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test", on_delta=on_delta)
    assert completion.text == "".join(pieces) == "Fine, thanks." and len(server.requests) == 3
    assert chat.breaker.state == "closed" and chat.breaker.consecutive_failures == 0


async def test_a_stream_that_failed_after_it_started_is_not_sent_again(server: FakeOpenAI, db: Database) -> None:
    chat = make_chat(server, db, retries=2)
    server.script(Stall("A long answer that stops", after_chars=6, seconds=30), Reply("Should not be asked for."))
    pieces: list[str] = []

    async def on_delta(piece: str) -> None:
        pieces.append(piece)

    with pytest.raises(LLMTimeout):
        await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test", on_delta=on_delta)
    assert "".join(pieces) == "A long" and len(server.requests) == 1, "a retry would repeat what was shown"


async def test_a_429_asking_for_a_long_wait_is_not_waited_out(server: FakeOpenAI, db: Database) -> None:
    chat = make_chat(server, db, retries=2)
    server.script(RateLimit(retry_after=20), Reply("Too late."))
    started = time.perf_counter()
    with pytest.raises(LLMRateLimited) as caught:
        await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test")
    assert time.perf_counter() - started < 0.2 and len(server.requests) == 1
    assert caught.value.retry_after == 20, "kept for the circuit breaker"


async def test_every_attempt_counts_for_the_breaker_and_an_opened_breaker_ends_the_retries(
    server: FakeOpenAI, db: Database
) -> None:
    chat = make_chat(server, db, retries=3)
    chat.breaker = CircuitBreaker(failures=2, cooldown=60)
    server.script(ServerError(), ServerError(), ServerError(), Reply("Fine."))
    with pytest.raises(LLMServerError):  # the real reason, not "paused"
        await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test")
    assert len(server.requests) == 2 and chat.breaker.state == "open"
    with pytest.raises(LLMPaused):
        await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test")
    assert len(server.requests) == 2


async def test_request_errors_are_not_retried_and_do_not_open_the_breaker(server: FakeOpenAI, db: Database) -> None:
    chat = make_chat(server, db, retries=2)
    chat.breaker = CircuitBreaker(failures=1, cooldown=60)
    server.script(ContextLength(), ContentFiltered(), HTTPError(401, {"error": {"message": "bad key"}}))
    for error in (LLMContextTooLong, LLMRefused, LLMAuthError):
        with pytest.raises(error):
            await chat.complete(MESSAGES, max_tokens=50, requester=ME, purpose="test")
    assert len(server.requests) == 3 and chat.breaker.state == "closed"
