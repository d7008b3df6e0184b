"""Finding a film from what a person typed, and its facts.

Matching goes from cheap and certain to fuzzy:
1. exact normalised name (title, original title, alias; case, accents, punctuation and a leading
   article ignored), narrowed by a year given as "Title (2020)" or "Title 2020";
2. candidates from indexes only: names starting with the query (index range scan), and names
   containing its words (the backend's word index), each misspelt word first corrected against the
   vocabulary of all title words and the last word also completed as a prefix;
3. ranking of those candidates by rapidfuzz scores, plus "slips" (a name within one or two edits,
   a swap of neighbouring letters counting as one) that are taken outright.

Why this shape: comparing a query with every stored name is exact but costs a full scan (about
40 ms per 40,000 names, seconds at a million). Correcting the query's words against the title
vocabulary (rapidfuzz, OSA distance) and then asking the word index finds the same films through
indexes. A trigram MATCH was not enough: it needs every trigram of the query, so one wrong letter
("Comrads") finds nothing.

A different number is never a typo: "Toy Story 2" is not "Toy Story", so fuzzy and prefix matches
whose numbers differ from the query's are suggested but never taken as meant.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.errors import AmbiguousFilm, FilmChoice, FilmNotFound, InvalidInput
from bot.importers.records import MAX_YEAR, MIN_YEAR
from bot.services.vocabulary import Vocabulary
from bot.text.markdown import strip_display_controls
from bot.text.unicode import has_lone_surrogates, require_text
from storage.normalize import normalize_title, title_variants
from storage.ports import FilmStore
from storage.records import Film, TitleHit, TitleMatches
from storage.search import CandidateQuery, Term, TitleQuery, WordQuery

# A year at the very end, maybe in brackets. Searched for in the last six characters only: a
# pattern anchored at the start ("^(.+?)[\s,]*…$") backtracked for seconds over 10,000 commas.
_YEAR_END = re.compile(r"(?P<open>[\(\[]?)(?P<year>18[789]\d|19\d\d|20\d\d|21\d\d)(?P<close>[\)\]]?)\Z")
_FILM_ID = re.compile(r"^film:(\d{1,12})$")
ACCEPT_SCORE = 88.0  # a fuzzy match this good, clearly ahead of the next film, is taken as meant
SUGGEST_SCORE = 55.0
SLIP_SCORE = 92.0  # one slip of the finger (see _is_slip); two slips score 90
FUTURE_YEARS = 5  # "Title 2049" is a title: release years are at most this far ahead
TITLE_STOPWORDS = frozenset("the a an of and in on to at for with from by la le les el los de des der die das".split())


@dataclass(frozen=True, slots=True)
class FilmFacts:
    film: Film
    review_count: int
    average_rating: float | None


def split_year(query: str) -> tuple[str, int | None]:
    """'Psycho (1998)' -> ('Psycho', 1998); a title that is only a year ('1917') stays a title,
    and so does a bare number too far in the future to be a release year ('Blade Runner 2049').
    A year in brackets is a year whatever its value: imports accept films up to 2100, and
    'Title (2100)' must find one (resolve also tries the whole text as a title)."""
    query = query.strip()
    match = _YEAR_END.search(query, max(0, len(query) - 6))
    if not match:
        return query, None
    end = match.start()
    while end > 0 and (query[end - 1].isspace() or query[end - 1] == ","):  # "Dune, 2021", "Dune (2021)"
        end -= 1
    title = query[:end]
    if not normalize_title(title):
        return query, None
    year = int(match.group("year"))
    bracketed = bool(match.group("open") and match.group("close"))
    if bracketed or year <= datetime.now(UTC).year + FUTURE_YEARS:
        return title, year
    return query, None


# Roman numerals and number words as whole words count as numbers ("Rocky III" is not "Rocky II",
# "Ocean's Twelve" is not "Ocean's Eleven"), with their values ("Rocky 2" is "Rocky II"). "i" is
# left out: as a word it is nearly always the pronoun ("I, Tonya").
_ROMAN = {
    numeral: value
    for value, numeral in enumerate(
        "- - ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx".split()
    )
    if numeral != "-"
}
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}


def _numbers(norm: str) -> list[int]:
    """The numbers a normalised title carries, in order: digits, Roman numerals, number words."""
    found = []
    for word in norm.split():
        if word.isdigit():
            found.append(int(word))
        elif word in _ROMAN:
            found.append(_ROMAN[word])
        elif word in _NUMBER_WORDS:
            found.append(_NUMBER_WORDS[word])
    return found


def numbers_as_digits(norm: str) -> str:
    """A normalised title with its numerals and number words written as digits: "rocky ii" ->
    "rocky 2", so "Rocky 2" and "Rocky II" compare equal."""
    return " ".join(str(_ROMAN.get(w, _NUMBER_WORDS.get(w, w))) for w in norm.split())


def same_numbers(norm_a: str, norm_b: str) -> bool:
    """Do two normalised titles carry the same numbers? "toy story 2" and "toy story" do not, nor do
    "rocky iii" and "rocky ii"; "rocky 2" and "rocky ii" do."""
    return _numbers(norm_a) == _numbers(norm_b)


def is_slip(query: str, name: str, distance: int) -> bool:
    """Is `name` what someone meant who typed `query`, given their OSA edit distance?

    A swap of neighbouring letters ("Oldbyo", "Amelei") counts once and is forgiven from four
    letters on; any one edit from six letters ("Parasote"), two from twelve. Shorter names are
    left to the ratio scores, where "Heat" and "Beat" stay different films.
    """
    shortest = min(len(query), len(name))
    if distance == 1 and len(query) == len(name) >= 4 and sorted(query) == sorted(name):
        return True  # a transposition: same letters, one swap
    return distance <= (2 if shortest >= 12 else 1 if shortest >= 6 else 0)


class FilmService:
    def __init__(self, films: FilmStore, *, max_title_chars: int = 200) -> None:
        self._films = films
        self._max_title_chars = max_title_chars
        self._vocabulary: Vocabulary | None = None  # the words of all film names, for typos
        self._vocabulary_stamp: int | None = None
        self._vocabulary_lock = asyncio.Lock()  # concurrent first callers share one load

    @property
    def max_title_chars(self) -> int:
        """The longest title that can be looked up (MAX_TITLE_CHARS); imports store none longer."""
        return self._max_title_chars

    def invalidate(self) -> None:
        """Forget the cached vocabulary. Films added by another process (a CLI import while the
        bot runs) are noticed without it: the cache is checked against the newest name's id."""
        self._vocabulary = None

    async def get(self, film_id: int) -> Film | None:
        return await self._films.get(film_id)

    async def facts(self, film: Film) -> FilmFacts:
        count, average = await self._films.review_stats(film.id)
        return FilmFacts(film, count, average)

    # --- resolution ------------------------------------------------------------------------------
    async def resolve(self, query: str, *, year: int | None = None) -> Film:
        """The one film meant by `query`, or FilmNotFound / AmbiguousFilm carrying the candidates."""
        query = self._check(query)
        if match := _FILM_ID.match(query):  # the value of a Discord autocomplete choice
            film = await self._films.get(int(match.group(1)))
            if film is None:
                raise FilmNotFound(query)
            return film
        title, parsed_year = split_year(query)
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:  # 0 was taken for "no year"
            raise InvalidInput(f"Release years go from {MIN_YEAR} to {MAX_YEAR}; {year} isn't one.")
        year = parsed_year if year is None else year
        attempts = [(title, year)]
        if parsed_year is not None:
            attempts.append((query, None))  # "Blade Runner 2049" is a title, not a year
        for text, wanted_year in attempts:
            film = await self._resolve_once(text, wanted_year)
            if film is not None:
                return film
        suggestions = await self.search(title, limit=5)
        raise FilmNotFound(query, [s for s in suggestions if s.score >= SUGGEST_SCORE])

    async def find_named(self, text: str, *, year: int | None = None) -> Film | None:
        """The film one of whose names is exactly `text` once normalised (a leading article
        optional), or None: no prefixes, no typos, only index lookups. For spotting a title inside
        free text (a question), where fuzzy matching would find films in ordinary words and cost a
        full scan per word group. Remakes raise AmbiguousFilm."""
        norm = normalize_title(text)
        if not norm:
            return None
        return self._named(text, await self._films.lookup(TitleQuery(_variants(text), year)))

    def _named(self, text: str, matches: TitleMatches) -> Film | None:
        exact = _distinct(list(matches.named))
        if len(exact) > 1:
            raise AmbiguousFilm(text, [_choice(h) for h in sorted(exact, key=lambda h: h.year or 0)])
        return matches.film if exact else None

    async def _resolve_once(self, text: str, year: int | None) -> Film | None:
        norm = normalize_title(text)
        if not norm:
            return None
        # The exact name and, if it is not found, the ranking's candidates: one round trip on
        # PostgreSQL. Without a year the exact name (norm is the first variant) is known missing
        # then, and the ranking does not ask for it again.
        candidates, stamp = self._candidates(norm, limit=10, exact=year is not None)
        matches = await self._films.lookup(TitleQuery(_variants(text), year, candidates))
        film = self._named(text, matches)
        if film is not None:
            return film
        if matches.named:  # the film named was deleted meanwhile: rank as if it were not named
            matches = await self._films.lookup(TitleQuery((), None, candidates))
        ranked = await self._score(norm, 10, matches, stamp)
        if year is not None:
            ranked = [(h, s) for h, s in ranked if h.year == year]
        if not ranked:
            return None
        best_hit, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= ACCEPT_SCORE and best - runner_up >= 4:
            return await self._films.get(best_hit.film_id)  # None only if deleted meanwhile
        close = [(h, s) for h, s in ranked if s >= ACCEPT_SCORE]
        if len(close) > 1:
            raise AmbiguousFilm(text, [_choice(h, s) for h, s in close])
        return None

    async def resolve_or_create(self, query: str) -> tuple[Film, bool]:
        """For watchlists: an unknown film becomes a minimal record (title + optional year).

        Ambiguity is still an error: creating a third "Psycho" would help no one.
        """
        try:
            return await self.resolve(query), False
        except FilmNotFound as missing:
            if _FILM_ID.match(missing.query):
                raise  # an id that is gone is not a title
            title, year = split_year(self._check(query))
            for suggestion in missing.suggestions:
                known = await self._films.get(suggestion.film_id) if suggestion.score >= ACCEPT_SCORE else None
                if known is not None and _same_film(known, title, year):
                    return known, False  # added meanwhile: by a request that raced this one
                if known is not None and _blocks_creation(known, title, year):
                    raise  # a known title with another year, or a typo of one: ask, don't guess
            title = " ".join(strip_display_controls(title, " ").split())  # no bidi overrides in a title
            # Find-or-create in one transaction: two people adding the same new film get one record.
            film, created = await self._films.add_stub(title, year)
            self.invalidate()
            return film, created

    # --- autocomplete ----------------------------------------------------------------------------
    async def search(self, query: str, *, limit: int = 25) -> list[FilmChoice]:
        """Ranked candidates for a partial or misspelt title (Discord autocomplete, suggestions)."""
        query = query.strip()[: self._max_title_chars + len(" (2020)")]  # a title at the limit, and its year
        if has_lone_surrogates(query):
            return []
        title, year = split_year(query)
        norm = normalize_title(title)
        if not norm:
            return []
        ranked = await self._rank(norm, limit=limit * 2)
        if year is not None:
            ranked.sort(key=lambda hs: (hs[0].year != year, -hs[1]))
        return [_choice(h, s) for h, s in ranked[:limit]]

    async def browse(self, *, limit: int = 25) -> list[FilmChoice]:
        """What autocomplete offers before anything is typed: the most reviewed films here, then
        the best known (IMDb votes)."""
        return [_choice(hit) for hit in await self._films.popular(limit)]

    async def _rank(self, norm: str, *, limit: int) -> list[tuple[TitleHit, float]]:
        candidates, stamp = self._candidates(norm, limit=limit, exact=True)
        return await self._score(norm, limit, await self._films.lookup(TitleQuery((), None, candidates)), stamp)

    def _candidates(self, norm: str, *, limit: int, exact: bool) -> tuple[CandidateQuery, int | None]:
        """What ranking `norm` asks of the indexes (storage/search.py), and the names' stamp of the
        vocabulary its word queries are built on: the vocabulary as it is, not checked against the
        database first (that is a round trip); the look-up returns the stamp, and `_score` asks
        again with the current vocabulary if it has moved. None: no vocabulary loaded yet (none is
        loaded here, so a name found exactly never waits for it)."""
        vocabulary, stamp = self._vocabulary, self._vocabulary_stamp
        if vocabulary is None:
            return CandidateQuery(norm, limit, exact, words=lambda: (), word_limit=limit * 2), None
        words = partial(_word_queries, norm, vocabulary)  # built only if the backend wants them
        return CandidateQuery(norm, limit, exact, words=words, word_limit=limit * 2), stamp

    async def _score(
        self, norm: str, limit: int, matches: TitleMatches, stamp: int | None
    ) -> list[tuple[TitleHit, float]]:
        """The candidates of a look-up, ranked best first, at most `limit`; `stamp`: the names' stamp
        of the vocabulary the look-up's word queries were built on."""
        scored: dict[int, tuple[TitleHit, float]] = {}

        def offer(hit: TitleHit, score: float) -> None:
            if hit.norm != norm and not same_numbers(hit.norm, norm):
                score = min(score, ACCEPT_SCORE - 1)  # a sequel or another year: suggest, never take
            if score < SUGGEST_SCORE:
                return  # noise: "Dune" should not offer "Dear Comrades!"
            if hit.film_id not in scored or scored[hit.film_id][1] < score:
                scored[hit.film_id] = (hit, score)

        for hit in matches.exact:
            offer(hit, 100.0)
        for hit in matches.prefixed:
            offer(hit, 95.0 - min(len(hit.norm) - len(norm), 40) * 0.1)
        query_words = norm.split()
        # Names containing the words (and typo corrections) only when exact and prefix matches have
        # not already filled the list: the word index is the expensive part at catalogue scale.
        word_hits: Sequence[TitleHit] = ()
        if len(scored) < limit:
            if matches.words is not None and stamp is not None and matches.names_stamp == stamp:
                word_hits = matches.words
            else:  # not run, or built on a vocabulary that has moved since (or on none): ask again
                word_hits = await self._word_candidates(norm, limit * 2)
        for hit in word_hits:
            words = hit.norm.split()
            if all(w in words for w in query_words[:-1]) and any(w.startswith(query_words[-1]) for w in words):
                # Every word typed is in the name (the last one perhaps half-typed): a substring match.
                offer(hit, 90.0 - min(len(hit.norm) - len(norm), 40) * 0.1)
            # Whole-string ratio keeps "dune" from matching every title that contains "dune".
            offer(hit, min(fuzz.WRatio(norm, hit.norm), fuzz.ratio(norm, hit.norm) + 5, 94.0))
            distance = OSA.distance(norm, hit.norm, score_cutoff=2)
            if distance <= 2 and is_slip(norm, hit.norm, distance):
                offer(hit, SLIP_SCORE - 2 * (distance - 1))
        return sorted(scored.values(), key=lambda hs: (-hs[1], hs[0].year or 0))[:limit]

    async def _word_candidates(self, norm: str, limit: int) -> list[TitleHit]:
        """The word stage on its own, on the current vocabulary (when the look-up's was stale)."""
        hits: list[TitleHit] = []
        for query in _word_queries(norm, await self._vocabulary_now()):
            hits = await self._films.find_words(query, limit)
            if hits:
                break
        return hits

    async def warm(self) -> None:
        """Load the title vocabulary now (at start-up), not on the first typo of a burst."""
        await self._vocabulary_now()

    async def _vocabulary_now(self) -> Vocabulary:
        """The vocabulary, reloaded when names were added. Single-flight: at a million titles the
        load is a ~150 ms scan, and a burst of first callers each running it filled every reader."""
        stamp = await self._films.names_stamp()
        if self._vocabulary is not None and stamp == self._vocabulary_stamp:
            return self._vocabulary
        async with self._vocabulary_lock:
            if self._vocabulary is None or stamp != self._vocabulary_stamp:
                self._vocabulary = Vocabulary(await self._films.vocabulary())
                self._vocabulary_stamp = stamp
            return self._vocabulary

    def _check(self, query: str) -> str:
        query = " ".join(require_text(query).split())
        if not query:
            raise InvalidInput("Tell me which film: type its title, e.g. “Parasite” or “Psycho (1960)”.")
        # The title's length, not the query's: a title at the limit is still found as "Title (2020)".
        if len(split_year(query)[0]) > self._max_title_chars:
            raise InvalidInput(f"That title is too long (over {self._max_title_chars} characters).")
        if not normalize_title(query):  # "!!!" could never be found again, nor stored as a stub
            raise InvalidInput("That doesn't look like a film title: it needs some letters or digits.")
        return query


def _same_film(known: Film, title: str, year: int | None) -> bool:
    """Whether `known` is exactly the film named (one of its names, and the year if both have one)."""
    norm = normalize_title(title)
    same_year = year is None or known.year is None or known.year == year
    return same_year and norm in {normalize_title(known.title), normalize_title(known.original_title or known.title)}


def _blocks_creation(known: Film, title: str, year: int | None) -> bool:
    """Whether a known film is too close to `title` to create a new one without asking: the same
    title in another year, or a typo of it with the same numbers (and year, when one was given).
    A longer title that merely starts with it ("Oldboy" for "Old (2021)") or a sequel never blocks:
    the film named is a different one."""
    norm = normalize_title(title)
    other_year = year is not None and known.year is not None and known.year != year
    for name in {known.title, known.original_title or known.title}:
        theirs = normalize_title(name)
        if norm == theirs:
            return True  # "Dune (1999)": the Dune we know is another year's; perhaps a wrong year
        distance = OSA.distance(norm, theirs, score_cutoff=2)
        if not other_year and same_numbers(norm, theirs) and distance <= 2 and is_slip(norm, theirs, distance):
            return True
    return False


def _variants(text: str) -> tuple[str, ...]:
    """The exact names to try for `text`: as typed first, then without a leading article ("the
    parasite" finds "Parasite")."""
    norm = normalize_title(text)
    return tuple(sorted(title_variants(text), key=lambda v: v != norm))


def _word_queries(norm: str, vocabulary: Vocabulary) -> tuple[WordQuery, ...]:
    """Names sharing the query's words, each word as typed, corrected, or (the last one)
    completed (dear AND (comrads OR comrades OR comrads…)); if no name has them all, names with
    most of them (OR) are still candidates for the fuzzy ranking: the queries to try in turn."""
    words = norm.split()[:12]
    # "the", "of", "a" are in half of all titles: as AND terms they only slow the index down
    # (the fuzzy ranking still sees them). A title of nothing but such words keeps them.
    if any(w not in TITLE_STOPWORDS for w in words[:-1]):
        words = [w for w in words[:-1] if w not in TITLE_STOPWORDS] + words[-1:]
    groups: list[tuple[Term, ...]] = []
    for i, word in enumerate(words):
        options = [Term(w) for w in ([word] if word in vocabulary.words else [])]
        options += [Term(w) for w in vocabulary.corrections(word)]
        if i == len(words) - 1 and len(word) >= 2 and not options:
            # Neither a known word nor a typo of one: a word typed half-way ("dear comr").
            options.append(Term(word, prefix=True))
        if options:
            groups.append(tuple(dict.fromkeys(options)))
    if not groups:
        return ()
    query = WordQuery(tuple(groups))
    return (query, query.any_group()) if len(groups) > 1 else (query,)


def _distinct(hits: list[TitleHit]) -> list[TitleHit]:
    seen: dict[int, TitleHit] = {}
    for hit in hits:
        seen.setdefault(hit.film_id, hit)
    return list(seen.values())


def _choice(hit: TitleHit, score: float = 100.0) -> FilmChoice:
    label = f"{hit.title} ({hit.year})" if hit.year else hit.title
    if normalize_title(hit.matched) != normalize_title(hit.title):
        label += f" — “{hit.matched}”"
    return FilmChoice(film_id=hit.film_id, label=label, score=round(score, 1))
