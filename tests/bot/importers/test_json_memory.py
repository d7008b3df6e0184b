"""Issue 12, hole 5: a 25 MiB JSON of empty objects (the largest /admin import accepts) took 2.1 GB
and 38 s. Any accepted file is parsed within 300 MB of peak memory, failing early with a clear
message. Measured as the peak RSS of a fresh interpreter parsing the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MIB = 1024**2
LIMIT_MB = 300
MEASURE = """
import sys, time
from pathlib import Path
from bot.importers.json_format import parse_json
from bot.importers.files import read_text
started = time.perf_counter()
parsed = parse_json(read_text(Path(sys.argv[1])))
elapsed = time.perf_counter() - started
# VmHWM: this interpreter's own peak. (ru_maxrss would also count the pytest process it was forked
# from: Linux keeps that high-water mark across exec.)
status = Path("/proc/self/status").read_text()
peak_mb = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) / 1024
problems = [p.reason for p in parsed.problems][:1]
print(f"{peak_mb:.0f} {elapsed:.2f} {parsed.unreadable} {len(parsed.reviews)} {problems!r}")
"""


def measure(path: Path) -> tuple[float, float, str]:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True)
    peak, elapsed, rest = done.stdout.split(" ", 2)
    return float(peak), float(elapsed), rest


@pytest.mark.parametrize("item", ["{}", "[]", '{"a":[]}'])
def test_25_mib_of_tiny_entries_fails_early_within_the_memory_bound(tmp_path: Path, item: str) -> None:
    path = tmp_path / "huge.json"
    count = 25 * MIB // (len(item) + 1)
    path.write_text('{"reviews":[' + ",".join([item] * count) + "]}", encoding="utf-8")
    peak, elapsed, result = measure(path)
    assert peak <= LIMIT_MB, f"peak RSS {peak:.0f} MB"
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert result.startswith("True 0") and "too many entries" in result and "Split the file" in result


def test_a_real_sized_export_still_imports_within_the_bound(tmp_path: Path) -> None:
    review = {"film": "Parasite", "year": 2019, "author": "ann", "rating": 4.5,
              "text": "A sharp, funny and angry film about class; the house is a marvel of design. " * 6}
    count = 25 * MIB // len(json.dumps(review))
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"reviews": [review] * count}), encoding="utf-8")
    peak, _, result = measure(path)
    assert peak <= LIMIT_MB, f"peak RSS {peak:.0f} MB"
    assert result.startswith(f"False {count} ")
