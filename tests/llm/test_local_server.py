"""Knowing the server (bot/llm/probe.py): what a llama.cpp, Ollama or vLLM-style server says about
itself at start-up decides the context size, the length caps in the schemas (a local server's
grammar enforces them: no pasted paragraph, no digest rambling until the output cap) and whether a
timed-out request is sent again (never to a single-slot server: it is still working on the first)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

import pytest
from openai import AsyncOpenAI

from bot.app import open_services
from bot.llm.keep import FILLED_NOTE
from bot.llm.probe import LOCAL_DIRECT_MAX_TOKENS, LOCAL_TIMEOUT_SECONDS, ServerInfo, Tuned, probe, tuned
from bot.llm.prompts import PromptSet
from bot.llm.schema import DIGEST_TEXT_CHARS, POINT_TEXT_CHARS
from bot.llm.summary_engine import LOCAL_MATERIAL_TOKENS, LOCAL_MAX_POINTS, MAX_POINTS, LLMSummaryEngine
from bot.llm.wiring import LOCAL_RETRY_TEMPERATURE, LOCAL_TEMPERATURE
from bot.text.segments import split_review
from bot.tokens import TokenCounter
from tests.fakes.fake_openai import ChatRequest, FakeOpenAI, Hang
from tests.llm.conftest import OpenLLM, calls, digest_worker
from tests.llm.model import KEY, PromptModel, grounded, points, review_ids, shown_said

LLAMA_CPP = {"/props": {"default_generation_settings": {"n_ctx": 4096}, "total_slots": 1}}


def schema_of(request: Any) -> dict[str, Any]:
    return dict(request.body["response_format"]["json_schema"]["schema"])


@pytest.mark.parametrize(
    ("endpoints", "info"),
    [
        (LLAMA_CPP, ServerInfo("llama.cpp", 4096, 1)),
        ({"/api/version": {"version": "0.5.7"}}, ServerInfo("ollama")),
        ({"/v1/models": {"data": [{"id": "m", "max_model_len": 16384}]}}, ServerInfo("openai-compatible", 16384)),
        ({}, ServerInfo("openai-compatible")),
    ],
)
async def test_probe(fake: FakeOpenAI, endpoints: dict[str, Any], info: ServerInfo) -> None:
    fake.endpoints.update(endpoints)
    async with AsyncOpenAI(api_key="x", base_url=fake.base_url) as client:
        assert await probe(client, fake.base_url) == info
    assert info.single_slot == (info.kind in ("llama.cpp", "ollama"))


async def test_a_local_server_gets_length_caps_and_its_own_context_size(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_context_window=32768) as services:
        await digest_worker(services).drain()
        await services.summaries.summarize("Se7en")
        engine = services.summaries.engine
        assert isinstance(engine, LLMSummaryEngine)
        assert engine.input_budget < 4096, "the server's 4,096 tokens, not the setting's 32,768"
    digest = calls(fake, "digest")[0]
    assert {f["maxLength"] for f in schema_of(digest)["properties"].values()} == {DIGEST_TEXT_CHARS}
    summary = calls(fake, "summary")[0]
    text = schema_of(summary)["properties"]["points"]["items"]["properties"]["text"]
    assert text["maxLength"] == POINT_TEXT_CHARS


@pytest.mark.parametrize("local", [True, False])
async def test_a_local_server_gets_at_most_four_points_a_review_budget_and_a_brief_film_block(
    open_llm: OpenLLM, fake: FakeOpenAI, local: bool
) -> None:
    """A 1.5B model on 2 cores reads ~50 prompt tokens and writes ~11 a second: a local server is asked
    for fewer points, from fewer film facts and a budget of review text; hosted APIs keep seven points,
    the whole film block and the 60-word excerpts."""
    if local:
        fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_direct_max_tokens=0) as services:  # no digests yet: excerpts of the reviews
        engine = services.summaries.engine
        assert isinstance(engine, LLMSummaryEngine)
        assert engine.material_tokens == (LOCAL_MATERIAL_TOKENS if local else None)
        result = await services.summaries.summarize("Parasite")
    assert result.engine != "offline"
    (summary,) = calls(fake, "summary")
    points = schema_of(summary)["properties"]["points"]
    assert points["maxItems"] == (LOCAL_MAX_POINTS if local else MAX_POINTS)
    assert f"to {points['maxItems']} points" in summary.user
    # The film block: who made it and who is in it; no premise in a spoiler-free summary (no plot points).
    assert "title: " in summary.user and "directed by: " in summary.user and "starring: " in summary.user
    for field in ("premise: ", "genres: ", "runtime: "):
        assert (field in summary.user) is not local


@pytest.mark.parametrize(("local", "setting", "marked"), [
    (True, None, False), (False, None, True), (True, "datamark", True), (False, "delimiters", False),
])
async def test_review_text_is_datamarked_except_on_local_servers_unless_the_setting_says(
    open_llm: OpenLLM, fake: FakeOpenAI, local: bool, setting: str | None, marked: bool
) -> None:
    """Datamarking makes review text ~1.7x as many tokens, which a small local model reads before its
    first word; there the keyed delimiters alone fence the data in (bot/llm/spotlight.py)."""
    if local:
        fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_direct_max_tokens=0, llm_data_marking=setting) as services:
        await services.summaries.summarize("Parasite")
    (summary,) = calls(fake, "summary")
    said = [line for block in _review_blocks(summary) for line in block.splitlines() if line.startswith("said: ")]
    assert said and all((" " in line[len("said: "):]) is not marked for line in said)
    assert all(("^" in line) is marked for line in said)
    assert ("this^is^data" in summary.system) is marked, "the system prompt describes the data as sent"


@pytest.mark.parametrize(("local", "setting", "sent"), [
    (True, None, LOCAL_TEMPERATURE), (False, None, None), (True, 0.7, 0.7), (False, 0.0, 0.0),
])
async def test_a_local_server_is_asked_for_a_low_temperature_a_hosted_one_keeps_its_default(
    open_llm: OpenLLM, fake: FakeOpenAI, local: bool, setting: float | None, sent: float | None
) -> None:
    """llama.cpp and Ollama sample at 0.8 by default, where the 1.5B model named actors no review
    names; some hosted models refuse any temperature but their default, so none is sent there unless
    the setting says."""
    if local:
        fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_direct_max_tokens=0, llm_temperature=setting) as services:
        await digest_worker(services).drain()
        await services.summaries.summarize("Parasite")
    requests = calls(fake, "digest") + calls(fake, "summary")
    assert requests and all(r.body.get("temperature") == sent for r in requests)
    assert all(("temperature" in r.body) is (sent is not None) for r in requests)


def _review_blocks(request: Any) -> list[str]:
    return re.findall(r"^<<review .*?^<<end review [^\n]*", request.user, re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("budget", [None, 300])
async def test_each_review_is_shortened_to_fit_the_budget_before_any_is_left_out(
    open_llm: OpenLLM, fake: FakeOpenAI, budget: int | None
) -> None:
    fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_direct_max_tokens=0) as services:
        engine = services.summaries.engine
        assert isinstance(engine, LLMSummaryEngine)
        engine.material_tokens = budget
        await services.summaries.summarize("Parasite")
        count = len(await services.reviews.for_film(await services.films.resolve("Parasite")))
    (summary,) = calls(fake, "summary")
    blocks = _review_blocks(summary)
    assert len(blocks) == count >= 3, "every review is shown"
    tokens = sum(TokenCounter("gpt-4o-mini").count(b) + 2 for b in blocks)
    if budget is None:
        assert tokens > 300, "whole 60-word excerpts: the budget below is what shortens them"
    else:
        assert tokens <= budget


@pytest.mark.parametrize("local", [True, False])
async def test_a_local_spoilers_summary_shows_every_review_and_the_premise(
    open_llm: OpenLLM, fake: FakeOpenAI, local: bool
) -> None:
    if local:
        fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_direct_max_tokens=0) as services:
        await services.summaries.summarize("Parasite", spoilers=True)
        count = len(await services.reviews.for_film(await services.films.resolve("Parasite")))
    (summary,) = calls(fake, "summary")
    shown = {re.match(r"<<review (\d+)", block).group(1) for block in _review_blocks(summary)}  # type: ignore[union-attr]
    assert len(shown) == count, "two blocks a review: a larger budget, every review still shown"
    assert "premise: " in summary.user and "characters: " in summary.user
    assert ("genres: " in summary.user) is not local


async def test_a_hosted_style_server_gets_no_length_keywords(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm() as services:
        await digest_worker(services).drain()
        await services.summaries.summarize("Se7en")
    for request in calls(fake, "digest")[:1] + calls(fake, "summary"):
        assert "maxLength" not in str(schema_of(request))


@pytest.mark.parametrize(("slots", "requests"), [(1, 1), (4, 2)])
async def test_a_timeout_is_never_sent_again_to_a_single_slot_server(
    open_llm: OpenLLM, fake: FakeOpenAI, slots: int, requests: int
) -> None:
    fake.endpoints["/props"] = {"default_generation_settings": {"n_ctx": 8192}, "total_slots": slots}
    fake.responder = lambda request: Hang(seconds=30)
    async with open_llm(llm_timeout_seconds=0.2, llm_max_retries=1, llm_breaker_failures=1000) as services:
        fake.requests.clear()
        result = await services.summaries.summarize("Se7en")
    assert result.engine == "offline" and result.notes == [
        "The LLM was unavailable (timed out); this is the offline summary."
    ]
    assert len(calls(fake, "summary")) == requests


def test_every_kind_of_call_starts_with_the_same_system_text() -> None:
    """A single-slot server caches only the last prompt: a summary after a digest (or an answer after
    a summary) reuses the shared start instead of reading it again (~250 tokens, seconds on a CPU)."""
    prompts = PromptSet.load()
    systems = []
    for name, prompt in prompts.prompts.items():
        values: dict[str, str | int] = {p: 1 if "points" in p or "count" in p else "x" for p in prompt.placeholders}
        systems.append(prompts.render(name, **values)[0]["content"])
    assert len(systems) >= 5
    shared = systems[0]
    for system in systems[1:]:
        while not system.startswith(shared):
            shared = shared[:-1]
    assert len(shared) >= 1000 and "not instructions" in shared


def _common_start(texts: list[str]) -> str:
    shared = texts[0]
    for text in texts[1:]:
        while not text.startswith(shared):
            shared = shared[:-1]
    return shared


@pytest.mark.parametrize("local", [True, False])
async def test_a_spoilers_summary_starts_with_the_whole_spoiler_free_prompt_of_the_film(
    open_llm: OpenLLM, fake: FakeOpenAI, local: bool
) -> None:
    """"Show spoilers" right after a spoiler-free summary: a single-slot server's prompt cache holds the
    system prompt, the film block and every `said` block, so the model reads only the plot facts, the
    spoiler sentences and the mode's instructions (~1,000 tokens less on the sample films)."""
    if local:
        fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_direct_max_tokens=0) as services:
        await services.summaries.summarize("Parasite")
        await services.summaries.summarize("Parasite", spoilers=True)
        await services.summaries.summarize("Se7en")
    free, spoilers, other = calls(fake, "summary")
    assert free.messages[0] == spoilers.messages[0] == other.messages[0], "one system prompt for every summary"
    said_end = free.user.rindex("<<end review")
    said_end = free.user.index("\n", said_end)
    assert spoilers.user.startswith(free.user[:said_end]), "the same data key, film block and said blocks"
    rest = spoilers.user[said_end:]
    assert "spoilers: " in rest and "characters: " in rest and "said: " not in rest
    assert KEY.findall(other.user)[0] != KEY.findall(free.user)[0], "another film, another key"
    assert "Mode: no spoilers" in free.user[said_end:] and "Mode: spoilers allowed" in rest, "named after the data"
    system = free.messages[0]["content"]
    assert "## Mode: no spoilers" in system and "## Mode: spoilers allowed" in system, "both modes' rules, cached"


def test_an_answer_reuses_the_data_notice_and_output_format_of_a_summary() -> None:
    prompts = PromptSet.load()
    answer = prompts.render(
        "answer", key="k", material="", spoiler_policy=prompts.fragment("answer", "spoiler_free"), question="q"
    )[0]["content"]
    summary = prompts.render(
        "summary_spoiler_free", key="k", film="", reviews="", review_count=2, min_points=2, max_points=4
    )[0]["content"]
    shared = _common_start([answer, summary])
    assert "not instructions" in shared and "## Output format" in shared and "`spoiler`:" in shared


@pytest.mark.parametrize(
    ("server", "explicit", "expected"),
    [
        (ServerInfo("llama.cpp", 4096, 1), (), Tuned(LOCAL_TIMEOUT_SECONDS, LOCAL_DIRECT_MAX_TOKENS, 4096)),
        (ServerInfo("ollama"), (), Tuned(LOCAL_TIMEOUT_SECONDS, LOCAL_DIRECT_MAX_TOKENS, 8192)),
        (ServerInfo("llama.cpp", 4096, 1), ("llm_timeout_seconds", "llm_direct_max_tokens"), Tuned(30.0, 6000, 4096)),
        (ServerInfo("openai-compatible", 16384), (), Tuned(30.0, 6000, 8192)),
        (ServerInfo("openai"), (), Tuned(30.0, 6000, 8192)),
    ],
)
def test_local_servers_get_local_timeouts_unless_the_settings_say_otherwise(
    server: ServerInfo, explicit: tuple[str, ...], expected: Tuned
) -> None:
    # The defaults (30 s, 6,000 tokens in one call) time out on a 1.5B model on 2 cores.
    got = tuned(server, timeout=30.0, direct_max_tokens=6000, context_window=8192, explicit=explicit)
    assert got == expected


async def test_the_engine_is_built_with_the_tuned_values(make_settings: Any, fake: FakeOpenAI) -> None:
    fake.endpoints.update(LLAMA_CPP)
    settings = make_settings(openai_base_url=fake.base_url, llm_background_digests=False)
    assert "llm_timeout_seconds" not in settings.given
    async with open_services(settings) as services:
        engine = services.summaries.engine
        assert isinstance(engine, LLMSummaryEngine)
        assert engine.direct_max_tokens == LOCAL_DIRECT_MAX_TOKENS
        assert engine._chat.deadline >= LOCAL_TIMEOUT_SECONDS


async def _queue_drained(services: Any, fake: FakeOpenAI, *, warm_expected: bool) -> None:
    worker = digest_worker(services)
    for _ in range(600):
        if await worker.pending() == 0 and (not warm_expected or any(_is_warm(r) for r in fake.requests)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the digest queue did not drain")


def _is_warm(request: Any) -> bool:
    return request.body.get("max_tokens") == 1


@pytest.mark.parametrize("single_slot", [True, False])
async def test_a_single_slot_server_gets_the_summary_prompt_back_into_its_cache_after_the_digests(
    open_llm: OpenLLM, fake: FakeOpenAI, single_slot: bool
) -> None:
    if single_slot:
        fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_background_digests=True) as services:
        await _queue_drained(services, fake, warm_expected=single_slot)
        await asyncio.sleep(0.2)  # a warm-up that should not come has time to
        warm = [r for r in fake.requests if _is_warm(r)]
        digests = calls(fake, "digest")
        fake.requests.clear()
        await services.summaries.summarize("Se7en")
    if not single_slot:
        assert warm == []
        return
    assert len(warm) == 1, "once, when the queue ran empty"
    assert digests and fake.requests, "after the digests, before the summary"
    (summary,) = calls(fake, "summary")
    assert warm[0].messages[0] == summary.messages[0], "exactly the system prompt the summary sends"


async def test_the_worker_warms_the_cache_at_start_up_even_with_nothing_to_digest(
    open_llm: OpenLLM, fake: FakeOpenAI
) -> None:
    fake.endpoints.update(LLAMA_CPP)
    async with open_llm() as services:
        worker = digest_worker(services)
        await worker.drain()
        warmed: list[None] = []

        async def warm() -> None:
            warmed.append(None)

        worker.warm, worker.idle_seconds = warm, 0.01
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(0.3)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert warmed == [None], "once at start-up; not again while the queue stays empty"


@pytest.mark.parametrize("local", [True, False])
async def test_the_checker_can_only_name_sentences_that_exist_on_a_local_server(
    open_llm: OpenLLM, fake: FakeOpenAI, local: bool
) -> None:
    if local:
        fake.endpoints.update(LLAMA_CPP)
    async with open_llm(llm_spoiler_check=True) as services:
        await digest_worker(services).drain()
        await services.summaries.summarize("Se7en")
    (check,) = calls(fake, "check")
    items = schema_of(check)["properties"]["spoiler_sentences"]["items"]
    shown = check.user.split("<<draft", 1)[1]  # the film's known spoilers, numbered too, come before it
    draft = [line for line in shown.replace("^", " ").splitlines() if line[:1].isdigit()]
    if local:
        assert (items["minimum"], items["maximum"]) == (1, len(draft)) and len(draft) >= 1
    else:
        assert items == {"type": "integer"}


def _longest_shown_sentence(request: Any) -> tuple[str, int]:
    """The longest sentence the request showed of any review as safe to say, and that review's id."""
    found = [(span.text.strip(), rid) for rid, said in shown_said(request).items() for span in split_review(said)]
    return max(found, key=lambda item: len(item[0].split()))


@pytest.mark.parametrize(("local", "setting", "first_at", "again_at", "usable_first"), [
    (True, None, LOCAL_TEMPERATURE, LOCAL_RETRY_TEMPERATURE, False), (True, 0.5, 0.5, 0.5, False),
    (False, None, None, None, False), (False, None, None, None, True),
])
async def test_asked_again_after_pasting_a_local_model_samples_hotter_and_is_told_what_it_copied(
    open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel, local: bool, setting: float | None,
    first_at: float | None, again_at: float | None, usable_first: bool,
) -> None:
    """At 0.2 the 1.5B model asked again after pasting a review's sentence as a point mostly pasted it
    again, and the stricter instruction blamed "what the reviews do not say" (bench/RESULTS.md, session
    14). The second try (after an answer with too few usable points, or none) is sampled at the retry
    temperature and names the copying; an explicit LLM_TEMPERATURE holds for both tries. (A single-slot
    local server is asked again only when no point was usable: the next test.)"""
    if local:
        fake.endpoints.update(LLAMA_CPP)

    def answer(request: ChatRequest) -> str:
        pasted, rid = _longest_shown_sentence(request)
        assert len(pasted.split()) >= 20, "the sample reviews have a sentence long enough to count as pasted"
        good = (grounded(request, "Reviewers praise the {0}.", review_ids(request)[0]), review_ids(request)[:1], False)
        return points(*([good] if usable_first else []), (pasted, [rid], False))

    model.overrides["summary"] = answer
    async with open_llm(llm_direct_max_tokens=0, llm_temperature=setting) as services:
        result = await services.summaries.summarize("Parasite")
    first, again = calls(fake, "summary")
    assert first.body.get("temperature") == first_at and again.body.get("temperature") == again_at
    told = again.messages[-1]["content"]
    assert ("copied the reviews word for word" if usable_first else "they pasted review text") in told, told
    assert "said what the reviews" not in told and "said things the reviews" not in told, "nothing made up"
    assert _longest_shown_sentence(first)[0] not in result.text


@pytest.mark.parametrize("slots", [1, 4])
async def test_one_usable_point_is_filled_from_offline_on_a_single_slot_server_not_asked_again(
    open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel, slots: int
) -> None:
    """A single-slot local server writes a second answer in 15-40 s (the 1.5B model on 2 cores): with one
    usable point the offline summary fills the other aspects at once. A server with free slots (or a
    hosted API, above) is asked again: a second answer costs it seconds."""
    fake.endpoints.update({"/props": {"default_generation_settings": {"n_ctx": 4096}, "total_slots": slots}})

    def answer(request: ChatRequest) -> str:
        good = grounded(request, "Reviewers praise the {0}.", review_ids(request)[0])
        pasted, rid = _longest_shown_sentence(request)
        return points((good, review_ids(request)[:1], False), (pasted, [rid], False))

    model.overrides["summary"] = answer
    async with open_llm(llm_direct_max_tokens=0) as services:
        result = await services.summaries.summarize("Parasite")
    assert len(calls(fake, "summary")) == (1 if slots == 1 else 2)
    assert result.engine != "offline" and "Reviewers praise the" in result.text
    if slots == 1:
        assert FILLED_NOTE in result.notes and "**Acting**" in result.text, result.text
