"""Checks on what a model wrote, before the spoiler guard: is it ours to show at all?

Small local models (Qwen2.5 1.5B/0.5B, tried on real reviews) made four kinds of unusable points,
each with nothing to do with spoilers:
- **prompt echo**: the prompt's own example or instruction text returned as content (a whole
  spoilers-mode summary was the example sentence about "the hero" dying);
- **unsupported claims**: opinions no reviewer had ("The reviewer was disappointed with the movie")
  and invented endings in answer to "how does it end?";
- **pasted paragraphs**: a review's sentences copied wholesale into one point;
- **half-sentences** (handled when parsing: `bot.llm.schema.complete_sentences`);
- **flipped judgements**: the words are the review's, the side is not ("Daniel Craig's accent is also
  praised" of a review that calls it "epically bad").

A point's sentences are checked one by one; unusable ones are removed, and a point with none left is
dropped. Support is judged against the text the model was shown for the reviews the point cites
(content-word overlap after stemming, with a few groups of words reviewers use interchangeably).
A point whose cited reviews do not support it but another shown review does is kept and re-cited to
that review: small models often cite the wrong id, and a correct citation matters to the reader.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

from bot.llm.schema import Point
from bot.llm.spotlight import unmark
from bot.spoilers.lexicon import STOPWORDS
from bot.text.segments import split_review
from bot.text.topics import opinions_in, ratings_in, valence

SUPPORT_SHARE = 0.5  # of a sentence's content words, found in the review(s) it comes from
ECHO_NGRAM = 4  # a sentence is prompt echo when most of its 4-word runs are in the prompt ...
ECHO_SHARE = 0.5
ECHO_LONG_RUN = 7  # ... or it repeats any 7 words of it in a row
PASTE_RUN = 20  # words copied in a row from one review: a pasted passage, not a summary
RATING_SLACK = 0.26  # of 5: "8/10" is 4/5, and a rating rounded to the half star is the same rating

CONTRADICTED_SCORE = 0.35  # a review clause this clearly on the other side contradicts a point
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# A review clause with a negation or a hedge is read too often on the wrong side to overrule a model.
_UNSURE = re.compile(r"\b(?:not|no|never|nothing|without|hardly|barely|lack\w*|if|maybe|perhaps)\b|n't\b",
                     re.IGNORECASE)
# "The reviews do not say how it ends": saying the material is silent claims nothing to support.
_NO_CLAIM = re.compile(
    r"\b(?:not|n't|no|none|nothing)\b.{0,40}\b(?:say|says|said|mention|mentions|mentioned|discuss|discusses|"
    r"cover|covers|answer|answers|know|describe|describes)\b",
    re.IGNORECASE,
)
# Words that only say a rating was given ("gave it 4/5", "rated 8/10"): supported when the numbers are.
_RATING_WORDS = (
    "rating ratings rated rate rates give gives gave given giving star stars score scores scored grade graded"
    " mark marks average".split()
)
_CODE = re.compile(r"[<>{}\[\]]")  # markup, JSON or a template: never a summary's prose
# A word in capitals: a placeholder when our prompts use it as one (SENTENCE, ID). Reviews use others
# (CGI, IMAX, MCU), and an ellipsis ends many a model's sentence: neither is a placeholder.
_CAPS = re.compile(r"\b[A-Z]{2,}(?:_[A-Z]+)*\b")

# Words every summary uses that say nothing a review must support.
_FRAME = frozenset(
    """
    review reviews reviewer reviewers critic critics film films movie movies one two three most many some
    several few others other overall also though however although while whereas still yet even
    say says said saying think thinks thought find finds found feel feels felt call calls called describe
    describes described note notes noted mention mentions mentioned agree agrees agreed disagree
    disagrees split opinion opinions view views viewer viewers audience audiences people watch watched
    watching make makes made seem seems seemed consider considers considered point points praise praises
    praised praising criticise criticises criticised criticize criticizes criticized criticism highlight
    highlights highlighted aspect aspects verdict generally particularly especially really quite rather
    much well thing things way something whole entire throughout overwhelmingly highly largely mostly mainly
    widely judge judges judged judging judgement judgment quality indicate indicates indicating indicated
    suggest suggests suggesting suggested show shows showing showed
    """.split()
)
# Words reviewers use for the same aspect or the same judgement; a match within a group counts.
_GROUPS = (
    "act acting actor actors actress cast performance performances perform performed portray portrayal role",
    "direct directed direction director directing filmmaker filmmaking helm",
    "write written writing writer script screenplay dialogue dialog story storytelling",
    "visual visuals look looks cinematography photography shot shots camera image images imagery beautiful"
    " gorgeous stunning lush",
    "sound music score soundtrack audio song songs",
    "pace pacing paced slow slowly drag drags dragged long length lengthy runtime tedious",
    "tone mood atmosphere atmospheric feel tense tension suspense suspenseful",
    "good great excellent superb brilliant wonderful terrific strong fine impressive outstanding amazing"
    " masterful masterpiece best love loved loves enjoy enjoyed enjoyable like liked admire admired"
    " recommend recommended praise effective moving compelling solid positive positively favourable favorable",
    "bad poor weak worst awful terrible disappointing disappointed disappointment dull boring bored"
    " hate hated dislike disliked flat mediocre tedious clumsy forgettable fail fails failed negative negatively"
    " unfavourable unfavorable",
    "funny humour humor comedy comic hilarious laugh laughs",
    "scary horror frightening terrifying creepy fear dread",
)


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


def _stems(words: Iterable[str]) -> list[str]:
    return list(_stemmer().stemWords(list(words)))


@lru_cache(maxsize=1)
def _group_of() -> dict[str, int]:
    groups: dict[str, int] = {}
    for number, line in enumerate(_GROUPS):
        for stem in _stems(line.split()):
            groups.setdefault(stem, number)
    return groups


@lru_cache(maxsize=1)
def _rating_stems() -> frozenset[str]:
    return frozenset(_stems(_RATING_WORDS))


def words(text: str) -> list[str]:
    return [w.casefold().replace("’", "'") for w in _WORD.findall(unmark(text))]


def content_stems(text: str) -> list[str]:
    return _stems(_topic_words(text))


def _topic_words(text: str) -> list[str]:
    """The words of `text` that could name what it judges: content words, not frame words."""
    return [w for w in words(text) if len(w) > 2 and w not in STOPWORDS and w not in _FRAME]


def _ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@dataclass(frozen=True, slots=True)
class Source:
    """What the model was shown of one review (its stems and word runs, precomputed)."""

    stems: frozenset[str]
    groups: frozenset[int]
    runs: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, text: str) -> Source:
        stems = frozenset(content_stems(text))
        groups = _group_of()
        runs = frozenset(_ngrams(words(text), PASTE_RUN))
        return cls(stems, frozenset(groups[s] for s in stems if s in groups), runs)

    @classmethod
    def union(cls, sources: Iterable[Source]) -> Source:
        parts = list(sources)
        return cls(
            frozenset().union(*(p.stems for p in parts)),
            frozenset().union(*(p.groups for p in parts)),
            frozenset().union(*(p.runs for p in parts)),
        )

    def supports(self, stems: list[str]) -> bool:
        if not stems:
            return True  # a sentence with no content words claims nothing
        groups = _group_of()
        found = sum(1 for s in stems if s in self.stems or groups.get(s, -1) in self.groups)
        return found >= max(1, SUPPORT_SHARE * len(stems))


@dataclass(frozen=True, slots=True)
class JudgedSentence:
    """A review sentence's stems, and its clauses that judge something: (stems, side, sure)."""

    stems: frozenset[str]
    clauses: tuple[tuple[frozenset[str], str, bool], ...]

    @classmethod
    def all_of(cls, text: str) -> list[JudgedSentence]:
        out = []
        for span in split_review(unmark(text)):
            clauses = []
            for op in opinions_in(span.text):
                if op.polarity is None:
                    continue
                clause = span.text[op.start : op.end]
                sure = abs(op.score) >= CONTRADICTED_SCORE and not _UNSURE.search(clause)
                clauses.append((frozenset(content_stems(clause)), op.polarity, sure))
            out.append(cls(frozenset(content_stems(span.text)), tuple(clauses)))
        return out

    def side_on(self, anchors: frozenset[str]) -> str | None:
        """The side of a clause that names all of `anchors` and takes one clearly (None: no such clause,
        or clauses on both sides)."""
        sides = {side for stems, side, sure in self.clauses if anchors <= stems and sure}
        return sides.pop() if len(sides) == 1 else None


@dataclass(slots=True)
class CheckReport:
    """What the checks removed from one answer, by reason."""

    sentences_in: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    removed: list[tuple[str, bool]] = field(default_factory=list)  # (sentence, the model's spoiler flag)

    @property
    def sentences_dropped(self) -> int:
        return sum(self.reasons.values())

    def describe(self) -> str:
        return ", ".join(f"{n} {reason}" for reason, n in self.reasons.most_common())


class PromptEcho:
    """Recognises text taken from our own prompts (instructions, examples, placeholders)."""

    def __init__(self, prompt_texts: Iterable[str]) -> None:
        prompt_texts = list(prompt_texts)
        short: set[tuple[str, ...]] = set()
        long: set[tuple[str, ...]] = set()
        for text in prompt_texts:
            tokens = words(text)
            short |= _ngrams(tokens, ECHO_NGRAM)
            long |= _ngrams(tokens, ECHO_LONG_RUN)
        self._short = frozenset(short)
        self._long = frozenset(long)
        self._placeholders = frozenset(
            word for text in prompt_texts for word in _CAPS.findall(text) if word.lower() not in STOPWORDS
        )  # "NOT" is emphasis, not a placeholder
        _group_of()  # loads the stemmer (~0.3 s the first time) at start-up, not on someone's request

    def echoes(self, sentence: str) -> bool:
        if _CODE.search(sentence) or not self._placeholders.isdisjoint(_CAPS.findall(sentence)):
            return True  # SENTENCE, ID, <…>, {…}: a placeholder, or code, is never content
        tokens = words(sentence)
        if len(tokens) < ECHO_NGRAM:
            return False
        if _ngrams(tokens, ECHO_LONG_RUN) & self._long:
            return True
        grams = _ngrams(tokens, ECHO_NGRAM)
        return len(grams & self._short) >= ECHO_SHARE * len(grams)


class PointChecker:
    """Removes prompt echo, pasted passages and unsupported sentences from one answer's points."""

    def __init__(
        self,
        echo: PromptEcho,
        shown: Mapping[int, str],
        *,
        background: str = "",
        names: Iterable[str] = (),
        ratings: Iterable[float] = (),
        silence_answers: bool = True,
    ) -> None:
        """`shown`: review id -> the text the model was shown of it. `background`: other material
        (film facts) that may support a sentence but is not a review to cite. `names`: the film's
        title and the names of its makers and cast, which a sentence may use freely: they are left out
        of the count ("Morgan Freeman and Brad Pitt are superb" is judged by "superb" alone).
        `ratings`: the reviews' ratings out of 5 (ratings stated in the shown text count too): a
        sentence that gives ratings is supported only when each is one of these or their average.
        `silence_answers`: "the reviews do not say" is an answer to a question (/ask), kept unjudged;
        in a summary (False) it is no point at all ("None of the reviews discuss acting." four times
        over was a 1.5B model's whole summary) and is removed."""
        self._echo = echo
        self._shown = dict(shown)
        self._background_text = background
        self._silence_answers = silence_answers
        self._names = frozenset(stem for name in names for stem in content_stems(name))
        self._ratings = [*ratings, *(r for text in [*self._shown.values(), background] for r in ratings_in(text))]
        if self._ratings:
            self._ratings.append(sum(self._ratings) / len(self._ratings))
        self._built: tuple[dict[int, Source], Source | None] | None = None
        self._judged: list[JudgedSentence] | None = None

    @property
    def _sources(self) -> dict[int, Source]:
        return self._build()[0]

    @property
    def _background(self) -> Source | None:
        return self._build()[1]

    def _build(self) -> tuple[dict[int, Source], Source | None]:
        """Stemming every shown review takes a while in pure Python: done on the first answer, not
        before the call (a failed call never pays for it)."""
        if self._built is None:
            background = self._background_text
            self._built = (
                {review_id: Source.of(text) for review_id, text in self._shown.items()},
                Source.of(background) if background.strip() else None,
            )
        return self._built

    def check(self, point: Point, report: CheckReport | None = None) -> Point | None:
        report = report if report is not None else CheckReport()
        kept: list[str] = []
        supporters: Counter[int] = Counter()
        cited = [i for i in point.sources if i in self._sources]
        spans = split_review(point.text)
        if self._pasted(point.text):  # a paragraph copied whole: its sentences are each short enough
            report.sentences_in += len(spans)
            report.reasons["pasted"] += len(spans)
            report.removed.extend((span.text, point.spoiler) for span in spans)
            return None
        for span in spans:
            sentence = span.text.strip()
            report.sentences_in += 1
            reason, by = self._judge(sentence, cited)
            if reason:
                report.reasons[reason] += 1
                report.removed.append((sentence, point.spoiler))
                continue
            kept.append(sentence)
            supporters.update(by)
        if not kept:
            return None
        sources = tuple(dict.fromkeys([*(i for i in cited if i in supporters), *supporters]))
        return replace(point, text=" ".join(kept), sources=tuple(i for i in sources if i >= 0) or tuple(cited))

    def _contradicted(self, sentence: str) -> bool:
        """Does a clause of `sentence` take a side on something (an accent, a subplot) that every review
        sentence naming it takes the other side on, clearly? Names, frame and judging words are not what a
        clause is about; a review clause with a negation or a hedge decides nothing (read too often on the
        wrong side), and neither does a thing no review sentence names."""
        if self._judged is None:
            self._judged = [j for text in self._shown.values() for j in JudgedSentence.all_of(text)]
        for op in opinions_in(sentence):
            if op.polarity is None:
                continue
            topic = _topic_words(sentence[op.start : op.end])
            anchors = frozenset(
                stem for word, stem in zip(topic, _stems(topic), strict=True)
                if stem not in self._names and stem not in _rating_stems() and not valence(word)
            )
            if not anchors:
                continue
            sides = [j.side_on(anchors) for j in self._judged if anchors <= j.stems]
            if sides and all(side is not None and side != op.polarity for side in sides):
                return True
        return False

    def _pasted(self, text: str) -> bool:
        runs = _ngrams(words(text), PASTE_RUN)
        return bool(runs) and any(runs & s.runs for s in self._sources.values())

    def filter_text(self, text: str, review_id: int) -> str:
        """Free text made from one review (a digest) without echoed, pasted or unsupported sentences."""
        kept = []
        for span in split_review(text):
            sentence = span.text.strip()
            reason, _ = self._judge(sentence, [review_id], recite=False)
            if reason is None:
                kept.append(sentence)
        return " ".join(kept)

    def _judge(self, sentence: str, cited: list[int], *, recite: bool = True) -> tuple[str | None, list[int]]:
        if self._echo.echoes(sentence):
            return "prompt_echo", []
        if self._pasted(sentence):
            return "pasted", []
        stems = [stem for stem in content_stems(sentence) if stem not in self._names]
        if claimed := ratings_in(sentence):
            if not all(any(abs(c - r) <= RATING_SLACK for r in self._ratings) for c in claimed):
                return "unsupported", []  # a rating no review gives
            stems = [stem for stem in stems if stem not in _rating_stems()]
        if _NO_CLAIM.search(sentence):
            return (None, []) if self._silence_answers else ("says_nothing", [])
        if not stems:
            return None, []
        by = [i for i in cited if self._sources[i].supports(stems)]
        if not by and len(cited) > 1 and Source.union(self._sources[i] for i in cited).supports(stems):
            by = cited  # "most reviewers praise the score; one finds it loud": each cited review says part
        if not by and recite:  # mis-cited? Any shown review that supports it
            by = [i for i, s in self._sources.items() if s.supports(stems)][:2]
        if not by and self._background is not None and self._background.supports(stems):
            by = [-1]  # the film facts say it: nothing to cite
        if not by:
            return "unsupported", []
        if self._contradicted(sentence):
            return "contradicted", []  # the review's words with the other side: worse than no point
        return None, by
