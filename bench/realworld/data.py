"""Loading the evaluation set: film files with their labels, joined with the texts that are present."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.realworld.textkit import review_text, sentence_key, split_sentences

HERE = Path(__file__).resolve().parent
INDEX = HERE / "index.json"
ASPECT_SETS = HERE / "aspect_sets.json"


def texts_dir() -> Path:
    return Path(os.environ.get("REVIEWBOT_REALWORLD_TEXTS") or HERE / "texts")


@dataclass(slots=True)
class LabelledSentence:
    text: str
    label: str  # spoiler | borderline | safe | unlabelled
    aspect: str | None
    polarity: str | None
    also_judged: tuple[tuple[str, str], ...] = ()  # aspect_sets.json: (aspect, polarity), every one it judges

    @property
    def judged(self) -> tuple[tuple[str, str], ...]:
        """Every (aspect, polarity) the sentence judges: its own label's and aspect_sets.json's."""
        own = ((self.aspect, self.polarity),) if self.aspect and self.polarity else ()
        return tuple(dict.fromkeys(own + self.also_judged))


@dataclass(slots=True)
class EvalReview:
    id: str
    author: str
    rating: float | None
    flagged: bool
    style: str
    text: str
    sentences: list[LabelledSentence]
    key_opinions: list[dict[str, str]]
    unmatched_labels: int  # labels whose sentence is no longer in the text (a changed page or splitter)


@dataclass(slots=True)
class EvalFilm:
    slug: str
    title: str
    year: int | None
    split: str
    facts: dict[str, Any]
    planted: list[dict[str, str]]
    reviews: list[EvalReview] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # review ids whose text is not present

    def spoiler_sentences(self) -> list[str]:
        return [s.text for r in self.reviews for s in r.sentences if s.label == "spoiler"]


def film_records(index: Path | None, extra_dirs: Iterable[Path]) -> list[dict[str, Any]]:
    """Film objects from index.json and from any extra folders of `<slug>.json` files (a later one
    with the same slug replaces an earlier one)."""
    films: dict[str, dict[str, Any]] = {}
    if index is not None and index.exists():
        for film in json.loads(index.read_text(encoding="utf-8"))["films"]:
            films[film["slug"]] = film
    for folder in extra_dirs:
        for path in sorted(folder.glob("*.json")):
            film = json.loads(path.read_text(encoding="utf-8"))
            films[film["slug"]] = film
    return list(films.values())


def aspect_sets(path: Path = ASPECT_SETS) -> dict[str, list[dict[str, str]]]:
    """Every aspect each labelled opinion sentence judges, by key (empty when the file is absent)."""
    return json.loads(path.read_text(encoding="utf-8"))["labels"] if path.exists() else {}


def load(records: list[dict[str, Any]], texts: Path) -> list[EvalFilm]:
    out = []
    judged_by_key = aspect_sets()
    for record in records:
        film = EvalFilm(
            record["slug"], record["title"], record.get("year"), record["split"],
            record.get("facts") or {}, record.get("planted_reveals") or [],
        )
        for review in record.get("reviews", []):
            path = texts / f"{review['id']}.txt"
            if not path.exists():
                film.missing.append(review["id"])
                continue
            text = review_text(path.read_text(encoding="utf-8"), review.get("extract"))
            labels: dict[str, dict[str, Any]] = review.get("sentences") or {}
            sentences = []
            seen = set()
            for sentence in split_sentences(text):
                key = sentence_key(sentence)
                seen.add(key)
                label = labels.get(key) or {}
                judged = tuple((j["aspect"], j["polarity"]) for j in judged_by_key.get(key, []))
                sentences.append(
                    LabelledSentence(sentence, label.get("label", "unlabelled"), label.get("aspect"),
                                     label.get("polarity"), judged)
                )
            film.reviews.append(
                EvalReview(
                    review["id"], review.get("author") or "anonymous", review.get("rating"),
                    bool(review.get("author_flagged_spoilers")), review.get("style", "?"), text, sentences,
                    review.get("key_opinions") or [], len(set(labels) - seen),
                )
            )
        out.append(film)
    return out
