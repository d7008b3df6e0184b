"""Adding and reading reviews; every stored review gets its sentences scored once, here."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import InvalidInput, PermissionDenied
from bot.spoilers.detector import FilmContext, ScoredSentence, SpoilerDetector, build_context, tokens
from storage.films import FilmRepository
from storage.records import Film, Review, ReviewInput
from storage.reviews import ReviewRepository, content_hash

CORPUS_SAMPLE = 20_000  # reviews read to estimate how common a word is across films


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
        reviews: ReviewRepository,
        films: FilmRepository,
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
        self._corpus: dict[int, set[str]] | None = None  # film id -> vocabulary of its reviews

    async def for_film(self, film: Film) -> list[Review]:
        return await self._reviews.for_film(film.id)

    async def get(self, review_id: int) -> Review | None:
        return await self._reviews.get(review_id)

    def validate_text(self, text: str) -> str:
        text = text.replace("\r\n", "\n").strip()
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
        author = " ".join(author.split())[:100] or "anonymous"
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
        corpus = await self.corpus_vocab()
        others = [vocab for film_id, vocab in corpus.items() if film_id != film.id]
        return build_context(film, film_texts, others)

    async def rescore_film(self, film: Film) -> int:
        """Score every review of a film again with today's context (after an import); returns count."""
        reviews = await self._reviews.for_film(film.id, with_sentences=False)
        context = await self.context(film, [r.text for r in reviews])
        for review in reviews:
            scored = self.detector.score_review(
                review.text, author_flagged=review.author_flagged_spoilers, context=context
            )
            await self._reviews.replace_sentences(review.id, [s.to_record() for s in scored])
        return len(reviews)

    async def corpus_vocab(self) -> dict[int, set[str]]:
        """Each film's review vocabulary (newest CORPUS_SAMPLE reviews), built once per change.

        Tokenising 20,000 reviews takes about half a second, so it runs in a worker thread.
        """
        if self._corpus is None:
            texts = await self._reviews.recent_texts_by_film(CORPUS_SAMPLE)

            def build() -> dict[int, set[str]]:
                vocab: dict[int, set[str]] = {}
                for film_id, text in texts:
                    vocab.setdefault(film_id, set()).update(tokens(text))
                return vocab

            self._corpus = await asyncio.to_thread(build)
        return self._corpus

    def forget_corpus(self) -> None:
        self._corpus = None


def masked_text(review: Review, threshold: float, *, reveal: bool = False) -> str:
    """The review with every spoiler sentence (marked by its author or scored at/above the
    threshold) wrapped in `||…||`; author markup is normalised, other bars escaped.

    With `reveal`, the sentences are shown plainly (still with stray `||` escaped).
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
        out += wrap_spoiler(span.text) if spoiler and not reveal else escape_spoiler_bars(span.text)
        previous_end = span.end
    return out
