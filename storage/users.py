"""Everything stored about one person, to export or erase in one call."""

from __future__ import annotations

from storage.db import Database


class UserDataRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def delete_all(self, user_id: str) -> dict[str, int]:
        """Erase a user's watchlists, reviews, conversations, usage and preferences in one transaction."""
        async with self._db.transaction() as tx:
            film_rows = await tx.fetchall(
                "SELECT DISTINCT film_id FROM reviews WHERE author_user_id = ?", (user_id,)
            )
            counts = {
                "watchlist_entries": await tx.execute("DELETE FROM watchlist_entries WHERE user_id = ?", (user_id,)),
                "reviews": await tx.execute("DELETE FROM reviews WHERE author_user_id = ?", (user_id,)),
                "conversations": await tx.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,)),
                "conversation_turns": await tx.execute(
                    "DELETE FROM conversation_turns WHERE user_id = ?", (user_id,)
                ),
                "llm_usage": await tx.execute("DELETE FROM llm_usage WHERE user_id = ?", (user_id,)),
                "preferences": await tx.execute("DELETE FROM user_prefs WHERE user_id = ?", (user_id,)),
            }
            for row in film_rows:
                await tx.execute("DELETE FROM summary_cache WHERE film_id = ?", (row[0],))
            return counts
