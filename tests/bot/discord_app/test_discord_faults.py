"""Discord misbehaving mid-command: the gateway drops, follow-ups are rate limited (429), the
interaction token expires. Each time the answer still arrives, or the bot gives up cleanly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.discord_app.tree import APOLOGY
from tests.bot.discord_app.harness import Harness
from tests.fakes.fake_discord import EMBED_LINKS, EPHEMERAL, JSON, SEND_MESSAGES, FakeInteraction

pytestmark = pytest.mark.asyncio(loop_scope="module")


class Gate:
    """Wraps a service method so the command stops inside it until the test opens the gate."""

    def __init__(self, real: Callable[..., Awaitable[Any]]) -> None:
        self.real = real
        self.started = asyncio.Event()
        self.opened = asyncio.Event()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.started.set()
        await self.opened.wait()
        return await self.real(*args, **kwargs)

    async def wait_started(self) -> None:
        await asyncio.wait_for(self.started.wait(), 5)


def gate(monkeypatch: pytest.MonkeyPatch, service: object, name: str) -> Gate:
    held = Gate(getattr(service, name))
    monkeypatch.setattr(service, name, held)
    return held


def channel_posts(h: Harness, after: float) -> list[JSON]:
    """Messages the bot posted with the channel endpoint (not through an interaction) since `after`."""
    posts = [r for r in h.fake.requests if r.method == "POST" and r.path.endswith("/messages") and r.at > after
             and "/webhooks/" not in r.path]
    return [r.body for r in posts]


# --- the gateway ------------------------------------------------------------------------------------
async def test_a_command_survives_a_gateway_drop_and_missed_events_are_replayed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = harness.fake
    held = gate(monkeypatch, harness.services.summaries, "summarize")
    resumes = len(fake.resumes)
    ix = await fake.command("summary", film="Parasite", user=harness.user("patient"))
    await held.wait_started()
    assert ix.callback_type == 5, "deferred before the slow part"

    await fake.drop_connection(4000)  # resumable: "unknown error, reconnect"
    # Sent while the bot is away: Discord keeps it and replays it after the RESUME.
    missed = await fake.command("help", user=harness.user("meanwhile"))
    await fake.wait_for(lambda: len(fake.resumes) > resumes)
    await fake.wait_for(lambda: missed.callbacks)  # (the summary is still held: the bot isn't idle)
    assert missed.callback_type == 4 and missed.acked_at is not None and missed.acked_at - missed.sent_at < 3

    held.opened.set()
    await harness.settle(ix)
    (answer,) = harness.messages(ix)
    assert answer["embeds"][0]["title"].startswith("Parasite (2019)")
    assert fake.resumes[-1]["session_id"] == fake._session_id and fake.identify is not None


# --- 429 --------------------------------------------------------------------------------------------------
async def test_a_rate_limited_follow_up_is_retried_and_delivered(harness: Harness) -> None:
    fake = harness.fake
    fault = fake.rate_limit_next("POST", f"/webhooks/{fake.app_id}/", retry_after=0.3)
    text = "Quietly devastating; every frame of the ending is earned and the cast is superb."
    ix = await harness.run("review", film="Se7en", text=text, user=harness.user("limited"))
    posts = [r for r in fake.requests_to(ix.token) if r.method == "POST" and "/webhooks/" in r.path]
    assert [r.status for r in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.3, "waited as long as Discord said"
    assert len(fault.hits) == 1
    assert harness.original(ix)["content"].startswith("Saved your review")


async def test_a_rate_limited_edit_of_the_answer_is_retried(harness: Harness) -> None:
    fake = harness.fake
    fake.rate_limit_next("PATCH", "/messages/@original", retry_after=0.2)
    ix = await harness.run("summary", film="Se7en", user=harness.user("edited"))
    edits = [r for r in fake.requests_to(ix.token) if r.method == "PATCH"]
    assert [r.status for r in edits][-2:] == [429, 200]
    assert harness.original(ix)["embeds"][0]["title"].startswith("Se7en (1995)")


async def test_a_429_without_via_is_not_retried_but_still_answered(harness: Harness) -> None:
    """No `Via` header: discord.py takes it for a Cloudflare ban and raises; the person still hears."""
    harness.fake.rate_limit_next("POST", f"/webhooks/{harness.fake.app_id}/", via=False)
    text = "Lovely to look at, slow to start, and I still think about the last scene."
    ix = await harness.run("review", film="Parasite", text=text, user=harness.user("banned"))
    (reply,) = harness.messages(ix)
    assert reply["content"] == APOLOGY and reply["flags"] & EPHEMERAL


# --- expired interaction tokens ------------------------------------------------------------------------
async def expire_mid_command(
    h: Harness, monkeypatch: pytest.MonkeyPatch, send: Callable[[], Awaitable[FakeInteraction]], service: object,
    name: str,
) -> FakeInteraction:
    held = gate(monkeypatch, service, name)
    ix = await send()
    await held.wait_started()
    h.fake.expire(ix)  # as if the work had taken more than 15 minutes
    held.opened.set()
    return await h.settle(ix)


async def test_an_expired_public_answer_is_posted_in_the_channel(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake = harness.fake
    since = fake.now()
    with caplog.at_level(logging.INFO, logger="bot"):
        ix = await expire_mid_command(
            harness, monkeypatch, lambda: fake.command("summary", film="The Prestige", user=harness.user("slow")),
            harness.services.summaries, "summarize",
        )
    statuses = [r.status for r in fake.requests_to(ix.token) if r.method == "PATCH"]
    assert statuses and set(statuses) == {401}, "the webhook was tried, then never again"
    (post,) = channel_posts(harness, since)
    assert post["embeds"][0]["title"].startswith("The Prestige (2006)")
    assert post["allowed_mentions"]["parse"] == [] and "<@" not in (post.get("content") or "")
    assert any(b["label"] == "Show spoilers" for row in post["components"] for b in row["components"])
    assert "posted in the channel instead" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_expired_private_answer_is_dropped_not_made_public(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake = harness.fake
    public = harness.original(await harness.run("summary", film="The Sixth Sense", user=harness.user("poster2")))
    show = next(b["custom_id"] for row in public["components"] for b in row["components"])
    since = fake.now()
    with caplog.at_level(logging.INFO, logger="bot"):
        await expire_mid_command(
            harness, monkeypatch, lambda: fake.press(public["id"], show, user=harness.user("curious2")),
            harness.services.summaries, "summarize",
        )
    assert channel_posts(harness, since) == [], "spoilers meant for one person never go to the channel"
    assert "not posted publicly" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("allowed", [0, SEND_MESSAGES], ids=["cannot-send", "cannot-embed"])
async def test_an_expired_answer_without_permission_to_post_is_given_up(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, allowed: int
) -> None:
    fake = harness.fake
    since = fake.now()
    assert not allowed & EMBED_LINKS
    with caplog.at_level(logging.INFO, logger="bot"):
        await expire_mid_command(
            harness, monkeypatch,
            lambda: fake.command("summary", film="Se7en", user=harness.user("muted"), app_permissions=allowed),
            harness.services.summaries, "summarize",
        )
    assert channel_posts(harness, since) == []
    assert "may not post in its channel" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_fifteen_minutes_later_an_ask_in_dms_is_answered_in_the_dm(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = harness.fake
    held = gate(monkeypatch, harness.services.ask, "ask")
    me = harness.user("dm-slow")
    ix = await fake.command("ask", question="Is Parasite funny?", user=me, dm=True)
    await held.wait_started()
    fake.advance_clock(15 * 60 + 1)
    assert fake.token_expired(ix)
    held.opened.set()
    await harness.settle(ix)
    dm = ix.payload["channel_id"]
    posted = [m for m in fake.messages.values() if m["channel_id"] == dm and "interaction_metadata" not in m]
    assert len(posted) == 1 and "Parasite" in posted[0]["content"]
    fresh = await harness.run("help", user=me, dm=True)
    assert fresh.callback_type == 4, "new interactions are unaffected"


async def test_an_interaction_delivered_twice_is_answered_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the 10-minute soak: after a RESUME the same INTERACTION_CREATE can arrive again;
    answering it twice failed with "already acknowledged" and logged an unexpected error."""
    user = harness.user("twice")
    with caplog.at_level(logging.INFO, logger="bot"):
        ix = await harness.run("film", user=user, film="Parasite")
        await harness.fake.dispatch("INTERACTION_CREATE", ix.payload)
        await asyncio.sleep(0.3)
        await harness.idle()
    assert len(ix.callbacks) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("second delivery" in r.getMessage() for r in caplog.records)
