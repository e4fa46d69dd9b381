"""`python -m bench`: the learner's pages against a trivial one-button page, side by side, in one run.

Two servers are started from the project root (the same `.streamlit/config.toml` for both): the app in demo
mode on a store seeded for the run (`python -m course seed`), and `bench/pages/one_button.py`. At each level of
concurrency (100, 20, then 1 sessions: the largest first, so that the memory per session is measured on a
server that has served no other sessions yet) three workloads are opened, each with its own sessions:

- trivial: the one-button page; every rerun clicks its button.
- home: "Min utbildning" of a distinct learner (`?as=p000123`); every rerun is a plain rerun of the page.
- play: a distinct learner playing modules (`bench.learner`): every rerun is what a person would click next,
  mostly submitting a scenario's or a quiz's answer through the form, with real widget values.

Then measurement rounds alternate between the workloads (trivial, home, play, then the other way round), so
that the machine's drift hits all three. A round is one busy period: every session keeps one rerun in flight
(send, wait for `script_finished`, send again) for the round's length; the round ends when the last rerun has
finished. reruns/s = reruns finished / length of the busy period; latency is each rerun's round trip. The
servers' CPU comes from /proc, memory per session from the app server's RSS before the sessions were opened and
after the rounds, with every session still open, divided by the sessions opened on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench import servers
from bench.learner import Learner, correct_option_texts, problems_on
from bench.measure import Rounds, settled_cpu_seconds
from bench.servers import BenchError, Resources, StreamlitServer
from bench.streamlit_client import Session

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.json"
ONE_BUTTON = BENCH_DIR / "pages" / "one_button.py"
APP = servers.PROJECT_ROOT / "app.py"
FIRST_RUN_TIMEOUT_S = 120.0
RERUN_TIMEOUT_S = 60.0
OPEN_CONCURRENCY = 20  # sessions connecting and drawing their first page at once
WORKLOADS = ("trivial", "home", "play")

# Targets (issue 10, point 4), on this 2-core machine
MIN_RATE_RATIO = 0.5  # learner pages' reruns/s at 20 and 100 sessions, against the trivial page's
MAX_P95_RATIO = 2.0  # learner pages' p95 at 100 sessions, against the trivial page's
MAX_MB_PER_SESSION = 3.0


# --- the three kinds of session ------------------------------------------------------------------------------

class Driver:
    """One session of a workload: `first()` draws its first page, `rerun()` makes one rerun and returns the
    latency. Problems (exceptions, error pages) are counted, never hidden."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.problems: list[str] = []
        self.answers = 0
        self.deltas = 0  # elements and blocks sent by the server, over this session's reruns

    async def first(self) -> None:
        result = await self.session.run(timeout=FIRST_RUN_TIMEOUT_S)
        self._check(result)

    async def rerun(self) -> float:
        raise NotImplementedError

    def _check(self, result) -> None:
        self.deltas += result.deltas
        if not result.finished:
            self.problems.append(result.status)
        self.problems += problems_on(result.page)


class TrivialDriver(Driver):
    async def first(self) -> None:
        await super().first()
        if self.session.page.widget("click") is None:
            raise BenchError("the one-button page drew no button")

    async def rerun(self) -> float:
        result = await self.session.run(self.session.page.widget("click"), timeout=RERUN_TIMEOUT_S)
        self._check(result)
        return result.latency_s


class HomeDriver(Driver):
    async def first(self) -> None:
        await super().first()
        if not self.session.page.with_key_prefix("open-"):
            raise BenchError(f"the learner's home page drew no module ({self.session.query_string}): "
                             f"{self.problems or self.session.page.texts()[:5]}")

    async def rerun(self) -> float:
        result = await self.session.run(timeout=RERUN_TIMEOUT_S)
        self._check(result)
        return result.latency_s


class PlayDriver(Driver):
    def __init__(self, session: Session, learner: Learner) -> None:
        super().__init__(session)
        self.learner = learner

    async def first(self) -> None:
        step = await self.learner.first_run(FIRST_RUN_TIMEOUT_S)
        self.problems += step.problems

    async def rerun(self) -> float:
        step = await self.learner.step(RERUN_TIMEOUT_S)
        self.problems += step.problems
        self.deltas += step.result.deltas
        self.answers += step.answer is not None
        return step.result.latency_s


# --- measuring -----------------------------------------------------------------------------------------------

@dataclass
class Round:
    window_s: float
    latencies: list[float]
    server_cpu_s: float
    client_cpu_s: float
    answers: int
    failures: int
    deltas: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.window_s if self.window_s else 0.0


@dataclass
class Cell(Rounds):
    """One workload at one level of concurrency."""

    workload: str
    sessions: int
    rounds: list[Round] = field(default_factory=list)
    rss_before_mb: float = float("nan")
    rss_after_mb: float = float("nan")
    sessions_on_server: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def cpu_ms_per_rerun(self) -> float:
        return 1000 * sum(r.server_cpu_s for r in self.rounds) / self.reruns if self.reruns else float("nan")

    @property
    def deltas_per_rerun(self) -> float:
        return sum(r.deltas for r in self.rounds) / self.reruns if self.reruns else float("nan")

    def as_dict(self) -> dict:
        rates = [r.rate for r in self.rounds]
        return {"sessions": self.sessions, "reruns": self.reruns, "seconds": round(self.window_s, 2),
                "reruns_per_s": round(self.rate, 2), "latency_p50_ms": round(self.latency_ms(0.5), 1),
                "latency_p95_ms": round(self.latency_ms(0.95), 1),
                "server_cpu_ms_per_rerun": round(self.cpu_ms_per_rerun, 2),
                "elements_per_rerun": round(self.deltas_per_rerun, 1),
                "client_cpu_util": round(sum(r.client_cpu_s for r in self.rounds) / self.window_s, 3)
                if self.window_s else None,
                "answers": sum(r.answers for r in self.rounds), "failures": sum(r.failures for r in self.rounds),
                "per_round_reruns_per_s": [round(x, 2) for x in rates],
                "problems": len(self.problems), "problem_examples": sorted(set(self.problems))[:5]}


async def measure_round(server: StreamlitServer, drivers: list[Driver], seconds: float) -> Round:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    failures = 0
    answers0, deltas0 = sum(d.answers for d in drivers), sum(d.deltas for d in drivers)
    cpu0, client0 = servers.cpu_seconds(server.pid), time.process_time()
    started = loop.time()
    stop_at = started + seconds

    async def worker(driver: Driver) -> None:
        nonlocal failures
        while loop.time() < stop_at:
            try:
                latencies.append(await driver.rerun())
            except Exception as error:  # a timeout or a closed connection: counted and shown, never hidden
                failures += 1
                driver.problems.append(f"failed: {type(error).__name__}: {error}"[:200])
                return

    async with asyncio.timeout(seconds + RERUN_TIMEOUT_S + 30):
        await asyncio.gather(*(worker(d) for d in drivers))
    ended = loop.time()
    client1 = time.process_time()
    cpu1 = await settled_cpu_seconds(server.pid)
    return Round(ended - started, latencies, cpu1 - cpu0, client1 - client0,
                 sum(d.answers for d in drivers) - answers0, failures, sum(d.deltas for d in drivers) - deltas0)


async def open_all(drivers: list[Driver]) -> None:
    limit = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(driver: Driver) -> None:
        async with limit:
            await driver.session.open()
            await driver.first()

    await asyncio.gather(*(one(d) for d in drivers))


async def _close(drivers: list[Driver]) -> None:
    await asyncio.gather(*(d.session.close() for d in drivers))


@dataclass
class Setup:
    trivial: StreamlitServer
    app: StreamlitServer
    people: list[str]
    correct: dict[str, tuple[str, ...]]
    seed: int = 1


async def measure_level(setup: Setup, sessions: int, rounds: int, seconds: float, warmup: float,
                        learners_from: int) -> dict[str, Cell]:
    people = setup.people[learners_from:learners_from + 2 * sessions]
    if len(people) < 2 * sessions:
        raise BenchError(f"{2 * sessions} distinct learners needed at {sessions} sessions, {len(people)} left")
    cells = {name: Cell(name, sessions) for name in WORKLOADS}
    server_of = {"trivial": setup.trivial, "home": setup.app, "play": setup.app}
    drivers: dict[str, list[Driver]] = {name: [] for name in WORKLOADS}
    rss0 = {server.label: servers.rss_mb(server.pid) for server in (setup.trivial, setup.app)}
    try:
        drivers["trivial"] = [TrivialDriver(Session(setup.trivial.ws_url)) for _ in range(sessions)]
        drivers["home"] = [HomeDriver(Session(setup.app.ws_url, {"as": p})) for p in people[:sessions]]
        drivers["play"] = [PlayDriver(session := Session(setup.app.ws_url, {"as": p}),
                                      Learner(session, p, random.Random(f"{setup.seed}-{p}"),
                                              correct_texts=setup.correct))
                           for p in people[sessions:]]
        for name in WORKLOADS:
            print(f"  opening {sessions} {name} sessions ...", flush=True)
            await open_all(drivers[name])
        if warmup > 0:
            for name in WORKLOADS:
                await measure_round(server_of[name], drivers[name], warmup)
        for r in range(rounds):
            order = WORKLOADS if r % 2 == 0 else WORKLOADS[::-1]
            for name in order:
                result = await measure_round(server_of[name], drivers[name], seconds)
                cells[name].rounds.append(result)
                print(f"  {sessions:3d} sessions  round {r + 1}/{rounds}  {name:<8} {result.rate:7.1f} reruns/s"
                      f"  ({len(result.latencies)} in {result.window_s:.1f} s, server CPU"
                      f" {1000 * result.server_cpu_s / max(len(result.latencies), 1):.1f} ms/rerun)", flush=True)
        rss1 = {server.label: servers.rss_mb(server.pid) for server in (setup.trivial, setup.app)}
        for name in WORKLOADS:
            server = server_of[name]
            cells[name].rss_before_mb = rss0[server.label]
            cells[name].rss_after_mb = rss1[server.label]
            cells[name].sessions_on_server = sessions * (2 if server is setup.app else 1)
            cells[name].problems = [p for d in drivers[name] for p in d.problems]
    finally:
        for name in WORKLOADS:
            await _close(drivers[name])
    return cells


# --- the table and the targets --------------------------------------------------------------------------------

def _mb_per_session(cell: Cell) -> float:
    return (cell.rss_after_mb - cell.rss_before_mb) / cell.sessions_on_server if cell.sessions_on_server else 0.0


def targets(levels: dict[int, dict[str, Cell]], tracebacks: list[str]) -> list[dict]:
    checks = []
    for n in (20, 100):
        if n not in levels:
            continue
        base = levels[n]["trivial"].rate
        for name in ("home", "play"):
            value = levels[n][name].rate
            checks.append({"what": f"{name} reruns/s at {n} sessions >= {MIN_RATE_RATIO} x trivial",
                           "value": round(value, 2), "baseline": round(base, 2),
                           "ratio": round(value / base, 3) if base else None,
                           "pass": bool(base) and value >= MIN_RATE_RATIO * base})
    if 100 in levels:
        base = levels[100]["trivial"].latency_ms(0.95)
        for name in ("home", "play"):
            value = levels[100][name].latency_ms(0.95)
            checks.append({"what": f"{name} p95 at 100 sessions <= {MAX_P95_RATIO} x trivial p95",
                           "value": round(value, 1), "baseline": round(base, 1),
                           "ratio": round(value / base, 3) if base else None, "pass": value <= MAX_P95_RATIO * base})
        app = levels[100]["home"]
        value = _mb_per_session(app)
        checks.append({"what": f"app server MB per open session at 100 + 100 sessions < {MAX_MB_PER_SESSION}",
                       "value": round(value, 3), "baseline": round(_mb_per_session(levels[100]["trivial"]), 3),
                       "ratio": None, "pass": value < MAX_MB_PER_SESSION})
    problems = sum(len(cell.problems) for cells in levels.values() for cell in cells.values())
    checks.append({"what": "no exception, error page or failed rerun in any session", "value": problems,
                   "baseline": 0, "ratio": None, "pass": problems == 0})
    checks.append({"what": "no traceback in the servers' logs", "value": len(tracebacks), "baseline": 0,
                   "ratio": None, "pass": not tracebacks, "examples": sorted(set(tracebacks))[:5]})
    return checks


def print_table(levels: dict[int, dict[str, Cell]], checks: list[dict], machine: dict) -> None:
    print()
    print(f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gb']} GB, load average"
          f" {machine['load_average_start']} at the start and {machine['load_average']} at the end")
    head = ["sessions", "trivial reruns/s", "home reruns/s (ratio)", "play reruns/s (ratio)",
            "trivial p50/p95 ms", "home p50/p95 ms", "play p50/p95 ms", "CPU ms/rerun t/h/p",
            "elements/rerun t/h/p"]
    rows = []
    for n in sorted(levels):
        c = levels[n]
        base = c["trivial"].rate

        def ratio(cell: Cell) -> str:
            return f"{cell.rate:.1f} ({cell.rate / base:.2f})" if base else f"{cell.rate:.1f}"

        rows.append([str(n), f"{base:.1f}", ratio(c["home"]), ratio(c["play"]),
                     *(f"{c[w].latency_ms(0.5):.0f} / {c[w].latency_ms(0.95):.0f}" for w in WORKLOADS),
                     " / ".join(f"{c[w].cpu_ms_per_rerun:.1f}" for w in WORKLOADS),
                     " / ".join(f"{c[w].deltas_per_rerun:.0f}" for w in WORKLOADS)])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for row in rows:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths)))
    if 100 in levels:
        c = levels[100]
        print(f"memory at 100 sessions: app {_mb_per_session(c['home']):.2f} MB per open session"
              f" ({c['home'].rss_before_mb:.0f} -> {c['home'].rss_after_mb:.0f} MB for"
              f" {c['home'].sessions_on_server} sessions), trivial page {_mb_per_session(c['trivial']):.2f} MB"
              f" ({c['trivial'].rss_before_mb:.0f} -> {c['trivial'].rss_after_mb:.0f} MB)")
    answers = sum(levels[n]["play"].as_dict()["answers"] for n in levels)
    print(f"answers submitted by the playing learners (measured rounds): {answers}")
    print("\nTargets:")
    for check in checks:
        ratio = f" ({check['ratio']:.2f} x)" if check["ratio"] is not None else ""
        print(f"  [{'PASS' if check['pass'] else 'FAIL'}] {check['what']}: {check['value']}{ratio}"
              f" (baseline {check['baseline']})")
    for example in next((c.get("examples", []) for c in checks if c["what"].startswith("no traceback")), []):
        print(f"  traceback in a server's log: {example}")
    for n in sorted(levels):
        for name, cell in levels[n].items():
            if cell.problems:
                print(f"  problems, {name} at {n} sessions: {len(cell.problems)}, e.g. {sorted(set(cell.problems))[:3]}")


# --- the run ---------------------------------------------------------------------------------------------------

def save_results(path: Path, parts: dict) -> None:
    """Write `parts` ("bench", "dashboard", "soak") into the results file, keeping the other modes' latest results."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        results = {}
    if not isinstance(results, dict):
        results = {}
    results.update(parts)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _dashboard(extra: list[str]) -> dict:
    """bench/dashboard.py as it is (it seeds 60,000 people once into bench/data/), its output kept."""
    print("\nRunning bench/dashboard.py (the first run seeds 60,000 people) ...", flush=True)
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(BENCH_DIR / "dashboard.py"), *extra], cwd=servers.PROJECT_ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=3 * 3600)
    output = result.stdout.decode(errors="replace")
    print(output)
    return {"returncode": result.returncode, "seconds": round(time.monotonic() - started, 1),
            "output": output.splitlines()[-60:]}


def run(args: argparse.Namespace) -> int:
    resources = Resources()
    work = Path(tempfile.mkdtemp(prefix="gransfall-bench-"))
    code = 1
    try:
        code = servers.exit_code("bench", lambda: _run(args, resources, work))
        return code
    finally:
        resources.close()
        if code == 0 and not args.keep:
            for path in sorted(work.glob("*"), reverse=True):
                path.unlink(missing_ok=True)
            work.rmdir()
        elif code != 0:
            print(f"server logs and the store kept in {work}", file=sys.stderr)


def _run(args: argparse.Namespace, resources: Resources, work: Path) -> int:
    levels_wanted = sorted({int(x) for x in args.sessions.split(",")}, reverse=True)
    rounds, seconds, warmup = (args.rounds, args.seconds, args.warmup)
    needed = 2 * sum(levels_wanted)
    started_at = datetime.now().isoformat(timespec="seconds")
    load_start = [round(x, 2) for x in os.getloadavg()]
    url = f"sqlite:///{work / 'learners.sqlite'}"
    employees = max(args.employees, int(needed * 1.15) + 20)
    print(f"Seeding {employees} employees into {url} ...", flush=True)
    servers.seed(url, employees)
    people = servers.learners(url, needed)
    trivial = resources.server(StreamlitServer("trivial", ONE_BUTTON, None, work))
    app = resources.server(StreamlitServer("app", APP, servers.app_env(url), work))
    for server in (trivial, app):
        server.wait_ready()
        print(f"Started {server.label}: pid {server.pid}, http://{servers.HOST}:{server.port}", flush=True)
    setup = Setup(trivial, app, people, correct_option_texts())

    async def measure() -> dict[int, dict[str, Cell]]:
        # the first run of each server loads the course, the store and the imports: not measured
        for server, query in ((trivial, {}), (app, {"as": people[-1]})):
            warm = Session(server.ws_url, query)
            await warm.open()
            await warm.run(timeout=FIRST_RUN_TIMEOUT_S)
            await warm.close()
        levels: dict[int, dict[str, Cell]] = {}
        used = 0
        for n in levels_wanted:
            print(f"\n{n} concurrent sessions per workload:", flush=True)
            levels[n] = await measure_level(setup, n, rounds, seconds, warmup, used)
            used += 2 * n
        return levels

    budget = 600 + len(levels_wanted) * (3 * (warmup + rounds * (seconds + RERUN_TIMEOUT_S + 40)) + 300)
    levels = asyncio.run(asyncio.wait_for(measure(), timeout=budget))
    machine = servers.machine()
    machine["load_average_start"] = load_start
    checks = targets(levels, app.tracebacks() + trivial.tracebacks())
    print_table(levels, checks, machine)
    result = {"started": started_at, "machine": machine,
              "settings": {"rounds": rounds, "seconds_per_round": seconds, "warmup_s": warmup,
                           "employees_seeded": employees, "quick": args.quick},
              "levels": {str(n): {name: cell.as_dict() for name, cell in levels[n].items()}
                         for n in sorted(levels)},
              "memory_mb_per_session_at_100": {
                  "app": round(_mb_per_session(levels[100]["home"]), 3),
                  "trivial": round(_mb_per_session(levels[100]["trivial"]), 3)} if 100 in levels else None,
              "targets": checks}
    for server in (app, trivial):
        server.stop()
    parts = {"bench": result}
    if args.dashboard:
        parts["dashboard"] = _dashboard(args.dashboard_args)
    save_results(Path(args.json), parts)
    print(f"\nwrote {args.json}")
    return 0
