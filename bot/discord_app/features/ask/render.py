"""Answers as message text, with a small grey line saying where they came from."""

from __future__ import annotations

from bot.discord_app.markup import WRITING, cut, generated, plain
from bot.services.ask import Answer
from bot.text.chunking import CONTENT_LIMIT, first_piece, split_message


def answer_text(answer: Answer) -> str:
    """The answer plus a small grey line saying where it came from."""
    extras: list[str] = []
    authors = list(dict.fromkeys(s.author for s in answer.sources))
    if authors:
        extras.append("Sources: " + ", ".join(plain(a) for a in authors[:6]))
    extras.extend(answer.notes)
    footer = "\n".join(f"-# {cut(e, 300)}" for e in extras)
    text = generated(answer.text)
    return f"{text}\n{footer}" if footer else text


def answer_pieces(answer: Answer) -> list[str]:
    return split_message(answer_text(answer), CONTENT_LIMIT) or ["I have nothing to say about that."]


def answer_preview(text: str) -> str:
    return first_piece(generated(text), CONTENT_LIMIT - len(WRITING) - 4) + f"\n-# {WRITING}"
