"""Hostile input for the fuzz tests: strategies, and the properties every answer must keep.

The strategies mix arbitrary Unicode (no lone surrogates: neither Discord nor a UTF-8 terminal can
send them, and SQLite cannot store them) with the fragments that break bots in practice: control,
zero-width and bidi characters, combining marks, Discord markdown and mention syntax, SQL and FTS5
metacharacters, years and ratings at the edges, and titles 10,000 characters long.
"""

from __future__ import annotations

import math
import re

from hypothesis import settings
from hypothesis import strategies as st

from bot.errors import ImportFailed, ReviewBotError
from bot.text.chunking import spoiler_markers
from storage.db import Database

ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u2060")
BIDI = ("\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2069")
COMBINING = ("\u0301", "\u0308", "\u0338", "\u20dd", "\u0489", "e\u0301", "\u1100\u1161\u11a8")
CONTROL = (*(chr(c) for c in range(32)), "\x7f", "\x85", "\u2028", "\u2029", "\r\n")
MARKDOWN = (
    "||", "|||", "| |", "**", "__", "~~", "`", "```", "> ", ">>> ", "# ", "-# ", "\\", "\\||", "\\|\\|",
    "||spoiler||", "**bold**", "[x](https://e.vil)", "<@123>", "<@!123>", "<@&456>", "<#789>", "<:e:1>",
    "@everyone", "@here", ">!", "!<", "[spoiler]", "[/spoiler]", "*", "_",
)
SQL = ("'; DROP TABLE films; --", "%", "_", '"', "' OR '1'='1", "\\", "/*", "*/", ";", "''", "\x00")
FTS5 = ("NEAR", "NEAR(a b, 2)", "AND", "OR", "NOT", "*", '"', "^", ":", "norm:", "text:", "(", ")", "{", "}", "-", "+")
KNOWN_TITLES = (
    "Parasite", "Psycho", "Psycho (1960)", "psycho 1998", "Dune", "Dune 2021", "dear comrads", "Dear Comrades!",
    "The Sixth Sense", "Se7en", "The Prestige", "film:1", "film:0", "film:999999999999", "the", "a",
)
EDGE_NUMBERS = (
    "0", "-1", "1870", "1887", "1888", "1899", "1900", "2029", "2049", "2100", "2199", "9999", "99999999999999999999",
    "(2020)", "[1960]", "(1960", "1960)", "0.5", "5", "5.5", "4.25", "1e308", "nan", "inf", "-0",
)
FRAGMENTS = (*ZERO_WIDTH, *BIDI, *COMBINING, *CONTROL, *MARKDOWN, *SQL, *FTS5, *KNOWN_TITLES, *EDGE_NUMBERS)

unicode_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
fragment = st.sampled_from(FRAGMENTS)
separator = st.sampled_from(("", " ", " ", "  ", "\n", "\t", "\u00a0", "\u3000"))


def hostile_text(max_parts: int = 8) -> st.SearchStrategy[str]:
    """A mix of arbitrary Unicode and hostile fragments, joined by assorted white space."""
    part = st.one_of(unicode_text, fragment, fragment, st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True))
    return st.lists(st.tuples(part, separator), max_size=max_parts).map(lambda ps: "".join(p + s for p, s in ps))


def long_text(length: int = 10_000) -> st.SearchStrategy[str]:
    """Text of exactly `length` characters built from one repeated hostile unit."""
    unit = st.one_of(st.sampled_from(("a", "||", "ü", "\u200b", "x ", "**", "'", "e\u0301", "🎬", " ")), unicode_text)
    return unit.filter(bool).map(lambda u: (u * (length // len(u) + 1))[:length])


titles = st.one_of(hostile_text(), hostile_text(3), st.sampled_from(KNOWN_TITLES), long_text())
# A review long enough to be stored: plain sentences with hostile fragments between them.
SENTENCES = (
    "The acting is superb and the cast is wonderful.",
    "The pacing drags in the middle hour.",
    "In the end the hero dies and the twist is that he was a ghost all along.",
    "I loved the score and the cinematography.",
    "Spoilers ahead.",
    "Overall I recommend it to everyone.",
)
# Mostly reviews that pass validation (so they are stored and summarised), some that do not.
_storable = st.lists(
    st.tuples(st.sampled_from(SENTENCES), hostile_text(3)), min_size=2, max_size=6
).map(lambda pairs: " ".join(f"{hostile} {sentence}" for sentence, hostile in pairs))
review_texts = st.one_of(
    _storable,
    _storable,
    _storable,
    st.lists(st.one_of(st.sampled_from(SENTENCES), hostile_text(4)), min_size=1, max_size=8).map(" ".join),
    hostile_text(12),
    st.sampled_from((5_999, 6_000, 6_001, 10_000)).flatmap(long_text),
)
ratings = st.one_of(
    st.none(),
    st.none(),
    st.sampled_from([n / 2 for n in range(1, 11)]),
    st.sampled_from([n / 2 for n in range(1, 11)]),
    st.sampled_from((0.0, 0.5, 1.0, 4.5, 5.0, 5.5, -0.0, -0.5, 0.25, 1e308, -1e308)),
    st.floats(allow_nan=True, allow_infinity=True),
)


def budget(examples: int) -> settings:
    """`examples` under the default "ci" profile (100 examples), scaled for the others."""
    return settings(max_examples=max(1, math.ceil(examples * settings.default.max_examples / 100)))


# --- properties ------------------------------------------------------------------------------------
_LEAKS = re.compile(
    r"Traceback \(most recent|sqlite3\.|OperationalError|IntegrityError|fts5: |\bFile \"|"
    r"\b(?:SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b.*\b(?:FROM|VALUES|WHERE)\b"
)
DISCORD_LIMIT = 2000


def check_error(error: BaseException) -> None:
    """A rejection a person can read: a ReviewBotError with a short, clean message."""
    assert isinstance(error, ReviewBotError), f"{type(error).__name__} escaped: {error!r}"
    message = str(error)
    assert message.strip(), f"{type(error).__name__} with an empty message"
    assert message == error.message
    assert not _LEAKS.search(message), f"internals in the message: {message!r}"
    if not isinstance(error, ImportFailed):  # import reports list their rows (terminal only)
        assert "\n\n" not in message, f"more than one paragraph: {message!r}"
        assert len(message) < DISCORD_LIMIT - 100, f"too long for one Discord message: {len(message)} chars"
        assert not spoiler_markers(message), f"user text opens a spoiler span in an error: {message!r}"


def balanced(text: str) -> bool:
    return len(spoiler_markers(text)) % 2 == 0


async def assert_consistent(db: Database) -> None:
    """SQLite's own integrity check, and FTS5's for both full-text indexes.

    Both indexes keep their text in another table (external content): only the `rank = 1` form of
    FTS5's check compares the index with that table's rows; the plain form misses a row the
    triggers failed to index. A mismatch raises "database disk image is malformed"."""
    row = await db.fetchone("PRAGMA integrity_check")
    assert row is not None and row[0] == "ok", row and row[0]
    async with db.transaction() as tx:
        for table in ("film_words", "review_sentences_fts"):
            await tx.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
