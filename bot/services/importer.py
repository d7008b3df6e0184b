"""Importing files: parse, check every row, then write everything in one transaction.

A file with bad rows changes nothing unless `skip_bad` is set; then the good rows go in and the
bad ones are reported with their line numbers. Re-importing the same file adds nothing twice
(films match on title + year or IMDb id; reviews on film + author + text hash).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from bot.errors import ImportFailed, ImportProblem, InvalidInput
from bot.importers.json_format import parse_json
from bot.importers.records import ParsedFile, ReviewRow
from bot.services.films import FilmService
from bot.services.reviews import ReviewService
from bot.spoilers.detector import ScoredSentence, build_context, tokens
from storage.db import Database
from storage.films import FilmRepository
from storage.meta import MetaRepository
from storage.normalize import normalize_title
from storage.records import Film, FilmInput, ReviewInput
from storage.reviews import ReviewRepository
from storage.watchlists import add_in_transaction

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (stage, done, total)
SAMPLE_META_KEY = "sample_data_loaded"
MAX_FILE_BYTES = 2 * 1024**3


@dataclass(slots=True)
class ImportReport:
    source: str
    films_added: int = 0
    films_existing: int = 0
    reviews_added: int = 0
    reviews_existing: int = 0
    watchlist_added: int = 0
    skipped: list[ImportProblem] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "films_added": self.films_added,
            "films_existing": self.films_existing,
            "reviews_added": self.reviews_added,
            "reviews_existing": self.reviews_existing,
            "watchlist_added": self.watchlist_added,
            "skipped": [{"line": p.line, "reason": p.reason} for p in self.skipped],
        }

    def describe(self) -> str:
        parts = [
            f"{self.films_added} film(s) added ({self.films_existing} already known)",
            f"{self.reviews_added} review(s) added ({self.reviews_existing} already stored)",
        ]
        if self.watchlist_added:
            parts.append(f"{self.watchlist_added} watchlist entr{'y' if self.watchlist_added == 1 else 'ies'} added")
        text = "Imported: " + "; ".join(parts) + "."
        if self.skipped:
            text += f"\nSkipped {len(self.skipped)} bad row(s):\n" + "\n".join(f"  - {p}" for p in self.skipped[:50])
        return text


def sample_files() -> list[tuple[str, str]]:
    """(name, text) of the bundled sample data files."""
    folder = resources.files("bot") / "data" / "sample"
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.startswith("films_") and entry.name.endswith(".json")
    )


class ImportService:
    def __init__(
        self,
        db: Database,
        films: FilmService,
        reviews: ReviewService,
        *,
        max_review_chars: int,
    ) -> None:
        self._db = db
        self._films = films
        self._reviews = reviews
        self._film_repo = FilmRepository(db)
        self._max_review_chars = max_review_chars

    # --- entry points ----------------------------------------------------------------------------
    async def import_path(
        self, path: Path, *, skip_bad: bool = False, user_id: str | None = None, progress: Progress | None = None
    ) -> ImportReport:
        if not path.is_file():
            raise InvalidInput(f"There is no file at {path}.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInput(f"{path.name} is larger than 2 GiB; split it first.")
        parsed = await asyncio.to_thread(self.parse_path, path, user_id)
        return await self.apply(parsed, skip_bad=skip_bad, user_id=user_id, progress=progress, name=path.name)

    def parse_path(self, path: Path, user_id: str | None) -> ParsedFile:
        """Pick the parser from the file's name and first line."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidInput(f"{path.name} is not UTF-8 text (byte {error.start}).") from None
        if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
            return parse_json(text, max_review_chars=self._max_review_chars)
        if path.suffix.lower() in {".csv", ".tsv", ".txt"}:
            from bot.importers.csv_formats import parse_csv

            return parse_csv(text, name=path.name, max_review_chars=self._max_review_chars)
        raise InvalidInput(
            f"I don't know the format of {path.name}: use the JSON format, a reviews CSV, or a Letterboxd "
            "reviews.csv / watchlist.csv (see README, “Data formats”)."
        )

    async def load_sample(self, *, progress: Progress | None = None) -> ImportReport | None:
        """Load the bundled sample films and reviews once per database; None when already loaded."""
        if await MetaRepository(self._db).get(SAMPLE_META_KEY):
            return None
        merged = ParsedFile(source="sample")
        for name, text in sample_files():
            parsed = parse_json(text, source="sample", max_review_chars=self._max_review_chars)
            if parsed.problems:
                raise RuntimeError(f"bundled sample file {name} is invalid: {parsed.problems[:3]}")
            merged.films.extend(parsed.films)
            merged.reviews.extend(parsed.reviews)
        return await self.apply(merged, skip_bad=False, progress=progress, name="sample data", mark_sample=True)

    # --- the one transaction ---------------------------------------------------------------------
    async def apply(
        self,
        parsed: ParsedFile,
        *,
        skip_bad: bool,
        user_id: str | None = None,
        progress: Progress | None = None,
        name: str = "the file",
        mark_sample: bool = False,
    ) -> ImportReport:
        if parsed.watchlist and not user_id:
            raise InvalidInput("A watchlist import needs the user it belongs to: pass --user ID.")
        problems = list(parsed.problems)
        if problems and not skip_bad:
            raise ImportFailed(name, sorted(problems, key=lambda p: p.line))
        report = ImportReport(source=parsed.source)

        file_films = self._file_film_index(parsed.films)
        resolved: list[tuple[ReviewRow, FilmInput | Film]] = []
        for row in parsed.reviews:
            target = await self._target(row.film_title, row.film_year, file_films)
            if isinstance(target, str):
                problems.append(ImportProblem(row.line, target))
            else:
                resolved.append((row, target))
        if problems and not skip_bad:
            raise ImportFailed(name, sorted(problems, key=lambda p: p.line))
        report.skipped = sorted(problems, key=lambda p: p.line)

        scored = await self._score(resolved, parsed.source, progress)
        total = len(parsed.films) + len(scored) + len(parsed.watchlist)
        done = 0
        async with self._db.transaction() as tx:
            ids: dict[int, int] = {}  # id(FilmInput) -> stored film id
            for _, film in parsed.films:
                existing = await self._film_repo.find_in(tx, film.title, film.year)
                if existing is None and film.imdb_id:
                    row = await tx.fetchone("SELECT id FROM films WHERE imdb_id = ?", (film.imdb_id,))
                    existing = int(row[0]) if row else None
                if existing is not None:
                    ids[id(film)] = existing
                    report.films_existing += 1
                else:
                    ids[id(film)] = await self._film_repo.add_in(tx, film)
                    report.films_added += 1
                done += 1
                if progress and done % 500 == 0:
                    progress("writing", done, total)
            for row, target, make_input in scored:
                film_id = target.id if isinstance(target, Film) else ids[id(target)]
                _, created = await ReviewRepository.add_in(tx, make_input(film_id))
                report.reviews_added += created
                report.reviews_existing += not created
                done += 1
                if progress and done % 500 == 0:
                    progress("writing", done, total)
            if parsed.watchlist and user_id:
                for wrow in parsed.watchlist:
                    film_id = await self._film_repo.find_in(tx, wrow.film_title, wrow.film_year)
                    if film_id is None:
                        film_id = await self._film_repo.add_in(
                            tx, FilmInput(title=wrow.film_title, year=wrow.film_year, is_stub=True)
                        )
                        report.films_added += 1
                    report.watchlist_added += await add_in_transaction(tx, user_id, "", film_id, wrow.added_at)
                    done += 1
            if mark_sample:
                await MetaRepository.set_in(tx, SAMPLE_META_KEY, "1")
        if progress:
            progress("done", total, total)
        self._films.invalidate()
        self._reviews.forget_corpus()
        return report

    @staticmethod
    def _file_film_index(films: Sequence[tuple[int, FilmInput]]) -> dict[str, list[FilmInput]]:
        index: dict[str, list[FilmInput]] = defaultdict(list)
        for _, film in films:
            for name in (film.title, film.original_title, *film.aliases):
                if name:
                    index[normalize_title(name)].append(film)
        return index

    async def _target(
        self, title: str, year: int | None, file_films: dict[str, list[FilmInput]]
    ) -> FilmInput | Film | str:
        """The film a review row names (in the file first, then stored), or the reason it can't be found."""
        norm = normalize_title(title)
        in_file = [f for f in dict.fromkeys(file_films.get(norm, [])) if year is None or f.year == year]
        if len(in_file) == 1:
            return in_file[0]
        if len(in_file) > 1:
            return f"film “{title}” matches {len(in_file)} films in the file; add its year"
        hits = {h.film_id: h for h in await self._film_repo.find_exact(norm) if year is None or h.year == year}
        if len(hits) == 1:
            film = await self._film_repo.get(next(iter(hits)))
            if film is not None:
                return film
        if len(hits) > 1:
            years = ", ".join(str(h.year) for h in hits.values())
            return f"film “{title}” matches stored films from {years}; add its year"
        label = f"{title} ({year})" if year else title
        return f"film “{label}” is neither in this file nor in the database"

    async def _score(
        self, resolved: Sequence[tuple[ReviewRow, FilmInput | Film]], source: str, progress: Progress | None
    ) -> list[tuple[ReviewRow, FilmInput | Film, Callable[[int], ReviewInput]]]:
        """Spoiler-score every review with its film's context, off the event loop."""
        by_film: dict[int, list[tuple[ReviewRow, FilmInput | Film]]] = defaultdict(list)
        for row, target in resolved:
            by_film[id(target)].append((row, target))
        corpus = dict(await self._reviews.corpus_vocab())
        file_vocab = {key: set().union(*(tokens(r.text) for r, _ in rows)) for key, rows in by_film.items()}

        existing_texts: dict[int, list[str]] = {}
        for key, rows in by_film.items():
            target = rows[0][1]
            existing_texts[key] = (
                [r.text for r in await self._reviews.for_film(target)] if isinstance(target, Film) else []
            )

        def work() -> list[tuple[ReviewRow, FilmInput | Film, Callable[[int], ReviewInput]]]:
            out: list[tuple[ReviewRow, FilmInput | Film, Callable[[int], ReviewInput]]] = []
            done = 0
            for key, rows in by_film.items():
                target = rows[0][1]
                film = target if isinstance(target, Film) else _as_film(target)
                others = [v for k, v in file_vocab.items() if k != key]
                others += [v for fid, v in corpus.items() if not isinstance(target, Film) or fid != target.id]
                context = build_context(film, [*existing_texts[key], *(r.text for r, _ in rows)], others)
                for row, _ in rows:
                    scored = self._reviews.detector.score_review(
                        row.text, author_flagged=row.contains_spoilers, context=context
                    )
                    out.append((row, target, _input_factory(row, scored, source)))
                    done += 1
                    if progress and done % 1000 == 0:
                        progress("scoring", done, len(resolved))
            return out

        return await asyncio.to_thread(work)


def _as_film(film: FilmInput) -> Film:
    return Film(
        id=0, title=film.title, year=film.year, original_title=film.original_title, aliases=film.aliases,
        directors=film.directors, cast=film.cast, characters=film.characters,
    )


def _input_factory(row: ReviewRow, scored: Sequence[ScoredSentence], source: str) -> Callable[[int], ReviewInput]:
    """The review's storage record, once its film's id is known inside the transaction."""

    def make(film_id: int) -> ReviewInput:
        return ReviewService.build_input(
            film_id, row.text, row.author, row.rating, row.contains_spoilers, source, scored,
            created_at=row.created_at,
        )

    return make
