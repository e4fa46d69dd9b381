"""The accessibility statement (issue 13, point 7): docs/tillganglighet.md filled from config/organisation.yaml,
open to everyone (signed in or not), and linked at the foot of every page."""

from __future__ import annotations

import shutil

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from course.content import placeholders
from course.content.loader import load_course
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
PAGE = "views/accessibility.py"
STATEMENT = PROJECT_ROOT / "docs" / "tillganglighet.md"
LINK = "Tillgänglighetsredogörelse"
AUTH_SECRETS = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "gransfall", "client_secret": "hemligt",
                "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def contact() -> dict:
    settings = yaml.safe_load((PROJECT_ROOT / "config/organisation.yaml").read_text(encoding="utf-8"))
    return settings["kontaktpersoner"]["tillganglighet"]


def open_app(user: str | None = None, secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        at.query_params["as"] = user
    if secrets:
        at.secrets["auth"] = secrets
        at.user = {"is_logged_in": False}  # the identity provider has not been visited yet
    at.run()
    assert not at.exception, at.exception
    return at


def footer_links(at: AppTest) -> list[str]:
    """The labels of the main area's page links that lead to the statement."""
    return [link.proto.label for link in at.main.get("page_link") if link.proto.page.endswith("tillganglighet")]


def statement_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def open_statement(at: AppTest) -> AppTest:
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


# --- the document ---------------------------------------------------------------------------------------------

def test_every_placeholder_in_the_statement_has_a_value_in_organisation_yaml():
    text = STATEMENT.read_text(encoding="utf-8")
    result = load_course(PROJECT_ROOT)
    assert result.ok, [p.as_text() for p in result.problems]
    values = placeholders.flatten(result.course.organisation)
    used = placeholders.PLACEHOLDER.findall(text)
    assert "org.kontaktpersoner.tillganglighet.epost" in used  # whom to tell about a barrier
    assert [name for name in used if name not in values] == []
    # a misspelt one ({org.Namn}, {org.namn.}) would not match the pattern and stay on the page as it is
    assert "{org" not in placeholders.PLACEHOLDER.sub("", text)


def test_the_statement_has_what_digg_asks_for():
    text = STATEMENT.read_text(encoding="utf-8")
    assert "delvis förenlig med lagen om tillgänglighet till digital offentlig service" in text
    assert "https://www.digg.se/tdosanmalan" in text  # Digg's form for reporting a barrier
    assert "## Hur vi testat Gränsfall" in text and "axe-core" in text
    assert "Redogörelsen uppdaterades senast den " in text
    for criterion in ("3.1.1", "3.1.2", "1.3.1"):  # the known shortcomings, each with its criterion
        assert f"framgångskriterium {criterion}" in text, criterion
    assert "<!--" not in text  # the page is the statement only; notes for the people who run it are elsewhere


# --- the page -------------------------------------------------------------------------------------------------

def test_the_statement_is_open_in_demo_mode_before_anyone_is_picked(demo_env):
    at = open_app()
    assert any("Välj en demoanvändare" in info.value for info in at.info)  # nobody is signed in
    assert footer_links(at) == [LINK]
    open_statement(at)
    shown = statement_text(at)
    assert "# Tillgänglighetsredogörelse för Gränsfall" in shown
    email = contact()["epost"]
    assert f"[{email}](mailto:{email})" in shown  # a link to write to, the address as written
    assert "Gränsby kommun" in shown and "{org." not in shown
    assert not at.warning  # every setting was there
    assert not any("Välj en demoanvändare" in info.value for info in at.info)  # the statement, not the welcome
    assert footer_links(at) == [LINK]


def test_the_footer_link_is_on_the_learner_and_the_manager_pages(demo_env):
    learner = open_app("demo-nyanstalld")
    assert any("Hej" in title.value for title in learner.title)
    assert footer_links(learner) == [LINK]
    chef = open_app("demo-chef")
    chef.switch_page("views/manager.py").run()
    assert not chef.exception, chef.exception
    assert chef.get("plotly_chart"), "not the manager page"
    assert footer_links(chef) == [LINK]
    # the manager page's own content comes before the footer, also where it ends early with st.stop()
    order = [element.type for element in chef.main]
    assert order[-2:] == ["divider", "page_link"], order[-4:]
    open_statement(chef)
    assert contact()["epost"] in statement_text(chef)


def test_a_page_that_stops_early_keeps_its_footer(demo_env):
    admin = open_app("demo-admin")
    admin.switch_page("views/annual_report.py").run()  # st.stop() until a year is asked for
    assert not admin.exception, admin.exception
    assert any("Ta fram rapporten" in info.value for info in admin.info) and not admin.get("plotly_chart")
    assert footer_links(admin) == [LINK]


def test_the_statement_is_open_to_someone_not_signed_in(demo_env, monkeypatch):
    monkeypatch.setenv("COURSE_AUTH", "oidc")
    at = open_app(secrets=AUTH_SECRETS)
    assert [button.label for button in at.button] == ["Logga in"]
    assert footer_links(at) == [LINK]
    open_statement(at)
    assert contact()["epost"] in statement_text(at)
    assert "{org." not in statement_text(at)


def test_signing_out_on_a_manager_page_leaves_the_welcome_and_the_footer(demo_env):
    chef = open_app("demo-chef")
    chef.switch_page("views/manager.py").run()
    chef.button(key="logout").click().run()  # still at /min-enhet: a hidden stand-in there, not the page
    assert not chef.exception, chef.exception
    assert any("Välj en demoanvändare" in info.value for info in chef.info)
    assert not chef.get("plotly_chart") and not chef.dataframe
    assert footer_links(chef) == [LINK]


def test_settings_are_escaped_and_a_missing_one_is_named(demo_env, tmp_path, monkeypatch):
    root = tmp_path / "content"
    for folder in ("modules", "scenarios", "quizzes"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    settings = yaml.safe_load((PROJECT_ROOT / "config/organisation.yaml").read_text(encoding="utf-8"))
    people = settings["kontaktpersoner"]
    people["tillganglighet"]["namn"] = "**HR** [klicka](https://evil.example) <b>x</b>"
    people["tillganglighet"]["epost"] = "x](javascript:alert(1))@evil.example"
    del people["tillganglighet"]["telefon"]
    (root / "config").mkdir()
    (root / "config/organisation.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("COURSE_CONTENT_ROOT", str(root))
    at = open_statement(open_app())
    shown = statement_text(at)
    assert r"\*\*HR\*\* \[klicka\]" in shown and "<b>" not in shown  # text, not emphasis, a link or HTML
    assert "](javascript:" not in shown and "x\\]\\(javascript" in shown
    assert any("saknas" in warning.value for warning in at.warning)
    assert "org.kontaktpersoner.tillganglighet.telefon" in "\n".join(text.value for text in at.text)
    assert "{org." not in shown


@pytest.mark.parametrize("language, note", [("sv", None), ("en", "is in Swedish")])
def test_the_page_title_and_the_link_follow_the_language(demo_env, language, note):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = language
    at.run()
    expected = {"sv": "Tillgänglighetsredogörelse", "en": "Accessibility statement"}[language]
    assert [link.proto.label for link in at.main.get("page_link")] == [expected]
    open_statement(at)
    captions = [caption.value for caption in at.caption]
    assert any(note in caption for caption in captions) if note else not captions
    assert "# Tillgänglighetsredogörelse för Gränsfall" in statement_text(at)  # the statement itself is Swedish
