"""A scripted model for the fake OpenAI server that understands reviewbot's prompts.

`PromptModel` answers each kind of request (per-review digest, summary, answer, spoiler check) with
valid JSON built from what the prompt contains (the review ids in its data blocks), so tests can
check what reviewbot does with a well-behaved model, and swap in misbehaviour per kind.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes.fake_openai import Behaviour, ChatRequest

REVIEW_ID = re.compile(r"^<<review (\d+)\b", re.MULTILINE)
KEY = re.compile(r"\| key ([0-9a-f]{8})>>")


def kind_of(request: ChatRequest) -> str:
    """'digest', 'check', 'answer', 'summary' or 'other', from the JSON schema asked for and the prompt."""
    schema = ((request.body.get("response_format") or {}).get("json_schema") or {}).get("name")
    if schema == "reviewbot_digest":
        return "digest"
    if schema == "reviewbot_spoiler_check":
        return "check"
    if schema == "reviewbot_points":
        return "answer" if "Question:" in data_message(request) else "summary"
    return "other"


def data_message(request: ChatRequest) -> str:
    """The user message holding the data (a retry adds a short message after it)."""
    return next((c for c in reversed(request.contents("user")) if c.startswith("Data key:")), request.user)


def review_ids(request: ChatRequest) -> list[int]:
    return [int(i) for i in REVIEW_ID.findall(data_message(request))]


def points(*items: tuple[str, list[int], bool]) -> str:
    return json.dumps({"points": [{"text": t, "sources": s, "spoiler": f} for t, s, f in items]})


SAFE_LINES = (
    "Reviewers praise the lead performances as precise and warm.",
    "Most reviewers admire the photography and the careful sense of place.",
    "Some reviewers found the pacing slow in the middle stretch.",
    "The score is singled out as understated and effective.",
)


@dataclass
class PromptModel:
    """Call it as the fake server's responder. `overrides[kind]` replaces the answer for that kind."""

    overrides: dict[str, Callable[[ChatRequest], Behaviour | str]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)

    def __call__(self, request: ChatRequest) -> Behaviour | str:
        kind = kind_of(request)
        self.calls[kind] += 1
        if kind in self.overrides:
            return self.overrides[kind](request)
        ids = review_ids(request)
        if kind == "digest":
            return json.dumps({"safe": f"The reviewer of review {ids[0]} liked the acting and the look.",
                               "spoilers": ""})
        if kind == "check":
            return json.dumps({"spoiler_sentences": []})
        if kind == "answer":
            return points(("Reviewers say the acting is excellent.", ids[:2], False))
        return points(*((line, ids[i::4][:3] or ids[:1], False) for i, line in enumerate(SAFE_LINES)))
