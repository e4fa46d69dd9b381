"""`python -m bench profile`: where the app server's time goes under N learners (py-spy, sampled from outside).

Seeds a store, starts the app on it, lets N distinct learners play (or rerun their home page) as fast as the
server lets them, and meanwhile samples the server with `py-spy record --gil` (only the thread holding the GIL:
the server is bound by it, so these samples are its CPU). Prints the share of samples spent in (inclusive) the
project's own functions and in the libraries under them, and the hottest leaf functions. py-spy is a dev tool,
not a dependency: `.venv/bin/pip install py-spy`.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import servers
from bench.learner import Learner, correct_option_texts
from bench.runner import HomeDriver, PlayDriver, open_all
from bench.servers import BenchError, Resources, StreamlitServer
from bench.streamlit_client import Session

APP = servers.PROJECT_ROOT / "app.py"
PROJECT_DIRS = ("views/", "progress/", "course/", "i18n/", "app.py")
AREAS = (("sqlalchemy", "sqlalchemy/"), ("sqlite3 / psycopg driver", ("sqlite3/", "psycopg/")),
         ("streamlit", "streamlit/"), ("protobuf", "google/protobuf"), ("pydantic", "pydantic"),
         ("yaml", "yaml/"), ("project code", PROJECT_DIRS), ("asyncio / threading", ("asyncio/", "threading.py")))


def _short(path: str) -> str:
    """A project file relative to the project, a library's from its package on, else the file's name."""
    root = f"{servers.PROJECT_ROOT}/"
    if path.startswith(root) and "/.venv/" not in path:
        return path[len(root):]
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    if "/lib/python3" in path:  # the standard library: asyncio/events.py, threading.py
        return path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return path.rsplit("/", 1)[-1]


def _frames(stack: str) -> list[tuple[str, str]]:
    """py-spy raw stack 'f (file);g (file)' (outermost first) -> [(function, file)]."""
    frames = []
    for part in stack.split(";"):
        name, _, where = part.rpartition(" (")
        frames.append((name or part, _short(where.rstrip(")"))))
    return frames


def _area(path: str) -> str:
    for name, marks in AREAS:
        if any(mark in path for mark in ((marks,) if isinstance(marks, str) else marks)):
            return name
    return "other"


def summarize(raw: str, top: int = 25) -> list[str]:
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = _frames(stack)
        for label in {f"{name} ({where})" for name, where in frames if where.startswith(PROJECT_DIRS)}:
            inclusive[label] += n
        name, where = frames[-1]
        leaf[f"{name} ({where})"] += n
        areas[_area(where)] += n
    if not total:
        return ["no samples (is the server busy? py-spy needs ptrace rights)"]
    out = [f"{total} samples holding the GIL", "", "time in the project's functions (inclusive, % of samples):"]
    out += [f"  {100 * n / total:5.1f} %  {label}" for label, n in inclusive.most_common(top)]
    out += ["", "where the samples were when taken (the leaf frame's library):"]
    out += [f"  {100 * n / total:5.1f} %  {name}" for name, n in areas.most_common()]
    out += ["", "hottest leaf functions:"]
    out += [f"  {100 * n / total:5.1f} %  {label}" for label, n in leaf.most_common(top)]
    return out


def profile(learners: int, seconds: float, workload: str = "play", database: str = "sqlite",
            raw: Path | None = None) -> int:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    resources = Resources()
    work = Path(tempfile.mkdtemp(prefix="gransfall-profile-"))
    try:
        url = (f"sqlite:///{work / 'profile.sqlite'}" if database == "sqlite"
               else resources.postgres_database("gransfall_profile"))
        servers.seed(url, max(300, learners + 60))
        people = servers.learners(url, learners)
        app = resources.server(StreamlitServer("app", APP, servers.app_env(url), work))
        app.wait_ready()
        raw_path = work / "profile.txt"
        correct = correct_option_texts()

        async def load() -> int:
            if workload == "home":
                drivers = [HomeDriver(Session(app.ws_url, {"as": p})) for p in people]
            else:
                drivers = []
                for p in people:
                    session = Session(app.ws_url, {"as": p})
                    drivers.append(PlayDriver(session, Learner(session, p, random.Random(p), correct_texts=correct)))
            await open_all(drivers)
            loop = asyncio.get_running_loop()
            stop_at = loop.time() + seconds + 4
            reruns = 0

            async def worker(driver) -> None:
                nonlocal reruns
                while loop.time() < stop_at:
                    await driver.rerun()
                    reruns += 1

            sampler = await asyncio.create_subprocess_exec(
                spy, "record", "--pid", str(app.pid), "--duration", str(int(seconds)), "--format", "raw",
                "--gil", "--nolineno", "--full-filenames", "--nonblocking", "--output", str(raw_path),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                async with asyncio.timeout(seconds + 120):
                    await asyncio.gather(*(worker(d) for d in drivers))
                    await sampler.wait()
            finally:
                if sampler.returncode is None:
                    sampler.terminate()  # only the sampler this run started
                await asyncio.gather(*(d.session.close() for d in drivers))
            problems = [p for d in drivers for p in d.problems]
            if problems:
                print(f"problems seen while profiling: {len(problems)}, e.g. {problems[:3]}")
            return reruns

        reruns = asyncio.run(load())
        print(f"\n{learners} learners ({workload}) on {database}, {reruns} reruns in about {seconds + 4:.0f} s;"
              f" py-spy sampled the server (pid {app.pid}) for {seconds:.0f} s\n")
        if not raw_path.exists():
            raise BenchError("py-spy wrote no profile (it needs ptrace rights on the server)")
        print("\n".join(summarize(raw_path.read_text())))
        if raw is not None:
            shutil.copyfile(raw_path, raw)
            print(f"\npy-spy's raw stacks: {raw}")
        return 0
    finally:
        resources.close()
        shutil.rmtree(work, ignore_errors=True)
