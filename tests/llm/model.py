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

from bot.llm.spotlight import Spotlight
from tests.fakes.fake_openai import Behaviour, ChatRequest

REVIEW_ID = re.compile(r"^<<review (\d+)\b", re.MULTILINE)
KEY = re.compile(r"\| key ([0-9a-f]{8})>>")
datamark = Spotlight.DATAMARK.mark  # how the test engines' prompts mark data


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
    return list(dict.fromkeys(int(i) for i in REVIEW_ID.findall(data_message(request))))  # a review may have two blocks


def points(*items: tuple[str, list[int], bool]) -> str:
    return json.dumps({"points": [{"text": t, "sources": s, "spoiler": f} for t, s, f in items]})


SAFE_LINES = (  # each is grounded in the review it cites by `grounded` (two of the review's own words)
    "Reviewers praise the {0} and the {1}.",
    "Most reviewers admire the {0} and the {1}.",
    "Some reviewers note the {0} and the {1}.",
    "One reviewer singles out the {0} and the {1}.",
)
_BLOCK = re.compile(r"^<<review (\d+)\b[^\n]*>>\n(.*?)^<<end review", re.MULTILINE | re.DOTALL)
_COMMON = frozenset(
    "this that with from they their there were been have about into than then which what when film movie "
    "review reviewer reviewers would could should just very much more most some also only even over".split()
)


def shown_text(request: ChatRequest) -> dict[int, str]:
    """Review id -> the text the request showed of it (data marks removed)."""
    found: dict[int, str] = {}
    for rid, body in _BLOCK.findall(data_message(request)):
        lines = [line.split(": ", 1)[1] for line in body.splitlines() if ": " in line]
        found[int(rid)] = f"{found.get(int(rid), '')} {' '.join(lines).replace('^', ' ')}".strip()
    return found


def shown_said(request: ChatRequest) -> dict[int, str]:
    """Review id -> what the request showed of it as safe to say (`said:` lines only)."""
    found: dict[int, str] = {}
    for rid, body in _BLOCK.findall(data_message(request)):
        said = [line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("said: ")]
        if said:
            found[int(rid)] = " ".join(said).replace("^", " ")
    return found


def shown_spoiler(request: ChatRequest) -> str:
    """The first sentence of the first `spoilers:` line the request showed ('' when none)."""
    for line in data_message(request).splitlines():
        if line.startswith("spoilers: "):
            words = line.split(": ", 1)[1].replace("^", " ").split()
            return " ".join(words[:12]).rstrip(",;:!?.") + "."  # a paraphrase, not a pasted passage
    return ""


CRAFT = (
    "acting", "performance", "performances", "score", "music", "camera", "direction", "script", "pacing",
    "cinematography", "writing", "dialogue", "editing", "photography", "sound", "visuals", "tension",
    "atmosphere", "humour", "humor", "craft", "design", "ensemble", "soundtrack", "lighting",
)


def two_words(text: str, skip: int = 0) -> tuple[str, str]:
    """Two distinct plain words of a review (a well-behaved model says what the review says): its
    craft words first, then words it never capitalises (a name, such as a character's, is plot)."""
    lowered = text.lower()
    words = dict.fromkeys(re.findall(r"[a-z]{5,}", lowered))
    craft = [w for w in CRAFT if w in words]
    capitalised = {w.lower() for w in re.findall(r"\b[A-Z][a-z]{4,}", text)}
    plain = [w for w in words if w not in _COMMON and w not in capitalised and w not in craft]
    craft = craft[skip:] + craft[:skip]
    picked = craft + plain
    padded = [*picked, *picked[:1], "craft", "work"]  # one word said twice is still what the review says
    return padded[0], padded[1]


def grounded(request: ChatRequest, template: str, review_id: int, skip: int = 0) -> str:
    return template.format(*two_words(shown_text(request).get(review_id, ""), skip))


@dataclass
class PromptModel:
    """Call it as the fake server's responder. `overrides[kind]` replaces the answer for that kind."""

    overrides: dict[str, Callable[[ChatRequest], Behaviour | str]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    summary_lines: list[str] = field(default_factory=list)  # the last summary's points

    def __call__(self, request: ChatRequest) -> Behaviour | str:
        kind = kind_of(request)
        self.calls[kind] += 1
        if kind in self.overrides:
            return self.overrides[kind](request)
        ids = review_ids(request)
        if kind == "digest":
            return json.dumps({"safe": grounded(request, "The reviewer liked the {0} and the {1}.", ids[0]),
                               "spoilers": ""})
        if kind == "check":
            return json.dumps({"spoiler_sentences": []})
        if kind == "answer":
            return points((grounded(request, "Reviewers praise the {0} and the {1}.", ids[0]) if ids else
                           "The reviews do not say.", ids[:1], False))
        lines = []
        for i, line in enumerate(SAFE_LINES):
            cite = (ids[i::4][:1] or ids[:1])
            lines.append((grounded(request, line, cite[0], skip=2 * i) if cite else line, cite, False))
        self.summary_lines = [text for text, _, _ in lines]
        return points(*lines)
