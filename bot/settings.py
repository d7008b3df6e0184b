"""Typed settings read from the environment and an optional `.env` file.

Every field here is listed and explained in `.env.example`; keep the two in step.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_path

# Settings come from, strongest first: arguments given in code, environment variables, the `.env`
# file in the working directory, then the defaults below. A name matches its field whatever its
# case (REVIEWBOT_DB, reviewbot_db), and a blank value (`NAME=`, as in a copied .env.example) means
# "not set, use the default" for every setting, never an empty path, number or URL. Names that are
# not settings are ignored. This is what pydantic-settings does for flat settings like these.
#
# Why not pydantic (or pydantic-settings): these are flat scalars, and importing pydantic and building
# the model took ~120 ms, a third of every one-shot command's start-up (issue 12 asks for under 0.5 s;
# bench/startup.py). The few parsing rules pydantic applied here (text to bool, number, path, choice,
# bounds) are below, each with a test in tests/bot/test_settings.py.
DEFAULT_ENV_FILE = ".env"
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


class SettingsError(ValueError):
    """A setting's value cannot be used: `setting` names it (None: a rule between settings)."""

    def __init__(self, setting: str | None, problem: str) -> None:
        super().__init__(f"setting {setting} is invalid: {problem}" if setting else problem)
        self.setting = setting
        self.problem = problem


class Secret:
    """A token or key: shown as stars in reprs and logs; `get_secret_value()` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def bounded(default: Any, *, ge: float | None = None, gt: float | None = None, le: float | None = None) -> Any:
    """A field with bounds, checked when settings are read (and listed in docs/configuration.md)."""
    limits = {name: value for name, value in (("ge", ge), ("gt", gt), ("le", le)) if value is not None}
    return field(default=default, metadata=limits)


def _from_environment(names: Iterable[str], env_file: str | os.PathLike[str] | None) -> dict[str, str]:
    """The settings' values given in `env_file` (dotenv syntax) and the environment, as text."""
    wanted = set(names)
    found: dict[str, str] = {}
    if env_file is not None and os.path.isfile(env_file):
        from dotenv import dotenv_values  # only when there is a file to read

        for key, value in dotenv_values(env_file, encoding="utf-8").items():
            if key.lower() in wanted and value:
                found[key.lower()] = value
    for key, value in os.environ.items():
        if key.lower() in wanted and value:
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


@dataclass(frozen=True, init=False)
class Settings:
    """`Settings()` reads the environment and `.env`; `Settings(_env_file=None)` the environment only
    (or another file: `_env_file=path`); keyword arguments override both. Values given as text are
    parsed as a user writes them ("true", "0.5", "8"); a value that cannot be used raises SettingsError."""

    def __init__(self, _env_file: str | os.PathLike[str] | None = DEFAULT_ENV_FILE, **values: Any) -> None:
        _known(values)
        self._fill({**_from_environment(setting_fields(), _env_file), **values}, None)

    def _fill(self, given: dict[str, Any], base: Settings | None) -> None:
        """Every field: parsed from `given`, else `base`'s value, else its default; then the checks."""
        for name, spec in setting_fields().items():
            if name in given:
                value = _parse(name, given[name], _hint(name), spec.metadata)
            elif base is not None:
                value = getattr(base, name)
            elif spec.default_factory is not dataclasses.MISSING:
                value = spec.default_factory()
            else:
                value = spec.default
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_given", frozenset(given) | (base.given if base is not None else frozenset()))
        self._check()

    # --- storage -------------------------------------------------------------------------------
    # A file path (SQLite, the default) or a postgresql://user@host/dbname URL (a shared database for
    # several bot processes): kept as a string when it is a URL, a Path otherwise.
    reviewbot_db: Path | str = field(default_factory=default_db_path)
    reviewbot_load_sample: bool = True
    # Unset: INFO for the Discord bot, WARNING for the chat and one-shot commands.
    reviewbot_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = None
    watchlist_scope: Literal["global", "guild"] = "global"

    # --- spoiler safety -------------------------------------------------------------------------
    spoiler_threshold: float = bounded(0.35, ge=0.0, le=1.0)

    # --- limits ---------------------------------------------------------------------------------
    max_review_chars: int = bounded(6000, ge=100)
    max_title_chars: int = bounded(200, ge=10)
    max_question_chars: int = bounded(500, ge=20)
    max_note_chars: int = bounded(500, ge=10)
    max_watchlist_size: int = bounded(500, ge=1)

    # --- LLM (any OpenAI-compatible server) ------------------------------------------------------
    openai_api_key: Secret | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = bounded(30.0, gt=0)
    llm_max_retries: int = bounded(1, ge=0, le=10)  # a person is waiting: fail over to offline soon
    llm_context_window: int = bounded(16384, ge=1024)
    llm_max_output_tokens: int = bounded(700, ge=64)
    llm_daily_tokens_per_user: int = bounded(50_000, ge=0)
    llm_daily_tokens_per_guild: int = bounded(500_000, ge=0)
    conversation_token_budget: int = bounded(1500, ge=100)
    conversation_max_turns: int = bounded(50, ge=1)  # questions per conversation
    # How to ask for JSON: "json_schema" (OpenAI, Ollama, vLLM, llama.cpp, LM Studio), "json_object"
    # (older servers), "none" (prompt only; the answer is still validated).
    llm_response_format: Literal["json_schema", "json_object", "none"] = "json_schema"
    # "auto": max_completion_tokens for api.openai.com (its newer models refuse max_tokens), else max_tokens.
    llm_token_parameter: Literal["auto", "max_tokens", "max_completion_tokens"] = "auto"
    llm_concurrency: int = bounded(4, ge=1, le=32)  # parallel per-review digest calls
    # Films whose review text fits in this many prompt tokens are summarised in one call; larger ones
    # through per-review digests (each review read once, then reused).
    llm_direct_max_tokens: int = bounded(6000, ge=0)
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
    llm_temperature: float | None = bounded(None, ge=0, le=2)
    # Circuit breaker: after this many provider failures in a row (timeouts, 5xx, 429, refused
    # connections) LLM calls pause for the cool-down and everyone gets the offline answer at once;
    # then one trial call decides (a failed trial doubles the pause, up to 10 minutes).
    llm_breaker_failures: int = bounded(5, ge=1, le=1000)
    llm_breaker_cooldown_seconds: float = bounded(60.0, ge=0)
    # --- LLM on small local models (issue 10) ---
    # Digest each review in a background queue when it is added (one call at a time), so /summary
    # makes one call over the digests. Off: reviews are shown to the model by excerpts (their opinions first).
    llm_background_digests: bool = True

    # --- Discord --------------------------------------------------------------------------------
    discord_token: Secret | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_command_cooldown_seconds: float = bounded(5.0, ge=0)
    # Per person: commands that change stored data (reviews, watchlists, imports, deletion) or export it.
    discord_write_rate_per_minute: int = bounded(20, ge=0)  # 0: no limit
    # /admin import: server managers may add films and reviews from a file (the library is shared
    # by every server the bot is in, so a bot in servers you don't run may want this off).
    discord_admin_import: bool = True
    # Answer every message in the bot's /ask threads, not only those that mention it. Needs the
    # privileged Message Content intent switched on in the Discord Developer Portal.
    discord_message_content: bool = False
    # --- Discord shards (several processes serving one bot) ---
    # Unset: one process runs every shard, as many as Discord recommends (GET /gateway/bot). Set both
    # to run a range here and the rest elsewhere: e.g. "0-3" of 8 here, "4-7" of 8 on another machine.
    discord_shard_count: int | None = bounded(None, ge=1)
    discord_shard_ids: str | None = None  # "0-3", "4,5,6" or "0-1,6"
    # Where and by whom the bot may be used (issue 12): comma-separated ids; blank = no restriction.
    # Allowed lists, when set, admit only those channels (a thread counts as its parent channel) or
    # people with one of those roles; blocked lists refuse those. A refused command gets a short
    # private reply. DMs have no channel or roles: they are refused only when an allow list is set.
    discord_allowed_channels: str = ""
    discord_blocked_channels: str = ""
    discord_allowed_roles: str = ""
    discord_blocked_roles: str = ""

    _given: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def _check(self) -> None:
        """The rules between settings, and the formats of the id lists, at start-up rather than when the
        bot connects."""
        for name in ("discord_allowed_channels", "discord_blocked_channels", "discord_allowed_roles",
                     "discord_blocked_roles"):
            for entry in getattr(self, name).replace(",", " ").split():
                if not entry.isdigit():
                    raise SettingsError(name, f"{entry!r} is not a Discord id (a number); separate ids with commas")
        if self.discord_shard_ids is not None:
            try:
                ids = parse_shard_ids(self.discord_shard_ids)
            except ValueError as error:
                raise SettingsError("discord_shard_ids", str(error)) from None
            if self.discord_shard_count is None:
                raise SettingsError(
                    None, "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the bot's total number of shards)"
                )
            if max(ids) >= self.discord_shard_count:
                raise SettingsError(None, (
                    f"DISCORD_SHARD_IDS goes up to {max(ids)}, but shards are numbered 0 to "
                    f"{self.discord_shard_count - 1} (DISCORD_SHARD_COUNT={self.discord_shard_count})"
                ))

    @staticmethod
    def ids(value: str) -> frozenset[int]:
        return frozenset(int(entry) for entry in value.replace(",", " ").split())

    @property
    def shard_ids(self) -> list[int] | None:
        """The shards this process runs (None: all of them)."""
        return None if self.discord_shard_ids is None else parse_shard_ids(self.discord_shard_ids)

    @property
    def given(self) -> frozenset[str]:
        """The settings given in code, the environment or `.env` (the rest are defaults)."""
        return self._given

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` (parsed and checked as when read), remembering what was given; the
        environment is not read again."""
        _known(changes)
        copy = object.__new__(Settings)
        copy._fill(changes, self)
        return copy

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in setting_fields()}

    @property
    def llm_configured(self) -> bool:
        """An LLM is used when a key or a server URL is given (local servers need no key)."""
        return self.openai_api_key is not None or self.openai_base_url is not None


@functools.cache
def setting_fields() -> dict[str, dataclasses.Field[Any]]:
    """Every setting's field (name, default, bounds in `metadata`), in the order of .env.example."""
    return {f.name: f for f in dataclasses.fields(Settings) if not f.name.startswith("_")}


def _known(values: dict[str, Any]) -> None:
    unknown = set(values) - set(setting_fields())
    if unknown:
        raise TypeError(f"Settings() got unknown settings: {', '.join(sorted(unknown))}")


def setting_type(name: str) -> Any:
    """A setting's declared type (`Path | str`, `Literal[...] | None`, …)."""
    return _hint(name)


def _hint(name: str) -> Any:
    return _type_hints()[name]


@functools.cache
def _type_hints() -> dict[str, Any]:
    return typing.get_type_hints(Settings)


def _parse(name: str, value: Any, hint: Any, limits: Any) -> Any:
    """`value` (text from the environment, or a value given in code) as the setting's type."""
    args = typing.get_args(hint)
    optional = type(None) in args
    if optional:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None  # whitespace only (`OPENAI_BASE_URL= `) is "not set", never an empty URL
        rest = [a for a in args if a is not type(None)]
        hint = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007 (a runtime union)
    parsed = _as_type(name, value, hint)
    for rule, limit in limits.items():
        if not isinstance(parsed, int | float):
            continue
        broken = {"ge": parsed < limit, "gt": parsed <= limit, "le": parsed > limit}[rule]
        if broken:
            wording = {"ge": "at least", "gt": "more than", "le": "at most"}[rule]
            raise SettingsError(name, f"must be {wording} {limit}, not {parsed}")
    return parsed


def _as_type(name: str, value: Any, hint: Any) -> Any:
    text = value.strip() if isinstance(value, str) else None
    if typing.get_origin(hint) is Literal:
        choices = typing.get_args(hint)
        if value in choices:
            return value
        raise SettingsError(name, f"must be one of {', '.join(repr(c) for c in choices)}, not {value!r}")
    if hint == (Path | str):
        # `postgresql://host/db` stays a URL (as a Path it would lose a slash and become a folder).
        if isinstance(value, str):
            return value if "://" in value else Path(value)
        if isinstance(value, Path):
            return value
    elif hint is bool:
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise SettingsError(name, f"must be true or false, not {value!r}")
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if text is not None:
            try:
                return int(text)
            except ValueError:
                pass
        raise SettingsError(name, f"must be a whole number, not {value!r}")
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if text is not None:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return number
        raise SettingsError(name, f"must be a number, not {value!r}")
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is Secret:
        if isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return Secret(value)
    raise SettingsError(name, f"must be text, not {value!r}")
