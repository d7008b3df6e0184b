"""Turn service results into terminal text: Discord-style `**bold**` and `||spoiler||` markup
become rich styles.

User and review text is never interpreted as rich markup: it only ever enters a `Text` (which rich
does not parse), never a markup string, so an author named `[/bold]` or `[link=…]` is shown as
typed. Control characters are shown as escapes, so text cannot carry terminal escape sequences
(colours, hidden OSC 8 links, a cleared screen) either."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bot.text.markdown import unescape_markdown

if TYPE_CHECKING:  # the results' types only: a one-shot command imports just the service it calls
    from bot.services.ask import Answer
    from bot.services.films import FilmFacts
    from bot.services.importer import ImportReport
    from bot.services.summaries import SummaryResult
    from bot.services.watchlist import WatchlistChange
    from storage.records import WatchlistEntry

# Bold and spoiler spans; a backslash escape (`\*`, `\|`, see bot/text/markdown.py) is one unit
# inside them, so an escaped bar or star in a title never ends the span it sits in.
_TOKEN = re.compile(r"(?<!\\)(\*\*(?:\\.|[^\\])+?\*\*|\|\|(?:\\.|[^\\])+?\|\|)", re.DOTALL)
# C0 controls except tab and newline, DEL and C1 controls (ESC starts every terminal sequence).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SPOILER_STYLE = "bold red"
HIDDEN = "[spoiler hidden]"


def safe(text: str) -> str:
    """`text` with control characters written as visible escapes (`\\x1b`)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def plain(text: str, style: str = "") -> Text:
    """User or stored text, shown exactly as written (no markup, no escape sequences)."""
    return Text(safe(text), style=style)


def markup(text: str, *, reveal: bool) -> Text:
    """`**bold**` -> bold; `||x||` -> shown in red when revealed, else a placeholder."""
    out = Text()
    for piece in _TOKEN.split(text):
        if not piece:
            continue
        if piece.startswith("**") and piece.endswith("**") and len(piece) > 4:
            out.append(safe(unescape_markdown(piece[2:-2])), style="bold")
        elif piece.startswith("||") and piece.endswith("||") and len(piece) > 4:
            inner = safe(unescape_markdown(piece[2:-2])).strip()
            out.append(f"⚠ {inner}" if reveal else HIDDEN, style=SPOILER_STYLE if reveal else "dim")
        else:
            out.append(safe(unescape_markdown(piece)))
    return out


def notes(lines: Sequence[str]) -> Text:
    return Text("\n".join(lines), style="dim italic")


def summary(result: SummaryResult) -> RenderableType:
    parts: list[RenderableType] = [markup(result.text, reveal=result.mode == "spoilers")]
    footer = list(result.notes)
    if result.cached:
        footer.append("(from the cache)")
    if result.mode == "spoiler_free":
        footer.append(f"Spoiler-free. For the full version: /summary {result.film.label} spoilers")
    parts.append(notes(footer))
    return Group(*parts)


def film(facts: FilmFacts) -> RenderableType:
    f = facts.film
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", justify="right")
    table.add_column()
    rows = [
        ("Year", str(f.year) if f.year else None),
        ("Original title", f.original_title if f.original_title and f.original_title != f.title else None),
        ("Director", ", ".join(f.directors) or None),
        ("Cast", ", ".join(f.cast) or None),
        ("Runtime", f"{f.runtime_minutes} min" if f.runtime_minutes else None),
        ("Genres", ", ".join(f.genres) or None),
        ("Logline", f.logline),
        ("Reviews", f"{facts.review_count}" + (
            f", average {facts.average_rating:.1f}/5" if facts.average_rating else ""
        )),
    ]
    for name, value in rows:
        if value:
            table.add_row(name, plain(value))
    header = plain(f.label, style="bold underline")
    if f.is_stub:
        return Group(header, table, notes(["Only the title is known for this film so far."]))
    return Group(header, table)


def watchlist(entries: Sequence[WatchlistEntry], *, owner: str = "Your") -> RenderableType:
    if not entries:
        return plain(f"{owner} watchlist is empty. Add a film with /watchlist add <film>.")
    table = Table(title=plain(f"{owner} watchlist ({len(entries)})"), title_justify="left", show_lines=False)
    table.add_column("Film")
    table.add_column("Added")
    table.add_column("Watched")
    table.add_column("Rating", justify="right")
    table.add_column("Note")
    for e in entries:
        table.add_row(
            plain(e.label), e.added_at[:10], (e.watched_at or "")[:10] or "—",
            f"{e.rating:g}/5" if e.rating is not None else "", plain(e.note or ""),
        )
    return table


def change(result: WatchlistChange) -> Text:
    text = markup(result.message, reveal=True)
    if result.status in ("added", "watched"):
        text.stylize("green")
    return text


def error(message: str) -> Text:
    """A ReviewBotError's message (Discord markup, a title's own markup escaped) as plain text."""
    return plain(unescape_markdown(message), style="yellow")


def answer(result: Answer) -> RenderableType:
    parts: list[RenderableType] = [markup(result.text, reveal=True)]
    if result.sources:
        cited = ", ".join(dict.fromkeys(f"{s.author}" for s in result.sources))
        parts.append(plain(f"Sources: reviews by {cited}", style="cyan"))
    parts.append(notes(result.notes))
    return Group(*parts)


def import_report(report: ImportReport) -> Text:
    return plain(report.describe(), style="green" if not report.skipped else "yellow")
