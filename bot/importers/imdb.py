"""Reading the IMDb non-commercial datasets (https://developer.imdb.com/non-commercial-datasets/).

Files: title.basics, title.ratings, title.crew, title.principals, name.basics (`.tsv.gz` or `.tsv`),
tab-separated with a header line and `\\N` for null. IMDb's TSV is not quoted (a title may contain
a quote character), so lines are split on tabs rather than read with the csv module.

Memory stays bounded: rows stream from the files into SQLite staging tables; only the ids of the
kept titles and of the people they name are held in memory, as integers.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.errors import InvalidInput
from storage.ports import CatalogueLoader

log = logging.getLogger(__name__)
FILES = ("title.basics", "title.ratings", "title.crew", "title.principals", "name.basics")
REQUIRED = ("title.basics",)
CAST_CATEGORIES = frozenset({"actor", "actress", "self"})
MAX_CAST = 8
Progress = Callable[[str, int, int], None]  # (stage, rows done, rows expected)


@dataclass(slots=True)
class ImdbReport:
    titles: int = 0
    added: int = 0
    updated: int = 0
    skipped_rows: int = 0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"IMDb import: {self.titles:,} titles ({self.added:,} new, {self.updated:,} updated) from "
            f"{', '.join(self.files)} in {self.seconds:.1f}s"
            + (f"; {self.skipped_rows:,} malformed rows skipped" if self.skipped_rows else "")
            + "."
        )


def is_imdb_path(path: Path) -> bool:
    if path.is_dir():
        return any((path / f"title.basics.tsv{ext}").exists() for ext in (".gz", ""))
    return path.name.startswith(FILES)


def locate(path: Path) -> dict[str, Path]:
    """The dataset files in `path` (a folder, or one of the files: its siblings are used)."""
    folder = path if path.is_dir() else path.parent
    found: dict[str, Path] = {}
    for name in FILES:
        for ext in (".tsv.gz", ".tsv"):
            candidate = folder / f"{name}{ext}"
            if candidate.exists():
                found[name] = candidate
                break
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise InvalidInput(f"No {missing[0]}.tsv.gz in {folder}: the IMDb import needs at least that file.")
    return found


def _tconst(value: str) -> int | None:
    return int(value[2:]) if value.startswith("tt") and value[2:].isdigit() else None


def _nconst(value: str) -> int | None:
    return int(value[2:]) if value.startswith("nm") and value[2:].isdigit() else None


def _null(value: str) -> str | None:
    return None if value == "\\N" or value == "" else value


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


class _Reader:
    """Lines of one dataset file, with a header check and byte-based progress."""

    def __init__(self, path: Path, stage: str, progress: Progress | None) -> None:
        self.path = path
        self.stage = stage
        self.progress = progress
        self.total_bytes = max(path.stat().st_size, 1)
        self.malformed = 0

    def rows(self, expected_header: tuple[str, ...]) -> Iterator[list[str]]:
        with self.path.open("rb") as raw:
            stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if self.path.suffix == ".gz" else raw  # type: ignore[assignment]
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="\n")
            header = tuple(text.readline().rstrip("\n").split("\t"))
            if header[: len(expected_header)] != expected_header:
                raise InvalidInput(
                    f"{self.path.name} does not have the IMDb columns {', '.join(expected_header)} "
                    f"(found {', '.join(header[:6])})."
                )
            width = len(expected_header)
            done = 0
            for line in text:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < width:
                    self.malformed += 1
                    continue
                yield parts
                done += 1
                if self.progress and done % 50_000 == 0:
                    share = raw.tell() / self.total_bytes
                    self.progress(self.stage, done, int(done / share) if share else done)
            if self.progress:
                self.progress(self.stage, done, done)


def import_imdb(
    loader: CatalogueLoader,
    path: Path,
    *,
    title_types: frozenset[str] = frozenset({"movie"}),
    include_adult: bool = False,
    progress: Progress | None = None,
) -> ImdbReport:
    """Read the dataset files at `path` into `loader` (see `Store.load_catalogue`, which runs this in
    a worker thread, in one transaction). Safe to re-run: films are updated in place."""
    started = time.monotonic()
    files = locate(path)
    report = ImdbReport(files=[p.name for p in files.values()])
    readers: list[_Reader] = []

    def reader(name: str) -> _Reader:
        r = _Reader(files[name], name, progress)
        readers.append(r)
        return r

    kept: set[int] = set()
    people: set[int] = set()

    def basics() -> Iterator[tuple[object, ...]]:
        header = ("tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear",
                  "runtimeMinutes", "genres")
        for p in reader("title.basics").rows(header):
            tid = _tconst(p[0])
            if tid is None or p[1] not in title_types or (p[4] == "1" and not include_adult) or not p[2].strip():
                continue
            kept.add(tid)
            genres = [g for g in p[8].split(",") if g and g != "\\N"]
            yield (p[0], p[1], p[2].strip()[:500], _null(p[3]), _int(p[5]), _int(p[7]),
                   json.dumps(genres))

    loader.stage_basics(basics())
    if "title.ratings" in files:
        loader.stage_ratings(
            (p[0], float(p[1]) if p[1] != "\\N" else None, _int(p[2]))
            for p in reader("title.ratings").rows(("tconst", "averageRating", "numVotes"))
            if _tconst(p[0]) in kept
        )
    if "title.crew" in files:

        def crew() -> Iterator[tuple[object, ...]]:
            for p in reader("title.crew").rows(("tconst", "directors", "writers")):
                if _tconst(p[0]) not in kept or p[1] == "\\N":
                    continue
                directors = [d for d in p[1].split(",") if _nconst(d) is not None]
                people.update(n for d in directors if (n := _nconst(d)) is not None)
                yield (p[0], json.dumps(directors))

        loader.stage_crew(crew())
    if "title.principals" in files:

        def principals() -> Iterator[tuple[object, ...]]:
            header = ("tconst", "ordering", "nconst", "category", "job", "characters")
            for p in reader("title.principals").rows(header):
                if p[3] not in CAST_CATEGORIES or _tconst(p[0]) not in kept:
                    continue
                order = _int(p[1]) or 99
                if order > MAX_CAST + 2:
                    continue
                person = _nconst(p[2])
                if person is not None:
                    people.add(person)
                yield (p[0], order, p[2], p[5] if p[5] != "\\N" else None)

        loader.stage_principals(principals())
    if "name.basics" in files:
        loader.stage_names(
            (p[0], p[1])
            for p in reader("name.basics").rows(("nconst", "primaryName"))
            if _nconst(p[0]) in people and p[1] != "\\N"
        )
    counts = loader.finish(lambda stage: progress(stage, 0, 0) if progress else None)
    report.titles, report.added, report.updated = counts["titles"], counts["added"], counts["updated"]
    report.skipped_rows = sum(r.malformed for r in readers)
    report.seconds = time.monotonic() - started
    log.info(report.describe())
    return report
