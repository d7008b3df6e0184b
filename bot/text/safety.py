"""Text that must never reach users from stored reviews or model output, whatever the mode:
links, @-mentions and Discord mention syntax, and prompt-injection talk. Used by the LLM guard and
by the offline summarizer and answers, which quote review sentences word for word."""

from __future__ import annotations

import re

from bot.text.regex_cache import compile_pattern

LINK = compile_pattern(
    r"(?:https?:/?/?|hxxps?:|www\.|discord(?:app)?\s*\.\s*(?:gg|com|gift)"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.|\s?[(\[]dot[)\]]\s?)"
    r"(?:com|net|org|gg|io|ly|xyz|ru|co|me|app|link|gift|info|biz|top|site|online|shop|tk|cc)\b)",
    re.IGNORECASE,
)
MENTION = compile_pattern(r"[@＠]\s?\w|<[@#][!&]?\d*>?")
INJECTION = compile_pattern(
    r"\b(?:ignor|disregard|forget|overrid|bypass)\w*\b.{0,40}\b(?:instruction|prompt|rule|guideline|direction)s?\b"
    r"|\b(?:system|developer)\s+(?:prompt|message|mode|note)\b|\bnew instructions?\b|\bprompt injection\b"
    r"|\bas an (?:ai|a\.i\.|language model)\b|\bjailbr[eo]ak|\bdo anything now\b|\bfree nitro\b"
    r"|\b(?:click|visit|follow) (?:the|this|my) link\b|\bi (?:have been|was) (?:told|instructed)\b",
    re.IGNORECASE,
)
_AT = compile_pattern(r"[@＠]")
_DISCORD_MENTION = compile_pattern(r"<([@#])([!&]?\d+)>")


def neutralise(text: str) -> str:
    """No pings and no links: `@` gets a zero-width space after it, mention syntax is broken up,
    links are replaced. Safe to run on finished text (it leaves `||` alone)."""
    text = _DISCORD_MENTION.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}>", text)
    text = _AT.sub("@\u200b", text)
    return LINK.sub("[link removed]", text)


def unsafe_reason(sentence: str) -> str | None:
    """Why a sentence must go whatever the mode: 'link', 'mention' or 'injection'; else None."""
    if LINK.search(sentence):
        return "link"
    if MENTION.search(sentence):
        return "mention"
    if INJECTION.search(sentence):
        return "injection"
    return None
