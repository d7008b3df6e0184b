"""`privacy delete` leaves none of the person's words in the database file: not in free pages, not
in the full-text index, not in the WAL, not in other people's conversation memory (answers that
quoted their reviews). Checked by scanning the raw bytes of the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Services
from bot.services.summaries import Requester

pytestmark = pytest.mark.asyncio
ANN, BOB = "5001", "5002"
# Words no sample review has, so any trace of them in the file is Ann's.
REVIEW = (
    "The zanzibarquux photography glows with frobnicated amber light in every scene. "
    "Its wumpletastic score stays with you long after the credits roll."
)
MARKERS = (b"zanzibarquux", b"frobnicated", b"wumpletastic")


def raw_bytes(db_path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-journal"):
        path = Path(f"{db_path}{suffix}")
        if path.exists():
            data += path.read_bytes()
    return data.lower()


async def test_after_a_delete_the_file_holds_none_of_their_text(services: Services) -> None:
    film = await services.films.resolve("Parasite")
    await services.reviews.add(film, text=REVIEW, author="ann", author_user_id=ANN, rating=4.5)
    # Bob's conversation quotes Ann's review (the offline engine answers with reviewers' sentences).
    answer = await services.ask.ask(
        "Does the photography glow with amber light, and does the score stay with you?", film="Parasite",
        conversation="discord:thread:77", requester=Requester(BOB),
    )
    assert "zanzibarquux" in answer.text.lower() or "wumpletastic" in answer.text.lower(), answer.text
    await services.ask.ask("Is it funny?", film="Parasite", conversation="discord:thread:77",
                           requester=Requester(BOB))
    path = Path(services.store.location)
    before = raw_bytes(path)
    assert all(marker in before for marker in MARKERS), "the test sees the text while it is stored"

    counts = await services.privacy.delete(ANN)
    assert counts["reviews"] == 1 and counts["quotes_redacted"] >= 1

    left = raw_bytes(path)
    assert [m for m in MARKERS if m in left] == []
    # Bob's conversation goes on, without Ann's words.
    turns = (await services.privacy.export(BOB))["conversations"]
    assert isinstance(turns, list) and len(turns) == 4
    assert all("zanzibarquux" not in str(t).lower() for t in turns)
    follow_up = await services.ask.ask("And the acting?", film="Parasite", conversation="discord:thread:77",
                                       requester=Requester(BOB))
    assert follow_up.text
