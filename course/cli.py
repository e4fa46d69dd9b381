"""python -m course lint | stats | seed | import | remind | report"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from course.content.loader import default_content_root, load_course


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description="Gränsfall: kursens verktyg.")
    commands = parser.add_subparsers(dest="command", required=True)

    lint = commands.add_parser("lint", help="validera allt innehåll; exit 1 om något är fel")
    lint.add_argument("content_root", nargs="?", type=Path, help="mappen med modules/, scenarios/, quizzes/")
    lint.add_argument("--format", choices=["text", "json"], default="text")

    stats = commands.add_parser("stats", help="räkna innehållet")
    stats.add_argument("content_root", nargs="?", type=Path)
    stats.add_argument("--json", action="store_true", help="skriv ut som JSON")

    seed = commands.add_parser("seed", help="skapa en syntetisk kommun med historik i databasen")
    seed.add_argument("--employees", type=int, default=300)
    seed.add_argument("--history-years", type=int, default=2)
    seed.add_argument("--database-url", help="annars COURSE_DATABASE_URL eller demodatabasen")
    seed.add_argument("--random-seed", type=int, default=7)
    seed.add_argument("--replace", action="store_true", help="töm databasen först (all data försvinner)")

    for name in FOLLOW_UP_COMMANDS:  # each module adds its own subcommand and sets `run`
        importlib.import_module(name).add_command(commands)

    args = parser.parse_args(argv)
    run = getattr(args, "run", None) or {"lint": _lint, "stats": _stats, "seed": _seed}[args.command]
    return run(args)


# Commands that work on the store: each module has `add_command(subparsers)`, which registers its parser with
# `set_defaults(run=...)`.
FOLLOW_UP_COMMANDS = ("progress.importer", "progress.reminders", "progress.annual")


def _lint(args: argparse.Namespace) -> int:
    root = args.content_root or default_content_root()
    result = load_course(root)
    if args.format == "json":
        print(json.dumps({"files": result.files, "problems": [p.as_dict() for p in result.problems]},
                         ensure_ascii=False, indent=2))
    else:
        for problem in result.problems:
            print(problem.as_text())
        count = len(result.problems)
        summary = f"{result.files} filer, {count} problem" if count else f"{result.files} filer, inga problem"
        print(summary, file=sys.stderr)
    return 1 if result.problems else 0


def _stats(args: argparse.Namespace) -> int:
    from course.analytics import content_stats

    result = load_course(args.content_root or default_content_root())
    if not result.ok:
        for problem in result.problems:
            print(problem.as_text(), file=sys.stderr)
        print("Innehållet har fel; kör 'python -m course lint' och rätta dem först.", file=sys.stderr)
        return 1
    stats = content_stats(result.course)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        for key, value in stats.items():
            print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from progress.seed import seed_command

    return seed_command(args)
