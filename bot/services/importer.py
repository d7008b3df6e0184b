"""Importing files: parse, check every row, then write everything in one transaction.

A file with bad rows changes nothing unless `skip_bad` is set; then the good rows go in and the
bad ones are reported with their line numbers. Re-importing the same file adds nothing twice
(films match on title + year or IMDb id; reviews on film + author + text hash; watchlist entries
on user + film).

The stages, each reported through the optional `progress(stage, done, total)` callback (throttled,
always called on the event loop):
  reading   bytes of the file read and parsed (in a worker thread)
  checking  review and watchlist rows matched to a film in the file or the database
  scoring   reviews split into sentences and spoiler-scored (in a worker thread)
  writing   films, reviews and watchlist entries written (one transaction)
  done      finished (done == total)
Only the writing stage holds the database's write lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from bot.errors import ImportFailed, ImportProblem, InvalidInput
from bot.importers.csv_formats import parse_csv
from bot.importers.files import not_utf8, open_lines, read_text, starts_like_json
from bot.importers.json_format import parse_json
from bot.importers.progress import Progress, Throttle
from bot.importers.records import ParsedFile, ReviewRow, WatchlistRow
from bot.services.films import FilmService
from bot.services.meta_keys import SAMPLE_META_KEY
from bot.services.reviews import CORPUS_SAMPLE, ReviewService
from bot.spoilers.detector import CorpusCounts, build_context, tokens
from storage.normalize import normalize_title, title_variants
from storage.ports import FilmStore, ImportUnit, Store
from storage.records import Film, FilmInput, ReviewInput, Sentence, TitleHit, content_hash

__all__ = ["ImportReport", "ImportService", "Progress", "sample_files"]

log = logging.getLogger(__name__)
# Measured: a 26 MB reviews CSV (50,000 reviews) peaks at about 250 MB of memory and takes 80-95 s
# (spoiler scoring ~1 ms and writing 0.4-0.8 ms per review); importing it again takes ~9 s. Every good
# row is held until the one transaction, so files are capped; a split file imports safely part by
# part (re-imports add nothing).
MAX_CSV_BYTES = 256 * 1024**2  # streamed line by line
MAX_JSON_BYTES = 128 * 1024**2  # parsed in one piece by the json module, which needs more memory
YIELD_EVERY = 500  # rows handled on the event loop between chances for other tasks to run


@dataclass(slots=True)
class ImportReport:
    source: str
    films_added: int = 0
    films_existing: int = 0
    reviews_added: int = 0
    reviews_existing: int = 0
    watchlist_added: int = 0
    watchlist_existing: int = 0
    skipped: list[ImportProblem] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "films_added": self.films_added,
            "films_existing": self.films_existing,
            "reviews_added": self.reviews_added,
            "reviews_existing": self.reviews_existing,
            "watchlist_added": self.watchlist_added,
            "watchlist_existing": self.watchlist_existing,
            "skipped": [{"line": p.line, "reason": p.reason} for p in self.skipped],
        }

    def describe(self) -> str:
        parts = [
            f"{self.films_added} film(s) added ({self.films_existing} already known)",
            f"{self.reviews_added} review(s) added ({self.reviews_existing} already stored)",
        ]
        if self.watchlist_added or self.watchlist_existing:
            parts.append(
                f"{self.watchlist_added} watchlist entr{'y' if self.watchlist_added == 1 else 'ies'} added "
                f"({self.watchlist_existing} already listed)"
            )
        text = "Imported: " + "; ".join(parts) + "."
        if self.skipped:
            text += f"\nSkipped {len(self.skipped)} bad row(s):\n" + "\n".join(f"  - {p}" for p in self.skipped[:50])
            if len(self.skipped) > 50:
                text += f"\n  … and {len(self.skipped) - 50} more"
        return text


def sample_files() -> list[tuple[str, str]]:
    """(name, text) of the bundled sample data files."""
    folder = resources.files("bot") / "data" / "sample"
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.startswith("films_") and entry.name.endswith(".json")
    )


@dataclass(eq=False, slots=True)
class _NewFilm:
    """A film the import brings (from the file, or a stub for a Letterboxd title we don't know).

    Compared by identity: two rows naming it must land on the same stored id.
    """

    line: int
    film: FilmInput
    stored_id: int | None = None  # known inside the transaction

    @property
    def label(self) -> str:
        return f"{self.film.title} ({self.film.year})" if self.film.year else self.film.title


_Target = Film | _NewFilm


@dataclass(slots=True)
class _Plan:
    new_films: list[_NewFilm] = field(default_factory=list)
    reviews: list[tuple[ReviewRow, _Target]] = field(default_factory=list)
    watchlist: list[tuple[WatchlistRow, _Target]] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Scored:
    row: ReviewRow
    target: _Target
    sentences: tuple[Sentence, ...]


class ImportService:
    def __init__(
        self,
        store: Store,
        films: FilmService,
        reviews: ReviewService,
        *,
        max_review_chars: int,
        max_watchlist_size: int | None = None,
    ) -> None:
        self._store = store
        self._films = films
        self._reviews = reviews
        self._film_repo = store.films
        self._review_repo = store.reviews
        self._max_review_chars = max_review_chars
        self._max_watchlist_size = max_watchlist_size  # None: no limit

    # --- entry points ----------------------------------------------------------------------------
    async def import_path(
        self,
        path: Path,
        *,
        skip_bad: bool = False,
        user_id: str | None = None,
        scope: str = "",
        author: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import one file. `user_id` owns an imported watchlist, in `scope` ('' = the global list,
        see WatchlistService.scope); `author` names the writer of a Letterboxd export's reviews
        (default "letterboxd user")."""
        throttle = Throttle.on_running_loop(progress)
        parsed = await asyncio.to_thread(self.parse_path, path, author=author, throttle=throttle)
        return await self.apply(
            parsed, skip_bad=skip_bad, user_id=user_id, scope=scope, progress=progress, name=path.name
        )

    def parse_path(self, path: Path, *, author: str | None = None, throttle: Throttle | None = None) -> ParsedFile:
        """Pick the parser from the file's name (or its first character) and parse it.

        Blocking: run it in a worker thread. A CSV is streamed; JSON is read whole.
        """
        if not path.is_file():
            raise InvalidInput(f"There is no file at {path}.")
        size = path.stat().st_size
        suffix = path.suffix.lower()
        reading = throttle or Throttle(None)

        def on_bytes(done: int) -> None:
            reading.update("reading", min(done, size), size)

        on_bytes(0)
        if suffix == ".json" or (suffix not in {".csv", ".tsv"} and starts_like_json(path)):
            if size > MAX_JSON_BYTES:
                raise InvalidInput(
                    f"{path.name} is {size / 1024**2:,.0f} MiB; JSON files are read in one piece, up to "
                    f"{MAX_JSON_BYTES // 1024**2} MiB. Split it, or import the reviews as CSV."
                )
            parsed = parse_json(
                read_text(path, on_bytes),
                max_review_chars=self._max_review_chars,
                max_title_chars=self._films.max_title_chars,
            )
        elif suffix in {".csv", ".tsv", ".txt"}:
            if size > MAX_CSV_BYTES:
                raise InvalidInput(
                    f"{path.name} is {size / 1024**2:,.0f} MiB; the limit is {MAX_CSV_BYTES // 1024**2} MiB. "
                    "Split it (the header on every part) and import the parts one by one."
                )
            try:
                with open_lines(path, on_bytes) as lines:
                    parsed = parse_csv(
                        lines,
                        name=path.name,
                        max_review_chars=self._max_review_chars,
                        author=author,
                        max_title_chars=self._films.max_title_chars,
                    )
            except UnicodeDecodeError:
                raise not_utf8(path) from None
        else:
            raise InvalidInput(
                f"I don't know the format of {path.name}: use the JSON format, a reviews CSV, or a Letterboxd "
                "reviews.csv / watchlist.csv (see README, “Data formats”)."
            )
        on_bytes(size)
        log.info(
            "parsed %s: %d films, %d reviews, %d watchlist rows, %d problems",
            path.name, len(parsed.films), len(parsed.reviews), len(parsed.watchlist), len(parsed.problems),
        )
        return parsed

    async def load_sample(self, *, progress: Progress | None = None) -> ImportReport | None:
        """Load the bundled sample films and reviews once per database; None when already loaded."""
        if await self._store.meta.get(SAMPLE_META_KEY):
            return None
        merged = ParsedFile(source="sample")
        for name, text in sample_files():
            # Our own bundled data: MAX_REVIEW_CHARS limits what people submit, not what we ship.
            parsed = parse_json(text, source="sample", max_review_chars=1_000_000)
            if parsed.problems:
                raise RuntimeError(f"bundled sample file {name} is invalid: {parsed.problems[:3]}")
            merged.films.extend(parsed.films)
            merged.reviews.extend(parsed.reviews)
        return await self.apply(merged, skip_bad=False, progress=progress, name="sample data", mark_sample=True)

    # --- check, score, then the one transaction --------------------------------------------------
    async def apply(
        self,
        parsed: ParsedFile,
        *,
        skip_bad: bool,
        user_id: str | None = None,
        scope: str = "",
        progress: Progress | None = None,
        name: str = "the file",
        mark_sample: bool = False,
        guild_id: str | None = None,
    ) -> ImportReport:
        """Check, score and write a parsed file. `guild_id`: the Discord server the import was made
        in (its reviews are tagged with it, so that server's managers can remove them)."""
        if parsed.unreadable:
            raise ImportFailed(name, sorted(parsed.problems, key=lambda p: p.line), skippable=False)
        if (parsed.is_watchlist or parsed.watchlist) and not user_id:
            raise InvalidInput("A watchlist import needs the user it belongs to: pass --user ID.")
        throttle = Throttle.on_running_loop(progress)

        # Rows that parsed are placed even when others did not, so one run lists every problem.
        plan = await self._plan(parsed, throttle)
        if plan.watchlist and user_id:
            await self._check_watchlist_room(plan, user_id, scope)
        problems = sorted([*parsed.problems, *plan.problems], key=lambda p: p.line)
        if problems and not skip_bad:
            raise ImportFailed(name, problems)
        report = ImportReport(source=parsed.source, skipped=problems)

        scored, report.reviews_existing = await self._score(plan.reviews, throttle)
        await self._write(
            plan, scored, parsed.source, (user_id or "", scope), report, throttle, mark_sample, guild_id
        )
        total = len(plan.new_films) + len(scored) + len(plan.watchlist)
        throttle.update("done", total, total)
        self._films.invalidate()
        self._reviews.forget_corpus()
        log.info("imported %s: %s", name, report.as_json() | {"skipped": len(report.skipped)})
        return report

    async def _plan(self, parsed: ParsedFile, throttle: Throttle) -> _Plan:
        """Which film every row is about; rows that can't be placed become problems."""
        plan = _Plan()
        resolver = _Resolver(self._film_repo, plan.new_films)
        for line, film in parsed.films:
            reason = await resolver.add_file_film(line, film)
            if reason:
                plan.problems.append(ImportProblem(line, reason))
        rows: list[ReviewRow | WatchlistRow] = [*parsed.reviews, *parsed.watchlist]
        for n, row in enumerate(rows, 1):
            # Watchlists always come from Letterboxd here: an unknown title becomes a stub film.
            create = parsed.create_missing_films or isinstance(row, WatchlistRow)
            target = await resolver.resolve(row.film_title, row.film_year, row.line, create_missing=create)
            if isinstance(target, str):
                plan.problems.append(ImportProblem(row.line, target))
            elif isinstance(row, ReviewRow):
                plan.reviews.append((row, target))
            else:
                plan.watchlist.append((row, target))
            throttle.update("checking", n, len(rows))
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        return plan

    async def _check_watchlist_room(self, plan: _Plan, user_id: str, scope: str) -> None:
        """Rows beyond the watchlist size limit become problems (and need no stub film)."""
        if self._max_watchlist_size is None:
            return
        listed = {entry.film_id for entry in await self._store.watchlists.list(user_id, scope)}
        room = self._max_watchlist_size - len(listed)
        planned: set[_Target] = set()
        kept: list[tuple[WatchlistRow, _Target]] = []
        dropped: set[int] = set()
        for wrow, target in plan.watchlist:
            if (isinstance(target, Film) and target.id in listed) or target in planned:
                kept.append((wrow, target))  # already listed: no room needed
            elif room > 0:
                room -= 1
                planned.add(target)
                kept.append((wrow, target))
            else:
                plan.problems.append(ImportProblem(wrow.line, (
                    f"the watchlist is full: it can hold {self._max_watchlist_size} films "
                    "(MAX_WATCHLIST_SIZE); remove some first"
                )))
                if isinstance(target, _NewFilm):
                    dropped.add(id(target))
        plan.watchlist = kept
        plan.new_films[:] = [f for f in plan.new_films if id(f) not in dropped]

    async def _score(
        self, reviews: Sequence[tuple[ReviewRow, _Target]], throttle: Throttle
    ) -> tuple[list[_Scored], int]:
        """Spoiler-score every review with its film's context, off the event loop.

        Returns the scored reviews and how many were left out because they are stored already
        (same film, author and text): a re-import costs no scoring.
        """
        if not reviews:
            return [], 0
        by_film: dict[_Target, list[ReviewRow]] = defaultdict(list)
        for row, target in reviews:
            by_film[target].append(row)
        # The stored film each group is about (a film in the file may be stored already): its
        # reviews join the context, and rows identical to one of them need no scoring.
        stored_ids: dict[_Target, int] = {}
        stored_texts: dict[_Target, list[str]] = {}
        stored_keys: dict[_Target, set[tuple[str, str]]] = {}
        for target in by_film:
            film_id = target.id if isinstance(target, Film) else await self._stored_twin(target.film)
            if film_id is None:
                continue
            stored = await self._review_repo.for_film(film_id, with_sentences=False)
            stored_ids[target] = film_id
            stored_texts[target] = [r.text for r in stored]
            stored_keys[target] = {(r.author, r.content_hash) for r in stored}
        corpus_texts = await self._review_repo.recent_texts_by_film(CORPUS_SAMPLE)
        detector = self._reviews.detector
        total = len(reviews)

        def work() -> tuple[list[_Scored], int]:
            corpus: dict[int, set[str]] = defaultdict(set)
            for corpus_id, text in corpus_texts:
                corpus[corpus_id].update(tokens(text))
            file_vocab = {target: set().union(*(tokens(r.text) for r in rows)) for target, rows in by_film.items()}
            # Every other film's vocabulary, in the file or stored, counted once (see CorpusCounts).
            counts = CorpusCounts.of([*file_vocab.values(), *corpus.values()])
            out: list[_Scored] = []
            done = already = 0
            for target, rows in by_film.items():
                film = target if isinstance(target, Film) else _as_film(target.film)
                stored_id = stored_ids.get(target)
                own = [file_vocab[target]]
                if stored_id is not None and stored_id in corpus:
                    own.append(corpus[stored_id])
                texts = [*stored_texts.get(target, []), *(r.text for r in rows)]
                context = build_context(film, texts, counts.excluding(*own))
                known = stored_keys.get(target, set())
                for row in rows:
                    done += 1
                    if (row.author, content_hash(row.text)) in known:
                        already += 1
                    else:
                        scored = detector.score_review(
                            row.text, author_flagged=row.contains_spoilers, context=context
                        )
                        # Keep only the stored records: the detector's feature dicts are large.
                        out.append(_Scored(row, target, tuple(s.to_record() for s in scored)))
                    throttle.update("scoring", done, total)
            return out, already

        return await asyncio.to_thread(work)

    async def _stored_twin(self, film: FilmInput) -> int | None:
        """The stored film with this film's main title and year, if any (read side, no lock).

        Stricter than the match made while writing, never looser: a miss only costs scoring.
        """
        found = await self._film_repo.find_by_title_year(film.title, film.year)
        if found is not None and normalize_title(found.title) == normalize_title(film.title):
            return found.id
        return None

    async def _write(
        self,
        plan: _Plan,
        scored: Sequence[_Scored],
        source: str,
        owner: tuple[str, str],
        report: ImportReport,
        throttle: Throttle,
        mark_sample: bool,
        guild_id: str | None = None,
    ) -> None:
        """Everything in one transaction: an exception anywhere leaves the database as it was."""
        total = len(plan.new_films) + len(scored) + len(plan.watchlist)
        done = 0
        throttle.update("writing", 0, total)
        async with self._store.unit_of_work() as unit:
            for new in plan.new_films:
                new.stored_id = await _existing_film(unit, new.film)
                if new.stored_id is not None:
                    report.films_existing += 1
                else:
                    new.stored_id = await unit.add_film(new.film)
                    report.films_added += 1
                done += 1
                throttle.update("writing", done, total)
            for item in scored:
                review = ReviewInput(
                    film_id=_stored_id(item.target),
                    author=item.row.author,
                    source=source,
                    rating=item.row.rating,
                    text=item.row.text,
                    author_flagged_spoilers=item.row.contains_spoilers,
                    content_hash=content_hash(item.row.text),
                    sentences=item.sentences,
                    created_at=item.row.created_at,
                    guild_id=guild_id,
                )
                _, created = await unit.add_review(review)
                report.reviews_added += created
                report.reviews_existing += not created
                done += 1
                throttle.update("writing", done, total)
            for wrow, target in plan.watchlist:
                added = await unit.add_watchlist_entry(*owner, _stored_id(target), wrow.added_at)
                report.watchlist_added += added
                report.watchlist_existing += not added
                done += 1
                throttle.update("writing", done, total)
            if mark_sample:
                await unit.set_meta(SAMPLE_META_KEY, "1")


class _Resolver:
    """Finds the film a row names: first among the file's films, then in the database.

    Database look-ups are cached per import, so a file with 50,000 reviews of 300 films asks the
    database about 300 names, not 50,000.
    """

    def __init__(self, repo: FilmStore, new_films: list[_NewFilm]) -> None:
        self._repo = repo
        self._new_films = new_films
        self._by_name: dict[str, list[_NewFilm]] = defaultdict(list)
        self._keys: dict[tuple[str, int | None], _NewFilm] = {}
        self._imdb: dict[str, _NewFilm] = {}
        self._hits: dict[str, list[TitleHit]] = {}
        self._films: dict[int, Film] = {}

    async def add_file_film(self, line: int, film: FilmInput) -> str | None:
        """Register one of the file's films; the reason it can't be used, if any."""
        key = (normalize_title(film.title), film.year)
        label = f"{film.title} ({film.year})" if film.year else film.title
        if key in self._keys:
            return f"film “{label}” is already in this file (line {self._keys[key].line})"
        if film.imdb_id and film.imdb_id in self._imdb:
            return f"IMDb id {film.imdb_id} is already used in this file (line {self._imdb[film.imdb_id].line})"
        if film.year is None:
            years = sorted({h.year or 0 for h in await self._stored(key[0])})
            if len(years) > 1:
                shown = ", ".join(str(y) for y in years if y)
                return f"film “{film.title}” has no year and stored films of that name are from {shown}; add its year"
        self._register(_NewFilm(line, film))
        return None

    async def resolve(self, title: str, year: int | None, line: int, *, create_missing: bool) -> _Target | str:
        """The film a row names, or the reason it can't be placed (ambiguous or unknown)."""
        norm = normalize_title(title)
        label = f"{title} ({year})" if year else title
        in_file = [f for f in dict.fromkeys(self._by_name.get(norm, [])) if year is None or f.film.year == year]
        if len(in_file) == 1:
            return in_file[0]
        if len(in_file) > 1:
            shown = ", ".join(f"{f.label} at line {f.line}" for f in in_file[:5])
            return f"film “{title}” matches {len(in_file)} films in this file ({shown}); add its year"
        all_hits = await self._stored(norm)
        hits = {h.film_id: h for h in all_hits if year is None or h.year == year}
        if len(hits) == 1:
            return await self._film(next(iter(hits)))
        if len(hits) > 1:
            shown = ", ".join(sorted({f"{h.title} ({h.year})" if h.year else h.title for h in hits.values()}))
            return f"film “{title}” matches several stored films: {shown}; add its year"
        if create_missing and norm:
            stub = _NewFilm(line, FilmInput(title=title, year=year, is_stub=True))
            self._register(stub)
            return stub
        known = sorted({f"{h.title} ({h.year})" if h.year else h.title for h in all_hits})
        hint = f" (stored: {', '.join(known[:5])})" if known else ""
        return f"film “{label}” is neither in this file nor in the database{hint}"

    def _register(self, new: _NewFilm) -> None:
        film = new.film
        self._new_films.append(new)
        self._keys[(normalize_title(film.title), film.year)] = new
        if film.imdb_id:
            self._imdb[film.imdb_id] = new
        for name in (film.title, film.original_title, *film.aliases):
            for norm in title_variants(name or ""):
                self._by_name[norm].append(new)

    async def _stored(self, norm: str) -> list[TitleHit]:
        if norm not in self._hits:
            self._hits[norm] = await self._repo.find_exact(norm) if norm else []
        return self._hits[norm]

    async def _film(self, film_id: int) -> Film | str:
        if film_id not in self._films:
            film = await self._repo.get(film_id)
            if film is None:  # deleted between the two reads
                return f"film #{film_id} was removed while importing"
            self._films[film_id] = film
        return self._films[film_id]


async def _existing_film(unit: ImportUnit, film: FilmInput) -> int | None:
    """The stored film this one already is: same main title and year, or the same IMDb id."""
    found = await unit.find_film(film.title, film.year)
    if found is None and film.imdb_id:
        found = await unit.find_film_by_imdb(film.imdb_id)
    return found


def _stored_id(target: _Target) -> int:
    if isinstance(target, Film):
        return target.id
    assert target.stored_id is not None, "films are written before the rows that name them"
    return target.stored_id


def _as_film(film: FilmInput) -> Film:
    return Film(
        id=0, title=film.title, year=film.year, original_title=film.original_title, aliases=film.aliases,
        directors=film.directors, cast=film.cast, characters=film.characters,
    )
