"""`python -m bench.startup`: how long one-shot commands take from the shell prompt to exit.

Each command runs as a fresh process (as a script or a person runs it) on a copy of a database
that already holds the sample data, several times; the table shows the fastest and the median
wall-clock time and the CPU time (user + system, less sensitive to other load on the machine),
against the target (0.5 s) and against a bare `python -c pass`.

    python -m bench.startup                          # this checkout
    python -m bench.startup --baseline /work/main/.venv/bin/python --runs 7

`--baseline` runs the same commands with another checkout's interpreter (its editable install)
in the same session, so both columns see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TARGET_SECONDS = 0.5
COMMANDS: list[list[str]] = [
    ["--version"],
    ["film", "se7en"],
    ["film", "se7en", "--json"],
    ["summary", "parasite"],  # a cached summary after the first run
    ["reviews", "list", "se7en", "--json"],
    ["watchlist", "list", "--json"],
    ["ask", "is the acting any good?", "--film", "Parasite", "--json"],
]


@dataclass
class Timing:
    best: float
    median: float
    cpu: float  # median user + system seconds


def _run(argv: list[str], env: dict[str, str], cwd: Path, *, check: bool = True) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=check)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(argv: list[str], env: dict[str, str], cwd: Path, runs: int) -> Timing | None:
    """None when the command fails (e.g. an option the baseline checkout doesn't have yet)."""
    try:
        _run(argv, env, cwd)  # warm-up: .pyc files, the OS file cache, a summary into the cache
    except subprocess.CalledProcessError:
        return None
    samples = [_run(argv, env, cwd) for _ in range(runs)]
    walls = [w for w, _ in samples]
    return Timing(min(walls), statistics.median(walls), statistics.median(c for _, c in samples))


def prepare_database(python: str, folder: Path) -> Path:
    """A database holding the sample data, made once by the interpreter under test."""
    db = folder / "bench.db"
    env = {**os.environ, "REVIEWBOT_DB": str(db)}
    subprocess.run([python, "-m", "bot", "film", "se7en"], env=env, cwd=folder, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return db


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (after one warm-up)")
    parser.add_argument("--baseline", help="another checkout's python, measured in the same session")
    args = parser.parse_args(argv)

    pythons = {"this": sys.executable}
    if args.baseline:
        pythons["baseline"] = args.baseline
    # As a person's shell runs it: none of the bot's settings, and Python writing bytecode as it does by
    # default (a sandbox or CI image that sets PYTHONDONTWRITEBYTECODE compiles every module of the
    # project from source on every run, ~0.1 s, which no installed copy pays).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "DISCORD_", "REVIEWBOT_", "LLM_")) and k != "PYTHONDONTWRITEBYTECODE"}
    results: dict[str, dict[str, Timing | None]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for label, python in pythons.items():
            folder = Path(tmp) / label
            folder.mkdir()
            db = prepare_database(python, folder)
            run_env = {**env, "REVIEWBOT_DB": str(db)}
            results[label] = {"python -c pass": measure([python, "-c", "pass"], run_env, folder, args.runs)}
            for command in COMMANDS:
                name = "reviewbot " + " ".join(c if " " not in c else f'"{c}"' for c in command)
                results[label][name] = measure([python, "-m", "bot", *command], run_env, folder, args.runs)
            shutil.rmtree(folder, ignore_errors=True)

    load = os.getloadavg()
    print(f"Start-up of one-shot commands: {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, "
          f"{args.runs} runs each after a warm-up; sample database.")
    header = "| command | best (s) | median (s) | CPU (s) | best vs 0.5 s target |"
    if "baseline" in results:
        header += " baseline best (s) | baseline CPU (s) | speed-up (CPU) |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, timing in results["this"].items():
        if timing is None:
            print(f"| `{name}` | fails | | | |")
            continue
        row = (f"| `{name}` | {timing.best:.2f} | {timing.median:.2f} | {timing.cpu:.2f} | "
               f"{timing.best / TARGET_SECONDS:.2f}× |")
        if "baseline" in results:
            base = results["baseline"][name]
            if base is None:
                row += " fails | | |"
            else:
                row += f" {base.best:.2f} | {base.cpu:.2f} | {base.cpu / max(timing.cpu, 1e-6):.1f}× |"
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
