"""Benchmark: Streamlit's hidden ``runner.postScriptGC`` option, on vs off.

With ``runner.postScriptGC = true`` (Streamlit's default) the script runner
calls ``gc.collect(2)`` after *every* script run. A full collection walks every
gc-tracked object in the server process and holds the GIL while doing so, so
on a server with a realistic heap it stalls every session, not only the one
that just finished.

This script starts two real Streamlit servers on free 127.0.0.1 ports, one
with ``--runner.postScriptGC true`` and one with ``--runner.postScriptGC
false``, both serving ``bench/pages/trivial_page.py``. It then drives N
concurrent simulated sessions against each over the real websocket protocol
(``/_stcore/stream``, Streamlit's own protobufs): each session sends a
``rerun_script`` BackMsg, waits for the ``script_finished`` ForwardMsg, and
immediately asks again. Measurement rounds alternate between the two servers
(on/off, then off/on, ...) so that machine noise hits both.

Per configuration it reports completed reruns/s, rerun latency, and the
server process's CPU time per rerun (from /proc/<pid>/stat).

Usage (from the project root)::

    .venv/bin/python -m bench.postscript_gc --users 20 --seconds 10

Only loopback traffic; both servers are stopped on exit, error or Ctrl-C;
every wait is bounded. The websocket client is ``websockets``, which is
already installed as a dependency of streamlit (``websockets<18,>=12``).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.measure import Rounds, settled_cpu_seconds
from bench.servers import HOST, BenchError, StreamlitServer, cpu_seconds, exit_code, rss_mb, stop_on_sigterm

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_PAGE = BENCH_DIR / "pages" / "trivial_page.py"

# Upper bounds so that nothing can hang forever.
RERUN_TIMEOUT_S = 30.0  # one rerun round trip (includes queueing behind others)
FIRST_RUN_TIMEOUT_S = 120.0  # first run imports pandas/plotly and builds the heap
CONNECT_TIMEOUT_S = 15.0


class GcServer(StreamlitServer):
    """The page with ``--runner.postScriptGC`` on or off, run from a scratch folder (`workdir`): the project's
    .streamlit/config.toml must not leak into the comparison (the flags below win anyway)."""

    def __init__(self, label: str, post_script_gc: bool, page: Path, heap_objects: int, workdir: Path) -> None:
        options = ("--server.headless", "true", "--browser.gatherUsageStats", "false",
                   "--server.fileWatcherType", "none", "--server.runOnSave", "false", "--logger.level", "warning",
                   "--runner.postScriptGC", "true" if post_script_gc else "false")
        super().__init__(label, page, {"BENCH_HEAP_OBJECTS": str(heap_objects)}, workdir, cwd=workdir,
                         options=options)
        self.post_script_gc = post_script_gc


# --------------------------------------------------------------------------
# Simulated browser session
# --------------------------------------------------------------------------


class Session:
    """One simulated browser tab speaking Streamlit's websocket protocol."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: ClientConnection | None = None
        self.page_script_hash = ""
        self.saw_exception = False
        self.title_seen = False

    async def open(self) -> None:
        # Like the frontend, offer the "streamlit" subprotocol. The frontend
        # also passes an XSRF token and a previous session id as the 2nd/3rd
        # entries of the header; a new session without auth needs neither.
        self.ws = await connect(
            self.url,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            proxy=None,  # never route via *_proxy env vars; loopback only
            compression=None,
            open_timeout=CONNECT_TIMEOUT_S,
            ping_interval=None,
            max_size=None,
            close_timeout=2,
        )

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()

    def _rerun_msg(self) -> bytes:
        msg = BackMsg()
        cs = msg.rerun_script  # ClientState: what the frontend sends on rerun
        cs.query_string = ""
        cs.page_script_hash = self.page_script_hash  # "" on the very first run
        cs.page_name = ""
        cs.widget_states.SetInParent()  # empty WidgetStates (no widgets)
        cs.context_info.timezone = "UTC"
        cs.context_info.timezone_offset = 0
        cs.context_info.locale = "en-US"
        cs.context_info.url = f"http://{self.url.split('/')[2]}/"
        cs.context_info.is_embedded = False
        return msg.SerializeToString()

    async def rerun(self, timeout: float = RERUN_TIMEOUT_S) -> float:
        """Request a rerun and wait for its script_finished. Returns latency."""
        assert self.ws is not None
        t0 = time.perf_counter()
        await self.ws.send(self._rerun_msg())
        async with asyncio.timeout(timeout):
            while True:
                data = await self.ws.recv()
                fwd = ForwardMsg()
                fwd.ParseFromString(data)  # type: ignore[arg-type]
                kind = fwd.WhichOneof("type")
                if kind == "new_session":
                    self.page_script_hash = fwd.new_session.page_script_hash
                elif kind == "delta":
                    el = fwd.delta.new_element
                    etype = el.WhichOneof("type")
                    if etype == "exception":
                        self.saw_exception = True
                    elif etype == "heading" and "Trivial page" in el.heading.body:
                        self.title_seen = True
                elif kind == "script_finished":
                    status = fwd.script_finished
                    if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                        name = ForwardMsg.ScriptFinishedStatus.Name(status)
                        raise BenchError(f"script finished with {name}")
                    return time.perf_counter() - t0


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------


@dataclass
class RoundResult:
    window_s: float
    reruns: int
    cpu_s: float
    client_cpu_s: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.reruns / self.window_s if self.window_s > 0 else 0.0


@dataclass
class ConfigStats(Rounds):
    rounds: list[RoundResult] = field(default_factory=list)

    @property
    def cpu_ms_per_rerun(self) -> float:
        cpu = sum(r.cpu_s for r in self.rounds)
        return 1000 * cpu / self.reruns if self.reruns else float("nan")

    @property
    def cpu_util(self) -> float:
        return sum(r.cpu_s for r in self.rounds) / self.window_s

    @property
    def client_cpu_util(self) -> float:
        return sum(r.client_cpu_s for r in self.rounds) / self.window_s

    def little_rate(self, users: int) -> float:
        """Closed-loop cross-check (Little's law): users / mean latency.

        Every session always has exactly one rerun in flight, so throughput is
        users / mean rerun latency. Unlike the completion count, this is not
        quantized when many sessions finish in the same burst (as they do with
        GC on), so it is steadier for short windows.
        """
        lats = [x for r in self.rounds for x in r.latencies]
        return users / statistics.fmean(lats) if lats else float("nan")

    def as_dict(self, users: int) -> dict:
        """One configuration's figures in the JSON result."""
        return {
            "reruns_per_s": self.rate,
            "reruns_per_s_little": self.little_rate(users),
            "cpu_ms_per_rerun": self.cpu_ms_per_rerun,
            "server_cpu_util": self.cpu_util,
            "client_cpu_util": self.client_cpu_util,
            "latency_p50_ms": self.latency_ms(0.5),
            "latency_p95_ms": self.latency_ms(0.95),
            "per_round_reruns_per_s": [r.rate for r in self.rounds],
        }


async def measure_round(
    server: StreamlitServer, sessions: list[Session], target_s: float
) -> RoundResult:
    """One busy period: all sessions rerun flat out for ``target_s``.

    The round starts with the server idle; every session then keeps exactly
    one rerun in flight (send ``rerun_script``, wait for ``script_finished``,
    repeat) until ``target_s`` has passed, and the round ends when the last
    in-flight rerun has finished (server idle again). Throughput is
    ``reruns completed / (end - start)``: each rerun is counted exactly once
    and the interval ends on a completion, so the figure is not skewed when
    many sessions finish in the same burst (which they do with GC on, where a
    short fixed window would see 0 or 20 completions at its edge). Server CPU
    is read from /proc at the start and after the server has gone idle.
    """
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    cpu0 = cpu_seconds(server.pid)
    client0 = time.process_time()
    t0 = loop.time()
    stop_t = t0 + target_s

    async def worker(s: Session) -> None:
        while loop.time() < stop_t:
            latencies.append(await s.rerun())

    async with asyncio.timeout(target_s + RERUN_TIMEOUT_S + 10):
        await asyncio.gather(*(worker(s) for s in sessions))
    t_end = loop.time()
    client1 = time.process_time()
    cpu1 = await settled_cpu_seconds(server.pid)
    return RoundResult(
        window_s=t_end - t0,
        reruns=len(latencies),
        cpu_s=cpu1 - cpu0,
        client_cpu_s=client1 - client0,
        latencies=latencies,
    )


async def open_sessions(server: StreamlitServer, users: int) -> list[Session]:
    sessions = [Session(server.ws_url) for _ in range(users)]
    await asyncio.gather(*(s.open() for s in sessions))
    # First run of the first session imports pandas/plotly and builds the
    # cached heap in the server; do it alone, then the rest concurrently.
    await sessions[0].rerun(timeout=FIRST_RUN_TIMEOUT_S)
    await asyncio.gather(*(s.rerun(timeout=FIRST_RUN_TIMEOUT_S) for s in sessions[1:]))
    bad = [i for i, s in enumerate(sessions) if s.saw_exception or not s.title_seen]
    if bad:
        raise BenchError(
            f"server '{server.label}': page did not render cleanly in sessions {bad};"
            f" log tail:\n{server.log_tail()}"
        )
    return sessions


async def run_bench(args: argparse.Namespace, servers: list[StreamlitServer]) -> dict:
    print(f"Connecting {args.users} sessions to each server ...", flush=True)
    all_sessions: dict[str, list[Session]] = {}
    try:
        for srv in servers:
            all_sessions[srv.label] = await open_sessions(srv, args.users)

        # Untimed warm-up load on each server.
        if args.warmup > 0:
            print(f"Warm-up: {args.warmup:g}s of load per server ...", flush=True)
            for srv in servers:
                await measure_round(srv, all_sessions[srv.label], args.warmup)

        stats = {srv.label: ConfigStats() for srv in servers}
        window = args.seconds / args.rounds
        print(
            f"Measuring: {args.rounds} rounds x ~{window:.2f}s of load per config,"
            " alternating order ...",
            flush=True,
        )
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else list(reversed(servers))
            for srv in order:
                res = await measure_round(srv, all_sessions[srv.label], window)
                stats[srv.label].rounds.append(res)
                print(
                    f"  round {r + 1}/{args.rounds}  {srv.label:<16}"
                    f" {res.rate:7.1f} reruns/s  ({res.reruns} in {res.window_s:.2f}s,"
                    f" server CPU {1000 * res.cpu_s / max(res.reruns, 1):6.1f} ms/rerun)",
                    flush=True,
                )
        return stats
    finally:
        for sessions in all_sessions.values():
            await asyncio.gather(*(s.close() for s in sessions))


def print_table(args: argparse.Namespace, servers, stats, rss) -> dict:
    on, off = stats[servers[0].label], stats[servers[1].label]
    rows = [
        ("reruns/s", f"{on.rate:.1f}", f"{off.rate:.1f}", off.rate / on.rate),
        (
            "  (users/mean latency)",
            f"{on.little_rate(args.users):.1f}",
            f"{off.little_rate(args.users):.1f}",
            off.little_rate(args.users) / on.little_rate(args.users),
        ),
        (
            "server CPU ms/rerun",
            f"{on.cpu_ms_per_rerun:.1f}",
            f"{off.cpu_ms_per_rerun:.1f}",
            off.cpu_ms_per_rerun / on.cpu_ms_per_rerun,
        ),
        (
            "server CPU util (cores)",
            f"{on.cpu_util:.2f}",
            f"{off.cpu_util:.2f}",
            None,
        ),
        (
            "bench client CPU util",
            f"{on.client_cpu_util:.2f}",
            f"{off.client_cpu_util:.2f}",
            None,
        ),
        (
            "latency p50 ms",
            f"{on.latency_ms(0.5):.0f}",
            f"{off.latency_ms(0.5):.0f}",
            off.latency_ms(0.5) / on.latency_ms(0.5),
        ),
        (
            "latency p95 ms",
            f"{on.latency_ms(0.95):.0f}",
            f"{off.latency_ms(0.95):.0f}",
            off.latency_ms(0.95) / on.latency_ms(0.95),
        ),
        ("reruns counted", str(on.reruns), str(off.reruns), None),
        (
            "server RSS MB (end)",
            f"{rss[servers[0].label]:.0f}",
            f"{rss[servers[1].label]:.0f}",
            None,
        ),
    ]
    per_round_on = [r.rate for r in on.rounds]
    per_round_off = [r.rate for r in off.rounds]
    print()
    print(
        f"runner.postScriptGC, {args.users} concurrent sessions,"
        f" {on.window_s:.1f}s / {off.window_s:.1f}s measured (on/off),"
        f" {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"{'':<24}{'GC on':>10}{'GC off':>10}{'off/on':>10}")
    for name, a, b, ratio in rows:
        rs = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"{name:<24}{a:>10}{b:>10}{rs:>10}")
    if len(per_round_on) > 1:
        print(
            f"per-round reruns/s: on {min(per_round_on):.1f}..{max(per_round_on):.1f}"
            f" (sd {statistics.stdev(per_round_on):.1f}),"
            f" off {min(per_round_off):.1f}..{max(per_round_off):.1f}"
            f" (sd {statistics.stdev(per_round_off):.1f})"
        )
    return {
        "users": args.users,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "heap_objects": args.heap_objects,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "on": on.as_dict(args.users),
        "off": off.as_dict(args.users),
        "ratio_off_on": off.rate / on.rate,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=20, help="concurrent sessions per server (default 20)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="seconds of load per configuration, split over --rounds (default 10)")
    p.add_argument("--rounds", type=int, default=4, help="alternating measurement rounds (default 4)")
    p.add_argument("--warmup", type=float, default=2.0, help="untimed warm-up seconds per server (default 2)")
    p.add_argument("--heap-objects", type=int, default=200_000,
                   help="small live objects the page keeps alive (default 200000)")
    p.add_argument("--page", type=Path, default=DEFAULT_PAGE, help="page to serve")
    p.add_argument("--startup-timeout", type=float, default=90.0, help="seconds to wait for each server")
    p.add_argument("--json", type=Path, default=None, help="also write results as JSON here")
    p.add_argument("--keep-logs", action="store_true",
                   help="keep the server logs (printed path) instead of deleting them")
    args = p.parse_args(argv)
    if args.users < 1 or args.rounds < 1 or args.seconds <= 0:
        p.error("--users and --rounds must be >= 1 and --seconds > 0")
    if args.users > 200:
        p.error("--users > 200 is not supported")
    if not args.page.is_file():
        p.error(f"--page {args.page} does not exist")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_sigterm()

    workdir = Path(tempfile.mkdtemp(prefix="bench-postscript-gc-"))
    servers = [
        GcServer("GC on", True, args.page.resolve(), args.heap_objects, workdir),
        GcServer("GC off", False, args.page.resolve(), args.heap_objects, workdir),
    ]

    def stop_all() -> None:
        for s in servers:
            s.stop()

    atexit.register(stop_all)  # belt and braces; stop_all is idempotent
    code = 1
    try:
        code = exit_code("benchmark", lambda: measure(args, servers), "interrupted; stopping servers")
        return code
    finally:
        stop_all()
        if code == 0 and not args.keep_logs:
            for s in servers:
                with contextlib.suppress(OSError):
                    s.log_path.unlink()
            with contextlib.suppress(OSError):
                workdir.rmdir()
        else:
            print(f"server logs: {workdir}", file=sys.stderr)


def measure(args: argparse.Namespace, servers: list[GcServer]) -> int:
    for s in servers:
        s.start()
    for s in servers:
        s.wait_ready(args.startup_timeout)
        print(
            f"Started '{s.label}': pid {s.pid}, http://{HOST}:{s.port}"
            f" (--runner.postScriptGC {str(s.post_script_gc).lower()})",
            flush=True,
        )
    # Hard cap on the whole measurement phase.
    budget = (
        2 * FIRST_RUN_TIMEOUT_S
        + 2 * (args.warmup + 2 * RERUN_TIMEOUT_S + 20)
        + 2 * args.rounds * (2 * RERUN_TIMEOUT_S + 20)
        + 2 * args.seconds
    )

    async def bounded() -> dict:
        return await asyncio.wait_for(run_bench(args, servers), timeout=budget)

    stats = asyncio.run(bounded())
    rss = {s.label: rss_mb(s.pid) for s in servers}
    result = print_table(args, servers, stats, rss)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
