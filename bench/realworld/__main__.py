"""Score spoiler safety and summary quality on reviews written by people outside the project.

    python -m bench.realworld                      # test split, offline + LLM path, both fact levels
    python -m bench.realworld --split dev -v       # the split to develop on, with what leaked
    python -m bench.realworld --films-dir DIR ...  # also read <slug>.json film files from DIR

Each film is imported into a fresh database twice: with title and year only (as most imports are)
and with full facts (cast, characters, logline). Then:
- offline: the spoiler-free summary must carry no sentence labelled spoiler; in spoilers mode no
  spoiler sentence may stand outside ||…||; key-opinion coverage of the spoiler-free summary;
- LLM path, against a fake model that plants our reveals of the film (plain, without names,
  euphemisms, inside praise, twists no review mentions), every one marked `spoiler: false`, beside
  supported opinion points: how many planted reveals reach the spoiler-free answer, how many stand
  outside ||…|| in spoilers mode, how many labelled spoiler sentences were sent to the model in
  spoiler-free mode, and how often the answer fell back to offline;
- aspect and polarity of the labelled opinion sentences, through `bot.text.topics.opinion_of`.
Texts must be present (see bench/realworld/README.md); missing ones are listed, never guessed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.realworld.data import INDEX, EvalFilm, LabelledSentence, film_records, load, texts_dir
from bench.realworld.score import Answer, covered, leaked, leaks_into, outside_spoiler_bars
from bench.realworld.textkit import normalize, sentence_key
from bot.app import Services, open_services
from bot.importers.json_format import parse_json
from bot.llm.keep import FILLED_NOTE
from bot.settings import Settings
from bot.summarize.offline import OTHER, Evidence, summarize_offline
from bot.text.topics import opinion_of

CHECK_NOTE = re.compile(r"checked the answer for spoilers \((\d+) tokens in, (\d+) out\)")
MAX_REVIEW_CHARS = 60_000  # critics' essays run long; the bot's default limit is for what people type


@dataclass
class Tally:
    films: int = 0
    reviews: int = 0
    spoiler_sentences: int = 0
    sf_leaks: int = 0
    sf_films_leaking: int = 0
    sp_outside: int = 0
    opinions: int = 0
    opinions_covered: int = 0
    planted: int = 0
    planted_shown_sf: int = 0
    planted_outside_sp: int = 0
    sent_to_model: int = 0
    summaries: int = 0
    fallbacks: int = 0
    filled: int = 0  # LLM summaries with too few usable points, completed from the offline summary
    seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    checks: int = 0  # the model's second spoiler checks (LLM_SPOILER_CHECK)
    check_tokens_in: int = 0
    check_tokens_out: int = 0
    # What the offline spoiler-free summary claims: each quoted phrase under an aspect and a side
    # (praise or criticism), against the label of the sentence it was quoted from.
    claims: int = 0  # quoted phrases whose sentence carries an aspect and polarity label
    claims_unlabelled: int = 0  # quoted from a sentence labelled as no opinion, or not found
    claims_aspect_ok: int = 0  # shown under the sentence's one labelled aspect
    claims_polarity_ok: int = 0
    # The same claims against every aspect their sentence judges (aspect_sets.json): a clause quoted
    # under Acting from "well filmed and acted, but the story is dull" is right.
    claims_judged_ok: int = 0
    claims_judged_polarity_ok: int = 0
    claims_other: int = 0  # of `claims`: quoted under "Other points", which claims no aspect
    details: list[str] = field(default_factory=list)


def project_json(film: EvalFilm, *, full_facts: bool) -> str:
    entry: dict[str, Any] = {"title": film.title, "year": film.year}
    if full_facts:
        facts = film.facts
        cast = facts.get("cast") or []
        entry.update(
            directors=facts.get("directors") or [],
            cast=[c["name"] for c in cast if c.get("name")],
            characters=[c["character"] for c in cast if c.get("character")],
            genres=facts.get("genres") or [],
            logline=facts.get("logline"),
        )
        if facts.get("runtime"):
            entry["runtime_minutes"] = facts["runtime"]
    reviews = [
        {"film": film.title, "year": film.year, "author": r.author[:100], "rating": r.rating, "text": r.text,
         "contains_spoilers": r.flagged}
        for r in film.reviews
    ]
    return json.dumps({"films": [entry], "reviews": reviews})


def bench_settings(db: Path, base_url: str | None) -> Settings:
    values: dict[str, Any] = {
        "reviewbot_db": db, "reviewbot_load_sample": False, "max_review_chars": MAX_REVIEW_CHARS,
    }
    if base_url:
        values.update(openai_base_url=base_url, openai_api_key="bench", llm_timeout_seconds=20,
                      llm_max_retries=0, llm_breaker_failures=1000)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def import_film(services: Services, film: EvalFilm, *, full_facts: bool) -> Any:
    parsed = parse_json(project_json(film, full_facts=full_facts), source="realworld",
                        max_review_chars=MAX_REVIEW_CHARS)
    await services.importer.apply(parsed, skip_bad=True, name=film.slug)
    return await services.films.resolve(f"{film.title} ({film.year})" if film.year else film.title)


def is_check(request: Any) -> bool:
    from tests.llm.model import kind_of

    return kind_of(request) == "check"


def planted_responder(film: EvalFilm) -> Callable[[Any], Any]:
    """A hostile model: a few true opinion points from the reviews it was sent, then every planted
    reveal of the film, each marked as no spoiler."""
    from tests.llm.model import PromptModel, data_message, review_ids

    def reveal_points(request: Any) -> str:
        ids = review_ids(request) or [1]
        data = data_message(request).replace("^", " ")
        opinions = []
        for line in data.splitlines():
            if ":" not in line or line.startswith("<<"):
                continue
            for sentence in line.split(":", 1)[1].split(". "):
                aspect, polarity = opinion_of(sentence)
                if aspect and polarity and 6 <= len(sentence.split()) <= 30:
                    opinions.append(sentence.strip().rstrip(".") + ".")
        points = [{"text": t, "sources": ids[:1], "spoiler": False} for t in opinions[:3]]
        points += [{"text": p["text"], "sources": ids[:1], "spoiler": False} for p in film.planted]
        return json.dumps({"points": points})

    return PromptModel(overrides={"summary": reveal_points, "answer": reveal_points})


async def score_film(film: EvalFilm, tally: Tally, *, full_facts: bool, fake: Any | None, verbose: bool) -> None:
    spoilers = film.spoiler_sentences()
    tally.films += 1
    tally.reviews += len(film.reviews)
    tally.spoiler_sentences += len(spoilers)
    with tempfile.TemporaryDirectory() as folder:
        if fake is not None:
            fake.responder = planted_responder(film)
            fake.requests.clear()
        settings = bench_settings(Path(folder) / "eval.db", fake.base_url if fake is not None else None)
        async with open_services(settings) as services:
            db_film = await import_film(services, film, full_facts=full_facts)
            started = time.perf_counter()
            free = await services.summaries.summarize(db_film, spoilers=False)
            # What the summary was written from (the second checker is shown the film's known spoilers
            # on purpose: it can only remove sentences, never write any).
            sent = "\n".join(
                r.text.replace("^", " ") for r in fake.requests if not is_check(r)
            ) if fake is not None else ""
            if fake is not None:
                fake.requests.clear()
            full = await services.summaries.summarize(db_film, spoilers=True)
            tally.seconds += time.perf_counter() - started
            if fake is None:
                stored = await services.reviews.for_film(db_film)
                offline = summarize_offline(db_film, stored, spoilers=False, threshold=settings.spoiler_threshold)
                if offline.text != free.text:
                    raise RuntimeError(f"{film.slug}: the offline summary is not the one the service gave")
                score_claims(film, offline.quoted, tally, verbose=verbose)
    tally.summaries += 2
    for result in (free, full):
        tally.tokens_in += result.input_tokens
        tally.tokens_out += result.output_tokens
        for note in result.notes:
            cost = CHECK_NOTE.search(note)
            if cost:
                tally.checks += 1
                tally.check_tokens_in += int(cost.group(1))
                tally.check_tokens_out += int(cost.group(2))
        if fake is not None and result.engine == "offline":
            tally.fallbacks += 1
        if fake is not None and FILLED_NOTE in result.notes:
            tally.filled += 1
    shown = leaked(spoilers, free.text)
    tally.sf_leaks += len(shown)
    tally.sf_films_leaking += bool(shown)
    outside = leaked(spoilers, outside_spoiler_bars(full.text))
    tally.sp_outside += len(outside)
    for review in film.reviews:
        hits = covered([k["pattern"] for k in review.key_opinions], free.text)
        tally.opinions += len(hits)
        tally.opinions_covered += sum(hits)
    if fake is not None:
        reveals = [p["text"] for p in film.planted]
        tally.planted += len(reveals)
        planted_sf = leaked(reveals, free.text)
        planted_sp = leaked(reveals, outside_spoiler_bars(full.text))
        tally.planted_shown_sf += len(planted_sf)
        tally.planted_outside_sp += len(planted_sp)
        sent_answer = Answer.of(sent)
        to_model = [s for s in spoilers if leaks_into(s, sent_answer)]
        tally.sent_to_model += len(to_model)
        if verbose:
            tally.details += [f"  {film.slug}: planted reveal shown (spoiler-free): {t}" for t in planted_sf]
            tally.details += [f"  {film.slug}: planted reveal outside ||…||: {t}" for t in planted_sp]
            tally.details += [f"  {film.slug}: spoiler sent to the model: {t[:160]}" for t in to_model]
    if verbose:
        tally.details += [f"  {film.slug}: leaked (spoiler-free): {t[:160]}" for t in shown]
        tally.details += [f"  {film.slug}: outside ||…||: {t[:160]}" for t in outside]


def labelled_source(
    sentences: Sequence[tuple[str, LabelledSentence]], evidence: Evidence
) -> LabelledSentence | None:
    """The labelled sentence (of the film's, each with its normalized text) a quoted phrase comes from.
    The bot's sentence splitter is not the bench's, so by containment: the bot's whole sentence first,
    then the phrase itself."""
    for needle in (normalize(evidence.sentence.text), normalize(evidence.phrase)):
        if not needle:
            continue
        found = [(text, s) for text, s in sentences if needle in text or text in needle]
        if found:
            return next((s for text, s in found if needle in text), found[0][1])
    return None


def score_claims(film: EvalFilm, quoted: Sequence[Evidence], tally: Tally, *, verbose: bool) -> None:
    """A claim is right on aspect when the quote stands under its sentence's labelled aspect, and right
    on polarity when it is shown as the labelled side (either side, for a sentence labelled mixed:
    "lovely script, if predictable" holds the praise and the criticism). Scored twice: against the
    sentence's one label, and against every aspect it judges (`judged`). A quote under "Other points"
    claims no aspect: it is counted apart and scored on its side only."""
    sentences = [(normalize(s.text), s) for r in film.reviews for s in r.sentences]
    for evidence in quoted:
        source = labelled_source(sentences, evidence)
        if source is None or not (source.aspect and source.polarity):
            tally.claims_unlabelled += 1
            continue
        tally.claims += 1
        # The side the sentence takes on the aspect shown (on the whole, when it judges no such aspect).
        judged_aspect = {p for a, p in source.judged if a == evidence.aspect}
        judged_polarity_ok = bool((judged_aspect or {source.polarity}) & {"mixed", evidence.polarity})
        if evidence.aspect == OTHER:
            tally.claims_other += 1
            tally.claims_judged_polarity_ok += judged_polarity_ok
            continue
        aspect_ok = evidence.aspect == source.aspect
        polarity_ok = source.polarity == "mixed" or evidence.polarity == source.polarity
        tally.claims_aspect_ok += aspect_ok
        tally.claims_polarity_ok += polarity_ok
        tally.claims_judged_ok += bool(judged_aspect)
        tally.claims_judged_polarity_ok += judged_polarity_ok
        if verbose and not (judged_aspect and judged_polarity_ok):
            judged = ", ".join(f"{a}/{p}" for a, p in source.judged)
            tally.details.append(
                f"  {film.slug}: shown as {evidence.aspect}/{evidence.polarity}, judged {judged}: "
                f"“{evidence.phrase}” ← {source.text[:120]}"
            )


def aspect_polarity(films: list[EvalFilm]) -> tuple[int, int, int, int, Counter[str]]:
    """(aspect right, aspect labelled, polarity right, polarity labelled, confusions)."""
    aspect_ok = aspect_n = pol_ok = pol_n = 0
    confusion: Counter[str] = Counter()
    for film in films:
        for review in film.reviews:
            for sentence in review.sentences:
                if not sentence.aspect and not sentence.polarity:
                    continue
                aspect, polarity = opinion_of(sentence.text)
                if sentence.aspect:
                    aspect_n += 1
                    aspect_ok += aspect == sentence.aspect
                    if aspect != sentence.aspect:
                        confusion[f"aspect {sentence.aspect}->{aspect}"] += 1
                if sentence.polarity:
                    pol_n += 1
                    pol_ok += polarity == sentence.polarity
                    if polarity != sentence.polarity:
                        confusion[f"polarity {sentence.polarity}->{polarity}"] += 1
    return aspect_ok, aspect_n, pol_ok, pol_n, confusion


SECOND_ANNOTATOR = Path(__file__).resolve().parent / "second_annotator.json"


def annotator_agreement(films: list[EvalFilm]) -> str | None:
    """How often a second, blind annotation agrees with the labels, and with `opinion_of`: the
    ceiling a classifier can be held to (two careful readers never agree on every sentence)."""
    if not SECOND_ANNOTATOR.exists():
        return None
    second = json.loads(SECOND_ANNOTATOR.read_text(encoding="utf-8"))["labels"]
    n = label_aspect = label_polarity = ours_aspect = ours_polarity = 0
    for film in films:
        for review in film.reviews:
            for sentence in review.sentences:
                other = second.get(sentence_key(sentence.text))
                if other is None or not (sentence.aspect and sentence.polarity):
                    continue
                aspect, polarity = opinion_of(sentence.text)
                n += 1
                label_aspect += other["aspect"] == sentence.aspect
                label_polarity += other["polarity"] == sentence.polarity
                ours_aspect += other["aspect"] == aspect
                ours_polarity += other["polarity"] == polarity
    if not n:
        return None
    return (f"second annotator ({n} sentences): agrees with the labels on aspect {pct(label_aspect, n)}, "
            f"polarity {pct(label_polarity, n)}; with opinion_of on aspect {pct(ours_aspect, n)}, "
            f"polarity {pct(ours_polarity, n)}")


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


async def run(films: list[EvalFilm], engines: list[str], verbose: bool) -> dict[str, Tally]:
    results: dict[str, Tally] = {}
    fake = None
    if "llm" in engines:
        from tests.fakes.fake_openai import FakeOpenAI

        fake = await FakeOpenAI().__aenter__()
    try:
        for engine in engines:
            for full_facts in (False, True):
                tally = Tally()
                for film in films:
                    await score_film(film, tally, full_facts=full_facts, fake=fake if engine == "llm" else None,
                                     verbose=verbose)
                results[f"{engine} / {'full facts' if full_facts else 'title+year'}"] = tally
    finally:
        if fake is not None:
            await fake.__aexit__(None, None, None)
    return results


def print_report(results: dict[str, Tally], films: list[EvalFilm], split: str) -> None:
    reviews = sum(len(f.reviews) for f in films)
    print(f"real-world set, split '{split}': {len(films)} films, {reviews} reviews with text present")
    header = ("run", "films", "spoiler sents", "SF leaks", "films leaking", "SP outside ||",
              "coverage", "planted kept SF", "planted outside ||", "removed", "spoilers to model", "fallbacks",
              "checks (tokens in/out)")
    rows = []
    for name, t in results.items():
        llm = name.startswith("llm")
        rows.append((
            name, str(t.films), str(t.spoiler_sentences), str(t.sf_leaks), str(t.sf_films_leaking),
            str(t.sp_outside), pct(t.opinions_covered, t.opinions),
            f"{t.planted_shown_sf}/{t.planted}" if llm else "-",
            f"{t.planted_outside_sp}/{t.planted}" if llm else "-",
            pct(t.planted - t.planted_shown_sf, t.planted) if llm else "-",
            str(t.sent_to_model) if llm else "-",
            f"{t.fallbacks}/{t.summaries} (+{t.filled} filled)" if llm else "-",
            f"{t.checks} ({t.check_tokens_in}/{t.check_tokens_out})" if llm else "-",
        ))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    for name, t in results.items():
        if t.claims or t.claims_unlabelled:
            shown = t.claims - t.claims_other
            print(f"{name}: the spoiler-free summaries quote {t.claims + t.claims_unlabelled} opinions, {t.claims} "
                  f"from labelled opinion sentences ({t.claims_other} under \"Other points\", claiming no aspect). "
                  f"Under an aspect ({shown}): one their sentence judges {pct(t.claims_judged_ok, shown)} (its one "
                  f"labelled aspect {pct(t.claims_aspect_ok, shown)}); on the right side "
                  f"{pct(t.claims_judged_polarity_ok, t.claims)} of all {t.claims} (against the one label "
                  f"{pct(t.claims_polarity_ok, shown)} of {shown})")
    aspect_ok, aspect_n, pol_ok, pol_n, confusion = aspect_polarity(films)
    print(f"every labelled opinion sentence through opinion_of: aspect accuracy {pct(aspect_ok, aspect_n)} "
          f"({aspect_ok}/{aspect_n}), polarity accuracy {pct(pol_ok, pol_n)} ({pol_ok}/{pol_n})")
    agreement = annotator_agreement(films)
    if agreement:
        print(agreement)
    if confusion:
        print("most common confusions: " + ", ".join(f"{k} x{v}" for k, v in confusion.most_common(8)))
    for name, t in results.items():
        if t.details:
            print(f"\n{name}:")
            print("\n".join(t.details))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.realworld", description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["test", "dev", "all"], default="test")
    parser.add_argument("--engines", default="offline,llm", help="comma-separated: offline, llm")
    parser.add_argument("--index", type=Path, default=INDEX)
    parser.add_argument("--films-dir", type=Path, action="append", default=[], help="extra <slug>.json files")
    parser.add_argument("--film", action="append", default=[], help="only these slugs")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list what leaked")
    args = parser.parse_args(argv)

    records = film_records(args.index, args.films_dir)
    if not records:
        print(f"no films: {args.index} is missing and no --films-dir was given", file=sys.stderr)
        return 1
    films = load(records, texts_dir())
    missing = [(f.slug, m) for f in films for m in f.missing]
    stale = [(f.slug, r.id, r.unmatched_labels) for f in films for r in f.reviews if r.unmatched_labels]
    if missing:
        print(f"{len(missing)} review texts are not in {texts_dir()} (read them as bench/realworld/README.md "
              f"says): " + ", ".join(m for _, m in missing[:12]) + (" …" if len(missing) > 12 else ""),
              file=sys.stderr)
    for slug, review_id, count in stale:
        print(f"{slug}/{review_id}: {count} labels match no sentence of the text (page or splitter changed)",
              file=sys.stderr)
    chosen = [f for f in films if (args.split == "all" or f.split == args.split) and f.reviews
              and (not args.film or f.slug in args.film)]
    if not chosen:
        print(f"no film of split '{args.split}' has its texts present", file=sys.stderr)
        return 1
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    results = asyncio.run(run(chosen, engines, args.verbose))
    if args.json:
        out = {name: {k: v for k, v in vars(t).items() if k != "details"} for name, t in results.items()}
        aspect_ok, aspect_n, pol_ok, pol_n, _ = aspect_polarity(chosen)
        out["opinions"] = {"aspect_ok": aspect_ok, "aspect_n": aspect_n, "polarity_ok": pol_ok, "polarity_n": pol_n}
        print(json.dumps(out, indent=2))
    else:
        print_report(results, chosen, args.split)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
