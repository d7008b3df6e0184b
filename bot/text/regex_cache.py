"""Compiled regular expressions kept between runs, so a one-shot command does not rebuild them.

The spoiler checks, the topic tables and the offline answerer hold a few hundred regular expressions,
some thousands of characters long. `re` turns each into the engine's code in pure Python, at import:
about a fifth of every one-shot `reviewbot ask` (issue 12). What `re` produces for a pattern, its
flags and group names and the code list handed to the engine (`_sre.compile`), depends only on the
pattern text, the flags and the Python build, so it is kept in the user's cache folder (a file per
module) and handed to the engine again on later runs.

Safety (the spoiler checks are a security property): a pattern made from the file is *equal* to what
`re.compile` makes (`==` on patterns compares their flags and compiled code; tests/bot/text/
test_regex_cache.py checks every pattern of the modules using this), so every check decides exactly as
before. The file is looked up by the exact pattern text and flags, belongs to one Python build (another
build ignores it), carries a digest of its contents (a damaged file is ignored), is written whole and
renamed into place, and the engine validates the code it is given. Like Python's own .pyc files it is
`marshal` data from the user's own folders. Any surprise (a Python whose `re` internals differ, an
unreadable or unwritable folder) means compiling as usual, never a different pattern.
"""

from __future__ import annotations

import array
import atexit
import functools
import importlib
import marshal
import re
import sys
from pathlib import Path
from typing import Any

from bot.text.cache_file import read_sealed, write_sealed

# `re`'s private compiler (re/_compiler.py) and engine module: no type stubs, so typed Any.
try:
    _sre: Any = importlib.import_module("_sre")
    _compiler: Any = importlib.import_module("re._compiler")
    _parser: Any = importlib.import_module("re._parser")
    _SUPPORTED = array.array("I").itemsize == _sre.CODESIZE
except (ImportError, AttributeError):  # another Python implementation: plain re.compile
    _SUPPORTED = False

_HEADER = b"reviewbot-regex-cache 1\n"
_MAX_ENTRIES = 4000  # old patterns (edited since) are dropped once the file holds this many

# flags as built, the code as array("I") bytes, groups, group names -> numbers, numbers -> names
Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
Key = tuple[str, int]


def _build_key() -> str:
    """Which Python's `re` made the entries: another build's are never used."""
    if not _SUPPORTED:
        return ""
    return f"{sys.implementation.cache_tag} {sys.version} sre {_sre.MAGIC} {_sre.CODESIZE}"


def _entry(pattern: str, flags: int) -> Entry:
    """What `re._compiler.compile` hands to `_sre.compile` for this pattern (same steps, same order)."""
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, number in groupindex.items():
        indexgroup[number] = name
    return (int(flags | parsed.state.flags), array.array("I", code).tobytes(), parsed.state.groups - 1,
            groupindex, tuple(indexgroup))


def _make(pattern: str, entry: Entry) -> re.Pattern[str]:
    built, code, groups, groupindex, indexgroup = entry
    compiled: re.Pattern[str] = _sre.compile(
        pattern, built, array.array("I", code).tolist(), groups, groupindex, indexgroup
    )
    return compiled


class PatternCache:
    """Compiled patterns by (pattern text, flags), read from and saved to one file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: nothing is read or saved (the code is still reused within the process)
        self._saved: dict[Key, Entry] | None = None  # the file's entries, read on first use
        self._new: dict[Key, Entry] = {}
        self._save_registered = False
        self._discard_file = False  # the file held an entry the engine refused: rewrite it from scratch
        self.enabled = _SUPPORTED

    @property
    def new_entries(self) -> int:
        """Patterns compiled in this process that the file did not hold (not saved yet)."""
        return len(self._new)

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        """`re.compile(pattern, flags)`, from the cache when the pattern was compiled before."""
        flags = int(flags)
        if not self.enabled or flags & re.DEBUG:
            return re.compile(pattern, flags)
        key = (pattern, flags)
        stored = self._load().get(key)
        if stored is not None:
            try:
                return _make(pattern, stored)
            except Exception:  # an entry the engine refuses: nothing more is taken from (or kept of) the file
                self._saved, self._discard_file = {}, True
        try:
            entry = self._new.get(key) or _entry(pattern, flags)
            compiled = _make(pattern, entry)
        except re.error:
            raise  # an invalid pattern: the same error re.compile gives
        except Exception:  # internals not as expected (another Python): compile as usual from now on
            self.enabled = False
            return re.compile(pattern, flags)
        if key not in self._new:
            self._new[key] = entry
            self._register_save()
        return compiled

    def _load(self) -> dict[Key, Entry]:
        if self._saved is None:
            self._saved = self._read()
        return self._saved

    def _read(self) -> dict[Key, Entry]:
        if self.path is None:
            return {}
        body = read_sealed(self.path, _HEADER)
        if body is None:
            return {}
        try:
            build, entries = marshal.loads(body)
        except (EOFError, ValueError, TypeError):
            return {}
        if build != _build_key() or not isinstance(entries, dict):
            return {}
        return entries

    def _register_save(self) -> None:
        if not self._save_registered and self.path is not None:
            self._save_registered = True
            atexit.register(self.save)

    def save(self) -> None:
        """Write the patterns compiled in this process into the file, keeping the file's others."""
        if self.path is None or not self._new:
            return
        entries = {} if self._discard_file else self._read()  # as it is now: another process may have added some
        if len(entries) + len(self._new) > _MAX_ENTRIES:
            entries = {}
        entries.update(self._new)
        if not write_sealed(self.path, _HEADER, marshal.dumps((_build_key(), entries))):
            return  # a read-only home, a full disk: the next run compiles again
        self._saved, self._new, self._discard_file = entries, {}, False


@functools.cache
def _folder() -> Path | None:
    if not _SUPPORTED:
        return None
    from platformdirs import user_cache_path

    return user_cache_path("reviewbot", appauthor=False) / f"regex-{sys.implementation.cache_tag}"


@functools.cache
def _cache_of(module: str) -> PatternCache:
    """One file per module, so a command reads the patterns of the modules it imports, no others."""
    folder = _folder()
    return PatternCache(folder / f"{module}.bin" if folder is not None and module else None)


def compile_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile` for the modules' tables of patterns: equal result, kept between runs (in the
    calling module's file)."""
    return _cache_of(sys._getframe(1).f_globals.get("__name__", "")).compile(pattern, flags)
