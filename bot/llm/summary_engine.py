"""Film summaries written by an LLM, within token budgets, through the spoiler guard.

Route:
1. Nothing is sent without budget: BudgetExceeded before the first call when today's tokens are spent.
2. What the model may read (bot/llm/material.py): in spoiler-free mode only safe sentences.
3. Small films (material within `direct_max_tokens`): one call over the reviews themselves.
   Larger films: per-review digests (made once, stored, reused; bot/llm/digests.py), then one call
   over the digests. Digests that still do not fit are narrowed to a representative selection
   (bot/llm/selection.py). When today's budget cannot pay for every missing digest, a representative
   subset is digested and the summary says so (and is not cached).
4. The model answers in JSON points; each point goes through the guard (bot/llm/guard.py), also
   while streaming. Too much removed, or any LLM failure: the offline summary, with a note.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.llm.breaker import CircuitBreaker
from bot.llm.budget import DailyBudget
from bot.llm.client import ChatClient, Message
from bot.llm.digests import Digester
from bot.llm.errors import LLMContextTooLong, LLMError, unavailable_note
from bot.llm.guard import GuardedPoint, GuardFilm, GuardReport, SpoilerGuard
from bot.llm.material import ReviewMaterial, film_body, material, review_block
from bot.llm.points import RETRY_RESERVE, complete_parsed, generate_points
from bot.llm.prompts import PromptSet
from bot.llm.schema import CHECK_SCHEMA, parse_check
from bot.llm.selection import Candidate, select_representative
from bot.llm.spotlight import block, new_key
from bot.services.reviews import ReviewService
from bot.services.summaries import EngineOutput, Mode, OfflineEngine, Requester, TextCallback
from bot.spoilers.allowlist import AllowList
from bot.summarize.offline import SUMMARY_CHAR_LIMIT, summary_header
from bot.text.safety import neutralise, unsafe_reason
from bot.text.segments import split_review
from storage.records import Digest, Film, Review

log = logging.getLogger(__name__)

MAX_POINTS = 8
MAX_DROPPED_SHARE = 0.5  # the guard removing more than this of an answer means: don't trust the rest
SPOILER_CHECK_MAX_TOKENS = 200
DIGEST_BLOCK_TOKENS = 150  # a digest in the final prompt, datamarked: for estimating the final call
TOO_REVEALING = "The LLM's summary gave away too much of the plot, so this is the offline summary."
NOTHING_SAFE = "Every stored review sentence may reveal the plot, so no LLM summary was written."


class _NothingToShow(Exception):
    """Every review sentence is a spoiler: spoiler-free mode has nothing to send."""


@dataclass(slots=True)
class _Spend:
    input_tokens: int = 0
    output_tokens: int = 0
    notes: list[str] = field(default_factory=list)
    complete: bool = True  # False when only part of the reviews could be read (budget)

    def add(self, input_tokens: int, output_tokens: int) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens


class LLMSummaryEngine:
    def __init__(
        self,
        chat: ChatClient,
        prompts: PromptSet,
        digester: Digester,
        offline: OfflineEngine,
        reviews: ReviewService,
        budget: DailyBudget,
        *,
        threshold: float,
        max_output_tokens: int,
        direct_max_tokens: int,
        spoiler_check: bool = False,
    ) -> None:
        self._chat = chat
        self._prompts = prompts
        self._digester = digester
        self._offline = offline
        self._reviews = reviews
        self._budget = budget
        self.threshold = threshold
        self.max_output_tokens = max_output_tokens
        self.direct_max_tokens = direct_max_tokens
        self.spoiler_check = spoiler_check
        self.name = f"openai:{chat.model}"
        # The cache key follows the prompts, the guard's threshold and the optional second check.
        self.prompt_version = f"{prompts.version}-t{threshold:.3f}{'-c' if spoiler_check else ''}"
        self._film_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @property
    def breaker(self) -> CircuitBreaker:
        """The client's circuit breaker, shared by the summary and answer engines."""
        return self._chat.breaker

    # --- the SummaryEngine protocol ------------------------------------------------------------
    async def summarize(
        self,
        film: Film,
        reviews: Sequence[Review],
        *,
        mode: Mode,
        requester: Requester,
        on_text: TextCallback | None = None,
    ) -> EngineOutput:
        if not reviews:  # nothing to summarise: no call, and the usual "no reviews yet" text
            result = await self._offline.summarize(film, reviews, mode=mode, requester=requester)
            return EngineOutput(result.text, [])
        await self._budget.ensure_available(requester)
        spend = _Spend()
        try:
            allow = AllowList.for_film(film, reviews, threshold=self.threshold)
            guard = await self._guard(film, reviews, allow)
            lock = self._film_locks.setdefault(film.id, asyncio.Lock())
            async with lock:  # two people asking at once: the second reuses the first one's digests
                messages, known_ids = await self._prepare(film, reviews, mode, guard, allow, requester, spend)
            return await self._write(film, reviews, mode, guard, messages, known_ids, requester, spend, on_text)
        except _NothingToShow:
            result = await self._offline.summarize(film, reviews, mode=mode, requester=requester)
            return EngineOutput(result.text, result.sources, notes=[NOTHING_SAFE])
        except LLMError as error:
            log.warning("LLM summary of film %s failed (%s); answering offline", film.id, error.reason)
            return await self._fallback(film, reviews, mode, requester, unavailable_note(error), spend)

    # --- preparing the prompt -------------------------------------------------------------------
    async def _guard(self, film: Film, reviews: Sequence[Review], allow: AllowList) -> SpoilerGuard:
        context = await self._reviews.context(film, [r.text for r in reviews])
        return SpoilerGuard.for_films(
            self._reviews.detector, [GuardFilm(context, allow, reviews, film.logline)],
            threshold=self.threshold, prompts=self._prompts,
        )

    @property
    def input_budget(self) -> int:
        return self._chat.context_window - self.max_output_tokens - RETRY_RESERVE

    def _messages(self, film: Film, mode: Mode, key: str, blocks: Sequence[str], count: int) -> list[Message]:
        return self._prompts.render(
            "summary_spoiler_free" if mode == "spoiler_free" else "summary_spoilers",
            key=key,
            film=film_body(film, characters=mode == "spoilers"),
            reviews="\n\n".join(blocks),
            review_count=count,
            max_points=MAX_POINTS,
        )

    async def _prepare(
        self,
        film: Film,
        reviews: Sequence[Review],
        mode: Mode,
        guard: SpoilerGuard,
        allow: AllowList,
        requester: Requester,
        spend: _Spend,
    ) -> tuple[list[Message], list[int]]:
        key = new_key()
        items = [m for m in (material(r, mode, allow) for r in reviews) if not m.empty]
        if not items:
            raise _NothingToShow
        direct = self._messages(film, mode, key, [i.block(key) for i in items], len(items))
        if self._chat.prompt_tokens(direct) <= min(self.direct_max_tokens, self.input_budget):
            return direct, [i.review.id for i in items]

        digests = await self._digests(film, items, guard, requester, spend)
        blocks: dict[int, str] = {}
        candidates: list[Candidate] = []
        for item in items:
            digest = digests.get(item.review.id)
            if digest is None:
                continue
            spoilers = digest.spoiler_digest if mode == "spoilers" else ""
            if not digest.safe_digest and not spoilers:
                continue
            blocks[item.review.id] = review_block(item.review, key, digest.safe_digest, spoilers)
            candidates.append(
                Candidate(
                    item.review.id, item.review.author, item.review.rating,
                    f"{digest.safe_digest} {spoilers}", self._chat.counter.count(blocks[item.review.id]) + 2,
                )
            )
        base = self._chat.prompt_tokens(self._messages(film, mode, key, [], len(candidates)))
        chosen = select_representative(candidates, self.input_budget - base)
        if not chosen:
            raise LLMContextTooLong("not even one review digest fits the model's context window")
        if len(chosen) < len(candidates):
            spend.notes.append(
                f"Written from {len(chosen)} representative reviews of {len(candidates)}: "
                "all of them do not fit in the model's context window."
            )
        messages = self._messages(film, mode, key, [blocks[c.review_id] for c in chosen], len(chosen))
        return messages, [c.review_id for c in chosen]

    async def _digests(
        self,
        film: Film,
        items: Sequence[ReviewMaterial],
        guard: SpoilerGuard,
        requester: Requester,
        spend: _Spend,
    ) -> dict[int, Digest]:
        """Stored digests plus new ones for the reviews missing one (as many as today's budget pays)."""
        digests = await self._digester.stored(items)
        missing = [i for i in items if i.review.id not in digests]
        if missing:
            affordable = await self._affordable(film, missing, len(items), requester)
            if len(affordable) < len(missing):
                spend.complete = False
                spend.notes.append(
                    f"Written from {len(digests) + len(affordable)} of {len(items)} reviews: today's LLM "
                    "token allowance does not cover reading the rest yet."
                )
            batch = await self._digester.make(film, affordable, guard, requester)
            spend.add(batch.input_tokens, batch.output_tokens)
            digests.update(batch.digests)
        return digests

    async def _affordable(
        self, film: Film, missing: Sequence[ReviewMaterial], total: int, requester: Requester
    ) -> list[ReviewMaterial]:
        """The missing reviews to digest now: all, or a representative subset today's budget covers.

        Raises BudgetExceeded (before any call) when today's budget covers neither the final call
        nor, when no review has a digest yet, a single digest.
        """
        left = await self._budget.remaining(requester)
        final = min(self._chat.context_window, 1000 + total * DIGEST_BLOCK_TOKENS + self.max_output_tokens)
        costs = {i.review.id: self._digester.estimate(film, i) for i in missing}
        if sum(costs.values()) + final <= left:
            return list(missing)
        already = total - len(missing)  # reviews with a stored digest: enough to write from, if need be
        await self._budget.ensure_available(requester, final + (0 if already else min(costs.values())))
        candidates = [
            Candidate(i.review.id, i.review.author, i.review.rating, f"{i.said} {i.spoilers}", costs[i.review.id])
            for i in missing
        ]
        chosen = {c.review_id for c in select_representative(candidates, left - final)}
        return [i for i in missing if i.review.id in chosen]

    # --- writing ---------------------------------------------------------------------------------
    async def _write(
        self,
        film: Film,
        reviews: Sequence[Review],
        mode: Mode,
        guard: SpoilerGuard,
        messages: list[Message],
        known_ids: list[int],
        requester: Requester,
        spend: _Spend,
        on_text: TextCallback | None,
    ) -> EngineOutput:
        header = summary_header(film, reviews)
        generated = await generate_points(
            self._chat,
            messages,
            known_ids=known_ids,
            max_tokens=self.max_output_tokens,
            requester=requester,
            purpose=f"summary:{mode}",
            guard=guard,
            mode=mode,
            render=lambda shown: render_summary(header, shown),
            on_text=on_text,
        )
        spend.add(generated.input_tokens, generated.output_tokens)
        report = GuardReport()
        guarded = [g for g in (guard.check(p, mode, report) for p in generated.value) if g is not None]
        if self.spoiler_check and mode == "spoiler_free" and guarded:
            guarded = await self._second_opinion(film, guarded, requester, spend, report)
        if not guarded or report.dropped_share > MAX_DROPPED_SHARE:
            log.warning(
                "film %s: the guard removed %d of %d sentences (%s); answering offline",
                film.id, report.sentences_dropped, report.sentences_in, dict(report.reasons),
            )
            return await self._fallback(film, reviews, mode, requester, TOO_REVEALING, spend)
        notes = [f"Written by an LLM ({self._chat.model}); every sentence was checked by the spoiler guard."]
        notes += spend.notes
        if report.sentences_dropped:
            n = report.sentences_dropped
            notes.append(f"The spoiler guard removed {n} sentence{'s' if n != 1 else ''} of the LLM's answer.")
        sources = list(dict.fromkeys(s for g in guarded for s in g.sources))
        return EngineOutput(
            render_summary(header, guarded), sources, spend.input_tokens, spend.output_tokens, notes,
            cacheable=spend.complete,
        )

    async def _second_opinion(
        self, film: Film, guarded: list[GuardedPoint], requester: Requester, spend: _Spend, report: GuardReport
    ) -> list[GuardedPoint]:
        """Optional (LLM_SPOILER_CHECK): ask the model which sentences of the draft spoil the film.

        A failed check is a failed summary (fail closed): the LLMError reaches the offline fallback.
        """
        sentences = [(index, span.text) for index, g in enumerate(guarded) for span in split_review(g.text)]
        key = new_key()
        draft = block("draft", "", key, [(str(n), text) for n, (_, text) in enumerate(sentences, 1)])
        messages = self._prompts.render(
            "spoiler_check", key=key, film=film_body(film, characters=True), draft=draft
        )
        parsed = await complete_parsed(
            self._chat, messages, lambda text: parse_check(text, len(sentences)),
            max_tokens=SPOILER_CHECK_MAX_TOKENS, requester=requester, purpose="spoiler_check",
            schema=CHECK_SCHEMA,
        )
        spend.add(parsed.input_tokens, parsed.output_tokens)
        if not parsed.value:
            return guarded
        report.drop("llm_check", len(parsed.value))
        kept: dict[int, list[str]] = {}
        for n, (index, text) in enumerate(sentences, 1):
            if n not in parsed.value:
                kept.setdefault(index, []).append(text)
        return [
            GuardedPoint(" ".join(kept[i]), g.sources, g.hidden) for i, g in enumerate(guarded) if i in kept
        ]

    async def _fallback(
        self, film: Film, reviews: Sequence[Review], mode: Mode, requester: Requester, note: str, spend: _Spend
    ) -> EngineOutput:
        """The offline summary, without review sentences that carry links, mentions or injection talk
        (the offline engine quotes reviews verbatim, and this path is often taken under attack)."""
        cleaned = [
            dataclasses.replace(r, sentences=tuple(s for s in r.sentences if unsafe_reason(s.text) is None))
            for r in reviews
        ]
        result = await self._offline.summarize(film, cleaned, mode=mode, requester=requester)
        return EngineOutput(
            neutralise(result.text), result.sources, spend.input_tokens, spend.output_tokens, [note],
            engine="offline",
        )


def render_summary(header: str, points: Sequence[GuardedPoint], char_limit: int = SUMMARY_CHAR_LIMIT) -> str:
    """Header and one bullet per point, within the length limit; mentions and links neutralised."""
    lines = [neutralise(header)]
    used = len(lines[0])
    for point in points:
        line = f"• {neutralise(point.text)}"
        if used + 1 + len(line) > char_limit:
            break
        lines.append(line)
        used += 1 + len(line)
    return "\n".join(lines)
