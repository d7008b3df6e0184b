"""The repository contract (storage/ports.py) on both backends: what the film, watchlist,
conversation and user tests beside this file don't already cover (reviews and their search, the
summary cache, usage, server settings, units of work, schema versions)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.backends import SqliteStore, open_store
from storage.errors import DatabaseNewer
from storage.ports import Store
from storage.records import Digest, FilmInput, GuildSettings, ReviewInput, Sentence, SummaryKey
from tests.storage.conftest import execute, fetchval


def _review(film_id: int, author: str, text: str, *, guild: str | None = None) -> ReviewInput:
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    sentences = tuple(Sentence(i, s, 0.9 if "dies" in s else 0.0, False, ("acting",) if "act" in s else ())
                      for i, s in enumerate(parts))
    return ReviewInput(film_id=film_id, author=author, source="test", rating=4.0, text=text,
                       author_flagged_spoilers=False, content_hash=f"h-{author}-{len(text)}", sentences=sentences,
                       guild_id=guild)


async def test_reviews_are_stored_once_with_their_sentences(store: Store) -> None:
    film = await store.films.add(FilmInput(title="Arrival", year=2016))
    review = _review(film.id, "ann", "The acting is superb. Louise dies at the end.")
    review_id, created = await store.reviews.add(review)
    assert created and await store.reviews.add(review) == (review_id, False)
    stored = await store.reviews.get(review_id)
    assert stored is not None
    assert [s.text for s in stored.sentences] == ["The acting is superb.", "Louise dies at the end."]
    assert stored.sentences[0].topics == ("acting",) and stored.sentences[1].spoiler_score == 0.9
    assert [r.id for r in await store.reviews.for_film(film.id)] == [review_id]
    assert (await store.films.review_stats(film.id)) == (1, 4.0)


async def test_sentence_search_finds_word_prefixes_best_first(store: Store) -> None:
    film = await store.films.add(FilmInput(title="Arrival", year=2016))
    other = await store.films.add(FilmInput(title="Dune", year=2021))
    await store.reviews.add(_review(film.id, "ann", "The acting is superb. The music hums. Acting, acting, acting!"))
    await store.reviews.add(_review(other.id, "bob", "Sand everywhere. The actors look bored."))
    hits = await store.reviews.search_sentences(["acting"], film_ids=None, limit=10)
    # Stemmed, then matched as a prefix: "acting" -> act* also finds "actors", on both backends.
    assert {h.text for h in hits} == {"The acting is superb.", "Acting, acting, acting!", "The actors look bored."}
    assert hits[0].text == "Acting, acting, acting!"  # more matches rank first on both backends
    assert [h.author for h in await store.reviews.search_sentences(["actor"], film_ids=None, limit=10)] == ["bob"]
    within = await store.reviews.search_sentences(["act"], film_ids=[other.id], limit=10)
    assert {h.film_id for h in within} == {other.id}
    assert await store.reviews.search_sentences(["zebra"], film_ids=None, limit=10) == []
    assert await store.reviews.search_sentences([], film_ids=None, limit=10) == []
    # Query syntax in the words is only text: no error, and quotes alone match nothing.
    assert await store.reviews.search_sentences(['"', "'", "\\"], film_ids=None, limit=10) == []
    for hostile in ("a:*|b", "AND", "NEAR(", "!x", "(x", "x)"):
        await store.reviews.search_sentences([hostile], film_ids=None, limit=10)


async def test_changes_to_reviews_move_the_review_set_hash_and_drop_cached_summaries(store: Store) -> None:
    film = await store.films.add(FilmInput(title="Arrival", year=2016))
    key = SummaryKey(film.id, "spoiler_free", "offline", "v1", await store.reviews.review_set_hash(film.id))
    await store.summaries.put(key, "cached", sources=[1, 2], notes=["n"], input_tokens=3, output_tokens=4)
    cached = await store.summaries.get(key)
    assert cached is not None and (cached.summary, cached.sources, cached.notes) == ("cached", (1, 2), ("n",))
    await store.summaries.put(key, "again", sources=[])
    assert (await store.summaries.get(key)).summary == "again"  # type: ignore[union-attr]

    before = await store.reviews.review_set_hash(film.id)
    review_id, _ = await store.reviews.add(_review(film.id, "ann", "Fine acting."))
    assert await store.summaries.count_for_film(film.id) == 0
    assert await store.reviews.review_set_hash(film.id) != before
    await store.reviews.replace_sentences(review_id, [Sentence(0, "Rescored.", 0.5, True)])
    assert [s.text for s in (await store.reviews.get(review_id)).sentences] == ["Rescored."]  # type: ignore[union-attr]
    assert await store.reviews.delete(review_id) and not await store.reviews.delete(review_id)
    assert await store.reviews.get(review_id) is None


async def test_reviews_in_a_server_and_of_a_person(store: Store) -> None:
    film = await store.films.add(FilmInput(title="Arrival", year=2016))
    first, _ = await store.reviews.add(_review(film.id, "ann", "One.", guild="g1"))
    second, _ = await store.reviews.add(_review(film.id, "bob", "Two!", guild="g1"))
    await store.reviews.add(_review(film.id, "cat", "Three?", guild="g2"))
    listed = await store.reviews.in_guild("g1")
    assert [(r.id, label) for r, label in listed] == [(second, "Arrival (2016)"), (first, "Arrival (2016)")]
    assert [r.id for r, _ in await store.reviews.in_guild("g1", id_prefix=str(first))] == [first]
    assert await store.reviews.in_guild("g1", id_prefix="%") != []  # wildcards are stripped, not obeyed
    assert [t for _, t in await store.reviews.recent_texts_by_film(2)] == ["Three?", "Two!"]


async def test_digests_usage_guild_settings(store: Store) -> None:
    film = await store.films.add(FilmInput(title="Arrival", year=2016))
    review_id, _ = await store.reviews.add(_review(film.id, "ann", "Fine acting."))
    digest = Digest(review_id, "hash", "safe", "spoiler", 10, 2)
    await store.summaries.put_digest(digest, "e", "v1")
    await store.summaries.put_digest(digest, "e", "v1")
    assert await store.summaries.digests([review_id, 999], "e", "v1") == {review_id: digest}
    assert await store.summaries.digests([review_id], "e", "v2") == {}

    await store.usage.record(user_id="u1", guild_id="g1", purpose="ask", input_tokens=5, output_tokens=1)
    await store.usage.record(user_id="u2", guild_id="g1", purpose="ask", input_tokens=1, output_tokens=1)
    assert (await store.usage.used_today_by_user("u1"), await store.usage.used_today_by_guild("g1")) == (6, 8)

    assert await store.guild_settings.get("g1") == GuildSettings()
    await store.guild_settings.put("g1", GuildSettings(spoilers_in_channel=True, llm_cooldown_seconds=2.5))
    await store.guild_settings.put("g1", GuildSettings(spoilers_in_channel=False))
    assert await store.guild_settings.get("g1") == GuildSettings(spoilers_in_channel=False)


async def test_a_unit_of_work_commits_whole_or_not_at_all(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.unit_of_work() as unit:
            film_id = await unit.add_film(FilmInput(title="Arrival", year=2016))
            await unit.add_review(_review(film_id, "ann", "Fine."))
            await unit.set_meta("sample", "1")
            raise RuntimeError("half-way")
    assert await store.films.count() == 0 and await store.meta.get("sample") is None
    async with store.unit_of_work() as unit:
        film_id = await unit.add_film(FilmInput(title="Arrival", year=2016, imdb_id="tt2543164"))
        assert await unit.find_film_by_imdb("tt2543164") == film_id
        await unit.set_meta("sample", "1")
        await unit.set_meta("sample", "2")
    assert await store.films.count() == 1 and await store.meta.get("sample") == "2"


async def test_a_database_from_a_newer_schema_is_refused(
    store: Store, db_target: Callable[..., str | Path]
) -> None:
    target = db_target()
    opened = await open_store(target)
    if isinstance(opened, SqliteStore):
        await opened.db.execute("PRAGMA user_version=999")
    else:
        await execute(opened, "INSERT INTO schema_version (version, name) VALUES (999, 'from_the_future.sql')")
    await opened.close()
    for migrate in (True, False):
        with pytest.raises(DatabaseNewer, match="schema version 999"):
            await open_store(target, migrate=migrate)


async def test_processes_starting_together_migrate_once(backend: str, db_target: Callable[..., str | Path]) -> None:
    target = db_target()
    stores = await asyncio.gather(*(open_store(target) for _ in range(4)))
    try:
        film = await stores[0].films.add(FilmInput(title="Arrival", year=2016))
        assert (await stores[3].films.get(film.id)) == film
        if backend == "postgres":
            assert await fetchval(stores[0], "SELECT count(*) FROM schema_version") == await fetchval(
                stores[0], "SELECT max(version) FROM schema_version"
            )
    finally:
        for opened in stores:
            await opened.close()
