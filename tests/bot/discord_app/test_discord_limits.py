"""Every configurable limit, reached through Discord, is explained to the person, privately."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.bot.discord_app.harness import Harness, start_bot
from tests.fakes.fake_discord import EPHEMERAL, FakeInteraction

pytestmark = pytest.mark.asyncio(loop_scope="module")
LONG_REVIEW = "A careful, well acted drama about grief, memory and language. " * 4  # 248 characters


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory: Any) -> AsyncIterator[Harness]:
    """A bot with small limits, so each is easy to reach. (MAX_REVIEW_CHARS is lowered after start-up:
    the bundled sample reviews are longer than 150 characters, and the sample loader applies it too.)"""
    async with start_bot(
        tmp_path_factory.mktemp("limits"), max_title_chars=30, max_question_chars=40, max_watchlist_size=2,
        conversation_max_turns=2,
    ) as h:
        h.services.reviews.max_review_chars = 150
        yield h


def refusal(ix: FakeInteraction) -> str:
    """A refusal is answered at once, privately."""
    assert ix.callback_type == 4, "answered at once, nothing deferred"
    data = ix.callbacks[0].body["data"]
    assert data["flags"] & EPHEMERAL
    return str(data["content"])


async def test_review_length(harness: Harness) -> None:
    ix = await harness.run("review", film="Arrival", text=LONG_REVIEW, user=harness.user("wordy"))
    assert refusal(ix).startswith(f"That review is {len(LONG_REVIEW.strip())} characters; the limit is 150.")
    assert "nothing was saved" in refusal(ix)


async def test_title_length(harness: Harness) -> None:
    ix = await harness.run("watchlist add", film="The Extraordinarily Long Film Title", user=harness.user("titled"))
    assert refusal(ix) == "That title is too long (over 30 characters)."


async def test_watchlist_size(harness: Harness) -> None:
    me = harness.user("collector")
    for film in ("Parasite", "Se7en"):
        assert "Added" in refusal(await harness.run("watchlist add", film=film, user=me))
    full = refusal(await harness.run("watchlist add", film="Arrival", user=me))
    assert "already holds 2 films, the most it can" in full and "Remove some first" in full


async def test_question_length(harness: Harness) -> None:
    ix = await harness.run("ask", question="Is the acting in Parasite any good, and the music?",
                           user=harness.user("curious"))
    assert refusal(ix) == "Please keep questions under 40 characters."


async def test_conversation_length_in_a_thread_says_how_to_start_again(harness: Harness) -> None:
    me = harness.user("chatty")
    ix = await harness.run("ask", question="Is Parasite funny?", user=me)
    thread = harness.fake.channels[harness.original(ix)["id"]]
    second = await harness.run("ask", question="Who directed it?", channel_id=thread["id"], user=me)
    assert "Bong Joon-ho" in harness.original(second)["content"]
    third = await harness.run("ask", question="Is it long?", channel_id=thread["id"], user=me)
    (reply,) = harness.messages(third)
    assert reply["flags"] & EPHEMERAL
    assert "This conversation is long now (2 questions" in reply["content"]
    assert "/ask in a channel (outside this thread)" in reply["content"]


async def test_conversation_length_in_dms_starts_a_new_one(harness: Harness) -> None:
    me = harness.user("dm-chatty")
    for question in ("Is Parasite funny?", "Who directed it?"):
        await harness.run("ask", question=question, user=me, dm=True)
    third = harness.original(await harness.run("ask", question="Is Se7en scary?", user=me, dm=True))
    assert "Se7en (1995)" in third["content"]
    assert "so this starts a new one" in third["content"]
