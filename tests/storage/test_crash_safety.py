"""kill -9 in the middle of writing: a real child process is SIGKILLed during a large import and
during a burst of watchlist writes; afterwards the database passes integrity_check, every write the
child acknowledged is there, and the interrupted import is either wholly absent or wholly present
and simply runs again.

Why acknowledged writes survive: WAL mode with `synchronous=NORMAL` (storage/db.py). A COMMIT
returns once its frames are written into the -wal file, i.e. handed to the operating system; it is
not fsynced until a checkpoint. Killing the process doesn't lose what the OS already holds, so every
acknowledged commit survives kill -9, which is what these tests do. (A power cut or an OS crash
can lose the last commits under NORMAL, never the database's consistency; FULL would fsync every
commit to survive that too, at a large cost in write throughput.) An uncommitted transaction leaves
at most frames without a commit record at the end of the WAL, which recovery ignores.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.synth import write_imdb
from bot.app import open_services
from bot.importers.imdb import ImdbReport, import_imdb
from bot.settings import Settings
from storage.db import Database
from storage.imdb import ImdbLoader

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

TITLES = 15_000  # the child needs about a second: long enough to be killed inside the import

_IMPORT_CHILD = r"""
import sys
from pathlib import Path
from bot.importers.imdb import ImdbReport, import_imdb
from storage.imdb import ImdbLoader

def progress(stage, done, total):
    if stage in ("joining crew and cast", "indexing titles"):  # the stages that write to films
        print(stage, flush=True)

with ImdbLoader(Path(sys.argv[1])) as loader:
    report = import_imdb(loader, Path(sys.argv[2]), progress=progress)
print("finished", report.titles, flush=True)
"""

_WATCHLIST_CHILD = r"""
import asyncio, sys
from pathlib import Path
from bot.app import open_services
from bot.settings import Settings

FILMS = ["Parasite", "Se7en", "Psycho (1960)", "Dune (2021)", "The Prestige", "Dear Comrades!"]

async def main():
    settings = Settings(_env_file=None, reviewbot_db=Path(sys.argv[1]), reviewbot_load_sample=False)
    async with open_services(settings) as services:
        async def user(n):
            for title in FILMS:
                change = await services.watchlist.add(f"user{n}", title)  # group commit underneath
                print(f"ack user{n} {change.film.id}", flush=True)  # only after the COMMIT returned

        await asyncio.gather(*(user(n) for n in range(3000)))
    print("finished", flush=True)

asyncio.run(main())
"""


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _child(code: str, *args: Path, log: Path) -> subprocess.Popen[str]:
    """A child Python process; its stdout is read line by line, its stderr goes to `log`."""
    with log.open("w") as errors:
        return subprocess.Popen(
            [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, stderr=errors, text=True
        )


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def imdb_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("imdb")
    write_imdb(folder, TITLES)
    return folder


async def _database_with_a_user(path: Path) -> int:
    """The sample data plus one watchlist entry: what was there before must survive the crash."""
    settings = Settings(_env_file=None, reviewbot_db=path)
    async with open_services(settings) as services:
        change = await services.watchlist.add("before", "Parasite")
    return change.film.id


async def _database_with_a_film(path: Path) -> int:
    """A film on someone's watchlist (with no IMDb id): what was there before must survive."""
    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            row = await tx.fetchone("INSERT INTO films (title, year) VALUES ('Before', 2001) RETURNING id")
            assert row is not None
            await tx.execute("INSERT INTO watchlist_entries (user_id, film_id) VALUES ('before', ?)", (row[0],))
    finally:
        await db.close()
    return int(row[0])


def _import_and_kill(db_path: Path, imdb_files: Path, moment: str, log: Path) -> bool:
    """Run the import in a child and SIGKILL it at `moment`; True if it finished first."""
    proc = _child(_IMPORT_CHILD, db_path, imdb_files, log=log)
    assert proc.stdout is not None
    while not proc.stdout.readline().startswith("indexing titles"):  # the import is writing to films
        assert proc.poll() is None, log.read_text()
    if moment == "while writing films":
        time.sleep(0.1)
        _kill(proc)
    else:
        # The COMMIT appends the whole transaction to the -wal file: kill once a megabyte is there.
        wal = Path(f"{db_path}-wal")
        while proc.poll() is None:
            if wal.exists() and wal.stat().st_size > 1_000_000:
                _kill(proc)
                break
            time.sleep(0.001)
    finished = proc.wait(timeout=60) == 0  # the import may win the race with the kill at commit time
    assert finished or proc.returncode == -signal.SIGKILL, log.read_text()
    return finished


def _imdb_films(db_path: Path) -> int:
    return int(str(_query(db_path, "SELECT count(*) FROM films WHERE imdb_id IS NOT NULL")[0][0]))


@pytest.mark.parametrize("moment", ["while writing films", "while committing"])
async def test_kill_during_a_large_import(tmp_path: Path, imdb_files: Path, moment: str) -> None:
    db_path = tmp_path / "crash.db"
    film = await _database_with_a_film(db_path)

    finished = _import_and_kill(db_path, imdb_files, moment, tmp_path / "child.log")
    if moment == "while writing films":
        assert not finished

    # "Restart": recovery runs when the database is next opened.
    assert _query(db_path, "PRAGMA integrity_check") == [("ok",)]
    imported = _imdb_films(db_path)
    assert _query(db_path, "SELECT user_id, film_id FROM watchlist_entries") == [("before", film)]

    # Resumable: running the import again completes it, whatever the crash left.
    def reimport() -> ImdbReport:
        with ImdbLoader(db_path) as loader:
            return import_imdb(loader, imdb_files)

    report = await asyncio.to_thread(reimport)
    assert report.titles > TITLES // 2
    assert imported in (0, report.titles)  # one transaction: none of it, or (had it committed) all of it
    assert not finished or imported == report.titles
    assert _query(db_path, "SELECT count(*), count(DISTINCT imdb_id) FROM films WHERE imdb_id IS NOT NULL") == [
        (report.titles, report.titles)
    ]
    db = await Database.open(db_path)
    try:
        assert (await db.fetchone("PRAGMA integrity_check"))[0] == "ok"  # type: ignore[index]
    finally:
        await db.close()


async def test_kill_during_a_burst_of_watchlist_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db_path = tmp_path / "burst.db"
    await _database_with_a_user(db_path)

    log = tmp_path / "child.log"
    proc = _child(_WATCHLIST_CHILD, db_path, log=log)
    assert proc.stdout is not None
    printed: list[str] = []
    while len(printed) < 500:  # wait until the burst is well under way
        line = proc.stdout.readline()
        assert line, log.read_text()
        printed.append(line)
    _kill(proc)
    output = "".join(printed) + proc.stdout.read()  # and what it printed before it died
    complete = output.split("\n")[:-1]  # the last piece has no newline: a print cut short by the kill
    assert "finished" not in complete, "the burst ended before the kill; make it longer"
    assert proc.returncode == -signal.SIGKILL, log.read_text()

    acknowledged = {(user, int(film)) for _, user, film in (line.split() for line in complete)}
    assert len(acknowledged) >= 500

    assert _query(db_path, "PRAGMA integrity_check") == [("ok",)]
    rows = _query(db_path, "SELECT user_id, film_id FROM watchlist_entries")
    stored = {(str(user), int(str(film))) for user, film in rows}
    missing = acknowledged - stored
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:3]}"
    assert len(stored) < 3000 * 6 + 1  # and the burst really was cut short

    # The bot starts again on it and carries on.
    settings = Settings(_env_file=None, reviewbot_db=db_path, reviewbot_load_sample=False)
    async with open_services(settings) as services:
        change = await services.watchlist.add("after", "Parasite")
        assert change.status == "added"
