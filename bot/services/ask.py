"""Questions in conversation, answered from the stored reviews and film facts.

Retrieval: the film comes from the question ("is Parasite funny?"), the command's film option, or
the conversation so far; review sentences come from the backend's word index over review text, spoiler-safe ones
only unless spoilers were asked for. Offline, the answer is those sentences with their sources;
with an LLM configured, an `AnswerEngine` writes the answer from the same material.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.errors import AmbiguousFilm, InvalidInput, LimitReached
from bot.services.films import FilmFacts, FilmService
from bot.services.reviews import ReviewService
from bot.services.summaries import Requester, TextCallback
from bot.spoilers.allowlist import AllowList, Kind
from bot.spoilers.lexicon import STOPWORDS
from bot.summarize.offline import MAX_QUOTE_CHARS
from bot.text.markdown import escape_markdown
from bot.text.regex_cache import compile_pattern
from bot.text.safety import neutralise, unsafe_reason
from bot.text.segments import wrap_spoiler
from bot.text.topics import TOPIC_LABELS, TOPICS, topics_of
from bot.text.unicode import require_text
from bot.tokens import SAFETY_MARGIN, TokenCounter
from storage.normalize import normalize_title
from storage.ports import ConversationStore, FilmStore, ReviewStore
from storage.records import Film, Sentence, SentenceHit, Turn

_WORD = compile_pattern(r"[\w']+", re.UNICODE)
_SIMILAR = compile_pattern(
    r"\b(?:(?:anything|something|films?|movies?|others?)\s+(?:else\s+)?like|like (?:it|this|that)|similar|"
    r"recommend|what else|other films|more like)\b",
    re.I,
)
_FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "director": compile_pattern(r"\b(?:who (?:directed|made)|director|directed by)\b", re.I),
    "cast": compile_pattern(r"\b(?:who (?:is|was|stars|plays|acts)|cast|starring|stars in|actors?)\b", re.I),
    "runtime": compile_pattern(r"\b(?:how long|runtime|run time|length|minutes)\b", re.I),
    "year": compile_pattern(r"\b(?:when (?:was|did)|what year|released)\b", re.I),
    "genre": compile_pattern(r"\b(?:genre|what kind of|what sort of)\b", re.I),
}
# "What is the scariest film here?", "which movie has the best music?": about the whole library,
# not one film (when no film is named, a film remembered from the conversation is not meant).
_LIBRARY_WIDE = compile_pattern(
    r"\b(?:which|what|any|best|worst|\w+est|most|least|all|every)\b.*\b(?:films?|movies?)\b(?!\s+like)"
    r"|\b(?:films?|movies?)\s+(?:here|in (?:the|your) (?:library|catalogue|collection))\b",
    re.I,
)
# How it ends, who dies, the twist: a spoiler-free answer leaves exactly that out, and says so.
_ENDING = compile_pattern(
    r"\b(?:how (?:does|did) (?:it|this|that|the \w+|\w+) end|the end(?:ing)?|end(?:s|ed)? up|twists?|"
    r"who (?:dies|died|survives|lives|killed|is the killer|did it)|killer|reveal(?:ed|s)?|"
    r"what happens (?:at|in) the end)\b",
    re.I,
)
SPOILER_MODE_HINT = (
    "How a film ends, who dies and its twists are spoilers, which spoiler-free answers leave out. To read them, "
    "get the summary with spoilers (/summary <film> with spoilers on), or in the terminal add “spoilers” to "
    "the end of your question (--spoilers on the command line)."
)
NOT_A_QUESTION = (
    "I answer questions about films from their stored reviews, e.g. “is the acting in Parasite any good?”, "
    "“who directed Se7en?” or, about the film we are talking about, “and the music?”."
)
LIBRARY_WIDE = (
    "I can't answer that for the whole library: I read the stored reviews one film at a time. Name a film in the "
    "question (e.g. “is Se7en scary?”), or get a film's summary with /summary <film>."
)
OFFLINE_ANSWER_NOTE = "Offline answer: quoted from the stored reviews (no LLM is configured)."
_QUESTION_WORDS = frozenset({"is", "was", "does", "did", "how", "what", "why", "any", "good", "the", "it", "and"})


@dataclass(frozen=True, slots=True)
class SourceRef:
    review_id: int
    author: str
    film_label: str


@dataclass(slots=True)
class Answer:
    text: str
    film: Film | None
    sources: list[SourceRef] = field(default_factory=list)
    engine: str = "offline"
    notes: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "answer": self.text,
            "film": {"id": self.film.id, "title": self.film.title, "year": self.film.year} if self.film else None,
            "sources": [{"review_id": s.review_id, "author": s.author, "film": s.film_label} for s in self.sources],
            "engine": self.engine,
            "notes": self.notes,
        }


@dataclass(frozen=True, slots=True)
class Passage:
    """A review sentence retrieved for a question."""

    review_id: int
    author: str
    text: str
    spoiler: bool


@dataclass(slots=True)
class AnswerContext:
    question: str
    film: Film | None
    facts: FilmFacts | None
    passages: list[Passage]
    history: list[Turn]
    spoilers: bool
    similar: list[FilmFacts] = field(default_factory=list)
    # The retrieval-only answer, for an engine to fall back on (with its own note) when the LLM fails.
    offline: Answer | None = None


class AnswerEngine(Protocol):
    name: str

    async def answer(
        self, context: AnswerContext, requester: Requester, on_text: TextCallback | None = None
    ) -> Answer | None:
        """An answer, or None to let the offline answer stand (e.g. the LLM is unavailable)."""
        ...


_GREETING_WORDS = frozenset(
    "hello hi hey hiya yo thanks thank you ok okay cool nice great bye goodbye cheers good morning evening "
    "afternoon there bot reviewbot please".split()
)


def _small_talk(question: str) -> bool:
    """Nothing but greetings and thanks ("hello", "thanks, bot!"), or no words at all."""
    return all(w.lower() in _GREETING_WORDS for w in _WORD.findall(question))


def asked_topic(question: str) -> str | None:
    """The review topic a question is about ("is the acting good?" -> "acting"), if any."""
    topics = topics_of(question)
    return next((t for t in topics if t != "verdict"), topics[0] if topics else None)


def query_terms(question: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """The question's content words, then topic vocabulary they call up ("acting" -> "perform",
    "cast", ...). `exclude` drops words that match for the wrong reason (the film's title words)."""
    words = [w.lower() for w in _WORD.findall(question) if len(w) > 2]
    terms = [w for w in words if w not in STOPWORDS and w not in _QUESTION_WORDS and w not in exclude]
    for topic, stems in TOPICS.items():
        if any(w.startswith(s) for w in terms for s in stems if " " not in s and len(s) > 3):
            terms.extend(s for s in stems if " " not in s and "-" not in s and len(s) > 3)
            terms.append(topic)
    return list(dict.fromkeys(t.replace('"', "") for t in terms if t.replace('"', "")))[:40]


def rank_sentences(hits: Sequence[SentenceHit], terms: Sequence[str], question: str) -> list[SentenceHit]:
    """Order one film's sentences by the question's terms (prefix matches; words the question
    itself used count double), shorter sentences first among equals; sentences with no term go."""
    own = {w.lower() for w in _WORD.findall(question)}
    scored = []
    for hit in hits:
        words = [w.lower() for w in _WORD.findall(hit.text)]
        score = sum((2.0 if t in own else 1.0) for t in terms if any(w.startswith(t) for w in words))
        if score:
            scored.append((score / (1 + len(words) / 40), hit))
    scored.sort(key=lambda sh: -sh[0])
    return [hit for _, hit in scored]


class AskService:
    def __init__(
        self,
        films: FilmService,
        film_repo: FilmStore,
        reviews: ReviewService,
        review_repo: ReviewStore,
        conversations: ConversationStore,
        counter: TokenCounter,
        *,
        threshold: float,
        max_question_chars: int,
        history_budget: int,
        max_turns: int | None = None,
        engine: AnswerEngine | None = None,
    ) -> None:
        self._films = films
        self._film_repo = film_repo
        self._reviews = reviews
        self._review_repo = review_repo
        self._conversations = conversations
        self._counter = counter
        self._threshold = threshold
        self._max_question_chars = max_question_chars
        self._history_budget = history_budget
        self._max_turns = max_turns  # questions per conversation; None: no limit
        self.engine = engine

    async def ask(
        self,
        question: str,
        *,
        film: str | Film | None = None,
        conversation: str | None = None,
        spoilers: bool = False,
        requester: Requester | None = None,
        on_text: TextCallback | None = None,
        start_over_when_full: bool = False,
    ) -> Answer:
        """Answer a question, continuing `conversation` if given. A conversation that reached its
        most questions is refused (LimitReached), or with `start_over_when_full` replaced by a new
        one under the same key (for front doors with one conversation per person, e.g. DMs)."""
        requester = requester or Requester()
        question = self.check_question(question)
        conversation_id = None
        notes: list[str] = []
        history: list[Turn] = []
        target = await self._pick_film(question, film)
        if conversation:
            conversation_id = await self._conversations.ensure(
                conversation, requester.user_id, target.id if target else None
            )
            if await self._is_full(conversation_id):
                if not start_over_when_full:
                    raise LimitReached(
                        f"This conversation is long now ({self._max_turns} questions, the most I keep). "
                        "Please start a new one to keep asking."
                    )
                await self._conversations.retire(conversation_id)
                conversation_id = await self._conversations.ensure(
                    conversation, requester.user_id, target.id if target else None
                )
                notes.append(f"The last conversation reached {self._max_turns} questions, so this starts a new one.")
            history = await self._conversations.recent_turns(conversation_id, self._history_budget)
            if target is None and not _LIBRARY_WIDE.search(question):
                remembered = await self._conversations.film_of(conversation_id)
                target = await self._films.get(remembered) if remembered else None
        context = await self._context(question, target, history, spoilers)
        context.offline = self._offline(context)
        answer = None
        if self.engine is not None:
            answer = await self.engine.answer(context, requester, on_text)
        if answer is None:
            answer = context.offline
        if not spoilers and _ENDING.search(question) and SPOILER_MODE_HINT not in answer.text:
            notes.append(SPOILER_MODE_HINT)
        answer.notes.extend(notes)
        if conversation_id is not None:
            await self._conversations.add_turn(
                conversation_id, "user", question, self._turn_tokens(question), requester.user_id
            )
            await self._conversations.add_turn(
                conversation_id, "assistant", answer.text, self._turn_tokens(answer.text), requester.user_id
            )
        return answer

    def _turn_tokens(self, text: str) -> int:
        """What a turn costs when it is sent back to a model as history. Only a model reads history, so
        without one the tokenizer is not loaded (0.1 s of a one-shot `ask`): the UTF-8 byte count, which
        no BPE tokenizer's token count exceeds, is stored instead, with the same margin; a model added
        later then keeps a little less history, never more than fits."""
        if self.engine is None:
            return int(len(text.encode()) * SAFETY_MARGIN) + 1
        return self._counter.count(text)

    def check_question(self, question: str) -> str:
        """The question, tidied; a front door may call this first, to refuse at once."""
        question = " ".join(require_text(question).split())
        if not question:
            raise InvalidInput("Ask me something about a film, e.g. “is the acting in Parasite any good?”")
        if len(question) > self._max_question_chars:
            raise InvalidInput(f"Please keep questions under {self._max_question_chars} characters.")
        return question

    async def _is_full(self, conversation_id: int) -> bool:
        """A conversation holds at most `max_turns` questions: old turns stop mattering to the
        answers long before (the history is cut to a token budget), and a thread that goes on for
        ever is a cheap way to spend the LLM allowance."""
        if self._max_turns is None:
            return False
        return await self._conversations.question_count(conversation_id) >= self._max_turns

    async def has_conversation(self, key: str) -> bool:
        return await self._conversations.exists(key)

    # --- material --------------------------------------------------------------------------------
    async def _pick_film(self, question: str, film: str | Film | None) -> Film | None:
        if isinstance(film, Film):
            return film
        if film:
            return await self._films.resolve(film)
        return await self.film_in_question(question)

    async def film_in_question(self, question: str) -> Film | None:
        """The longest run of words in the question that is exactly a stored film name.

        Exact names only (index look-ups): fuzzy matching here would find films in ordinary words
        ("the sense of dread" is not The Sixth Sense) and cost a search per word group. A name
        shared by several films ("is Psycho scary?") asks which one, unless a longer run names
        a film outright.
        """
        words = normalize_title(question).split()
        ambiguous: AmbiguousFilm | None = None
        for size in range(min(len(words), 8), 0, -1):
            for start in range(len(words) - size + 1):
                gram = words[start : start + size]
                if size == 1 and (gram[0] in STOPWORDS or gram[0] in _QUESTION_WORDS or len(gram[0]) < 4):
                    continue
                after = words[start + size] if start + size < len(words) else ""
                year = int(after) if after.isdigit() and len(after) == 4 else None  # "Dune 2021", "Dune (2021)"
                try:
                    film = await self._films.find_named(" ".join(gram), year=year)
                    if film is None and year is not None:
                        film = await self._films.find_named(" ".join(gram))
                except AmbiguousFilm as error:
                    ambiguous = ambiguous or error
                    continue
                if film is not None:
                    return film
        if ambiguous is not None:
            raise ambiguous
        return None

    async def _context(self, question: str, film: Film | None, history: list[Turn], spoilers: bool) -> AnswerContext:
        facts = await self._films.facts(film) if film else None
        passages: list[Passage] = []
        title_words = (
            frozenset(normalize_title(f"{film.title} {film.original_title or ''}").split()) if film else frozenset()
        )
        terms = query_terms(question, title_words)
        if not terms and history:
            terms = query_terms(" ".join(t.content for t in history if t.role == "user")[-300:], title_words)
        if terms and film is not None:
            # One film: read its sentences by index and rank them here. Matching the whole review
            # index first and filtering by film afterwards cost ~0.7 s at a million reviews.
            hits = rank_sentences(await self._review_repo.sentences_for_film(film.id), terms, question)
            reviews = await self._review_repo.for_film(film.id)
            allow = AllowList.for_film(film, reviews, threshold=self._threshold)
            passages = self._select(hits, spoilers, asked_topic(question), film, allow)
        elif terms:
            hits = await self._review_repo.search_sentences(terms, film_ids=None, limit=80)
            # Sentences from many films, met without their reviews: names inferred from the hits.
            allow = AllowList.for_texts(None, [h.text for h in hits], threshold=self._threshold)
            passages = self._select(hits, spoilers, asked_topic(question), film, allow)
        similar = await self._similar(film) if film and _SIMILAR.search(question) else []
        return AnswerContext(question, film, facts, passages, history, spoilers, similar)

    def _select(
        self,
        hits: Sequence[SentenceHit],
        spoilers: bool,
        topic: str | None,
        film: Film | None,
        allow: AllowList,
        limit: int = 6,
    ) -> list[Passage]:
        """Best-ranked sentences, one per review; on a topic question only sentences on that topic
        (judged without people's names, so "Song Kang-ho" is not a remark about songs)."""
        names = " ".join((*film.cast, *film.directors)) if film else ""
        name_words = re.compile(
            r"\b(?:" + "|".join(re.escape(n) for n in names.split() if len(n) > 2) + r")\b", re.I
        ) if names.strip() else None
        chosen: list[Passage] = []
        per_review: dict[int, int] = {}
        for hit in hits:
            sentence = Sentence(hit.idx, hit.text, hit.spoiler_score, hit.author_marked)
            kind = allow.classify(hit.review_id, sentence).kind
            safe = kind is Kind.SAFE  # spoiler-free answers quote only allow-listed sentences
            if kind is Kind.INSTRUCTION or (not safe and not spoilers):
                continue
            if len(hit.text.split()) < 5 or per_review.get(hit.review_id, 0) >= 1:
                continue
            if hit.text.rstrip().endswith("?") or unsafe_reason(hit.text):
                continue  # questions answer nothing; links, mentions and injection talk never go out
            if len(hit.text) > MAX_QUOTE_CHARS:
                continue  # a run-on "sentence" of thousands of characters would fill the answer
            if topic is not None:
                plain = name_words.sub(" ", hit.text) if name_words else hit.text
                if topic not in topics_of(plain):
                    continue
            per_review[hit.review_id] = per_review.get(hit.review_id, 0) + 1
            chosen.append(Passage(hit.review_id, hit.author, hit.text, not safe))
            if len(chosen) == limit:
                break
        return chosen

    async def _similar(self, film: Film, limit: int = 5) -> list[FilmFacts]:
        rows = await self._film_repo.similar(film.id, film.genres, film.directors, limit)
        return [await self._films.facts(f) for f in rows]

    # --- the offline answer ----------------------------------------------------------------------
    def _offline(self, context: AnswerContext) -> Answer:
        film = context.film
        if _small_talk(context.question):  # "hello", "thanks": no question about a film in it
            return Answer(NOT_A_QUESTION, film, [], "offline", [OFFLINE_ANSWER_NOTE])
        label = f"**{escape_markdown(film.label)}**" if film else "the stored reviews"
        lines: list[str] = []
        fact = self._fact_answer(context)
        if fact:
            lines.append(fact)
        if context.similar:
            lines.append(f"Films in the library close to {label} (shared genres or director):")
            for facts in context.similar:
                rating = f", reviewers' average {facts.average_rating:.1f}/5" if facts.average_rating else ""
                # Loglines come from imported files: no links or mentions go out from them either.
                logline = f" — {escape_markdown(neutralise(facts.film.logline))}" if facts.film.logline else ""
                lines.append(f"• **{escape_markdown(facts.film.label)}**{rating}{logline}")
        asked = asked_topic(context.question)
        topic = TOPIC_LABELS[asked].lower() if asked else None
        ending = not context.spoilers and _ENDING.search(context.question) is not None
        if context.similar and not topic:
            pass  # a "films like it?" question is answered by the list above
        elif film is None and _LIBRARY_WIDE.search(context.question):
            pass  # quotes from random films would look like an answer; it is said plainly below
        elif ending and not topic:
            pass  # "how does it end?": whatever matched "end" is no answer; the hint below is
        elif context.passages and not (fact and not topic):
            about = f"about the {topic} " if topic else ""
            lines.append(f"What reviewers say {about}in {label}:")
            for p in context.passages[:4]:
                text = escape_markdown(p.text)  # a reviewer's `||` or `**` is not the bot's markup
                text = wrap_spoiler(text) if p.spoiler else text
                lines.append(f"• “{text}” ({escape_markdown(p.author)})")
        if not lines:
            if ending:
                lines.append(SPOILER_MODE_HINT)
            elif film is None and _LIBRARY_WIDE.search(context.question):
                lines.append(LIBRARY_WIDE)
            elif film is None:
                lines.append(
                    "I couldn't tell which film you mean. Name it in the question or pick it with the film option."
                )
            else:
                lines.append(f"None of the stored reviews of {label} talk about that.")
        if film is not None and _SIMILAR.search(context.question) and not context.similar:
            lines.append(f"I don't have films close to {label} in the library yet (by genre or director).")
        quoted = any(line.startswith("What reviewers say") for line in lines)
        sources = [SourceRef(p.review_id, p.author, film.label if film else "") for p in context.passages[:4]]
        sources = sources if quoted else []
        notes = [OFFLINE_ANSWER_NOTE]
        if not context.spoilers:
            notes.append("Spoiler-free: sentences that may reveal the plot were left out.")
        return Answer("\n".join(lines), film, sources, "offline", notes)

    @staticmethod
    def _fact_answer(context: AnswerContext) -> str | None:
        if context.facts is None:
            return None
        film = context.facts.film
        q = context.question
        label = escape_markdown(film.label)
        if _FACT_PATTERNS["director"].search(q) and film.directors:
            return f"**{label}** was directed by {escape_markdown(', '.join(film.directors))}."
        if _FACT_PATTERNS["runtime"].search(q) and film.runtime_minutes:
            return f"**{label}** runs {film.runtime_minutes} minutes."
        if _FACT_PATTERNS["cast"].search(q) and film.cast and not re.search(r"\bact(?:ing|ed)\b", q, re.I):
            return f"**{label}** stars {escape_markdown(', '.join(film.cast[:6]))}."
        if _FACT_PATTERNS["year"].search(q) and film.year:
            return f"**{escape_markdown(film.title)}** came out in {film.year}."
        if _FACT_PATTERNS["genre"].search(q) and film.genres:
            return f"**{label}** is a {escape_markdown(' / '.join(g.lower() for g in film.genres))} film."
        return None
