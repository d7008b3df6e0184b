"""A person's data: export all of it, or erase all of it, in one call each."""

from __future__ import annotations

from storage.ports import ConversationStore, ReviewStore, UserDataStore, WatchlistStore


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
        return await self._users.delete_all(user_id)
