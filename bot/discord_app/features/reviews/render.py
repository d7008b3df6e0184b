"""Pages of reviews (spoilers masked) and the reply to a saved review."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.discord_app.markup import COLOUR, TITLE_LIMIT, Page, cut, plain, stars
from bot.services.reviews import AddedReview, masked_text
from bot.text.chunking import EMBED_DESCRIPTION_LIMIT, split_message
from bot.text.segments import wrap_spoiler
from storage.records import Film, Review

REVIEWS_PAGE_CHARS = 3600  # raw review text per page; masking adds a little, the embed allows 4,096
REVIEWS_PER_PAGE = 5


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
    embed = discord.Embed(title=cut(f"Reviews of {plain(film.label)}", TITLE_LIMIT), colour=COLOUR)
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
    header = f"**{cut(plain(review.author), 80)}**"
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
