"""PrivacyService through the real services: export one person's data, delete it in one call."""

from __future__ import annotations

import json

from bot.app import Services
from bot.services.summaries import Requester
from storage.reviews import ReviewRepository

ANN, BOB = "111", "222"
REVIEW = "The language puzzle is gripping and Amy Adams carries every scene with quiet grace."


async def _use_the_bot(services: Services, user: str) -> None:
    await services.watchlist.add(user, "Parasite")
    await services.watchlist.mark_watched(user, "Oldboy", rating=4.5, note=f"note of {user}")
    film = await services.films.resolve("Arrival")
    await services.reviews.add(film, text=f"{REVIEW} Signed {user}.", author=f"name-{user}",
                               rating=4, source="discord", author_user_id=user)
    requester = Requester(user_id=user)
    await services.ask.ask(f"is the acting in Arrival good, asks {user}?", conversation=f"dm:{user}",
                           requester=requester)
    # Both ask in one shared thread, which Ann opened.
    await services.ask.ask(f"{user} wonders about Parasite's pacing", conversation="thread:1", requester=requester)


async def test_export_holds_that_user_only(services: Services) -> None:
    await _use_the_bot(services, ANN)
    await _use_the_bot(services, BOB)
    await services.watchlist.set_shared(ANN, True)

    data = await services.privacy.export(ANN)
    json.dumps(data)  # exportable as it is
    assert data["user_id"] == ANN and data["watchlist_shared"] is True
    assert {e["film"] for e in data["watchlist"]} == {"Parasite (2019)", "Oldboy (2003)"}  # type: ignore[attr-defined]
    watched = next(e for e in data["watchlist"] if e["film"] == "Oldboy (2003)")  # type: ignore[attr-defined]
    assert watched["rating"] == 4.5 and watched["note"] == f"note of {ANN}" and watched["watched_at"]
    assert [r["text"] for r in data["reviews"]] == [f"{REVIEW} Signed {ANN}."]  # type: ignore[attr-defined]
    turns = data["conversations"]
    assert [t["role"] for t in turns] == ["user", "assistant"] * 2  # type: ignore[attr-defined]
    assert {t["conversation"] for t in turns} == {f"dm:{ANN}", "thread:1"}  # type: ignore[attr-defined]
    text = json.dumps(data)
    assert BOB not in text and f"note of {BOB}" not in text


async def test_delete_erases_that_user_only(services: Services) -> None:
    await _use_the_bot(services, ANN)
    await _use_the_bot(services, BOB)
    bob_before = await services.privacy.export(BOB)
    films_before = await services.films.search("Arrival")

    counts = await services.privacy.delete(ANN)
    assert counts["watchlist_entries"] == 2 and counts["reviews"] == 1 and counts["preferences"] == 0
    assert counts["conversation_turns"] == 4 and counts["conversations"] == 1  # the shared thread stays

    empty = await services.privacy.export(ANN)
    assert empty["watchlist"] == [] and empty["reviews"] == [] and empty["conversations"] == []
    assert await services.privacy.export(BOB) == bob_before
    assert await services.watchlist.list(ANN) == []
    assert len(await services.watchlist.list(BOB)) == 2
    film = await services.films.resolve("Arrival")
    authors = {r.author for r in await ReviewRepository(services.store.db).for_film(film.id)}
    assert f"name-{BOB}" in authors and f"name-{ANN}" not in authors
    assert await services.films.search("Arrival") == films_before  # films themselves stay
    # Bob's follow-up in the shared thread still has its history (his turns only).
    assert await services.ask.has_conversation("thread:1")


async def test_delete_twice_is_harmless(services: Services) -> None:
    await services.watchlist.add(ANN, "Parasite")
    await services.privacy.delete(ANN)
    assert set((await services.privacy.delete(ANN)).values()) == {0}
