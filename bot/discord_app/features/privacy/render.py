"""What /privacy says."""

from __future__ import annotations

from bot.discord_app.markup import count

EXPORT_TOO_LARGE = (
    "Everything stored about you is larger than the file size Discord lets me send here. "
    "Ask the bot's operator for a copy (`reviewbot privacy export --user <your id>`)."
)
DELETE_QUESTION = (
    "**Erase everything I store about you?** Your watchlist, your reviews (summaries that used them are "
    "rebuilt without them) and your conversations with me. This can't be undone. Only you see this message."
)
DELETE_TIMED_OUT = "No answer in time, so nothing was deleted. Run /privacy delete again whenever you like."


def export_note(data: dict[str, object]) -> str:
    sizes = {key: len(value) if isinstance(value, list) else 0 for key, value in data.items()}
    return (
        "Here is everything I store about you: "
        f"{count(sizes['watchlist'], 'watchlist entry', 'watchlist entries')}, "
        f"{count(sizes['reviews'], 'review', 'reviews')} and "
        f"{count(sizes['conversations'], 'conversation message', 'conversation messages')}. "
        "Delete it all with /privacy delete."
    )


def deleted(counts: dict[str, int]) -> str:
    return (
        "Done. I erased "
        f"{count(counts.get('watchlist_entries', 0), 'watchlist entry', 'watchlist entries')}, "
        f"{count(counts.get('reviews', 0), 'review', 'reviews')} and "
        f"{count(counts.get('conversation_turns', 0), 'conversation message', 'conversation messages')}. "
        "Counts of LLM use stay without your name, because the server's daily allowance is made of them."
    )
