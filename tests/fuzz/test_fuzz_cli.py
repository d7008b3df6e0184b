"""The one-shot `reviewbot` commands with hostile arguments: exit 0 or 1 with a message (argparse's
2 for a malformed command line), never a traceback; with --json, the output is always JSON."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.cli import main
from tests.fuzz.hostile import EDGE_NUMBERS, budget, hostile_text, review_texts, titles

# Arguments a shell can pass: no NUL, and argparse reads a leading "-" as an option (exit 2, fine).
# Bytes that are not UTF-8 reach Python's argv as lone surrogates ("surrogateescape").
_not_utf8 = st.tuples(titles, st.sampled_from(("\udcff", "\udce9", "\udc80"))).map("".join)
args = st.one_of(titles, hostile_text(3), _not_utf8).map(lambda s: s.replace("\x00", "")[:300].lstrip("-"))
numbers = st.sampled_from(EDGE_NUMBERS)


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("cli") / "cli.db"
    with pytest.MonkeyPatch.context() as patch:  # no settings from the developer's environment
        for name in list(os.environ):
            if name.startswith(("OPENAI_", "LLM_", "DISCORD_", "REVIEWBOT_", "MAX_", "WATCHLIST_", "CONVERSATION_")):
                patch.delenv(name)
        assert main(["film", "Parasite", "--json", "--db", str(path)]) == 0  # loads the sample data once
        yield str(path)


def command(db: str, review_file: Path) -> st.SearchStrategy[list[str]]:
    file = str(review_file)
    commands = st.one_of(
        st.tuples(args, st.booleans()).map(lambda a: ["summary", a[0], *(["--spoilers"] if a[1] else [])]),
        args.map(lambda a: ["film", a]),
        args.map(lambda a: ["reviews", "list", a]),
        st.tuples(args, args, numbers).map(
            lambda a: ["reviews", "add", "--film", a[0], "--author", a[1], "--rating", a[2], "--text-file", file]
        ),
        st.tuples(st.sampled_from(("add", "remove", "watched")), args, args).map(
            lambda a: ["watchlist", a[0], a[1], "--user", a[2]]
        ),
        st.tuples(args, numbers, args).map(lambda a: ["watchlist", "watched", a[0], "--rating", a[1], "--note", a[2]]),
        args.map(lambda a: ["watchlist", "list", "--user", a]),
        st.tuples(args, st.one_of(st.none(), args), st.one_of(st.none(), args)).map(
            lambda a: ["ask", a[0], *(["--film", a[1]] if a[1] else []), *(["--conversation", a[2]] if a[2] else [])]
        ),
        args.map(lambda a: ["privacy", "export", "--user", a]),
    )
    return commands.map(lambda argv: [*argv, "--json", "--db", db])


@budget(40)
@given(data=st.data())
def test_one_shot_commands_exit_cleanly(
    cli_db: str, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    review_file = tmp_path_factory.getbasetemp() / "review.txt"
    review_file.write_text(data.draw(review_texts), encoding="utf-8")
    argv = data.draw(command(cli_db, review_file))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: a malformed command line ("--rating nan" is fine)
            code = exit_.code
            assert code == 2, err.getvalue()
            event("usage error")
            return
    event(f"exit {code}")
    assert code in (0, 1), (argv, err.getvalue())
    assert "Traceback" not in err.getvalue()
    printed = json.loads(out.getvalue())
    if code == 1:
        assert isinstance(printed, dict) and printed["error"].strip()
