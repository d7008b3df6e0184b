"""Any line typed into `reviewbot chat`: ChatSession.handle answers or raises a clear
ReviewBotError, and whatever it answers renders in a terminal (rich) without error."""

from __future__ import annotations

import io

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from rich.console import Console

from bot.app import Services
from bot.errors import ReviewBotError
from bot.terminal import render
from bot.terminal.commands import ChatSession
from tests.fuzz.hostile import EDGE_NUMBERS, budget, check_error, hostile_text, review_texts, titles

pytestmark = pytest.mark.asyncio(loop_scope="module")

COMMANDS = ("summary", "film", "reviews", "review", "watchlist", "ask", "help", "SUMMARY", "nope", "", "/", "quit")
WATCH = ("add", "remove", "list", "watched", "ADD", "", "drop")
args = st.one_of(titles, st.tuples(titles, st.sampled_from(("spoilers", "--spoilers", "SPOILER"))).map(" ".join))
lines = st.one_of(
    st.tuples(st.sampled_from(COMMANDS), args).map(lambda ca: f"/{ca[0]} {ca[1]}"),
    st.tuples(st.sampled_from(WATCH), titles, st.sampled_from(("", *EDGE_NUMBERS))).map(
        lambda w: f"/watchlist {w[0]} {w[1]} {w[2]}"
    ),
    st.tuples(titles, review_texts, st.sampled_from(("", *EDGE_NUMBERS, "4.5/5", "abc")), st.booleans()).map(
        lambda r: f"/review {r[0]} | {r[1]}" + (f" | {r[2]}" if r[2] else "") + (" spoilers" if r[3] else "")
    ),
    hostile_text(),
    st.text(),
)


def _render(output: object) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None, force_terminal=False)
    console.print(output)
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


@budget(250)
@given(line=lines, user=st.one_of(st.just("terminal"), hostile_text(2).filter(str.strip)))
async def test_any_line_answers_or_is_refused_clearly(fuzz_services: Services, line: str, user: str) -> None:
    session = ChatSession(fuzz_services, user_id=user, conversation="fuzz-chat")
    try:
        output = await session.handle(line)
    except ReviewBotError as error:
        event(f"refused: {type(error).__name__}")
        check_error(error)
        _render(render.error(error.message))
        return
    event("answered" if output is not None else "quit")
    if output is not None:
        _render(output)


surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)


@budget(50)
@given(line=lines, bad=surrogates, at=st.integers(0, 200))
async def test_bytes_that_are_not_utf8_are_refused_clearly(
    fuzz_services: Services, line: str, bad: str, at: int
) -> None:
    """A terminal in another encoding (or argv) hands Python lone surrogates; SQLite can't store them."""
    line = line[:at] + bad + line[at:]
    try:
        output = await ChatSession(fuzz_services, conversation="fuzz-bytes").handle(line)
    except ReviewBotError as error:
        check_error(error)
        assert "UTF-8" in error.message
    else:
        assert output is None  # "/quit" followed by junk still quits
