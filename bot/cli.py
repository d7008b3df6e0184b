"""The `reviewbot` command: terminal chat, one-shot commands with --json, import, Discord.

A thin front door: parse arguments, call the service layer, render text or JSON.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what parsing the command line needs is imported here; the services, the settings and the
# Discord and LLM libraries are imported when a command runs (`reviewbot --help` and `--version`
# answer at once, and every one-shot command starts faster).
if TYPE_CHECKING:
    from bot.app import Services
    from bot.settings import Settings

log = logging.getLogger("reviewbot")
Handler = Callable[["Services", argparse.Namespace], Awaitable[int]]
# discord.py warns at every start that the optional voice libraries are missing; this bot has no voice.
_IRRELEVANT_WARNINGS = ("voice will NOT be supported",)


class _Version(argparse.Action):
    """`--version`; the installed package's metadata is read only when asked for (importlib.metadata
    is slow to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("reviewbot")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown"
        print(f"{parser.prog} {number}")
        parser.exit()


def _add_common(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    # Sub-commands SUPPRESS their default so `reviewbot --db X summary …` keeps X.
    parser.add_argument(
        # A string, not a Path: a postgresql://… URL must keep its double slash.
        "--db", default=None if top else argparse.SUPPRESS,
        help="database file, or a postgresql://user@host/dbname URL (default: REVIEWBOT_DB or your data folder)",
    )


def _add_json(parser: argparse.ArgumentParser) -> None:
    """`--json` on an action as well as on its command (`watchlist list --json`, `watchlist --json list`)."""
    if "json" not in {a.dest for a in parser._actions}:
        parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewbot",
        description="Spoiler-safe film review summaries, facts, watchlists and Q&A, in Discord or the terminal. "
        "With no command: runs the Discord bot if DISCORD_TOKEN is set, else the terminal chat.",
    )
    _add_common(parser, top=True)
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logs")
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _add_common(p)
        return p

    command("chat", "interactive terminal with the same commands as the Discord bot")
    p = command("run", "run the Discord bot (needs DISCORD_TOKEN)")
    p.add_argument(
        "--shard-ids", metavar="IDS",
        help="run only these shards, e.g. 0-3 (with --shard-count); default: every shard (DISCORD_SHARD_IDS)",
    )
    p.add_argument(
        "--shard-count", type=int, metavar="N",
        help="the bot's total number of shards, over all its processes (default: DISCORD_SHARD_COUNT, "
        "else what Discord recommends)",
    )
    p = command("sync", "register the slash commands with Discord (do this once after an upgrade)")
    p.add_argument("--guild", help="sync to one server only (instant) instead of globally (can take an hour)")

    p = command("summary", "summary of a film's stored reviews (spoiler-free unless --spoilers)")
    p.add_argument("film", help='title, e.g. "Parasite" or "Psycho (1960)"')
    p.add_argument("--spoilers", action="store_true", help="include plot reveals, marked ||like this||")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = command("film", "facts about a film")
    p.add_argument("film")
    p.add_argument("--json", action="store_true")

    p = command("reviews", "read or add reviews")
    rsub = p.add_subparsers(dest="reviews_command", metavar="ACTION")
    rl = rsub.add_parser("list", help="show a film's stored reviews (spoilers hidden unless --spoilers)")
    _add_common(rl)
    rl.add_argument("film")
    rl.add_argument("--spoilers", action="store_true")
    rl.add_argument("--json", action="store_true")
    ra = rsub.add_parser("add", help="add a review from a text file")
    _add_common(ra)
    ra.add_argument("--film", required=True)
    ra.add_argument("--text-file", required=True, type=Path, help="the review text ('-' reads standard input)")
    ra.add_argument("--author", default="terminal user")
    ra.add_argument("--rating", type=float, help="0.5 to 5 in halves")
    ra.add_argument("--spoilers", action="store_true", help="the review contains spoilers")
    ra.add_argument("--json", action="store_true")

    p = command("watchlist", "a personal watchlist")
    p.add_argument("--user", default="terminal", help="whose list (default: terminal)")
    p.add_argument("--json", action="store_true")
    wsub = p.add_subparsers(dest="watch_command", metavar="ACTION", required=True)
    for name, text in (("add", "add a film"), ("remove", "remove a film"), ("watched", "mark a film watched")):
        wp = wsub.add_parser(name, help=text)
        _add_common(wp)
        wp.add_argument("film")
        if name == "watched":
            wp.add_argument("--rating", type=float, help="0.5 to 5 in halves")
            wp.add_argument("--note")
    _add_common(wsub.add_parser("list", help="show the list"))
    for action_parser in wsub.choices.values():
        _add_json(action_parser)

    p = command("ask", "ask a question about a film, answered from the stored reviews")
    p.add_argument("question")
    p.add_argument("--film", help="which film (otherwise taken from the question)")
    p.add_argument("--spoilers", action="store_true")
    p.add_argument("--conversation", help="a name to continue a conversation across calls")
    p.add_argument("--json", action="store_true")

    p = command(
        "import",
        "import films and reviews (JSON, reviews CSV, Letterboxd reviews.csv / watchlist.csv, IMDb datasets)",
    )
    p.add_argument(
        "file", help="a file, a folder holding the IMDb title.basics.tsv.gz etc., or 'sample' for the sample data"
    )
    p.add_argument(
        "--imdb-types", default="movie",
        help="IMDb title types to keep, comma-separated (default: movie; e.g. movie,tvMovie,short)",
    )
    p.add_argument("--include-adult", action="store_true", help="keep IMDb titles marked adult")
    p.add_argument("--skip-bad", action="store_true", help="import the good rows and report the bad ones")
    p.add_argument("--user", help="owner of an imported watchlist")
    p.add_argument("--author", help="name to store a Letterboxd export's reviews under (default: 'letterboxd user')")
    p.add_argument("--json", action="store_true")

    p = command("privacy", "export or delete everything stored about a user")
    psub = p.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    for name in ("export", "delete"):
        pp = psub.add_parser(name, help=f"{name} a user's data")
        _add_common(pp)
        pp.add_argument("--user", required=True)
        _add_json(pp)
        if name == "delete":
            pp.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = command("db", "back up, check, restore or copy the database")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    dp = dsub.add_parser("backup", help="copy the database to PATH; safe while the bot runs")
    _add_common(dp)
    dp.add_argument("path", type=Path, metavar="PATH", help="the backup file, or a folder for a time-stamped one")
    dp.add_argument("--force", action="store_true", help="replace PATH if it exists")
    dp.add_argument("--json", action="store_true")
    dp = dsub.add_parser("check", help="run SQLite's integrity and foreign-key checks (read-only)")
    _add_common(dp)
    dp.add_argument("--json", action="store_true")
    dp = dsub.add_parser(
        "restore", help="replace the database with a backup (stop the bot first; the current one is kept)"
    )
    _add_common(dp)
    dp.add_argument("path", type=Path, metavar="PATH", help="a file made by `reviewbot db backup`")
    dp.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    dp.add_argument("--json", action="store_true")
    dp = dsub.add_parser(
        "copy", help="copy everything from SRC into the empty database DST (SQLite file or postgresql:// URL)"
    )
    dp.add_argument("source", metavar="SRC", help="a database file or a postgresql://… URL")
    dp.add_argument("destination", metavar="DST", help="a new database file or an empty postgresql://… database")
    dp.add_argument("--json", action="store_true")
    return parser


def load_settings(args: argparse.Namespace) -> Settings:
    from bot.settings import Settings

    overrides: dict[str, Any] = {}
    if getattr(args, "db", None):
        overrides["reviewbot_db"] = args.db
    if getattr(args, "shard_ids", None) is not None:
        overrides["discord_shard_ids"] = args.shard_ids
    if getattr(args, "shard_count", None) is not None:
        overrides["discord_shard_count"] = args.shard_count
    return Settings(**overrides)


def _undecodable(argv: Sequence[str]) -> str | None:
    """The first argument that is not valid UTF-8 (Python hands such bytes over as lone surrogates)."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
    return None


def _relevant(record: logging.LogRecord) -> bool:
    return not any(text in record.getMessage() for text in _IRRELEVANT_WARNINGS)


def _configure_logging(settings: Settings, args: argparse.Namespace, *, bot: bool) -> None:
    """Logs go to stderr. Unless REVIEWBOT_LOG_LEVEL says otherwise: INFO for the Discord bot, which
    runs unattended; WARNING for the chat and one-shot commands, whose output is for a person or a pipe."""
    if args.verbose:
        level = logging.DEBUG
    elif settings.reviewbot_log_level:
        level = getattr(logging, settings.reviewbot_log_level)
    else:
        level = logging.INFO if bot else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("discord.client").addFilter(_relevant)
    if not args.verbose and level == logging.INFO:
        logging.getLogger("discord").setLevel(logging.WARNING)  # its "logging in using static token" etc.


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if (bad := _undecodable(argv)) is not None:
        # Like any value reviewbot can't use (exit 1; JSON with --json), not a usage error.
        message = f"The argument '{bad}' is not valid UTF-8 text; check your terminal's encoding (e.g. LANG=C.UTF-8)."
        if "--json" in argv:
            import json

            print(json.dumps({"error": message}))
        else:
            print(f"reviewbot: {message}", file=sys.stderr)
        return 1
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`reviewbot … | head`): stop quietly, as other command-line tools do.
        # Python would report the broken pipe again when it flushes stdout at exit, so point stdout
        # at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by a closed pipe
    except KeyboardInterrupt:
        return 130


def _main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)  # --help and --version end here, before the heavy imports

    import asyncio

    from bot.errors import DatabaseProblem
    from bot.settings import SettingsError

    try:
        settings = load_settings(args)
    except SettingsError as error:
        print(f"reviewbot: {error}", file=sys.stderr)
        return 2
    bot = args.command in (None, "run", "sync") and bool(args.command or settings.discord_token)
    _configure_logging(settings, args, bot=bot)
    if bot:
        from bot.discord_app.runner import run_bot, sync_commands

        try:
            if args.command == "sync":
                return asyncio.run(sync_commands(settings, args.guild))
            return asyncio.run(run_bot(settings))
        except DatabaseProblem as error:  # at start-up: a read-only, damaged or locked database
            print(f"reviewbot: {error.message}", file=sys.stderr)
            return 1
    code = asyncio.run(_run(settings, args))
    sys.stdout.flush()  # inside main's BrokenPipeError handling, not at interpreter exit
    return code


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from bot.app import open_services
    from bot.errors import ReviewBotError
    from bot.terminal import oneshot
    from bot.text.markdown import unescape_markdown

    handlers: dict[str | None, Handler] = {
        None: oneshot.chat,
        "chat": oneshot.chat,
        "summary": oneshot.summary,
        "film": oneshot.film,
        "reviews": oneshot.reviews,
        "watchlist": oneshot.watchlist,
        "ask": oneshot.ask,
        "import": oneshot.import_file,
        "privacy": oneshot.privacy,
    }
    try:
        if args.command == "db":  # the file itself, without the services: a restore needs it to itself
            from bot.terminal import db_commands

            return await db_commands.run(settings, args)
        one_shot = args.command not in (None, "chat")
        if one_shot:
            # A one-shot command exits when it has answered: a digest started meanwhile would only
            # take the (often single) server slot from the summary being waited for, then be cut off.
            # The chat and the Discord bot run the queue.
            settings = settings.replace(llm_background_digests=False)
        # The chat runs for a while and warms up what it will need; a one-shot command does not.
        async with open_services(settings, warm=not one_shot) as services:
            return await handlers[args.command](services, args)
    except ReviewBotError as error:
        message = unescape_markdown(error.message)  # written for Discord: a title's markup escaped
        if getattr(args, "json", False):
            print(json.dumps({"error": message}, ensure_ascii=False))
        else:
            print(f"reviewbot: {message}", file=sys.stderr)
        return 1
