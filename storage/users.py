"""Everything stored about one person, to export or erase in one call."""

from __future__ import annotations

from collections.abc import Sequence

from storage.conversations import ConversationRepository
from storage.db import Database

REDACTED = "[quote from a review its author deleted]"


class UserDataRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def delete_all(self, user_id: str, *, quotes: Sequence[str] = ()) -> dict[str, int]:
        """Erase a user's watchlists, reviews, conversations and preferences in one transaction,
        and every `quotes` string (their reviews' sentences, as answers quoted them) from other
        people's conversation memory. Then scrub the file (Database.scrub): none of it stays
        readable in free pages, the full-text index or the WAL.

        Their LLM usage rows lose the user id but stay: the server's daily token budget counts
        them, and deleting them would hand the whole server fresh tokens.
        """
        async with self._db.transaction() as tx:
            redacted = 0
            for quote in dict.fromkeys(quotes):
                redacted += await tx.execute(
                    "UPDATE conversation_turns SET content = replace(content, :quote, :gone) "
                    "WHERE instr(content, :quote) > 0",
                    {"quote": quote, "gone": REDACTED},
                )
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
            counts["quotes_redacted"] = redacted
        await self._db.scrub(("review_sentences_fts",))
        return counts
