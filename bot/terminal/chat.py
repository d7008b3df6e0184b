"""`reviewbot chat`: an interactive prompt (history, colours) or, from a pipe, one command a line."""

from __future__ import annotations

import logging
import sys

from platformdirs import user_data_path
from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, InMemoryHistory
from rich.console import Console
from rich.text import Text

from bot.app import Services
from bot.errors import ReviewBotError
from bot.terminal import render
from bot.terminal.commands import ChatSession

log = logging.getLogger(__name__)
BANNER = (
    "reviewbot — film reviews without spoilers. Type /help for commands, a question to ask, /quit to leave.\n"
    "Try: /summary dear comrads · /film Psycho (1960) · /ask is the acting in Parasite any good?"
)


async def run_chat(
    services: Services, *, console: Console | None = None, user_id: str = "terminal",
    prompt: PromptSession[str] | None = None,
) -> int:
    """The chat loop. `prompt` is the line editor (made here for a terminal; tests pass one reading
    a pipe). As in a shell: Ctrl-C drops the line being typed, Ctrl-D on an empty line leaves."""
    console = console or Console(highlight=False)
    session = ChatSession(
        services, user_id=user_id, status=lambda line: console.print(Text(line, style="dim italic"))
    )
    interactive = prompt is not None or sys.stdin.isatty()
    if interactive and prompt is None:
        history_file = user_data_path("reviewbot", appauthor=False) / "chat_history"
        try:
            history_file.parent.mkdir(parents=True, exist_ok=True)
            history: FileHistory | InMemoryHistory = FileHistory(str(history_file))
        except OSError:
            history = InMemoryHistory()
        prompt = PromptSession(history=history)
    if interactive:
        console.print(Text(BANNER, style="cyan"))
        note = f"Engine: {services.engine_name}. Database: {services.store.location}"
        console.print(Text(note, style="dim"))
    while True:
        try:
            if prompt is not None:
                line = await prompt.prompt_async("reviewbot> ")
            else:
                line = sys.stdin.readline()
                if not line:
                    break
                if line.strip():
                    console.print(Text(f"> {line.strip()}", style="bold"))
        except EOFError:  # Ctrl-D
            break
        except KeyboardInterrupt:  # Ctrl-C: the half-typed line is gone; carry on
            if prompt is not None:
                console.print(Text("(Ctrl-D or /quit leaves)", style="dim"))
                continue
            break
        try:
            output = await session.handle(line)
        except ReviewBotError as error:
            console.print(render.error(error.message))
            continue
        except Exception:
            # What people typed stays out of logs above DEBUG (it can be anything, and personal).
            log.exception("a chat command failed (command: %s)", line.split(" ", 1)[0][:20])
            log.debug("the failing line was: %r", line[:200])
            console.print(Text("Sorry, something went wrong with that command. It has been logged.", style="red"))
            continue
        if output is None:
            break
        console.print(output)
    if interactive:
        console.print(Text("Bye!", style="cyan"))
    return 0
