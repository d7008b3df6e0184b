"""The terminal chat as a person types it: ratings are named (never read off a title's end),
/privacy exists, and Ctrl-C clears a half-typed line while Ctrl-D leaves."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from bot.app import Services
from bot.errors import InvalidInput
from bot.terminal.chat import run_chat
from bot.terminal.commands import ChatSession


def _text(console: Console, renderable: object) -> str:
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


@pytest.fixture
def chat(services: Services) -> ChatSession:
    return ChatSession(services, user_id="ana")


async def test_numbers_at_the_end_of_a_title_are_part_of_it(services: Services, chat: ChatSession) -> None:
    await chat.handle("/watchlist watched Toy Story 3")
    await chat.handle("/watchlist watched Apollo 13 --rating 4.5 --note with my dad")
    entries = {e.label.split(" (")[0]: e for e in await services.watchlist.list("ana")}
    assert set(entries) == {"Toy Story 3", "Apollo 13"}
    assert entries["Toy Story 3"].rating is None
    assert entries["Apollo 13"].rating == 4.5 and entries["Apollo 13"].note == "with my dad"
    await chat.handle("/watchlist watched Parasite rating=4")
    assert {e.label: e.rating for e in await services.watchlist.list("ana")}["Parasite (2019)"] == 4


@pytest.mark.parametrize("line", [
    "/watchlist watched Parasite -3", "/watchlist add Parasite -3", "/watchlist watched Heat 4/5",
    "/watchlist watched Alien 3.5",
])
async def test_a_rating_like_tail_asks_instead_of_creating_a_film(
    services: Services, chat: ChatSession, line: str
) -> None:
    with pytest.raises(InvalidInput, match=r"--rating .*put the title in quotes"):
        await chat.handle(line)
    assert await services.watchlist.list("ana") == []


async def test_quoted_titles_and_bad_ratings(services: Services, chat: ChatSession) -> None:
    with pytest.raises(InvalidInput, match=r"number from 0\.5 to 5"):
        await chat.handle("/watchlist watched Parasite --rating great")
    with pytest.raises(InvalidInput, match="goes with /watchlist watched"):
        await chat.handle("/watchlist add Parasite --rating 4")
    with pytest.raises(InvalidInput, match=r"0\.5 to 5"):
        await chat.handle("/watchlist watched Parasite --rating 7")
    await chat.handle('/watchlist add "Parasite -3"')  # quoted: exactly that title
    assert [e.label for e in await services.watchlist.list("ana")] == ["Parasite -3"]


async def test_privacy_in_the_chat(services: Services, chat: ChatSession) -> None:
    console = Console(file=io.StringIO(), width=200)
    await chat.handle("/watchlist add Parasite")
    assert '"user_id": "ana"' in _text(console, await chat.handle("/privacy export"))
    assert "/privacy delete confirm" in _text(console, await chat.handle("/privacy delete"))
    assert len(await services.watchlist.list("ana")) == 1, "asking is not deleting"
    assert "1 watchlist entries" in _text(console, await chat.handle("/privacy delete confirm"))
    assert await services.watchlist.list("ana") == []
    with pytest.raises(InvalidInput, match="/privacy export"):
        await chat.handle("/privacy bogus")
    assert "/privacy" in _text(console, await chat.handle("/help"))


async def test_ctrl_c_clears_the_line_and_ctrl_d_leaves(services: Services) -> None:
    out = io.StringIO()
    with create_pipe_input() as keys:
        # A half-typed command, Ctrl-C; a whole command, Enter; then Ctrl-D.
        keys.send_text("/film Psy\x03/film Se7en\r\x04")
        prompt: PromptSession[str] = PromptSession(input=keys, output=DummyOutput())
        assert await run_chat(services, console=Console(file=out, width=200), prompt=prompt) == 0
    text = out.getvalue()
    assert "(Ctrl-D or /quit leaves)" in text
    assert "David Fincher" in text and "Psycho" not in text.split("leaves)")[1]
    assert text.rstrip().endswith("Bye!")
