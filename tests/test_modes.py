"""Modes are explicit and safe: demo runs only on a database the demo seed made; OIDC refuses weak or missing
secrets; a signed-in person who is not employed today is refused on every page; sign-out is on every page; a
session older than the maximum age must sign in again. And the CLI says where it writes, refusing the demo's file."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, update
from streamlit.testing.v1 import AppTest

from progress.cli import main as cli
from progress.db import make_engine, migrate
from progress.models import Person, Unit
from tests.conftest import seeded_sqlite
from tests.test_app import APP, AUTH_SECRETS, course, logged_in_env, open_app, open_logged_in  # noqa: F401


def _real_database(tmp_path) -> str:
    """A municipality's own database: migrated, one unit and one person, not made by the demo seed."""
    url = f"sqlite:///{tmp_path / 'kommun.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": "u", "name": "Enheten", "kind": "enhet"}])
        connection.execute(insert(Person), [{"id": "p1", "name": "Riktig Person", "email": "p1@kommun.example",
                                             "unit_id": "u", "start_date": date(2020, 1, 1)}])
    engine.dispose()
    return url


def test_demo_mode_refuses_a_database_the_demo_did_not_make(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATABASE_URL", _real_database(tmp_path))
    monkeypatch.setenv("COURSE_AUTH", "demo")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["as"] = "p1"
    at.run()
    assert not at.exception
    assert any("startar inte" in e.value for e in at.error)
    assert any("Demoläget öppnar bara" in text.value for text in at.text)
    assert not at.title and not at.button  # no page, no switcher with real people


def test_an_unknown_auth_mode_does_not_start(demo_env, monkeypatch):
    monkeypatch.setenv("COURSE_AUTH", "both")
    at = open_app("demo-admin")
    assert any("startar inte" in e.value for e in at.error) and not at.title


@pytest.mark.parametrize("secrets, problem", [
    (None, "[auth] saknas"),
    ({**AUTH_SECRETS, "cookie_secret": "kort"}, "minst 32 tecken"),
    ({key: value for key, value in AUTH_SECRETS.items() if key != "client_secret"}, "client_secret saknas"),
])
def test_oidc_mode_refuses_missing_or_weak_secrets(logged_in_env, secrets, problem):
    at = AppTest.from_file(APP, default_timeout=60)
    if secrets:
        at.secrets["auth"] = secrets
    at.user = {"is_logged_in": True, "email": "milad.berg@gransby.example", "iss": "i", "sub": "s",
               "iat": int(time.time())}
    at.run()
    assert not at.exception
    assert any("inte rätt inställd" in e.value for e in at.error)
    assert any(problem in m.value for m in at.markdown)
    assert not any("Hej" in title.value for title in at.title)


def test_sign_out_is_on_every_page(logged_in_env):
    admin = open_logged_in("anna.holm@gransby.example")
    for page in ("views/learner.py", "views/my_talk.py", "views/admin.py", "views/import_page.py",
                 "views/compliance.py", "views/certificates.py"):
        admin.switch_page(page).run()
        assert not admin.exception, page
        assert [b.label for b in admin.sidebar.button if b.key == "logout"] == ["Logga ut"], page


def test_a_person_whose_employment_ended_is_refused_on_every_page(logged_in_env):
    admin = open_logged_in("anna.holm@gransby.example")
    assert any("Hej Anna" in title.value for title in admin.title)
    engine = make_engine(logged_in_env)
    with engine.begin() as connection:  # HR ends the employment while the session is open
        connection.execute(update(Person).where(Person.id == "demo-admin")
                           .values(end_date=date.today() - timedelta(days=1)))
    admin.switch_page("views/import_page.py").run()
    assert any("avslutat" in e.value for e in admin.error)
    assert not admin.title or not any("Importera" in title.value for title in admin.title)
    assert not admin.file_uploader


def test_an_expired_session_must_sign_in_again(logged_in_env, monkeypatch):
    monkeypatch.setenv("COURSE_SESSION_MAX_HOURS", "1")
    fresh = open_logged_in("milad.berg@gransby.example")
    assert any("Hej Milad" in title.value for title in fresh.title)
    stale = open_logged_in("milad.berg@gransby.example", iat=int(time.time()) - 3700)
    assert any("har gått ut" in w.value for w in stale.warning)
    assert [b.label for b in stale.button] == ["Logga in igen"]
    assert not any("Hej" in title.value for title in stale.title)


def test_an_unverified_address_is_refused_with_whom_to_contact(logged_in_env):
    at = open_logged_in("milad.berg@gransby.example", email_verified=False)
    assert any("inte bekräftat" in e.value for e in at.error)
    assert any("Anna Holm" in text.value for text in at.text)  # the contact from organisation.yaml
    assert not any("Hej" in title.value for title in at.title)


# --- the CLI -----------------------------------------------------------------------------------------------

def _staff_file(tmp_path):
    path = tmp_path / "personal.csv"
    path.write_text("anstallningsid;namn;epost;enhet;roll;startdatum\n"
                    "x1;Test Person;x1@kommun.example;ks;medarbetare;2024-01-01\n", encoding="utf-8")
    return path


def test_cli_writes_say_where_and_refuse_the_demo_database(tmp_path, capsys, fixture_course):
    demo_url = seeded_sqlite(tmp_path / "demo-copy.sqlite", fixture_course, employees=5, history_years=1)
    assert cli(["import", str(_staff_file(tmp_path)), "--database-url", demo_url, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "Databas: sqlite:///" in err and "demons databas" in err
    assert cli(["remind", "--dry-run", "--database-url", demo_url]) == 2
    assert "demons databas" in capsys.readouterr().err


def test_cli_writes_to_a_real_database_and_names_it(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'kommun.sqlite'}"
    cli(["import", str(_staff_file(tmp_path)), "--database-url", url, "--dry-run"])
    err = capsys.readouterr().err
    assert f"Databas: {url}" in err and "demons databas" not in err


def test_cli_hides_the_password_of_the_database_it_names(capsys):
    from progress.cli import _writing_target
    from argparse import Namespace

    _writing_target(Namespace(database_url="postgresql+psycopg://u:hemlig@127.0.0.1:1/x", demo=False))
    err = capsys.readouterr().err
    assert "hemlig" not in err and "127.0.0.1:1/x" in err
