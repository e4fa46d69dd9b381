"""Real sign-in: a real OpenID Connect provider, the app in OIDC mode, Debian's Chromium through the provider's form.

The provider is the npm package `oidc-provider` (pinned in tests/oidc/package.json and package-lock.json,
installed by scripts/test with `npm ci`), run by tests/oidc/provider.js on 127.0.0.1 with one client and the
accounts listed there. The app runs as it would in production: `COURSE_AUTH=oidc`, its own database with a
staff list imported through the importer, and the `[auth]` secrets in a secrets.toml given with
`--secrets.files`. The browser types a login and a password into the provider's own login form, and comes
back to the app as a learner, a manager, an admin, someone the staff list does not know, someone whose
employment has ended and someone whose e-mail the provider has not verified. Nothing leaves loopback.

How an operator configures a real provider (the keys this test writes; the secrets stay outside the
repository, in .streamlit/secrets.toml or a file given with --secrets.files):

    [auth]
    redirect_uri = "https://utbildning.kommun.se/oauth2callback"   # the app's public address + /oauth2callback
    cookie_secret = "..."            # at least 32 random characters, the same on every app server
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://login.microsoftonline.com/<tenant-id>/v2.0/.well-known/openid-configuration"

- Entra ID: register an app (Entra admin center > App registrations) in the municipality's tenant, platform
  "Web" with the redirect URI above, a client secret, and the delegated permissions openid, email and profile
  (with admin consent for the tenant, so staff see no consent screen). If the ID token lacks `email`, add it as an
  optional claim (Token configuration). Use the tenant's own metadata URL, never /common/ or /organizations/.
  Entra's `sub` is stable per application; COURSE_AUTH_SUBJECT_CLAIM=oid binds people by their object id in the
  tenant instead. Entra sends no `email_verified`: the app then matches the first sign-in by e-mail as long as
  exactly one employed person has the address. "Logga ut" sends the browser to Entra's end-session endpoint,
  which returns to the redirect URI (already registered).
- Any other OpenID Connect provider (Keycloak, Okta, Google Workspace, an e-ID broker, ...): a
  confidential client with the authorization-code flow, the redirect URI above allowed both as redirect and
  post-logout redirect URI, the scopes `openid email profile`, and `email` and `email_verified` in the ID token
  (Streamlit reads the claims from the ID token, not from the userinfo endpoint).
- COURSE_AUTH=oidc; COURSE_SESSION_MAX_HOURS (default 10) is how long a sign-in lasts before the app asks
  for a new one; the staff list (python -m course import) decides who gets in and with which role.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.browser_support import CHROMIUM, IN_CI, free_port, start_streamlit, stop, wait_for
from tests.chromium_support import running_chromium
from tests.conftest import PROJECT_ROOT

# Every host name but loopback resolves to nothing: nothing leaves the machine.
LOOPBACK_ONLY = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
OIDC_DIR = PROJECT_ROOT / "tests" / "oidc"
NODE = shutil.which("node")
NPM = shutil.which("npm")
TIMEOUT_MS = 30_000
SHORT_SESSION_HOURS = 0.004  # 14.4 seconds
LEARNER_PAGES = {"Min utbildning", "Inför medarbetarsamtalet"}  # everyone's; the admin's test opens them

_missing = [what for what, there in (("node", NODE), ("npm", NPM), ("Debian's chromium", Path(CHROMIUM).exists()))
            if not there]
if _missing:
    if IN_CI:
        raise RuntimeError(f"the sign-in test needs {', '.join(_missing)} in CI (apt-get install nodejs npm chromium)")
    pytest.skip(f"{', '.join(_missing)} not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

CLIENT_ID = "gransfall-test"
CLIENT_SECRET = secrets.token_urlsafe(24)

# The provider's accounts (tests/oidc/provider.js): login -> name and e-mail. The staff list below has the same
# addresses (one in other letter case, as HR systems write them), except olle.okand's.
ACCOUNTS = {
    "chef": ("Karin Chef", "karin.chef@gransby.example"),
    "medarbetare": ("Mats Medarbetare", "Mats.Medarbetare@gransby.example"),
    "admin": ("Ada Admin", "ada.admin@gransby.example"),
    "slutat": ("Sven Slutat", "sven.slutat@gransby.example"),
    "okand": ("Olle Okänd", "olle.okand@gransby.example"),
    "overifierad": ("Vera Overifierad", "vera.overifierad@gransby.example"),
}
UNITS_CSV = ("enhet;namn;typ;overordnad;chef\n"
             "sbf;Samhällsbyggnadsförvaltningen;förvaltning;;2001\n"
             "sbf-bygglov;Bygglovsenheten;enhet;sbf;2001\n"
             "kansli;Kommunledningskontoret;förvaltning;;\n")
PEOPLE_CSV = ("anstallningsid;namn;epost;enhet;chef;roll;startdatum;slutdatum\n"
              "2001;Karin Chef;karin.chef@gransby.example;sbf;;chef,medarbetare;2019-08-01;\n"
              "2002;Mats Medarbetare;mats.medarbetare@gransby.example;sbf-bygglov;2001;medarbetare;2024-03-15;\n"
              "2003;Ada Admin;ada.admin@gransby.example;kansli;;admin,medarbetare;2018-01-01;\n"
              "2004;Sven Slutat;sven.slutat@gransby.example;sbf-bygglov;2001;admin,medarbetare;2015-01-01;2020-06-30\n"
              "2005;Vera Overifierad;vera.overifierad@gransby.example;sbf-bygglov;2001;medarbetare;2022-01-01;\n")



def module_titles() -> list[str]:
    """The titles of the course's Swedish modules: course data that a refused person must not see."""
    titles = []
    for path in sorted((PROJECT_ROOT / "modules").glob("*.yaml")):
        module = yaml.safe_load(path.read_text(encoding="utf-8"))
        if module.get("language", "sv") == "sv":
            titles.append(module["title"])
    return titles


def contacts() -> list[str]:
    people = yaml.safe_load((PROJECT_ROOT / "config/organisation.yaml").read_text(encoding="utf-8"))["kontaktpersoner"]
    return [value for person in people.values() for value in (person["namn"], person["epost"])]


# --- the provider, the database, the app ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def app_ports() -> dict[str, int]:
    return {"normal": free_port(), "short": free_port()}


@pytest.fixture(scope="module")
def provider(app_ports, tmp_path_factory):
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():  # scripts/test installs it; a bare pytest too
        subprocess.run([NPM, "ci", "--prefix", str(OIDC_DIR), "--no-audit", "--no-fund"], check=True,
                       timeout=180, stdout=subprocess.DEVNULL)
    port = free_port()
    log = (tmp_path_factory.mktemp("oidc") / "provider.log").open("w")
    env = {**os.environ, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
           "OIDC_REDIRECT_URI": " ".join(f"http://localhost:{p}/oauth2callback" for p in app_ports.values())}
    process = subprocess.Popen([NODE, str(OIDC_DIR / "provider.js"), str(port)], cwd=OIDC_DIR, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        metadata = json.loads(wait_for(f"{issuer}/.well-known/openid-configuration", process, "the provider", 30))
        assert metadata["issuer"] == issuer
        yield issuer
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A fresh database made by the migrations, with the staff list imported through the importer."""
    from progress import importer
    from progress.access import SYSTEM
    from progress.db import Database, make_engine, migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('oidc-db') / 'staff.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    parsed = importer.parse("personal.csv", PEOPLE_CSV.encode(), "enheter.csv", UNITS_CSV.encode())
    assert not parsed.problems, [str(p) for p in parsed.problems]
    plan = importer.apply(Database(engine), SYSTEM, parsed, date.today())
    assert plan.ok and plan.has_changes, plan.lines()
    engine.dispose()
    return url


def start_app(port: int, issuer: str, database_url: str, directory: Path, extra_env: dict[str, str]):
    secrets_file = directory / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n', encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("COURSE_") and key != "STREAMLIT_SECRETS_FILES"}
    env.update({"COURSE_AUTH": "oidc", "COURSE_DATABASE_URL": database_url, **extra_env})
    log = (directory / "app.log").open("w")
    process = start_streamlit("app.py", port, env, "--browser.gatherUsageStats", "false",
                              "--secrets.files", str(secrets_file), output=log)
    url = f"http://localhost:{port}"
    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health", process, "the app", 60)
    except Exception:
        stop(process)
        log.close()
        raise RuntimeError(f"the app did not start:\n{(directory / 'app.log').read_text()[-3000:]}") from None
    return url, process, log


@pytest.fixture(scope="module")
def app(provider, database_url, app_ports, tmp_path_factory):
    url, process, log = start_app(app_ports["normal"], provider, database_url, tmp_path_factory.mktemp("app"), {})
    yield url
    stop(process)
    log.close()


@pytest.fixture(scope="module")
def short_app(provider, database_url, app_ports, tmp_path_factory):
    """The same app with a maximum session age of 14.4 seconds."""
    url, process, log = start_app(app_ports["short"], provider, database_url, tmp_path_factory.mktemp("short"),
                                  {"COURSE_SESSION_MAX_HOURS": str(SHORT_SESSION_HOURS)})
    yield url
    stop(process)
    log.close()


@pytest.fixture(scope="module")
def browser():
    with running_chromium(LOOPBACK_ONLY) as browser:
        yield browser


@pytest.fixture
def page(browser):
    """A fresh browser profile per test (no cookies at the app or the provider), loopback only."""
    context = browser.new_context(locale="sv-SE")
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []  # a municipality's staff must not be sent to third parties by merely using the course

    def refuse(route):
        outside.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!(http|ws)://(127\.0\.0\.1|localhost)[:/])"), refuse)
    page = context.new_page()
    yield page
    context.close()
    assert not outside, f"requests to other hosts: {sorted(set(outside))[:5]}"


# --- driving the browser -------------------------------------------------------------------------------------

def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def navigation(page):
    return page.locator('[data-testid="stSidebarNav"]')


PUBLIC_PAGES = ["Gränsfall", "Tillgänglighet"]  # the welcome and the accessibility statement: open to everyone


def course_links(page) -> list[str]:
    """The navigation's links beyond the public ones: a person who is not signed in, or refused, has none."""
    return [text for text in navigation(page).locator("a").all_inner_texts()
            if text.strip().split("\n")[-1].strip() not in PUBLIC_PAGES]


def logout_button(page):
    return sidebar(page).get_by_role("button", name="Logga ut")


def provider_form(page, issuer: str):
    page.wait_for_url(f"{issuer}/**")
    return page.locator('input[name="login"]')


def sign_in(page, app: str, issuer: str, login: str, then: str | re.Pattern) -> None:
    """From the app's start page through the provider's own login form back into the app, until `then` shows."""
    page.goto(app)
    page.get_by_role("button", name="Logga in").click()
    provider_form(page, issuer).fill(login)
    page.locator('input[name="password"]').fill("ett lösenord som providern inte kontrollerar")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{app}/**")
    page.get_by_text(then).first.wait_for()


def wait_for_app(page) -> None:
    """Until the script run that drew the page has finished."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.wait_for_timeout(300)


def assert_no_course_data(page) -> None:
    wait_for_app(page)
    assert course_links(page) == [], "a refused person sees the course's navigation"
    text = page.locator("body").inner_text()
    for title in module_titles():
        assert title not in text, f"a refused person sees the module {title!r}"
    assert_no_exception(page, page.url)


def assert_no_exception(page, where: str) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert not exceptions.count(), f"{where}: the app shows an exception: {exceptions.first.inner_text()[:1500]}"


def nav_links(page) -> dict[str, str]:
    links = navigation(page).locator("a")
    links.first.wait_for()
    # A link's text is its icon's name (a ligature) and its title, on lines of their own: keep the title.
    return {links.nth(i).inner_text().strip().splitlines()[-1].strip(): links.nth(i).get_attribute("href")
            for i in range(links.count())}


def assert_logout_on_every_page(page, app: str, expected: set[str], but: set[str] = frozenset()) -> None:
    """Each page in the user's navigation (`but` those another test opens) opens, a full load signed in by the
    cookie, with a 'Logga ut' and no exception."""
    links = nav_links(page)
    assert expected <= set(links), links
    for title, href in links.items():
        if title in but:
            continue
        page.goto(href if href.startswith("http") else f"{app}/{href.lstrip('/')}")
        logout_button(page).wait_for()
        wait_for_app(page)
        assert_no_exception(page, title)
        assert logout_button(page).is_visible(), f"no 'Logga ut' on {title}"


def log_out_at_provider(page, issuer: str, app: str) -> None:
    """st.logout sends the browser to the provider's end-session page (the provider has one): say yes there,
    and the provider sends it back to the app."""
    page.wait_for_url(f"{issuer}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{app}/**")


# --- the tests ------------------------------------------------------------------------------------------------

def test_learner_signs_in_through_the_provider_form_and_sees_their_course(app, provider, page):
    sign_in(page, app, provider, "medarbetare", then="Min utbildning")
    wait_for_app(page)
    assert sidebar(page).get_by_text("Mats Medarbetare").first.is_visible()
    assert set(nav_links(page)) >= {"Min utbildning"}
    assert "Min enhet" not in nav_links(page) and "Administration" not in nav_links(page)
    body = page.locator("body").inner_text()
    assert any(title in body for title in module_titles()), "the learner sees none of the course's modules"
    assert logout_button(page).is_visible()


def test_manager_sees_min_enhet_and_logout_on_every_page(app, provider, page):
    sign_in(page, app, provider, "chef", then="Min enhet")
    wait_for_app(page)
    assert sidebar(page).get_by_text("Karin Chef").first.is_visible()
    assert "Administration" not in nav_links(page)
    assert_logout_on_every_page(page, app, {"Min utbildning", "Min enhet"}, but=LEARNER_PAGES)


def test_admin_sees_administration_logout_works_and_needs_the_form_again(app, provider, page):
    sign_in(page, app, provider, "admin", then="Administration")
    wait_for_app(page)
    assert sidebar(page).get_by_text("Ada Admin").first.is_visible()
    assert_logout_on_every_page(page, app, {"Min utbildning", "Administration"})

    logout_button(page).click()
    log_out_at_provider(page, provider, app)
    page.get_by_role("button", name="Logga in").wait_for()
    assert not [c for c in page.context.cookies(app) if c["name"].startswith("_streamlit_user")], \
        "the app's identity cookie is still there after 'Logga ut'"
    page.reload()
    page.get_by_role("button", name="Logga in").wait_for()
    wait_for_app(page)
    assert course_links(page) == [] and not page.get_by_text("Ada Admin").count()
    # Signing in again takes the provider's form: the app did not keep the person signed in.
    page.get_by_role("button", name="Logga in").click()
    provider_form(page, provider).wait_for()


def test_a_person_the_staff_list_does_not_know_is_told_whom_to_contact(app, provider, page):
    sign_in(page, app, provider, "okand", then=re.compile("^Vi hittar dig inte i kommunens personallista"))
    assert_no_course_data(page)
    body = page.locator("body").inner_text()
    assert any(contact in body for contact in contacts()), f"no contact person named on the page: {body!r}"
    assert logout_button(page).is_visible(), "no 'Logga ut' on the refusal page"


def test_a_person_whose_employment_has_ended_gets_no_data(app, provider, page):
    sign_in(page, app, provider, "slutat", then=re.compile(r"^Din anställning.*avsluta[dt]"))
    assert_no_course_data(page)
    assert not page.get_by_text("Sven Slutat").count()
    assert logout_button(page).is_visible(), "no 'Logga ut' on the refusal page"


def test_an_unverified_email_does_not_sign_anyone_in(app, provider, page):
    """The staff list has the address, but the provider says it is not verified: refused, no data."""
    sign_in(page, app, provider, "overifierad", then="Gränsfall")
    page.locator('[data-testid="stAlertContentError"], [data-testid="stAlert"]').first.wait_for()
    assert_no_course_data(page)
    assert not sidebar(page).get_by_text("Vera Overifierad").count()


def test_after_the_maximum_session_age_the_app_asks_for_a_new_sign_in(short_app, provider, page):
    sign_in(page, short_app, provider, "medarbetare", then="Min utbildning")
    signed_in = time.monotonic()  # the ID token's iat is at most this
    wait_for_app(page)
    assert nav_links(page), "signed in: the navigation shows"
    page.wait_for_timeout((SHORT_SESSION_HOURS * 3600 + 1.5 - (time.monotonic() - signed_in)) * 1000)

    # In the open session: the next page the learner opens asks for a new sign-in.
    other = [title for title in nav_links(page) if title != "Min utbildning"]
    if other:
        navigation(page).get_by_text(other[0]).click()
        page.get_by_text("Din inloggning har gått ut").first.wait_for()
    # And after a reload.
    page.reload()
    page.get_by_text("Din inloggning har gått ut").first.wait_for()
    page.get_by_role("button", name="Logga in igen").wait_for()
    assert_no_course_data(page)

    # "Logga in igen" goes through the provider and back in.
    page.get_by_role("button", name="Logga in igen").click()
    log_out_at_provider(page, provider, short_app)
    page.get_by_role("button", name="Logga in").click()
    provider_form(page, provider).fill("medarbetare")
    page.locator('input[name="password"]').fill("ett lösenord")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{short_app}/**")
    navigation(page).get_by_text("Min utbildning").wait_for()
