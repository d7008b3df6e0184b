"""How a summary is checked against the labels: leaks, reveals outside spoiler bars, coverage.

A leak is counted generously (the metric errs towards reporting one): a spoiler sentence leaks
into an answer when a sentence of the answer shares a run of six or more words with it, quotes four
or more of its words, or carries 60% or more of its content words (at least four of them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bench.realworld.textkit import normalize, split_sentences

SPOILER_SPAN = re.compile(r"\|\|.*?\|\|", re.DOTALL)
QUOTED = re.compile(r"[\"“”‘’']([^\"“”]{8,}?)[\"“”’']")
RUN_WORDS = 6
QUOTE_WORDS = 4
OVERLAP = 0.6
OVERLAP_MIN = 4

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each even ever every few film films for from
    further had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most movie my myself no nor not now of off on once one only or other our ours out over own
    really same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves much many s t don""".split()
)


def words(text: str) -> list[str]:
    return normalize(text).split()


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) > 2 and w not in STOPWORDS}


def _longest_run(a: list[str], b: list[str]) -> int:
    """Length of the longest run of consecutive words shared by a and b."""
    best = 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer prepared once for many look-ups."""

    sentences: tuple[tuple[list[str], set[str]], ...]
    quotes: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Answer:
        parts = [p for p in split_sentences(text.replace("\n", "\n\n")) if p.strip()]
        return cls(
            tuple((words(p), content_words(p)) for p in parts),
            tuple(normalize(q) for q in QUOTED.findall(text)),
        )


def leaks_into(sentence: str, answer: Answer) -> bool:
    """Does `answer` carry `sentence` (quoted, copied in part, or closely paraphrased)?"""
    sentence_words = words(sentence)
    if not sentence_words:
        return False
    content = content_words(sentence)
    joined = " ".join(sentence_words)
    for quote in answer.quotes:
        if len(quote.split()) >= QUOTE_WORDS and quote in joined:
            return True
    run_needed = min(RUN_WORDS, len(sentence_words))
    for answer_words, answer_content in answer.sentences:
        if len(sentence_words) >= 3 and _longest_run(sentence_words, answer_words) >= run_needed:
            return True
        shared = content & answer_content
        if len(shared) >= OVERLAP_MIN and len(shared) >= OVERLAP * len(content):
            return True
    return False


def outside_spoiler_bars(text: str) -> str:
    """The part of an answer a reader sees without clicking a spoiler: ||…|| spans removed."""
    return SPOILER_SPAN.sub(" ", text)


def leaked(sentences: Iterable[str], text: str) -> list[str]:
    answer = Answer.of(text)
    return [s for s in sentences if leaks_into(s, answer)]


def covered(patterns: Iterable[str], text: str) -> list[bool]:
    """Which key-opinion patterns the answer matches (case-insensitive regexes)."""
    return [re.search(p, text, re.IGNORECASE) is not None for p in patterns]
