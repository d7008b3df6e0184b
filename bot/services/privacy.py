"""A person's data: export all of it, or erase all of it, in one call each."""

from __future__ import annotations

from bot.text.markdown import escape_markdown
from bot.text.segments import split_sentences
from storage.ports import ConversationStore, ReviewStore, UserDataStore, WatchlistStore

MIN_QUOTE_CHARS = 12  # shorter sentences ("Loved it.") say nothing of who wrote them, and are everywhere


class PrivacyService:
    def __init__(
        self,
        users: UserDataStore,
        watchlists: WatchlistStore,
        reviews: ReviewStore,
        conversations: ConversationStore,
    ) -> None:
        self._users = users
        self._watchlists = watchlists
        self._reviews = reviews
        self._conversations = conversations

    async def export(self, user_id: str) -> dict[str, object]:
        watchlist = await self._watchlists.all_for_user(user_id)
        reviews = await self._reviews.for_user(user_id)
        turns = await self._conversations.turns_for_user(user_id)
        return {
            "user_id": user_id,
            "watchlist_shared": await self._watchlists.is_shared(user_id),
            "watchlist": [
                {
                    "scope": scope or "global",
                    "film": e.label,
                    "added_at": e.added_at,
                    "watched_at": e.watched_at,
                    "rating": e.rating,
                    "note": e.note,
                }
                for scope, e in watchlist
            ],
            "reviews": [
                {"id": r.id, "film_id": r.film_id, "rating": r.rating, "text": r.text, "created_at": r.created_at}
                for r in reviews
            ],
            "conversations": [
                {"conversation": key, "role": t.role, "content": t.content, "at": t.created_at} for key, t in turns
            ],
        }

    async def delete(self, user_id: str) -> dict[str, int]:
        """Erase everything about the person, including where others' conversations quote their
        reviews (answers quote sentences as stored, or with their Discord markup escaped)."""
        quotes: list[str] = []
        for review in await self._reviews.for_user(user_id):
            full = await self._reviews.get(review.id)  # with its stored sentences, as answers quote them
            pieces = [s.text for s in full.sentences] if full is not None else []
            for piece in (*pieces, *split_sentences(review.text), review.text):
                piece = piece.strip()
                if len(piece) >= MIN_QUOTE_CHARS:
                    quotes += [piece, escape_markdown(piece)]
        # Longest first: a whole review goes before the sentences inside it.
        quotes.sort(key=len, reverse=True)
        return await self._users.delete_all(user_id, quotes=quotes)
