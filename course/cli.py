"""python -m course lint | stats | coverage | graph | seed | import | remind | report | retention |
registerutdrag | radera | daily-counts"""

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

    coverage = commands.add_parser("coverage", help="fakta.md:s regelavsnitt mot spårens scenarier och frågor, "
                                                    "med kraven i config/coverage.yaml; exit 1 vid en lucka")
    coverage.add_argument("--track", help="bara detta spår (ett id i config/tracks.yaml)")
    coverage.add_argument("--format", choices=["table", "json"], default="table")
    coverage.add_argument("--content-root", type=Path, help="mappen med modules/, scenarios/, quizzes/")

    graph = commands.add_parser("graph", help="rita ett scenarios noder, val och slut (SVG, DOT eller text)")
    graph.add_argument("scenario_id", metavar="SCENARIO_ID")
    graph.add_argument("--out", type=Path, help="skriv till en fil (t.ex. scenario.svg) i stället för till skärmen")
    graph.add_argument("--format", choices=["svg", "dot", "text"],
                       help="standard: svg för en fil som slutar på .svg, dot för .dot/.gv, annars text")
    graph.add_argument("--content-root", type=Path, help="mappen med modules/, scenarios/, quizzes/")

    seed = commands.add_parser("seed", help="skapa en syntetisk kommun med historik i databasen")
    seed.add_argument("--employees", type=int, default=300)
    seed.add_argument("--history-years", type=int, default=2)
    seed.add_argument("--database-url", help="annars COURSE_DATABASE_URL, eller demons fil med --demo")
    seed.add_argument("--random-seed", type=int, default=7)
    seed.add_argument("--replace", action="store_true", help="töm databasen först (all data försvinner)")

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
    run = getattr(args, "run", None) or {"lint": _lint, "stats": _stats, "coverage": _coverage, "graph": _graph,
                                           "seed": _seed}[args.command]
    return run(args)


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


def _clean_content(root: Path):
    """The loaded content, or None after printing its problems: a command that reads the course needs it whole."""
    result = load_course(root)
    if result.ok:
        return result
    for problem in result.problems:
        print(problem.as_text(), file=sys.stderr)
    print("Innehållet har fel; kör 'python -m course lint' och rätta dem först.", file=sys.stderr)
    return None


def _stats(args: argparse.Namespace) -> int:
    from course.analytics import content_stats

    result = _clean_content(args.content_root or default_content_root())
    if result is None:
        return 1
    stats = content_stats(result.course)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        for key, value in stats.items():
            print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    return 0


def _graph(args: argparse.Namespace) -> int:
    import difflib

    from course import graph

    result = _clean_content(args.content_root or default_content_root())
    if result is None:
        return 1
    scenarios = sorted(result.course.scenarios)
    if args.scenario_id not in result.course.scenarios:
        close = difflib.get_close_matches(args.scenario_id, scenarios, n=5, cutoff=0.5)
        if close:
            hint = f"Menade du: {', '.join(close)}?"
        else:
            hint = f"Kursens scenarier: {', '.join(scenarios)}."
        print(f"Scenariot '{args.scenario_id}' finns inte. {hint}", file=sys.stderr)
        return 2
    drawn = graph.scenario_graph(result.course, args.scenario_id)
    suffix = args.out.suffix.lower() if args.out else ""
    chosen = args.format or {".svg": "svg", ".dot": "dot", ".gv": "dot"}.get(suffix, "text")
    output = {"svg": graph.render_svg, "dot": graph.render_dot, "text": graph.render_text}[chosen](drawn)
    if args.out is None:
        sys.stdout.write(output)
        return 0
    args.out.write_text(output, encoding="utf-8")
    print(f"Skrev {args.out} ({chosen}: {len(drawn.nodes)} noder, {len(drawn.edges)} val).", file=sys.stderr)
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from course.content.coverage_config import load_requirements, requirements_file
    from course.content.problems import shown_path
    from course.coverage import as_json, as_table, coverage

    root = args.content_root or default_content_root()
    result = _clean_content(root)
    if result is None:
        return 1
    course = result.course
    if args.track is not None and args.track not in course.tracks:
        print(f"Spåret '{args.track}' finns inte. Spåren är: {', '.join(course.tracks)}.", file=sys.stderr)
        return 2
    path = requirements_file(root)
    requirements, _ = load_requirements(path, shown_path(path, root), list(course.tracks.values()),
                                        course.modules, course.scenarios)
    if requirements is None:
        print(f"Inga krav: {shown_path(path, root)} saknas, så inget kan vara en lucka.", file=sys.stderr)
    report = coverage(course, requirements, args.track)
    if args.format == "json":
        print(json.dumps(as_json(report), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(as_table(report))
    gaps = len(report.gaps)
    print(f"{gaps} luckor i det som krävs" if gaps else "Inga luckor i det som krävs", file=sys.stderr)
    return 1 if gaps else 0


def _seed(args: argparse.Namespace) -> int:
    from progress.seed import seed_command

    return seed_command(args)
