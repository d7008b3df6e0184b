"""Word searches as data, so the service layer never writes a backend's query syntax.

The service layer decides *what* to look for (the words typed, their typo corrections, a half-typed
last word); each backend turns that into its own index's language: FTS5 MATCH on SQLite
(`fts5_*` below), `to_tsquery` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    """One word to find, whole or (prefix=True) as the start of a longer word."""

    word: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class WordQuery:
    """Names containing, for every group (or, with match_all=False, for at least one group), one of
    that group's terms: the words typed, each with its corrections."""

    groups: tuple[tuple[Term, ...], ...]
    match_all: bool = True

    def any_group(self) -> WordQuery:
        return WordQuery(self.groups, match_all=False)


@dataclass(frozen=True, slots=True)
class CandidateQuery:
    """The index stage of ranking a name that was not found exactly: the names equal to `norm` in any
    year (if `exact`), the first `limit` names starting with it and, only if those are fewer than
    `limit` films, names containing its words: the queries `words()` gives, in turn until one finds
    names (up to `word_limit` of them).

    `words` is a function because building the queries costs a typo correction per word: a backend
    whose every query is a round trip (PostgreSQL) calls it up front and sends everything in one
    statement; one that reads in-process (SQLite) calls it only when the word stage runs."""

    norm: str
    limit: int
    exact: bool
    words: Callable[[], Sequence[WordQuery]]
    word_limit: int


@dataclass(frozen=True, slots=True)
class TitleQuery:
    """Resolving a typed name: the exact names `variants` (the name as typed, then without its
    article), in turn until one is found, of `year` if given; if none is, the `candidates`."""

    variants: tuple[str, ...]
    year: int | None = None
    candidates: CandidateQuery | None = None


def fts5_term(term: Term) -> str:
    """A word as an FTS5 string token (quoted, so words like AND/OR/NEAR are just words)."""
    token = '"' + term.word.replace('"', '""') + '"'
    return token + "*" if term.prefix else token


def fts5_query(query: WordQuery) -> str:
    """`("dear") AND ("comrads" OR "comrades" OR "comrads"*)`."""
    groups = ["(" + " OR ".join(dict.fromkeys(fts5_term(t) for t in group)) + ")" for group in query.groups if group]
    return (" AND " if query.match_all else " OR ").join(groups)


def fts5_any_prefix(words: Sequence[str]) -> str:
    """Any of the words, each as a prefix: `"act"* OR "perform"*`."""
    return " OR ".join(fts5_term(Term(w, prefix=True)) for w in words)
