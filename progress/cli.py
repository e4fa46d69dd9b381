"""python -m course lint | stats | coverage | graph | seed | import | remind | report | retention |
registerutdrag | radera | daily-counts

The whole command line: the engine's content commands (course/cli.py) and the commands that work on the store.
It lives here, above the engine, so that course/ never imports the store; course/__main__.py only hands over.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from course.cli import add_content_commands, new_parser


def main(argv: list[str] | None = None) -> int:
    parser, commands = new_parser()
    add_content_commands(commands)

    seed = commands.add_parser("seed", help="skapa en syntetisk kommun med historik i databasen")
    seed.add_argument("--employees", type=int, default=300)
    seed.add_argument("--history-years", type=int, default=2)
    seed.add_argument("--database-url", help="annars COURSE_DATABASE_URL, eller demons fil med --demo")
    seed.add_argument("--random-seed", type=int, default=7)
    seed.add_argument("--replace", action="store_true", help="töm databasen först (all data försvinner)")
    seed.set_defaults(run=_seed)

    for name in FOLLOW_UP_COMMANDS:  # each module adds its own subcommand and sets `run`
        importlib.import_module(name).add_command(commands)
    for name in WRITING_COMMANDS:
        if name in commands.choices:
            commands.choices[name].add_argument(
                "--demo", action="store_true",
                help="skriv i demons databas (data/demo.sqlite utan --database-url); annars vägras den")

    args = parser.parse_args(argv)
    if args.command in WRITING_COMMANDS:
        target = _writing_target(args)
        if target is None:
            return 2
        args.database_url = target
    return args.run(args)


# Commands that write to the store: each says where it writes, and refuses the demo's database unless --demo.
WRITING_COMMANDS = ("import", "remind", "seed", "retention", "radera", "daily-counts")


def _writing_target(args: argparse.Namespace) -> str | None:
    """The database URL this command will write to (printed), or None after refusing the demo's database."""
    from progress.db import DEMO_SQLITE_PATH, database_url, shown_url

    url = args.database_url or database_url("demo" if args.demo else None)
    print(f"Databas: {shown_url(url)}", file=sys.stderr)
    if not args.demo and (_same_file(url, DEMO_SQLITE_PATH) or _is_demo_database(url)):
        print("Det här är demons databas (fiktiva personer). Ange --database-url för kommunens databas, "
              "eller --demo om du verkligen vill skriva i demon.", file=sys.stderr)
        return None
    return url


def _same_file(url: str, path: Path) -> bool:
    if not url.startswith("sqlite"):
        return False
    named = url.split("///", 1)[-1]
    return bool(named) and named != ":memory:" and Path(named).resolve() == path.resolve()


def _is_demo_database(url: str) -> bool:
    """Made by the demo seed. Never creates a database to find out: a missing SQLite file is not the demo's."""
    from sqlalchemy import inspect

    from progress.db import Database, make_engine
    from progress.seed import is_demo_database

    if url.startswith("sqlite") and not _sqlite_file_exists(url):
        return False
    engine = make_engine(url)
    try:
        return inspect(engine).has_table("store_meta") and is_demo_database(Database(engine))
    except Exception:  # unreachable or not ours: the command itself reports that, in its own words
        return False
    finally:
        engine.dispose()


def _sqlite_file_exists(url: str) -> bool:
    named = url.split("///", 1)[-1]
    return bool(named) and named != ":memory:" and Path(named).exists()


# Commands that work on the store: each module has `add_command(subparsers)`, which registers its parser with
# `set_defaults(run=...)`.
FOLLOW_UP_COMMANDS = ("progress.importer", "progress.reminders", "progress.annual", "progress.privacy",
                      "progress.daily_counts")


def _seed(args: argparse.Namespace) -> int:
    from progress.seed import seed_command

    return seed_command(args)
