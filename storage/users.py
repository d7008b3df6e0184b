"""Everything stored about one person, to export or erase in one call."""

from __future__ import annotations

from storage.conversations import ConversationRepository
from storage.db import Database


class UserDataRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def delete_all(self, user_id: str) -> dict[str, int]:
        """Erase a user's watchlists, reviews, conversations and preferences in one transaction.

        Their LLM usage rows lose the user id but stay: the server's daily token budget counts
        them, and deleting them would hand the whole server fresh tokens.
        """
        async with self._db.transaction() as tx:
            film_rows = await tx.fetchall(
                "SELECT DISTINCT film_id FROM reviews WHERE author_user_id = ?", (user_id,)
            )
            conversations, turns = await ConversationRepository.delete_user_in(tx, user_id)
            counts = {
                "watchlist_entries": await tx.execute(
                    "DELETE FROM watchlist_entries WHERE user_id = ?", (user_id,)
                ),
                "reviews": await tx.execute("DELETE FROM reviews WHERE author_user_id = ?", (user_id,)),
                "conversations": conversations,
                "conversation_turns": turns,
                "llm_usage": await tx.execute("UPDATE llm_usage SET user_id = NULL WHERE user_id = ?", (user_id,)),
                "preferences": await tx.execute("DELETE FROM user_prefs WHERE user_id = ?", (user_id,)),
            }
            # Their running cooldowns and counted writes, and the name on calls still in flight.
            await tx.execute("DELETE FROM cooldowns WHERE user_id = ?", (user_id,))
            await tx.execute("DELETE FROM rate_hits WHERE user_id = ?", (user_id,))
            await tx.execute("UPDATE llm_reservations SET user_id = NULL WHERE user_id = ?", (user_id,))
            # Cached summaries of the films they reviewed were written from their text.
            for row in film_rows:
                await tx.execute("DELETE FROM summary_cache WHERE film_id = ?", (row[0],))
            return counts
