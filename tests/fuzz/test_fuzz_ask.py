"""Hostile questions, film options and conversation keys through AskService.ask (offline engine):
an answer or a clear rejection; spoiler-free answers hold no spoiler span; spans always balance."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.app import Services
from bot.errors import ReviewBotError
from bot.text.chunking import spoiler_markers
from storage.films import FilmRepository
from storage.records import FilmInput
from tests.fuzz.hostile import (
    DISCORD_LIMIT,
    KNOWN_TITLES,
    budget,
    check_error,
    hostile_text,
    long_text,
    review_texts,
    titles,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUESTIONS = (
    "is the acting in Parasite any good?", "who directed Psycho (1960)?", "how long is Dune 2021?",
    "anything like The Prestige?", "is it scary?", "what about the music?", "NEAR(acting score, 2)",
    'acting" OR "1"="1', "acting AND NOT score*", "^acting", "text: acting", "'; DROP TABLE reviews; --",
)
questions = st.one_of(
    st.sampled_from(QUESTIONS),
    st.tuples(st.sampled_from(QUESTIONS), hostile_text(4)).map(" ".join),
    st.tuples(hostile_text(3), st.sampled_from(KNOWN_TITLES), hostile_text(3)).map(" ".join),
    hostile_text(),
    long_text(501),
)
films = st.one_of(st.none(), st.none(), titles)
_fresh = itertools.count(1)
conversations = st.one_of(st.none(), st.sampled_from(("c1", "c2")), hostile_text(2))


@budget(150)
@given(question=questions, film=films, conversation=conversations, spoilers=st.booleans())
async def test_ask_answers_or_rejects_clearly(
    fuzz_services: Services, question: str, film: str | None, conversation: str | None, spoilers: bool
) -> None:
    try:
        answer = await fuzz_services.ask.ask(question, film=film, conversation=conversation, spoilers=spoilers)
    except ReviewBotError as error:
        event(f"rejected: {type(error).__name__}")
        check_error(error)
        return
    event("answered")
    assert answer.text.strip()
    assert len(answer.text) < DISCORD_LIMIT - 200, len(answer.text)
    markers = spoiler_markers(answer.text)
    assert len(markers) % 2 == 0, answer.text
    if not spoilers:
        assert not markers, f"a spoiler span in a spoiler-free answer: {answer.text!r}"
    for source in answer.sources:
        assert source.review_id > 0


@budget(60)
@given(
    title=titles,
    review=review_texts,
    author=st.sampled_from(("||bob||", "**x**", "@everyone", "<@123>", "`", "\\", "ann")),
    question=questions,
    spoilers=st.booleans(),
)
async def test_answers_about_a_film_with_hostile_title_and_reviews(
    fuzz_services: Services, title: str, review: str, author: str, question: str, spoilers: bool
) -> None:
    """Its title, its reviewers' names and their sentences never change the answer's markup."""
    name = " ".join(f"{title[:150]} {next(_fresh)}".split())
    film = await FilmRepository(fuzz_services.store.db).add(
        FilmInput(title=name, year=2001, genres=("Drama",), directors=("**D**",), cast=("||C||",))
    )
    run_on = "The acting is " + "very " * 1000 + "good."  # one 5,000-character sentence
    for text in (review, "The acting is superb and the cast is wonderful in every single scene.", run_on):
        try:
            await fuzz_services.reviews.add(film, text=text, author=author)
        except ReviewBotError as error:
            check_error(error)
    asks = ((question, film), (f"{question} {name}", None), ("who directed it? is the acting good", film))
    for asked, option in asks:
        try:
            answer = await fuzz_services.ask.ask(asked, film=option, spoilers=spoilers)
        except ReviewBotError as error:
            check_error(error)
            continue
        markers = spoiler_markers(answer.text)
        assert len(markers) % 2 == 0, answer.text
        assert spoilers or not markers, f"a spoiler span in a spoiler-free answer: {answer.text!r}"
        assert not re.search(r"(?<!\\)<@|(?<!\\)\*\*D\*\*", answer.text), answer.text
        assert len(answer.text) < DISCORD_LIMIT, len(answer.text)
