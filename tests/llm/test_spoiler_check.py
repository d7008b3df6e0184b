"""The model as a second spoiler checker (LLM_SPOILER_CHECK; unset, on except for a local server): it
sees the film's known spoilers and the draft, it can only remove, nothing is shown before it has read
the draft, a failed or late check answers offline, and what it cost is reported."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.llm.answer_engine import LLMAnswerEngine
from bot.llm.spoiler_check import known_sample
from bot.llm.summary_engine import LLMSummaryEngine
from bot.settings import setting_fields
from tests.fakes.fake_openai import ChatRequest, FakeOpenAI, Hang
from tests.llm.conftest import OpenLLM, calls
from tests.llm.model import PromptModel, grounded, points, review_ids
from tests.llm.test_local_server import LLAMA_CPP
from tests.storage.conftest import fetchval

COST = re.compile(r"checked the answer for spoilers \((\d+) tokens in, (\d+) out\)")


def draft_lines(request: ChatRequest) -> dict[int, str]:
    """Number -> sentence of the draft the check request shows."""
    block = request.user.split("<<draft", 1)[1]
    return {int(n): text.replace("^", " ") for n, text in re.findall(r"^(\d+): (.*)$", block, re.MULTILINE)}


def flag(*wanted: str) -> object:
    """A checker that flags the draft sentences containing any of `wanted`."""

    def answer(request: ChatRequest) -> str:
        found = [n for n, text in draft_lines(request).items() if any(w in text for w in wanted)]
        return json.dumps({"spoiler_sentences": found})

    return answer


def two_opinions(request: ChatRequest) -> list[tuple[str, list[int], bool]]:
    first, last = review_ids(request)[0], review_ids(request)[-1]
    return [
        (grounded(request, "Reviewers praise the {0} and the {1}.", first), [first], False),
        (grounded(request, "Most reviewers admire the {0} and the {1}.", last, 2), [last], False),
    ]


@pytest.mark.parametrize(
    ("endpoints", "setting", "checks"),
    [
        ({}, None, True),  # a hosted-style API: on by default
        (LLAMA_CPP, None, False),  # a local llama.cpp server: small models over-flag (issue 10), off
        (LLAMA_CPP, True, True),  # what the settings say wins
        ({}, False, False),
    ],
    ids=["hosted-default", "local-default", "local-on", "hosted-off"],
)
async def test_the_second_check_is_on_by_default_except_for_a_local_server(
    open_llm: OpenLLM, fake: FakeOpenAI, endpoints: dict[str, Any], setting: bool | None, checks: bool
) -> None:
    assert setting_fields()["llm_spoiler_check"].default is None
    fake.endpoints.update(endpoints)
    async with open_llm(llm_spoiler_check=setting) as services:
        summary, answer = services.summaries.engine, services.ask.engine
        assert isinstance(summary, LLMSummaryEngine) and isinstance(answer, LLMAnswerEngine)
        assert (summary.spoiler_check, answer.spoiler_check) == (checks, checks)


def test_the_known_spoilers_shown_are_few_short_and_spread_over_the_list() -> None:
    sentences = [f"sentence {i} " + "word " * 80 for i in range(40)]
    sample = known_sample(sentences, limit=8)
    assert len(sample) == 8 and all(len(s.split()) <= 45 for s in sample)
    assert sample[0].startswith("sentence 0 ") and sample[-1].startswith("sentence 35 ")


async def test_a_summary_check_sees_the_known_spoilers_and_removes_only_what_it_flags(
    open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel
) -> None:
    shown: list[str] = []

    async def on_text(text: str) -> None:
        shown.append(text)

    async with open_llm(llm_spoiler_check=True) as services:
        first_line: list[str] = []

        def check(request: ChatRequest) -> str:
            first_line.append(draft_lines(request)[1])
            return json.dumps({"spoiler_sentences": [1]})

        model.overrides["check"] = check
        result = await services.summaries.summarize("Se7en", on_text=on_text)
        (request,) = calls(fake, "check")
        assert "<<known spoilers" in request.user and "Tracy's^head" in request.user, "the film's known spoilers"
        assert request.user.index("<<known spoilers") < request.user.index("<<draft")
        assert result.engine == "openai:gpt-4o-mini"
        assert first_line[0] not in result.text, "the flagged sentence is gone"
        kept = [line for line in model.summary_lines if line != first_line[0]]
        assert kept and all(line in result.text for line in kept), "the rest is kept, unchanged"
        assert "The spoiler guard removed 1 sentence of the LLM's answer." in result.notes
        (cost,) = [m for m in map(COST.search, result.notes) if m]
        assert int(cost.group(1)) > 0 and int(cost.group(2)) > 0, "what the check cost is reported"
        recorded = await fetchval(
            services.store, "SELECT sum(input_tokens) FROM llm_usage WHERE purpose = ?", "spoiler_check"
        )
        assert recorded == int(cost.group(1)), "and recorded under its own purpose"
        assert not [t for t in shown if "•" in t], "no point is shown before the check has read it"
        assert any(re.search(r"\*Checking \d+ points for spoilers…\*", t) for t in shown), shown

        again = await services.summaries.summarize("Se7en")
        assert again.cached and again.text == result.text and len(calls(fake, "check")) == 1, "cached with it"


async def test_the_check_cannot_add_anything(open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel) -> None:
    async with open_llm(llm_spoiler_check=True) as services:
        model.overrides["check"] = lambda r: json.dumps({"spoiler_sentences": []})
        model.overrides["summary"] = lambda r: points(
            *two_opinions(r),
            ("John Doe turns himself in and Mills kills him.", review_ids(r)[:1], False),
        )
        result = await services.summaries.summarize("Se7en")
        (check,) = calls(fake, "check")
        assert "Mills kills him" not in check.user.split("<<draft", 1)[1], "the guard's drops never reach it"
        assert "Mills" not in result.text and "John Doe" not in result.text


async def test_a_failed_or_late_check_fails_closed(open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel) -> None:
    async with open_llm(llm_spoiler_check=True) as services:
        model.overrides["check"] = lambda r: Hang(seconds=5)
        late = await services.summaries.summarize("Se7en")
        assert late.engine == "offline" and "timed out" in late.notes[0]
        assert late.input_tokens > 0, "the summary call's tokens are still reported"
        model.overrides["check"] = lambda r: json.dumps({"spoiler_sentences": [99]})
        wrong = await services.summaries.summarize("Parasite")
        assert wrong.engine == "offline" and "unusable" in wrong.notes[0]


async def test_ask_answers_are_checked_too(open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel) -> None:
    async with open_llm(llm_spoiler_check=True) as services:
        model.overrides["answer"] = lambda r: points(*two_opinions(r))
        model.overrides["check"] = flag("Most reviewers admire")
        answer = await services.ask.ask("Is the acting in Se7en any good?")
        (check,) = calls(fake, "check")
        assert "<<known spoilers" in check.user and "<<draft" in check.user
        assert answer.engine == "openai:gpt-4o-mini" and "Reviewers praise" in answer.text
        assert "Most reviewers admire" not in answer.text
        assert any(COST.search(n) for n in answer.notes)

        model.overrides["check"] = flag("eviewers")  # everything flagged: nothing of the LLM's is left
        everything = await services.ask.ask("Is the acting in Se7en any good?")
        assert everything.engine == "offline" and "gave away too much" in everything.notes[0]

        model.overrides["check"] = lambda r: "not JSON at all"
        failed = await services.ask.ask("Is the acting in Se7en any good?")
        assert failed.engine == "offline" and "unusable" in failed.notes[0]

        before = len(calls(fake, "check"))
        with_spoilers = await services.ask.ask("How does Se7en end?", spoilers=True)
        assert with_spoilers.engine == "openai:gpt-4o-mini"
        assert len(calls(fake, "check")) == before, "spoilers mode hides reveals itself: no second check"


async def test_off_means_no_check(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(llm_spoiler_check=False) as services:
        await services.summaries.summarize("Se7en")
        await services.ask.ask("Is the acting in Se7en any good?")
        assert calls(fake, "check") == []
