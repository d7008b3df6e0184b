"""Sentence-level spoiler scores, in layers (see DESIGN.md, "Spoiler safety"):

1. author signals: spoiler markup marks a sentence outright (score 1.0); a "spoilers ahead" warning
   before it and the author's whole-review flag raise it;
2. cue words for deaths, twists/reveals, endings and late-plot events;
3. names of the film's characters (not its actors: "Perkins is superb" is an opinion);
4. position: plots get told late in a review;
5. film-specific words (DF-IIF, Wan et al., ACL 2019): words frequent in this film's reviews but
   rare across other films' reviews are usually plot particulars ("the box", "Coagula");
and against them, opinion signals (talk of acting, look, sound, pacing; first person; hedges such
as "without giving anything away").

The features are combined by a logistic function. The weights were set by hand, then a few were
adjusted by a small grid search on the labelled sample set: the highest precision at which recall
stays >= 0.93 overall and >= 0.90 on each half (films_a / films_b, written separately). Measure
with `python -m bench.spoiler_eval`; bump DETECTOR_VERSION when weights or cues change.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.spoilers import lexicon
from bot.text.regex_cache import compile_pattern
from bot.text.segments import SentenceSpan, split_review
from bot.text.topics import sentiment, topics_of
from storage.records import Film, Sentence

DETECTOR_VERSION = 1
_TOKEN = compile_pattern(r"[a-zà-ÿ][a-zà-ÿ'\-]+", re.IGNORECASE)

WEIGHTS: dict[str, float] = {
    "bias": -3.6,
    "warned": 2.2,
    "review_flagged": 0.9,
    "death": 3.1,
    "twist": 2.3,
    "ending": 2.3,
    "late_plot": 0.9,
    "extra_cues": 1.2,
    "character": 1.1,
    "character_action": 0.9,
    "position": 0.7,
    "film_specific": 1.4,
    "opinion_topic": -0.8,
    "first_person": -0.4,
    "evaluative": -0.4,
    "hedge": -2.5,
    "warning_sentence": -3.0,
}


def tokens(text: str) -> list[str]:
    return [t.lower().strip("'-") for t in _TOKEN.findall(text)]


@dataclass(frozen=True, slots=True)
class FilmContext:
    """What the detector knows about one film: its characters, and words particular to its reviews."""

    character_tokens: frozenset[str] = frozenset()
    public_tokens: frozenset[str] = frozenset()  # title, director and cast names: fine to mention
    specific: dict[str, float] = field(default_factory=dict)  # DF-IIF in [0, 1]


class CorpusCounts:
    """How many films' reviews use each word, counted once and reused for many films.

    `build_context` given a list of vocabularies checks every list entry for every word, which is
    (words x films) per film: an import of a Letterboxd export with 2,000 films would spend
    minutes there. With counts it is one look-up per word. `excluding` leaves out the film's own
    vocabularies (without copying the counts), so the result equals the list form exactly.
    """

    __slots__ = ("_counts", "_excluded", "n_films")

    def __init__(self, counts: Counter[str], n_films: int, excluded: tuple[set[str], ...] = ()) -> None:
        self._counts = counts
        self._excluded = excluded
        self.n_films = n_films - len(excluded)

    @classmethod
    def of(cls, vocabs: Iterable[set[str]]) -> CorpusCounts:
        counts: Counter[str] = Counter()
        n_films = 0
        for vocab in vocabs:
            counts.update(vocab)
            n_films += 1
        return cls(counts, n_films)

    def excluding(self, *vocabs: set[str]) -> CorpusCounts:
        """These counts without some of the vocabularies they were built from."""
        return CorpusCounts(self._counts, self.n_films, vocabs)

    def films_with(self, word: str) -> int:
        return self._counts.get(word, 0) - sum(1 for vocab in self._excluded if word in vocab)


def build_context(
    film: Film, film_review_texts: Sequence[str], corpus_film_vocab: Sequence[set[str]] | CorpusCounts
) -> FilmContext:
    """Context for `film` from its own reviews and the vocabularies of other films' reviews.

    DF = share of this film's reviews using a word; IIF = log(N films / films whose reviews use it).
    """
    corpus = corpus_film_vocab if isinstance(corpus_film_vocab, CorpusCounts) else CorpusCounts.of(corpus_film_vocab)
    public = set(tokens(" ".join((film.title, film.original_title or "", *film.directors, *film.cast))))
    characters = {
        t for name in film.characters for t in tokens(name) if len(t) > 2 and t not in lexicon.STOPWORDS
    } - public
    docs = [set(tokens(text)) for text in film_review_texts]
    specific: dict[str, float] = {}
    if docs:
        df = Counter(word for doc in docs for word in doc)
        n_films = corpus.n_films + 1
        for word, count in df.items():
            if word in lexicon.STOPWORDS or word in public or len(word) < 3:
                continue
            films_with = 1 + corpus.films_with(word)
            iif = math.log(n_films / films_with)
            value = (count / len(docs)) * iif / math.log(max(n_films, 2))
            if value > 0.15:
                specific[word] = min(1.0, value)
    return FilmContext(frozenset(characters), frozenset(public), specific)


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    span: SentenceSpan
    score: float
    topics: tuple[str, ...]
    features: dict[str, float]

    def to_record(self) -> Sentence:
        return Sentence(
            idx=self.span.idx,
            text=self.span.text,
            spoiler_score=round(self.score, 4),
            author_marked=self.span.marked,
            topics=self.topics,
        )


class SpoilerDetector:
    def __init__(self, weights: dict[str, float] | None = None) -> None:
        self.weights = dict(WEIGHTS if weights is None else weights)

    def score_review(self, text: str, *, author_flagged: bool, context: FilmContext) -> list[ScoredSentence]:
        spans = split_review(text)
        return [self.score_span(span, len(spans), author_flagged, context) for span in spans]

    def score_span(
        self, span: SentenceSpan, n_sentences: int, author_flagged: bool, context: FilmContext
    ) -> ScoredSentence:
        topics = topics_of(span.text)
        features = self.features(span, n_sentences, author_flagged, context, topics)
        if span.marked:
            return ScoredSentence(span, 1.0, topics, features)
        return ScoredSentence(span, self.combine(features), topics, features)

    def combine(self, features: dict[str, float]) -> float:
        z = self.weights["bias"] + sum(self.weights[name] * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-z))

    @staticmethod
    def features(
        span: SentenceSpan,
        n_sentences: int,
        author_flagged: bool,
        context: FilmContext,
        topics: Iterable[str],
    ) -> dict[str, float]:
        text = span.text
        words = tokens(text)
        death_hits = {m.lower() for m in lexicon.DEATH.findall(text)}
        twist_hits = {m.lower() for m in lexicon.TWIST.findall(text)}
        ending_hits = {m.lower() for m in lexicon.ENDING.findall(text)}
        cue_hits = death_hits | twist_hits | ending_hits
        death, twist, ending = bool(death_hits), bool(twist_hits), bool(ending_hits)
        late = bool(lexicon.LATE_PLOT.search(text))
        character = any(w in context.character_tokens for w in words)
        specific = max((context.specific.get(w, 0.0) for w in words), default=0.0)
        opinion = sum(1 for t in topics if t in lexicon.OPINION_TOPICS)
        return {
            "warned": float(span.warned),
            "review_flagged": float(author_flagged),
            "death": float(death),
            "twist": float(twist),
            "ending": float(ending),
            "late_plot": float(late),
            # "stabbed … killed off" says more than one cue word: several cues add up.
            "extra_cues": float(min(max(len(cue_hits) - 1, 0), 2)),
            "character": float(character),
            "character_action": float(character and (death or twist or late)),
            "position": span.idx / max(n_sentences - 1, 1),
            "film_specific": specific,
            "opinion_topic": float(min(opinion, 2)),
            "first_person": float(bool(lexicon.FIRST_PERSON.search(text))),
            "evaluative": float(sentiment(text) != 0),
            "hedge": float(bool(lexicon.HEDGE.search(text))),
            "warning_sentence": float(span.is_warning),
        }
