"""Rendering service results for Discord: limits respected, spoilers never opened by a cut."""

from __future__ import annotations

from dataclasses import replace

from bot.app import Services
from bot.discord_app.features.ask import render as ask_render
from bot.discord_app.features.films import render as films_render
from bot.discord_app.features.reviews import render as reviews_render
from bot.discord_app.features.summary import render as summary_render
from bot.discord_app.features.watchlist import render as watchlist_render
from bot.discord_app.markup import WRITING
from bot.services.ask import Answer, SourceRef
from bot.text.chunking import spoiler_markers
from storage.records import WatchlistEntry


def balanced(text: str) -> bool:
    return len(spoiler_markers(text)) % 2 == 0


def always_hidden(text: str, phrase: str) -> bool:
    """Every occurrence of `phrase` in `text` is inside a spoiler span."""
    markers = spoiler_markers(text)
    start = text.find(phrase)
    while start >= 0:
        if sum(1 for m in markers if m < start) % 2 == 0:
            return False
        start = text.find(phrase, start + 1)
    return True


def test_share_gives_short_blocks_what_they_need() -> None:
    assert reviews_render._share(100, [10, 500, 20]) == [10, 70, 20]
    assert reviews_render._share(90, [100, 100, 100]) == [30, 30, 30]
    assert sum(reviews_render._share(4000, [3000, 3000])) <= 4000


async def test_a_very_long_review_is_shortened_safely(services: Services) -> None:
    film = await services.films.resolve("The Sixth Sense")
    secret = "It turns out that Malcolm was dead the whole time and the boy knew it. "
    text = "An eerie, patient ghost story with a terrific child performance. " * 20 + secret * 60
    await services.reviews.add(film, text=text[:6000], author="longwinded **markdown** fan", rating=5)
    reviews = await services.reviews.for_film(film)
    pages = reviews_render.review_pages(reviews)
    for index in range(len(pages)):
        page = reviews_render.reviews_page(film, reviews, index, services.reviews.threshold)
        description = page.embed.description or ""
        assert len(description) <= 4096 and balanced(description)
        assert len(page.embed) <= 6000
    long_page = next(i for i, p in enumerate(pages) if any(r.author.startswith("longwinded") for r in p))
    shown = reviews_render.reviews_page(film, reviews, long_page, services.reviews.threshold)
    description = shown.embed.description or ""
    assert "shortened:" in description
    assert "longwinded \\*\\*markdown\\*\\* fan" in description, "author names are shown as written"
    assert "Malcolm was dead" in description and always_hidden(description, "Malcolm was dead")


async def test_author_flagged_review_is_hidden_entirely(services: Services) -> None:
    film = await services.films.resolve("Se7en")
    await services.reviews.add(
        film, text="Spoilers ahead. What is in the box changes everything about the final scene.",
        author="flagger", contains_spoilers=True,
    )
    reviews = [r for r in await services.reviews.for_film(film) if r.author == "flagger"]
    page = reviews_render.reviews_page(film, reviews, 0, services.reviews.threshold)
    body = (page.embed.description or "").split("\n", 1)[1]
    assert body.startswith("||") and body.endswith("||") and "marked as spoilers" in (page.embed.description or "")


async def test_film_embed_fits_and_has_the_facts(services: Services) -> None:
    film = await services.films.resolve("Parasite")
    embed = films_render.film_embed(await services.films.facts(film))
    assert embed.title == "Parasite (2019)"
    assert {f.name for f in embed.fields} >= {"Directed by", "Runtime", "Genres", "Cast", "Reviews"}
    assert len(embed) <= 6000


def test_watchlist_pages() -> None:
    entries = [
        WatchlistEntry(i, f"Film {i}", 2000 + i, "2024-01-01T00:00:00Z", None if i % 2 else "2024-02-01T00:00:00Z",
                       4.5 if i % 2 == 0 else None, "loved it" if i == 0 else None)
        for i in range(23)
    ]
    first = watchlist_render.watchlist_page(entries, 0, "ana")
    assert (first.index, first.count) == (0, 3)
    assert first.embed.description and first.embed.description.count("\n") >= 9
    last = watchlist_render.watchlist_page(entries, 99, "ana")
    assert last.index == 2, "a page past the end shows the last page"
    assert watchlist_render.watchlist_page([], 0, "ana").embed.description.startswith("Nothing here yet")  # type: ignore[union-attr]


def test_answer_text_names_its_sources_in_small_print() -> None:
    answer = Answer("It is very funny.", None, [SourceRef(1, "kat", "Parasite (2019)"), SourceRef(2, "kat", "")],
                    notes=["Offline answer."])
    assert ask_render.answer_text(answer) == "It is very funny.\n-# Sources: kat\n-# Offline answer."
    long = Answer("word " * 1000, None)
    pieces = ask_render.answer_pieces(long)
    assert len(pieces) == 3 and all(len(p) <= 2000 for p in pieces)


def test_preview_of_an_unfinished_spoiler_stays_hidden() -> None:
    preview = ask_render.answer_preview("The ending: ||the twist is that")
    assert balanced(preview) and preview.endswith(WRITING)


# --- people's markdown never changes the bot's formatting ---------------------------------------------
HOSTILE = "# Big **bold** claim"


async def test_review_markup_is_escaped_but_spoilers_stay_hidden(services: Services) -> None:
    film = await services.films.resolve("The Sixth Sense")
    text = (
        f"{HOSTILE} about a patient ghost story. A stray ** and a `tick and ~~strike and [a link](http://x.y) here. "
        "It turns out that Malcolm was dead the whole time, which || stays hidden."
    )
    await services.reviews.add(film, text=text, author="_marker_ *fan*", rating=4)
    reviews = [r for r in await services.reviews.for_film(film) if r.author == "_marker_ *fan*"]
    description = reviews_render.reviews_page(film, reviews, 0, services.reviews.threshold).embed.description or ""
    header, body = description.split("\n", 1)
    assert header.startswith("**\\_marker\\_ \\*fan\\***"), "the bot's bold survives around an escaped name"
    assert body.startswith("\\# Big \\*\\*bold\\*\\* claim"), "no heading, no bold"
    assert "\\*\\* and a \\`tick and \\~\\~strike and \\[a link](http://x.y)" in body
    assert always_hidden(body, "Malcolm was dead"), "the bot's own spoiler bars still hide the reveal"
    assert balanced(body)
    unescaped = body.replace("\\*", "").replace("\\`", "").replace("\\~", "").replace("\\_", "")
    assert "*" not in unescaped and "`" not in unescaped and "~" not in unescaped


async def test_titles_names_and_notes_are_escaped(services: Services) -> None:
    film = await services.films.resolve("Parasite")
    odd = replace(film, title="**Loud** ||Film||", original_title=None)
    facts = await services.films.facts(film)
    assert films_render.film_embed(replace(facts, film=odd)).title == "\\*\\*Loud\\*\\* \\|\\|Film\\|\\| (2019)"
    assert summary_render.summary_title(odd, spoilers=False).startswith("\\*\\*Loud\\*\\*")
    title = reviews_render.reviews_page(odd, [], 0, 0.35).embed.title
    assert title == "Reviews of \\*\\*Loud\\*\\* \\|\\|Film\\|\\| (2019)"
    entry = WatchlistEntry(1, "> Quoted `Film`", None, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", None,
                           "# loud note")
    page = watchlist_render.watchlist_page([entry], 0, "__under__")
    assert page.embed.title == "\\_\\_under\\_\\_'s watchlist"
    assert "**\\> Quoted \\`Film\\`**" in (page.embed.description or "")
    assert "\\# loud note" in (page.embed.description or "")


def test_import_failures_quote_the_file_inside_a_code_block() -> None:
    """A file's header quoted in the error must not open a spoiler or bold span in the reply."""
    from bot.discord_app.tree import describe
    from bot.errors import ImportFailed, ImportProblem

    message, expected = describe(ImportFailed("x.csv", [ImportProblem(1, "unrecognised header ||a|| **b** ```")]))
    assert expected
    first, block = message.split("\n", 1)
    assert first.startswith("Nothing was imported")
    assert block.startswith("```\n") and block.endswith("\n```")
    assert block.count("```") == 2  # the file's own fence was defused
