"""Build a benchmark database: an IMDb-format catalogue imported by the product's own importer,
then synthetic reviews (sentences scored by the real detector, memoised per distinct sentence:
the generator reuses a small set of template sentences)."""

from __future__ import annotations

import hashlib
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bench.synth import FIRST, LAST, review_text, write_imdb
from bot.spoilers.detector import FilmContext, SpoilerDetector
from bot.text.segments import split_review
from bot.text.topics import topics_of
from storage import bulk


@dataclass(frozen=True, slots=True)
class BuildReport:
    titles: int
    films: int
    import_seconds: float
    import_rows: int
    import_peak_mb: float
    reviews: int
    review_seconds: float


def import_in_subprocess(db: Path, folder: Path) -> tuple[float, float]:
    """Run `reviewbot import FOLDER` in a child process; (seconds, the child's peak RSS in MB)."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bot", "import", str(folder), "--db", str(db), "--json"],
        check=True, stdout=subprocess.DEVNULL, env={"REVIEWBOT_LOAD_SAMPLE": "false", "PATH": "/usr/bin:/bin"},
    )
    elapsed = time.monotonic() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kb / 1024


def build(work: Path, n_titles: int, n_reviews: int, *, seed: int = 11) -> BuildReport:
    work.mkdir(parents=True, exist_ok=True)
    folder = work / f"imdb-{n_titles}"
    db = work / f"bench-{n_titles}-{n_reviews}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    counts = write_imdb(folder, n_titles, seed=seed)
    seconds, peak = import_in_subprocess(db, folder)
    detector = SpoilerDetector()
    context = FilmContext()

    @lru_cache(maxsize=4096)
    def score(sentence: str, idx_fraction: float) -> float:
        span = split_review(sentence)[0]
        features = detector.features(span, 2, False, context, topics_of(sentence))
        return detector.combine(features | {"position": idx_fraction})

    conn = bulk.connect(db)
    films = bulk.film_ids(conn, n_titles)
    rng = random.Random(seed)

    def rows():  # type: ignore[no-untyped-def]
        for i in range(n_reviews):
            text = review_text(rng, spoiler=rng.random() < 0.3)
            spans = split_review(text)
            sentences = [
                (s.idx, s.text, score(s.text, round(s.idx / max(len(spans) - 1, 1), 1)), False,
                 ",".join(topics_of(s.text)))
                for s in spans
            ]
            author = f"{rng.choice(FIRST)}{rng.choice(LAST)}{i % 997}"
            digest = hashlib.sha256(f"{i}:{text}".encode()).hexdigest()[:32]
            rating = rng.choice((None, 1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0))
            yield (rng.choice(films), author, "bench", rating, text, False, digest), sentences

    started = time.monotonic()
    inserted = bulk.insert_reviews(conn, rows())
    conn.close()
    return BuildReport(
        titles=counts["title.basics.tsv.gz"], films=len(films), import_seconds=seconds,
        import_rows=sum(counts.values()), import_peak_mb=peak, reviews=inserted,
        review_seconds=time.monotonic() - started,
    )
