"""Conversation turns for /ask follow-ups, pruned by a token budget rather than a message count."""

from __future__ import annotations

from storage.db import Database
from storage.records import Turn


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
                        "UPDATE conversations SET film_id = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') "
                        "WHERE id = ?",
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
                "INSERT INTO conversation_turns (conversation_id, role, user_id, content, tokens) VALUES (?,?,?,?,?)",
                (conversation_id, role, user_id, content, tokens),
            )
            await tx.execute(
                "UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
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
        rows = await self._db.fetchall(
            "SELECT c.key, t.role, t.content, t.tokens, t.created_at FROM conversation_turns t "
            "JOIN conversations c ON c.id = t.conversation_id WHERE c.user_id = ? OR t.user_id = ? ORDER BY t.id",
            (user_id, user_id),
        )
        return [(r[0], Turn(role=r[1], content=r[2], tokens=r[3], created_at=r[4])) for r in rows]
