"""Start-up wiring: open the database (and, when configured, the LLM client) once, build the
services on top, and hand them to a front door. Nothing here is global: `open_services` is the
one place resources are created and closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from bot.services.ask import AnswerEngine, AskService
from bot.services.catalogue import CatalogueService
from bot.services.films import FilmService
from bot.services.guild_settings import GuildSettingsService
from bot.services.importer import ImportService
from bot.services.privacy import PrivacyService
from bot.services.reviews import ReviewService
from bot.services.summaries import OfflineEngine, SummaryEngine, SummaryService
from bot.services.watchlist import WatchlistService
from bot.settings import Settings
from bot.spoilers import names as spoiler_names
from bot.spoilers.detector import SpoilerDetector
from bot.tokens import TokenCounter
from storage.backends import open_store
from storage.ports import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store  # the database, whichever backend REVIEWBOT_DB chose
    films: FilmService
    reviews: ReviewService
    summaries: SummaryService
    watchlist: WatchlistService
    ask: AskService
    importer: ImportService
    privacy: PrivacyService
    catalogue: CatalogueService
    engine_name: str
    guilds: GuildSettingsService  # per-server settings (/admin settings)


def _report_rescoring(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("rescoring reviews failed; it is tried again at the next start", exc_info=task.exception())


async def _stop(task: asyncio.Task[int]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@asynccontextmanager
async def open_services(settings: Settings, *, load_sample: bool | None = None) -> AsyncIterator[Services]:
    """Everything the bot needs, opened once; closed in reverse order on exit."""
    async with AsyncExitStack() as stack:
        store = await open_store(settings.reviewbot_db)
        stack.push_async_callback(store.close)

        film_repo = store.films
        review_repo = store.reviews
        films = FilmService(film_repo, max_title_chars=settings.max_title_chars)
        reviews = ReviewService(
            review_repo,
            film_repo,
            SpoilerDetector(),
            threshold=settings.spoiler_threshold,
            max_review_chars=settings.max_review_chars,
        )
        counter = TokenCounter(settings.llm_model)
        offline = OfflineEngine(settings.spoiler_threshold)
        summary_engine: SummaryEngine = offline
        answer_engine: AnswerEngine | None = None
        if settings.llm_configured:
            from bot.llm.wiring import build_llm_engines

            summary_engine, answer_engine = await build_llm_engines(
                settings, store, stack, offline, counter, reviews=reviews
            )
        summaries = SummaryService(films, reviews, store.summaries, summary_engine)
        ask = AskService(
            films,
            film_repo,
            reviews,
            review_repo,
            store.conversations,
            counter,
            threshold=settings.spoiler_threshold,
            max_question_chars=settings.max_question_chars,
            history_budget=settings.conversation_token_budget,
            max_turns=settings.conversation_max_turns,
            engine=answer_engine,
        )
        watchlist = WatchlistService(
            store.watchlists,
            films,
            scope_mode=settings.watchlist_scope,
            max_size=settings.max_watchlist_size,
            max_note_chars=settings.max_note_chars,
        )
        importer = ImportService(
            store, films, reviews,
            max_review_chars=settings.max_review_chars, max_watchlist_size=settings.max_watchlist_size,
        )
        privacy = PrivacyService(
            store.users, store.watchlists, review_repo, store.conversations
        )
        services = Services(
            settings, store, films, reviews, summaries, watchlist, ask, importer, privacy,
            CatalogueService(store, films), summary_engine.name, GuildSettingsService(store.guild_settings),
        )
        if settings.reviewbot_load_sample if load_sample is None else load_sample:
            report = await importer.load_sample()
            if report is not None:
                log.info("loaded the sample data: %s", report.describe())
        await films.warm()  # the title vocabulary, before the first lookup needs it
        await asyncio.to_thread(spoiler_names.warm)  # the allow-list's word list (0.2 s), off the loop
        # Scores stored by an older spoiler detector are redone in the background (resumable).
        rescoring = asyncio.create_task(reviews.rescore_outdated(store.meta), name="rescore-outdated")
        rescoring.add_done_callback(_report_rescoring)
        stack.push_async_callback(_stop, rescoring)
        yield services
