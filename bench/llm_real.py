"""The LLM path against a real (small, local) model: time to first point, total time, tokens, fallbacks,
leaks and copied prompt text, per film and mode.

    python -m bench.llm_real --base-url http://127.0.0.1:PORT/v1 [--films N] [--modes spoiler_free,spoilers]
                             [--spoiler-check] [--timeout 180]

    REVIEWBOT_REALWORLD_TEXTS=/work/realworld-texts python -m bench.llm_real --base-url ... \
        --realworld dev --films 3          # real-world films of the dev split (or test, or slugs a,b)

The server comes from /work/shared/realllm (`serve.sh PORT 1.5b`); never run in CI. Films: the bundled
sample set, or with --realworld the real-world set of issue 7 (bench/realworld; its texts must be
present). Reviews are added first and the background digest queue is drained (timed separately: that
is work done when reviews are added, not while someone waits for /summary); then each film is
summarised in each mode.

Columns: first = seconds to the first guard-approved point on screen; total = seconds to the answer;
in/out = tokens (the server's count); tok/s = output tokens per second of the whole answer; fb = fell back to
the offline summary; leaks = spoiler-free summary sentences that match a labelled spoiler sentence
(sample labels; content-word overlap), or a spoilers-mode one outside ||…||; cov = share of the film's
aspects (from the offline summary's topics) the summary covers; echo = sentences carrying prompt text.
Real-world films: leaks = sentences labelled `spoiler` by us that the spoiler-free summary carries (or
that stand outside ||…|| in spoilers mode), bench/realworld/score.py's matching; cov = share of the
labelled key opinions the summary matches.

Seconds depend on the machine as much as on the code (2 shared cores: 3 to 15 output tokens a second
were seen on different days), so the run starts and ends with one fixed request whose speed the server
reports itself (llama.cpp's `timings`): compare times only between runs of like speed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import statistics
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bench.realworld.data import EvalFilm
from bot.app import Services, open_services
from bot.llm.digest_queue import DigestWorker
from bot.llm.grounding import PromptEcho, content_stems
from bot.llm.prompts import PromptSet
from bot.llm.summary_engine import LLMSummaryEngine
from bot.services.summaries import Mode, SummaryResult, TextCallback
from bot.settings import Settings
from bot.summarize.offline import summarize_offline
from bot.text.segments import split_review
from storage.ports import DigestQueueStore
from storage.records import Film

ASPECT_WORDS = {
    "acting": "act actor actress perform cast role",
    "direction": "direct director",
    "writing": "write script dialogu screenplay stori",
    "visuals": "look cinematographi photographi shot visual imag",
    "sound": "score music sound soundtrack",
    "pacing": "pace slow drag length",
}


@dataclass(slots=True)
class Row:
    film: str
    mode: str
    first: float | None
    total: float
    input_tokens: int
    output_tokens: int
    fallback: bool
    leaks: int
    coverage: float
    echo: int
    notes: str
    text: str = ""


def spoiler_labels() -> list[frozenset[str]]:
    folder = resources.files("bot") / "data" / "sample"
    found: list[frozenset[str]] = []
    for name in ("spoiler_labels_a.json", "spoiler_labels_b.json"):
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        for value in _strings(data):
            stems = frozenset(content_stems(value))
            if len(stems) >= 3:
                found.append(stems)
    return found


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def leaks_in(text: str, mode: Mode, labels: list[frozenset[str]]) -> int:
    count = 0
    for span in split_review(text):
        if mode == "spoilers" and span.marked:
            continue
        stems = frozenset(content_stems(span.text))
        if any(len(stems & label) >= max(3, len(label) // 2) for label in labels):
            count += 1
    return count


def coverage(text: str, reviews_text: str) -> float:
    said = set(content_stems(reviews_text))
    mine = set(content_stems(text))
    wanted = [a for a, words in ASPECT_WORDS.items() if said & set(words.split())]
    if not wanted:
        return 1.0
    return sum(1 for a in wanted if mine & set(ASPECT_WORDS[a].split())) / len(wanted)


@dataclass(slots=True)
class BenchFilm:
    """One film to summarise: how to find it, and how to score its summaries."""

    title: str
    spoilers: list[str] | None = None  # labelled spoiler sentences (real-world films); None: sample labels
    opinions: list[str] | None = None  # key-opinion patterns (real-world films)
    record: EvalFilm | None = None  # the real-world film, imported before the run


def realworld_films(which: str, count: int) -> list[BenchFilm]:
    """Real-world films (bench/realworld) with their texts present: a split name or slugs a,b."""
    from bench.realworld.data import INDEX, film_records, load, texts_dir

    films = load(film_records(INDEX, []), texts_dir())
    slugs = [w for w in which.split(",") if w]
    if which in ("dev", "test"):
        chosen = [f for f in films if f.split == which and f.reviews]
    else:
        chosen = [f for f in films if f.slug in slugs and f.reviews]
    if not chosen:
        raise SystemExit(f"no real-world film '{which}' has its texts in {texts_dir()}")
    return [
        BenchFilm(
            f"{f.title} ({f.year})" if f.year else f.title, f.spoiler_sentences(),
            [k["pattern"] for r in f.reviews for k in r.key_opinions], f,
        )
        for f in chosen[:count]
    ]


def settings_for(args: argparse.Namespace, folder: str) -> Settings:
    realworld = bool(args.realworld)
    return Settings(
        _env_file=None,
        reviewbot_db=Path(folder) / "bench.db",
        reviewbot_load_sample=not realworld,
        max_review_chars=60_000 if realworld else 6000,  # critics' essays run long
        openai_base_url=args.base_url,
        openai_api_key="bench",
        llm_model=args.model,
        llm_timeout_seconds=args.timeout,
        llm_max_retries=args.retries,
        llm_context_window=args.context,
        llm_max_output_tokens=args.max_output,
        llm_direct_max_tokens=args.direct_max_tokens,
        llm_spoiler_check=args.spoiler_check,
        llm_temperature=args.temperature,
        llm_background_digests=False,
        llm_breaker_failures=1000,
        llm_daily_tokens_per_user=10**9,
        llm_daily_tokens_per_guild=10**9,
    )


async def run(args: argparse.Namespace) -> list[Row]:
    labels = spoiler_labels()
    echo = PromptEcho(PromptSet.load().instruction_texts())
    rows: list[Row] = []
    if args.realworld:
        films = realworld_films(args.realworld, args.films)
    else:
        films = [BenchFilm(t) for t in args.titles.split("|") if t][: args.films]
    with tempfile.TemporaryDirectory() as folder:
        async with open_services(settings_for(args, folder)) as services:
            if args.realworld:
                from bench.realworld.__main__ import import_film

                for entry in films:
                    if entry.record is not None:
                        await import_film(services, entry.record, full_facts=args.facts == "full")
            worker = getattr(services.summaries.engine, "worker", None)
            if worker is not None and not args.skip_digests:
                wanted: set[int] = set()
                for entry in films:
                    wanted |= {r.id for r in await services.reviews.for_film(await services.films.resolve(entry.title))}
                started = time.perf_counter()
                count = await drain_for(services.store.digest_queue, worker, wanted)
                if worker.warm is not None and not args.cold:  # as the bot's queue does when it runs empty
                    await worker.warm()
                took = time.perf_counter() - started
                print(
                    f"digest queue: {count} reviews, {worker.made} digests, {took:.0f} s, "
                    f"{worker.input_tokens} in / {worker.output_tokens} out tokens",
                    flush=True,
                )
            elif worker is not None and worker.warm is not None and not args.cold:
                await worker.warm()  # as the bot's queue does at start-up
            for entry in films:
                film = await services.films.resolve(entry.title)
                reviews = await services.reviews.for_film(film)
                text_all = " ".join(r.text for r in reviews)
                for mode in args.modes.split(","):
                    first: list[float] = []
                    progress: list[float] = []
                    started = time.perf_counter()

                    async def on_text(
                        text: str, started: float = started, first: list[float] = first,
                        progress: list[float] = progress,
                    ) -> None:
                        if not progress:
                            progress.append(time.perf_counter() - started)
                        if not first and "\n•" in text:
                            first.append(time.perf_counter() - started)

                    result = await summarize_in(services, film, mode, on_text)
                    total = time.perf_counter() - started
                    body = result.text.split("\n", 1)[1] if "\n" in result.text else ""
                    fallback = result.engine == "offline"
                    # Copied prompt text is the model's: lines filled in from the offline summary (bot/llm/keep.py)
                    # are ours, and its aspect-by-aspect wording is the shape the prompts describe.
                    offline = summarize_offline(
                        film, reviews, spoilers=base_mode(mode) == "spoilers",
                        threshold=services.settings.spoiler_threshold,
                    ).text
                    filled = {line.removeprefix("• ").strip() for line in offline.splitlines()}
                    written = "\n".join(
                        line for line in body.splitlines() if line.removeprefix("• ").strip() not in filled
                    )
                    row = Row(
                        film.label, mode, first[0] if first else None, total, result.input_tokens,
                        result.output_tokens, fallback, score_leaks(entry, body, base_mode(mode), labels),
                        score_coverage(entry, body, text_all),
                        sum(1 for s in split_review(written) if echo.echoes(s.text)) if not fallback else 0,
                        "; ".join(result.notes)[:160], result.text,
                    )
                    rows.append(row)
                    print_row(row)
                    if args.show:
                        print(result.text, *(f"  [{n}]" for n in result.notes), "", sep="\n", flush=True)
    return rows


def base_mode(mode: str) -> Mode:
    return "spoilers" if mode == "spoilers" else "spoiler_free"


async def summarize_in(services: Services, film: Film, mode: str, on_text: TextCallback) -> SummaryResult:
    """`mode` is spoiler_free, spoilers, or `checked`: spoiler-free with LLM_SPOILER_CHECK on for this
    one summary (so one run, with one set of digests, compares the two)."""
    engine = services.summaries.engine
    checked = mode == "checked" and isinstance(engine, LLMSummaryEngine) and not engine.spoiler_check
    if checked:
        assert isinstance(engine, LLMSummaryEngine)
        engine.spoiler_check, version = True, engine.prompt_version
        engine.prompt_version = f"{version}-c"  # its own cache key
    try:
        return await services.summaries.summarize(film, spoilers=mode == "spoilers", on_text=on_text)
    finally:
        if checked:
            assert isinstance(engine, LLMSummaryEngine)
            engine.spoiler_check, engine.prompt_version = False, version


async def drain_for(queue: DigestQueueStore, worker: DigestWorker, wanted: set[int]) -> int:
    """Digest the queued reviews of the films in this run; the others are taken off the queue."""
    count = 0
    while (review_id := await queue.next()) is not None:
        if review_id in wanted:
            await worker.step()  # takes the same review from the queue
            count += 1
        else:
            await queue.done(review_id)
    return count


def score_leaks(entry: BenchFilm, body: str, mode: Mode, labels: list[frozenset[str]]) -> int:
    if entry.spoilers is None:
        return leaks_in(body, mode, labels)
    from bench.realworld.score import leaked, outside_spoiler_bars

    return len(leaked(entry.spoilers, body if mode == "spoiler_free" else outside_spoiler_bars(body)))


def score_coverage(entry: BenchFilm, body: str, reviews_text: str) -> float:
    if not entry.opinions:
        return coverage(body, reviews_text)
    from bench.realworld.score import covered

    hits = covered(entry.opinions, body)
    return sum(hits) / len(hits)


def print_row(r: Row) -> None:
    first = f"{r.first:6.1f}" if r.first is not None else "     -"
    rate = r.output_tokens / r.total if r.total else 0.0
    print(
        f"{r.film[:28]:28} {r.mode:12} {first} {r.total:6.1f} {r.input_tokens:6} {r.output_tokens:5} "
        f"{rate:5.1f} {'yes' if r.fallback else 'no':>3} {r.leaks:5} {r.coverage:4.0%} {r.echo:4}",
        flush=True,
    )


def summary(rows: list[Row]) -> None:
    if not rows:
        return
    firsts = [r.first for r in rows if r.first is not None]
    print(
        f"\n{len(rows)} summaries: fallbacks {sum(r.fallback for r in rows)}/{len(rows)}, "
        f"leaks {sum(r.leaks for r in rows)}, copied prompt text {sum(r.echo for r in rows)}, "
        f"median first point {statistics.median(firsts):.1f} s" if firsts else "no point streamed",
    )
    print(
        f"median total {statistics.median(r.total for r in rows):.1f} s, "
        f"median tokens in/out {statistics.median(r.input_tokens for r in rows):.0f}/"
        f"{statistics.median(r.output_tokens for r in rows):.0f}, "
        f"mean coverage {statistics.mean(r.coverage for r in rows):.0%}"
    )


# A fixed prompt (~300 tokens on Qwen2.5's tokenizer), read without the prompt cache, and a fixed
# number of tokens written: the machine's speed as the server measures it.
_CALIBRATION_TEXT = " ".join(f"Sentence {n} of the calibration passage reads the same on every run." for n in range(25))


async def machine_speed(base_url: str, model: str) -> str:
    """'prompt N tok/s, output M tok/s' from the server's own timings, or why not."""
    from openai import AsyncOpenAI, OpenAIError

    async with AsyncOpenAI(base_url=base_url, api_key="bench", timeout=120, max_retries=0) as client:
        try:
            completion = await client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": _CALIBRATION_TEXT + "\nRepeat the passage."}],
                max_tokens=48, temperature=0,
                extra_body={"cache_prompt": False, "ignore_eos": True},
            )
        except OpenAIError as error:
            return f"unknown ({type(error).__name__})"
    timings = (completion.model_extra or {}).get("timings") or {}
    if not timings.get("prompt_per_second") or not timings.get("predicted_per_second"):
        return "unknown (the server reports no timings)"
    return (f"prompt {timings['prompt_per_second']:.0f} tok/s ({timings.get('prompt_n')} tokens), "
            f"output {timings['predicted_per_second']:.1f} tok/s ({timings.get('predicted_n')} tokens)")


SAMPLE_TITLES = "Parasite|Se7en|The Sixth Sense|The Prestige|Arrival|Get Out|Oldboy|Dune (2021)|Amélie|Dear Comrades!"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default="local-model")
    parser.add_argument("--titles", default=SAMPLE_TITLES, help="films, separated by |")
    parser.add_argument("--films", type=int, default=99)
    parser.add_argument(
        "--realworld", default="", help="real-world films instead of the sample: dev, test, or slugs a,b"
    )
    parser.add_argument("--facts", choices=["full", "title"], default="full", help="real-world import facts")
    parser.add_argument("--json", type=Path, help="also write the rows (with each summary) to this file")
    parser.add_argument(
        "--modes", default="spoiler_free,spoilers",
        help="spoiler_free, spoilers, checked (spoiler-free with the model as a second spoiler checker)",
    )
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument(
        "--retries", type=int, default=1,
        help="LLM_MAX_RETRIES (the default; a timeout is never retried on a single-slot server)",
    )
    parser.add_argument("--context", type=int, default=8192)
    parser.add_argument("--max-output", type=int, default=450)
    parser.add_argument("--direct-max-tokens", type=int, default=0)
    parser.add_argument("--spoiler-check", action="store_true")
    parser.add_argument("--temperature", type=float, help="LLM_TEMPERATURE (unset: the bot's default)")
    parser.add_argument("--cold", action="store_true", help="no prompt-cache warm-up (after the digests, or at start)")
    parser.add_argument("--skip-digests", action="store_true", help="summaries from review openings only")
    parser.add_argument("--show", action="store_true", help="print each summary")
    args = parser.parse_args()
    if args.show:  # why answers were unusable, retried or dropped
        logging.basicConfig(level=logging.WARNING, format="  (%(name)s) %(message)s")
        logging.getLogger("bot.llm").setLevel(logging.INFO)
    print(
        f"{'film':28} {'mode':12} {'first':>6} {'total':>6} {'in':>6} {'out':>5} {'tok/s':>5} "
        f"{'fb':>3} {'leaks':>5} {'cov':>4} {'echo':>4}"
    )
    before = asyncio.run(machine_speed(args.base_url, args.model))
    print(f"machine speed before: {before}", flush=True)
    rows = asyncio.run(run(args))
    summary(rows)
    print(f"machine speed before: {before}; after: {asyncio.run(machine_speed(args.base_url, args.model))}")
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
