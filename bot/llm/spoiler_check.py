"""The model as a second spoiler checker (LLM_SPOILER_CHECK, on by default with an LLM configured).

After the guard (bot/llm/guard.py) has approved the points of a spoiler-free summary or /ask answer,
the model is shown the film's known spoiler sentences (what its reviews reveal, by the allow-list's
revealing reasons) and the candidate sentences, numbered, and says which of them reveal plot. Those
are removed. The check can only remove: it never adds, rewrites or lets back anything the guard
dropped, so a model that over-flags (small models do, issue 10) costs points, never safety.

A failed check (timeout, unusable answer, budget) fails closed: the LLMError reaches the engine,
which answers offline. Its tokens are counted in the answer's usage (purpose `spoiler_check`) and
reported in a note, so the cost of the second opinion is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.llm.client import ChatClient, Usage
from bot.llm.guard import GuardedPoint
from bot.llm.points import complete_parsed
from bot.llm.prompts import PromptSet
from bot.llm.schema import check_schema, parse_check
from bot.llm.spotlight import new_key
from bot.services.summaries import Requester
from bot.text.segments import split_review

MAX_TOKENS = 200
MAX_KNOWN = 12  # known spoiler sentences shown to the checker (enough to recognise a paraphrase)
KNOWN_WORDS = 45  # each cut to this many words
PURPOSE = "spoiler_check"


@dataclass(frozen=True, slots=True)
class CheckResult:
    remaining: list[str | None]  # per point: its sentences the check kept (None: none)
    flagged: int  # sentences removed
    input_tokens: int
    output_tokens: int

    def note(self) -> str:
        removed = (
            f"; it removed {self.flagged} sentence{'s' if self.flagged != 1 else ''}" if self.flagged else ""
        )
        return (
            f"The LLM also checked the answer for spoilers ({self.input_tokens} tokens in, "
            f"{self.output_tokens} out){removed}."
        )


def known_sample(sentences: Sequence[str], limit: int = MAX_KNOWN) -> list[str]:
    """Up to `limit` of the film's spoiler sentences, spread over the list (so over its reviews),
    each cut to `KNOWN_WORDS` words."""
    unique = list(dict.fromkeys(s.strip() for s in sentences if s.strip()))
    if len(unique) > limit:
        step = len(unique) / limit
        unique = [unique[int(i * step)] for i in range(limit)]
    return [" ".join(s.split()[:KNOWN_WORDS]) for s in unique]


class SpoilerChecker:
    def __init__(self, chat: ChatClient, prompts: PromptSet, *, bound_numbers: bool = False) -> None:
        """`bound_numbers`: a schema that admits only the draft's sentence numbers (servers that enforce
        schemas: local ones; the 0.5B checker named sentences that do not exist)."""
        self._chat = chat
        self._prompts = prompts
        self._bound_numbers = bound_numbers

    async def check(
        self,
        film_body: str,
        known_spoilers: Sequence[str],
        points: Sequence[GuardedPoint],
        *,
        requester: Requester,
        usage: Usage,
    ) -> CheckResult:
        """Which sentences of `points` the model finds revealing; the rest, point by point."""
        sentences = [(index, span.text) for index, point in enumerate(points) for span in split_review(point.text)]
        key = new_key()
        known = known_sample(known_spoilers)
        known_block = (
            self._prompts.spotlight.block("known spoilers", "", key, [(str(n), s) for n, s in enumerate(known, 1)])
            if known else "(No spoiler sentences are known for this film.)"
        )
        numbered = [(str(n), text) for n, (_, text) in enumerate(sentences, 1)]
        draft = self._prompts.spotlight.block("draft", "", key, numbered)
        messages = self._prompts.render(
            "spoiler_check", key=key, film=film_body, spoilers=known_block, draft=draft
        )
        before_in, before_out = usage.input_tokens, usage.output_tokens
        parsed = await complete_parsed(
            self._chat, messages, lambda text: parse_check(text, len(sentences)),
            max_tokens=MAX_TOKENS, requester=requester, purpose=PURPOSE, usage=usage,
            schema=check_schema(len(sentences) if self._bound_numbers else None),
        )
        kept: dict[int, list[str]] = {}
        for n, (index, text) in enumerate(sentences, 1):
            if n not in parsed.value:
                kept.setdefault(index, []).append(text)
        return CheckResult(
            [" ".join(kept[i]) if i in kept else None for i in range(len(points))], len(parsed.value),
            usage.input_tokens - before_in, usage.output_tokens - before_out,
        )
