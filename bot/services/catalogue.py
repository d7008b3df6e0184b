"""Film catalogues at scale: the IMDb datasets import, run off the event loop."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from bot.importers.imdb import ImdbReport, Progress, import_imdb, is_imdb_path
from bot.services.films import FilmService
from storage.ports import Store


class CatalogueService:
    def __init__(self, store: Store, films: FilmService) -> None:
        self._store = store
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
        report = await self._store.load_catalogue(
            partial(import_imdb, path=path, title_types=title_types, include_adult=include_adult, progress=progress)
        )
        self._films.invalidate()
        return report
