"""Service results -> Discord embeds and message text. Pure functions: no I/O, no state.

Everything written here that came from people (review text, author names, notes, LLM output) is
either spoiler-masked by the service layer or has stray `||` escaped, and is cut to Discord's limits
with `bot.text.chunking` so a spoiler span is never split open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.services.ask import Answer
from bot.services.films import FilmFacts
from bot.services.importer import ImportReport
from bot.services.reviews import AddedReview, masked_text
from bot.services.summaries import SummaryResult
from bot.text.chunking import CONTENT_LIMIT, EMBED_DESCRIPTION_LIMIT, first_piece, split_message
from bot.text.markdown import escape_markdown
from bot.text.segments import wrap_spoiler
from storage.records import Film, GuildSettings, Review, WatchlistEntry

COLOUR = discord.Colour(0xE4A11B)
SPOILER_COLOUR = discord.Colour(0x8B1E3F)
FOOTER_LIMIT = 1500  # with a full 4,096 description and a title, stays under the 6,000 per message
TITLE_LIMIT = 256
REVIEWS_PAGE_CHARS = 3600  # raw review text per page; masking adds a little, the embed allows 4,096
REVIEWS_PER_PAGE = 5
WATCHLIST_PER_PAGE = 10
WRITING = "✍️ writing…"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stars(rating: float | None) -> str:
    return "" if rating is None else f"★ {rating:g}/5"


def plain(text: str) -> str:
    """Text from a person (a title, a name, a note), shown as written: every Discord markup
    character escaped, so it can't format, hide or end the bot's own markup around it."""
    return escape_markdown(text)


# --- films ---------------------------------------------------------------------------------------
def film_embed(facts: FilmFacts) -> discord.Embed:
    film = facts.film
    embed = discord.Embed(title=_cut(plain(film.label), TITLE_LIMIT), colour=COLOUR)
    if film.logline:
        embed.description = _cut(plain(film.logline), 1000)
    if film.original_title and film.original_title != film.title:
        embed.add_field(name="Original title", value=_cut(plain(film.original_title), 512), inline=False)
    if film.directors:
        embed.add_field(name="Directed by", value=_cut(plain(", ".join(film.directors)), 512))
    if film.runtime_minutes:
        embed.add_field(name="Runtime", value=f"{film.runtime_minutes} min")
    if film.genres:
        embed.add_field(name="Genres", value=_cut(plain(", ".join(film.genres)), 512))
    if film.cast:
        embed.add_field(name="Cast", value=_cut(plain(", ".join(film.cast[:8])), 512), inline=False)
    embed.add_field(name="Reviews", value=reviews_line(facts), inline=False)
    if film.is_stub:
        embed.set_footer(text="Only the title is known for this film so far.")
    elif film.imdb_id:
        embed.set_footer(text=f"IMDb {film.imdb_id}")
    return embed


def reviews_line(facts: FilmFacts) -> str:
    if not facts.review_count:
        return "No reviews stored yet — add one with /review."
    count = f"{facts.review_count} review{'s' if facts.review_count != 1 else ''}"
    if facts.average_rating is None:
        return count
    return f"{stars(round(facts.average_rating, 1))} average from {count}"


# --- summaries -----------------------------------------------------------------------------------
def summary_title(film: Film, spoilers: bool) -> str:
    return _cut(f"{plain(film.label)} — {'with spoilers' if spoilers else 'spoiler-free'} summary", TITLE_LIMIT)


def summary_preview(film: Film, text: str, spoilers: bool) -> discord.Embed:
    """The embed while an LLM is still writing (the text is cut safely and marked as unfinished)."""
    embed = discord.Embed(
        title=summary_title(film, spoilers),
        description=first_piece(text, EMBED_DESCRIPTION_LIMIT) or "…",
        colour=SPOILER_COLOUR if spoilers else COLOUR,
    )
    return embed.set_footer(text=WRITING)


def summary_embeds(result: SummaryResult) -> list[discord.Embed]:
    """One embed per 4,096 characters of summary; the facts about it in the last one's footer."""
    spoilers = result.mode == "spoilers"
    pieces = split_message(result.text, EMBED_DESCRIPTION_LIMIT) or ["No reviewer said anything I could summarise."]
    embeds = [
        discord.Embed(description=piece, colour=SPOILER_COLOUR if spoilers else COLOUR) for piece in pieces
    ]
    embeds[0].title = summary_title(result.film, spoilers)
    basis = f"from {result.review_count} review{'s' if result.review_count != 1 else ''}"
    if result.average_rating is not None:
        basis += f" · average {result.average_rating:.1f}/5"
    footer = " · ".join([basis, *result.notes])
    if spoilers:
        footer += " · Plot reveals are hidden: click the dark bars to read them."
    embeds[-1].set_footer(text=_cut(footer, FOOTER_LIMIT))
    return embeds


# --- answers -------------------------------------------------------------------------------------
def answer_text(answer: Answer) -> str:
    """The answer plus a small grey line saying where it came from."""
    extras: list[str] = []
    authors = list(dict.fromkeys(s.author for s in answer.sources))
    if authors:
        extras.append("Sources: " + ", ".join(plain(a) for a in authors[:6]))
    extras.extend(answer.notes)
    footer = "\n".join(f"-# {_cut(e, 300)}" for e in extras)
    return f"{answer.text}\n{footer}" if footer else answer.text


def answer_pieces(answer: Answer) -> list[str]:
    return split_message(answer_text(answer), CONTENT_LIMIT) or ["I have nothing to say about that."]


def answer_preview(text: str) -> str:
    return first_piece(text, CONTENT_LIMIT - len(WRITING) - 4) + f"\n-# {WRITING}"


# --- reviews -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Page:
    embed: discord.Embed
    index: int
    count: int


def review_pages(reviews: Sequence[Review]) -> list[list[Review]]:
    """Reviews packed into pages by raw length (cheap: only the shown page is masked and rendered)."""
    pages: list[list[Review]] = []
    size = 0
    for review in reviews:
        if pages and size + len(review.text) <= REVIEWS_PAGE_CHARS and len(pages[-1]) < REVIEWS_PER_PAGE:
            pages[-1].append(review)
            size += len(review.text)
        else:
            pages.append([review])
            size = len(review.text)
    return pages


def reviews_page(film: Film, reviews: Sequence[Review], page: int, threshold: float) -> Page:
    pages = review_pages(reviews)
    embed = discord.Embed(title=_cut(f"Reviews of {plain(film.label)}", TITLE_LIMIT), colour=COLOUR)
    if not pages:
        embed.description = "No reviews stored yet. Be the first: /review."
        return Page(embed, 0, 1)
    page = max(0, min(page, len(pages) - 1))
    shown = pages[page]
    bodies = [_review_body(review, threshold) for review in shown]
    headers = [_review_header(review) for review in shown]
    room = EMBED_DESCRIPTION_LIMIT - sum(len(h) + 3 for h in headers)
    limits = _share(room, [len(b) for b in bodies])
    blocks = [
        f"{header}\n{_shortened(body, review, limit)}"
        for header, body, review, limit in zip(headers, bodies, shown, limits, strict=True)
    ]
    embed.description = "\n\n".join(blocks)
    embed.set_footer(
        text=f"Page {page + 1}/{len(pages)} · {len(reviews)} review{'s' if len(reviews) != 1 else ''} · "
        "Spoilers are hidden: click the dark bars to read them."
    )
    return Page(embed, page, len(pages))


def _review_header(review: Review) -> str:
    header = f"**{_cut(plain(review.author), 80)}**"
    if review.rating is not None:
        header += f" · {stars(review.rating)}"
    header += f" · #{review.id}"  # what /admin delete-review asks for
    if review.author_flagged_spoilers:
        header += " · ⚠️ marked as spoilers by its author"
    return header


def _review_body(review: Review, threshold: float) -> str:
    if review.author_flagged_spoilers:
        # The author says the review spoils the film: hide all of it, not only the flagged sentences.
        return wrap_spoiler(masked_text(review, threshold, reveal=True, escape=plain))
    return masked_text(review, threshold, escape=plain)


def _share(room: int, wants: Sequence[int]) -> list[int]:
    """Split `room` characters between blocks: short ones get what they need, long ones the rest."""
    limits = [0] * len(wants)
    left = room
    for count, index in enumerate(sorted(range(len(wants)), key=lambda i: wants[i])):
        fair = left // (len(wants) - count)
        limits[index] = min(wants[index], fair)
        left -= limits[index]
    return limits


def _shortened(body: str, review: Review, limit: int) -> str:
    if len(body) <= limit:
        return body
    note = " *(shortened: {:,} more characters)*"
    pieces = split_message(body, max(limit - len(note.format(len(review.text))), 16))
    text = pieces[0] if pieces else ""
    return text + note.format(max(len(review.text) - len(text), 1))


# --- watchlists ----------------------------------------------------------------------------------
def watchlist_page(entries: Sequence[WatchlistEntry], page: int, owner: str) -> Page:
    count = max(1, -(-len(entries) // WATCHLIST_PER_PAGE))
    page = max(0, min(page, count - 1))
    embed = discord.Embed(title=_cut(f"{plain(owner)}'s watchlist", TITLE_LIMIT), colour=COLOUR)
    if not entries:
        embed.description = "Nothing here yet. Add a film with /watchlist add."
        return Page(embed, 0, 1)
    lines = []
    for entry in entries[page * WATCHLIST_PER_PAGE : (page + 1) * WATCHLIST_PER_PAGE]:
        if entry.watched_at:
            line = f"✅ **{plain(entry.label)}** — watched {entry.watched_at[:10]}"
            if entry.rating is not None:
                line += f" · {stars(entry.rating)}"
            if entry.note:
                line += f"\n  {_cut(plain(entry.note), 200)}"
        else:
            line = f"🎬 **{plain(entry.label)}** — added {entry.added_at[:10]}"
        lines.append(line)
    embed.description = "\n".join(lines)
    to_watch = sum(1 for e in entries if not e.watched_at)
    embed.set_footer(text=f"Page {page + 1}/{count} · {to_watch} to watch · {len(entries) - to_watch} watched")
    return Page(embed, page, count)


# --- help ----------------------------------------------------------------------------------------
HELP_LINES = (
    ("/summary film spoilers", "What reviewers think, spoiler-free unless you ask. "
     "**Show spoilers** reveals the rest to you alone."),
    ("/film film", "Director, cast, runtime, genres, logline and the average rating."),
    ("/reviews film", "Read the stored reviews, spoilers hidden behind dark bars."),
    ("/review film text rating spoilers", "Add your own review (spoilers are detected and hidden)."),
    ("/watchlist add · remove · list · watched", "Your personal list; only you see the replies."),
    ("/ask question film", "Ask about a film. I answer in a thread: mention me there to follow up."),
    ("/privacy export · delete", "Get a file with everything I store about you, or erase it all."),
)


def help_embed(engine: str, cooldown: float) -> discord.Embed:
    embed = discord.Embed(
        title="What I can do",
        description="Spoiler-safe film reviews, facts, watchlists and answers. Start typing a film's title "
        "and pick it from the list (the year tells remakes apart).",
        colour=COLOUR,
    )
    for name, text in HELP_LINES:
        embed.add_field(name=name, value=text, inline=False)
    notes = ["Summaries and answers are written by an LLM" if engine != "offline"
             else "Summaries and answers are quoted from the stored reviews (no LLM)"]
    if cooldown:
        notes.append(f"/summary and /ask can be used once every {cooldown:g} s")
    embed.set_footer(text=" · ".join(notes) + ".")
    return embed


# --- privacy ---------------------------------------------------------------------------------------
EXPORT_TOO_LARGE = (
    "Everything stored about you is larger than the file size Discord lets me send here. "
    "Ask the bot's operator for a copy (`reviewbot privacy export --user <your id>`)."
)
DELETE_QUESTION = (
    "**Erase everything I store about you?** Your watchlist, your reviews (summaries that used them are "
    "rebuilt without them) and your conversations with me. This can't be undone. Only you see this message."
)
DELETE_TIMED_OUT = "No answer in time, so nothing was deleted. Run /privacy delete again whenever you like."


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def export_note(data: dict[str, object]) -> str:
    sizes = {key: len(value) if isinstance(value, list) else 0 for key, value in data.items()}
    return (
        "Here is everything I store about you: "
        f"{_count(sizes['watchlist'], 'watchlist entry', 'watchlist entries')}, "
        f"{_count(sizes['reviews'], 'review', 'reviews')} and "
        f"{_count(sizes['conversations'], 'conversation message', 'conversation messages')}. "
        "Delete it all with /privacy delete."
    )


def deleted(counts: dict[str, int]) -> str:
    return (
        "Done. I erased "
        f"{_count(counts.get('watchlist_entries', 0), 'watchlist entry', 'watchlist entries')}, "
        f"{_count(counts.get('reviews', 0), 'review', 'reviews')} and "
        f"{_count(counts.get('conversation_turns', 0), 'conversation message', 'conversation messages')}. "
        "Counts of LLM use stay without your name, because the server's daily allowance is made of them."
    )


# --- admin -------------------------------------------------------------------------------------------
IMPORT_FORMATS = (
    "I can import our JSON format, a reviews CSV, or a Letterboxd reviews.csv / watchlist.csv "
    "(a .json, .csv, .tsv or .txt file; see the README, “Data formats”)."
)
CONTENT_CODE_LIMIT = CONTENT_LIMIT - 200  # the report goes in a code block, after a line of text


def review_choice(review: Review, film_label: str) -> str:
    """An autocomplete entry: '#12 · Se7en (1995) · ann: A grim, rain-soaked…' (at most 100 characters)."""
    text = " ".join(review.text.split())
    return _cut(f"#{review.id} · {film_label} · {review.author}: {text}", 100)


def review_removed(review: Review) -> str:
    return f"Removed review #{review.id} by **{_cut(plain(review.author), 80)}**. Summaries are rebuilt without it."


def guild_settings_embed(settings: GuildSettings, default_cooldown: float) -> discord.Embed:
    embed = discord.Embed(title="This server's settings", colour=COLOUR)
    if settings.spoilers_in_channel is False:
        spoilers = "only the person who asked sees them"
    else:
        spoilers = "posted in the channel, plot reveals behind spoiler bars" + (
            "" if settings.spoilers_in_channel else " (the default)"
        )
    embed.add_field(name="/summary spoilers:true", value=spoilers, inline=False)
    if settings.llm_cooldown_seconds is None:
        cooldown = f"{default_cooldown:g} s between a person's requests (the bot's default)"
    else:
        cooldown = f"{settings.llm_cooldown_seconds:g} s between a person's requests"
    embed.add_field(name="/summary and /ask cooldown", value=cooldown, inline=False)
    return embed.set_footer(text="Change them with /admin settings; reset:true goes back to the defaults.")


def import_too_large(size: int, limit: int) -> str:
    return (
        f"That file is {size / 1024**2:,.1f} MiB; uploads here can be up to {limit // 1024**2} MiB. "
        "Split it (the header on every part), or ask the bot's operator to run `reviewbot import`."
    )


def import_progress(name: str, stage: str, done: int, total: int) -> str:
    if stage == "reading":
        amount = f"{done / 1024**2:,.1f} of {total / 1024**2:,.1f} MiB"
    else:
        amount = f"{done:,} of {total:,}"
    return f"⏳ Importing {plain(name)}: {stage} ({amount})…"


def import_report(report: ImportReport) -> str:
    """What was imported, with the skipped rows. The rows quote the file, so they go in a code block
    (nothing in it can format text or mention anyone)."""
    text = report.describe().replace("```", "'''")
    head, _, rest = text.partition("\n")
    if not rest:
        return head
    return f"{head}\n```\n{_cut(rest, CONTENT_CODE_LIMIT)}\n```"


# --- saved review --------------------------------------------------------------------------------
def review_saved(film: Film, added: AddedReview) -> str:
    if not added.created:
        return f"You already posted exactly this review of **{plain(film.label)}**, so nothing changed."
    hidden = (
        f" {added.spoiler_sentences} of its {added.sentences} sentences give the plot away, so others see "
        "them hidden behind spoiler bars."
        if added.spoiler_sentences
        else " I found no spoilers in it."
    )
    return f"Saved your review of **{plain(film.label)}**.{hidden} Summaries of this film now include it."
