"""Conversational answers (/ask) written by an LLM from the retrieved material, through the guard.

AskService does the retrieval (FTS5 over review sentences, spoiler-safe ones unless spoilers were
asked for, plus the film's facts) and keeps the conversation; this engine turns that material into
an answer. Earlier turns go to the model as chat messages, oldest dropped first when they do not fit;
in spoiler-free mode, spoiler spans of earlier answers are cut out of them first.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from bot.llm.breaker import CircuitBreaker
from bot.llm.budget import DailyBudget
from bot.llm.client import ChatClient, JsonSchema, Message, Usage
from bot.llm.errors import LLMError, unavailable_note
from bot.llm.grounding import PointChecker, PromptEcho
from bot.llm.guard import GuardedPoint, GuardFilm, SpoilerGuard
from bot.llm.keep import first_answer, retry_texts
from bot.llm.material import film_body, film_fields
from bot.llm.points import RETRY_RESERVE, generate_points
from bot.llm.prompts import PromptSet
from bot.llm.schema import ANSWER_SCHEMA
from bot.llm.spoiler_check import SpoilerChecker
from bot.llm.spotlight import Spotlight, clean, new_key
from bot.services.ask import OFFLINE_ANSWER_NOTE, Answer, AnswerContext, Passage, SourceRef
from bot.services.reviews import ReviewService
from bot.services.summaries import Mode, Requester, TextCallback
from bot.spoilers.allowlist import AllowList
from bot.text.markdown import escape_markdown
from bot.text.safety import neutralise, unsafe_reason
from bot.text.segments import split_review
from storage.ports import FilmStore
from storage.records import Film, Turn

log = logging.getLogger(__name__)

TOO_REVEALING = "The LLM's answer gave away too much of the plot, so this is the offline answer."
NOTHING_SHOWABLE = "The stored reviews and film facts have nothing on that I can safely show."


class LLMAnswerEngine:
    def __init__(
        self,
        chat: ChatClient,
        prompts: PromptSet,
        reviews: ReviewService,
        films: FilmStore,
        budget: DailyBudget,
        *,
        threshold: float,
        max_output_tokens: int,
        echo: PromptEcho | None = None,
        schema: JsonSchema = ANSWER_SCHEMA,
        spoiler_check: bool = False,
    ) -> None:
        self._chat = chat
        self._prompts = prompts
        self._reviews = reviews
        self._films = films
        self._budget = budget
        self.threshold = threshold
        self.max_output_tokens = max_output_tokens
        self._echo = echo or PromptEcho([*prompts.instruction_texts(), *retry_texts()])
        self._schema = schema
        self.spoiler_check = spoiler_check  # the model as a second checker of spoiler-free answers
        self.name = f"openai:{chat.model}"

    @property
    def breaker(self) -> CircuitBreaker:
        """The client's circuit breaker, shared by the summary and answer engines."""
        return self._chat.breaker

    async def answer(
        self, context: AnswerContext, requester: Requester, on_text: TextCallback | None = None
    ) -> Answer | None:
        if context.film is None and not context.passages and not context.similar:
            return None  # nothing to answer from; the offline reply says how to name a film
        await self._budget.ensure_available(requester)
        mode: Mode = "spoilers" if context.spoilers else "spoiler_free"
        usage = Usage()
        try:
            guard, labels = await self._guard(context)
            messages, passages = self._messages(context, mode)
            facts = context.facts
            checker = PointChecker(
                self._echo, _shown(passages), background=_facts_text(context),
                ratings=[facts.average_rating] if facts is not None and facts.average_rating is not None else [],
            )
            generated = await generate_points(
                self._chat,
                messages,
                known_ids=[p.review_id for p in passages],
                max_tokens=self.max_output_tokens,
                requester=requester,
                purpose=f"answer:{mode}",
                guard=guard,
                mode=mode,
                render=lambda shown: render_answer([g for _, g in shown]),
                checker=checker,
                schema=self._schema,
                # Nothing is shown before the second check has read it (it may remove what was shown).
                on_text=None if self.spoiler_check and mode == "spoiler_free" else on_text,
                usage=usage,
            )
            # The guard judges each sentence on its own: what it approves is kept, however much else
            # the model tried to slip in (bot/llm/keep.py); none left: generate_points already asked
            # again, stricter, and the answer is offline.
            kept = first_answer(generated, guard, mode)
            report = kept.report
            guarded = [g for _, g in kept.points]
            notes = []
            if guarded and self.spoiler_check and mode == "spoiler_free":
                check = await SpoilerChecker(self._chat, self._prompts).check(
                    _facts_body(context, self._prompts.spotlight), guard.revealing, guarded,
                    requester=requester, usage=usage,
                )
                if check.flagged:
                    report.drop("llm_check", check.flagged)
                guarded = [
                    dataclasses.replace(g, text=text)
                    for g, text in zip(guarded, check.remaining, strict=True) if text is not None
                ]
                notes.append(check.note())
        except LLMError as error:  # a failed second check fails closed too
            log.warning("LLM answer failed (%s); answering offline", error.reason)
            return self._fallback(context, unavailable_note(error, "answer"), usage)
        if not guarded:
            log.warning("the guard removed %d of %d answer sentences (%s)",
                        report.sentences_dropped, report.sentences_in, dict(report.reasons))
            return self._fallback(context, TOO_REVEALING, usage)
        by_id = {p.review_id: p for p in passages}
        cited = dict.fromkeys(s for g in guarded for s in g.sources)
        sources = [
            SourceRef(i, neutralise(by_id[i].author), neutralise(labels.get(i, ""))) for i in cited if i in by_id
        ]
        if mode == "spoiler_free":
            notes.insert(0, "Spoiler-free: every sentence was checked by the spoiler guard.")
        if report.sentences_dropped:
            n = report.sentences_dropped
            notes.append(f"The spoiler guard removed {n} sentence{'s' if n != 1 else ''} of the LLM's answer.")
        return Answer(
            render_answer(guarded), context.film, sources, self.name, notes,
            usage.input_tokens, usage.output_tokens,
        )

    # --- guard -----------------------------------------------------------------------------------
    async def _guard(self, context: AnswerContext) -> tuple[SpoilerGuard, dict[int, str]]:
        """A guard knowing every film the material comes from, and each passage's film label."""
        films: dict[int, Film] = {}
        labels: dict[int, str] = {}
        if context.film is not None:
            films[context.film.id] = context.film
            labels = {p.review_id: context.film.label for p in context.passages}
        else:
            for passage in context.passages:
                review = await self._reviews.get(passage.review_id)
                film = await self._films.get(review.film_id) if review else None
                if film is not None:
                    films.setdefault(film.id, film)
                    labels[passage.review_id] = film.label
        known: list[GuardFilm] = []
        for film in films.values():
            reviews = await self._reviews.for_film(film)
            film_context = await self._reviews.context(film, [r.text for r in reviews])
            allow = AllowList.for_film(film, reviews, threshold=self.threshold)
            known.append(GuardFilm(film_context, allow, reviews, film.logline))
        guard = SpoilerGuard.for_films(self._reviews.detector, known, threshold=self.threshold, prompts=self._prompts)
        return guard, labels

    # --- prompt ----------------------------------------------------------------------------------
    def _messages(self, context: AnswerContext, mode: Mode) -> tuple[list[Message], list[Passage]]:
        """System, earlier turns, question: the oldest turns, then the last passages, give way to fit."""
        key = new_key()
        history = [_turn_message(t, mode) for t in context.history]
        passages = list(context.passages)
        while True:
            system, user = self._prompts.render(
                "answer",
                key=key,
                material=self._material(context, passages, key),
                spoiler_policy=self._prompts.fragment("answer", mode),
                question=clean(context.question),
            )
            messages = [system, *history, user]
            if self._chat.fits(messages, self.max_output_tokens + RETRY_RESERVE):
                return messages, passages
            if history:
                history = history[2:] if len(history) > 1 else []
            elif passages:
                passages.pop()
            else:
                return messages, passages  # the client refuses it with LLMContextTooLong

    def _material(self, context: AnswerContext, passages: Sequence[Passage], key: str) -> str:
        blocks: list[str] = []
        if context.facts is not None:
            facts = context.facts
            stats = f"{facts.review_count} stored"
            if facts.average_rating is not None:
                stats += f", average rating {facts.average_rating:.1f}/5"
            fields = [*film_fields(facts.film, characters=context.spoilers), ("reviews", stats)]
            blocks.append(self._prompts.spotlight.block("film", "", key, fields))
        if context.similar:
            lines = [
                (str(n), f"{f.film.label}: {f.film.logline or ''}".rstrip(": "))
                for n, f in enumerate(context.similar, 1)
            ]
            blocks.append(self._prompts.spotlight.block("similar films", "", key, lines))
        for passage in passages:
            line = ("spoilers", passage.text) if passage.spoiler else ("said", passage.text)
            blocks.append(self._prompts.spotlight.block("review", str(passage.review_id), key, [line]))
        if not passages:
            blocks.append("(No review excerpts matched this question.)")
        return "\n\n".join(blocks)

    def _fallback(self, context: AnswerContext, note: str, usage: Usage) -> Answer | None:
        """The retrieval-only answer with our note. It quotes reviews and film facts verbatim, so a line
        carrying links, mentions or injection talk is left out, unless what carries it is only a
        film's own title (which the person needs to see; it is shown neutralised, as everywhere)."""
        if context.offline is None:
            return None
        offline = context.offline
        notes = [note, *(n for n in offline.notes if n != OFFLINE_ANSWER_NOTE)]
        films = [f for f in (context.film, *(s.film for s in context.similar)) if f is not None]
        titles = sorted({t for f in films for t in (f.label, escape_markdown(f.label))}, key=len, reverse=True)

        def safe(line: str) -> bool:
            for title in titles:
                line = line.replace(title, " ")
            return unsafe_reason(line) is None

        lines = [line for line in offline.text.splitlines() if safe(line)] or [NOTHING_SHOWABLE]
        kept = {
            s for s in offline.sources
            if any(f"({s.author})" in line or f"({escape_markdown(s.author)})" in line for line in lines)
        }
        return dataclasses.replace(
            offline,
            text=neutralise("\n".join(lines)),
            sources=[_neutral(s) for s in offline.sources if s in kept],
            notes=notes,
            input_tokens=usage.input_tokens,  # what the failed LLM attempt spent is still reported
            output_tokens=usage.output_tokens,
        )


def _neutral(source: SourceRef) -> SourceRef:
    """Authors and film titles are chosen by strangers (a review, an import file): no pings, no links."""
    return dataclasses.replace(source, author=neutralise(source.author), film_label=neutralise(source.film_label))


def _turn_message(turn: Turn, mode: Mode) -> Message:
    content = turn.content
    if mode == "spoiler_free" and turn.role == "assistant":
        # An earlier answer given with spoilers keeps them behind ||…||: those spans stay out.
        content = " ".join(s.text for s in split_review(content) if not s.marked)
    return {"role": "assistant" if turn.role == "assistant" else "user", "content": content}


def _shown(passages: Sequence[Passage]) -> dict[int, str]:
    shown: dict[int, str] = {}
    for passage in passages:
        shown[passage.review_id] = f"{shown.get(passage.review_id, '')} {passage.text}".strip()
    return shown


def _facts_body(context: AnswerContext, spotlight: Spotlight) -> str:
    """The films the answer may talk about, for the second checker (character names included: it
    must know who is who): the named film's facts and the similar films with their premises."""
    lines = [film_body(context.facts.film, spotlight, characters=True)] if context.facts is not None else []
    for similar in context.similar:
        said = f"{similar.film.label}: {similar.film.logline or ''}".rstrip(": ")
        lines.append(spotlight.lines([("similar film", said)]))
    return "\n".join(lines) or "(No film named.)"


def _facts_text(context: AnswerContext) -> str:
    parts: list[str] = []
    if context.facts is not None:
        parts += [value for _, value in film_fields(context.facts.film, characters=context.spoilers)]
    parts += [f"{s.film.label} {s.film.logline or ''}" for s in context.similar]
    return " ".join(parts)


def render_answer(points: Sequence[GuardedPoint]) -> str:
    return neutralise(" ".join(p.text for p in points))
