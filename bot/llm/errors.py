"""LLM failures as the project's own types, translated from the openai SDK's exception classes.

Translation looks at the exception class and the error `code` / `type` fields of the body, never at
message text (which differs between OpenAI, Ollama, vLLM, llama.cpp and between versions). Every
`LLMError` has a short `reason` that is safe to show ("rate limited"); callers fall back to the
offline engine and say why.
"""

from __future__ import annotations

import json

import openai

# Codes / types different servers use for "the prompt does not fit the context window".
CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
CONTEXT_TYPES = frozenset({"exceed_context_size_error"})  # llama.cpp server
REFUSAL_CODES = frozenset({"content_filter", "content_policy_violation"})  # Azure / OpenAI moderation


class LLMError(Exception):
    """The LLM could not give a usable answer. `reason` is a short, user-safe phrase."""

    reason = "unavailable"

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail or self.reason)
        self.detail = detail or self.reason
        self.retry_after = retry_after


class LLMTimeout(LLMError):
    reason = "timed out"


class LLMUnreachable(LLMError):
    reason = "could not be reached"


class LLMRateLimited(LLMError):
    reason = "rate limited"


class LLMServerError(LLMError):
    reason = "server error"


class LLMRefused(LLMError):
    """Content filter, moderation block or an explicit refusal."""

    reason = "refused the request"


class LLMContextTooLong(LLMError):
    reason = "the request was too long for the model"


class LLMMalformedOutput(LLMError):
    """Empty, truncated, not JSON, or JSON that does not match what the prompt asked for.

    `reason_text` is what a retry tells the model went wrong (the detail, unless given).
    """

    reason = "gave an unusable answer"

    def __init__(self, detail: str = "", *, retry_after: float | None = None, reason_text: str = "") -> None:
        super().__init__(detail, retry_after=retry_after)
        self.reason_text = reason_text or self.detail


class LLMBrokenResponse(LLMMalformedOutput):
    """The server's response itself was broken: a body that is not JSON, a stream cut off before its
    finish reason, an empty answer. Unlike a model answer that misses our schema, this is the
    provider failing, so it counts towards the circuit breaker."""


class LLMPaused(LLMError):
    """Not sent: the circuit breaker stopped calls after repeated provider failures (bot/llm/breaker.py).
    `retry_after` is how long until the next trial call is allowed."""

    reason = "paused after repeated failures"


class LLMAuthError(LLMError):
    reason = "rejected the API key"


class LLMBadRequest(LLMError):
    """Any other 4xx: unknown model, unsupported parameter, ..."""

    reason = "rejected the request"


def _retry_after(error: openai.APIStatusError) -> float | None:
    value = error.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def from_openai(error: Exception) -> LLMError:
    """The `LLMError` for an exception raised by the openai client (or by decoding its response)."""
    if isinstance(error, LLMError):
        return error
    if isinstance(error, openai.APITimeoutError):  # before APIConnectionError: it is a subclass
        return LLMTimeout(str(error))
    if isinstance(error, openai.APIConnectionError):
        return LLMUnreachable(str(error))
    if isinstance(error, openai.RateLimitError):
        return LLMRateLimited(str(error), retry_after=_retry_after(error))
    if isinstance(error, openai.BadRequestError):
        if error.code in CONTEXT_CODES or error.type in CONTEXT_TYPES:
            return LLMContextTooLong(str(error))
        if error.code in REFUSAL_CODES:
            return LLMRefused(str(error))
        return LLMBadRequest(str(error))
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMAuthError(str(error))
    if isinstance(error, openai.InternalServerError):
        return LLMServerError(str(error))
    if isinstance(error, openai.APIStatusError):
        return LLMServerError(str(error)) if error.status_code >= 500 else LLMBadRequest(str(error))
    if isinstance(error, openai.ContentFilterFinishReasonError):
        return LLMRefused(str(error))
    if isinstance(error, openai.LengthFinishReasonError):
        return LLMMalformedOutput(str(error))
    if isinstance(error, openai.APIResponseValidationError):
        return LLMBrokenResponse(str(error))
    if isinstance(error, openai.APIError):  # e.g. an error event inside a stream
        return LLMServerError(str(error))
    if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):  # a 200 whose body is not JSON
        return LLMBrokenResponse(f"response body is not JSON: {error}")
    if isinstance(error, openai.OpenAIError):
        return LLMError(str(error))
    raise TypeError(f"not an LLM client error: {error!r}") from error


# What `from_openai` accepts: wrap calls to the client in `except TRANSLATABLE as error`.
TRANSLATABLE: tuple[type[Exception], ...] = (openai.OpenAIError, json.JSONDecodeError, UnicodeDecodeError)


# Failures worth another attempt after a short wait (LLM_MAX_RETRIES), before anything was streamed.
RETRYABLE: tuple[type[LLMError], ...] = (LLMTimeout, LLMUnreachable, LLMRateLimited, LLMServerError)
# Failures of the provider itself: they open the circuit breaker when they keep coming. Request errors
# (too long, bad request, refused, bad key) and answers that miss our schema are not: the provider
# answered, and sending the same thing elsewhere would fail the same way.
PROVIDER_FAULTS: tuple[type[LLMError], ...] = (*RETRYABLE, LLMBrokenResponse)


def is_provider_fault(error: LLMError) -> bool:
    return isinstance(error, PROVIDER_FAULTS)


def unavailable_note(error: LLMError, what: str = "summary") -> str:
    if isinstance(error, LLMPaused):
        return f"The LLM is unavailable right now ({error.reason}); this is the offline {what}."
    return f"The LLM was unavailable ({error.reason}); this is the offline {what}."
