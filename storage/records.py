"""Plain records returned by the repositories. No SQL, no Discord: the service layer's vocabulary."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Film:
    id: int
    title: str
    year: int | None
    original_title: str | None = None
    aliases: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    runtime_minutes: int | None = None
    genres: tuple[str, ...] = ()
    logline: str | None = None
    imdb_id: str | None = None
    is_stub: bool = False

    @property
    def label(self) -> str:
        """'Title (Year)', the way people tell remakes apart."""
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass(frozen=True, slots=True)
class FilmInput:
    """A film as imported or created; `Film` is what comes back once it is stored."""

    title: str
    year: int | None = None
    original_title: str | None = None
    aliases: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    runtime_minutes: int | None = None
    genres: tuple[str, ...] = ()
    logline: str | None = None
    imdb_id: str | None = None
    is_stub: bool = False


@dataclass(frozen=True, slots=True)
class TitleHit:
    """A film found by name: which stored name matched and how."""

    film_id: int
    title: str
    year: int | None
    matched: str
    norm: str


@dataclass(frozen=True, slots=True)
class TitleMatches:
    """What a TitleQuery found (storage/search.py).

    `named`: the exact hits of the first variant that has any, as `find_exact` gives them; `film`:
    that film, when they are all one film. The candidates only when nothing is named: `exact`,
    `prefixed`, `words` as `find_exact`, `find_prefix` and `find_words` give them (`words` None when
    the word stage did not run: the other two found enough films), and `names_stamp` as
    `names_stamp()` gave it, which tells whether the word queries were built on the current vocabulary."""

    named: tuple[TitleHit, ...] = ()
    film: Film | None = None
    exact: tuple[TitleHit, ...] = ()
    prefixed: tuple[TitleHit, ...] = ()
    words: tuple[TitleHit, ...] | None = None
    names_stamp: int | None = None


@dataclass(frozen=True, slots=True)
class Sentence:
    idx: int
    text: str
    spoiler_score: float
    author_marked: bool
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    film_id: int
    author: str
    source: str
    rating: float | None
    text: str
    author_flagged_spoilers: bool
    content_hash: str
    created_at: str
    author_user_id: str | None = None
    sentences: tuple[Sentence, ...] = field(default=())
    guild_id: str | None = None  # the Discord server it was written (or imported) in, if any


@dataclass(frozen=True, slots=True)
class ReviewInput:
    film_id: int
    author: str
    source: str
    rating: float | None
    text: str
    author_flagged_spoilers: bool
    content_hash: str
    sentences: tuple[Sentence, ...]
    author_user_id: str | None = None
    created_at: str | None = None
    guild_id: str | None = None


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A Discord server's own choices; None: the bot's default."""

    spoilers_in_channel: bool | None = None
    llm_cooldown_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    film_id: int
    title: str
    year: int | None
    added_at: str
    watched_at: str | None
    rating: float | None
    note: str | None

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass(frozen=True, slots=True)
class CachedSummary:
    summary: str
    sources: tuple[int, ...]
    notes: tuple[str, ...]
    input_tokens: int
    output_tokens: int
    created_at: str


@dataclass(frozen=True, slots=True)
class SentenceHit:
    """A review sentence found by full-text search."""

    review_id: int
    film_id: int
    author: str
    idx: int
    text: str
    spoiler_score: float
    author_marked: bool
    rank: float


@dataclass(frozen=True, slots=True)
class Turn:
    role: str
    content: str
    tokens: int
    created_at: str


@dataclass(frozen=True, slots=True)
class SummaryKey:
    """What a cached summary was made from: a change to any part makes a new summary."""

    film_id: int
    mode: str
    engine: str
    prompt_version: str
    review_set_hash: str


@dataclass(frozen=True, slots=True)
class Digest:
    """An LLM's short digest of one review (safe and spoiler versions), kept for reuse."""

    review_id: int
    content_hash: str
    safe_digest: str
    spoiler_digest: str
    input_tokens: int
    output_tokens: int


def content_hash(text: str) -> str:
    """A review's identity for de-duplication: the same text (trimmed) is the same review."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:32]
