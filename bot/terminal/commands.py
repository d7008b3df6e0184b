"""The chat commands: the same names and options as the Discord slash commands, typed as text.

    /summary <film> [spoilers]          /film <film>          /reviews <film> [spoilers]
    /review <film> | <text> [| <rating>] [spoilers]
    /watchlist add|remove <film>        /watchlist list       /watchlist watched <film> [--rating R] [--note N]
    /ask <question>                     /privacy export|delete                      /help       /quit
Text that does not start with "/" is a question (a follow-up in the same conversation).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.text import Text

from bot.app import Services
from bot.errors import InvalidInput
from bot.services.reviews import masked_text
from bot.services.summaries import Requester
from bot.terminal import render
from bot.terminal.progress import ProgressPrinter
from bot.text.unicode import require_text

HELP = """\
**reviewbot** answers from the stored reviews, without spoilers unless you ask.
**/summary** <film> [spoilers] — what reviewers think (add "spoilers" for plot and ending)
**/film** <film> — facts: year, director, cast, runtime, genres, logline
**/reviews** <film> [spoilers] — read the stored reviews (spoiler sentences hidden)
**/review** <film> | <your review> [| rating 0.5–5] [spoilers] — add your own review
**/watchlist** add <film> · remove <film> · list · watched <film> [--rating 4.5] [--note text]
**/ask** <question> [spoilers] — e.g. /ask is the acting in Parasite any good? Then just type follow-ups.
**/privacy** export · delete — see or erase everything stored about you
**/help** — this list · **/quit** — leave (or Ctrl-D; Ctrl-C clears the line)
Films can be typed loosely: "dear comrads", "Psycho (1960)", "Dune 2021". A title in quotes is taken
exactly as written: /watchlist watched "Toy Story 3" --rating 4."""

_SPOILER_WORD = re.compile(r"\s+(?:--)?spoilers?\s*$", re.IGNORECASE)
# `--rating 4.5` / `rating=4.5` and `--note …` / `note=…` (the note runs to the end of the line).
_RATING_OPTION = re.compile(r"(?:^|\s)(?:--rating[\s=]+|rating=)(\S*)", re.IGNORECASE)
_NOTE_OPTION = re.compile(r"(?:^|\s)(?:--note[\s=]+|note=)(.*)$", re.IGNORECASE)
# A title ending in what looks like a rating ("Parasite -3", "Heat 4/5", "Alien 3.5"): ask, don't guess.
# Whole numbers are left alone: they end many titles ("Toy Story 3", "Apollo 13", "2012").
_RATING_LIKE_TAIL = re.compile(r"\s(-\d+(?:[.,]\d+)?|\d+[.,]\d+|\d+(?:[.,]\d+)?\s*/\s*5|\d+\s*stars?)$", re.I)
_QUOTED = re.compile(r'^(?:"(.+)"|“(.+)”|\'(.+)\')$')


def watchlist_arguments(action: str, arg: str) -> tuple[str, float | None, str | None]:
    """(film, rating, note) from `<film> [--rating R] [--note N]`.

    Numbers are never taken from the end of a title ("Toy Story 3" is that film); a rating is
    always named. A quoted title is taken exactly as written.
    """
    note = None
    if match := _NOTE_OPTION.search(arg):
        note, arg = match.group(1).strip() or None, arg[: match.start()]
    rating = None
    if match := _RATING_OPTION.search(arg):
        value = match.group(1).strip().removesuffix("/5")
        try:
            rating = float(value.replace(",", "."))
        except ValueError:
            raise InvalidInput("The rating should be a number from 0.5 to 5, e.g. --rating 4.5.") from None
        arg = arg[: match.start()] + arg[match.end():]
    if (rating is not None or note is not None) and action != "watched":
        raise InvalidInput(
            f"A rating or note goes with /watchlist watched <film> --rating 4.5, not /watchlist {action}."
        )
    film = arg.strip()
    if not film:
        raise InvalidInput(f"Which film? e.g. /watchlist {action} Parasite")
    if quoted := _QUOTED.match(film):
        return next(g for g in quoted.groups() if g is not None).strip(), rating, note
    if tail := _RATING_LIKE_TAIL.search(film):
        raise InvalidInput(
            f"Is “{tail.group(1)}” a rating? Write it as /watchlist watched {film[: tail.start()]} --rating 4 "
            f'(0.5 to 5). If it is part of the title, put the title in quotes: /watchlist {action} "{film}"'
        )
    return film, rating, note


@dataclass
class ChatSession:
    services: Services
    user_id: str = "terminal"
    conversation: str = field(default_factory=lambda: f"terminal:{secrets.token_hex(6)}")
    # Where status lines go while a slow model works ("Reading 12 reviews…"); None: nowhere.
    status: Callable[[str], None] | None = None

    @property
    def requester(self) -> Requester:
        return Requester(self.user_id)

    async def handle(self, line: str) -> RenderableType | None:
        """Run one line; None means "quit". Errors propagate to the caller's handler."""
        line = require_text(line).strip()  # a terminal in another encoding sends lone surrogates
        if not line:
            return Text("")
        if not line.startswith("/"):
            return await self._ask(line)
        name, _, rest = line[1:].partition(" ")
        name, rest = name.lower(), rest.strip()
        if name in ("quit", "exit", "q"):
            return None
        handler = {
            "help": self._help,
            "privacy": self._privacy,
            "summary": self._summary,
            "film": self._film,
            "reviews": self._reviews,
            "review": self._review,
            "watchlist": self._watchlist,
            "ask": self._ask,
        }.get(name)
        if handler is None:
            raise InvalidInput(f"There's no /{name} command. Type /help to see them all.")
        return await handler(rest)

    async def _help(self, _: str) -> RenderableType:
        return render.markup(HELP, reveal=True)

    @staticmethod
    def _spoiler_flag(rest: str) -> tuple[str, bool]:
        stripped = _SPOILER_WORD.sub("", rest)
        return stripped.strip(), stripped != rest

    async def _summary(self, rest: str) -> RenderableType:
        film, spoilers = self._spoiler_flag(rest)
        result = await self.services.summaries.summarize(
            film, spoilers=spoilers, requester=self.requester, on_text=self._progress()
        )
        return render.summary(result)

    def _progress(self) -> ProgressPrinter | None:
        return ProgressPrinter(self.status) if self.status is not None else None

    async def _film(self, rest: str) -> RenderableType:
        film = await self.services.films.resolve(rest)
        return render.film(await self.services.films.facts(film))

    async def _reviews(self, rest: str) -> RenderableType:
        query, spoilers = self._spoiler_flag(rest)
        film = await self.services.films.resolve(query)
        reviews = await self.services.reviews.for_film(film)
        if not reviews:
            return render.plain(f"No reviews of {film.label} are stored yet. Add one with /review {film.title} | …")
        threshold = self.services.settings.spoiler_threshold
        parts: list[RenderableType] = [render.plain(f"{len(reviews)} reviews of {film.label}", style="bold underline")]
        for review in reviews:
            stars = f" · {review.rating:g}/5" if review.rating is not None else ""
            flag = " · contains spoilers" if review.author_flagged_spoilers else ""
            parts.append(render.plain(f"\n{review.author}{stars}{flag}", style="bold cyan"))
            parts.append(render.markup(masked_text(review, threshold), reveal=spoilers))
        if not spoilers:
            parts.append(render.notes([f"Spoiler sentences are hidden. To read them: /reviews {film.label} spoilers"]))
        return Group(*parts)

    async def _review(self, rest: str) -> RenderableType:
        rest, spoilers = self._spoiler_flag(rest)
        # " | " (with spaces) separates the parts, so a review may still use ||spoiler|| markup.
        pieces = [p.strip() for p in re.split(r"\s\|\s", f" {rest} ")]
        if len(pieces) < 2 or not pieces[0] or not pieces[1]:
            raise InvalidInput("Write it as: /review <film> | <your review> [| rating] [spoilers]")
        rating = None
        if len(pieces) >= 3 and pieces[2]:
            try:
                rating = float(pieces[2].removesuffix("/5"))
            except ValueError:
                raise InvalidInput("The rating should be a number from 0.5 to 5, e.g. 4.5.") from None
        film = await self.services.films.resolve(pieces[0])
        added = await self.services.reviews.add(
            film, text=pieces[1], author=self.user_id, rating=rating,
            contains_spoilers=spoilers, source="terminal", author_user_id=self.user_id,
        )
        if not added.created:
            return render.plain(f"You already posted that review of {film.label}.")
        hidden = ""
        if added.spoiler_sentences:
            hidden = f" {added.spoiler_sentences} sentence(s) look like spoilers and will be hidden."
        return render.plain(f"Thanks! Your review of {film.label} is saved.{hidden}", style="green")

    async def _watchlist(self, rest: str) -> RenderableType:
        action, _, arg = rest.partition(" ")
        action, arg = action.lower(), arg.strip()
        wl = self.services.watchlist
        if action == "list":
            return render.watchlist(await wl.list(self.user_id))
        if action not in ("add", "remove", "watched"):
            raise InvalidInput("Use /watchlist add <film>, /watchlist remove <film>, /watchlist list "
                               "or /watchlist watched <film> [--rating 4.5] [--note text].")
        film, rating, note = watchlist_arguments(action, arg)
        if action == "add":
            return render.change(await wl.add(self.user_id, film))
        if action == "remove":
            return render.change(await wl.remove(self.user_id, film))
        return render.change(await wl.mark_watched(self.user_id, film, rating=rating, note=note))

    async def _privacy(self, rest: str) -> RenderableType:
        action = rest.lower().split()
        if action == ["export"]:
            data = await self.services.privacy.export(self.user_id)
            return render.plain(json.dumps(data, ensure_ascii=False, indent=2))
        if action == ["delete"]:
            return render.markup(
                "**Erase everything stored about you?** Your watchlist, your reviews and your conversations. "
                "This can't be undone. To go ahead, type: /privacy delete confirm", reveal=True,
            )
        if action == ["delete", "confirm"]:
            counts = await self.services.privacy.delete(self.user_id)
            # Their reviews leave the spoiler detector's vocabulary and the title suggestions too.
            self.services.reviews.forget_corpus()
            self.services.films.invalidate()
            erased = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
            return render.plain(f"Done. Erased: {erased}.", style="green")
        raise InvalidInput("Use /privacy export (see what is stored about you) or /privacy delete (erase it).")

    async def _ask(self, rest: str) -> RenderableType:
        question, spoilers = self._spoiler_flag(rest)
        answer = await self.services.ask.ask(
            question, conversation=self.conversation, spoilers=spoilers, requester=self.requester,
            on_text=self._progress(),
        )
        return render.answer(answer)
