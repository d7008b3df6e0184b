"""What of a model's answer is kept once the guard has judged it, and the one stricter retry.

The guard judges every sentence on its own and fails closed, so what it approves may be shown
whatever else the model tried to slip in: an answer is no longer thrown away because the guard
removed most of it (that sent 39 and 44 of 52 real-world summaries offline against a model planting
five reveals per film, with every reveal removed). The good points are kept; when too few remain,
the model is asked once more with a stricter instruction that names what went wrong; when that
gives no more, the engine answers offline (bot/llm/summary_engine.py, answer_engine.py).

The retry is one call (no further retry inside it), never after a timeout (an LLMTimeout is not
caught here), and never when the first answer already needed a second try.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from bot.llm.client import ChatClient, JsonSchema, Message, Usage
from bot.llm.errors import LLMError, LLMMalformedOutput
from bot.llm.grounding import CheckReport, PointChecker
from bot.llm.guard import GuardedPoint, GuardReport, SpoilerGuard
from bot.llm.points import RETRY_MESSAGE, STRICTER_MESSAGE, Generated
from bot.llm.schema import Point, parse_points
from bot.services.summaries import Mode, Requester

log = logging.getLogger(__name__)

STRICTER_SPOILERS = (
    "Only {kept} of your points could be used: {reason}. Write the answer again, strictly: every point "
    "is one short sentence in your own words about what the reviewers think of the film's craft (acting, "
    "direction, writing, look, sound, pacing, tone) or their verdict, cites the id of the review it comes "
    "from, names no character and tells nothing of what happens in the story. Reply with only the JSON "
    "object."
)

_FIELD = re.compile(r"\{[a-z_]+\}")


def retry_texts() -> list[str]:
    """Our retry instructions' own words (fields removed): like the prompt files, no answer may carry
    them (bot/llm/grounding.PromptEcho); a small model asked again is the likeliest to echo them."""
    return [_FIELD.sub(" ", text) for text in (RETRY_MESSAGE, STRICTER_MESSAGE, STRICTER_SPOILERS)]


@dataclass(slots=True)
class Kept:
    """The guard-approved points of one answer and what the guard and the checks removed."""

    points: list[tuple[Point, GuardedPoint]]
    report: GuardReport = field(default_factory=GuardReport)
    revealing: int = 0  # sentences the grounding checks removed that the guard would have removed too
    checks: CheckReport = field(default_factory=CheckReport)


def count_reveals(guard: SpoilerGuard, removed: Sequence[tuple[str, bool]], report: GuardReport) -> int:
    """Add the sentences the checks removed to `report` as the guard judges them (spoiler-free);
    returns how many of them the guard would have removed too."""
    before = report.sentences_dropped
    for text, flag in removed:
        guard.check(Point(text, (), flag), "spoiler_free", report)
    return report.sentences_dropped - before


def guard_points(guard: SpoilerGuard, points: Sequence[Point], checks: CheckReport, mode: Mode) -> Kept:
    report = GuardReport()
    kept = [(p, g) for p, g in ((p, guard.check(p, mode, report)) for p in points) if g is not None]
    # Sentences the checks removed still say how much plot the model tried to give away.
    revealing = count_reveals(guard, checks.removed, report)
    return Kept(kept, report, revealing, checks)


def _reason(kept: Kept) -> str:
    said = []
    if kept.report.sentences_dropped:
        said.append("the others gave away the plot")
    if kept.checks.reasons.get("unsupported") or kept.checks.reasons.get("contradicted"):
        said.append("some said what the reviews do not say")
    if kept.checks.reasons.get("pasted"):
        said.append("some copied the reviews word for word")
    if len(said) > 1:
        return f"{', '.join(said[:-1])} and {said[-1]}"
    return said[0] if said else "the others could not be used"


async def retry_stricter(
    chat: ChatClient,
    messages: Sequence[Message],
    first: Kept,
    *,
    known_ids: Collection[int],
    max_tokens: int,
    requester: Requester,
    purpose: str,
    guard: SpoilerGuard,
    checker: PointChecker,
    mode: Mode,
    schema: JsonSchema,
    usage: Usage,
) -> Kept:
    """One more call with the stricter instruction; whichever answer keeps more points.

    A failed second call (unusable, timed out, refused) keeps the first answer's points.
    """
    retry = [
        *messages,
        {"role": "user", "content": STRICTER_SPOILERS.format(kept=len(first.points), reason=_reason(first))},
    ]
    try:
        completion = await chat.retrying().complete(
            retry, max_tokens=max_tokens, requester=requester, purpose=purpose, schema=schema,
            usage=usage, allow_truncated=True,
        )
        points = parse_points(completion.text, known_ids, truncated=completion.truncated)
    except LLMMalformedOutput as error:
        log.info("the stricter %s retry was unusable too (%s)", purpose, error.detail)
        return first
    except LLMError as error:  # timed out, refused…: what the first answer had is still good
        log.warning("the stricter %s retry failed (%s); keeping the first answer's points", purpose, error.reason)
        return first
    checks = CheckReport()
    usable = [c for c in (checker.check(p, checks) for p in points) if c is not None]
    again = guard_points(guard, usable, checks, mode)
    log.info("the stricter %s retry kept %d points against %d", purpose, len(again.points), len(first.points))
    return again if len(again.points) > len(first.points) else first


def first_answer(generated: Generated, guard: SpoilerGuard, mode: Mode) -> Kept:
    return guard_points(guard, generated.points, generated.checks, mode)


FILLED_NOTE = (
    "Too few of the LLM's points could be used, so the aspects it did not cover are from the offline summary."
)
_LABEL = re.compile(r"^(?:•\s*)?\*\*([^*]+)\*\*:")


def fill_from_offline(llm_text: str, offline_text: str, char_limit: int) -> tuple[str, int]:
    """The LLM's lines (header first), then the offline summary's lines for aspects the LLM did not
    cover, as many as fit in `char_limit`; returns (text, offline lines added). The offline text is
    already safe for the mode (the allow-list chose its sentences) and neutralised by the caller."""
    lines = llm_text.splitlines()
    covered = {m.group(1).strip().lower() for m in map(_LABEL.match, lines) if m}
    used = len(llm_text)
    added = 0
    for line in offline_text.splitlines()[1:]:  # its own header line is the same film's
        label = _LABEL.match(line)
        if not line.strip() or (label and label.group(1).strip().lower() in covered):
            continue
        line = f"• {line}" if label and not line.startswith("•") else line  # the LLM's lines' style
        if used + 1 + len(line) > char_limit:
            continue
        lines.append(line)
        used += 1 + len(line)
        added += 1
    return "\n".join(lines), added
