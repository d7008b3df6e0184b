"""Film catalogues at scale: the IMDb datasets import, run off the event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.importers.imdb import ImdbReport, Progress, import_imdb, is_imdb_path
from bot.services.films import FilmService
from storage.db import Database
from storage.errors import explained


class CatalogueService:
    def __init__(self, db: Database, films: FilmService) -> None:
        self._db = db
        self._films = films

    @staticmethod
    def is_imdb(path: Path) -> bool:
        return is_imdb_path(path)

    async def import_imdb(
        self,
        path: Path,
        *,
        title_types: frozenset[str] = frozenset({"movie"}),
        include_adult: bool = False,
        progress: Progress | None = None,
    ) -> ImdbReport:
        with explained(self._db.path):  # its own connection: busy, disk full… become clear errors too
            report = await asyncio.to_thread(
                import_imdb, self._db.path, path, title_types=title_types, include_adult=include_adult,
                progress=progress,
            )
        self._films.invalidate()
        return report
