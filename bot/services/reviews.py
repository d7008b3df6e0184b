"""Adding and reading reviews; every stored review gets its sentences scored once, here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.errors import InvalidInput, PermissionDenied
from bot.spoilers.detector import (
    DETECTOR_VERSION,
    CorpusCounts,
    FilmContext,
    ScoredSentence,
    SpoilerDetector,
    build_context,
    tokens,
)
from bot.text.unicode import require_text
from storage.ports import FilmStore, MetaStore, ReviewStore
from storage.records import Film, Review, ReviewInput, content_hash

# Reviews read to estimate how common a word is across films (DF-IIF). 5,000 is plenty to tell a
# film's particular words from common ones, and keeps the word sets small (~12 MB).
CORPUS_SAMPLE = 5_000
CONTEXT_IN_THREAD = 20  # a film with more reviews than this gets its context built off the loop
DETECTOR_VERSION_KEY = "detector_version"  # app_meta: the detector version of every stored score
RESCORE_CURSOR_KEY = "rescore_cursor"  # app_meta: the last film rescored by an unfinished upgrade
FIRST_DETECTOR_VERSION = 1  # databases from before versions were recorded
RESCORE_BATCH = 200  # films read per query while rescoring

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AddedReview:
    review_id: int
    created: bool
    sentences: int
    spoiler_sentences: int


def check_rating(rating: float | None) -> float | None:
    """Ratings are 0.5 to 5 stars in halves (Letterboxd's scale)."""
    if rating is None:
        return None
    if not 0.5 <= rating <= 5 or round(rating * 2) != rating * 2:
        raise InvalidInput("Ratings go from 0.5 to 5 in half stars, e.g. 3.5.")
    return float(rating)


class ReviewService:
    def __init__(
        self,
        reviews: ReviewStore,
        films: FilmStore,
        detector: SpoilerDetector,
        *,
        threshold: float,
        max_review_chars: int,
    ) -> None:
        self._reviews = reviews
        self._films = films
        self.detector = detector
        self.threshold = threshold
        self.max_review_chars = max_review_chars
        self._corpus: tuple[dict[int, set[str]], CorpusCounts] | None = None  # per film, and counted
        self._corpus_lock = asyncio.Lock()  # concurrent first callers share one build
        # One rescore at a time: the start-up one runs in the background, and two interleaved could
        # record an older version after a newer one (and redo films the other has done).
        self._rescore_lock = asyncio.Lock()

    async def review_set_version(self, film: Film) -> str:
        """Changes whenever a review of the film is added, edited or deleted: one indexed read of
        (id, hash, updated) per review, no text, no sentences."""
        return await self._reviews.review_set_hash(film.id)

    async def for_film(self, film: Film) -> list[Review]:
        return await self._reviews.for_film(film.id)

    async def get(self, review_id: int) -> Review | None:
        return await self._reviews.get(review_id)

    def validate_text(self, text: str) -> str:
        text = require_text(text).replace("\r\n", "\n").strip()
        if len(text) < 20 or len(text.split()) < 4:
            raise InvalidInput("That review is too short: write at least a sentence or two.")
        if len(text) > self.max_review_chars:
            raise InvalidInput(
                f"That review is {len(text):,} characters; the limit is {self.max_review_chars:,}. "
                "Trim it and try again (nothing was saved)."
            )
        return text

    async def add(
        self,
        film: Film,
        *,
        text: str,
        author: str,
        rating: float | None = None,
        contains_spoilers: bool = False,
        source: str = "terminal",
        author_user_id: str | None = None,
        guild_id: str | None = None,
    ) -> AddedReview:
        text = self.validate_text(text)
        author = " ".join(require_text(author).split())[:100] or "anonymous"
        rating = check_rating(rating)
        others = [r.text for r in await self._reviews.for_film(film.id, with_sentences=False)]
        context = await self.context(film, [*others, text])
        scored = self.detector.score_review(text, author_flagged=contains_spoilers, context=context)
        review_id, created = await self._reviews.add(
            self.build_input(
                film.id, text, author, rating, contains_spoilers, source, scored, author_user_id, guild_id=guild_id
            )
        )
        self.forget_corpus()
        return AddedReview(
            review_id, created, len(scored), sum(1 for s in scored if s.score >= self.threshold)
        )

    @staticmethod
    def build_input(
        film_id: int,
        text: str,
        author: str,
        rating: float | None,
        contains_spoilers: bool,
        source: str,
        scored: Sequence[ScoredSentence],
        author_user_id: str | None = None,
        created_at: str | None = None,
        guild_id: str | None = None,
    ) -> ReviewInput:
        return ReviewInput(
            film_id=film_id,
            author=author,
            source=source,
            rating=rating,
            text=text,
            author_flagged_spoilers=contains_spoilers,
            content_hash=content_hash(text),
            sentences=tuple(s.to_record() for s in scored),
            author_user_id=author_user_id,
            created_at=created_at,
            guild_id=guild_id,
        )

    async def in_guild(self, guild_id: str, *, id_prefix: str = "", limit: int = 25) -> list[tuple[Review, str]]:
        """The newest reviews written (or imported) in a Discord server, with their films' labels."""
        return await self._reviews.in_guild(guild_id, id_prefix=id_prefix, limit=limit)

    async def delete_in_guild(self, review_id: int, guild_id: str) -> Review:
        """A server's managers remove a review written in their server (reviews are shared by every
        server, so one written elsewhere, or from a file or the terminal, is out of their reach)."""
        review = await self._reviews.get(review_id)
        if review is None:
            raise InvalidInput(f"There is no review #{review_id}.")
        if review.guild_id != guild_id:
            raise PermissionDenied(
                f"Review #{review_id} wasn't written in this server, so it can't be removed from here. "
                "The bot's operator can remove it."
            )
        await self.delete(review_id)
        return review

    async def delete(self, review_id: int) -> bool:
        deleted = await self._reviews.delete(review_id)
        self.forget_corpus()
        return deleted

    async def context(self, film: Film, film_texts: Sequence[str]) -> FilmContext:
        """The detector's context for a film: its names, and its reviews' words against all others'.

        Uses the corpus counts built once (see `_corpus_stats`); the film's own vocabulary is left
        out of them by subtraction, not by copying 5,000 word sets for every call."""
        vocab, counts = await self._corpus_stats()
        own = vocab.get(film.id)
        others = counts.excluding(own) if own is not None else counts
        if len(film_texts) > CONTEXT_IN_THREAD:
            return await asyncio.to_thread(build_context, film, film_texts, others)
        return build_context(film, film_texts, others)

    async def rescore_film(self, film: Film) -> int:
        """Score every review of a film again with today's detector and context; returns count."""
        reviews = await self._reviews.for_film(film.id, with_sentences=False)
        context = await self.context(film, [r.text for r in reviews])
        for review in reviews:
            scored = self.detector.score_review(
                review.text, author_flagged=review.author_flagged_spoilers, context=context
            )
            await self._reviews.replace_sentences(review.id, [s.to_record() for s in scored])
        return len(reviews)

    async def rescore_outdated(self, meta: MetaStore, *, version: int = DETECTOR_VERSION) -> int:
        """Rescore every stored review when the database's scores come from an older detector.

        The version the stored scores come from is kept in app_meta (`detector_version`; a database
        without it was scored by version 1, the first). New reviews are always scored by today's
        detector, so only what was stored before an upgrade is redone: film by film, with a cursor
        saved after each film, so a restart resumes where it stopped. Returns reviews rescored.
        """
        async with self._rescore_lock:
            return await self._rescore_outdated(meta, version)

    async def _rescore_outdated(self, meta: MetaStore, version: int) -> int:
        recorded = await meta.get(DETECTOR_VERSION_KEY)
        if recorded is None and not await self._reviews.film_ids_after(0, 1):
            recorded = str(version)  # nothing stored yet: every score to come is today's
            await meta.set(DETECTOR_VERSION_KEY, recorded)
        stored = int(recorded or FIRST_DETECTOR_VERSION)
        if stored >= version:
            return 0
        cursor = int(await meta.get(RESCORE_CURSOR_KEY) or 0)
        done = 0
        while film_ids := await self._reviews.film_ids_after(cursor, RESCORE_BATCH):
            for film_id in film_ids:
                film = await self._films.get(film_id)
                if film is not None:
                    done += await self.rescore_film(film)
                cursor = film_id
                await meta.set(RESCORE_CURSOR_KEY, str(cursor))
        # The cursor first: a crash between the two writes leaves the old version with cursor 0,
        # so the next start redoes everything (safe), never skips films.
        await meta.set(RESCORE_CURSOR_KEY, "0")
        await meta.set(DETECTOR_VERSION_KEY, str(version))
        log.info("rescored %d reviews: stored scores were from detector version %d, now %d", done, stored, version)
        return done

    async def _corpus_stats(self) -> tuple[dict[int, set[str]], CorpusCounts]:
        """Built in a worker thread (tokenising thousands of reviews), once, however many callers
        ask at the same moment (a burst of /summary on a cold cache)."""
        async with self._corpus_lock:
            if self._corpus is None:
                texts = await self._reviews.recent_texts_by_film(CORPUS_SAMPLE)

                def build() -> tuple[dict[int, set[str]], CorpusCounts]:
                    vocab: dict[int, set[str]] = {}
                    for film_id, text in texts:
                        vocab.setdefault(film_id, set()).update(tokens(text))
                    return vocab, CorpusCounts.of(vocab.values())

                self._corpus = await asyncio.to_thread(build)
            return self._corpus

    def forget_corpus(self) -> None:
        self._corpus = None


def masked_text(
    review: Review, threshold: float, *, reveal: bool = False, escape: Callable[[str], str] | None = None
) -> str:
    """The review with every spoiler sentence (marked by its author or scored at/above the
    threshold) wrapped in `||…||`; author markup is normalised, other bars escaped.

    With `reveal`, the sentences are shown plainly (still with stray `||` escaped). `escape`: how
    each sentence's own text is made safe inside the markup (default: only `||` is escaped; Discord
    passes `bot.text.markdown.escape_markdown`, so a reviewer's `**` or `# ` can't format the page).
    """
    from bot.text.segments import escape_spoiler_bars, split_review, wrap_spoiler

    by_idx = {s.idx: s for s in review.sentences}
    out = ""
    previous_end = 0
    for span in split_review(review.text):
        stored = by_idx.get(span.idx)
        # A sentence without a stored score (text and scores out of step) is hidden: fail closed.
        spoiler = not span.is_warning and (
            span.marked or stored is None or stored.spoiler_score >= threshold
        )
        if out:
            out += "\n\n" if "\n\n" in review.text[previous_end : span.start] else " "
        text = escape(span.text) if escape is not None else span.text
        out += wrap_spoiler(text) if spoiler and not reveal else escape_spoiler_bars(text)
        previous_end = span.end
    return out
