"""The engine's commands: python -m course lint | stats | coverage | graph. They read the content only; the
commands that need the store (seed, import, remind, report, ...) are added by progress/cli.py, which is what
`python -m course` runs."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from course.content.loader import default_content_root, load_course


def main(argv: list[str] | None = None) -> int:
    """The engine's own commands only (the content: lint, stats, coverage, graph). `python -m course` runs
    progress.cli.main, which adds the commands that need the store."""
    parser, commands = new_parser()
    add_content_commands(commands)
    args = parser.parse_args(argv)
    return args.run(args)


def new_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = argparse.ArgumentParser(prog="python -m course", description="Gränsfall: kursens verktyg.")
    return parser, parser.add_subparsers(dest="command", required=True)


def add_content_commands(commands: argparse._SubParsersAction) -> None:
    """lint, stats, coverage and graph: they read the content and nothing else."""
    lint = commands.add_parser("lint", help="validera allt innehåll; exit 1 om något är fel")
    lint.add_argument("content_root", nargs="?", type=Path, help="mappen med modules/, scenarios/, quizzes/")
    lint.add_argument("--format", choices=["text", "json"], default="text")
    lint.set_defaults(run=_lint)

    stats = commands.add_parser("stats", help="räkna innehållet")
    stats.add_argument("content_root", nargs="?", type=Path)
    stats.add_argument("--json", action="store_true", help="skriv ut som JSON")
    stats.set_defaults(run=_stats)

    coverage = commands.add_parser("coverage", help="fakta.md:s regelavsnitt mot spårens scenarier och frågor, "
                                                    "med kraven i config/coverage.yaml; exit 1 vid en lucka")
    coverage.add_argument("--track", help="bara detta spår (ett id i config/tracks.yaml)")
    coverage.add_argument("--format", choices=["table", "json"], default="table")
    coverage.add_argument("--content-root", type=Path, help="mappen med modules/, scenarios/, quizzes/")
    coverage.set_defaults(run=_coverage)

    graph = commands.add_parser("graph", help="rita ett scenarios noder, val och slut (SVG, DOT eller text)")
    graph.add_argument("scenario_id", metavar="SCENARIO_ID")
    graph.add_argument("--out", type=Path, help="skriv till en fil (t.ex. scenario.svg) i stället för till skärmen")
    graph.add_argument("--format", choices=["svg", "dot", "text"],
                       help="standard: svg för en fil som slutar på .svg, dot för .dot/.gv, annars text")
    graph.add_argument("--content-root", type=Path, help="mappen med modules/, scenarios/, quizzes/")
    graph.set_defaults(run=_graph)


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


def day_argument(value: str) -> date:
    """An argparse type: a day written as ÅÅÅÅ-MM-DD, or a Swedish message."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' är inte ett datum; skriv det som ÅÅÅÅ-MM-DD") from None


def clean_content(root: Path | None = None):
    """The loaded content (the project's own without `root`), or None after printing its problems: a command
    that reads the course needs it whole."""
    result = load_course(root or default_content_root())
    if result.ok:
        return result
    for problem in result.problems:
        print(problem.as_text(), file=sys.stderr)
    print("Innehållet har fel; kör 'python -m course lint' och rätta dem först.", file=sys.stderr)
    return None


def _stats(args: argparse.Namespace) -> int:
    from course.analytics import content_stats

    result = clean_content(args.content_root or default_content_root())
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

    result = clean_content(args.content_root or default_content_root())
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
    result = clean_content(root)
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
