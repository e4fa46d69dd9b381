"""What the real-browser tests share: Debian's Chromium (never a downloaded browser), a free loopback port, a
Streamlit server started and waited for. Each test file adds its own host-resolver rule to CHROMIUM_ARGS."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_chromium() -> None:
    """Skip the module without Chromium locally; in CI its absence is a failure (.ci/run installs it)."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            raise RuntimeError("CI needs Debian's chromium (apt-get install chromium); .ci/run installs it")
        pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(script: str, port: int, env: dict, *extra: str, output=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true", *extra],
                            cwd=PROJECT_ROOT, env=env, stdout=output,
                            stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL)


def wait_for(url: str, process: subprocess.Popen | None = None, what: str = "the app", seconds: float = 60) -> bytes:
    """The body of `url` once it answers; fails early if `process` exits, and after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer at {url} within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def contrast_ratio(foreground: tuple, background: tuple) -> float:
    """WCAG 2.1's contrast ratio of two sRGB colours (0-255 each)."""
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def launch(playwright, extra_args: list[str] = ()):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])


@functools.cache
def real_course():
    """The project's content, loaded once per test process (the tests that read it in the middle of a
    browser or websocket session ask for it again and again)."""
    from course.content.loader import load_course

    return load_course(PROJECT_ROOT).course


def scenario_choice(scenario_id: str, node_id: str, target: str) -> tuple[int, str]:
    """(index, the first words of its text) of the choice at `node_id` that leads to `target`, from the real
    content: browser tests click choices by their text, and authors rewrite texts."""
    scenario = real_course().scenarios[scenario_id]
    for index, choice in enumerate(scenario.nodes[node_id].choices):
        if choice.next == target:
            return index, choice.text[:30]
    raise LookupError(f"{scenario_id}: no choice at {node_id} leads to {target}")
