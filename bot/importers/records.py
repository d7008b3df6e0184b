"""Validated rows an importer produces, and the shared checks every format uses."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.errors import ImportProblem
from bot.text.markdown import strip_display_controls
from bot.text.unicode import has_lone_surrogates
from storage.normalize import normalize_title
from storage.records import FilmInput

MIN_YEAR, MAX_YEAR = 1870, 2100
MIN_REVIEW_CHARS, MIN_REVIEW_WORDS = 20, 4  # the same floor ReviewService.validate_text applies


@dataclass(frozen=True, slots=True)
class ReviewRow:
    line: int
    film_title: str
    film_year: int | None
    author: str
    rating: float | None
    text: str
    contains_spoilers: bool
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class WatchlistRow:
    line: int
    film_title: str
    film_year: int | None
    added_at: str | None = None


@dataclass(slots=True)
class ParsedFile:
    """What a parser found: good rows, and problems with their line numbers."""

    source: str  # 'import', 'csv', 'letterboxd', 'sample'
    films: list[tuple[int, FilmInput]] = field(default_factory=list)
    reviews: list[ReviewRow] = field(default_factory=list)
    watchlist: list[WatchlistRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # Letterboxd names every film by title + year, so a film missing here becomes a stub film
    # (title and year only) instead of a bad row. Our own formats must name a known film.
    create_missing_films: bool = False
    # A watchlist file: it belongs to someone, even when none of its rows was usable.
    is_watchlist: bool = False
    # The file as a whole can't be read (not JSON, an unknown CSV header): --skip-bad can't help.
    unreadable: bool = False

    def problem(self, line: int, reason: str) -> None:
        """A bad row: the import stops, or skips the row with --skip-bad."""
        self.problems.append(ImportProblem(line, reason))

    def fail(self, line: int, reason: str) -> None:
        """The whole file is unusable: the import stops even with --skip-bad."""
        self.unreadable = True
        self.problem(line, reason)


class RowError(ValueError):
    """A field of a row is wrong; the message says which and why."""


def text_field(value: object, name: str, *, required: bool = True, max_len: int = 500) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(f"'{name}' is missing")
        return None
    if not isinstance(value, str):
        raise RowError(f"'{name}' must be text, not {type(value).__name__}")
    if has_lone_surrogates(value):  # a JSON "\udcff" escape: SQLite can't store it
        raise RowError(f"'{name}' holds an invalid character (a lone surrogate such as \\udcff)")
    value = " ".join(value.split()) if max_len <= 500 else value.strip()
    if len(value) > max_len:
        raise RowError(f"'{name}' is longer than {max_len} characters")
    return value


def title_field(value: object, name: str, max_chars: int) -> str:
    """A film's title: one that can be looked up again, so not longer than the title limit people
    can type (MAX_TITLE_CHARS) and with some letters or digits ("!!!" normalises to nothing)."""
    title = text_field(value, name, max_len=sys.maxsize)  # there, and text; the limit is checked below
    assert title is not None
    title = " ".join(strip_display_controls(title, " ").split())  # no bidi overrides in a title
    if len(title) > max_chars:
        raise RowError(f"'{name}' is {len(title):,} characters; titles are limited to {max_chars:,} (MAX_TITLE_CHARS)")
    if not normalize_title(title):
        raise RowError(f"'{name}' {title[:40]!r} has no letters or digits, so it could never be looked up")
    return title


def year_field(value: object, name: str = "year") -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError(f"'{name}' must be a year such as 2020")
    try:
        year = int(str(value).strip())
    except ValueError:
        raise RowError(f"'{name}' must be a year such as 2020, not {str(value)[:20]!r}") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise RowError(f"'{name}' {year} is not a plausible film year")
    return year


def rating_field(value: object, name: str = "rating") -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError(f"'{name}' must be a number from 0.5 to 5")
    try:
        rating = float(str(value).strip())
    except ValueError:
        raise RowError(f"'{name}' must be a number from 0.5 to 5, not {str(value)[:20]!r}") from None
    if not 0.5 <= rating <= 5 or round(rating * 2) != rating * 2:
        raise RowError(f"'{name}' {rating:g} is not between 0.5 and 5 in half stars")
    return rating


def review_text_field(value: object, max_chars: int, name: str = "text") -> str:
    """A review's text: line breaks kept (normalised to \\n), at least a sentence, at most `max_chars`."""
    text = text_field(value, name, max_len=max(max_chars, 501))
    assert text is not None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > max_chars:
        raise RowError(f"'{name}' is {len(text):,} characters; the limit is {max_chars:,}")
    if len(text) < MIN_REVIEW_CHARS or len(text.split()) < MIN_REVIEW_WORDS:
        raise RowError(
            f"'{name}' is too short to be a review (at least {MIN_REVIEW_WORDS} words and "
            f"{MIN_REVIEW_CHARS} characters)"
        )
    return text


def date_field(value: object, name: str) -> str | None:
    """An ISO 8601 date or date-time, stored as UTC `YYYY-MM-DDTHH:MM:SSZ` (dates at midnight)."""
    text = text_field(value, name, required=False, max_len=40)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"'{name}' must be a date such as 2024-05-31, not {text[:20]!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def list_field(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RowError(f"'{name}' must be a list of names")
    if any(has_lone_surrogates(v) for v in value):
        raise RowError(f"'{name}' holds an invalid character (a lone surrogate such as \\udcff)")
    return tuple(" ".join(v.split())[:200] for v in value if v.strip())[:50]


def bool_field(value: object, name: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "y"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "0", "n"}:
        return False
    raise RowError(f"'{name}' must be true or false")
