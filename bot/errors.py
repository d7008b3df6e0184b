"""Errors a person can act on. Their message is safe and friendly to show as it is.

Front doors (terminal, Discord) turn these into short replies; anything else is a bug and gets a
generic apology plus a logged traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.text.markdown import escape_markdown

# The base class and the database's errors live in storage/ (the lowest layer, which imports nothing of
# the bot), so that `except ReviewBotError` catches a database problem too; re-exported here for the
# rest of the bot.
from storage.errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseFull,
    DatabaseInUse,
    DatabaseNewer,
    DatabaseProblem,
    DatabaseReadOnly,
    DatabaseUnavailable,
    InvalidInput,
    ReviewBotError,
    UnusableBackup,
)

__all__ = [
    "AmbiguousFilm",
    "BudgetExceeded",
    "DatabaseBusy",
    "DatabaseCorrupt",
    "DatabaseFull",
    "DatabaseInUse",
    "DatabaseNewer",
    "DatabaseProblem",
    "DatabaseReadOnly",
    "DatabaseUnavailable",
    "FilmChoice",
    "FilmNotFound",
    "ImportFailed",
    "ImportProblem",
    "InvalidInput",
    "LimitReached",
    "NotOnWatchlist",
    "PermissionDenied",
    "RateLimited",
    "ReviewBotError",
    "UnusableBackup",
]


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
