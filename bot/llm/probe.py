"""What the LLM server is, asked once at start-up: its kind, context size and slots.

- llama.cpp's server answers `GET /props` (outside `/v1`): `default_generation_settings.n_ctx` is the
  real context size and `total_slots` how many requests it serves at once;
- Ollama answers `GET /api/version` (and serves 2,048-4,096 tokens of context unless told otherwise:
  docs/local-models.md);
- vLLM, LM Studio and others list `max_model_len` / `context_length` / `max_context_length` on
  `GET /v1/models`.
Nothing here is required: a server that answers none of them is used with the settings as given.
The choices follow: a local server gets a per-point length cap in the schema (its grammar enforces
it), its context size caps ours, and a single-slot server never gets a timed-out request again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import openai
from openai import AsyncOpenAI

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 3.0
# What a local server gets when the settings leave these at their (hosted-API) defaults. Measured with
# Qwen2.5 1.5B on 2 CPU cores (bench/RESULTS.md, issue 10): a summary prompt of ~2,000 tokens is read
# at 30-90 tokens/s, so 30 s times out; and a one-call summary over whole reviews (up to 6,000 tokens)
# means minutes before the first word, while the stored digests keep the prompt short.
LOCAL_TIMEOUT_SECONDS = 180.0
LOCAL_DIRECT_MAX_TOKENS = 1200


@dataclass(frozen=True, slots=True)
class ServerInfo:
    kind: str = "unknown"  # 'llama.cpp', 'ollama', 'openai-compatible', 'openai', 'unknown'
    context_window: int | None = None
    slots: int | None = None

    @property
    def local(self) -> bool:
        return self.kind in ("llama.cpp", "ollama")

    @property
    def single_slot(self) -> bool:
        return self.slots == 1 or self.kind == "ollama"  # Ollama queues requests per model by default


@dataclass(frozen=True, slots=True)
class Tuned:
    timeout: float
    direct_max_tokens: int
    context_window: int


def tuned(server: ServerInfo, *, timeout: float, direct_max_tokens: int, context_window: int,
          explicit: Collection[str] = ()) -> Tuned:
    """The settings adjusted to the server: its own context size when smaller than ours; for a local
    server, a longer timeout and a smaller one-call limit unless the settings (`explicit`: the names
    of the settings that were given) say otherwise."""
    if server.context_window and server.context_window < context_window:
        log.info("the server's context is %d tokens; using that", server.context_window)
        context_window = server.context_window
    if server.local:
        if "llm_timeout_seconds" not in explicit:
            timeout = max(timeout, LOCAL_TIMEOUT_SECONDS)
        if "llm_direct_max_tokens" not in explicit:
            direct_max_tokens = min(direct_max_tokens, LOCAL_DIRECT_MAX_TOKENS)
    return Tuned(timeout, direct_max_tokens, context_window)


def _root(base_url: str) -> str:
    parsed = urlparse(base_url.rstrip("/"))
    path = parsed.path[: -len("/v1")] if parsed.path.endswith("/v1") else parsed.path
    return f"{parsed.scheme}://{parsed.netloc}{path}"


async def _json(client: AsyncOpenAI, url: str) -> Any:
    try:
        return await client.get(url, cast_to=object)
    except (openai.OpenAIError, ValueError):
        return None


async def probe(client: AsyncOpenAI, base_url: str | None) -> ServerInfo:
    """Asked through the app's own client (absolute URLs), quickly and without retries."""
    if base_url is None or urlparse(base_url).hostname == "api.openai.com":
        return ServerInfo("openai")
    root = _root(base_url)
    client = client.with_options(timeout=PROBE_TIMEOUT, max_retries=0)
    if client is not None:  # one block for the three questions
        props = await _json(client, f"{root}/props")
        if isinstance(props, dict) and "default_generation_settings" in props:
            settings = props.get("default_generation_settings") or {}
            n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
            slots = props.get("total_slots")
            return ServerInfo(
                "llama.cpp", n_ctx if isinstance(n_ctx, int) else None, slots if isinstance(slots, int) else None
            )
        version = await _json(client, f"{root}/api/version")
        if isinstance(version, dict) and "version" in version:
            return ServerInfo("ollama")
        models = await _json(client, f"{base_url.rstrip('/')}/models")
        if isinstance(models, dict) and isinstance(models.get("data"), list):
            for model in models["data"]:
                if not isinstance(model, dict):
                    continue
                for field in ("max_model_len", "context_length", "max_context_length"):
                    if isinstance(model.get(field), int):
                        return ServerInfo("openai-compatible", model[field])
            return ServerInfo("openai-compatible")
    return ServerInfo()
