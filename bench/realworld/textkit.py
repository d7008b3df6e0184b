"""Text helpers for the real-world evaluation set: turning a stored public page into review text,
splitting it into sentences, and the stable key each sentence's label is filed under.

The splitter is `sentencex` called directly (not the bot's own segmenter), so that the keys in
bench/realworld/index.json stay valid when the bot's segmentation changes.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping

import sentencex

_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)\s*\n.*?\n(?:---|\+\+\+)\s*\n", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_LIQUID = re.compile(r"\{[%{].*?[%}]\}", re.DOTALL)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_BLOCKQUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$", re.MULTILINE)
_SPACES = re.compile(r"\s+")
_WORDISH = re.compile(r"[^\w\s]")


def review_text(raw: str, spec: Mapping[str, str] | None = None) -> str:
    """The review as plain text: front matter, HTML, images, link targets and markdown marks removed.

    `spec` cuts the review out of a longer page: `start` (the text begins at the first occurrence
    of this string, which is kept) and `end` (the text stops before the first occurrence after
    `start`, which is dropped). Spoiler markup the author wrote (`||…||`, `>!…!<`, `[spoiler]`) is
    kept: it is an author signal the bot is meant to see.
    """
    text = _FRONT_MATTER.sub("", raw.replace("\r\n", "\n"), count=1)
    spec = spec or {}
    start = spec.get("start")
    if start:
        at = text.find(start)
        if at < 0:
            raise ValueError(f"start marker not found: {start[:60]!r}")
        text = text[at:]
    end = spec.get("end")
    if end:
        at = text.find(end, 1)
        if at < 0:
            raise ValueError(f"end marker not found: {end[:60]!r}")
        text = text[:at]
    text = _SCRIPT.sub(" ", text)
    text = _LIQUID.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = re.sub(r"<br\s*/?>|</p>|</li>|</h\d>", "\n\n", text, flags=re.IGNORECASE)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _RULE.sub("\n", text)
    text = _HEADING.sub("", text)
    text = _BLOCKQUOTE.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, paragraph by paragraph (a paragraph break always ends a sentence)."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        for sentence in sentencex.segment("en", paragraph):
            cleaned = " ".join(str(sentence).split())
            if cleaned:
                out.append(cleaned)
    return out


def normalize(sentence: str) -> str:
    """Case, accents, punctuation and spacing folded: the form a label's key is computed from."""
    folded = unicodedata.normalize("NFKD", sentence)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    folded = _WORDISH.sub(" ", folded)
    return _SPACES.sub(" ", folded).strip()


def sentence_key(sentence: str) -> str:
    """A short stable key for a sentence: sha1 of its normalized form, 12 hex digits."""
    return hashlib.sha1(normalize(sentence).encode("utf-8")).hexdigest()[:12]


def film_splits(slugs: Iterable[str]) -> dict[str, str]:
    """'test' for every third film in the order of a hash of its slug, 'dev' for the others.

    Fixed by the slugs alone (never chosen by hand, never by results) and exactly one third test
    (a per-film coin toss gave 6 test films of 39).
    """
    ranked = sorted(set(slugs), key=lambda slug: hashlib.sha1(slug.encode("utf-8")).hexdigest())
    return {slug: "test" if rank % 3 == 0 else "dev" for rank, slug in enumerate(ranked)}
