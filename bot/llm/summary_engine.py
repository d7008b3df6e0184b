"""Film summaries written by an LLM, within token budgets, through the spoiler guard.

Route:
1. Nothing is sent without budget: BudgetExceeded before the first call when today's tokens are spent.
2. What the model may read (bot/llm/material.py): in spoiler-free mode only safe sentences.
3. Small films (material within `direct_max_tokens`): one call over the reviews themselves.
   Larger films: one call over the per-review digests, which the background queue made when the
   reviews were added (bot/llm/digest_queue.py); never a digest call here, so a cache miss is one
   call. A review the queue has not read yet is shown by an excerpt, its opinions first (and the summary is not
   cached). Blocks that do not all fit are narrowed to a representative selection (selection.py).
4. The model answers in JSON points, one or more per aspect. Each point is checked against the
   reviews it cites (bot/llm/grounding.py: no prompt echo, nothing unsupported, no pasted passages)
   and goes through the spoiler guard (bot/llm/guard.py), also while streaming: people see each
   approved point as it arrives, and a progress line before the first. What the guard approves is
   kept (bot/llm/keep.py); an answer with too few usable points is asked again once, stricter; too few
   still: the offline summary fills the aspects they miss; none at all, or any LLM failure: the offline
   summary with a note. In spoiler-free mode the model then checks the draft for spoilers
   (LLM_SPOILER_CHECK, bot/llm/spoiler_check.py; nothing is streamed before it; it fails closed).
   The tokens spent are reported either way.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.llm.breaker import CircuitBreaker
from bot.llm.budget import DailyBudget
from bot.llm.client import ChatClient, Message, Usage
from bot.llm.digest_queue import DigestWorker
from bot.llm.digests import Digester
from bot.llm.errors import LLMContextTooLong, LLMError, unavailable_note
from bot.llm.grounding import PointChecker, PromptEcho
from bot.llm.guard import GuardedPoint, GuardFilm, GuardReport, SpoilerGuard
from bot.llm.keep import FILLED_NOTE, fill_from_offline, first_answer, retry_stricter, retry_texts
from bot.llm.material import (
    ReviewMaterial,
    excerpt,
    film_body,
    material,
    opening,
    plot_facts,
    said_block,
    spoilers_block,
)
from bot.llm.points import RETRY_RESERVE, generate_points
from bot.llm.prompts import PromptSet
from bot.llm.schema import ASPECTS, SPOILER_FREE_ASPECTS, Point, points_schema
from bot.llm.selection import Candidate, select_representative
from bot.llm.spoiler_check import SpoilerChecker
from bot.llm.spotlight import keyed
from bot.services.reviews import ReviewService
from bot.services.summaries import EngineOutput, Mode, OfflineEngine, Requester, TextCallback
from bot.spoilers.allowlist import ALLOWLIST_VERSION, AllowList
from bot.summarize.offline import PLOT_LABEL, SUMMARY_CHAR_LIMIT, summary_header
from bot.text.safety import neutralise, unsafe_reason
from bot.text.topics import TOPIC_LABELS, named_aspects
from storage.records import Film, Review

log = logging.getLogger(__name__)

MAX_POINTS = 7  # one per aspect and a verdict: more makes a small model slow and repetitive
MIN_POINTS = 2
EXCERPT_WORDS = 60  # a review without a digest yet is shown by an excerpt of this many words (its opinions first)
# Local servers (bot/llm/wiring.py): a 1.5B model on 2 CPU cores reads ~50 prompt tokens and writes ~11
# tokens a second, so every token before the first point counts (issue 10: first point <= 15 s, whole
# summary <= 45 s). Fewer, shorter points, and the reviews' text within a token budget: each review's
# text is shortened (down to SHORTEST_WORDS) before any review is left out.
LOCAL_MAX_POINTS = 4
# The review blocks, counted as sent. Datamarked (~2 tokens a word), 450 cut Parasite's openings from 60 to
# 35 words, before most reviewers' opinions: 5 of 5 spoiler-free answers lost every point as unsupported
# and were asked again (a second call costs more than the tokens saved); 560 (~300 words) kept them whole.
# Local servers now get the text only delimited (bot/llm/spotlight.py, ~1.3 tokens a word): 400 holds
# those ~300 words.
LOCAL_MATERIAL_TOKENS = 400
# Spoilers mode adds each review's plot sentences after every `said` block, within this share of the budget
# more (~160 tokens: enough for a plot point or two; all of it is read before the first point).
SPOILER_LINES_SHARE = 0.4
SHORTER_WORDS = (45, 35, 25, 20)  # the per-line word caps tried in turn when the blocks exceed the budget
TOO_REVEALING = "The LLM's summary gave away too much of the plot, so this is the offline summary."

NOTHING_SAFE = "Every stored review sentence may reveal the plot, so no LLM summary was written."
# The offline summary's headings, so a summary the offline one fills (`fill_from_offline`, which skips
# the aspects already covered by heading) never shows one aspect twice ("Tone" and "Mood").
_TOPIC_OF = {"visuals": "look", "tone": "mood"}  # the schema's aspect names that the offline topics name otherwise
ASPECT_LABELS = {a: PLOT_LABEL if a == "plot" else TOPIC_LABELS[_TOPIC_OF.get(a, a)] for a in ASPECTS}


class _NothingToShow(Exception):
    """Every review sentence is a spoiler: spoiler-free mode has nothing to send."""


@dataclass(slots=True)
class _Spend(Usage):
    """Tokens of every call for one summary (failed ones too), and notes for the reader."""

    notes: list[str] = field(default_factory=list)
    complete: bool = True  # False when some reviews were shown by their opening (no digest yet)


@dataclass(frozen=True, slots=True)
class _Prepared:
    messages: list[Message]
    known_ids: list[int]
    shown: dict[int, str]  # review id -> what the model was shown of it (for the support check)


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
        text_chars: int | None = None,
        worker: DigestWorker | None = None,
        max_points: int = MAX_POINTS,
        material_tokens: int | None = None,
        brief_film: bool = False,
        fill_rather_than_retry: bool = False,
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
        self.text_chars = text_chars  # a per-point length cap in the schema (servers that enforce it)
        self.max_points = max_points
        self.material_tokens = material_tokens  # a budget for the review blocks (local servers), or None
        self.brief_film = brief_film  # fewer film facts (local servers: material.film_body)
        # A single-slot local server writes a second answer in 15-40 s (1.5B model, 2 cores; half the
        # real-world summaries needed one, bench/RESULTS.md session 14): when the first answer has a usable
        # point, the offline summary fills the other aspects at once instead. With none, it asks again.
        self.fill_rather_than_retry = fill_rather_than_retry
        self._key_secret = secrets.token_bytes(16)  # data keys: unguessable, and the same for a film's two modes
        self._echo = PromptEcho([*prompts.instruction_texts(), *retry_texts()])
        self.worker = worker  # the background digest queue (bot/llm/digest_queue.py)
        self.name = f"openai:{chat.model}"
        # The cache key follows the prompts, the allow-list the guard applies, its threshold and the second check:
        # a summary cached under older rules is made again when any of them changes.
        self.prompt_version = (
            f"{prompts.version}-a{ALLOWLIST_VERSION}-t{threshold:.3f}{'-c' if spoiler_check else ''}"
        )

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
            prepared = await self._prepare(film, reviews, mode, allow, spend)
            if on_text is not None:
                count = len(prepared.known_ids)
                await on_text(progress_text(summary_header(film, reviews), count))
            return await self._write(film, reviews, mode, guard, prepared, requester, spend, on_text)
        except _NothingToShow:
            result = await self._offline.summarize(film, reviews, mode=mode, requester=requester)
            return EngineOutput(result.text, result.sources, notes=[NOTHING_SAFE])
        except LLMError as error:
            log.warning("LLM summary of film %s failed (%s); answering offline", film.id, error.reason)
            return await self._fallback(film, reviews, mode, requester, unavailable_note(error), spend)

    async def warm(self) -> bool:
        """Put the spoiler-free summary's system prompt (the most asked-for) into a single-slot
        server's prompt cache (bot/llm/client.py ChatClient.warm)."""
        system = self._messages(Film(0, "", None), "spoiler_free", "", {}, {})[0]  # the same for every film
        return await self._chat.warm([system, {"role": "user", "content": "."}])

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

    def _messages(
        self, film: Film, mode: Mode, key: str, reviews: dict[int, Review], texts: dict[int, tuple[str, str]]
    ) -> list[Message]:
        """The summary prompt over `texts` (review id -> (said, spoilers)). Both modes send the same
        system prompt (both modes' rules), film block and `said` blocks, in that order; spoilers mode
        then adds the plot facts and the spoiler sentences; the mode is named last. A spoilers summary
        asked for right after the spoiler-free one (its "Show spoilers" button) then finds all of that
        in a single-slot server's prompt cache and reads only what spoilers mode adds."""
        spot = self._prompts.spotlight
        values: dict[str, str | int] = {
            "key": key,
            "film": film_body(film, spot, characters=False, brief=self.brief_film),
            "reviews": "\n\n".join(said_block(reviews[i], key, said, spot) for i, (said, _) in texts.items() if said),
            "review_count": len(texts),
            "min_points": _min_points(len(texts)),
            "max_points": self.max_points,
        }
        if mode == "spoiler_free":
            return self._prompts.render("summary_spoiler_free", **values)
        plot = plot_facts(film, brief=self.brief_film)
        values["plot"] = spot.block("film plot", "", key, plot) if plot else ""
        values["spoilers"] = "\n\n".join(
            spoilers_block(reviews[i], key, spoilers, spot) for i, (_, spoilers) in texts.items() if spoilers
        )
        return self._prompts.render("summary_spoilers", **values)

    async def _prepare(
        self, film: Film, reviews: Sequence[Review], mode: Mode, allow: AllowList, spend: _Spend
    ) -> _Prepared:
        key = keyed(self._key_secret, film.id)  # the same in both modes: their prompts start alike
        items = [m for m in (material(r, mode, allow) for r in reviews) if not m.empty]
        if not items:
            raise _NothingToShow
        by_id = {item.review.id: item.review for item in items}
        whole = {item.review.id: (item.said, item.spoilers) for item in items}
        direct = self._messages(film, mode, key, by_id, whole)
        if self._chat.prompt_tokens(direct) <= min(self.direct_max_tokens, self.input_budget):
            return _Prepared(direct, list(whole), {i.review.id: i.text for i in items})

        texts, waiting = await self._digested(items, mode, allow)
        limit = self.material_tokens
        # Local servers: the `said` blocks within `limit`, chosen as in spoiler-free mode (so both modes'
        # prompts start alike); spoilers mode's plot sentences within a budget of their own after them.
        spoiler_limit = round(limit * SPOILER_LINES_SHARE) if limit is not None and mode == "spoilers" else None
        if limit is not None:  # shorter texts first; only then are reviews left out (below)
            texts = self._shortened(key, by_id, texts, limit, part=0)
            if spoiler_limit is not None:
                texts = self._shortened(key, by_id, texts, spoiler_limit, part=1)
        if waiting:
            spend.complete = False  # written again once the queue has read every review
            spend.notes.append(
                f"{waiting} of {len(items)} reviews are still being read in the background; "
                "an excerpt of each was used."
            )
        candidates = [
            Candidate(
                i, by_id[i].author, by_id[i].rating, f"{said} {spoilers}",
                self._tokens(key, by_id, {i: (said, spoilers)}, part=-1 if limit is None else 0),
            )
            for i, (said, spoilers) in texts.items()
        ]
        budget = self.input_budget - self._chat.prompt_tokens(self._messages(film, mode, key, by_id, {}))
        if limit is not None:
            budget = min(budget - (spoiler_limit or 0), limit)
        chosen = select_representative(candidates, budget)
        if not chosen:
            raise LLMContextTooLong("not even one review digest fits the model's context window")
        if len(chosen) < len(candidates):
            spend.notes.append(
                f"Written from {len(chosen)} representative reviews of {len(candidates)}: "
                "they do not all fit in what the model is given to read."
            )
        picked = {c.review_id: texts[c.review_id] for c in chosen}
        if spoiler_limit is not None:
            picked = self._spoilers_within(key, by_id, picked, spoiler_limit)
        messages = self._messages(film, mode, key, by_id, picked)
        return _Prepared(messages, list(picked), {i: f"{said} {spoilers}" for i, (said, spoilers) in picked.items()})

    async def _digested(
        self, items: Sequence[ReviewMaterial], mode: Mode, allow: AllowList
    ) -> tuple[dict[int, tuple[str, str]], int]:
        """(said, spoilers) of each review from its stored digests, and how many reviews have none yet
        (shown by an excerpt). The `said` part comes from the spoiler-free digest in both modes,
        so both modes show the same `said` blocks."""
        digests = await self._digester.stored(items)
        safe = digests
        if mode == "spoilers":
            safe_items = [m for m in (material(i.review, "spoiler_free", allow) for i in items) if not m.empty]
            safe = await self._digester.stored(safe_items)
        texts: dict[int, tuple[str, str]] = {}
        waiting = 0
        for item in items:
            review_id = item.review.id
            digest, safe_digest = digests.get(review_id), safe.get(review_id)
            if digest is None or (item.said and safe_digest is None):
                waiting += 1  # not read by the queue yet: an excerpt stands in
            said = safe_digest.safe_digest if safe_digest is not None else excerpt(item.said_sentences, EXCERPT_WORDS)
            spoilers = ""
            if mode == "spoilers":
                spoilers = digest.spoiler_digest if digest is not None else opening(item.spoilers, EXCERPT_WORDS)
            if said or spoilers:
                texts[review_id] = (said, spoilers)
        return texts, waiting

    def _tokens(self, key: str, reviews: dict[int, Review], texts: dict[int, tuple[str, str]], part: int = -1) -> int:
        """Tokens of the blocks of `texts` as sent (`part` 0: the `said` blocks, 1: the spoilers blocks)."""
        spot, total = self._prompts.spotlight, 0
        for review_id, (said, spoilers) in texts.items():
            if said and part in (-1, 0):
                total += self._chat.counter.count(said_block(reviews[review_id], key, said, spot)) + 2
            if spoilers and part in (-1, 1):
                total += self._chat.counter.count(spoilers_block(reviews[review_id], key, spoilers, spot)) + 2
        return total

    def _spoilers_within(
        self, key: str, reviews: dict[int, Review], texts: dict[int, tuple[str, str]], limit: int
    ) -> dict[int, tuple[str, str]]:
        """`texts` with each review's plot sentences kept, in order, while their blocks fit `limit`
        (the rest keep only their `said` part; a review with nothing left is left out)."""
        kept: dict[int, tuple[str, str]] = {}
        used = 0
        for review_id, (said, spoilers) in texts.items():
            cost = self._tokens(key, reviews, {review_id: ("", spoilers)}, part=1)
            if spoilers and used + cost > limit:
                spoilers = ""
            used += cost if spoilers else 0
            if said or spoilers:
                kept[review_id] = (said, spoilers)
        return kept

    def _shortened(
        self, key: str, reviews: dict[int, Review], texts: dict[int, tuple[str, str]], limit: int, *, part: int
    ) -> dict[int, tuple[str, str]]:
        """`texts` with one part of each review (0: said, 1: spoilers) cut to fewer words in turn
        (SHORTER_WORDS) until that part's blocks fit `limit`; the other part is left as it is."""
        fitted = texts
        for words in SHORTER_WORDS:
            if self._tokens(key, reviews, fitted, part) <= limit:
                break
            fitted = {
                i: (opening(said, words), spoilers) if part == 0 else (said, opening(spoilers, words))
                for i, (said, spoilers) in texts.items()
            }
        return fitted

    # --- writing ---------------------------------------------------------------------------------
    async def _write(
        self,
        film: Film,
        reviews: Sequence[Review],
        mode: Mode,
        guard: SpoilerGuard,
        prepared: _Prepared,
        requester: Requester,
        spend: _Spend,
        on_text: TextCallback | None,
    ) -> EngineOutput:
        header = summary_header(film, reviews)
        count = len(prepared.known_ids)
        # Spoilers mode shows the film's premise: a `plot` point that retells it says what the facts say,
        # not something invented (the 1.5B model's spoilers answers were dropped whole for "…follows two
        # ambitious stage magicians…", unsupported by the review it cited). A spoiler-free summary has no
        # plot points: nothing there is supported by the premise.
        background = (film.logline or "") if mode == "spoilers" else ""
        checker = PointChecker(
            self._echo, prepared.shown, background=background, names=[film.title, *film.directors, *film.cast],
            ratings=[r.rating for r in reviews if r.rating is not None], silence_answers=False,
        )
        schema = points_schema(
            min_points=_min_points(count), max_points=self.max_points, aspects=True, text_chars=self.text_chars,
            aspect_names=SPOILER_FREE_ASPECTS if mode == "spoiler_free" else ASPECTS,
        )
        generated = await generate_points(
            self._chat,
            prepared.messages,
            known_ids=prepared.known_ids,
            max_tokens=self.max_output_tokens,
            requester=requester,
            purpose=f"summary:{mode}",
            guard=guard,
            mode=mode,
            render=lambda shown: render_summary(header, shown),
            checker=checker,
            schema=schema,
            # Nothing is shown before the second check has read it (it may remove what was shown).
            on_text=None if self.spoiler_check and mode == "spoiler_free" else on_text,
            usage=spend,
        )
        answer = first_answer(generated, guard, mode)
        needed = _min_points(count)
        enough = 1 if self.fill_rather_than_retry else needed
        if len(answer.points) < enough and generated.attempts == 1:
            answer = await retry_stricter(
                self._chat, prepared.messages, answer, known_ids=prepared.known_ids,
                max_tokens=self.max_output_tokens, requester=requester, purpose=f"summary:{mode}", guard=guard,
                checker=checker, mode=mode, schema=schema, usage=spend,
            )
        kept, report, revealing = answer.points, answer.report, answer.revealing
        if self.spoiler_check and mode == "spoiler_free" and kept:
            if on_text is not None:  # the points wait for the check; say what is happening meanwhile
                await on_text(checking_text(header, len(kept)))
            kept = await self._second_opinion(film, kept, guard, requester, spend, report)
        if not kept:
            log.warning(
                "film %s: %d usable points after the guard removed %d of %d sentences (%s); answering offline",
                film.id, len(kept), report.sentences_dropped, report.sentences_in, dict(report.reasons),
            )
            return await self._fallback(film, reviews, mode, requester, TOO_REVEALING, spend)
        notes = [f"Written by an LLM ({self._chat.model}); every sentence was checked by the spoiler guard."]
        notes += spend.notes
        if report.sentences_dropped:
            n = report.sentences_dropped
            notes.append(f"The spoiler guard removed {n} sentence{'s' if n != 1 else ''} of the LLM's answer.")
        removed = answer.checks.sentences_dropped - revealing
        if removed > 0:
            notes.append(
                f"{removed} sentence{'s' if removed != 1 else ''} the reviews do not support "
                f"{'were' if removed != 1 else 'was'} left out."
            )
        sources = list(dict.fromkeys(s for _, g in kept for s in g.sources))
        text = render_summary(header, kept)
        # Too few opinions to stand alone (plot points alone summarise no review): the offline summary
        # fills the aspects the model did not cover.
        if sum(1 for point, _ in kept if point.aspect != "plot") < needed:
            offline = await self._fallback(film, reviews, mode, requester, "", spend)
            text, added = fill_from_offline(text, offline.text, SUMMARY_CHAR_LIMIT)
            if added:
                notes.append(FILLED_NOTE)
                sources += [s for s in offline.sources if s not in sources]
        return EngineOutput(
            text, sources, spend.input_tokens, spend.output_tokens, notes, cacheable=spend.complete
        )

    async def _second_opinion(
        self,
        film: Film,
        points: list[tuple[Point, GuardedPoint]],
        guard: SpoilerGuard,
        requester: Requester,
        spend: _Spend,
        report: GuardReport,
    ) -> list[tuple[Point, GuardedPoint]]:
        """LLM_SPOILER_CHECK (bot/llm/spoiler_check.py): the model says which sentences of the draft
        reveal plot, given the film's known spoilers; it can only remove. A failed check is a failed
        summary (fail closed): the LLMError reaches the offline fallback."""
        result = await SpoilerChecker(self._chat, self._prompts, bound_numbers=bool(self.text_chars)).check(
            film_body(film, self._prompts.spotlight, characters=True), guard.revealing, [g for _, g in points],
            requester=requester, usage=spend,
        )
        if result.flagged:
            report.drop("llm_check", result.flagged)
            log.info("film %s: the model-as-checker removed %d sentences", film.id, result.flagged)
        spend.notes.append(result.note())
        return [
            (p, dataclasses.replace(g, text=text))
            for (p, g), text in zip(points, result.remaining, strict=True) if text is not None
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


def _min_points(review_count: int) -> int:
    return min(MIN_POINTS, review_count)


def progress_text(header: str, review_count: int) -> str:
    """What people see while a (slow, local) model reads: the header and what is happening."""
    return f"{neutralise(header)}\n*Reading {review_count} review{'s' if review_count != 1 else ''}…*"


def checking_text(header: str, points: int) -> str:
    """What people see while the model's second check reads the draft (its points are not shown
    before: the check may remove some)."""
    return f"{neutralise(header)}\n*Checking {points} point{'s' if points != 1 else ''} for spoilers…*"


_TOPIC_ASPECT = {"look": "visuals", "mood": "tone"}  # bot.text.topics' names for two of the schema's aspects


def heading_aspect(aspect: str, text: str) -> str:
    """The aspect a point is shown under: the model's, unless the point names other craft aspects and
    not that one (the 1.5B model put "The music is forgettable" under Writing and "Every camera move has
    a reason" under Writing); then the first it names. Plot and verdict points keep theirs."""
    if aspect not in ASPECTS:
        return ""
    named = {_TOPIC_ASPECT.get(a, a) for a in named_aspects(text)} - {"verdict"}
    if aspect in ("plot", "verdict") or not named or aspect in named:
        return aspect
    return next(a for a in ASPECTS if a in named)


def render_summary(
    header: str, points: Sequence[tuple[Point, GuardedPoint]], char_limit: int = SUMMARY_CHAR_LIMIT
) -> str:
    """Header and one line per aspect (in the order the model gave them, the verdict last), within
    the length limit; mentions and links neutralised."""
    order: dict[str, list[str]] = {}
    for point, guarded in points:
        aspect = heading_aspect(point.aspect, guarded.text)
        order.setdefault(aspect, []).append(neutralise(guarded.text))
    if "verdict" in order:
        order["verdict"] = order.pop("verdict")
    lines = [neutralise(header)]
    used = len(lines[0])
    for aspect, texts in order.items():
        label = ASPECT_LABELS.get(aspect)
        groups = [texts] if label else [[t] for t in texts]  # points without an aspect: one line each
        for group in groups:
            line = f"• **{label}**:" if label else "•"
            for text in group:  # as many of the group's points as fit
                if used + 1 + len(line) + 1 + len(text) > char_limit:
                    break
                line += f" {text}"
            if line.endswith(":") or line == "•":
                continue
            lines.append(line)
            used += 1 + len(line)
    return "\n".join(lines)
