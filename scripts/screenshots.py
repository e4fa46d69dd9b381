"""Screenshots for the README, from the real app in Debian's Chromium (never a downloaded browser).

Usage: start the app (scripts/start), then `.venv/bin/python scripts/screenshots.py [http://127.0.0.1:8501]`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8501"
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _choice_text(scenario_id: str, node_id: str, target: str) -> str:
    """The first words of the choice that leads to `target`: choices are shown in an order of their own per
    attempt, and authors rewrite texts, so the script finds its click in the content."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from course.content.loader import default_content_root, load_course

    node = load_course(default_content_root()).course.scenarios[scenario_id].nodes[node_id]
    return next(choice.text[:30] for choice in node.choices if choice.next == target)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        page.goto(f"{BASE}/?as=demo-medarbetare")
        page.get_by_text("Hej Milad").wait_for(timeout=30000)
        page.screenshot(path=OUT / "min-utbildning.png")

        page.goto(f"{BASE}/?as=demo-nyanstalld&modul=mutor")
        page.get_by_role("button", name="Starta scenariot").click()
        page.get_by_text("Vad gör du?").wait_for()
        page.get_by_text(_choice_text("mutor-bygglov-middag", "inbjudan", "motet")).click()
        page.get_by_role("button", name="Svara").click()
        page.get_by_text("Återkoppling").wait_for()
        page.wait_for_timeout(500)
        page.screenshot(path=OUT / "scenario.png")

        page.goto(f"{BASE}/min-enhet?as=demo-chef")
        page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        page.screenshot(path=OUT / "min-enhet.png", full_page=True)

        page.goto(f"{BASE}/medarbetarsamtal?as=demo-chef&person=demo-medarbetare")
        page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        page.screenshot(path=OUT / "medarbetarsamtal.png", full_page=True)

        page.goto(f"{BASE}/analys?as=demo-admin")
        page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        page.screenshot(path=OUT / "analys.png")

        page.goto(f"{BASE}/apt?as=demo-chef")
        page.get_by_text("Ladda ner").first.wait_for(timeout=30000)
        page.wait_for_timeout(500)
        page.screenshot(path=OUT / "apt.png")
        browser.close()
    print(f"Skärmbilder sparade i {OUT}")


if __name__ == "__main__":
    main()
