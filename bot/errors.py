"""Errors a person can act on. Their message is safe and friendly to show as it is.

Front doors (terminal, Discord) turn these into short replies; anything else is a bug and gets a
generic apology plus a logged traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.text.markdown import escape_markdown


class ReviewBotError(Exception):
    """Base class: `str(error)` is the user-facing message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FilmChoice:
    """A candidate film for a query: what autocomplete and "did you mean" show."""

    film_id: int
    label: str
    score: float = 100.0


ADD_A_FILM = (
    "Films come from imported files: `reviewbot import FILE` on the command line, or /admin import on Discord "
    "(adding a film to a watchlist also creates it)."
)


class FilmNotFound(ReviewBotError):
    """Not in the catalogue: the closest titles, if any, and how a film gets in."""

    def __init__(self, query: str, suggestions: Sequence[FilmChoice] = ()) -> None:
        self.query = query
        self.suggestions = list(suggestions)
        if self.suggestions:
            hint = " Did you mean " + _or_list([s.label for s in self.suggestions[:3]]) + f"? If not: {ADD_A_FILM}"
        else:
            hint = f" Nothing in it has a close title. {ADD_A_FILM}"
        super().__init__(f"I couldn't find a film called “{_short(query)}” in the catalogue.{hint}")


class AmbiguousFilm(ReviewBotError):
    def __init__(self, query: str, candidates: Sequence[FilmChoice]) -> None:
        self.query = query
        self.candidates = list(candidates)
        labels = _or_list([c.label for c in self.candidates[:5]])
        super().__init__(
            f"“{_short(query)}” matches more than one film: {labels}. Add the year, e.g. "
            f"“{_short(self.candidates[0].label, 120)}”."
        )


class InvalidInput(ReviewBotError):
    pass


class NotOnWatchlist(ReviewBotError):
    pass


class LimitReached(ReviewBotError):
    pass


class BudgetExceeded(ReviewBotError):
    pass


class RateLimited(ReviewBotError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermissionDenied(ReviewBotError):
    pass


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportFailed(ReviewBotError):
    """Nothing was imported. `skippable`: the problems are bad rows that --skip-bad would leave
    out; otherwise the file as a whole is unusable (not JSON, an unknown CSV header)."""

    def __init__(self, source: str, problems: Sequence[ImportProblem], *, skippable: bool = True) -> None:
        self.problems = list(problems)
        self.skippable = skippable
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = f"\n  … and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        if skippable:
            head = f"{len(self.problems)} bad row(s)"
            hint = "Fix them, or run again with --skip-bad to import the good rows only."
        else:
            head = "the file can't be read"
            hint = "Fix the file and try again (see README, “Data formats”)."
        super().__init__(f"Nothing was imported from {source}: {head}.\n{shown}{more}\n{hint}")


class DatabaseProblem(ReviewBotError):
    """The database can't do what was asked (busy, disk full, read-only, damaged, can't be opened).

    Raised by storage/ from SQLite's result codes (storage/errors.py); the message says what to do.
    """


class DatabaseBusy(DatabaseProblem):
    """Another connection held the write lock for longer than the busy timeout (and the retries)."""


class DatabaseFull(DatabaseProblem):
    """SQLITE_FULL: the disk (or the database's page limit) is full; the transaction was rolled back."""


class DatabaseReadOnly(DatabaseProblem):
    pass


class DatabaseCorrupt(DatabaseProblem):
    """SQLITE_CORRUPT / SQLITE_NOTADB: damaged, or not a SQLite file at all."""


class DatabaseUnavailable(DatabaseProblem):
    """The file can't be opened or created, or the disk reported an I/O error."""


class DatabaseInUse(DatabaseProblem):
    """A restore needs the database to itself, and another process has it open."""


class UnusableBackup(DatabaseProblem):
    """A file offered to `reviewbot db restore` that isn't a sound reviewbot database."""


def _short(text: str, limit: int = 80) -> str:
    """What someone typed (or a stored title), cut to `limit` and with its Discord markup escaped:
    these messages are shown on Discord, where a `||` in a title would open a spoiler span."""
    text = " ".join(text.split())
    return escape_markdown(text if len(text) <= limit else text[: limit - 1] + "…")


def _or_list(items: Sequence[str]) -> str:
    quoted = [f"“{_short(i, 120)}”" for i in items]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]
