"""Untrusted text stays text in a real browser (Debian's Chromium via Playwright) against the real app.

Hostile HR data (tests/untrusted_data.py) points every image, link and URL at a small HTTP server on loopback
that records each request. A manager (demo-chef, whose subtree holds the hostile units and people) and an admin
(demo-admin) open every page they can see; then no request may have reached that server, and no element may
link or point to it. A probe page checks that Streamlit's own Markdown draws every escaped string as its text.
"""

from __future__ import annotations

import http.server
import os
import re
import threading
import urllib.parse

import pytest

from course.plain import WORD_JOINER, one_line
from tests.browser_support import free_port, require_chromium, start_streamlit, stop, wait_for
from tests.chromium_support import running_chromium
from tests.conftest import PROJECT_ROOT, loaded
from tests.untrusted_data import HOSTILE_STRINGS, RENAMED_PERSON, make_hostile_demo, people_file, values

# Every host name resolves to loopback, so that a bare "www.127.0.0.1.nip.io:<port>" that became a link or an
# image would reach the recording server, never the network.
RESOLVE_TO_LOOPBACK = ["--host-resolver-rules=MAP * 127.0.0.1"]
POINTING = ("href", "xlink:href", "src", "srcset", "action", "formaction", "poster", "data", "background")

require_chromium()
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def trap():
    """An HTTP server on loopback that records every request (method, Host header, path)."""
    requests: list[tuple[str, str, str]] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def _record(self):
            requests.append((self.command, self.headers.get("Host", ""), self.path))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = do_OPTIONS = _record

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], requests
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def servers(trap, tmp_path_factory):
    """The app over the hostile demo database, and the Markdown probe page."""
    port, _ = trap
    database = tmp_path_factory.mktemp("untrusted-browser") / "demo.sqlite"
    hostile = make_hostile_demo(f"sqlite:///{database}", loaded(PROJECT_ROOT), port)
    env = {**os.environ, "COURSE_DATABASE_URL": f"sqlite:///{database}", "COURSE_AUTH": "demo"}
    app_port, probe_port = free_port(), free_port()
    app = start_streamlit("app.py", app_port, env)
    probe = start_streamlit("tests/markdown_probe_app.py", probe_port, env)
    try:
        app_url, probe_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{probe_port}"
        wait_for(f"{app_url}/_stcore/health", app)
        wait_for(f"{probe_url}/_stcore/health", probe, "the probe page")
        yield app_url, probe_url, hostile
    finally:
        for process in (app, probe):
            stop(process)


@pytest.fixture(scope="module")
def browser():
    with running_chromium(RESOLVE_TO_LOOPBACK) as browser:
        yield browser


def pointing_at(page, port: int) -> list[tuple[str, str, str]]:
    """Every attribute on the page (links, images, SVG links in charts, styles) that points at the trap."""
    found = page.evaluate("""(names) => {
        const found = [];
        for (const element of document.querySelectorAll('*')) {
            for (const attribute of element.attributes) {
                const name = attribute.name.toLowerCase();
                if (names.includes(name) || (name === 'style' && attribute.value.includes('url('))) {
                    found.push([element.tagName, name, attribute.value]);
                }
            }
        }
        return found;
    }""", list(POINTING))
    return [item for item in found if f":{port}" in item[2] or "nip.io" in item[2]]


def settle(page, text: str | None = None) -> None:
    """Wait until the page shows `text` and Streamlit has finished its run."""
    if text:
        page.get_by_text(text).first.wait_for(timeout=30000)
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=30000)
    page.wait_for_timeout(400)  # images and fonts the page asks for


def check(page, trap, where: str) -> None:
    port, requests = trap
    pointing = pointing_at(page, port)
    assert not pointing and not requests, f"{where}: pointing at the trap {pointing}; requests it got {requests}"


def choose(page, key: str, option_text: str) -> None:
    page.locator(f".st-key-{key} input[role=combobox]").click()
    page.get_by_role("option", name=re.compile(re.escape(option_text))).first.click()


def seen(text: str) -> str:
    return " ".join(text.replace(WORD_JOINER, "").split())


def test_escaped_markdown_is_drawn_as_the_text_itself(servers, browser, trap):
    _, probe_url, _ = servers
    port, _ = trap
    page = browser.new_page()
    page.goto(f"{probe_url}/?port={port}")
    settle(page, "probe done")
    for index, value in enumerate(HOSTILE_STRINGS):
        expected = seen(one_line(value.replace("127.0.0.1:9", f"127.0.0.1:{port}")))
        box = page.locator(f".st-key-probe-{index}")
        for testid in ("stMarkdownContainer", "stCaptionContainer"):
            drawn = [seen(text) for text in box.locator(f"[data-testid='{testid}']").all_inner_texts()]
            assert expected in drawn, (value, testid, drawn)
        assert box.locator("a, img").count() == 0, value
    labels = page.locator(".st-key-probe-labels")
    labels.get_by_text("Logga in här").first.wait_for()
    # the headings' own anchors (#...) are the only links; no image at all
    assert labels.locator("a[href]:not([href^='#']), img").count() == 0
    assert labels.locator("a[href^='#']").count() == 2
    check(page, trap, "probe page")
    page.close()


def test_a_manager_and_an_admin_open_every_page_and_nothing_is_fetched(servers, browser, trap):
    app, _, hostile = servers
    port, requests = trap
    texts = values(port)
    page = browser.new_page()

    # --- the manager ---
    page.goto(f"{app}/min-enhet?as=demo-chef")
    page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
    settle(page, "Genomförande per enhet")
    bars = page.locator(".js-plotly-plot").first.locator(".bars path")
    for index in range(min(bars.count(), 8)):  # a hover label carries a unit's name too
        bars.nth(index).hover(force=True)
        page.wait_for_timeout(100)
        check(page, trap, "Min enhet, a hover label")
    chart_text = " ".join(page.locator(".js-plotly-plot").all_inner_texts())
    assert "Fientliga förvaltningen" in chart_text and "href" in chart_text  # the <a> drawn as its text
    check(page, trap, "Min enhet")

    for person_id in (RENAMED_PERSON, "h-lank", "h-bild", "h-img", "h-www"):
        page.goto(f"{app}/medarbetarsamtal?as=demo-chef&person={person_id}")
        settle(page, "Förslag att prata om" if person_id == RENAMED_PERSON else None)
        page.locator("h2").first.wait_for(timeout=30000)
        settle(page)
        check(page, trap, f"talk page of {person_id}")
        if person_id == RENAMED_PERSON:  # Streamlit drew the escaped name as exactly the name
            headings = [seen(text) for text in page.locator("[data-testid='stHeading'] h2").all_inner_texts()]
            assert seen(texts[RENAMED_PERSON]) in headings, headings

    page.goto(f"{app}/apt?as=demo-chef")
    settle(page, "APT-kort:")
    check(page, trap, "APT card, first unit")
    choose(page, "apt_unit", "Miljö")
    settle(page, "Miljö")
    check(page, trap, "APT card, the unit named <a href>")

    # --- people whose own names are hostile ---
    for user, page_path, text in ((RENAMED_PERSON, "min-utbildning", "Hej"), ("h-bild", "min-utbildning", "Hej"),
                                  (RENAMED_PERSON, "infor-medarbetarsamtalet", "Förslag att prata om"),
                                  ("h-lank", "om-dina-uppgifter", "Om dina uppgifter")):
        page.goto(f"{app}/{page_path}?as={user}")
        settle(page, text)
        check(page, trap, f"{page_path} as {user}")

    # --- the admin ---
    for page_path, text in (("administration", "Databas"), ("analys", "Analys"),
                            ("granskningslogg", "Granskningslogg")):
        page.goto(f"{app}/{page_path}?as=demo-admin")
        settle(page, text)
        check(page, trap, page_path)

    page.goto(f"{app}/import?as=demo-admin")
    settle(page, "Importera")
    page.locator(".st-key-import_file input[type=file]").set_input_files(
        files=[{"name": "personal.csv", "mimeType": "text/csv", "buffer": people_file(port, True, "ny-")}])
    settle(page, "används inte")  # the note that quotes the hostile column header
    check(page, trap, "import dry run")

    page.goto(f"{app}/arsrapport?as=demo-admin")
    settle(page, "Årsrapport")
    page.get_by_role("button", name=re.compile("rapport", re.IGNORECASE)).first.click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=60000)
    settle(page)
    check(page, trap, "annual report")

    page.goto(f"{app}/intyg?as=demo-admin")
    settle(page, "Verifiera")
    page.locator(".st-key-cert_code input").fill(hostile.certificate_code)
    page.locator(".st-key-cert_code input").press("Enter")
    settle(page, "är äkta")
    check(page, trap, "certificate check")
    page.locator(".st-key-cert_code input").fill(texts["h-lank"][:40])
    page.locator(".st-key-cert_code input").press("Enter")
    settle(page, "Det finns inget intyg")
    check(page, trap, "certificate check with a typed link")

    page.goto(f"{app}/dataskydd?as=demo-admin")
    settle(page, "Dataskydd")
    page.locator(".st-key-dp_extract_id input").fill(RENAMED_PERSON)
    page.get_by_role("button", name="Ta fram registerutdrag").click()
    settle(page, "Registerutdrag för")
    check(page, trap, "registerutdrag")

    # --- the demo's ?as= with a hostile value ---
    for requested in (texts["h-lank"], texts["h-bild"], f"www.127.0.0.1.nip.io:{port}/as"):
        page.goto(f"{app}/?as={urllib.parse.quote(requested, safe='')}")
        settle(page, "Det finns ingen demoanvändare")
        check(page, trap, f"?as={requested}")

    assert not requests
    page.close()
