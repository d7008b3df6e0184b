"""Personal watchlists. Every query is keyed by the owner's user id: no call reads another's list."""

from __future__ import annotations

import builtins
import sqlite3

from storage.db import Database, Writer
from storage.records import WatchlistEntry

_ENTRY = (
    "SELECT w.film_id, f.title, f.year, w.added_at, w.watched_at, w.rating, w.note "
    "FROM watchlist_entries w JOIN films f ON f.id = w.film_id "
)


class WatchlistRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Writes use group commit (Database.run_write): a burst of users adding films shares
    # transactions instead of queueing for one COMMIT each; each is acknowledged once committed.

    async def add(self, user_id: str, scope: str, film_id: int, *, max_size: int) -> str:
        """Returns 'added', 'exists' or 'full' (the list already holds `max_size` films)."""

        def write(conn: sqlite3.Connection) -> str:
            if conn.execute(
                "SELECT 1 FROM watchlist_entries WHERE user_id = ? AND scope = ? AND film_id = ?",
                (user_id, scope, film_id),
            ).fetchone():
                return "exists"
            count = conn.execute(
                "SELECT count(*) FROM watchlist_entries WHERE user_id = ? AND scope = ?", (user_id, scope)
            ).fetchone()[0]
            if int(count) >= max_size:
                return "full"
            conn.execute(
                "INSERT INTO watchlist_entries (user_id, scope, film_id) VALUES (?,?,?)", (user_id, scope, film_id)
            )
            return "added"

        return await self._db.run_write(write)

    async def remove(self, user_id: str, scope: str, film_id: int) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(
                "DELETE FROM watchlist_entries WHERE user_id = ? AND scope = ? AND film_id = ?",
                (user_id, scope, film_id),
            ).rowcount > 0

        return await self._db.run_write(write)

    async def mark_watched(
        self, user_id: str, scope: str, film_id: int, rating: float | None, note: str | None
    ) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(
                "UPDATE watchlist_entries SET watched_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
                "rating = coalesce(?, rating), note = coalesce(?, note) "
                "WHERE user_id = ? AND scope = ? AND film_id = ?",
                (rating, note, user_id, scope, film_id),
            ).rowcount > 0

        return await self._db.run_write(write)

    async def get(self, user_id: str, scope: str, film_id: int) -> WatchlistEntry | None:
        row = await self._db.fetchone(
            _ENTRY + "WHERE w.user_id = ? AND w.scope = ? AND w.film_id = ?", (user_id, scope, film_id)
        )
        return _entry(row) if row else None

    async def list(self, user_id: str, scope: str) -> list[WatchlistEntry]:
        """Unwatched first (oldest added first), then watched (most recent first).

        Times have one-second resolution, so ties fall back to the order entries were made.
        """
        rows = await self._db.fetchall(
            _ENTRY + "WHERE w.user_id = ? AND w.scope = ? "
            "ORDER BY w.watched_at IS NOT NULL, CASE WHEN w.watched_at IS NULL THEN w.added_at END, "
            "w.watched_at DESC, CASE WHEN w.watched_at IS NULL THEN w.id ELSE -w.id END",
            (user_id, scope),
        )
        return [_entry(r) for r in rows]

    async def all_for_user(self, user_id: str) -> builtins.list[tuple[str, WatchlistEntry]]:
        """Every scope's entries of one user (for export)."""
        rows = await self._db.fetchall(
            "SELECT w.scope, w.film_id, f.title, f.year, w.added_at, w.watched_at, w.rating, w.note "
            "FROM watchlist_entries w JOIN films f ON f.id = w.film_id WHERE w.user_id = ? ORDER BY w.id",
            (user_id,),
        )
        return [(r["scope"], _entry(r)) for r in rows]

    async def set_shared(self, user_id: str, shared: bool) -> None:
        await self._db.execute(
            "INSERT INTO user_prefs (user_id, watchlist_shared) VALUES (?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET watchlist_shared = excluded.watchlist_shared",
            (user_id, int(shared)),
        )

    async def is_shared(self, user_id: str) -> bool:
        row = await self._db.fetchone("SELECT watchlist_shared FROM user_prefs WHERE user_id = ?", (user_id,))
        return bool(row and row[0])


def _entry(row: sqlite3.Row) -> WatchlistEntry:
    return WatchlistEntry(
        film_id=row["film_id"],
        title=row["title"],
        year=row["year"],
        added_at=row["added_at"],
        watched_at=row["watched_at"],
        rating=row["rating"],
        note=row["note"],
    )


async def add_in_transaction(tx: Writer, user_id: str, scope: str, film_id: int, added_at: str | None) -> int:
    """Inside an import's transaction: add an entry unless present; returns 1 if added."""
    return await tx.execute(
        "INSERT INTO watchlist_entries (user_id, scope, film_id, added_at) "
        "VALUES (?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))) "
        "ON CONFLICT(user_id, scope, film_id) DO NOTHING",
        (user_id, scope, film_id, added_at),
    )
