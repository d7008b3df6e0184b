"""Typed settings read from the environment and an optional `.env` file.

Every field here is listed and explained in `.env.example`; keep the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_db_path() -> Path:
    """The database lives in the user's data directory (e.g. ~/.local/share/reviewbot)."""
    return user_data_path("reviewbot", appauthor=False) / "reviewbot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- storage -------------------------------------------------------------------------------
    reviewbot_db: Path = Field(default_factory=default_db_path)
    reviewbot_load_sample: bool = True
    reviewbot_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    watchlist_scope: Literal["global", "guild"] = "global"

    # --- spoiler safety -------------------------------------------------------------------------
    spoiler_threshold: float = Field(default=0.35, ge=0.0, le=1.0)

    # --- limits ---------------------------------------------------------------------------------
    max_review_chars: int = Field(default=6000, ge=100)
    max_title_chars: int = Field(default=200, ge=10)
    max_question_chars: int = Field(default=500, ge=20)
    max_note_chars: int = Field(default=500, ge=10)
    max_watchlist_size: int = Field(default=500, ge=1)

    # --- LLM (any OpenAI-compatible server) ------------------------------------------------------
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=1, ge=0, le=10)  # a person is waiting: fail over to offline soon
    llm_context_window: int = Field(default=16384, ge=1024)
    llm_max_output_tokens: int = Field(default=700, ge=64)
    llm_daily_tokens_per_user: int = Field(default=50_000, ge=0)
    llm_daily_tokens_per_guild: int = Field(default=500_000, ge=0)
    conversation_token_budget: int = Field(default=1500, ge=100)
    conversation_max_turns: int = Field(default=50, ge=1)  # questions per conversation
    # How to ask for JSON: "json_schema" (OpenAI, Ollama, vLLM, llama.cpp, LM Studio), "json_object"
    # (older servers), "none" (prompt only; the answer is still validated).
    llm_response_format: Literal["json_schema", "json_object", "none"] = "json_schema"
    # "auto": max_completion_tokens for api.openai.com (its newer models refuse max_tokens), else max_tokens.
    llm_token_parameter: Literal["auto", "max_tokens", "max_completion_tokens"] = "auto"
    llm_concurrency: int = Field(default=4, ge=1, le=32)  # parallel per-review digest calls
    # Films whose review text fits in this many prompt tokens are summarised in one call; larger ones
    # through per-review digests (each review read once, then reused).
    llm_direct_max_tokens: int = Field(default=6000, ge=0)
    llm_spoiler_check: bool = False  # a second LLM pass over spoiler-free drafts (one extra call)
    # Circuit breaker: after this many provider failures in a row (timeouts, 5xx, 429, refused
    # connections) LLM calls pause for the cool-down and everyone gets the offline answer at once;
    # then one trial call decides (a failed trial doubles the pause, up to 10 minutes).
    llm_breaker_failures: int = Field(default=5, ge=1, le=1000)
    llm_breaker_cooldown_seconds: float = Field(default=60.0, ge=0)
    # --- LLM on small local models (issue 10) ---
    # Digest each review in a background queue when it is added (one call at a time), so /summary
    # makes one call over the digests. Off: reviews are shown to the model by their opening lines.
    llm_background_digests: bool = True

    # --- Discord --------------------------------------------------------------------------------
    discord_token: SecretStr | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_command_cooldown_seconds: float = Field(default=5.0, ge=0)
    # Per person: commands that change stored data (reviews, watchlists, imports, deletion) or export it.
    discord_write_rate_per_minute: int = Field(default=20, ge=0)  # 0: no limit
    # /admin import: server managers may add films and reviews from a file (the library is shared
    # by every server the bot is in, so a bot in servers you don't run may want this off).
    discord_admin_import: bool = True
    # Answer every message in the bot's /ask threads, not only those that mention it. Needs the
    # privileged Message Content intent switched on in the Discord Developer Portal.
    discord_message_content: bool = False

    @field_validator("openai_base_url", "openai_api_key", "discord_token", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """`OPENAI_BASE_URL=` in a .env file means "not set", not an empty URL."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def llm_configured(self) -> bool:
        """An LLM is used when a key or a server URL is given (local servers need no key)."""
        return self.openai_api_key is not None or self.openai_base_url is not None
