"""Service-layer pieces behind /admin: per-server settings, and removing reviews written in a server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import Services, open_services
from bot.errors import InvalidInput, LimitReached, PermissionDenied
from bot.services.summaries import Requester
from bot.settings import Settings
from storage.records import GuildSettings

TEXT = "A patient, humane film about talking to strangers; the sound design alone is worth it."


async def test_guild_settings_default_then_change_and_survive_a_restart(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(reviewbot_load_sample=False)
    async with open_services(settings) as services:
        guilds = services.guilds
        assert await guilds.get("42") == GuildSettings() == await guilds.get(None)
        changed = await guilds.update("42", spoilers_in_channel=False)
        assert changed == GuildSettings(spoilers_in_channel=False)
        changed = await guilds.update("42", llm_cooldown_seconds=30)
        assert changed == GuildSettings(spoilers_in_channel=False, llm_cooldown_seconds=30)
        with pytest.raises(InvalidInput, match="0 to 3600"):
            await guilds.update("42", llm_cooldown_seconds=99_999)
        assert await guilds.get("7") == GuildSettings(), "other servers keep the defaults"
    async with open_services(settings) as services:
        assert await services.guilds.get("42") == GuildSettings(False, 30.0)
        back = await services.guilds.update("42", spoilers_in_channel=None)
        assert back == GuildSettings(None, 30.0), "None goes back to the bot's default"


async def test_only_reviews_written_in_the_server_can_be_removed_from_it(services: Services) -> None:
    film = await services.films.resolve("Arrival")
    here = await services.reviews.add(film, text=TEXT, author="ann", source="discord", author_user_id="1",
                                      guild_id="100")
    elsewhere = await services.reviews.add(film, text=TEXT + " Again.", author="bob", source="discord",
                                           author_user_id="2", guild_id="200")
    listed = await services.reviews.in_guild("100")
    assert [(r.id, label) for r, label in listed] == [(here.review_id, "Arrival (2016)")]
    assert await services.reviews.in_guild("100", id_prefix=str(here.review_id)[:1])
    assert not await services.reviews.in_guild("100", id_prefix="9999999")

    with pytest.raises(PermissionDenied, match="wasn't written in this server"):
        await services.reviews.delete_in_guild(elsewhere.review_id, "100")
    sample = (await services.reviews.for_film(film))[0]
    with pytest.raises(PermissionDenied):
        await services.reviews.delete_in_guild(sample.id, "100")
    with pytest.raises(InvalidInput, match="no review #987654"):
        await services.reviews.delete_in_guild(987654, "100")

    removed = await services.reviews.delete_in_guild(here.review_id, "100")
    assert removed.author == "ann" and await services.reviews.get(here.review_id) is None
    assert await services.reviews.get(elsewhere.review_id) is not None


async def test_imports_made_in_a_server_are_tagged_with_it(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(f"film,year,author,rating,text\nArrival,2016,zed,4,\"{TEXT}\"\n", encoding="utf-8")
    parsed = services.importer.parse_path(path)
    report = await services.importer.apply(parsed, skip_bad=True, guild_id="300")
    assert report.reviews_added == 1
    ((review, _),) = await services.reviews.in_guild("300")
    assert review.author == "zed" and review.guild_id == "300"


async def test_a_conversation_has_a_most_questions_limit(make_settings: Callable[..., Settings]) -> None:
    async with open_services(make_settings(conversation_max_turns=2)) as services:
        who = Requester(user_id="5")
        await services.ask.ask("Is Parasite funny?", conversation="t:1", requester=who)
        await services.ask.ask("And the acting?", conversation="t:1", requester=who)
        with pytest.raises(LimitReached, match=r"long now \(2 questions"):
            await services.ask.ask("And the music?", conversation="t:1", requester=who)
        fresh = await services.ask.ask("And the music in Parasite?", conversation="t:2", requester=who)
        assert fresh.text

        # One conversation per person (Discord DMs): a full one is replaced, the old turns kept.
        again = await services.ask.ask("Is Parasite long?", conversation="t:1", requester=who,
                                       start_over_when_full=True)
        assert any("starts a new one" in note for note in again.notes)
        await services.ask.ask("Who directed Parasite?", conversation="t:1", requester=who)
        exported = await services.privacy.export("5")
        questions = [t for t in exported["conversations"] if t["role"] == "user"]  # type: ignore[attr-defined]
        assert len(questions) == 5, "the retired conversation's turns still belong to the person"
