"""With an LLM configured (the fake OpenAI server): streaming edits, long answers, and an LLM that
fails or hangs. Whatever the LLM does, every interaction gets an answer."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.discord_app.markup import WRITING
from bot.llm import schema
from bot.text.chunking import spoiler_markers
from tests.bot.discord_app.harness import Harness, start_bot
from tests.fakes.fake_discord import EPHEMERAL, FakeInteraction
from tests.fakes.fake_openai import ChatRequest, FakeOpenAI, Hang, Reply, ServerError
from tests.llm.model import review_ids, shown_text, two_words

pytestmark = pytest.mark.asyncio(loop_scope="module")
LLM_TIMEOUT = 0.5
ALLOWANCE = 20_000  # one summary's reservation (its prompt and output cap) fits
# Grounded in the request's first review (its own words), or the LLM path drops it as unsupported.
POINT = "Point {i}: reviewers admire the {0} and the {1}, and the {0} throughout the whole {1}."


def schema_of(request: ChatRequest) -> str | None:
    """Which structured reply the engine asked for (a stable, API-level signal)."""
    return ((request.body.get("response_format") or {}).get("json_schema") or {}).get("name")


class Model:
    """Answers each structured request validly; `points` sets how long answers are."""

    def __init__(self) -> None:
        self.points = 6
        self.prefix = ""  # put before every point (markup a model might write)

    def __call__(self, request: ChatRequest) -> Reply | str:
        name = schema_of(request)
        if name == "reviewbot_points":
            ids = review_ids(request)
            words = two_words(shown_text(request).get(ids[0], "")) if ids else ("craft", "work")
            points = [
                {"text": self.prefix + POINT.format(*words, i=i), "sources": [], "spoiler": i % 3 == 2}
                for i in range(self.points)
            ]
            text = json.dumps({"points": points})
            return Reply(text, chunk_chars=max(60, len(text) // 25), chunk_delay=0.03)  # ~0.75 s a stream
        if name == "reviewbot_digest":
            return json.dumps({"safe": "The reviewer liked the acting.", "spoilers": ""})
        return json.dumps({"spoiler_sentences": []})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def llm(tmp_path_factory: Any) -> AsyncIterator[tuple[Harness, FakeOpenAI, Model]]:
    model = Model()
    # These tests are about Discord (streamed edits, long answers cut into messages), so the fake model
    # writes many points from a template; the LLM path would drop all but a few as near-repeats (that
    # filter is tested in tests/llm/test_small_model_output.py). Only exact repeats are dropped here.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "NEAR_REPEAT", 1.01)
        async with _bot(tmp_path_factory, model) as running:
            yield running


@asynccontextmanager
async def _bot(tmp_path_factory: Any, model: Model) -> AsyncIterator[tuple[Harness, FakeOpenAI, Model]]:
    async with FakeOpenAI(responder=model) as openai, start_bot(
        tmp_path_factory.mktemp("discord-llm"),
        openai_base_url=openai.base_url,
        llm_max_retries=0,
        llm_timeout_seconds=LLM_TIMEOUT,
        llm_background_digests=False,  # request counts below are the commands' own
    ) as harness:
        assert harness.services.engine_name.startswith("openai:")
        yield harness, openai, model


async def test_summary_streams_with_throttled_edits(llm: tuple[Harness, FakeOpenAI, Model]) -> None:
    h, openai, model = llm
    model.points = 30
    before = len(openai.requests)
    ix = await h.run("summary", film="Parasite", spoilers=True, user=h.user("streamer"))
    assert ix.acked_at is not None and openai.requests[before].received_at > ix.acked_at, "deferred before the LLM"
    edits = [r for r in h.fake.requests_to(ix.token) if r.method == "PATCH"]
    previews, final = edits[:-1], edits[-1]
    assert len(previews) >= 2, "the summary was shown while it was being written"
    first = previews[0].body["embeds"][0]["description"]
    assert re.search(r"Reading \d+ reviews…", first), f"progress before the first point: {first!r}"
    for preview in previews:
        embed = preview.body["embeds"][0]
        assert embed["footer"]["text"] == WRITING
        assert len(spoiler_markers(embed["description"])) % 2 == 0, "a half-written spoiler stays hidden"
    gaps = [b.at - a.at for a, b in pairwise(previews)]
    assert all(gap >= h.bot.edit_interval * 0.9 for gap in gaps), gaps
    description = final.body["embeds"][0]["description"]
    assert "||Point 2:" in description and WRITING not in json.dumps(final.body)


async def test_markup_from_the_model_cannot_swallow_the_bots_own(llm: tuple[Harness, FakeOpenAI, Model]) -> None:
    """Issue 12, hole 10: a ``` in generated text put the spoiler bars inside a code block."""
    h, _, model = llm
    model.prefix, model.points = "```\n# ", 6
    try:
        ix = await h.run("summary", film="Se7en", spoilers=True, user=h.user("fenced"))
        summary = h.original(ix)["embeds"][0]["description"]
        ask = h.original(await h.run("ask", question="Is Se7en scary?", user=h.user("fenced-ask")))["content"]
    finally:
        model.prefix, model.points = "", 6
    for text in (summary, ask):
        assert "Point" in text, text
        assert not re.search(r"(?<!\\)`", text), "no backtick left that could open a code block"
        assert not re.search(r"(?m)^#", text), "no heading"
    assert "||" in summary and len(spoiler_markers(summary)) % 2 == 0


async def test_long_answer_is_split_at_the_limit(llm: tuple[Harness, FakeOpenAI, Model]) -> None:
    h, _, model = llm
    model.points = 60
    ix = await h.run("ask", question="Is the acting in Parasite good?", user=h.user("long"))
    first = h.original(ix)
    rest = [m for m in h.fake.thread_messages(first["id"]) if m["author"]["id"] == h.fake.app_id]
    pieces = [first["content"]] + [m["content"] for m in rest[:-1]]
    assert len(pieces) >= 2 and all(len(p) <= 2000 for p in pieces)
    assert len(pieces[0]) > 1500, "pieces are filled, not cut early"
    joined = "\n".join(pieces)
    assert "Point 58:" in joined, "nothing lost at the cuts"
    assert "Point 2:" not in joined and "Point 59:" not in joined, "spoiler points are left out of /ask"
    assert "mention" in rest[-1]["content"], "the thread hint comes after the whole answer"


async def test_follow_up_sends_the_conversation_to_the_llm(llm: tuple[Harness, FakeOpenAI, Model]) -> None:
    h, openai, model = llm
    model.points = 3
    asker = h.user("chatty")
    ix = await h.run("ask", question="Is the music in The Prestige memorable?", user=asker)
    thread_id = h.original(ix)["id"]
    before = len(openai.requests)
    question = await h.fake.user_message(thread_id, "and the ending?", user=asker, mention_bot=True)
    await h.fake.wait_for(lambda: any(
        m.get("message_reference", {}).get("message_id") == question["id"] and m["edited_timestamp"]
        for m in h.fake.thread_messages(thread_id)))
    await h.idle()
    follow_up = openai.requests[before]
    assert "Is the music in The Prestige memorable?" in follow_up.text, "earlier turns go to the model"
    assert "and the ending?" in follow_up.text


@pytest.mark.parametrize(
    ("failure", "reason"), [(ServerError(), "server error"), (Hang(seconds=30), "timed out")], ids=["fails", "hangs"]
)
async def test_the_user_gets_an_answer_when_the_llm_fails(
    llm: tuple[Harness, FakeOpenAI, Model], failure: Any, reason: str
) -> None:
    h, openai, model = llm
    model.points = 3
    before = len(openai.requests)
    openai.script(failure)
    summary = await h.run("summary", film="Se7en", user=h.user("unlucky-summary"))
    assert len(openai.requests) == before + 1
    embed = h.original(summary)["embeds"][0]
    assert embed["description"] and "Se7en (1995)" in embed["title"]
    assert f"The LLM was unavailable ({reason})" in embed["footer"]["text"]

    openai.script(failure)
    ask = await h.run("ask", question="Is the acting in Se7en good?", user=h.user("unlucky-ask"))
    content = h.original(ask)["content"]
    assert "Se7en (1995)" in content and f"The LLM was unavailable ({reason})" in content
    assert len(openai.requests) == before + 2
    for ix in (summary, ask):
        assert ix.acked_at is not None and ix.acked_at - ix.sent_at < 3.0
        assert ix.state == "replied"


async def test_nothing_was_left_unanswered(llm: tuple[Harness, FakeOpenAI, Model]) -> None:
    h, _, _ = llm
    for ix in h.fake.interactions.values():
        assert ix.callbacks and ix.state not in ("pending", "loading"), ix.payload["data"]
    for body in h.fake.sent_messages():
        assert body["allowed_mentions"]["parse"] == []


async def test_spent_llm_budget_is_a_private_reply(tmp_path: Path) -> None:
    async with FakeOpenAI(responder=Model()) as openai, start_bot(
        tmp_path, openai_base_url=openai.base_url, llm_max_retries=0, llm_daily_tokens_per_user=ALLOWANCE
    ) as h:
        me = h.user("spendthrift")
        first = await h.run("summary", film="Parasite", user=me)
        assert "Parasite (2019)" in h.original(first)["embeds"][0]["title"]
        await h.services.store.usage.record(  # the rest of the day's allowance, spent earlier
            user_id=me["id"], guild_id=None, purpose="earlier", input_tokens=ALLOWANCE, output_tokens=0
        )
        calls = len(openai.requests)
        second = await h.run("summary", film="Se7en", user=me)
        assert second.callback_type == 5 and second.state == "deleted", "the public 'thinking…' is removed"
        (reply,) = h.messages(second)
        assert reply["flags"] & EPHEMERAL and "today's LLM allowance" in reply["content"]
        assert len(openai.requests) == calls, "nothing is sent to the LLM without budget"


async def burst(h: Harness, user: dict[str, Any], count: int) -> list[FakeInteraction]:
    """`count` /ask from one person, all sent before the bot answers any."""
    sent = await asyncio.gather(*(
        h.fake.command("ask", question=f"Is Parasite funny, take {i}?", user=user) for i in range(count)
    ))
    for ix in sent:
        await h.settle(ix, within=30)
    return list(sent)


async def test_a_burst_of_asks_makes_one_model_call_under_a_cooldown(tmp_path: Path) -> None:
    async with FakeOpenAI(responder=Model()) as openai, start_bot(
        tmp_path, openai_base_url=openai.base_url, llm_max_retries=0, discord_command_cooldown_seconds=30
    ) as h:
        sent = await burst(h, h.user("burst"), 30)
        answered = [ix for ix in sent if ix.callback_type == 5]
        refused = [ix for ix in sent if ix.callback_type == 4]
        assert len(answered) == 1 and len(refused) == 29, "one starts the cooldown, 29 are refused"
        assert all("once every 30 seconds" in ix.callbacks[0].body["data"]["content"] for ix in refused)
        assert all(ix.callbacks[0].body["data"]["flags"] & EPHEMERAL for ix in refused)
        # One answer, and the model's second spoiler check of it (LLM_SPOILER_CHECK, on by default).
        assert [schema_of(r) for r in openai.requests] == ["reviewbot_points", "reviewbot_spoiler_check"]


async def test_a_burst_of_asks_spends_no_more_than_the_allowance(tmp_path: Path) -> None:
    allowance = 3000
    async with FakeOpenAI(responder=Model()) as openai, start_bot(
        tmp_path, openai_base_url=openai.base_url, llm_max_retries=0, llm_daily_tokens_per_user=allowance,
        llm_max_output_tokens=400,
    ) as h:
        user = h.user("spender")
        sent = await burst(h, user, 30)
        used = await h.services.store.usage.used_today_by_user(user["id"])
        assert 0 < used <= allowance, f"{used} tokens against a {allowance:,} allowance"
        assert 1 <= len(openai.requests) < 30
        for ix in sent:
            assert ix.callbacks, "every request is answered"
        told = [m["content"] for ix in sent for m in h.messages(ix) if m.get("content")]
        assert any("allowance" in text for text in told), "the refused ones are told why"
