"""Measure the spoiler detector on the labelled sample set.

Loads the bundled sample data through the real import path (so sentences are scored exactly as
in production), matches every stored sentence against the hand-labelled spoiler sentences in
bot/data/sample/spoiler_labels_*.json, and prints precision, recall and F1 at several thresholds,
ROC AUC, and the same for each half of the set (films_a / films_b were written by different
people, so a detector tuned on one half is checked on the other).

    python -m bench.spoiler_eval [--threshold 0.35] [--show-misses]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.app import open_services
from bot.settings import Settings
from bot.spoilers.allowlist import AllowList
from storage.normalize import normalize_title


@dataclass(frozen=True, slots=True)
class Scored:
    part: str
    film: str
    author: str
    text: str
    score: float
    marked: bool
    label: bool
    allowed: bool = False  # the allow-list lets it into spoiler-free text (bot/spoilers/allowlist.py)


def load_labels() -> dict[tuple[str, int, str], tuple[str, list[str]]]:
    folder = resources.files("bot") / "data" / "sample"
    labels: dict[tuple[str, int, str], tuple[str, list[str]]] = {}
    for entry in folder.iterdir():
        if entry.name.startswith("spoiler_labels_") and entry.name.endswith(".json"):
            part = entry.name.removeprefix("spoiler_labels_").removesuffix(".json")
            for item in json.loads(entry.read_text(encoding="utf-8"))["reviews"]:
                key = (normalize_title(item["film"]), int(item["year"]), item["author"])
                labels[key] = (part, [" ".join(s.split()) for s in item["spoiler_sentences"]])
    return labels


def _is_labelled(sentence: str, spoilers: list[str]) -> bool:
    text = " ".join(sentence.split())
    return any(s in text or (len(text) > 25 and text in s) for s in spoilers)


async def collect() -> list[Scored]:
    labels = load_labels()
    rows: list[Scored] = []
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, reviewbot_db=Path(folder) / "eval.db")
        async with open_services(settings) as services:
            films = await services.store.db.fetchall("SELECT id FROM films ORDER BY id")
            for (film_id,) in films:
                film = await services.films.get(film_id)
                assert film is not None
                reviews = await services.reviews.for_film(film)
                allow = AllowList.for_film(film, reviews, threshold=services.settings.spoiler_threshold)
                for review in reviews:
                    key = (normalize_title(film.title), film.year or 0, review.author)
                    if key not in labels:
                        continue
                    part, spoilers = labels[key]
                    for sentence in review.sentences:
                        rows.append(
                            Scored(
                                part, film.label, review.author, sentence.text, sentence.spoiler_score,
                                sentence.author_marked, _is_labelled(sentence.text, spoilers),
                                allow.is_safe(review.id, sentence),
                            )
                        )
    return rows


def roc_auc(rows: list[Scored]) -> float:
    """Probability that a random spoiler sentence outscores a random safe one (ties count half)."""
    positives = [r.score for r in rows if r.label]
    negatives = [r.score for r in rows if not r.label]
    if not positives or not negatives:
        return float("nan")
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


def prf(rows: list[Scored], threshold: float) -> tuple[float, float, float, int, int, int]:
    tp = sum(1 for r in rows if r.label and r.score >= threshold)
    fp = sum(1 for r in rows if not r.label and r.score >= threshold)
    fn = sum(1 for r in rows if r.label and r.score < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp, fp, fn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=Settings(_env_file=None).spoiler_threshold)
    parser.add_argument("--show-misses", action="store_true", help="list missed spoilers and false alarms")
    args = parser.parse_args()
    rows = asyncio.run(collect())
    positives = sum(r.label for r in rows)
    print(f"Labelled sample set: {len(rows)} sentences, {positives} labelled spoilers "
          f"({positives / len(rows):.0%}), {len({(r.film, r.author) for r in rows})} reviews\n")
    columns = ("threshold", "precision", "recall", "F1", "TP", "FP", "FN", "AUC")
    widths = (9, 9, 7, 6, 4, 4, 4, 6)
    print(f"{'set':<8} " + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    thresholds = sorted({0.2, 0.25, 0.3, args.threshold, 0.4, 0.5})
    for part in ("all", "a", "b"):
        subset = rows if part == "all" else [r for r in rows if r.part == part]
        auc = roc_auc(subset)
        for t in thresholds:
            p, r, f, tp, fp, fn = prf(subset, t)
            mark = " <- used" if t == args.threshold else ""
            print(f"{part:<8} {t:>9.2f} {p:>9.3f} {r:>7.3f} {f:>6.3f} {tp:>4} {fp:>4} {fn:>4} {auc:>6.3f}{mark}")
        print()
    base_rate = positives / len(rows)
    p, r, *_ = prf(rows, args.threshold)
    print(f"Ratio: precision at the threshold is {p / base_rate:.1f}x the base rate of spoilers ({base_rate:.2f}); "
          f"recall target 0.90 {'met' if r >= 0.9 else 'NOT met'} ({r:.3f}).")
    author_marked = [x for x in rows if x.marked]
    print(f"Author-marked sentences: {len(author_marked)} (all scored 1.0); "
          f"labelled spoilers not marked by their author: {sum(1 for x in rows if x.label and not x.marked)}")
    rule = [x for x in rows if not x.marked and x.score < args.threshold]
    print("\nWhat spoiler-free text may use (labelled spoilers let through = leaks; other sentences = yield):")
    for name, passed in (("detector threshold (before)", rule), ("allow-list (now)", [x for x in rows if x.allowed])):
        leaks = sum(1 for x in passed if x.label)
        kept = sum(1 for x in passed if not x.label)
        safe_total = len(rows) - positives
        print(f"  {name:<28} leaks {leaks:>3} of {positives}   yield {kept:>4} of {safe_total} safe sentences")
    if args.show_misses:
        print("\nAllow-list leaks (label=spoiler, allowed):")
        for x in (x for x in rows if x.label and x.allowed):
            print(f"  [{x.film} / {x.author}] {x.text}")
        print("\nMissed spoilers (label=spoiler, score below threshold):")
        for x in sorted((x for x in rows if x.label and x.score < args.threshold), key=lambda x: x.score):
            print(f"  {x.score:.3f}  [{x.film} / {x.author}] {x.text}")
        print("\nFalse alarms (label=safe, score at/above threshold):")
        for x in sorted((x for x in rows if not x.label and x.score >= args.threshold), key=lambda x: -x.score):
            print(f"  {x.score:.3f}  [{x.film} / {x.author}] {x.text}")


if __name__ == "__main__":
    main()
