"""Fold film files into bench/realworld/index.json (the one committed file) and set the split.

    python -m bench.realworld.build_index DIR [DIR ...]

Film files (`<slug>.json`, the format in README.md) are how new films are added: label them in a
folder, then fold them in. Films already in the index stay unless a file replaces them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.realworld.data import INDEX, film_records
from bench.realworld.textkit import film_splits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.realworld.build_index")
    parser.add_argument("dirs", type=Path, nargs="*")
    args = parser.parse_args(argv)
    films = sorted(film_records(INDEX, args.dirs), key=lambda f: f["slug"])
    splits = film_splits(f["slug"] for f in films)
    for film in films:
        film["split"] = splits[film["slug"]]
        for review in film["reviews"]:  # labels only: no fragment of the authors' text is committed
            for label in review.get("sentences", {}).values():
                label.pop("text_start", None)
    INDEX.write_text(json.dumps({"version": 1, "films": films}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tests = [f["slug"] for f in films if f["split"] == "test"]
    reviews = sum(len(f["reviews"]) for f in films)
    print(f"{INDEX}: {len(films)} films, {reviews} reviews; test split: {', '.join(tests)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
