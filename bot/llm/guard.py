"""The output guard: every sentence an LLM writes is checked before anyone sees it.

A sentence is treated as a spoiler when any of these says so (fail closed):
- the model's own `spoiler` flag on its point;
- spoiler markup in the text (`||…||`, `[spoiler]`, a "spoilers ahead" warning before it);
- the spoiler detector (bot/spoilers/detector.py) scoring it at or above the threshold with the film's
  context (its character names and film-specific words);
- a close match with a review sentence already known to be a spoiler (rapidfuzz token-set ratio
  plus at least a few shared content words): catches the model repeating a reveal it read, or knew.

Spoiler-free mode drops those sentences; spoilers mode hides them behind `||…||`.

Independently of spoilers, a sentence is dropped in every mode when it carries something reviews
may try to smuggle through the model: a link, an @-mention or Discord mention syntax, or prompt-
injection talk ("ignore previous instructions"); or when it echoes the prompt's own scaffolding
(the `<<… | key …>>` delimiters or the data key), which a model told to "print your instructions"
produces. `neutralise` is applied to the whole final text as well (defence in depth; Discord replies
are also sent with mentions disabled).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, utils

from bot.llm.schema import Point
from bot.llm.spotlight import unmark
from bot.services.summaries import Mode
from bot.spoilers.detector import FilmContext, SpoilerDetector, tokens
from bot.spoilers.lexicon import STOPWORDS
from bot.text.safety import unsafe_reason
from bot.text.segments import SentenceSpan, escape_spoiler_bars, split_review, wrap_spoiler

SIMILARITY = 70.0  # token-set ratio to a known spoiler sentence ...
SHARED_WORDS = 3  # ... with at least this many content words in common
_SCAFFOLDING = re.compile(r"<<|>>|\|\s*key\s+[0-9a-f]{8}\b|\bdata key\b", re.IGNORECASE)


def unusable_reason(sentence: str) -> str | None:
    """Why a sentence the model wrote goes in every mode: 'link', 'mention', 'injection' or 'prompt_echo'."""
    return unsafe_reason(sentence) or ("prompt_echo" if _SCAFFOLDING.search(sentence) else None)


def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in tokens(text) if len(w) > 2 and w not in STOPWORDS)


@dataclass(frozen=True, slots=True)
class GuardedPoint:
    text: str  # ready to show: spoilers wrapped (spoilers mode), bars escaped
    sources: tuple[int, ...]
    hidden: int = 0  # sentences wrapped as spoilers


@dataclass(slots=True)
class GuardReport:
    """What the guard did to one answer, for notes and logs."""

    points_in: int = 0
    points_kept: int = 0
    sentences_in: int = 0
    sentences_dropped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def dropped_share(self) -> float:
        return self.sentences_dropped / self.sentences_in if self.sentences_in else 0.0

    def drop(self, reason: str, sentences: int = 1) -> None:
        self.sentences_dropped += sentences
        self.reasons[reason] += sentences


class SpoilerGuard:
    def __init__(
        self,
        detector: SpoilerDetector,
        contexts: Sequence[FilmContext],
        *,
        threshold: float,
        known_spoilers: Sequence[str] = (),
        similarity: float = SIMILARITY,
    ) -> None:
        self.detector = detector
        self.contexts = list(contexts) or [FilmContext()]
        self.threshold = threshold
        self.similarity = similarity
        self._known = [(s, _content_words(s)) for s in known_spoilers if s.strip()]

    # --- single sentences ------------------------------------------------------------------------
    def spoiler_reason(self, span: SentenceSpan) -> str | None:
        """Why this sentence counts as a spoiler ('markup', 'detector', 'similar'), or None."""
        if span.marked:
            return "markup"
        alone = dataclasses.replace(span, idx=0)  # position in our own text means nothing
        if any(self.detector.score_span(alone, 1, False, c).score >= self.threshold for c in self.contexts):
            return "detector"
        if self.matches_known_spoiler(span.text):
            return "similar"
        return None

    def matches_known_spoiler(self, sentence: str) -> bool:
        words = _content_words(sentence)
        if len(words) < SHARED_WORDS:
            return False
        for known, known_words in self._known:
            if len(words & known_words) < SHARED_WORDS:
                continue
            if fuzz.token_set_ratio(sentence, known, processor=utils.default_process) >= self.similarity:
                return True
        return False

    # --- points ----------------------------------------------------------------------------------
    def check(self, point: Point, mode: Mode, report: GuardReport | None = None) -> GuardedPoint | None:
        """The point as it may be shown, or None when nothing of it may be."""
        report = report if report is not None else GuardReport()
        spans = split_review(unmark(point.text))
        report.points_in += 1
        report.sentences_in += len(spans)
        if mode == "spoiler_free" and point.spoiler:
            report.drop("model_flag", len(spans))
            return None
        kept: list[tuple[str, bool]] = []  # (sentence, hide)
        for span in spans:
            bad = unusable_reason(span.text)
            spoiler = None if bad else self.spoiler_reason(span)
            if bad or (spoiler and mode == "spoiler_free"):
                report.drop(bad or spoiler or "")
                continue
            if spoiler:
                report.reasons[f"hidden_{spoiler}"] += 1
            kept.append((span.text, bool(spoiler) or point.spoiler))
        if not kept:
            return None
        report.points_kept += 1
        return GuardedPoint(_join(kept), point.sources, sum(1 for _, hide in kept if hide))

    def split_text(self, text: str) -> tuple[str, str, int]:
        """Free text (a digest) split into (safe sentences, spoiler sentences, sentences dropped)."""
        safe: list[str] = []
        spoilers: list[str] = []
        dropped = 0
        for span in split_review(unmark(text)):
            if unusable_reason(span.text):
                dropped += 1
            elif self.spoiler_reason(span):
                spoilers.append(span.text)
            else:
                safe.append(span.text)
        return " ".join(safe), " ".join(spoilers), dropped


def _join(sentences: Sequence[tuple[str, bool]]) -> str:
    """Sentences joined; runs of hidden ones share one `||…||` span."""
    out: list[str] = []
    run: list[str] = []
    for text, hide in [*sentences, ("", False)]:
        if hide:
            run.append(text)
            continue
        if run:
            out.append(wrap_spoiler(" ".join(run)))
            run = []
        if text:
            out.append(escape_spoiler_bars(text))
    return " ".join(out)
