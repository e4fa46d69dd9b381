"""`python -m bench.floor`: Streamlit's own cost per element, against the one-button page, side by side.

The issue 10 target asks the learner's pages for 0.5 x the one-button page's reruns/s. This measures a page that
draws as many elements as the learner's home page and does nothing else (bench/pages/many_elements.py): no
database, no rules, no identity. Whatever ratio it reaches is the most any page of that size can reach on this
machine under the same config; the learner's home page is measured beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from bench import servers
from bench.runner import (APP, BENCH_DIR, FIRST_RUN_TIMEOUT_S, ONE_BUTTON, HomeDriver, TrivialDriver, measure_round,
                          open_all)
from bench.servers import Resources, StreamlitServer
from bench.streamlit_client import Session

MANY_ELEMENTS = BENCH_DIR / "pages" / "many_elements.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions per page (20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per page, alternating (3)")
    parser.add_argument("--seconds", type=float, default=5, help="seconds per round (5)")
    args = parser.parse_args(argv)
    resources = Resources()
    try:
        return servers.exit_code("bench.floor", lambda: _run(args, resources))
    finally:
        resources.close()


def _run(args, resources: Resources) -> int:
    work = Path(tempfile.mkdtemp(prefix="gransfall-floor-"))
    url = f"sqlite:///{work / 'learners.sqlite'}"
    servers.seed(url, args.sessions + 40)
    people = servers.learners(url, args.sessions)
    pages = {"one button": resources.server(StreamlitServer("one_button", ONE_BUTTON, None, work)),
             "as many elements as home": resources.server(StreamlitServer("many", MANY_ELEMENTS, None, work)),
             "learner home": resources.server(StreamlitServer("app", APP, servers.app_env(url), work))}
    for server in pages.values():
        server.wait_ready()

    async def measure() -> dict[str, list]:
        drivers = {"one button": [TrivialDriver(Session(pages["one button"].ws_url)) for _ in range(args.sessions)],
                   "as many elements as home": [TrivialDriver(Session(pages["as many elements as home"].ws_url))
                                                for _ in range(args.sessions)],
                   "learner home": [HomeDriver(Session(pages["learner home"].ws_url, {"as": person}))
                                    for person in people]}
        for group in drivers.values():  # each session's first run (a server's very first loads everything)
            await open_all(group)
        rounds: dict[str, list] = {name: [] for name in drivers}
        for r in range(args.rounds):
            order = list(drivers) if r % 2 == 0 else list(drivers)[::-1]
            for name in order:
                rounds[name].append(await measure_round(pages[name], drivers[name], args.seconds))
        return rounds

    rounds = asyncio.run(asyncio.wait_for(measure(), timeout=FIRST_RUN_TIMEOUT_S + 600))
    base = sum(len(r.latencies) for r in rounds["one button"]) / sum(r.window_s for r in rounds["one button"])
    print(f"\n{args.sessions} sessions per page, {args.rounds} rounds of {args.seconds:g} s, alternating")
    print(f"{'page':28} {'reruns/s':>9} {'ratio':>6} {'CPU ms/rerun':>13} {'elements/rerun':>15}")
    for name, found in rounds.items():
        reruns = sum(len(r.latencies) for r in found)
        rate = reruns / sum(r.window_s for r in found)
        cpu_ms = 1000 * sum(r.server_cpu_s for r in found) / max(reruns, 1)
        deltas = sum(r.deltas for r in found) / max(reruns, 1)
        print(f"{name:28} {rate:9.1f} {rate / base:6.2f} {cpu_ms:13.1f} {deltas:15.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
