"""Load, cooldowns, errors, reconnects and shutdown: no interaction is ever left unanswered."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.discord_app.tree import APOLOGY
from bot.errors import BudgetExceeded
from tests.bot.discord_app.harness import Harness, start_bot
from tests.fakes.fake_discord import EPHEMERAL, FakeInteraction

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_many_interactions_at_once_are_all_acknowledged_in_time(harness: Harness) -> None:
    fake = harness.fake
    sent: list[FakeInteraction] = []
    titles = ["Parasite", "Se7en", "The Prestige", "Psycho (1960)", "Dune (2021)"]
    for i in range(80):
        user = harness.user(f"crowd{i}")
        title = titles[i % len(titles)]
        kind = i % 4
        if kind == 0:
            sent.append(await fake.command("summary", film=title, user=user))
        elif kind == 1:
            sent.append(await fake.autocomplete("summary", "film", film=title[:4].lower(), user=user))
        elif kind == 2:
            sent.append(await fake.command("film", film=title, user=user))
        else:
            sent.append(await fake.command("watchlist add", film=title, user=user))
    await fake.wait_for(lambda: all(ix.callbacks for ix in sent), within=10)
    await harness.idle(10)
    latencies = sorted(ix.acked_at - ix.sent_at for ix in sent if ix.acked_at is not None)
    assert len(latencies) == len(sent)
    assert latencies[-1] < 3.0, f"slowest acknowledgement {latencies[-1]:.3f}s"
    for ix in sent:
        assert ix.state in ("replied", "autocompleted"), ix.payload["data"]
        if ix.type == 2 and ix.payload["data"]["name"] == "summary":
            assert harness.fake.messages[ix.original_id]["embeds"][0]["description"]


async def test_cooldown_on_llm_commands_is_explained_and_typos_are_free(harness: Harness) -> None:
    harness.bot.llm_cooldown.seconds = 30
    try:
        hasty = harness.user("hasty")
        first = await harness.run("summary", film="Parasite", user=hasty)
        assert first.callback_type == 5
        second = await harness.run("ask", question="Is Parasite funny?", user=hasty)
        data = second.callbacks[0].body["data"]
        assert second.callback_type == 4 and data["flags"] & EPHEMERAL
        assert "once every 30 seconds" in data["content"] and "Try again in" in data["content"]

        careful = harness.user("careful")
        typo = await harness.run("summary", film="Parasiteee Returns", user=careful)
        assert "couldn't find" in typo.callbacks[0].body["data"]["content"]
        retry = await harness.run("summary", film="Parasite", user=careful)
        assert retry.callback_type == 5, "a failed lookup does not start the cooldown"
        other = await harness.run("film", film="Parasite", user=hasty)
        assert other.callback_type == 4 and "embeds" in other.callbacks[0].body["data"], "/film has no cooldown"
    finally:
        harness.bot.llm_cooldown.seconds = 0


async def test_unexpected_error_gets_an_apology_and_a_logged_traceback(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(harness.services.films, "facts", broken)
    with caplog.at_level(logging.ERROR, logger="bot.discord_app.tree"):
        ix = await harness.run("film", film="Parasite", user=harness.user("unlucky"))
    data = ix.callbacks[0].body["data"]
    assert data["content"] == APOLOGY and data["flags"] & EPHEMERAL
    assert "database on fire" not in data["content"]
    record = next(r for r in caplog.records if r.name == "bot.discord_app.tree")
    assert record.exc_info is not None and "database on fire" in str(record.exc_info[1])


async def test_known_error_after_a_public_defer_is_still_private(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def spent(*args: Any, **kwargs: Any) -> Any:
        raise BudgetExceeded("You've used today's LLM budget; it resets at midnight UTC.")

    monkeypatch.setattr(harness.services.summaries, "summarize", spent)
    ix = await harness.run("summary", film="Parasite", user=harness.user("spender"))
    assert ix.callback_type == 5 and not ix.callbacks[0].body.get("data", {}).get("flags")
    routes = [r.method for r in harness.fake.requests_to(ix.token) if "/callback" not in r.path]
    assert routes == ["DELETE", "POST"], "the public 'thinking…' is removed, then a private reply"
    (reply,) = harness.messages(ix)
    assert reply["flags"] & EPHEMERAL and "budget" in reply["content"]
    assert ix.state == "deleted"


async def test_errors_in_buttons_are_answered(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    ix = await harness.run("film", film="Se7en", user=harness.user("presser"))
    message = harness.original(ix)
    custom_id = next(b["custom_id"] for row in message["components"] for b in row["components"]
                     if b["label"] == "Add to watchlist")

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("watchlist table missing")

    monkeypatch.setattr(harness.services.watchlist, "add", broken)
    press = await harness.press(message["id"], custom_id, user=harness.user("presser2"))
    assert press.callbacks[0].body["data"]["content"] == APOLOGY


async def test_autocomplete_failure_answers_with_no_choices(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("index corrupt")

    monkeypatch.setattr(harness.services.films, "search", broken)
    assert await harness.autocomplete("film", "film", film="par") == []


async def test_the_bot_resumes_after_the_gateway_drops(harness: Harness) -> None:
    await harness.fake.drop_connection()
    await harness.fake.wait_for(lambda: harness.fake.resumes)
    assert harness.fake.resumes[-1]["session_id"] == harness.fake._session_id
    ix = await harness.run("help", user=harness.user("after-resume"))
    assert ix.callback_type == 4


# --- shutdown (own bots: shutting down is final) -----------------------------------------------------
async def test_shutdown_answers_work_that_cannot_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with start_bot(tmp_path, shutdown_grace=0.3) as h:
        started = asyncio.Event()

        async def hangs(*args: Any, **kwargs: Any) -> Any:
            started.set()
            await asyncio.sleep(60)

        monkeypatch.setattr(h.services.summaries, "summarize", hangs)
        ix = await h.fake.command("summary", film="Parasite")
        await asyncio.wait_for(started.wait(), 5)
        await h.bot.shutdown()
        assert h.bot.is_closed()
        (reply,) = h.messages(ix)
        assert reply["flags"] & EPHEMERAL and "restarting" in reply["content"]
        assert h.bot.in_flight == 0


async def test_shutdown_lets_work_in_progress_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with start_bot(tmp_path, shutdown_grace=5) as h:
        real = h.services.summaries.summarize
        started = asyncio.Event()

        async def slow(*args: Any, **kwargs: Any) -> Any:
            started.set()
            await asyncio.sleep(0.3)
            return await real(*args, **kwargs)

        monkeypatch.setattr(h.services.summaries, "summarize", slow)
        ix = await h.fake.command("summary", film="Parasite")
        await asyncio.wait_for(started.wait(), 5)
        await h.bot.shutdown()
        assert h.bot.is_closed()
        (answer,) = h.messages(ix)
        assert "Parasite (2019)" in answer["embeds"][0]["title"] and not answer["flags"] & EPHEMERAL
