"""Per-review digests: each review is read by the LLM once, and only its short digest is reused.

A digest is stored under (review, engine, digest prompt version + kind) with a hash of the exact text
the LLM was shown, so an edited or rescored review gets a new digest and nothing else is redone.
Kind 'sf' digests were made from safe sentences only (usable in both modes); kind 'sp' digests saw a
review's spoiler sentences too and are only ever used in spoilers mode. A review without spoiler
sentences has identical material in both modes and shares its 'sf' digest.

Every digest is guarded before it is stored: sentences that look like spoilers move to the spoiler
part, sentences with links, mentions or injection talk are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.llm.client import ChatClient
from bot.llm.errors import LLMError, LLMMalformedOutput
from bot.llm.guard import SpoilerGuard
from bot.llm.material import ReviewMaterial, excerpt, film_body, opening
from bot.llm.points import RETRY_RESERVE, complete_parsed
from bot.llm.prompts import PromptSet
from bot.llm.schema import digest_schema, parse_digest
from bot.llm.spotlight import new_key
from bot.services.summaries import Requester
from storage.ports import SummaryStore
from storage.records import Digest, Film

log = logging.getLogger(__name__)

DIGEST_MAX_TOKENS = 220
FALLBACK_WORDS = 50  # an unusable digest is replaced by an excerpt of the review (stored: not retried)


@dataclass(slots=True)
class DigestBatch:
    digests: dict[int, Digest] = field(default_factory=dict)  # review id -> digest
    made: int = 0  # digests made now (each one call, or two when the first answer was unusable)
    input_tokens: int = 0
    output_tokens: int = 0


def _kind(item: ReviewMaterial) -> str:
    return "sp" if item.spoilers else "sf"


class Digester:
    def __init__(
        self,
        chat: ChatClient,
        prompts: PromptSet,
        repo: SummaryStore,
        *,
        engine: str,
        concurrency: int,
        max_tokens: int = DIGEST_MAX_TOKENS,
        text_chars: int | None = None,
    ) -> None:
        self._chat = chat
        self._prompts = prompts
        self._repo = repo
        self._engine = engine
        self._version = prompts.file_version("review_digest")
        self._semaphore = asyncio.Semaphore(concurrency)
        self.max_tokens = max_tokens
        self._schema = digest_schema(text_chars)  # text_chars: a length cap local servers enforce

    def version(self, item: ReviewMaterial) -> str:
        return f"{self._version}:{_kind(item)}"

    async def stored(self, items: Sequence[ReviewMaterial]) -> dict[int, Digest]:
        """The digests already made from exactly this material."""
        found: dict[int, Digest] = {}
        for kind in ("sf", "sp"):
            group = {i.review.id: i for i in items if _kind(i) == kind}
            if not group:
                continue
            rows = await self._repo.digests(list(group), self._engine, f"{self._version}:{kind}")
            found.update(
                {rid: d for rid, d in rows.items() if d.content_hash == group[rid].digest_hash}
            )
        return found

    def messages(self, film: Film, item: ReviewMaterial) -> list[dict[str, str]]:
        key, spot = new_key(), self._prompts.spotlight
        film_block = film_body(film, spot, characters=bool(item.spoilers))
        return self._prompts.render("review_digest", key=key, film=film_block, review=item.block(key, spot))

    def estimate(self, film: Film, item: ReviewMaterial) -> int:
        """Tokens one digest call costs at most (prompt plus the output cap)."""
        return self._chat.prompt_tokens(self.messages(film, item)) + self.max_tokens

    async def make(
        self, film: Film, items: Sequence[ReviewMaterial], guard: SpoilerGuard, requester: Requester
    ) -> DigestBatch:
        """Digest every item (concurrently, at most `concurrency` calls at once) and store them.

        An LLM failure (rate limit, timeout, ...) aborts the batch with that error; digests finished
        before it are kept, so a retry only pays for the rest.
        """
        batch = DigestBatch()
        if items and self._chat.breaker.state != "closed":
            # One call alone first: it is the circuit breaker's trial, and concurrent calls refused
            # meanwhile would make the task group cancel it. Open: it fails fast, as it should.
            await self._one(film, items[0], guard, requester, batch)
            items = items[1:]
        try:
            async with asyncio.TaskGroup() as group:
                for item in items:
                    group.create_task(self._one(film, item, guard, requester, batch))
        except ExceptionGroup as failures:
            llm_errors = [e for e in failures.exceptions if isinstance(e, LLMError)]
            if len(llm_errors) == len(failures.exceptions):
                raise llm_errors[0] from failures
            raise
        return batch

    async def _one(
        self, film: Film, item: ReviewMaterial, guard: SpoilerGuard, requester: Requester, batch: DigestBatch
    ) -> None:
        safe, spoilers = excerpt(item.said_sentences, FALLBACK_WORDS), opening(item.spoilers, FALLBACK_WORDS)
        input_tokens = output_tokens = 0
        messages = self.messages(film, item)
        if not self._chat.fits(messages, self.max_tokens + RETRY_RESERVE):
            log.warning("review %s is too long for the model's context; an excerpt stands in", item.review.id)
        else:
            async with self._semaphore:
                try:
                    parsed = await complete_parsed(
                        self._chat, messages, parse_digest, max_tokens=self.max_tokens,
                        requester=requester, purpose="digest", schema=self._schema,
                    )
                    safe, spoilers = parsed.value
                    input_tokens, output_tokens = parsed.input_tokens, parsed.output_tokens
                except LLMMalformedOutput as error:
                    log.warning("review %s: no usable digest (%s); an excerpt stands in", item.review.id, error)
        batch.made += 1
        kept, moved, _ = guard.split_text(safe)
        spoiler_kept, spoiler_moved, _ = guard.split_text(spoilers)
        digest = Digest(
            item.review.id,
            item.digest_hash,
            kept,
            " ".join(p for p in (moved, spoiler_kept, spoiler_moved) if p),
            input_tokens,
            output_tokens,
        )
        await self._repo.put_digest(digest, self._engine, self.version(item))
        batch.digests[item.review.id] = digest
        batch.input_tokens += input_tokens
        batch.output_tokens += output_tokens
