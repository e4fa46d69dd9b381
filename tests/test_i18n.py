"""Every user-facing string outside the content is in both languages; the language a person chooses is stored
with them and opens their next session."""

from __future__ import annotations

import re
import sqlite3

from streamlit.testing.v1 import AppTest

from i18n import table, translate
from tests.conftest import PROJECT_ROOT, open_app


def test_swedish_and_english_have_the_same_keys():
    assert set(table("sv")) == set(table("en"))


def test_every_key_the_views_use_exists():
    used: set[str] = set()
    for path in [PROJECT_ROOT / "app.py", *(PROJECT_ROOT / "views").glob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 50
    missing = sorted(key for key in used if key not in table("sv"))
    assert not missing, missing
    for prefix in ("status_", "confidence_", "language_", "scenario_ending_", "role_"):
        assert any(key.startswith(prefix) for key in table("sv")), prefix


def test_every_record_type_of_the_retention_has_its_words():
    """The data-protection pages name each record type by a key made from it (f"dp_type_{key}"): a new type
    without them showed its key."""
    from progress.privacy import RECORD_TYPES

    missing = [f"{prefix}{kind.key}" for kind in RECORD_TYPES for prefix in ("dp_type_", "dp_effect_")
               if f"{prefix}{kind.key}" not in table("sv")]
    assert not missing, missing


def test_placeholders_match_between_languages():
    for key, swedish in table("sv").items():
        assert set(re.findall(r"{(\w+)}", swedish)) == set(re.findall(r"{(\w+)}", table("en")[key])), key


def test_a_missing_key_shows_itself_instead_of_crashing():
    assert translate("en", "no_such_key") == "no_such_key"
    assert translate("en", "module_due", date="2027-01-01") == "Due 2027-01-01"


# --- the language chosen, stored with the person (progress.preferences) ---------------------------------------

def greeting(at: AppTest) -> str:
    return at.title[0].value  # the learner's page: "Hej Nora!" or "Hello Nora!"


def chosen(demo_env) -> list[tuple[str, str]]:
    with sqlite3.connect(demo_env) as connection:
        return connection.execute("SELECT person_id, language FROM person_preferences ORDER BY person_id").fetchall()


def test_the_language_chosen_is_stored_and_opens_the_next_session_unless_the_address_says_otherwise(demo_env):
    at = open_app("demo-nyanstalld")
    assert greeting(at).startswith("Hej") and chosen(demo_env) == []
    at.sidebar.selectbox(key="language").select("en").run()
    assert not at.exception, at.exception
    assert greeting(at).startswith("Hello") and at.query_params["lang"] == "en"
    assert chosen(demo_env) == [("demo-nyanstalld", "en")]

    # A new session from an address without ?lang= (a bookmark, a link in a reminder): in English at once.
    fresh = open_app("demo-nyanstalld")
    assert greeting(fresh).startswith("Hello") and fresh.sidebar.selectbox(key="language").value == "en"
    assert fresh.sidebar.selectbox(key="language").label == "Language"  # the whole page, the sidebar too
    assert "lang" not in fresh.query_params
    fresh.run()  # and it stays so
    assert greeting(fresh).startswith("Hello")

    # A shared link with ?lang=sv wins for its session, also once the address has lost it (another page),
    # and does not change what the person stored.
    shared = open_app("demo-nyanstalld", lang="sv")
    assert greeting(shared).startswith("Hej") and shared.sidebar.selectbox(key="language").value == "sv"
    del shared.query_params["lang"]
    shared.run()
    assert greeting(shared).startswith("Hej")
    assert chosen(demo_env) == [("demo-nyanstalld", "en")]

    # Someone else chose nothing: Swedish, whatever the new hire chose.
    assert greeting(open_app("demo-medarbetare")).startswith("Hej")

    # Choosing Swedish again is stored too: the next session is Swedish.
    at.sidebar.selectbox(key="language").select("sv").run()
    assert chosen(demo_env) == [("demo-nyanstalld", "sv")]
    assert greeting(open_app("demo-nyanstalld")).startswith("Hej")
