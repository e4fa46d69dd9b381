"""`python -m course seed`: a synthetic municipality of any size, into the configured database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def seed_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course", "seed", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120)


def test_seed_makes_people_and_history_and_refuses_to_overwrite(tmp_path):
    database = tmp_path / "seed.sqlite"
    url = f"sqlite:///{database}"
    made = seed_cli("--employees", "60", "--history-years", "2", "--database-url", url)
    assert made.returncode == 0, made.stderr
    assert "personer" in made.stderr and "#" in made.stderr  # the progress bar
    with sqlite3.connect(database) as connection:
        people = connection.execute("SELECT count(*) FROM people").fetchone()[0]
        ids = {row[0] for row in connection.execute("SELECT id FROM people")}
        completions = connection.execute("SELECT count(*) FROM completions").fetchone()[0]
        steps = connection.execute("SELECT count(*) FROM steps").fetchone()[0]
    assert people >= 60
    assert {"demo-nyanstalld", "demo-medarbetare", "demo-chef", "demo-fortroendevald", "demo-admin"} <= ids
    assert completions > 0 and steps > completions

    # The database is now the demo's: writing to it again takes --demo, and overwriting it --replace too.
    refused = seed_cli("--employees", "10", "--database-url", url)
    assert refused.returncode == 2 and "demons databas" in refused.stderr
    again = seed_cli("--employees", "10", "--database-url", url, "--demo")
    assert again.returncode == 1 and "--replace" in again.stderr
    replaced = seed_cli("--employees", "10", "--database-url", url, "--demo", "--replace")
    assert replaced.returncode == 0
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM people").fetchone()[0] < people
