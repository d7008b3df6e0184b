"""Choosing representative reviews when they do not all fit (the context window or today's budget).

Truncating would keep whichever reviews happen to come first (usually the oldest), so instead:
- strata by rating (low ≤ 2, middle, high ≥ 4, unrated) are filled in proportion to their size, so a
  film most people loved still shows its dissenters, and the reverse;
- within a stratum, voices are spread: an author already chosen waits until every other author of
  that stratum has had a turn;
- the most central reviews come first: the ones sharing most content words with the rest (what
  many reviewers said), rather than outliers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.spoilers.detector import tokens
from bot.spoilers.lexicon import STOPWORDS

CENTRALITY_SAMPLE = 200  # compare each review with at most this many others (O(n·k), not O(n²))


@dataclass(frozen=True, slots=True)
class Candidate:
    review_id: int
    author: str
    rating: float | None
    text: str  # what centrality is judged on (a digest or the review's sentences)
    tokens: int  # what choosing it costs


def stratum(rating: float | None) -> str:
    if rating is None:
        return "unrated"
    if rating <= 2:
        return "low"
    return "high" if rating >= 4 else "middle"


def _centrality(candidates: Sequence[Candidate]) -> dict[int, float]:
    words = {c.review_id: frozenset(w for w in tokens(c.text) if len(w) > 2 and w not in STOPWORDS) for c in candidates}
    ids = list(words)
    sample = ids if len(ids) <= CENTRALITY_SAMPLE else random.Random(len(ids)).sample(ids, CENTRALITY_SAMPLE)
    scores: dict[int, float] = {}
    for review_id in ids:
        mine = words[review_id]
        total = sum(len(mine & words[o]) / (len(mine | words[o]) or 1) for o in sample if o != review_id)
        scores[review_id] = total / max(len(sample) - 1, 1)
    return scores


def select_representative(candidates: Sequence[Candidate], budget: int) -> list[Candidate]:
    """A subset whose tokens sum to at most `budget`, spread as described above, in input order."""
    if sum(c.tokens for c in candidates) <= budget:
        return list(candidates)
    centrality = _centrality(candidates)
    strata: dict[str, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: (-centrality[c.review_id], c.review_id)):
        strata.setdefault(stratum(c.rating), []).append(c)
    sizes = {name: len(members) for name, members in strata.items()}
    taken = dict.fromkeys(strata, 0)
    authors: dict[str, set[str]] = {name: set() for name in strata}
    chosen: list[Candidate] = []
    left = budget
    while any(strata.values()):
        name = min((n for n in strata if strata[n]), key=lambda n: (taken[n] / sizes[n], -sizes[n]))
        pool = strata[name]
        pick = next((c for c in pool if c.author.casefold() not in authors[name]), pool[0])
        pool.remove(pick)
        if pick.tokens > left:
            continue  # too big for what is left; a smaller one may still fit
        chosen.append(pick)
        taken[name] += 1
        authors[name].add(pick.author.casefold())
        left -= pick.tokens
    order = {c.review_id: i for i, c in enumerate(candidates)}
    return sorted(chosen, key=lambda c: order[c.review_id])
