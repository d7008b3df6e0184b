"""The output guard: every sentence an LLM writes is checked before anyone sees it.

The model's own `spoiler` flag only ever hides more: `spoiler: true` drops a point in spoiler-free
mode and hides it in spoilers mode, `spoiler: false` lets nothing through. A sentence the model wrote
is a spoiler when any of these says so (fail closed):
- spoiler markup in the text (`||…||`, `[spoiler]`, a "spoilers ahead" warning before it);
- the allow-list (bot/spoilers/allowlist.py) finding plot content in it: the film's character names
  (facts and inferred from its reviews), events and outcomes, the end, the midpoint or a named scene,
  identities and relationships, narration. In spoiler-free mode this is the rule that drops what a
  model knows of a famous twist although no review said it; plot words that the film's logline uses
  itself (the premise) are not held against a sentence;
- the spoiler detector (bot/spoilers/detector.py) scoring it at or above the threshold;
- the film's spoiler lexicon: words of its reviews' spoiler sentences (author flags and markup,
  the allow-list, the detector) that its safe sentences never use, met twice, or once with an event;
- a paraphrase of a known spoiler sentence: most of its content words shared with one (not only
  string similarity: a reworded reveal shares its words, not its wording).

Spoiler-free mode drops those sentences; spoilers mode hides them behind `||…||`.

Independently of spoilers, a sentence is dropped in every mode when it carries something reviews
may try to smuggle through the model: a link, an @-mention or Discord mention syntax, prompt-
injection talk, an instruction (bot/spoilers/instructions.py); or when it echoes our prompts: their
scaffolding (the `<<… | key …>>` delimiters or the data key) or their own sentences (examples,
rules), which a model told to "print your instructions", or a small model short of ideas, produces.
`neutralise` is applied to the whole final text as well (defence in depth; Discord replies are also
sent with mentions disabled).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, utils

from bot.llm.prompts import PromptSet
from bot.llm.schema import Point
from bot.llm.spotlight import unmark
from bot.services.summaries import Mode
from bot.spoilers import lexicon
from bot.spoilers.allowlist import AllowList, Kind, opinion_reasons, plot_reasons
from bot.spoilers.detector import FilmContext, SpoilerDetector, tokens
from bot.spoilers.instructions import is_instruction
from bot.spoilers.lexicon import STOPWORDS
from bot.spoilers.names import FilmNames
from bot.text.safety import unsafe_reason
from bot.text.segments import SentenceSpan, escape_spoiler_bars, split_review, split_sentences, wrap_spoiler
from storage.records import Review

SIMILARITY = 70.0  # token-set ratio to a known spoiler sentence ...
SHARED_WORDS = 3  # ... with at least this many content words in common
PARAPHRASE_SHARE = 0.5  # or at least this share of the sentence's content words (and SHARED_WORDS)
PROMPT_ECHO_SHARE = 0.7  # a sentence whose content words are mostly one of our prompts' sentences
PROMPT_ECHO_WORDS = 4
_SCAFFOLDING = re.compile(r"<<|>>|\|\s*key\s+[0-9a-f]{8}\b|\bdata key\b|\{\{|\}\}", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")
# Markdown a model may put around a sentence (a code fence, a heading, a quote, a bullet): not words.
# Judged with it, the sentence's first word would look like a capitalised word mid-sentence (a name).
_BLOCK_MARKUP = re.compile(r"^(?:\s*(?:`{3,}[a-z]*|#{1,6}|>|[-*+•](?=\s)|\d{1,2}[.)](?=\s)))+\s*|\s*`{3,}\s*$")
# Plot reasons a premise may carry: a sentence naming the film's set-up in the logline's own words.
_PREMISE_REASONS = ("role", "narration", "unknown_name", "character")
# Words that say nothing about a plot: never part of a film's spoiler lexicon.
_OPINION_WORDS = frozenset(
    "reviewers reviewer review reviews critics audience viewers praise praised praises acting performance "
    "performances direction directed director script screenplay writing story plot ending twist scene scenes "
    "score music sound cinematography camera visual visuals pacing pace tension tone mood character characters "
    "great good best brilliant powerful strong moving film movie films movies cast audience final first last "
    "many most some reviewers' people".split()
)
_NO_NAMES = FilmNames()
# Allow-list reasons that reveal (a name or a pronoun alone does not make a sentence's words plot words).
_REVEALING = frozenset(
    {"author_markup", "after_warning", "detector", "death", "twist", "ending", "outcome", "identity"}
)
_EVENT = (lexicon.DEATH, lexicon.TWIST, lexicon.ENDING, lexicon.LATE_PLOT)


def unusable_reason(sentence: str) -> str | None:
    """Why a sentence the model wrote goes in every mode: 'link', 'mention', 'injection',
    'instruction' or 'prompt_echo'."""
    if _SCAFFOLDING.search(sentence):
        return "prompt_echo"
    return unsafe_reason(sentence) or ("instruction" if is_instruction(sentence) else None)


def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in tokens(text) if len(w) > 2 and w not in STOPWORDS)


@lru_cache(maxsize=4)
def prompt_sentences(prompts: PromptSet) -> tuple[str, ...]:
    """The sentences of our prompts (placeholders removed): a model's answer must not carry them.
    Computed once per loaded prompt set."""
    texts: list[str] = []
    for prompt in prompts.prompts.values():
        texts += [prompt.system, prompt.user, *prompt.fragments.values()]
    out: list[str] = []
    for text in texts:
        for line in _PLACEHOLDER.sub(" ", text).splitlines():
            out += split_sentences(line)
    return tuple(s for s in out if len(_content_words(s)) >= PROMPT_ECHO_WORDS)


def spoiler_lexicon(spoiler_sentences: Iterable[str], safe_sentences: Iterable[str]) -> frozenset[str]:
    """Words of a film's spoiler sentences that its safe sentences never use (nor opinion talk does)."""
    safe = set().union(*(_content_words(s) for s in safe_sentences))
    words = set().union(*(_content_words(s) for s in spoiler_sentences))
    return frozenset(words - safe - _OPINION_WORDS)


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


@dataclass(frozen=True, slots=True)
class GuardFilm:
    """What the guard knows of one film."""

    context: FilmContext
    allow: AllowList
    reviews: Sequence[Review]
    logline: str | None = None


class SpoilerGuard:
    def __init__(
        self,
        detector: SpoilerDetector,
        contexts: Sequence[FilmContext],
        *,
        threshold: float,
        known_spoilers: Sequence[str] = (),
        allow: Sequence[AllowList] = (),
        loglines: Sequence[str] = (),
        safe_sentences: Sequence[str] = (),
        lexicon_sentences: Sequence[str] | None = None,
        prompt_text: Sequence[str] = (),
        similarity: float = SIMILARITY,
    ) -> None:
        """`known_spoilers`: sentences a model's sentence must not paraphrase; `lexicon_sentences`
        (default: the same): the revealing ones, whose particular words make the spoiler lexicon."""
        self.detector = detector
        self.contexts = list(contexts) or [FilmContext()]
        self.threshold = threshold
        self.similarity = similarity
        self.allow = list(allow)
        # People of the craft are named in opinions and reveals alike: their names prove nothing.
        self._people = frozenset().union(*(a.names.people for a in self.allow))
        self._known = [(s, self._words(s)) for s in known_spoilers if s.strip()]
        self._premise = " ".join(loglines).lower()
        lexicon_from = known_spoilers if lexicon_sentences is None else lexicon_sentences
        # The film's revealing sentences (what its reviews give away): shown to the model-as-checker.
        self.revealing: tuple[str, ...] = tuple(s for s in lexicon_from if s.strip())
        self._lexicon = spoiler_lexicon(lexicon_from, safe_sentences) - self._people
        self._prompt = [_content_words(s) for s in prompt_text]

    @classmethod
    def for_films(
        cls,
        detector: SpoilerDetector,
        films: Sequence[GuardFilm],
        *,
        threshold: float,
        prompts: PromptSet | None = None,
    ) -> SpoilerGuard:
        """A guard for the films an answer may talk about: their contexts, allow-lists, known spoiler
        sentences (the allow-list's plot sentences), safe sentences and loglines."""
        plot: list[str] = []
        strong: list[str] = []
        safe: list[str] = []
        for film in films:
            for review in film.reviews:
                for sentence in review.sentences:
                    verdict = film.allow.classify(review.id, sentence)
                    if verdict.kind is Kind.PLOT:
                        plot.append(sentence.text)
                        if any(r.partition(":")[0] in _REVEALING for r in verdict.reasons):
                            strong.append(sentence.text)
                    elif verdict.kind is Kind.SAFE:
                        safe.append(sentence.text)
        return cls(
            detector, [f.context for f in films], threshold=threshold, known_spoilers=plot,
            allow=[f.allow for f in films], loglines=[f.logline or "" for f in films], safe_sentences=safe,
            lexicon_sentences=strong, prompt_text=prompt_sentences(prompts) if prompts is not None else (),
        )

    def _words(self, text: str) -> frozenset[str]:
        return _content_words(text) - self._people

    # --- single sentences ------------------------------------------------------------------------
    def unusable(self, sentence: str) -> str | None:
        """Why a sentence goes in every mode (see `unusable_reason`, and echoes of our prompts)."""
        reason = unusable_reason(sentence)
        if reason:
            return reason
        words = _content_words(sentence)
        if len(words) >= PROMPT_ECHO_WORDS and any(
            len(words & p) >= max(PROMPT_ECHO_WORDS, PROMPT_ECHO_SHARE * len(words)) for p in self._prompt
        ):
            return "prompt_echo"
        return None

    def spoiler_reason(self, span: SentenceSpan, mode: Mode = "spoilers") -> str | None:
        """Why this sentence counts as a spoiler ('markup', 'plot', 'no_opinion', 'detector', 'lexicon',
        'similar'), or None. A sentence must also be an opinion (the allow-list's anchor): a model's
        sentence that only tells what happens is plot, cue words or not. In spoilers mode that means
        hidden behind `||…||` ("the woman he saw fall was not the woman he followed" has no cue word)."""
        if span.marked or span.warned:
            return "markup"
        if self.plot_reasons(span.text):
            return "plot"
        if not opinion_reasons(span.text):
            return "no_opinion"
        alone = dataclasses.replace(span, idx=0)  # position in our own text means nothing
        if any(self.detector.score_span(alone, 1, False, c).score >= self.threshold for c in self.contexts):
            return "detector"
        if self.uses_lexicon(span.text):
            return "lexicon"
        if self.matches_known_spoiler(span.text):
            return "similar"
        return None

    def plot_reasons(self, sentence: str) -> list[str]:
        """Plot content by the allow-list's rules, less what the logline itself says (the premise)."""
        found: list[str] = []
        for names in [a.names for a in self.allow] or [_NO_NAMES]:
            for reason in plot_reasons(sentence, names):
                label, _, term = reason.partition(":")
                if label in _PREMISE_REASONS and term and term.lower() in self._premise:
                    continue
                found.append(reason)
        return found

    def uses_lexicon(self, sentence: str) -> bool:
        hits = self._words(sentence) & self._lexicon
        return len(hits) >= 3 or (len(hits) >= 1 and any(p.search(sentence) for p in _EVENT))

    def matches_known_spoiler(self, sentence: str) -> bool:
        words = self._words(sentence)
        if len(words) < SHARED_WORDS:
            return False
        for known, known_words in self._known:
            shared = len(words & known_words)
            if shared < SHARED_WORDS:
                continue
            if shared >= PARAPHRASE_SHARE * len(words):
                return True
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
        # A point the model files under `plot` is plot content whatever its flag says: out of a
        # spoiler-free answer, and every sentence of it hidden in spoilers mode (fail closed).
        plot = point.spoiler or point.aspect == "plot"
        if mode == "spoiler_free" and plot:
            report.drop("model_flag", len(spans))
            return None
        kept: list[tuple[str, bool]] = []  # (sentence, hide)
        for span in spans:
            judged = dataclasses.replace(span, text=without_markup(span.text))
            bad = self.unusable(span.text)
            spoiler = None if bad else self.spoiler_reason(judged, mode)
            if bad or (spoiler and mode == "spoiler_free"):
                report.drop(bad or spoiler or "")
                continue
            if spoiler:
                report.reasons[f"hidden_{spoiler}"] += 1
            kept.append((span.text, bool(spoiler) or plot))
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
            if self.unusable(span.text):
                dropped += 1
            elif self.spoiler_reason(span, "spoiler_free"):
                spoilers.append(span.text)
            else:
                safe.append(span.text)
        return " ".join(safe), " ".join(spoilers), dropped


def without_markup(sentence: str) -> str:
    """The sentence without the block markdown around it (what is shown is neutralised apart)."""
    return _BLOCK_MARKUP.sub("", sentence).strip() or sentence


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
