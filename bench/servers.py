"""Servers and databases for the bench: Streamlit on a free loopback port, a seeded store, a throw-away
PostgreSQL database. Everything started here is stopped by its own pid (or dropped) on exit, also on errors,
Ctrl-C or SIGTERM (see `Resources`); every wait has a limit."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
POSTGRES_ADMIN_URL = os.environ.get("COURSE_TEST_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0
SEED_TIMEOUT_S = 600.0

# urllib that ignores *_proxy variables: the health check only ever reaches the loopback server
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BenchError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read().decode()
    fields = data[data.rindex(")") + 2:].split()  # the command (field 2) may hold spaces; it is in parentheses
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict:
    """What the figures were measured on: cores, CPU model, memory, load."""
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    memory_gb = float("nan")
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory_gb = int(line.split()[1]) / 1024 / 1024
    import platform

    return {"nproc": os.cpu_count(), "cpu": model, "memory_gb": round(memory_gb, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version()}


class StreamlitServer:
    """`streamlit run <script>` from the project root, so that every server reads the same
    `.streamlit/config.toml`; only the address and the port are given on the command line. A bench that must not
    read the project's config runs it from another folder (`cwd`) and gives its `options` on the command line."""

    def __init__(self, label: str, script: Path, env: dict[str, str] | None, logdir: Path, cwd: Path = PROJECT_ROOT,
                 options: tuple[str, ...] = ()) -> None:
        self.label = label
        self.script = script
        self.env = env or {}
        self.cwd = cwd
        self.options = options
        self.log_path = logdir / f"server-{label.replace(' ', '_')}.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/_stcore/stream"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "streamlit", "run", str(self.script), "--server.address", HOST,
                   "--server.port", str(self.port), *self.options]
        env = {key: value for key, value in os.environ.items() if not key.startswith("STREAMLIT_")}
        env.update(self.env)
        with open(self.log_path, "ab") as log:
            # start_new_session: a Ctrl-C in the terminal reaches only the bench, which stops its servers itself
            self.proc = subprocess.Popen(command, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        assert self.proc is not None
        url = f"http://{HOST}:{self.port}/_stcore/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"server '{self.label}' exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(urllib.error.URLError, OSError):
                with _NO_PROXY.open(url, timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.2)
        raise BenchError(f"server '{self.label}' not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)  # only the process this object started, by its pid
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_TIMEOUT_S)

    def tracebacks(self) -> list[str]:
        """The exception ending each traceback in the server's log, with the frame it was raised in."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        found, inside, frame = [], False, ""
        for line in lines:
            if line.startswith("Traceback"):
                inside, frame = True, ""
            elif inside and line.startswith("  File "):
                frame = line.strip()
            elif inside and line and not line.startswith(" "):
                found.append(f"{line.strip()}  [{frame}]")
                inside = False
        return found

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


class Resources:
    """What a run started: servers to stop and PostgreSQL databases to drop, in reverse order, once."""

    def __init__(self) -> None:
        self._cleanups: list = []
        atexit.register(self.close)

    def server(self, server: StreamlitServer) -> StreamlitServer:
        self._cleanups.append(server.stop)
        server.start()
        return server

    def postgres_database(self, prefix: str) -> str:
        url = create_postgres_database(prefix)
        self._cleanups.append(lambda: drop_postgres_database(url))
        return url

    def store_url(self, database: str, work: Path, name: str) -> str:
        """A new store for a run: a SQLite file `name`.sqlite in `work`, or a PostgreSQL database gransfall_`name`
        dropped at close."""
        if database == "sqlite":
            return f"sqlite:///{work / f'{name}.sqlite'}"
        if database == "postgresql":
            return self.postgres_database(f"gransfall_{name}")
        raise BenchError(f"unknown database {database!r}: sqlite or postgresql")

    def close(self) -> None:
        while self._cleanups:
            cleanup = self._cleanups.pop()
            with contextlib.suppress(Exception):
                cleanup()


def _raise_interrupt(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so that `finally` blocks stop the servers."""
    signal.signal(signal.SIGTERM, _raise_interrupt)


def exit_code(what: str, run: Callable[[], int], interrupted: str = "interrupted; stopping the servers") -> int:
    """What a bench command returns: `run()`'s code; 130 after Ctrl-C (or SIGTERM, see `stop_on_sigterm`), saying
    `interrupted`; 1 after a failure of the bench itself (a server, a timeout, a file, a subprocess), saying
    "<what> failed: ..." on stderr. The caller's `finally` stops what it started."""
    try:
        return run()
    except KeyboardInterrupt:
        print(f"\n{interrupted}", file=sys.stderr)
        return 130
    except (BenchError, TimeoutError, OSError, subprocess.SubprocessError) as error:
        print(f"{what} failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


# --- databases ---------------------------------------------------------------------------------------------

def _as_postgres_admin(statement: str) -> None:
    """One statement on the server's admin database, outside a transaction (as CREATE/DROP DATABASE must be)."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def create_postgres_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _as_postgres_admin(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _as_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(database_url: str, employees: int) -> None:
    """`python -m course seed` into an empty database: the demo's mark, so demo mode (and ?as=) runs on it."""
    command = [sys.executable, "-m", "course", "seed", "--employees", str(employees), "--database-url",
               database_url]
    result = subprocess.run(command, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=SEED_TIMEOUT_S)
    if result.returncode != 0:
        raise BenchError(f"seed failed ({result.returncode}): {result.stderr.decode(errors='replace')[-2000:]}")


def learners(database_url: str, count: int, today: date | None = None) -> list[str]:
    """`count` distinct generated employees (p000123) who may use the course today: started, not left."""
    from sqlalchemy import create_engine, select

    from progress.models import Person, PersonRole

    today = today or date.today()
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Person.id).join(PersonRole, PersonRole.person_id == Person.id)
                .where(PersonRole.role == "medarbetare", Person.id.like("p%"), Person.start_date <= today,
                       (Person.end_date.is_(None)) | (Person.end_date >= today))
                .order_by(Person.id)).scalars().all()
    finally:
        engine.dispose()
    if len(rows) < count:
        raise BenchError(f"the seeded store has {len(rows)} employed learners, {count} needed")
    return list(rows[:count])


def app_env(database_url: str) -> dict[str, str]:
    return {"COURSE_AUTH": "demo", "COURSE_DATABASE_URL": database_url}
