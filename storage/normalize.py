"""Title normalisation shared by storage (indexing) and the service layer (queries)."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# Apostrophes join a word ("Schindler's" is typed "schindlers"); they are not word breaks.
_APOSTROPHES = re.compile(r"['\u2019\u02bc\u2018`\u00b4]")
# Dots inside an initialism ("E.T.", "L.A.") join its letters, as people type "ET", "LA".
_INITIALISM_DOT = re.compile(r"(?<=\b[^\W\d_])\.(?=[^\W\d_]\b)")
_ARTICLES = ("the ", "a ", "an ")


def normalize_title(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces: "Amélie!" -> "amelie".

    "&" is read as "and" so "Fast & Furious" and "fast and furious" meet; apostrophes and the
    dots of an initialism vanish ("Schindler's" -> "schindlers", "E.T." -> "et").
    """
    text = _INITIALISM_DOT.sub("", text)
    text = _APOSTROPHES.sub("", text)
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("_", " ")
    return _NON_WORD.sub(" ", text).strip()


def title_variants(title: str) -> set[str]:
    """Normalised forms a film can be found by: the title, and without a leading article."""
    norm = normalize_title(title)
    variants = {norm} if norm else set()
    for article in _ARTICLES:
        if norm.startswith(article) and len(norm) > len(article):
            variants.add(norm[len(article):])
    return variants
