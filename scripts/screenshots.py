"""Screenshots for the README: the browser journeys (tests/test_journeys.py, Debian's Chromium, the demo data)
take them as they go, at a desktop's width and a phone's, into docs/screenshots/.

Usage: `.venv/bin/python scripts/screenshots.py` (about two minutes; the journeys start their own servers).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    env = {**os.environ, "GRANSFALL_SCREENSHOTS": str(OUT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "tests/test_journeys.py",
                           "tests/test_group_browser.py", "-k",
                           "phone_goes or keyboard or manager_follows or admin_imports or group"], cwd=ROOT, env=env)
    if done.returncode == 0:
        print(f"Skärmbilder sparade i {OUT}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
