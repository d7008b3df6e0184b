"""Conversation turns for /ask follow-ups, pruned by a token budget rather than a message count."""

from __future__ import annotations

from storage.db import Database, Writer
from storage.records import Turn

# The turns that belong to one person (parameter :user): their own messages, and the assistant's
# replies to them. A reply carries no user id of its own, so it belongs to whoever wrote the turn
# just before it in the same conversation. Threads are shared: other people's turns in a
# conversation someone started are not that person's data.
_TURNS_OF_USER = """
    SELECT t.id FROM conversation_turns t WHERE t.user_id = :user
    UNION
    SELECT a.id FROM conversation_turns a
    WHERE a.role = 'assistant' AND a.user_id IS NULL AND (
        SELECT q.user_id FROM conversation_turns q
        WHERE q.conversation_id = a.conversation_id AND q.id < a.id ORDER BY q.id DESC LIMIT 1
    ) = :user
"""


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure(self, key: str, user_id: str | None, film_id: int | None) -> int:
        """The conversation's id, creating it on first use; a later film choice sticks."""
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT id, film_id FROM conversations WHERE key = ?", (key,))
            if row is not None:
                if film_id is not None and row[1] != film_id:
                    await tx.execute(
                        "UPDATE conversations SET film_id = ?, "
                        "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
                        (film_id, row[0]),
                    )
                return int(row[0])
            created = await tx.fetchone(
                "INSERT INTO conversations (key, user_id, film_id) VALUES (?,?,?) RETURNING id",
                (key, user_id, film_id),
            )
            assert created is not None
            return int(created[0])

    async def film_of(self, conversation_id: int) -> int | None:
        row = await self._db.fetchone("SELECT film_id FROM conversations WHERE id = ?", (conversation_id,))
        return int(row[0]) if row and row[0] is not None else None

    async def exists(self, key: str) -> bool:
        return await self._db.fetchone("SELECT 1 FROM conversations WHERE key = ?", (key,)) is not None

    async def add_turn(
        self, conversation_id: int, role: str, content: str, tokens: int, user_id: str | None = None
    ) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO conversation_turns (conversation_id, role, user_id, content, tokens) "
                "VALUES (?,?,?,?,?)",
                (conversation_id, role, user_id, content, tokens),
            )
            await tx.execute(
                "UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
                (conversation_id,),
            )

    async def question_count(self, conversation_id: int) -> int:
        """How many questions (user turns) the conversation holds."""
        row = await self._db.fetchone(
            "SELECT count(*) FROM conversation_turns WHERE conversation_id = ? AND role = 'user'", (conversation_id,)
        )
        return int(row[0]) if row else 0

    async def retire(self, conversation_id: int) -> None:
        """Free the conversation's key for a new conversation. Its turns stay, under a new key,
        so a person's export and deletion still find them."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE conversations SET key = key || ':ended:' || id, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
                (conversation_id,),
            )

    async def recent_turns(self, conversation_id: int, token_budget: int) -> list[Turn]:
        """The newest turns whose tokens fit in the budget, oldest first."""
        rows = await self._db.fetchall(
            "SELECT role, content, tokens, created_at FROM conversation_turns WHERE conversation_id = ? "
            "ORDER BY id DESC LIMIT 200",
            (conversation_id,),
        )
        kept: list[Turn] = []
        used = 0
        for r in rows:
            if used + r[2] > token_budget:
                break
            used += r[2]
            kept.append(Turn(role=r[0], content=r[1], tokens=r[2], created_at=r[3]))
        kept.reverse()
        return kept

    async def turns_for_user(self, user_id: str) -> list[tuple[str, Turn]]:
        """(conversation key, turn) for everything this person said and was answered, oldest first."""
        rows = await self._db.fetchall(
            "SELECT c.key, t.role, t.content, t.tokens, t.created_at FROM conversation_turns t "
            f"JOIN conversations c ON c.id = t.conversation_id WHERE t.id IN ({_TURNS_OF_USER}) ORDER BY t.id",
            {"user": user_id},
        )
        return [(r[0], Turn(role=r[1], content=r[2], tokens=r[3], created_at=r[4])) for r in rows]

    @staticmethod
    async def delete_user_in(tx: Writer, user_id: str) -> tuple[int, int]:
        """Inside a transaction: erase a person's turns (and the replies to them).

        A conversation they started goes too, unless other people still talk in it: then it only
        forgets who started it. Returns (conversations deleted, turns deleted).
        """
        turns = await tx.execute(
            f"DELETE FROM conversation_turns WHERE id IN ({_TURNS_OF_USER})", {"user": user_id}
        )
        conversations = await tx.execute(
            "DELETE FROM conversations WHERE user_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM conversation_turns t WHERE t.conversation_id = conversations.id)",
            (user_id,),
        )
        await tx.execute("UPDATE conversations SET user_id = NULL WHERE user_id = ?", (user_id,))
        return conversations, turns
