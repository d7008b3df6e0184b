"""Logs at INFO and above never hold tokens, review text or what people typed.

A run of commands (including errors, an import, an export, a rate-limited follow-up and an
expired interaction) is logged at DEBUG; every INFO+ record, with its traceback, is searched for
the secrets and the texts. DEBUG may hold them (it is for the operator's own debugging), which the
last assertion uses to show that the search would find them.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.bot.discord_app.harness import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")

REVIEW = "Quixotic marmalade cinematography, zebrafish-level pacing, and an ending I adored."
QUESTION = "Is the vexillology subplot in Parasite any good?"
FOLLOW_UP = "And what about the xylophone motif?"
QUERY = "Flibbertigibbet Returns"
STUB = "Snozzcumber Nights (2031)"
IMPORTED = "Imported wombat prose about Arrival that nobody should ever see in a log."


def records_text(records: list[logging.LogRecord]) -> str:
    out = []
    for record in records:
        out.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            out.append(repr(record.exc_info[1]))
            out.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(out)


async def test_info_logs_hold_no_secrets_and_no_text(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    fake = harness.fake
    caplog.set_level(logging.DEBUG)
    me = harness.user("logged")

    await harness.run("review", film="Arrival", text=REVIEW, rating=4.0, user=me)
    ix = await harness.run("ask", question=QUESTION, user=me)
    thread = fake.channels[harness.original(ix)["id"]]
    question = await fake.user_message(thread["id"], FOLLOW_UP, user=me, mention_bot=True)
    await fake.wait_for(lambda: any(m.get("message_reference", {}).get("message_id") == question["id"]
                                    and m["edited_timestamp"] for m in fake.thread_messages(thread["id"])))
    await harness.idle()
    await harness.run("summary", film="Arrival", user=me)
    await harness.run("film", film=QUERY, user=me)  # not found: the query is in the reply
    await harness.run("watchlist add", film=STUB, user=me)
    await harness.run("watchlist remove", film=QUERY, user=me)
    csv = f'film,year,author,rating,text\nArrival,2016,wombat,4,"{IMPORTED}"\nArrival,2016,x,9,"{IMPORTED} bad"\n'
    await harness.run("admin import", file=fake.attachment("reviews.csv", csv.encode()))
    await harness.run("privacy export", user=me)
    fake.rate_limit_next("POST", f"/webhooks/{fake.app_id}/", retry_after=0.05)
    await harness.run("review", film="Se7en", text=REVIEW + " Again.", user=me)

    async def slow(*args: object, **kwargs: object) -> object:
        await asyncio.sleep(0.2)
        return await real(*args, **kwargs)

    real = harness.services.summaries.summarize
    harness.services.summaries.summarize = slow  # type: ignore[method-assign]
    try:
        late = await fake.command("summary", film="Arrival", user=me)
        await fake.wait_for(lambda: late.callbacks)
        fake.expire(late)
        await harness.settle(late)
    finally:
        harness.services.summaries.summarize = real  # type: ignore[method-assign]

    # The bot's own process only: the fake Discord's web server (aiohttp.access) is not part of it.
    ours = [r for r in caplog.records if not r.name.startswith(("aiohttp.access", "aiohttp.server", "tests."))]
    info = records_text([r for r in ours if r.levelno >= logging.INFO])
    secrets = [fake.token, *(ix.token for ix in fake.interactions.values())]
    texts = [REVIEW, QUESTION, FOLLOW_UP, QUERY, STUB, IMPORTED, "Quixotic", "vexillology", "xylophone", "wombat prose"]
    for secret in secrets:
        assert secret not in info, "a token was logged at INFO or above"
    for text in texts:
        assert text not in info, f"{text!r} was logged at INFO or above"
    assert "posted in the channel instead" in info, "the run did reach the fallback"
    debug = records_text([r for r in ours if r.levelno < logging.INFO])
    assert QUERY in debug, "DEBUG may hold what people typed: the search above would have found it"

