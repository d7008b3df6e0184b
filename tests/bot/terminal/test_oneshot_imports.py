"""What a one-shot `reviewbot ask --json` loads: no Discord, LLM, tokenizer or terminal-rendering
library, no 236,000-word set once its sorted copy is made, and the same answer whether its caches of
compiled patterns and words are cold or warm (a start-up cost cannot silently come back, and the
caches cannot change an answer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bot.terminal.helpers import clean_env

_CHILD = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
from bot.spoilers import names
heavy = ("discord", "openai", "tiktoken", "rich", "pydantic", "httpx")
print(json.dumps({"code": code, "heavy": sorted(m for m in heavy if m in sys.modules),
                  "word_set_loaded": names.common_words().loaded}), file=sys.stderr)
"""


def _ask(cli_db: str, tmp_path: Path, question: str) -> tuple[dict[str, object], dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, "ask", question, "--film", "Parasite", "--json", "--db", cli_db],
        capture_output=True, text=True, env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")), cwd=tmp_path,
        timeout=120, check=True,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return json.loads(done.stdout), report


def test_a_one_shot_ask_loads_only_what_it_needs_and_caches_change_nothing(cli_db: str, tmp_path: Path) -> None:
    cold, cold_report = _ask(cli_db, tmp_path, "is the acting any good?")
    assert list((tmp_path / "cache" / "reviewbot").iterdir())  # the caches were written
    warm, warm_report = _ask(cli_db, tmp_path, "is the acting any good?")
    assert cold == warm
    assert cold["sources"]  # an answer quoting reviews, so the allow-list ran
    assert cold_report == {"code": 0, "heavy": [], "word_set_loaded": True}  # the first run makes the word file
    assert warm_report == {"code": 0, "heavy": [], "word_set_loaded": False}
