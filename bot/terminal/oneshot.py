"""One-shot commands (`reviewbot summary …`, `… --json`): one service call, printed, exit code."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import InvalidInput
from bot.terminal.progress import ProgressPrinter

# Each command imports the services it calls when it runs (bot/app.py builds them on first use):
# `reviewbot film` never loads the spoiler detector, the summarizer or the importer, and --json
# output never loads rich (bot.terminal.render).
if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from bot.app import Services
    from bot.services.importer import ImportReport


def _read_text(path: str) -> str:
    """A review's text from a file, or standard input for '-'."""
    return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _show(renderable: RenderableType) -> None:
    _console().print(renderable)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


async def chat(services: Services, args: argparse.Namespace) -> int:
    from bot.terminal.chat import run_chat  # prompt_toolkit takes a while to import; only the chat needs it

    return await run_chat(services)


async def summary(services: Services, args: argparse.Namespace) -> int:
    # Status lines go to stderr, so `--json` output stays clean.
    status = ProgressPrinter(lambda line: print(line, file=sys.stderr, flush=True))
    result = await services.summaries.summarize(args.film, spoilers=args.spoilers, on_text=status)
    if args.json:
        _print_json(result.as_json())
    else:
        from bot.terminal import render  # rich: text output only

        _show(render.summary(result))
    return 0


async def film(services: Services, args: argparse.Namespace) -> int:
    found = await services.films.resolve(args.film)
    facts = await services.films.facts(found)
    if args.json:
        f = facts.film
        _print_json({
            "id": f.id, "title": f.title, "year": f.year, "original_title": f.original_title,
            "aliases": list(f.aliases), "directors": list(f.directors), "cast": list(f.cast),
            "runtime_minutes": f.runtime_minutes, "genres": list(f.genres), "logline": f.logline,
            "imdb_id": f.imdb_id, "review_count": facts.review_count, "average_rating": facts.average_rating,
        })
    else:
        from bot.terminal import render  # rich: text output only

        _show(render.film(facts))
    return 0


async def reviews(services: Services, args: argparse.Namespace) -> int:
    if args.reviews_command == "add":
        try:
            text = await asyncio.to_thread(_read_text, str(args.text_file))
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(f"Couldn't read {args.text_file}: {error}") from None
        found = await services.films.resolve(args.film)
        added = await services.reviews.add(
            found, text=text, author=args.author, rating=args.rating, contains_spoilers=args.spoilers,
            source="terminal",
        )
        if args.json:
            _print_json({"review_id": added.review_id, "created": added.created, "film": found.label,
                         "sentences": added.sentences, "spoiler_sentences": added.spoiler_sentences})
        else:
            from bot.terminal import render  # rich: text output only

            state = "Saved" if added.created else "Already stored"
            print(render.safe(f"{state}: review #{added.review_id} of {found.label} "
                              f"({added.spoiler_sentences} of {added.sentences} sentences look like spoilers)."))
        return 0
    if args.reviews_command != "list":
        raise InvalidInput("Use `reviewbot reviews list FILM` or `reviewbot reviews add --film FILM --text-file F`.")
    from bot.services.reviews import masked_text

    found = await services.films.resolve(args.film)
    stored = await services.reviews.for_film(found)
    threshold = services.settings.spoiler_threshold
    if args.json:
        _print_json({"film": found.label, "reviews": [
            {"id": r.id, "author": r.author, "rating": r.rating, "contains_spoilers": r.author_flagged_spoilers,
             "text": masked_text(r, threshold, reveal=args.spoilers)} for r in stored]})
        return 0
    from bot.terminal import render  # rich: text output only

    console = _console()
    for review in stored:
        stars = f" · {review.rating:g}/5" if review.rating is not None else ""
        console.print(render.plain(f"{review.author}{stars}", style="bold cyan"))
        console.print(render.markup(masked_text(review, threshold), reveal=args.spoilers))
        console.print()
    return 0


async def watchlist(services: Services, args: argparse.Namespace) -> int:
    wl = services.watchlist
    if args.watch_command == "list":
        entries = await wl.list(args.user)
        if args.json:
            _print_json([{"film": e.label, "film_id": e.film_id, "added_at": e.added_at, "watched_at": e.watched_at,
                          "rating": e.rating, "note": e.note} for e in entries])
        else:
            from bot.terminal import render  # rich: text output only

            _show(render.watchlist(entries))
        return 0
    if args.watch_command == "add":
        change = await wl.add(args.user, args.film)
    elif args.watch_command == "remove":
        change = await wl.remove(args.user, args.film)
    else:
        change = await wl.mark_watched(args.user, args.film, rating=args.rating, note=args.note)
    if args.json:
        _print_json({"status": change.status, "film": change.film.label, "created_film": change.created_film,
                     "message": change.message})
    else:
        from bot.terminal import render  # rich: text output only

        _show(render.change(change))
    return 0


async def ask(services: Services, args: argparse.Namespace) -> int:
    from bot.services.summaries import Requester

    answer = await services.ask.ask(
        args.question, film=args.film, conversation=args.conversation and f"cli:{args.conversation}",
        spoilers=args.spoilers, requester=Requester("terminal"),
    )
    if args.json:
        _print_json(answer.as_json())
    else:
        from bot.terminal import render  # rich: text output only

        _show(render.answer(answer))
    return 0


async def import_file(services: Services, args: argparse.Namespace) -> int:
    stage_started: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        """One line on stderr, rewritten in place: stage, count, rate and ETA (only on a terminal)."""
        if args.json or (total and total < 2000) or not sys.stderr.isatty():
            return
        begun = stage_started.setdefault(stage, time.monotonic())
        if not total:  # a stage whose size is unknown (e.g. the final join)
            print(f"\r{stage}…{' ' * 50}", end="", file=sys.stderr)
            return
        rate = done / max(time.monotonic() - begun, 1e-6)
        eta = (total - done) / rate if rate and stage != "done" else 0
        if stage == "reading":  # the file reader counts bytes
            amount = f"{done / 1e6:,.1f}/{total / 1e6:,.1f} MB ({rate / 1e6:,.1f} MB/s"
        else:
            amount = f"{done:,}/{total:,} ({rate:,.0f} rows/s"
        print(f"\r{stage}: {amount}, ETA {eta:,.0f}s)      ", end="", file=sys.stderr)
        if stage == "done":
            print(file=sys.stderr)

    report: ImportReport | None
    if args.file != "sample" and services.catalogue.is_imdb(Path(args.file)):
        types = frozenset(t.strip() for t in args.imdb_types.split(",") if t.strip())
        imdb = await services.catalogue.import_imdb(
            Path(args.file), title_types=types, include_adult=args.include_adult, progress=progress
        )
        if args.json:
            _print_json({"source": "imdb", "titles": imdb.titles, "added": imdb.added, "updated": imdb.updated,
                         "skipped_rows": imdb.skipped_rows, "seconds": round(imdb.seconds, 2)})
        else:
            from bot.terminal import render  # rich: text output only

            print(render.safe(imdb.describe()))
        return 0
    if args.file == "sample":
        report = await services.importer.load_sample(progress=progress)
        if report is None:
            print("The sample data is already in this database; nothing to do.")
            return 0
    else:
        report = await services.importer.import_path(
            Path(args.file), skip_bad=args.skip_bad, user_id=args.user, author=args.author, progress=progress
        )
    if args.json:
        _print_json(report.as_json())
    else:
        from bot.terminal import render  # rich: text output only

        _show(render.import_report(report))
    return 0


async def privacy(services: Services, args: argparse.Namespace) -> int:
    if args.privacy_command == "export":
        _print_json(await services.privacy.export(args.user))
        return 0
    as_json = getattr(args, "json", False)
    if not args.yes:
        if as_json or not sys.stdin.isatty():
            raise InvalidInput("Refusing to delete without confirmation: add --yes.")
        answer = await asyncio.to_thread(
            input, f"Delete everything stored about user {args.user}? Type 'delete' to confirm: "
        )
        if answer.strip().lower() != "delete":
            print("Nothing was deleted.")
            return 1
    counts = await services.privacy.delete(args.user)
    if as_json:
        _print_json({"user": args.user, "deleted": counts})
        return 0
    print("Deleted: " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items()))
    return 0
