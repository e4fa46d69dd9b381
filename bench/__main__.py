"""python -m bench [--quick] [--dashboard] | python -m bench soak [--quick]

    python -m bench                  learner pages against the trivial page at 1, 20 and 100 sessions (~4 min)
    python -m bench --quick          the same, shorter rounds (~1 min)
    python -m bench --dashboard      also the manager dashboard at 60,000 people (bench/dashboard.py)
    python -m bench soak             200 learners answering for 60 s on SQLite and on PostgreSQL, then the check
    python -m bench profile          where the app server's time goes under 20 learners (needs py-spy)
    python -m bench group            30 phones voting at once in a group session, on SQLite and PostgreSQL

See bench/README.md. Only loopback traffic; every server started is stopped on exit, every database made dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):  # `python bench/__main__.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import group, profile, runner, servers, soak  # noqa: E402


def _bench_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=runner.__doc__.split("\n\n")[0],
                                epilog="python -m bench soak --help: the load test")
    p.add_argument("--quick", action="store_true", help="short rounds: 1 round of 3 s per workload and level")
    p.add_argument("--sessions", default="1,20,100", help="levels of concurrency, comma-separated (1,20,100)")
    p.add_argument("--rounds", type=int, default=None, help="rounds per workload and level (3; --quick 1)")
    p.add_argument("--seconds", type=float, default=None, help="seconds per round (6; --quick 3)")
    p.add_argument("--warmup", type=float, default=None, help="untimed seconds per workload and level (3; --quick 1)")
    p.add_argument("--employees", type=int, default=0, help="people to seed (default: enough distinct learners)")
    p.add_argument("--json", default=str(runner.RESULTS), help=f"where to write the results ({runner.RESULTS})")
    p.add_argument("--dashboard", action="store_true", help="also run bench/dashboard.py (60,000 people)")
    p.add_argument("--dashboard-args", nargs=argparse.REMAINDER, default=[],
                   help="arguments for bench/dashboard.py, e.g. --dashboard-args --databases sqlite")
    p.add_argument("--keep", action="store_true", help="keep the seeded store and the server logs")
    return p


def _soak_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench soak", description=soak.__doc__.split("\n\n")[0])
    p.add_argument("--learners", type=int, default=200, help="concurrent distinct learners (200)")
    p.add_argument("--seconds", type=float, default=60.0, help="seconds of answering (60)")
    p.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both (both)")
    p.add_argument("--double-send", type=float, default=0.0, help="share of answers sent twice back to back (0)")
    p.add_argument("--quick", action="store_true", help="20 learners for 10 s")
    p.add_argument("--log", default="", help="write the generator's answer log here (JSON lines, one per database)")
    p.add_argument("--keep", action="store_true", help="keep the store and the server log")
    p.add_argument("--json", default=str(runner.RESULTS), help=f"where to write the results ({runner.RESULTS})")
    return p


def _profile_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench profile", description=profile.__doc__.split("\n\n")[0])
    p.add_argument("--learners", type=int, default=20, help="concurrent distinct learners (20)")
    p.add_argument("--seconds", type=float, default=20.0, help="seconds of sampling (20)")
    p.add_argument("--workload", choices=("play", "home"), default="play", help="play modules, or rerun the home page")
    p.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--raw", type=Path, default=None, help="also keep py-spy's raw stacks (collapsed) here")
    return p


def _group_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench group", description=group.__doc__.split("\n\n")[0])
    p.add_argument("--phones", type=int, default=30, help="participants voting at once, distinct people (30)")
    p.add_argument("--idle-seconds", type=float, default=10.0, help="seconds of the phones idle, polling (10)")
    p.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both (both)")
    p.add_argument("--keep", action="store_true", help="keep the store and the server log")
    p.add_argument("--json", default=str(runner.RESULTS), help=f"where to write the results ({runner.RESULTS})")
    return p


def _per_database(name: str, args, run_one: Callable, settings: dict) -> list | int:
    """`run_one(database)` for each of --databases, each result printed; then their summaries under `name` in
    --json with the machine and the load. An exit code instead when interrupted (servers stopped, databases
    dropped)."""
    results = []
    started = datetime.now().isoformat(timespec="seconds")
    load_start = [round(x, 2) for x in os.getloadavg()]

    def each() -> int:
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            result = run_one(database)
            result.print()
            results.append(result)
        return 0

    if code := servers.exit_code(name, each, "interrupted; servers stopped, databases dropped"):
        return code
    if results:
        runner.save_results(Path(args.json), {name: {
            "started": started, "machine": servers.machine(), "load_average_start": load_start,
            "settings": settings, "databases": [r.summary() for r in results]}})
        print(f"\nwrote {args.json}")
    return results


def _group(argv: list[str]) -> int:
    args = _group_parser().parse_args(argv)
    if not 1 <= args.phones <= 80 or not 1 <= args.idle_seconds <= 300:  # the seed has about 120 employed people
        print("--phones 1..80, --idle-seconds 1..300", file=sys.stderr)
        return 2
    results = _per_database("group", args, lambda database: group.group_check(
        database, args.phones, args.idle_seconds, keep=args.keep),
        {"phones": args.phones, "idle_seconds": args.idle_seconds})
    if isinstance(results, int):
        return results
    return 0 if results and all(r.ok for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    servers.stop_on_sigterm()
    if argv[:1] == ["profile"]:
        args = _profile_parser().parse_args(argv[1:])
        if not 1 <= args.learners <= 500 or not 1 <= args.seconds <= 600:
            print("--learners 1..500, --seconds 1..600", file=sys.stderr)
            return 2
        return servers.exit_code("profile", lambda: profile.profile(args.learners, args.seconds, args.workload,
                                                                    args.database, args.raw))
    if argv[:1] == ["group"]:
        return _group(argv[1:])
    if argv[:1] == ["soak"]:
        args = _soak_parser().parse_args(argv[1:])
        if args.quick:
            args.learners, args.seconds = 20, 10.0
        if not 1 <= args.learners <= 1000 or not 0 < args.seconds <= 3600 or not 0 <= args.double_send <= 1:
            print("--learners 1..1000, --seconds 0..3600, --double-send 0..1", file=sys.stderr)
            return 2
        results = _per_database("soak", args, lambda database: soak.soak(
            database, args.learners, args.seconds, double_send_rate=args.double_send, keep=args.keep,
            log_path=Path(f"{args.log}.{database}.jsonl") if args.log else None),
            {"learners": args.learners, "seconds": args.seconds, "double_send": args.double_send})
        if isinstance(results, int):
            return results
        return 0 if results and all(r.ok for r in results) else 1
    args = _bench_parser().parse_args(argv)
    defaults = (1, 3.0, 1.0) if args.quick else (3, 6.0, 3.0)
    args.rounds = args.rounds or defaults[0]
    args.seconds = args.seconds or defaults[1]
    args.warmup = defaults[2] if args.warmup is None else args.warmup
    if args.rounds < 1 or args.rounds > 20 or not 0 < args.seconds <= 600:
        print("--rounds 1..20, --seconds 0..600", file=sys.stderr)
        return 2
    return runner.run(args)


if __name__ == "__main__":
    sys.exit(main())
