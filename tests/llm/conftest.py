"""The real service layer wired to the fake OpenAI-compatible server (through the real openai client)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from bot.app import Services, open_services
from bot.llm.digest_queue import DigestWorker
from bot.settings import Settings
from bot.tokens import TokenCounter
from tests.fakes.fake_openai import ChatRequest, FakeOpenAI
from tests.llm.model import PromptModel, kind_of

LLM_DEFAULTS: dict[str, Any] = {
    "llm_max_retries": 0,  # the scripted failures are final unless a test says otherwise
    "llm_timeout_seconds": 0.5,
    "llm_daily_tokens_per_user": 10**9,  # budgets out of the way unless a test sets one
    "llm_daily_tokens_per_guild": 10**9,
    "llm_background_digests": False,  # tests drain the queue themselves (`digest_worker(services).drain()`)
    # The model's second spoiler check (on by default) is one more call: tests of it turn it on.
    "llm_spoiler_check": False,
}

OpenLLM = Callable[..., AbstractAsyncContextManager[Services]]


@pytest.fixture
def model() -> PromptModel:
    return PromptModel()


@pytest.fixture
async def fake(model: PromptModel) -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(model) as server:
        yield server


@pytest.fixture
def open_llm(make_settings: Callable[..., Settings], fake: FakeOpenAI) -> OpenLLM:
    """`async with open_llm(**settings) as services:` services whose LLM is the fake server."""

    @asynccontextmanager
    async def opener(**overrides: Any) -> AsyncIterator[Services]:
        settings = make_settings(**{"openai_base_url": fake.base_url, **LLM_DEFAULTS, **overrides})
        async with open_services(settings) as services:
            yield services

    return opener


@pytest.fixture
async def llm(open_llm: OpenLLM) -> AsyncIterator[Services]:
    async with open_llm() as services:
        yield services


def digest_worker(services: Services) -> DigestWorker:
    worker = getattr(services.summaries.engine, "worker", None)
    assert isinstance(worker, DigestWorker)
    return worker


def calls(fake: FakeOpenAI, kind: str | None = None) -> list[ChatRequest]:
    return [r for r in fake.requests if kind is None or kind_of(r) == kind]


def prompt_tokens(request: ChatRequest, model: str = "gpt-4o-mini") -> int:
    """What our own counter says the request's prompt costs (the same counting the engine uses)."""
    return TokenCounter(model).count_messages([{"content": m["content"]} for m in request.messages])
