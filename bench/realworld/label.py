"""Print a stored review's sentences with their label keys, ready for labelling.

    python -m bench.realworld.label <slug or films/<slug>.json> <review id>
    python -m bench.realworld.label <slug or film file> <review id> --skeleton   # JSON labels, all "safe"

A slug is looked up in index.json; a path reads a film file not yet folded into it.

The text is read from the texts folder (REVIEWBOT_REALWORLD_TEXTS, default bench/realworld/texts/),
file `<review id>.txt`, and cut with the review's `extract` spec.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bench.realworld.textkit import review_text, sentence_key, split_sentences

HERE = Path(__file__).resolve().parent


def texts_dir() -> Path:
    return Path(os.environ.get("REVIEWBOT_REALWORLD_TEXTS") or HERE / "texts")


def load_review_sentences(film_ref: str, review_id: str) -> list[str]:
    path = Path(film_ref)
    if path.suffix == ".json" and path.exists():
        film = json.loads(path.read_text(encoding="utf-8"))
    else:
        films = json.loads((HERE / "index.json").read_text(encoding="utf-8"))["films"]
        film = next((f for f in films if f["slug"] == film_ref), None)
        if film is None:
            raise SystemExit(f"no film {film_ref!r} in index.json")
    review = next((r for r in film["reviews"] if r["id"] == review_id), None)
    if review is None:
        raise SystemExit(f"{film_ref}: no review with id {review_id!r}")
    raw = (texts_dir() / f"{review_id}.txt").read_text(encoding="utf-8")
    return split_sentences(review_text(raw, review.get("extract")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.realworld.label")
    parser.add_argument("film", help="a slug in index.json, or a film file")
    parser.add_argument("review_id")
    parser.add_argument("--skeleton", action="store_true", help="print a JSON labels object, every sentence 'safe'")
    args = parser.parse_args(argv)
    sentences = load_review_sentences(args.film, args.review_id)
    if args.skeleton:
        skeleton = {sentence_key(s): {"label": "safe", "text_start": s[:40]} for s in sentences}
        json.dump(skeleton, sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        for number, sentence in enumerate(sentences, 1):
            print(f"{number:3d} {sentence_key(sentence)}  {sentence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
