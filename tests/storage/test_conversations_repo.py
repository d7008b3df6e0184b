"""Conversations on both backends: turns, token-budget pruning, whose turns are whose."""

from __future__ import annotations

import pytest

from storage.ports import ConversationStore, Store
from storage.records import FilmInput
from tests.storage.conftest import execute, fetchval


@pytest.fixture
def convs(store: Store) -> ConversationStore:
    return store.conversations


async def test_ensure_creates_once_and_remembers_the_film(store: Store, convs: ConversationStore) -> None:
    films = store.films
    arrival = await films.add(FilmInput(title="Arrival", year=2016))
    dune = await films.add(FilmInput(title="Dune", year=2021))
    assert not await convs.exists("discord:thread:1")
    cid = await convs.ensure("discord:thread:1", "ann", None)
    assert await convs.exists("discord:thread:1")
    assert await convs.film_of(cid) is None
    assert await convs.ensure("discord:thread:1", "bob", arrival.id) == cid
    assert await convs.film_of(cid) == arrival.id
    assert await convs.ensure("discord:thread:1", "bob", None) == cid
    assert await convs.film_of(cid) == arrival.id  # no film named: the earlier one sticks
    await convs.ensure("discord:thread:1", None, dune.id)
    assert await convs.film_of(cid) == dune.id  # a later choice wins
    await execute(store, "DELETE FROM films WHERE id = ?", dune.id)
    assert await convs.film_of(cid) is None  # ON DELETE SET NULL


async def test_recent_turns_fit_the_token_budget(convs: ConversationStore) -> None:
    cid = await convs.ensure("terminal:s1", "ann", None)
    for n, tokens in enumerate([50, 40, 30, 20, 10]):
        asker = n % 2 == 0
        await convs.add_turn(cid, "user" if asker else "assistant", f"turn {n}", tokens, "ann" if asker else None)
    assert [t.content for t in await convs.recent_turns(cid, 60)] == ["turn 2", "turn 3", "turn 4"]
    assert [t.content for t in await convs.recent_turns(cid, 1000)] == [f"turn {n}" for n in range(5)]
    assert await convs.recent_turns(cid, 5) == []
    newest = (await convs.recent_turns(cid, 10))[0]
    assert (newest.role, newest.tokens) == ("user", 10) and newest.created_at.endswith("Z")


async def test_turns_are_kept_per_conversation(convs: ConversationStore) -> None:
    a = await convs.ensure("k:a", "ann", None)
    b = await convs.ensure("k:b", "ann", None)
    await convs.add_turn(a, "user", "in a", 1, "ann")
    await convs.add_turn(b, "user", "in b", 1, "ann")
    assert [t.content for t in await convs.recent_turns(a, 100)] == ["in a"]


async def _shared_thread(convs: ConversationStore) -> int:
    """Ann opens a thread; Bob asks in it too. Replies carry no user id."""
    cid = await convs.ensure("discord:thread:9", "ann", None)
    for user, question in [("ann", "ann asks"), ("bob", "bob asks"), ("ann", "ann again")]:
        await convs.add_turn(cid, "user", question, 3, user)
        await convs.add_turn(cid, "assistant", f"reply to {question}", 3)
    return cid


async def test_turns_for_user_are_that_persons_only(convs: ConversationStore) -> None:
    await _shared_thread(convs)
    bob_dm = await convs.ensure("discord:dm:bob", "bob", None)
    await convs.add_turn(bob_dm, "user", "bob in private", 3, "bob")
    await convs.add_turn(bob_dm, "assistant", "reply to bob in private", 3)

    ann = [(key, t.content) for key, t in await convs.turns_for_user("ann")]
    assert ann == [
        ("discord:thread:9", "ann asks"), ("discord:thread:9", "reply to ann asks"),
        ("discord:thread:9", "ann again"), ("discord:thread:9", "reply to ann again"),
    ]
    bob = [t.content for _, t in await convs.turns_for_user("bob")]
    assert bob == ["bob asks", "reply to bob asks", "bob in private", "reply to bob in private"]
    assert await convs.turns_for_user("carol") == []


async def test_delete_user_keeps_other_peoples_turns(store: Store, convs: ConversationStore) -> None:
    cid = await _shared_thread(convs)
    solo = await convs.ensure("terminal:ann", "ann", None)
    await convs.add_turn(solo, "user", "ann alone", 3, "ann")
    await convs.add_turn(solo, "assistant", "reply to ann alone", 3)

    counts = await store.users.delete_all("ann")
    assert (counts["conversations"], counts["conversation_turns"]) == (1, 6)
    assert not await convs.exists("terminal:ann")
    assert await convs.exists("discord:thread:9")  # Bob still talks there
    assert [t.content for t in await convs.recent_turns(cid, 100)] == ["bob asks", "reply to bob asks"]
    assert await convs.turns_for_user("ann") == []
    assert await fetchval(store, "SELECT user_id FROM conversations WHERE id = ?", cid) is None  # no longer Ann's
