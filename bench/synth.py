"""Seeded synthetic data for benchmarks: IMDb-format TSV.gz catalogues and review texts.

Everything comes from a seeded random generator and small word lists, so a run is reproducible
and nothing is downloaded. Files follow the IMDb non-commercial datasets' documented columns
(tab-separated, gzip, `\\N` for null).
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path

ADJECTIVES = (
    "Silent Broken Hidden Last Golden Crimson Distant Burning Frozen Wild Secret Lonely Electric Quiet Dark "
    "Bright Endless Forgotten Hollow Iron Midnight Northern Paper Rising Scarlet Shattered Silver Southern "
    "Strange Sweet Velvet Wandering Winter Young Savage Gentle Bitter Lucky Restless Falling"
).split()
NOUNS = (
    "Harbor Garden River Mountain City Road House Sea Night Dream Station Forest Empire Mirror Letter Song "
    "Winter Summer Island Heart Shadow Bridge Tower Window Desert Valley Kingdom Circus Engine Orchard Lantern "
    "Signal Horizon Comrades Parade Archive Echo Voyage Machine Witness Stranger Daughter Brother Soldier"
).split()
PATTERNS = ("The {a} {n}", "{a} {n}", "{n} of the {a} {n2}", "The {n} and the {n2}", "{a} {n} {roman}", "{n}")
ROMAN = ("II", "III", "IV", "Returns", "Rising", "Reborn")
GENRES = ("Drama", "Comedy", "Thriller", "Horror", "Romance", "Sci-Fi", "Crime", "Mystery", "Adventure", "Action")
FIRST = "Anna Boris Chloe Dmitri Elena Farid Grace Hiro Ines Jonas Kira Luca Maya Nico Olga Pablo Rosa Sami".split()
LAST = "Adler Brandt Costa Dubois Eriksen Fischer Garcia Haas Ivanova Jensen Kato Lopez Moreau Novak Okafor".split()
OPINIONS = (
    "The acting is {adj}, especially in the quieter scenes.",
    "The cinematography is {adj} and every frame feels considered.",
    "The score is {adj} and never tells you what to feel.",
    "The pacing is {adj}; the middle hour could lose ten minutes.",
    "The direction is {adj} and confident from the first shot.",
    "Overall I would recommend it to anyone who likes {genre} films.",
    "The script is {adj}, with dialogue that sounds like real people.",
)
SPOILERS = (
    "In the end {name} dies in the fire at the {noun}.",
    "It turns out {name} was behind the {noun} all along.",
    "The final scene reveals that {name} never left the {noun}.",
)
ADJ_OPINION = "superb wonderful uneven clumsy haunting gorgeous flat brilliant tedious moving precise".split()


def tconst(i: int) -> str:
    """Synthetic ids live in a range IMDb has not used (tt9xxxxxxx), so they never collide with a
    real film's id (the sample data's films carry real ones, and imports match on the id)."""
    return f"tt{900_000_000 + i}"


def nconst(i: int) -> str:
    return f"nm{900_000_000 + i}"


def title(rng: random.Random) -> str:
    pattern = rng.choice(PATTERNS)
    return pattern.format(
        a=rng.choice(ADJECTIVES), n=rng.choice(NOUNS), n2=rng.choice(NOUNS), roman=rng.choice(ROMAN)
    )


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def review_text(rng: random.Random, *, spoiler: bool) -> str:
    sentences = [
        rng.choice(OPINIONS).format(adj=rng.choice(ADJ_OPINION), genre=rng.choice(GENRES).lower())
        for _ in range(rng.randint(3, 7))
    ]
    if spoiler:
        sentences.insert(
            rng.randint(1, len(sentences)),
            rng.choice(SPOILERS).format(name=rng.choice(FIRST), noun=rng.choice(NOUNS).lower()),
        )
    return " ".join(sentences)


def _write_tsv(path: Path, header: list[str], rows: Iterator[list[str]]) -> int:
    count = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1, newline="\n") as out:
        out.write("\t".join(header) + "\n")
        for row in rows:
            out.write("\t".join(row) + "\n")
            count += 1
    return count


def write_imdb(folder: Path, n_titles: int, *, seed: int = 7, people: int | None = None) -> dict[str, int]:
    """Write the five IMDb files for `n_titles` titles (85% movies); returns row counts per file."""
    folder.mkdir(parents=True, exist_ok=True)
    n_people = people or max(50, n_titles // 2)
    types = ("movie",) * 17 + ("short", "tvSeries", "tvEpisode")

    def basics() -> Iterator[list[str]]:
        rng = random.Random(seed)
        for i in range(1, n_titles + 1):
            name = title(rng)
            original = name if rng.random() > 0.05 else name.upper()
            runtime = str(rng.randint(70, 180)) if rng.random() > 0.05 else "\\N"
            year = str(rng.randint(1920, 2025)) if rng.random() > 0.01 else "\\N"
            genres = ",".join(sorted(rng.sample(GENRES, rng.randint(1, 3))))
            yield [tconst(i), rng.choice(types), name, original, "0", year, "\\N", runtime, genres]

    def ratings() -> Iterator[list[str]]:
        rng = random.Random(seed + 1)
        for i in range(1, n_titles + 1):
            if rng.random() < 0.8:
                yield [tconst(i), f"{rng.uniform(1, 10):.1f}", str(rng.randint(5, 500_000))]

    def crew() -> Iterator[list[str]]:
        rng = random.Random(seed + 2)
        for i in range(1, n_titles + 1):
            directors = ",".join(nconst(rng.randint(1, n_people)) for _ in range(rng.randint(1, 2)))
            yield [tconst(i), directors, "\\N"]

    def principals() -> Iterator[list[str]]:
        rng = random.Random(seed + 3)
        for i in range(1, n_titles + 1):
            for order in range(1, rng.randint(2, 5)):
                character = json.dumps([person(rng).split()[0] + " " + rng.choice(LAST)])
                yield [tconst(i), str(order), nconst(rng.randint(1, n_people)), "actor", "\\N", character]

    def names() -> Iterator[list[str]]:
        rng = random.Random(seed + 4)
        for i in range(1, n_people + 1):
            yield [nconst(i), person(rng), str(rng.randint(1920, 2000)), "\\N", "actor,director", "\\N"]

    return {
        "title.basics.tsv.gz": _write_tsv(
            folder / "title.basics.tsv.gz",
            ["tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear",
             "runtimeMinutes", "genres"],
            basics(),
        ),
        "title.ratings.tsv.gz": _write_tsv(
            folder / "title.ratings.tsv.gz", ["tconst", "averageRating", "numVotes"], ratings()
        ),
        "title.crew.tsv.gz": _write_tsv(folder / "title.crew.tsv.gz", ["tconst", "directors", "writers"], crew()),
        "title.principals.tsv.gz": _write_tsv(
            folder / "title.principals.tsv.gz",
            ["tconst", "ordering", "nconst", "category", "job", "characters"],
            principals(),
        ),
        "name.basics.tsv.gz": _write_tsv(
            folder / "name.basics.tsv.gz",
            ["nconst", "primaryName", "birthYear", "deathYear", "primaryProfession", "knownForTitles"],
            names(),
        ),
    }
