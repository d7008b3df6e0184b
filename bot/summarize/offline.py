"""The offline summarizer: extractive, grouped by topic, spoiler-filtered. Needs no LLM.

For each topic (acting, direction, writing, look, sound, pacing, mood) it reports how reviewers
lean (praise, criticism, split) and quotes the most representative sentence or two: the ones that
share the most words with what other reviewers said on that topic, one per review, near-duplicates
dropped. Spoiler-free mode uses only sentences the allow-list finds positively safe (bot/spoilers/
allowlist.py); spoilers mode adds a plot section and hides every other sentence behind `||…||`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.spoilers.allowlist import AllowList, Kind
from bot.spoilers.detector import tokens
from bot.spoilers.lexicon import HEDGE, STOPWORDS
from bot.text.markdown import escape_markdown
from bot.text.safety import unsafe_reason
from bot.text.segments import wrap_spoiler
from bot.text.topics import TOPIC_LABELS, sentiment
from storage.records import Film, Review, Sentence

SUMMARY_CHAR_LIMIT = 1800  # Discord allows 2,000; front doors add a one-line note
TOPIC_ORDER = ("acting", "direction", "writing", "look", "sound", "pacing", "mood")
MIN_WORDS, MAX_WORDS = 6, 48
MAX_QUOTE_CHARS = 400  # a "sentence" longer than this (one with no stops) is no quote
LABEL_CHARS = 150  # of a film's label in the header (imported titles may be longer)
_QUESTION = re.compile(r"\?\s*$")
# Sentences about the review itself ("Plot talk below, hidden for the Discord crowd.") say nothing
# about the film.
_META = re.compile(r"\b(?:spoil\w*|tagged|below|hidden|warning|this review|stop reading|read on)\b", re.I)


@dataclass(frozen=True, slots=True)
class Candidate:
    review: Review
    sentence: Sentence
    words: frozenset[str]
    polarity: int

    @property
    def is_spoiler_marked(self) -> bool:
        return self.sentence.author_marked


@dataclass(slots=True)
class OfflineSummary:
    text: str
    sources: list[int] = field(default_factory=list)
    spoiler_sentences_used: int = 0


def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in tokens(text) if w not in STOPWORDS and len(w) > 2)


def _usable(sentence: Sentence) -> bool:
    words = len(sentence.text.split())
    text = sentence.text
    if unsafe_reason(text):  # links, @-mentions, injection talk: never quoted
        return False
    if len(text) > MAX_QUOTE_CHARS:
        return False
    return MIN_WORDS <= words <= MAX_WORDS and not (_QUESTION.search(text) or HEDGE.search(text) or _META.search(text))


def _lean(candidates: Sequence[Candidate]) -> str:
    by_review: dict[int, int] = {}
    for c in candidates:
        by_review[c.review.id] = by_review.get(c.review.id, 0) + c.polarity
    positive = sum(1 for v in by_review.values() if v > 0)
    negative = sum(1 for v in by_review.values() if v < 0)
    total = len(by_review)
    reviewers = f"{total} review{'s' if total != 1 else ''}"
    if positive > negative:
        return f"praised ({reviewers})" if not negative else f"mostly praised ({positive} of {reviewers})"
    if negative > positive:
        return f"criticised ({reviewers})" if not positive else f"mostly criticised ({negative} of {reviewers})"
    if positive:
        return f"opinions split ({reviewers})"
    return f"discussed in {reviewers}"


def _pick(
    candidates: Sequence[Candidate], count: int, used_reviews: dict[int, int], used: set[tuple[int, int]] | None = None
) -> list[Candidate]:
    """The most central sentences: most content words shared with the other candidates.

    `used` holds (review id, sentence index) already quoted elsewhere in the summary.
    """
    used = used if used is not None else set()

    def centrality(c: Candidate) -> float:
        overlap = sum(len(c.words & o.words) / (len(c.words | o.words) or 1) for o in candidates if o is not c)
        length = len(c.sentence.text)
        length_fit = 1.0 if 60 <= length <= 220 else 0.6
        return (overlap + 0.3 * abs(c.polarity)) * length_fit - 0.5 * used_reviews.get(c.review.id, 0)

    chosen: list[Candidate] = []
    for candidate in sorted(candidates, key=centrality, reverse=True):
        if any(candidate.review.id == c.review.id for c in chosen):
            continue
        if (candidate.review.id, candidate.sentence.idx) in used:
            continue
        if any(fuzz.token_set_ratio(candidate.sentence.text, c.sentence.text) >= 70 for c in chosen):
            continue
        chosen.append(candidate)
        used.add((candidate.review.id, candidate.sentence.idx))
        if len(chosen) == count:
            break
    return chosen


def _quote(candidate: Candidate, *, hide: bool) -> str:
    """A sentence and its author, their own markup escaped: a reviewer's `||` or `**` (in the text
    or in a name) must not open or close the bot's spoiler and bold spans."""
    text = escape_markdown(candidate.sentence.text)
    body = wrap_spoiler(text) if hide else text
    return f"“{body}” ({escape_markdown(candidate.review.author)})"


def summary_header(film: Film, reviews: Sequence[Review]) -> str:
    """"**Title (Year)** · N reviews · average x/5 from M ratings": the first line of every summary,
    offline or LLM-written. The title sits inside our bold markup, so its own `**` or `||` is escaped."""
    ratings = [r.rating for r in reviews if r.rating is not None]
    label = film.label if len(film.label) <= LABEL_CHARS else film.label[: LABEL_CHARS - 1] + "…"
    header = f"**{escape_markdown(label)}** · {len(reviews)} review{'s' if len(reviews) != 1 else ''}"
    if ratings:
        header += f" · average {sum(ratings) / len(ratings):.1f}/5 from {len(ratings)} rating"
        header += "s" if len(ratings) != 1 else ""
    return header


def summarize_offline(
    film: Film,
    reviews: Sequence[Review],
    *,
    spoilers: bool,
    threshold: float,
    char_limit: int = SUMMARY_CHAR_LIMIT,
) -> OfflineSummary:
    header = summary_header(film, reviews)
    if not reviews:
        return OfflineSummary(f"{header}\nNo reviews are stored for this film yet.")

    allow = AllowList.for_film(film, reviews, threshold=threshold)
    candidates_by_topic: dict[str, list[Candidate]] = {t: [] for t in (*TOPIC_ORDER, "verdict", "plot")}
    for review in reviews:
        for sentence in review.sentences:
            if not _usable(sentence):
                continue
            # The allow-list decides (bot/spoilers/allowlist.py): only positively safe opinions are
            # shown plainly; instructions never; everything else only hidden, in spoilers mode.
            kind = allow.classify(review.id, sentence).kind
            safe = kind is Kind.SAFE
            if kind is Kind.INSTRUCTION or (not safe and not spoilers):
                continue
            candidate = Candidate(review, sentence, _content_words(sentence.text), sentiment(sentence.text))
            if not safe:
                candidates_by_topic["plot"].append(candidate)
                continue
            topics = [t for t in sentence.topics if t in candidates_by_topic] or []
            for topic in topics[:2]:
                candidates_by_topic[topic].append(candidate)

    used: dict[int, int] = {}
    quoted: set[tuple[int, int]] = set()
    sections: list[tuple[str, list[Candidate]]] = []
    for topic in TOPIC_ORDER:
        pool = candidates_by_topic[topic]
        if not pool:
            continue
        chosen = _pick(pool, 2 if len({c.review.id for c in pool}) > 2 else 1, used, quoted)
        if not chosen:
            continue
        for c in chosen:
            used[c.review.id] = used.get(c.review.id, 0) + 1
        quotes = " ".join(_quote(c, hide=False) for c in chosen)
        sections.append((f"**{TOPIC_LABELS[topic]}**: {_lean(pool)}. {quotes}", chosen))

    verdict = _verdict_line(reviews, candidates_by_topic["verdict"], used, quoted)
    plot_section: tuple[str, list[Candidate]] | None = None
    if spoilers and candidates_by_topic["plot"]:
        plot = sorted(candidates_by_topic["plot"], key=lambda c: -c.sentence.spoiler_score)
        chosen = _pick(plot, 3, {})
        chosen.sort(key=lambda c: (c.review.id, c.sentence.idx))
        plot_section = (
            "**Plot and ending (spoilers)**: " + " ".join(_quote(c, hide=True) for c in chosen),
            chosen,
        )

    lines = [header]
    sources: list[int] = []
    budget = char_limit - len(header) - len(verdict[0]) - 4
    ordered = ([plot_section] if plot_section else []) + sections
    kept: list[tuple[str, list[Candidate]]] = []
    for text, chosen in ordered:
        if len(text) + 1 <= budget:
            kept.append((text, chosen))
            budget -= len(text) + 1
    for text, chosen in [s for s in sections if s in kept] + ([plot_section] if plot_section in kept else []):
        lines.append(text)
        sources.extend(c.review.id for c in chosen)
    if verdict[0]:
        lines.append(verdict[0])
        sources.extend(verdict[1])
    spoiler_count = len(plot_section[1]) if plot_section and plot_section in kept else 0
    return OfflineSummary("\n".join(lines), list(dict.fromkeys(sources)), spoiler_count)


def _verdict_line(
    reviews: Sequence[Review], pool: Sequence[Candidate], used: dict[int, int], quoted: set[tuple[int, int]]
) -> tuple[str, list[int]]:
    ratings = [r.rating for r in reviews if r.rating is not None]
    parts = []
    if ratings:
        high = sum(1 for r in ratings if r >= 3.5)
        low = sum(1 for r in ratings if r <= 2)
        parts.append(f"{high} of {len(ratings)} rate it 3.5 or more" + (f", {low} rate it 2 or less" if low else ""))
    chosen = _pick(pool, 1, used, quoted) if pool else []
    if chosen:
        parts.append(_quote(chosen[0], hide=False))
    if not parts:
        return "", []
    return "**Verdict**: " + ". ".join(parts), [c.review.id for c in chosen]
