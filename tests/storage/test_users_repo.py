"""Erasing a person (users.delete_all) on both backends: one call erases one person, no one else."""

from __future__ import annotations

from storage.backends import SqliteStore
from storage.ports import Store
from storage.records import FilmInput, ReviewInput, Sentence, SummaryKey
from tests.storage.conftest import fetchval


async def _everything_of(store: Store, user: str, film_id: int) -> None:
    await store.watchlists.add(user, "", film_id, max_size=10)
    await store.watchlists.add(user, "guild", film_id, max_size=10)
    await store.watchlists.set_shared(user, True)
    await store.reviews.add(
        ReviewInput(film_id=film_id, author=f"{user} name", source="discord", rating=4.0, text=f"{user} liked it.",
                    author_flagged_spoilers=False, content_hash=f"hash-{user}", author_user_id=user,
                    sentences=(Sentence(0, f"{user} liked it.", 0.0, False),))
    )
    convs = store.conversations
    cid = await convs.ensure(f"dm:{user}", user, film_id)
    await convs.add_turn(cid, "user", f"{user} asks", 2, user)
    await convs.add_turn(cid, "assistant", f"reply to {user}", 2)
    await store.usage.record(user_id=user, guild_id="g1", purpose="ask", input_tokens=100, output_tokens=10)


async def _count(store: Store, sql: str, *params: object) -> int:
    return int(await fetchval(store, sql, *params))


async def test_delete_all_erases_one_user_and_nobody_else(store: Store) -> None:
    film = await store.films.add(FilmInput(title="Arrival", year=2016))
    other_film = await store.films.add(FilmInput(title="Parasite", year=2019))
    await _everything_of(store, "ann", film.id)
    await _everything_of(store, "bob", other_film.id)
    summaries = store.summaries
    for film_id in (film.id, other_film.id):
        await summaries.put(SummaryKey(film_id, "spoiler_free", "offline", "v1", "h"), "text", sources=[1])

    counts = await store.users.delete_all("ann")
    assert counts == {"watchlist_entries": 2, "reviews": 1, "conversations": 1, "conversation_turns": 2,
                      "llm_usage": 1, "preferences": 1}

    for sql in ("SELECT count(*) FROM watchlist_entries WHERE user_id = ?",
                "SELECT count(*) FROM reviews WHERE author_user_id = ?",
                "SELECT count(*) FROM conversations WHERE user_id = ?",
                "SELECT count(*) FROM conversation_turns WHERE user_id = ?",
                "SELECT count(*) FROM llm_usage WHERE user_id = ?",
                "SELECT count(*) FROM user_prefs WHERE user_id = ?"):
        assert await _count(store, sql, "ann") == 0, sql
        assert await _count(store, sql, "bob") > 0, sql
    assert await _count(store, "SELECT count(*) FROM review_sentences WHERE text LIKE 'ann%'") == 0
    if isinstance(store, SqliteStore):  # FTS5 keeps its own copy of the words (PostgreSQL's tsvector is the row's)
        fts = "SELECT count(*) FROM review_sentences_fts WHERE review_sentences_fts MATCH 'ann'"
        assert await _count(store, fts) == 0
    assert await _count(store, "SELECT count(*) FROM conversation_turns WHERE content LIKE '%ann%'") == 0
    # The summary written from Ann's review is gone; Bob's film keeps its cache.
    assert await summaries.count_for_film(film.id) == 0
    assert await summaries.count_for_film(other_film.id) == 1
    # Films are not personal data: they stay.
    assert await store.films.count() == 2
    # The server's budget still counts Ann's tokens, now anonymous.
    assert await store.usage.used_today_by_guild("g1") == 220
    assert await store.usage.used_today_by_user("ann") == 0


async def test_delete_all_of_an_unknown_user_is_harmless(store: Store) -> None:
    film = await store.films.add(FilmInput(title="Arrival", year=2016))
    await _everything_of(store, "bob", film.id)
    counts = await store.users.delete_all("nobody")
    assert set(counts.values()) == {0}
    assert await _count(store, "SELECT count(*) FROM watchlist_entries") == 2
