"""web2's English words (the `english-words` package), looked up without building a set of them all.

The package hands its words out as a set unpickled from its data file: 236,000 strings built and
hashed, about 50 ms, which a one-shot `reviewbot ask` used to spend on a few dozen look-ups (issue 12).
The same words, sorted, are written once into a file in the user's cache folder, and a look-up is a
binary search in its bytes: nothing is built. A long-running process (`WordList.load`, called by the
bot's and the chat's warm-up) holds the set, as before, for its many look-ups.

Both answer alike: the file is made from the package's own set and holds exactly its words (tested).
It records which data file it was made from (path, size, modification time) and a digest of its
contents; a file made from another version of the package, or damaged, is not used (the set is loaded
and the file made again).
"""

from __future__ import annotations

from pathlib import Path

from bot.text.cache_file import read_sealed, write_sealed

_HEADER = b"reviewbot-wordlist 1\n"


def _load_set() -> set[str]:
    from english_words import get_english_words_set

    words: set[str] = get_english_words_set(["web2"])
    return words


def _source_key() -> bytes | None:
    """Which data file the words come from, as it is now (None: not found, the set is loaded)."""
    import english_words

    source = Path(english_words.__file__).parent / "data" / "web2.pickle"
    try:
        stat = source.stat()
    except OSError:
        return None
    return f"{source} {stat.st_size} {stat.st_mtime_ns}\n".encode()


def _contains(blob: bytes, word: bytes) -> bool:
    """Is `word` a line of `blob` (lines sorted as bytes, separated by newlines)? A binary search on
    line starts: `lo` and `hi` are always where a line starts (or the end)."""
    lo, hi = 0, len(blob)
    while lo < hi:
        mid = (lo + hi) // 2
        start = blob.rfind(b"\n", 0, mid) + 1  # the line holding position mid; lo <= start <= mid
        end = blob.find(b"\n", start)
        if end < 0:
            end = len(blob)
        line = blob[start:end]
        if line == word:
            return True
        if line < word:
            lo = end + 1
        else:
            hi = start
    return False


class WordList:
    """Membership in web2's word list, case as written ("anna" is a word, "malcolm" is not)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # the sorted file; None: the set is always loaded
        self._words: set[str] | None = None
        self._sorted: bytes | None = None

    @property
    def loaded(self) -> bool:
        """Is the whole set in memory (rather than looked up in the sorted file)?"""
        return self._words is not None

    def load(self) -> None:
        """Hold the whole set (a long-running process: each look-up is then a hash)."""
        if self._words is None:
            self._words = _load_set()

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if self._words is None and self._sorted is None:
            self._sorted = self._read()
            if self._sorted is None:
                self.load()
                self._write()
        if self._words is not None:
            return word in self._words
        assert self._sorted is not None
        encoded = word.encode("utf-8", "surrogatepass")
        return b"\n" not in encoded and _contains(self._sorted, encoded)

    def _read(self) -> bytes | None:
        key = _source_key()
        if self.path is None or key is None:
            return None
        return read_sealed(self.path, _HEADER + key)

    def _write(self) -> None:
        key = _source_key()
        if self.path is None or key is None or self._words is None or any(not w or "\n" in w for w in self._words):
            return  # (a word that is no line of a file: the set it is)
        blob = b"\n".join(sorted(w.encode("utf-8", "surrogatepass") for w in self._words))
        write_sealed(self.path, _HEADER + key, blob)  # not written (read-only home): the set is loaded next time


def default_path() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("reviewbot", appauthor=False) / "english-words-web2.bin"
