"""While a slow local model works, people see progress: Discord edits its reply with each preview
(tests/bot/discord_app), the terminal prints a status line per stage ("Reading 12 reviews…", then
the points so far) in the chat and on stderr for one-shot commands; the offline engine prints none."""

from __future__ import annotations

import pytest

from bot.terminal.commands import ChatSession
from bot.terminal.progress import ProgressPrinter, progress_line
from tests.llm.conftest import OpenLLM, digest_worker


@pytest.mark.parametrize(
    ("preview", "line"),
    [
        ("**Se7en (1995)** · 4 reviews\n*Reading 4 reviews…*", "Reading 4 reviews…"),
        ("**Se7en (1995)** · 1 review\n*Reading 1 review…*", "Reading 1 review…"),
        ("**Se7en (1995)**\n• **Acting**: Reviewers praise the leads.", "1 point so far…"),
        ("**Se7en (1995)**\n• **Acting**: a.\n• **Verdict**: b.", "2 points so far…"),
        ("**Se7en (1995)** · 4 reviews", ""),
    ],
)
def test_progress_line(preview: str, line: str) -> None:
    assert progress_line(preview) == line


async def test_a_line_is_printed_once_per_change() -> None:
    shown: list[str] = []
    printer = ProgressPrinter(shown.append)
    for preview in ("H\n*Reading 3 reviews…*", "H\n*Reading 3 reviews…*", "H\n• a.", "H\n• a.", "H\n• a.\n• b."):
        await printer(preview)
    assert shown == ["Reading 3 reviews…", "1 point so far…", "2 points so far…"]


async def test_the_terminal_chat_shows_progress_while_the_llm_writes(open_llm: OpenLLM) -> None:
    async with open_llm() as services:
        await digest_worker(services).drain()
        shown: list[str] = []
        chat = ChatSession(services, user_id="ana", status=shown.append)
        await chat.handle("/summary Se7en")
        count = len(await services.reviews.for_film(await services.films.resolve("Se7en")))
        assert shown[0] == f"Reading {count} reviews…"
        assert shown[-1].endswith("so far…") and len(shown) >= 2


async def test_the_offline_engine_prints_no_progress(open_llm: OpenLLM) -> None:
    async with open_llm(openai_base_url=None, openai_api_key=None) as services:
        shown: list[str] = []
        chat = ChatSession(services, user_id="ana", status=shown.append)
        await chat.handle("/summary Se7en")
        assert shown == []
