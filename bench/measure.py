"""What the benches measure alike: rounds of reruns (reruns/s, latency percentiles) and a server's CPU time once
it has gone idle (from /proc, see `servers.cpu_seconds`)."""

from __future__ import annotations

import asyncio
import time

from bench.servers import CLK_TCK, cpu_seconds


def percentile_ms(latencies: list[float], q: float) -> float:
    """The `q` quantile (0.5, 0.95) of latencies in seconds, in milliseconds; NaN when there are none."""
    ordered = sorted(latencies)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Rounds:
    """Figures over `self.rounds`: busy periods, each with its length `window_s` and the `latencies` of the reruns
    it finished."""

    rounds: list

    @property
    def reruns(self) -> int:
        return sum(len(r.latencies) for r in self.rounds)

    @property
    def window_s(self) -> float:
        return sum(r.window_s for r in self.rounds)

    @property
    def rate(self) -> float:
        return self.reruns / self.window_s if self.window_s else 0.0

    def latency_ms(self, q: float) -> float:
        return percentile_ms([x for r in self.rounds for x in r.latencies], q)


async def settled_cpu_seconds(pid: int, max_wait: float = 3.0) -> float:
    """The server's CPU seconds once it has gone idle (a bounded wait). With runner.postScriptGC on, the
    collection runs after script_finished has been queued for the client, so the last reruns' collections may
    still be running when the client has seen them finish: waiting until the counter stops moving counts them."""
    deadline = time.monotonic() + max_wait
    previous = cpu_seconds(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        current = cpu_seconds(pid)
        if current - previous <= 1.0 / CLK_TCK:  # at most one clock tick: idle
            return current
        previous = current
    return cpu_seconds(pid)
