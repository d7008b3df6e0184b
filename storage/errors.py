"""SQLite failures a person can act on, told apart by SQLite's result codes (never by message text).

`translate` turns a `sqlite3.Error` whose primary result code we can explain (busy, full, read-only,
damaged, cannot open, I/O error) into one of the `DatabaseProblem` errors below, whose message says
what happened and what to do; every other error (a constraint, a bug in our SQL) is returned
unchanged. The classes are `ReviewBotError`s (defined here, re-exported by bot/errors.py), so the
terminal and Discord show them like every other error a person can act on.

Two audiences: while *opening* the database (start-up, the terminal) the message names the file and
the fix; later (the reply may go to a Discord user) it stays short and path-free, and the path and
SQLite's own error go to the log.
"""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

log = logging.getLogger(__name__)


class ReviewBotError(Exception):
    """Base class of every error a person can act on: `str(error)` is the user-facing message.

    Defined here, in the lowest layer, so that storage depends on no other part of the bot while
    front doors still catch database problems with every other `ReviewBotError` (bot/errors.py
    re-exports it and defines the service layer's own errors)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ReviewBotError):
    """What was asked for can't be done as given (a bad path, a value out of range)."""


class DatabaseProblem(ReviewBotError):
    """The database can't do what was asked (busy, disk full, read-only, damaged, can't be opened).

    Raised from the backend's own error codes (SQLite result codes, PostgreSQL SQLSTATEs); the message
    says what to do.
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


class DatabaseNewer(DatabaseProblem):
    """The database was written by a newer reviewbot (its schema version is beyond this code's
    migrations): using it could corrupt data the newer code relies on, so nothing may write to it."""


class UnusableBackup(DatabaseProblem):
    """A file offered to `reviewbot db restore` that isn't a sound reviewbot database."""

# Primary result codes (https://sqlite.org/rescode.html); extended codes carry them in the low byte.
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
SQLITE_READONLY_DIRECTORY = SQLITE_READONLY | (6 << 8)

RESTORE_HINT = "Check it with `reviewbot db check`; restore a backup with `reviewbot db restore BACKUP`."


def result_code(error: BaseException) -> int | None:
    """SQLite's (extended) result code of a sqlite3 error, if it carries one."""
    code = getattr(error, "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


def primary_code(error: BaseException) -> int | None:
    code = result_code(error)
    return None if code is None else code & 0xFF


def is_busy(error: BaseException) -> bool:
    """The database is locked by another connection (after the busy timeout ran out)."""
    return isinstance(error, sqlite3.Error) and primary_code(error) in (SQLITE_BUSY, SQLITE_LOCKED)


def busy_backoff(attempt: int) -> float:
    """Seconds to wait before busy retry `attempt` (0-based), jittered so that two waiting
    processes don't retry in step."""
    return float(0.1 * 2**attempt * random.uniform(0.5, 1.5))


def translate(error: BaseException, path: Path, *, opening: bool = False) -> BaseException:
    """The `DatabaseProblem` explaining `error`, or `error` itself when it isn't one we explain."""
    if isinstance(error, DatabaseProblem) or not isinstance(error, sqlite3.Error):
        return error
    code = primary_code(error)
    problem = _problem(code, result_code(error), path, opening)
    if problem is None:
        return error
    problem.__cause__ = error  # as `raise problem from error` would: the traceback keeps SQLite's error
    # At start-up the message itself reaches the operator; later only the log names the file.
    log.log(logging.INFO if opening else logging.WARNING, "database %s: %s (%s)", path, error,
            getattr(error, "sqlite_errorname", code))
    return problem


def _problem(code: int | None, extended: int | None, path: Path, opening: bool) -> DatabaseProblem | None:
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        if opening:
            return DatabaseBusy(
                f"The database {path} is locked by another program (an import, a backup, another reviewbot?) "
                "and stayed locked longer than the busy timeout. Try again when it has finished."
            )
        return DatabaseBusy("The database is busy right now; nothing was changed. Please try again in a moment.")
    if code == SQLITE_FULL:
        where = f" (the database is {path})" if opening else ""
        return DatabaseFull(f"The disk is full; nothing was saved{where}. Free some space and try again.")
    if code == SQLITE_READONLY:
        if not opening:
            return DatabaseReadOnly(
                "The database is read-only right now, so nothing was saved. The bot's operator needs to make "
                "it writable again."
            )
        why = (
            "its folder is read-only (SQLite creates the -wal and -shm files next to the database)"
            if extended == SQLITE_READONLY_DIRECTORY
            else "the file (or its folder) is read-only"
        )
        return DatabaseReadOnly(
            f"reviewbot can't write to its database {path}: {why}. Make the file and its folder writable "
            "for the user running reviewbot, or point --db / REVIEWBOT_DB at a writable location."
        )
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        if opening and code == SQLITE_NOTADB:
            return DatabaseCorrupt(
                f"The database file {path} is not a SQLite database (damaged, or another kind of file). "
                "Restore a backup with `reviewbot db restore BACKUP`, or point --db / REVIEWBOT_DB elsewhere."
            )
        if opening:
            return DatabaseCorrupt(f"The database file {path} is damaged. {RESTORE_HINT}")
        return DatabaseCorrupt(
            "The database is damaged, so I can't do that. The bot's operator can check it with "
            "`reviewbot db check` and restore a backup with `reviewbot db restore`."
        )
    if code == SQLITE_CANTOPEN:
        return DatabaseUnavailable(
            f"reviewbot can't open its database {path}. Check that the folder exists and that the user "
            "running reviewbot may read and write it, or point --db / REVIEWBOT_DB elsewhere."
            if opening
            else "The database file can't be opened right now; nothing was saved. Please try again later."
        )
    if code == SQLITE_IOERR:
        return DatabaseUnavailable(
            f"The disk reported an error reading or writing the database {path}; nothing was saved. "
            "Check the disk, then run `reviewbot db check`."
            if opening
            else "The disk reported an error, so nothing was saved. Please try again later."
        )
    return None


@contextmanager
def explained(path: Path, *, opening: bool = False) -> Iterator[None]:
    """Re-raise a sqlite3 error we can explain as its `DatabaseProblem` (chained to the original).

    A plain `with` works around awaits too: the exception passes through it either way.
    """
    try:
        yield
    except sqlite3.Error as error:
        problem = translate(error, path, opening=opening)
        if problem is error:
            raise
        raise problem from error


def reraise(error: sqlite3.Error, path: Path, *, opening: bool = False) -> NoReturn:
    """Inside an `except` block: raise the explanation of `error`, or `error` itself."""
    problem = translate(error, path, opening=opening)
    if problem is error:
        raise error
    raise problem from error


def newer_schema(where: str, version: int, latest: int) -> DatabaseNewer:
    """The refusal to open a database a newer reviewbot has migrated (any backend)."""
    return DatabaseNewer(
        f"The database {where} was upgraded by a newer reviewbot (schema version {version}; this one knows up "
        f"to {latest}). Nothing was changed. Run the newer reviewbot, or restore a backup made for this one."
    )


def cannot_create(path: Path, error: OSError) -> DatabaseUnavailable:
    """The folder for a new database can't be created."""
    return DatabaseUnavailable(
        f"reviewbot can't create the folder for its database {path}: {error.strerror or error}. Create it "
        "(writable for the user running reviewbot), or point --db / REVIEWBOT_DB elsewhere."
    )
