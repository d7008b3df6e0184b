"""/ask and the conversation that continues in a thread."""

from __future__ import annotations

import pytest

from tests.bot.discord_app.harness import Harness
from tests.fakes.fake_discord import EPHEMERAL, JSON, FakeInteraction

pytestmark = pytest.mark.asyncio(loop_scope="module")


def bot_messages_in(h: Harness, channel_id: str) -> list[JSON]:
    return [m for m in h.fake.thread_messages(channel_id) if m["author"]["id"] == h.fake.app_id]


async def ask_in_channel(h: Harness, user: JSON, question: str) -> tuple[FakeInteraction, JSON, JSON]:
    """Run /ask in the text channel; returns (the interaction, its answer, the thread opened from it)."""
    ix = await h.run("ask", question=question, user=user)
    assert ix.callback_type == 5
    answer = h.original(ix)
    thread = h.fake.channels.get(answer["id"])
    assert thread is not None and thread["type"] == 11, "a thread was opened from the answer"
    return ix, answer, thread


async def test_ask_answers_then_opens_a_thread(harness: Harness) -> None:
    ix, answer, thread = await ask_in_channel(harness, harness.user("asker"), "Is the acting in Parasite any good?")
    assert "Parasite (2019)" in answer["content"]
    assert not answer["flags"] & EPHEMERAL
    assert thread["name"] == "Is the acting in Parasite any good?"
    hint = bot_messages_in(harness, thread["id"])
    assert len(hint) == 1 and "mention" in hint[0]["content"]
    assert await harness.services.ask.has_conversation(f"discord:thread:{thread['id']}")
    create = harness.fake.requests_to(f"/messages/{answer['id']}/threads")
    edits = [r for r in harness.fake.requests_to(ix.token) if r.method == "PATCH"]
    assert create and edits and create[0].at > edits[-1].at, "the thread is opened once the answer is there"


async def test_follow_ups_that_mention_the_bot_are_answered_with_memory(harness: Harness) -> None:
    asker = harness.user("follower")
    _, _, thread = await ask_in_channel(harness, asker, "How is the pacing of Parasite?")
    before = len(bot_messages_in(harness, thread["id"]))

    await harness.fake.user_message(thread["id"], "who directed it?", user=asker)  # no mention: not for me
    question = await harness.fake.user_message(thread["id"], "who directed it?", user=asker, mention_bot=True)

    def answered() -> list[JSON]:
        return [m for m in bot_messages_in(harness, thread["id"])
                if m.get("message_reference", {}).get("message_id") == question["id"] and m["edited_timestamp"]]

    replies = await harness.fake.wait_for(answered)
    await harness.idle()
    assert "Bong Joon-ho" in replies[0]["content"], "the film was remembered from the first question"
    assert len(bot_messages_in(harness, thread["id"])) == before + 1, "the message without a mention was ignored"
    assert replies[0]["allowed_mentions"] == {"parse": []}, "the reply does not ping the asker"


async def test_messages_in_other_threads_are_ignored(harness: Harness) -> None:
    stranger = harness.user("stranger")
    thread = harness.fake.add_thread("random chat")
    await harness.fake.user_message(thread["id"], "what do you think?", user=stranger, mention_bot=True)
    _, _, ours = await ask_in_channel(harness, stranger, "Is Se7en scary?")  # a barrier: events arrive in order
    assert bot_messages_in(harness, thread["id"]) == []
    assert ours["id"] != thread["id"]


async def test_ask_inside_a_thread_continues_it(harness: Harness) -> None:
    asker = harness.user("threaded")
    _, _, thread = await ask_in_channel(harness, asker, "Is the music in The Prestige good?")
    threads_before = sum(1 for c in harness.fake.channels.values() if c["type"] == 11)
    ix = await harness.run("ask", question="And who directed it?", channel_id=thread["id"], user=asker)
    assert "Christopher Nolan" in harness.original(ix)["content"]
    assert sum(1 for c in harness.fake.channels.values() if c["type"] == 11) == threads_before


async def test_ask_in_a_dm_remembers_without_threads(harness: Harness) -> None:
    me = harness.user("dm-asker")
    first = await harness.run("ask", question="Is Dear Comrades! worth watching?", user=me, dm=True)
    assert "Dear Comrades!" in harness.original(first)["content"]
    second = await harness.run("ask", question="who directed it?", user=me, dm=True)
    assert "Konchalovsky" in harness.original(second)["content"]
    assert await harness.services.ask.has_conversation(f"discord:dm:{me['id']}")


async def test_no_thread_permission_is_explained(harness: Harness) -> None:
    harness.fake.allow_threads = False
    try:
        ix = await harness.run("ask", question="Is the acting in Se7en good?", user=harness.user("noperm"))
    finally:
        harness.fake.allow_threads = True
    messages = harness.messages(ix)
    assert "Se7en (1995)" in messages[0]["content"]
    note = messages[-1]
    assert note["flags"] & EPHEMERAL and "Create Public Threads" in note["content"]


async def test_ask_with_an_unknown_film_option(harness: Harness) -> None:
    ix = await harness.run("ask", question="any good?", film="Nonexistent Film Title", user=harness.user("q"))
    assert ix.callback_type == 4 and ix.callbacks[0].body["data"]["flags"] & EPHEMERAL
