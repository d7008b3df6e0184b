"""Prompt files (the top-level `prompts` package), loaded once and filled explicitly.

File format (`prompts/NAME.md`)::

    <!-- comments for people; not sent -->
    === system ===
    text with {{placeholders}} and {{> partial}} includes
    === user ===
    text
    === fragment NAME ===
    text a caller picks with `fragment(prompt, NAME)` (e.g. one of two policies)

- `{{> partial}}` inlines `prompts/_partial.md` when the files are loaded (partials may include others);
  `{{> marking}}` inlines `prompts/_marking_<spotlight>.md`, which tells the model how its data is marked
  (bot/llm/spotlight.py: the set's `spotlight` marks the data to match).
- `render(name, **values)` needs a value for every placeholder of the prompt and no others
  (a typo fails loudly instead of sending a prompt with a hole in it). Values are inserted in one
  pass, so a `{{…}}` inside a review is never expanded.
- `version` is a hash of every file's text: part of every cache key, so editing a prompt makes
  new summaries instead of serving ones written under the old wording.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources

from bot.llm.client import Message
from bot.llm.spotlight import Spotlight

_SECTION = re.compile(r"^=== (system|user|fragment [a-z_]+) ===[ \t]*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INCLUDE = re.compile(r"\{\{>\s*([a-z_]+)\s*\}\}")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

PROMPT_NAMES = ("summary_spoiler_free", "summary_spoilers", "review_digest", "answer", "spoiler_check")


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    system: str
    user: str
    fragments: dict[str, str] = field(default_factory=dict)

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER.findall(self.system + self.user))

    @property
    def version(self) -> str:
        """Hash of this prompt alone (after includes): for things that depend on one prompt only."""
        parts = [self.system, self.user, *(f"{k}\0{v}" for k, v in sorted(self.fragments.items()))]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


class PromptSet:
    def __init__(self, prompts: dict[str, Prompt], version: str, spotlight: Spotlight = Spotlight.DATAMARK) -> None:
        self.prompts = prompts
        self.version = version
        self.spotlight = spotlight  # how the data in these prompts is marked

    @classmethod
    def load(cls, package: str = "prompts", spotlight: Spotlight = Spotlight.DATAMARK) -> PromptSet:
        root = resources.files(package)
        texts = {
            entry.name[:-3]: entry.read_text(encoding="utf-8")
            for entry in root.iterdir()
            if entry.name.endswith(".md")
        }
        missing = [n for n in PROMPT_NAMES if n not in texts]
        if missing:
            raise RuntimeError(f"prompt files missing from the {package!r} package: {missing}")
        digest = hashlib.sha256(f"{spotlight.value}\0".encode())  # digests and summaries differ by marking too
        for name in sorted(texts):
            digest.update(f"{name}\0{texts[name]}\0".encode())
        partials = {**texts, "_marking": texts.get(f"_marking_{spotlight.value}", "")}
        prompts = {name: _parse(name, texts[name], partials) for name in PROMPT_NAMES}
        return cls(prompts, digest.hexdigest()[:12], spotlight)

    def render(self, name: str, **values: str | int) -> list[Message]:
        prompt = self.prompts[name]
        given = set(values)
        if given != prompt.placeholders:
            raise ValueError(
                f"prompt {name!r}: missing {sorted(prompt.placeholders - given)}, "
                f"unknown {sorted(given - prompt.placeholders)}"
            )

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)

        return [{"role": "system", "content": fill(prompt.system)}, {"role": "user", "content": fill(prompt.user)}]

    def instruction_texts(self) -> list[str]:
        """Every prompt's own words (placeholders removed): what no answer may carry (grounding.PromptEcho)."""
        texts: list[str] = []
        for prompt in self.prompts.values():
            for text in (prompt.system, prompt.user, *prompt.fragments.values()):
                texts.append(_PLACEHOLDER.sub(" ", text))
        return texts

    def file_version(self, name: str) -> str:
        return self.prompts[name].version

    def fragment(self, name: str, fragment: str) -> str:
        return self.prompts[name].fragments[fragment]


def _parse(name: str, text: str, partials: dict[str, str]) -> Prompt:
    text = _COMMENT.sub("", text)

    def include(match: re.Match[str]) -> str:
        partial = f"_{match.group(1)}"
        if not partials.get(partial):
            raise RuntimeError(f"prompt {name!r} includes unknown partial {partial!r}")
        return _INCLUDE.sub(include, _COMMENT.sub("", partials[partial]).strip())

    text = _INCLUDE.sub(include, text)
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if "system" not in sections or "user" not in sections:
        raise RuntimeError(f"prompt {name!r} needs '=== system ===' and '=== user ===' sections")
    fragments = {k.split(" ", 1)[1]: v for k, v in sections.items() if k.startswith("fragment ")}
    return Prompt(name, sections["system"], sections["user"], fragments)
