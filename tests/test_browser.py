"""Real browser (Debian's Chromium via Playwright) against a real server: double click and reload."""

from __future__ import annotations

import os
import socket
import sqlite3
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

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium (apt-get install chromium); .ci/run installs it")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser") / "demo.sqlite"
    port = free_port()
    env = {**os.environ, "COURSE_DATABASE_URL": f"sqlite:///{database}", "COURSE_AUTH": "demo"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        else:
            raise RuntimeError("the app did not start")
        yield url, database
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def steps_of(database: Path, person: str) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT s.step_no, s.response FROM steps s JOIN attempts a ON a.id = s.attempt_id "
                                  "WHERE a.person_id = ? ORDER BY s.step_no", (person,)).fetchall()


def test_double_click_records_one_answer_and_reload_resumes(server, browser):
    url, database = server
    page = browser.new_page()
    page.goto(f"{url}/?as=demo-nyanstalld&modul=mutor")
    page.get_by_role("button", name="Starta scenariot").click()
    page.get_by_text("Vad gör du?").wait_for(timeout=30000)
    page.get_by_text("Tacka nej tydligt").click()
    page.get_by_role("button", name="Svara").dblclick()
    page.get_by_text("Återkoppling").wait_for()
    page.wait_for_timeout(1500)  # let a second submission, if any, reach the server
    assert steps_of(database, "demo-nyanstalld") == [(0, "0")]
    situation = page.get_by_text("Erik kommer till kontoret")
    situation.wait_for()

    page.reload()
    page.get_by_text("Erik kommer till kontoret").wait_for(timeout=30000)  # the same node after a reload
    page.get_by_text("Vad gör du?").wait_for()  # and it asks the same question again
    assert page.get_by_text("Säg tydligt \"Nej tack").is_visible()
    assert steps_of(database, "demo-nyanstalld") == [(0, "0")]
    page.close()


def test_manager_chart_renders_in_the_browser(server, browser):
    url, _ = server
    page = browser.new_page()
    page.goto(f"{url}/min-enhet?as=demo-chef")
    page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
    assert page.get_by_text("Genomförande per enhet").is_visible()
    page.close()
