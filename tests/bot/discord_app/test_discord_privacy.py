"""/privacy export and /privacy delete, and the per-person limit on commands that write."""

from __future__ import annotations

import json

import pytest

from bot.discord_app.features.privacy import render
from bot.services.limits import RateLimit
from bot.services.summaries import Requester
from tests.bot.discord_app.harness import Harness
from tests.fakes.fake_discord import EPHEMERAL, JSON

pytestmark = pytest.mark.asyncio(loop_scope="module")

REVIEW = "Slow-burning and humane; the final conversation in the kitchen stayed with me for days."


def buttons(message: JSON) -> dict[str, JSON]:
    return {b["label"]: b for row in message.get("components", []) for b in row["components"]}


async def use_the_bot(h: Harness, user: JSON, tag: str) -> None:
    """Leave some data behind: a watchlist entry, a review, a conversation."""
    await h.run("watchlist add", film="Parasite", user=user)
    await h.run("review", film="Arrival", text=f"{REVIEW} ({tag})", rating=4.5, user=user)
    await h.services.ask.ask(f"Is Arrival sad, says {tag}?", conversation=f"discord:dm:{user['id']}",
                             requester=Requester(user["id"]))


async def stored(h: Harness, user: JSON) -> dict[str, object]:
    return await h.services.privacy.export(user["id"])


async def test_export_sends_only_my_data_as_a_private_json_file(harness: Harness) -> None:
    me, other = harness.user("exporter"), harness.user("bystander")
    await use_the_bot(harness, me, "mine")
    await use_the_bot(harness, other, "theirs")

    ix = await harness.run("privacy export", user=me)
    assert ix.callback_type == 5 and ix.callbacks[0].body["data"]["flags"] & EPHEMERAL
    (reply,) = harness.messages(ix)
    assert reply["flags"] & EPHEMERAL
    assert "1 watchlist entry, 1 review and 2 conversation messages" in reply["content"]
    (attachment,) = reply["attachments"]
    assert attachment["filename"] == f"reviewbot-data-{me['id']}.json"
    raw = harness.fake.file_content(attachment)
    data = json.loads(raw)
    assert data["user_id"] == me["id"]
    assert [e["film"] for e in data["watchlist"]] == ["Parasite (2019)"]
    assert [r["text"] for r in data["reviews"]] == [f"{REVIEW} (mine)"]
    assert any("says mine" in t["content"] for t in data["conversations"])
    assert b"theirs" not in raw and other["id"].encode() not in raw


async def test_an_export_too_large_to_upload_is_explained(harness: Harness) -> None:
    me = harness.user("hoarder")
    await use_the_bot(harness, me, "hoarded")
    harness.fake.attachment_size_limit = 200
    try:
        ix = await harness.run("privacy export", user=me)
    finally:
        harness.fake.attachment_size_limit = 10 * 1024 * 1024
    (reply,) = harness.messages(ix)
    assert reply["content"] == render.EXPORT_TOO_LARGE and reply["attachments"] == []
    assert reply["flags"] & EPHEMERAL


async def test_delete_asks_first_and_only_i_can_answer(harness: Harness) -> None:
    me, other = harness.user("leaver"), harness.user("prankster")
    await use_the_bot(harness, me, "leaving")
    await use_the_bot(harness, other, "staying")

    ix = await harness.run("privacy delete", user=me)
    assert ix.callback_type == 4
    question = harness.original(ix)
    assert question["flags"] & EPHEMERAL and question["content"] == render.DELETE_QUESTION
    choice = buttons(question)
    assert set(choice) == {"Delete everything", "Cancel"} and choice["Delete everything"]["style"] == 4
    assert (await stored(harness, me))["reviews"], "nothing is deleted before the confirmation"

    refused = await harness.press(question["id"], choice["Delete everything"]["custom_id"], user=other)
    data = refused.callbacks[0].body["data"]
    assert data["flags"] & EPHEMERAL and "Only the person who asked" in data["content"]
    assert (await stored(harness, me))["reviews"] and (await stored(harness, other))["reviews"]

    done = await harness.press(question["id"], choice["Delete everything"]["custom_id"], user=me)
    assert done.callback_type == 6, "acknowledged at once, then the message is edited"
    answer = harness.fake.messages[question["id"]]
    assert answer["content"].startswith("Done. I erased 1 watchlist entry, 1 review and 2 conversation messages")
    assert answer["components"] == [], "the buttons are gone"
    mine = await stored(harness, me)
    assert not mine["watchlist"] and not mine["reviews"] and not mine["conversations"]
    theirs = await stored(harness, other)
    assert theirs["watchlist"] and theirs["reviews"] and theirs["conversations"]
    film = await harness.services.films.resolve("Arrival")
    texts = [r.text for r in await harness.services.reviews.for_film(film)]
    assert f"{REVIEW} (leaving)" not in texts and f"{REVIEW} (staying)" in texts


async def test_delete_can_be_cancelled_or_left_to_time_out(harness: Harness) -> None:
    me = harness.user("hesitant")
    await use_the_bot(harness, me, "hesitant")
    question = harness.original(await harness.run("privacy delete", user=me))
    cancel = buttons(question)["Cancel"]["custom_id"]
    await harness.press(question["id"], cancel, user=me)
    assert harness.fake.messages[question["id"]]["content"] == "Cancelled: nothing was deleted."

    harness.bot.confirm_timeout = 0.3
    try:
        ix = await harness.run("privacy delete", user=me)
        message = harness.original(ix)
        stale = message["components"]
        await harness.fake.wait_for(lambda: message["content"] == render.DELETE_TIMED_OUT)
        assert message["components"] == [], "the lapsed question was withdrawn"
    finally:
        harness.bot.confirm_timeout = 60.0
    # Had the withdrawal been lost (say, to a restart), the buttons themselves know their deadline.
    message["components"] = stale
    late = await harness.press(message["id"], buttons(message)["Delete everything"]["custom_id"], user=me)
    assert late.callback_type == 7 and harness.fake.messages[message["id"]]["content"] == render.DELETE_TIMED_OUT
    assert (await stored(harness, me))["reviews"], "nothing was deleted"


async def test_writes_are_limited_per_person_and_the_wait_is_explained(harness: Harness) -> None:
    real = harness.bot.write_limit
    harness.bot.write_limit = RateLimit(harness.services.limits, "write", 3)
    try:
        busy, calm = harness.user("busy"), harness.user("calm")
        for film in ("Parasite", "Se7en", "Arrival"):
            ix = await harness.run("watchlist add", film=film, user=busy)
            assert "Added" in ix.callbacks[0].body["data"]["content"]
        refused = await harness.run("watchlist remove", film="Se7en", user=busy)
        data = refused.callbacks[0].body["data"]
        assert data["flags"] & EPHEMERAL
        assert "you can make 3 changes a minute" in data["content"] and "Try again in" in data["content"]
        assert [e.title for e in await harness.services.watchlist.list(busy["id"])] == ["Parasite", "Se7en", "Arrival"]

        review = await harness.run("review", film="Se7en", text=REVIEW, user=busy)
        assert "changes a minute" in review.callbacks[0].body["data"]["content"]
        export = await harness.run("privacy export", user=busy)
        assert "changes a minute" in export.callbacks[0].body["data"]["content"]
        listed = await harness.run("watchlist list", user=busy)
        assert listed.callbacks[0].body["data"]["embeds"], "reading is not limited"
        other = await harness.run("watchlist add", film="Se7en", user=calm)
        assert "Added" in other.callbacks[0].body["data"]["content"], "the limit is per person"
    finally:
        harness.bot.write_limit = real

