"""`reviewbot db copy` both ways, and `db backup|check|restore` on PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from storage.backends import open_store
from storage.copy import TABLES, copy_database
from storage.errors import InvalidInput
from storage.records import FilmInput
from tests.pg_support import PgCluster


async def _snapshot(target: str | Path) -> dict[str, object]:
    """What a person sees: films with names, reviews with sentences, watchlists, conversations."""
    store = await open_store(target, migrate=False)
    try:
        films = [await store.films.get(i) for i in range(1, 40)]
        reviews = {f.id: await store.reviews.for_film(f.id) for f in films if f}
        return {
            "films": films, "reviews": reviews,
            "watchlist": await store.watchlists.list("ann", ""), "shared": await store.watchlists.is_shared("ann"),
            "turns": await store.conversations.turns_for_user("ann"),
            "vocabulary": sorted(await store.films.vocabulary()),
        }
    finally:
        await store.close()


async def test_copy_sqlite_to_postgres_and_back_keeps_everything(
    pg: PgCluster, sample_db_template: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source.db"
    shutil.copyfile(sample_db_template, source)
    store = await open_store(source)
    try:
        film = await store.films.add(FilmInput(title="Nomadland", year=2020, aliases=("Nomad Land",)))
        await store.watchlists.add("ann", "", film.id, max_size=10)
        await store.watchlists.mark_watched("ann", "", film.id, 4.5, "tense")
        await store.watchlists.set_shared("ann", True)
        cid = await store.conversations.ensure("terminal:ann", "ann", film.id)
        await store.conversations.add_turn(cid, "user", "is it good?", 3, "ann")
    finally:
        await store.close()

    url = pg.create(label="copy")
    seen: list[tuple[str, int, int]] = []
    report = await copy_database(source, url, progress=lambda t, d, n: seen.append((t, d, n)))
    assert set(report.counts) == {t for t, _, _ in TABLES} and report.counts["reviews"] > 40
    assert ("reviews", report.counts["reviews"], report.counts["reviews"]) in seen
    back = tmp_path / "back.db"
    await copy_database(url, back)
    before, on_pg, after = await _snapshot(source), await _snapshot(url), await _snapshot(back)
    assert before == on_pg == after

    # The copy is a working database: new rows get new ids after the copied ones.
    pg_store = await open_store(url)
    try:
        added = await pg_store.films.add(FilmInput(title="Minari", year=2020))
        assert added.id > film.id
        assert [h.film_id for h in await pg_store.films.find_exact("nomad land")] == [film.id]
    finally:
        await pg_store.close()

    with pytest.raises(InvalidInput, match="already holds data"):
        await copy_database(source, url)


def test_db_commands_on_postgres(pg: PgCluster, sample_db_template: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "source.db"
    shutil.copyfile(sample_db_template, source)
    url = pg.create(label="cli")
    assert main(["db", "copy", str(source), url, "--json"]) == 0
    copied = json.loads(capsys.readouterr().out)
    assert copied["counts"]["films"] == 13 and copied["rows"] > 100

    assert main(["db", "check", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "schema version" in out and "films 13" in out

    backup = tmp_path / "backup.db"
    assert main(["db", "backup", str(backup), "--db", url]) == 0
    assert "Backed up" in capsys.readouterr().out
    assert main(["db", "check", "--db", str(backup)]) == 0  # the backup is a sound SQLite database
    capsys.readouterr()

    assert main(["db", "restore", str(backup), "--yes", "--db", url]) == 1
    assert "db copy" in capsys.readouterr().err
