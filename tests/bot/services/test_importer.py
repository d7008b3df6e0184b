"""ImportService end to end: real files in a temporary folder, a real SQLite database."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services, open_services
from bot.errors import ImportFailed, InvalidInput
from bot.settings import Settings
from bot.spoilers.detector import CorpusCounts, build_context
from storage.db import Database
from storage.films import FilmRepository
from storage.records import Film
from storage.reviews import ReviewRepository
from storage.watchlists import WatchlistRepository

LB_HEADER = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n"


async def counts(db: Database) -> dict[str, int]:
    tables = ("films", "film_titles", "reviews", "review_sentences", "watchlist_entries", "app_meta")
    result = {}
    for table in tables:
        row = await db.fetchone(f"SELECT count(*) FROM {table}")
        assert row is not None
        result[table] = int(row[0])
    return result


def write_json(tmp_path: Path, data: Any, name: str = "import.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def element_starts(path: Path) -> list[int]:
    """Lines where the objects of a top-level list start, in a file written by write_json."""
    return [n + 1 for n, line in enumerate(path.read_text().splitlines()) if line == "    {"]


def review(film: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"film": film, "text": text, **extra}


NEW_FILM = {
    "title": "Past Lives",
    "year": 2023,
    "original_title": "Jeon-saeng",
    "aliases": ["Passed Lives"],
    "directors": ["Celine Song"],
    "cast": ["Greta Lee", "Teo Yoo", "John Magaro"],
    "characters": ["Nora", "Hae Sung", "Arthur"],
    "runtime_minutes": 106,
    "genres": ["Drama", "Romance"],
    "imdb_id": "tt13238346",
    "logline": "Two childhood friends are separated when one emigrates, then meet again decades later.",
}


async def stored_film(services: Services, title: str, year: int | None) -> Film:
    film = await FilmRepository(services.store.db).find_by_title_year(title, year)
    assert film is not None
    return film


# --- JSON ----------------------------------------------------------------------------------------
async def test_json_import_stores_every_field(services: Services, tmp_path: Path) -> None:
    before = await counts(services.store.db)
    path = write_json(tmp_path, {
        "films": [NEW_FILM],
        "reviews": [
            review(
                "Past Lives", "Quiet and devastating. Greta Lee is superb and the score aches.\n\n"
                "In the end Nora stays with Arthur and Hae Sung flies home alone.",
                year=2023, author="mia", rating=4.5, contains_spoilers=True, created_at="2024-01-05T20:15:00Z",
            ),
            review("passed lives", "A film about what might have been, told with great tenderness."),
        ],
    })
    report = await services.importer.import_path(path)
    assert (report.films_added, report.reviews_added, report.skipped) == (1, 2, [])

    film = await stored_film(services, "Past Lives", 2023)
    assert (film.original_title, film.aliases, film.directors) == ("Jeon-saeng", ("Passed Lives",), ("Celine Song",))
    assert film.cast == ("Greta Lee", "Teo Yoo", "John Magaro")
    assert film.characters == ("Nora", "Hae Sung", "Arthur")
    assert (film.runtime_minutes, film.genres, film.imdb_id) == (106, ("Drama", "Romance"), "tt13238346")
    assert film.logline == NEW_FILM["logline"] and not film.is_stub
    assert (await services.films.resolve("Jeon-saeng")).id == film.id  # the original title is searchable

    stored = await ReviewRepository(services.store.db).for_film(film.id)
    first = next(r for r in stored if r.author == "mia")
    assert (first.rating, first.author_flagged_spoilers, first.source) == (4.5, True, "import")
    assert first.created_at == "2024-01-05T20:15:00Z"
    assert "\n\nIn the end" in first.text
    other = next(r for r in stored if r.author != "mia")
    assert (other.author, other.rating, other.author_flagged_spoilers) == ("anonymous", None, False)

    # Sentence-level spoiler scores were computed and stored with each review.
    assert len(first.sentences) >= 3
    by_text = {s.text: s.spoiler_score for s in first.sentences}
    ending = next(score for text, score in by_text.items() if text.startswith("In the end"))
    opinion = next(score for text, score in by_text.items() if text.startswith("Quiet"))
    assert ending > opinion
    after = await counts(services.store.db)
    assert after["review_sentences"] - before["review_sentences"] == sum(len(r.sentences) for r in stored)


async def test_malformed_json_names_the_line(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "reviews": [\n    {"film": "Parasite", "text": "x"},\n    {"film": \n  ]\n}\n')
    with pytest.raises(ImportFailed) as failed:
        await services.importer.import_path(path)
    assert [p.line for p in failed.value.problems] == [5]
    assert "not valid JSON" in str(failed.value) and "line 5" in str(failed.value)
    with pytest.raises(ImportFailed, match="can't be read"):
        await services.importer.import_path(path, skip_bad=True)


def bad_rows_file(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A JSON file with one good review and one of each kind of bad row; returns the lines."""
    rows = {
        "good": review("Parasite", "The staircase imagery is unforgettable.", year=2019, author="t1"),
        "rating 7": review("Parasite", "Rated seven, which is off the scale.", rating=7),
        "rating 3.3": review("Parasite", "Rated 3.3, which is not a half star.", rating=3.3),
        "year abc": review("Parasite", "The year is written as letters here.", year="abc"),
        "too short": review("Parasite", "Great!"),
        "missing film": {"text": "This review does not say which film it is about."},
        "unknown film": review("Nonexistent Picture", "A review of a film that nobody has heard of."),
        "ambiguous": review("Psycho", "The shower scene is still frightening today, truly."),
    }
    path = write_json(tmp_path, {"reviews": list(rows.values())}, "bad_rows.json")
    return path, dict(zip(rows, element_starts(path), strict=True))


async def test_bad_rows_change_nothing_and_are_reported_with_lines(services: Services, tmp_path: Path) -> None:
    path, lines = bad_rows_file(tmp_path)
    before = await counts(services.store.db)
    with pytest.raises(ImportFailed) as failed:
        await services.importer.import_path(path)
    assert await counts(services.store.db) == before
    reasons = {p.line: p.reason for p in failed.value.problems}
    assert sorted(reasons) == sorted(v for k, v in lines.items() if k != "good")  # all of them, in one run
    assert "'rating' 7" in reasons[lines["rating 7"]]
    assert "'rating' 3.3" in reasons[lines["rating 3.3"]]
    assert "'year' must be a year" in reasons[lines["year abc"]]
    assert "too short" in reasons[lines["too short"]]
    assert "'film' is missing" in reasons[lines["missing film"]]
    assert "neither in this file nor in the database" in reasons[lines["unknown film"]]
    assert "matches several stored films" in reasons[lines["ambiguous"]]
    assert "--skip-bad" in str(failed.value)


async def test_rows_naming_unknown_or_ambiguous_films_are_reported(services: Services, tmp_path: Path) -> None:
    path = write_json(tmp_path, {"reviews": [
        review("Parasite", "The staircase imagery is unforgettable.", author="t1"),
        review("Psycho", "The shower scene is still frightening today, truly."),
        review("Psycho", "Gus Van Sant copied it shot for shot, oddly enough.", year=1998),
        review("Nonexistent Picture", "A review of a film that nobody has heard of."),
        review("Dune", "Sand, spice and a very long running time indeed.", year=1999),
    ]})
    before = await counts(services.store.db)
    with pytest.raises(ImportFailed) as failed:
        await services.importer.import_path(path)
    assert await counts(services.store.db) == before
    problems = {p.line: p.reason for p in failed.value.problems}
    starts = element_starts(path)
    assert sorted(problems) == [starts[1], starts[3], starts[4]]
    assert "“Psycho” matches several stored films: Psycho (1960), Psycho (1998); add its year" in problems[starts[1]]
    assert "“Nonexistent Picture” is neither in this file nor in the database" in problems[starts[3]]
    assert "“Dune (1999)”" in problems[starts[4]] and "Dune (1984), Dune (2021)" in problems[starts[4]]


async def test_skip_bad_imports_the_good_rows_and_reports_the_rest(services: Services, tmp_path: Path) -> None:
    path, lines = bad_rows_file(tmp_path)
    before = await counts(services.store.db)
    report = await services.importer.import_path(path, skip_bad=True)
    assert report.reviews_added == 1
    assert [p.line for p in report.skipped] == sorted(v for k, v in lines.items() if k != "good")
    after = await counts(services.store.db)
    assert after["reviews"] == before["reviews"] + 1 and after["films"] == before["films"]
    assert "Skipped 7 bad row(s)" in report.describe()
    assert report.as_json()["skipped"][0] == {"line": lines["rating 7"], "reason": report.skipped[0].reason}


async def test_failure_while_writing_rolls_everything_back(services: Services, tmp_path: Path) -> None:
    path = write_json(tmp_path, {
        "films": [NEW_FILM],
        "reviews": [review("Past Lives", f"Review number {n} of a quiet, moving film.") for n in range(5)],
    })
    before = await counts(services.store.db)

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "writing" and done >= 3:
            raise RuntimeError("disk full")  # anything failing mid-transaction

    importer = services.importer
    with pytest.raises(RuntimeError, match="disk full"):
        await importer.import_path(path, progress=progress)
    assert await counts(services.store.db) == before
    report = await importer.import_path(path)  # and the database is still usable
    assert (report.films_added, report.reviews_added) == (1, 5)


async def test_reimport_adds_nothing(services: Services, tmp_path: Path) -> None:
    path = write_json(tmp_path, {
        "films": [NEW_FILM],
        "reviews": [review("Past Lives", "Quiet, devastating and beautifully acted.", author="a")],
    })
    first = await services.importer.import_path(path)
    after_first = await counts(services.store.db)
    calls: list[tuple[str, int, int]] = []
    second = await services.importer.import_path(path, progress=lambda *call: calls.append(call))
    assert await counts(services.store.db) == after_first
    assert (first.films_added, first.reviews_added) == (1, 1)
    assert (second.films_added, second.films_existing, second.reviews_added, second.reviews_existing) == (0, 1, 0, 1)
    # The stored review was recognised before scoring: only the film's match is left to write.
    assert [c for c in calls if c[0] == "writing"][-1] == ("writing", 1, 1)


async def test_films_already_stored_are_not_duplicated(services: Services, tmp_path: Path) -> None:
    parasite = await stored_film(services, "Parasite", 2019)
    path = write_json(tmp_path, {
        "films": [
            {"title": "PARASITE", "year": 2019},  # same title (any case) and year
            {"title": "Seven", "year": 1995, "imdb_id": "tt0114369"},  # another name, same IMDb id
        ],
        "reviews": [
            review("Parasite", "Class warfare as a perfectly built thriller.", year=2019, author="n"),
            review("Seven", "Grim, wet and relentless; Fincher at his bleakest.", author="n"),
        ],
    })
    before = await counts(services.store.db)
    report = await services.importer.import_path(path)
    assert (report.films_added, report.films_existing, report.reviews_added) == (0, 2, 2)
    after = await counts(services.store.db)
    assert after["films"] == before["films"]
    authors = [r.author for r in await ReviewRepository(services.store.db).for_film(parasite.id)]
    assert "n" in authors
    se7en = await stored_film(services, "Se7en", 1995)
    assert "n" in [r.author for r in await ReviewRepository(services.store.db).for_film(se7en.id)]


async def test_reviews_of_stored_films(services: Services, tmp_path: Path) -> None:
    path = write_json(tmp_path, {"reviews": [
        review("Parasite", "The peach scene is a masterpiece of tension.", year=2019, author="s1"),
        review("기생충", "Named by its Korean title, still the same film.", author="s2"),
        review("Sixth Sense", "Found without its leading article, still fine.", author="s3"),
        review("Dune", "Villeneuve's version: huge, patient and loud.", year=2021, author="s4"),
    ]})
    report = await services.importer.import_path(path)
    assert report.reviews_added == 4 and report.films_added == 0
    parasite = await stored_film(services, "Parasite", 2019)
    authors = {r.author for r in await ReviewRepository(services.store.db).for_film(parasite.id)}
    assert {"s1", "s2"} <= authors


async def test_film_problems_in_the_file(services: Services, tmp_path: Path) -> None:
    path = write_json(tmp_path, {"films": [
        {"title": "Past Lives", "year": 2023},
        {"title": "Past Lives", "year": 2023},
        {"title": "Psycho"},
        {"title": "Copy", "imdb_id": "tt13238346"},
        {"title": "Original", "imdb_id": "tt13238346"},
    ]})
    with pytest.raises(ImportFailed) as failed:
        await services.importer.import_path(path)
    reasons = [p.reason for p in failed.value.problems]
    assert "“Past Lives (2023)” is already in this file (line 3)" in reasons[0]
    assert "“Psycho” has no year and stored films of that name are from 1960, 1998" in reasons[1]
    assert "IMDb id tt13238346 is already used in this file" in reasons[2]


async def test_same_title_in_the_file_needs_a_year(empty_services: Services, tmp_path: Path) -> None:
    path = write_json(tmp_path, {
        "films": [{"title": "Solaris", "year": 1972}, {"title": "Solaris", "year": 2002}],
        "reviews": [
            review("Solaris", "Long, hypnotic and very sad, in the best way."),
            review("Solaris", "Soderbergh keeps it short and cool.", year=2002),
        ],
    })
    with pytest.raises(ImportFailed, match=r"matches 2 films in this file \(Solaris \(1972\) at line 3"):
        await empty_services.importer.import_path(path)


# --- CSV formats ---------------------------------------------------------------------------------
async def test_letterboxd_reviews_import(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(
        LB_HEADER
        + '2024-03-01,Parasite,2019,https://boxd.it/1,5,,"<b>Wow.</b><br /><br />The ""smell"" line\n'
        "is where it turns.\",,2024-02-29\n"
        + "2024-03-02,Aftersun,2022,https://boxd.it/2,4.5,,A quiet film about a holiday and a father.,,\n"
        + "2024-03-03,Aftersun,2022,https://boxd.it/3,9,,The rating here is not on the scale.,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failed:
        await services.importer.import_path(path)
    assert [(p.line, "'Rating' 9" in p.reason) for p in failed.value.problems] == [(5, True)]

    report = await services.importer.import_path(path, skip_bad=True, author="Kim")
    assert (report.source, report.reviews_added, report.films_added) == ("letterboxd", 2, 1)
    parasite = await stored_film(services, "Parasite", 2019)
    stored = [r for r in await ReviewRepository(services.store.db).for_film(parasite.id) if r.source == "letterboxd"]
    assert len(stored) == 1
    assert stored[0].author == "Kim"
    assert stored[0].text == 'Wow.\n\nThe "smell" line\nis where it turns.'
    assert stored[0].created_at == "2024-03-01T00:00:00Z"
    assert stored[0].sentences
    aftersun = await stored_film(services, "Aftersun", 2022)
    assert aftersun.is_stub  # unknown to us: a stub film with Letterboxd's title and year
    again = await services.importer.import_path(path, skip_bad=True, author="Kim")
    assert (again.reviews_added, again.films_added, again.reviews_existing) == (0, 0, 2)


async def test_letterboxd_watchlist_import(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "watchlist.csv"
    path.write_text(
        "Date,Name,Year,Letterboxd URI\n"
        "2024-05-01,Past Lives,2023,https://boxd.it/a\n"
        "2024-05-02,Parasite,2019,https://boxd.it/b\n"
        "2024-05-03,Past Lives,2023,https://boxd.it/a\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="needs the user"):
        await services.importer.import_path(path)
    before = await counts(services.store.db)
    report = await services.importer.import_path(path, user_id="u1")
    assert (report.films_added, report.watchlist_added, report.watchlist_existing) == (1, 2, 1)
    entries = await WatchlistRepository(services.store.db).list("u1", "")
    assert [(e.title, e.year, e.added_at) for e in entries] == [
        ("Past Lives", 2023, "2024-05-01T00:00:00Z"),
        ("Parasite", 2019, "2024-05-02T00:00:00Z"),
    ]
    assert (await stored_film(services, "Past Lives", 2023)).is_stub
    assert await WatchlistRepository(services.store.db).list("u2", "") == []
    again = await services.importer.import_path(path, user_id="u1")
    assert (again.films_added, again.watchlist_added) == (0, 0)
    after = await counts(services.store.db)
    assert (after["films"], after["watchlist_entries"]) == (before["films"] + 1, 2)


async def test_watchlist_import_respects_the_size_limit(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    path = tmp_path / "watchlist.csv"
    path.write_text(
        "Date,Name,Year,Letterboxd URI\n"
        "2024-05-01,Parasite,2019,u\n"  # line 2: already listed, needs no room
        "2024-05-02,Aftersun,2022,u\n"  # line 3: takes the last free place
        "2024-05-03,Past Lives,2023,u\n"  # line 4: no room
        "2024-05-04,Oldboy,2003,u\n",  # line 5: no room
        encoding="utf-8",
    )
    async with open_services(make_settings(max_watchlist_size=3)) as svc:
        await svc.watchlist.add("u1", "Parasite")
        await svc.watchlist.add("u1", "Se7en")
        before = await counts(svc.store.db)
        with pytest.raises(ImportFailed) as failed:
            await svc.importer.import_path(path, user_id="u1")
        assert [p.line for p in failed.value.problems] == [4, 5]
        assert "can hold 3 films" in failed.value.problems[0].reason
        assert await counts(svc.store.db) == before

        report = await svc.importer.import_path(path, user_id="u1", skip_bad=True)
        assert (report.watchlist_added, report.watchlist_existing, report.films_added) == (1, 1, 1)
        assert [p.line for p in report.skipped] == [4, 5]
        titles = [e.title for e in await WatchlistRepository(svc.store.db).list("u1", "")]
        assert sorted(titles) == ["Aftersun", "Parasite", "Se7en"]
        assert await FilmRepository(svc.store.db).find_by_title_year("Past Lives", 2023) is None  # no stray stub

        # Per-server lists (WATCHLIST_SCOPE=guild): another scope has its own room.
        report = await svc.importer.import_path(path, user_id="u1", scope="g1", skip_bad=True)
        assert report.watchlist_added == 3 and [p.line for p in report.skipped] == [5]
        assert len(await WatchlistRepository(svc.store.db).list("u1", "g1")) == 3
        assert len(await WatchlistRepository(svc.store.db).list("u1", "")) == 3


async def test_watched_csv_is_not_taken_for_a_watchlist(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "watched.csv"
    path.write_text("Date,Name,Year,Letterboxd URI\n2024-05-01,Parasite,2019,u\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"looks like Letterboxd's watched\.csv"):
        await services.importer.import_path(path, user_id="u1", skip_bad=True)


async def test_watchlist_file_without_good_rows_still_needs_a_user(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "watchlist.csv"
    path.write_text("Date,Name,Year,Letterboxd URI\n2024-05-01,,2023,u\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="needs the user"):
        await services.importer.import_path(path, skip_bad=True)


async def test_reviews_csv_import(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "film,year,author,rating,text,contains_spoilers\n"
        'The Prestige,2006,jo,4.5,"Two magicians, one obsession; the final reveal lands.",true\n'
        "Oldboy,,jo,5,The corridor fight is one long unbroken take.,false\n",
        encoding="utf-8",
    )
    report = await services.importer.import_path(path)
    assert (report.source, report.reviews_added) == ("csv", 2)
    prestige = await stored_film(services, "The Prestige", 2006)
    mine = [r for r in await ReviewRepository(services.store.db).for_film(prestige.id) if r.author == "jo"]
    assert len(mine) == 1 and mine[0].author_flagged_spoilers and mine[0].rating == 4.5
    assert mine[0].source == "csv"


async def test_reviews_csv_films_must_be_known(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("film,text\nAftersun,A quiet film about a holiday and a father.\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="line 2: film “Aftersun” is neither in this file nor in the database"):
        await services.importer.import_path(path)


async def test_unknown_csv_header(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Title,Stars,Opinion\nParasite,5,Great\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        await services.importer.import_path(path, skip_bad=True)  # a whole-file problem: no skipping
    (problem,) = failed.value.problems
    assert problem.line == 1
    assert "film,year,author,rating,text,contains_spoilers" in problem.reason
    assert not failed.value.skippable and "--skip-bad" not in str(failed.value)


@pytest.mark.parametrize("name", ["reviews.csv", "films.json"])
async def test_non_utf8_file_is_a_friendly_error(services: Services, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    text = "film,text\nAmélie,Très bien, un film plein de charme et de couleurs.\n"
    if name.endswith(".json"):
        text = json.dumps({"reviews": [review("Amélie", "Très bien, plein de charme.")]}, ensure_ascii=False)
    path.write_bytes(text.encode("cp1252"))
    before = await counts(services.store.db)
    with pytest.raises(InvalidInput, match=rf"{name} is not UTF-8 text"):
        await services.importer.import_path(path)
    assert await counts(services.store.db) == before


async def test_unknown_files(services: Services, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="There is no file"):
        await services.importer.import_path(tmp_path / "missing.json")
    odd = tmp_path / "notes.docx"
    odd.write_bytes(b"PK\x03\x04")
    with pytest.raises(InvalidInput, match="don't know the format"):
        await services.importer.import_path(odd)
    as_txt = tmp_path / "films.txt"  # JSON under another extension is recognised by its first character
    as_txt.write_text(json.dumps({"films": [{"title": "Aftersun", "year": 2022}]}), encoding="utf-8")
    assert (await services.importer.import_path(as_txt)).films_added == 1


# --- sample data ---------------------------------------------------------------------------------
async def test_sample_is_loaded_once(services: Services) -> None:
    before = await counts(services.store.db)
    assert before["films"] == 13 and before["reviews"] > 0
    assert await services.importer.load_sample() is None
    assert await counts(services.store.db) == before


async def test_sample_into_an_empty_database(empty_services: Services) -> None:
    assert (await counts(empty_services.store.db))["films"] == 0
    report = await empty_services.importer.load_sample()
    assert report is not None and report.films_added == 13 and report.source == "sample"
    loaded = await counts(empty_services.store.db)
    assert loaded["review_sentences"] > loaded["reviews"] > 0
    assert await empty_services.importer.load_sample() is None
    assert await counts(empty_services.store.db) == loaded


# --- progress and scale --------------------------------------------------------------------------
async def test_progress_stages_in_order_on_the_loop_thread(services: Services, tmp_path: Path) -> None:
    rng = random.Random(4)
    words = "quiet bold film score acting ending twist light sound camera city night story".split()
    rows = [
        f"2024-01-01,Film {n % 40},{1950 + n % 40},u,4,,"
        + " ".join(rng.choice(words) for _ in range(25)) + ".,,\n"
        for n in range(400)
    ]
    path = tmp_path / "reviews.csv"
    path.write_text(LB_HEADER + "".join(rows), encoding="utf-8")
    calls: list[tuple[str, int, int]] = []
    threads: set[int] = set()

    def progress(stage: str, done: int, total: int) -> None:
        calls.append((stage, done, total))
        threads.add(threading.get_ident())

    report = await services.importer.import_path(path, progress=progress)
    assert (report.reviews_added, report.films_added) == (400, 40)
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["reading", "checking", "scoring", "writing", "done"]
    for stage in stages:
        mine = [(done, total) for s, done, total in calls if s == stage]
        assert mine[-1][0] == mine[-1][1]  # every stage reports its end
        assert [d for d, _ in mine] == sorted(d for d, _ in mine)
    assert calls[-1] == ("done", 440, 440)
    assert threads == {threading.get_ident()}
    assert len(calls) < 40  # throttled, not one call per row


async def test_loop_stays_responsive_while_parsing_and_scoring(services: Services, tmp_path: Path) -> None:
    text = "A long, patient film; the acting is fine and the score swells in the last act. " * 6
    rows = [f'2024-01-01,Film {n % 25},2001,u,4,,"{text} Number {n}.",,\n' for n in range(300)]
    path = tmp_path / "reviews.csv"
    path.write_text(LB_HEADER + "".join(rows), encoding="utf-8")
    stage = "start"
    ticks: dict[str, int] = {}

    def progress(name: str, done: int, total: int) -> None:
        nonlocal stage
        stage = name

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.002)
            ticks[stage] = ticks.get(stage, 0) + 1

    task = asyncio.create_task(ticker())
    try:
        await services.importer.import_path(path, progress=progress)
    finally:
        task.cancel()
    # Scoring 300 reviews takes a while; had it run on the event loop, no tick would land in it.
    assert ticks.get("scoring", 0) >= 3


def test_corpus_counts_give_the_same_context_as_the_vocabulary_list() -> None:
    rng = random.Random(7)
    words = ["".join(rng.choice("abcdefghij") for _ in range(6)) for _ in range(400)]
    vocabs = [set(rng.sample(words, rng.randint(5, 80))) for _ in range(60)]
    film = Film(id=1, title="Some Film", year=2000, characters=("Nora",))
    texts = [" ".join(rng.sample(words, 30)) for _ in range(8)]
    own = vocabs[3]
    expected = build_context(film, texts, [v for v in vocabs if v is not own])
    assert build_context(film, texts, CorpusCounts.of(vocabs).excluding(own)) == expected
    assert expected.specific  # the comparison is not vacuous


async def test_sample_data_loads_whatever_the_review_limit(make_settings) -> None:  # type: ignore[no-untyped-def]
    """MAX_REVIEW_CHARS limits what people submit, not the bundled sample (it once stopped start-up)."""
    from bot.app import open_services

    async with open_services(make_settings(max_review_chars=200)) as services:
        row = await services.store.db.fetchone("SELECT count(*) FROM reviews")
        assert row is not None and row[0] >= 40
