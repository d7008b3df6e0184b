"""Start-up wiring: open the database (and, when configured, the LLM client) once, build the
services on top, and hand them to a front door. Nothing here is global: `open_services` is the
one place resources are created and closed.

Each service is built (and its module imported) on first use: a one-shot command such as
`reviewbot film se7en` never imports the spoiler detector, the summarizer or the importer, which
is most of what start-up used to spend. The Discord bot and the chat warm up what they will need
(`warm=True`, the default); one-shot commands skip that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from bot.services.meta_keys import SAMPLE_META_KEY
from bot.settings import Settings
from storage.backends import open_store
from storage.limits import LimitsStore
from storage.ports import Store

if TYPE_CHECKING:
    from bot.services.ask import AnswerEngine, AskService
    from bot.services.catalogue import CatalogueService
    from bot.services.films import FilmService
    from bot.services.guild_settings import GuildSettingsService
    from bot.services.importer import ImportService
    from bot.services.privacy import PrivacyService
    from bot.services.reviews import ReviewService
    from bot.services.summaries import OfflineEngine, SummaryEngine, SummaryService
    from bot.services.watchlist import WatchlistService
    from bot.tokens import TokenCounter

log = logging.getLogger(__name__)


class Services:
    """The service layer over one store. Every service is built once, on first use; the LLM
    engines (when configured) are given at construction, since building them is asynchronous."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        summary_engine: SummaryEngine | None = None,
        answer_engine: AnswerEngine | None = None,
    ) -> None:
        self.settings = settings
        self.store = store  # the database, whichever backend REVIEWBOT_DB chose
        self._summary_engine = summary_engine
        self._answer_engine = answer_engine

    def use_llm(self, summary_engine: SummaryEngine, answer_engine: AnswerEngine) -> None:
        """Install the LLM engines (before the summary and ask services are first used)."""
        if "summaries" in self.__dict__ or "ask" in self.__dict__:
            raise RuntimeError("the LLM engines must be installed before the services that use them are built")
        self._summary_engine, self._answer_engine = summary_engine, answer_engine

    @property
    def limits(self) -> LimitsStore:
        """Cooldowns and rate limits, shared by every process (bot/services/limits.py)."""
        return self.store.limits

    @property
    def engine_name(self) -> str:
        return self._summary_engine.name if self._summary_engine is not None else "offline"

    @cached_property
    def films(self) -> FilmService:
        from bot.services.films import FilmService

        return FilmService(self.store.films, max_title_chars=self.settings.max_title_chars)

    @cached_property
    def reviews(self) -> ReviewService:
        from bot.services.reviews import ReviewService
        from bot.spoilers.detector import SpoilerDetector

        return ReviewService(
            self.store.reviews,
            self.store.films,
            SpoilerDetector(),
            threshold=self.settings.spoiler_threshold,
            max_review_chars=self.settings.max_review_chars,
        )

    @cached_property
    def counter(self) -> TokenCounter:
        from bot.tokens import TokenCounter

        return TokenCounter(self.settings.llm_model)

    @cached_property
    def offline_engine(self) -> OfflineEngine:
        from bot.services.summaries import OfflineEngine

        return OfflineEngine(self.settings.spoiler_threshold)

    @cached_property
    def summaries(self) -> SummaryService:
        from bot.services.summaries import SummaryService

        engine = self._summary_engine or self.offline_engine
        return SummaryService(self.films, self.reviews, self.store.summaries, engine)

    @cached_property
    def ask(self) -> AskService:
        from bot.services.ask import AskService

        settings = self.settings
        return AskService(
            self.films,
            self.store.films,
            self.reviews,
            self.store.reviews,
            self.store.conversations,
            self.counter,
            threshold=settings.spoiler_threshold,
            max_question_chars=settings.max_question_chars,
            history_budget=settings.conversation_token_budget,
            max_turns=settings.conversation_max_turns,
            engine=self._answer_engine,
        )

    @cached_property
    def watchlist(self) -> WatchlistService:
        from bot.services.watchlist import WatchlistService

        settings = self.settings
        return WatchlistService(
            self.store.watchlists,
            self.films,
            scope_mode=settings.watchlist_scope,
            max_size=settings.max_watchlist_size,
            max_note_chars=settings.max_note_chars,
        )

    @cached_property
    def importer(self) -> ImportService:
        from bot.services.importer import ImportService

        return ImportService(
            self.store, self.films, self.reviews,
            max_review_chars=self.settings.max_review_chars, max_watchlist_size=self.settings.max_watchlist_size,
        )

    @cached_property
    def privacy(self) -> PrivacyService:
        from bot.services.privacy import PrivacyService

        store = self.store
        return PrivacyService(store.users, store.watchlists, store.reviews, store.conversations)

    @cached_property
    def catalogue(self) -> CatalogueService:
        from bot.services.catalogue import CatalogueService

        return CatalogueService(self.store, self.films)

    @cached_property
    def guilds(self) -> GuildSettingsService:
        """Per-server settings (/admin settings)."""
        from bot.services.guild_settings import GuildSettingsService

        return GuildSettingsService(self.store.guild_settings)


def _report_rescoring(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("rescoring reviews failed; it is tried again at the next start", exc_info=task.exception())


async def _stop(task: asyncio.Task[int]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@asynccontextmanager
async def open_services(
    settings: Settings, *, load_sample: bool | None = None, warm: bool = True
) -> AsyncIterator[Services]:
    """Everything the bot needs, opened once; closed in reverse order on exit.

    `warm`: load the title vocabulary and the allow-list's word list now, and rescore reviews
    scored by an older spoiler detector in the background: what a long-running front door (the
    Discord bot, the chat) wants. A one-shot command passes False: a warm-up costs more than the one
    look-up it makes, and outdated scores (rare: after an upgrade) are redone before it answers.
    """
    async with AsyncExitStack() as stack:
        store = await open_store(settings.reviewbot_db)
        stack.push_async_callback(store.close)
        services = Services(settings, store)
        if settings.llm_configured:
            from bot.llm.wiring import build_llm_engines

            services.use_llm(
                *await build_llm_engines(
                    settings, store, stack, services.offline_engine, services.counter, reviews=services.reviews
                )
            )
        if (settings.reviewbot_load_sample if load_sample is None else load_sample) and not await store.meta.get(
            SAMPLE_META_KEY
        ):
            report = await services.importer.load_sample()
            if report is not None:
                log.info("loaded the sample data: %s", report.describe())
        if warm:
            from bot.spoilers import names as spoiler_names

            await services.films.warm()  # the title vocabulary, before the first lookup needs it
            await asyncio.to_thread(spoiler_names.warm)  # the allow-list's word list (0.2 s), off the loop
            # Scores stored by an older spoiler detector are redone in the background (resumable).
            rescoring = asyncio.create_task(
                services.reviews.rescore_outdated(store.meta), name="rescore-outdated"
            )
            rescoring.add_done_callback(_report_rescoring)
            stack.push_async_callback(_stop, rescoring)
        else:
            # A one-shot command may be the first run after an upgrade: it must not answer from scores an
            # older detector stored (fail closed), so it rescores first. Up to date, this is one meta read.
            await services.reviews.rescore_outdated(store.meta)
        yield services
