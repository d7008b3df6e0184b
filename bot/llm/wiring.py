"""Building the LLM engines at start-up: one AsyncOpenAI client and one circuit breaker, shared by both engines."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlparse

from openai import AsyncOpenAI

from bot.llm.answer_engine import LLMAnswerEngine
from bot.llm.breaker import CircuitBreaker
from bot.llm.budget import DailyBudget
from bot.llm.client import ChatClient, TokenParam
from bot.llm.digest_queue import DigestWorker
from bot.llm.digests import DIGEST_MAX_TOKENS, Digester
from bot.llm.probe import probe, tuned
from bot.llm.prompts import PromptSet
from bot.llm.schema import DIGEST_TEXT_CHARS, POINT_TEXT_CHARS
from bot.llm.spotlight import Spotlight
from bot.llm.summary_engine import LOCAL_MATERIAL_TOKENS, LOCAL_MAX_POINTS, MAX_POINTS, LLMSummaryEngine
from bot.services.ask import AnswerEngine
from bot.services.reviews import ReviewService
from bot.services.summaries import OfflineEngine, SummaryEngine
from bot.settings import Settings
from bot.spoilers.detector import SpoilerDetector
from bot.tokens import TokenCounter
from storage.ports import Store

log = logging.getLogger(__name__)

LOCAL_TEMPERATURE = 0.2  # settings.llm_temperature unset, on a local server (its comment says why)
# ... and for asking again after an unusable answer: at 0.2 the 1.5B model asked again mostly pasted
# the same review sentences again (bench/RESULTS.md, session 14).
LOCAL_RETRY_TEMPERATURE = 0.7

# Local servers (Ollama, llama.cpp, vLLM, LM Studio) ignore the key, but the client insists on one.
KEYLESS_PLACEHOLDER = "not-needed"


def token_parameter(settings: Settings) -> TokenParam:
    if settings.llm_token_parameter != "auto":
        return settings.llm_token_parameter
    host = urlparse(settings.openai_base_url).hostname if settings.openai_base_url else "api.openai.com"
    return "max_completion_tokens" if host == "api.openai.com" else "max_tokens"


async def build_llm_engines(
    settings: Settings,
    store: Store,
    stack: contextlib.AsyncExitStack,
    offline: OfflineEngine,
    counter: TokenCounter,
    *,
    reviews: ReviewService | None = None,
) -> tuple[SummaryEngine, AnswerEngine]:
    """The LLM summary and answer engines; the client is closed when `stack` unwinds.

    `reviews` is the app's ReviewService (its corpus cache is shared); one is built if not given.
    """
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else KEYLESS_PLACEHOLDER
    client = AsyncOpenAI(
        api_key=key,
        base_url=settings.openai_base_url,  # None: OpenAI itself
        timeout=settings.llm_timeout_seconds,
        max_retries=0,  # ChatClient retries (bounded waits, never a half-streamed answer)
    )
    stack.push_async_callback(client.close)
    if reviews is None:
        reviews = ReviewService(
            store.reviews, store.films, SpoilerDetector(),
            threshold=settings.spoiler_threshold, max_review_chars=settings.max_review_chars,
        )
    budget = DailyBudget(
        store.usage,
        per_user=settings.llm_daily_tokens_per_user,
        per_guild=settings.llm_daily_tokens_per_guild,
    )
    server = await probe(client, settings.openai_base_url)
    fit = tuned(
        server, timeout=settings.llm_timeout_seconds, direct_max_tokens=settings.llm_direct_max_tokens,
        context_window=settings.llm_context_window, explicit=settings.given,
    )
    context_window = fit.context_window
    if fit.timeout != settings.llm_timeout_seconds:
        client = client.with_options(timeout=fit.timeout)  # the same connection pool, closed above
    temperature = retry_temperature = settings.llm_temperature
    if temperature is None and server.local:
        temperature, retry_temperature = LOCAL_TEMPERATURE, LOCAL_RETRY_TEMPERATURE
    chat = ChatClient(
        client,
        model=settings.llm_model,
        counter=counter,
        budget=budget,
        context_window=context_window,
        retry_timeouts=not server.single_slot,
        temperature=temperature,
        retry_temperature=retry_temperature,
        timeout=fit.timeout,
        max_retries=settings.llm_max_retries,
        token_param=token_parameter(settings),
        response_format=settings.llm_response_format,
        # One breaker for the client: summaries and answers stop calling a failing provider together.
        breaker=CircuitBreaker(
            failures=settings.llm_breaker_failures, cooldown=settings.llm_breaker_cooldown_seconds
        ),
    )
    marking = settings.llm_data_marking or ("delimiters" if server.local else "datamark")
    prompts = PromptSet.load(spotlight=Spotlight(marking))
    engine_name = f"openai:{settings.llm_model}"
    digester = Digester(
        chat, prompts, store.summaries, engine=engine_name, concurrency=settings.llm_concurrency,
        max_tokens=min(DIGEST_MAX_TOKENS, settings.llm_max_output_tokens),
        text_chars=DIGEST_TEXT_CHARS if server.local else None,
    )
    worker = DigestWorker(
        store.digest_queue, digester, reviews, store.films, threshold=settings.spoiler_threshold
    )
    if settings.llm_background_digests:
        task = asyncio.create_task(worker.run(), name="digest-queue")

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        stack.push_async_callback(stop)
    spoiler_check = settings.llm_spoiler_check if settings.llm_spoiler_check is not None else not server.local
    summary = LLMSummaryEngine(
        chat, prompts, digester, offline, reviews, budget,
        threshold=settings.spoiler_threshold,
        max_output_tokens=settings.llm_max_output_tokens,
        direct_max_tokens=fit.direct_max_tokens,
        spoiler_check=spoiler_check,
        worker=worker,
        text_chars=POINT_TEXT_CHARS if server.local else None,
        max_points=LOCAL_MAX_POINTS if server.local else MAX_POINTS,
        material_tokens=LOCAL_MATERIAL_TOKENS if server.local else None,
        brief_film=server.local,
        fill_rather_than_retry=server.single_slot,
    )
    if server.single_slot:  # the worker runs once the start-up is done: set before it first looks
        worker.warm = summary.warm
    answer = LLMAnswerEngine(
        chat, prompts, reviews, store.films, budget,
        threshold=settings.spoiler_threshold, max_output_tokens=settings.llm_max_output_tokens,
        spoiler_check=spoiler_check,
    )
    log.info(
        "LLM engine %s at %s (%s server, context %d tokens, timeout %.0f s, one call up to %d tokens, "
        "prompts %s, data marking %s, temperature %s%s)",
        engine_name, settings.openai_base_url or "api.openai.com", server.kind, context_window, fit.timeout,
        fit.direct_max_tokens, prompts.version, marking,
        "server default" if temperature is None else temperature,
        "" if retry_temperature == temperature else f", {retry_temperature} when asking again",
    )
    return summary, answer
