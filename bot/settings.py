"""Typed settings read from the environment and an optional `.env` file.

Every field here is listed and explained in `.env.example`; keep the two in step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_path
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

# Settings come from, strongest first: arguments given in code, environment variables, the `.env`
# file in the working directory, then the defaults below. A name matches its field whatever its
# case (REVIEWBOT_DB, reviewbot_db), and a blank value (`NAME=`, as in a copied .env.example) means
# "not set, use the default" for every setting, never an empty path, number or URL. Names that are
# not settings are ignored. This is what pydantic-settings does for flat settings like these; it is
# done here because importing pydantic-settings took a third of every one-shot command's start-up.
DEFAULT_ENV_FILE = ".env"


def _from_environment(fields: Any, env_file: str | os.PathLike[str] | None) -> dict[str, str]:
    """The settings' values given in `env_file` (dotenv syntax) and the environment, as text."""
    found: dict[str, str] = {}
    if env_file is not None and os.path.isfile(env_file):
        from dotenv import dotenv_values  # only when there is a file to read

        for key, value in dotenv_values(env_file, encoding="utf-8").items():
            if key.lower() in fields and value:
                found[key.lower()] = value
    for key, value in os.environ.items():
        if key.lower() in fields and value:
            found[key.lower()] = value
    return found


def parse_shard_ids(text: str) -> list[int]:
    """`0-3` → [0, 1, 2, 3]; `4,6` → [4, 6]; `0-1,6` → [0, 1, 6]. Raises ValueError, saying why."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"shard ids are numbers and ranges such as 0-3 or 4,5,6, not {text!r}")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"the shard range {part} runs backwards")
        ids.update(range(first, last + 1))
    return sorted(ids)


def default_db_path() -> Path:
    """The database lives in the user's data directory (e.g. ~/.local/share/reviewbot)."""
    return user_data_path("reviewbot", appauthor=False) / "reviewbot.db"


class Settings(BaseModel):
    """`Settings()` reads the environment and `.env`; `Settings(_env_file=None)` the environment only
    (or another file: `_env_file=path`); keyword arguments override both."""

    model_config = ConfigDict(extra="ignore")

    def __init__(self, _env_file: str | os.PathLike[str] | None = DEFAULT_ENV_FILE, **values: Any) -> None:
        super().__init__(**{**_from_environment(type(self).model_fields, _env_file), **values})

    # --- storage -------------------------------------------------------------------------------
    # A file path (SQLite, the default) or a postgresql://user@host/dbname URL (a shared database for
    # several bot processes): kept as a string when it is a URL, a Path otherwise.
    reviewbot_db: Path | str = Field(default_factory=default_db_path)
    reviewbot_load_sample: bool = True
    # Unset: INFO for the Discord bot, WARNING for the chat and one-shot commands.
    reviewbot_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = None
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
    # The model as a second spoiler checker of spoiler-free summaries and /ask answers (one extra
    # call each; it can only remove sentences; a failed check answers offline). Unset: on, except for
    # a local server (llama.cpp, Ollama), where small models flagged harmless sentences and removed
    # no reveal the rules had missed (bench/RESULTS.md, issue 10).
    llm_spoiler_check: bool | None = None
    # How review text is marked as data in prompts (bot/llm/spotlight.py): "datamark" puts `^` between
    # its words (one more defence against instructions hidden in reviews; review text costs 1.7-1.8x the
    # tokens), "delimiters" only fences it in keyed blocks. Unset: datamark, except for a local server,
    # where every prompt token delays the first word (a 1.5B model on 2 CPU cores reads ~45 a second).
    llm_data_marking: Literal["datamark", "delimiters"] | None = None
    # Sampling temperature of every LLM call. Unset: 0.2 for a local server (llama.cpp and Ollama
    # default to 0.8, and a 1.5B model then invents actors and opinions no review has: bench/RESULTS.md,
    # issue 10), and 0.7 when it is asked again after an unusable answer (at 0.2 it mostly wrote the same
    # answer again); a hosted API's own default otherwise (some models accept no other value).
    llm_temperature: float | None = Field(default=None, ge=0, le=2)
    # Circuit breaker: after this many provider failures in a row (timeouts, 5xx, 429, refused
    # connections) LLM calls pause for the cool-down and everyone gets the offline answer at once;
    # then one trial call decides (a failed trial doubles the pause, up to 10 minutes).
    llm_breaker_failures: int = Field(default=5, ge=1, le=1000)
    llm_breaker_cooldown_seconds: float = Field(default=60.0, ge=0)
    # --- LLM on small local models (issue 10) ---
    # Digest each review in a background queue when it is added (one call at a time), so /summary
    # makes one call over the digests. Off: reviews are shown to the model by excerpts (their opinions first).
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
    # --- Discord shards (several processes serving one bot) ---
    # Unset: one process runs every shard, as many as Discord recommends (GET /gateway/bot). Set both
    # to run a range here and the rest elsewhere: e.g. "0-3" of 8 here, "4-7" of 8 on another machine.
    discord_shard_count: int | None = Field(default=None, ge=1)
    discord_shard_ids: str | None = None  # "0-3", "4,5,6" or "0-1,6"
    # Where and by whom the bot may be used (issue 12): comma-separated ids; blank = no restriction.
    # Allowed lists, when set, admit only those channels (a thread counts as its parent channel) or
    # people with one of those roles; blocked lists refuse those. A refused command gets a short
    # private reply. DMs have no channel or roles: they are refused only when an allow list is set.
    discord_allowed_channels: str = ""
    discord_blocked_channels: str = ""
    discord_allowed_roles: str = ""
    discord_blocked_roles: str = ""

    @field_validator(
        "discord_allowed_channels", "discord_blocked_channels", "discord_allowed_roles", "discord_blocked_roles"
    )
    @classmethod
    def _id_list(cls, value: str) -> str:
        """Ids separated by commas (or spaces); say which entry is not one."""
        for entry in value.replace(",", " ").split():
            if not entry.isdigit():
                raise ValueError(f"{entry!r} is not a Discord id (a number); separate ids with commas")
        return value

    @staticmethod
    def ids(value: str) -> frozenset[int]:
        return frozenset(int(entry) for entry in value.replace(",", " ").split())

    @field_validator("reviewbot_db", mode="before")
    @classmethod
    def _path_unless_url(cls, value: object) -> object:
        """`postgresql://host/db` stays a URL (as a Path it would lose a slash and become a folder)."""
        if isinstance(value, str) and "://" not in value:
            return Path(value)
        return value

    @field_validator("discord_shard_ids", mode="after")
    @classmethod
    def _shard_range(cls, value: str | None) -> str | None:
        if value is not None:
            parse_shard_ids(value)  # a clear error at start-up, not when the bot connects
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        ids = self.shard_ids
        if ids is not None and self.discord_shard_count is None:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the bot's total number of shards)")
        if ids is not None and self.discord_shard_count is not None and max(ids) >= self.discord_shard_count:
            raise ValueError(
                f"DISCORD_SHARD_IDS goes up to {max(ids)}, but shards are numbered 0 to "
                f"{self.discord_shard_count - 1} (DISCORD_SHARD_COUNT={self.discord_shard_count})"
            )
        return self

    @property
    def shard_ids(self) -> list[int] | None:
        """The shards this process runs (None: all of them)."""
        return None if self.discord_shard_ids is None else parse_shard_ids(self.discord_shard_ids)

    @field_validator(
        "openai_base_url", "openai_api_key", "discord_token", "discord_shard_ids", "discord_shard_count", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """Whitespace only (`OPENAI_BASE_URL= `, or passed in code) means "not set", not an empty URL."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def llm_configured(self) -> bool:
        """An LLM is used when a key or a server URL is given (local servers need no key)."""
        return self.openai_api_key is not None or self.openai_base_url is not None
