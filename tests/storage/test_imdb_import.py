"""The IMDb datasets import on both backends (PostgreSQL: COPY into staging tables): the same
films, names and look-ups; re-runs update in place; a failed import leaves nothing behind."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from bot.importers.imdb import import_imdb
from storage.ports import CatalogueLoader, Store
from storage.records import FilmInput

HEADERS = {
    "title.basics": "\t".join(
        ("tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear", "runtimeMinutes",
         "genres")
    ),
    "title.ratings": "tconst\taverageRating\tnumVotes",
    "title.crew": "tconst\tdirectors\twriters",
    "title.principals": "tconst\tordering\tnconst\tcategory\tjob\tcharacters",
    "name.basics": "nconst\tprimaryName\tbirthYear",
}
BASICS = [
    "tt0000001\tmovie\tThe Prestige\tThe Prestige\t0\t2006\t\\N\t130\tDrama,Mystery",
    "tt0000002\tmovie\tAmélie\tLe Fabuleux Destin d'Amélie Poulain\t0\t2001\t\\N\t122\tComedy,Romance",
    "tt0000003\ttvSeries\tA Series\tA Series\t0\t2010\t\\N\t50\tDrama",  # not a movie: skipped
    "tt0000004\tmovie\tPsycho\tPsycho\t0\t1960\t\\N\t109\tHorror",
    "tt0000005\tmovie\tPsycho\tPsycho\t0\t1998\t\\N\t105\t\\N",
]
RATINGS = ["tt0000001\t8.5\t1400000", "tt0000002\t8.3\t780000", "tt0000004\t8.5\t700000"]
CREW = ["tt0000001\tnm0000010\t\\N", "tt0000002\tnm0000020\t\\N", "tt0000004\tnm0000040,nm0000041\t\\N"]
PRINCIPALS = [
    "tt0000001\t2\tnm0000012\tactor\t\\N\t[\"Robert Angier\"]",
    "tt0000001\t1\tnm0000011\tactor\t\\N\t[\"Alfred Borden\",\"Fallon\"]",
    "tt0000001\t3\tnm0000010\tdirector\t\\N\t\\N",  # not cast
    "tt0000002\t1\tnm0000021\tactress\t\\N\tnot json",
    "tt0000004\t1\tnm0000042\tactor\t\\N\t[\"Norman Bates\"]",
]
NAMES = [
    "nm0000010\tChristopher Nolan\t1970", "nm0000011\tChristian Bale\t1974", "nm0000012\tHugh Jackman\t1968",
    "nm0000020\tJean-Pierre Jeunet\t1953", "nm0000021\tAudrey Tautou\t1976", "nm0000040\tAlfred Hitchcock\t1899",
    "nm0000041\tSomeone Else\t1900", "nm0000042\tAnthony Perkins\t1932",
]


def write(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        with gzip.open(folder / f"{name}.tsv.gz", "wt", encoding="utf-8") as out:
            out.write("\n".join([HEADERS[name], *lines]) + "\n")
    return folder


def dataset(folder: Path, basics: list[str] = BASICS) -> Path:
    return write(folder, {"title.basics": basics, "title.ratings": RATINGS, "title.crew": CREW,
                          "title.principals": PRINCIPALS, "name.basics": NAMES})


async def run_import(store: Store, folder: Path) -> dict[str, int]:
    report = await store.load_catalogue(lambda loader: import_imdb(loader, folder))
    return {"titles": report.titles, "added": report.added, "updated": report.updated}


async def test_import_fills_films_names_and_lists(store: Store, tmp_path: Path) -> None:
    assert await run_import(store, dataset(tmp_path / "v1")) == {"titles": 4, "added": 4, "updated": 0}
    assert await store.films.count() == 4
    [prestige] = await store.films.find_exact("prestige")  # the article-free name too
    film = await store.films.get(prestige.film_id)
    assert film is not None
    assert (film.title, film.year, film.runtime_minutes, film.imdb_id) == ("The Prestige", 2006, 130, "tt0000001")
    assert film.original_title is None  # the same as the title
    assert film.genres == ("Drama", "Mystery") and film.directors == ("Christopher Nolan",)
    assert film.cast == ("Christian Bale", "Hugh Jackman")  # by IMDb's ordering, cast only
    assert film.characters == ("Alfred Borden", "Fallon", "Robert Angier")
    [amelie] = await store.films.find_exact("le fabuleux destin damelie poulain")
    amelie_film = await store.films.get(amelie.film_id)
    assert amelie_film is not None and amelie_film.title == "Amélie"
    assert amelie_film.original_title == "Le Fabuleux Destin d'Amélie Poulain"
    assert amelie_film.characters == () and amelie_film.cast == ("Audrey Tautou",)  # unreadable characters: none
    psychos = await store.films.find_exact("psycho")
    assert [h.year for h in psychos] == [1960, 1998]
    old = await store.films.get(psychos[0].film_id)
    assert old is not None and old.directors == ("Alfred Hitchcock", "Someone Else")
    assert (await store.films.get(psychos[1].film_id)).genres == ()  # type: ignore[union-attr]
    # The word index and the vocabulary know the imported names.
    assert "fabuleux" in await store.films.vocabulary()
    assert [h.title for h in await store.films.popular(2)] == ["The Prestige", "Amélie"]  # by IMDb votes


async def test_a_second_import_updates_in_place(store: Store, tmp_path: Path) -> None:
    await run_import(store, dataset(tmp_path / "v1"))
    [before] = await store.films.find_exact("prestige")
    renamed = [BASICS[0].replace("\tThe Prestige\tThe Prestige\t", "\tPrestige Redux\tPrestige Redux\t"),
               *BASICS[1:], BASICS[3]]  # a retitled film, and a row given twice
    assert await run_import(store, dataset(tmp_path / "v2", renamed)) == {"titles": 4, "added": 0, "updated": 4}
    assert await store.films.count() == 4
    assert await store.films.find_exact("the prestige") == []  # the old name is gone
    [after] = await store.films.find_exact("prestige redux")
    assert after.film_id == before.film_id


async def test_an_import_completes_a_stub_by_imdb_id_and_keeps_other_films(store: Store, tmp_path: Path) -> None:
    kept = await store.films.add(FilmInput(title="Not On IMDb", year=2020))
    await run_import(store, dataset(tmp_path / "v1"))
    assert await store.films.get(kept.id) == kept
    assert await store.films.count() == 5


async def test_a_failed_import_leaves_nothing(store: Store, tmp_path: Path) -> None:
    folder = dataset(tmp_path / "v1")

    def fail_half_way(loader: CatalogueLoader) -> None:
        loader.stage_basics([("tt0000009", "movie", "Half Way", None, 2000, 90, "[]")])
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        await store.load_catalogue(fail_half_way)
    assert await store.films.count() == 0
    assert await run_import(store, folder) == {"titles": 4, "added": 4, "updated": 0}  # nothing left half-staged
