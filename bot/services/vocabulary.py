"""The words film names are made of, for correcting a misspelt word before searching.

Correcting words one at a time against the vocabulary (tens or hundreds of thousands of words)
scales where comparing the whole query with every stored name (a million names) does not.
"""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Corrections remembered per vocabulary (at most this many words, then forgotten at once).
REMEMBERED_CORRECTIONS = 10_000


class Vocabulary:
    def __init__(self, words: list[str]) -> None:
        self.words = frozenset(words)
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in self.words:
            self._by_length[len(word)].append(word)
        self._corrected: dict[tuple[str, int], tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def corrections(self, word: str, *, limit: int = 4) -> list[str]:
        """Known words within one edit (two for long words) of `word`, nearest first; a swap of
        neighbouring letters counts as one edit (OSA distance). Short words are not corrected:
        "cat" -> "car" is a different word, not a typo.

        Remembered: a vocabulary never changes (new names bring a new one), and on PostgreSQL a
        look-up corrects the words typed before it knows whether the name is found exactly
        (PgFilmRepository.lookup), so the words of titles typed right cost nothing the second time."""
        key = (word, limit)
        found = self._corrected.get(key)
        if found is None:
            if len(self._corrected) >= REMEMBERED_CORRECTIONS:
                self._corrected.clear()
            found = self._corrected[key] = tuple(self._corrections(word, limit))
        return list(found)

    def _corrections(self, word: str, limit: int) -> list[str]:
        if len(word) < 4 or word.isdigit():
            return []
        max_edits = 2 if len(word) >= 8 else 1
        pool = [w for n in range(len(word) - max_edits, len(word) + max_edits + 1) for w in self._by_length.get(n, ())]
        found = process.extract(word, pool, scorer=OSA.distance, score_cutoff=max_edits, limit=limit)
        return [w for w, _, _ in sorted(found, key=lambda f: (f[1], f[0]))]
