"""Least privilege in the store (issue 9, point 4): every read of a person's results takes the viewer and checks
the right in the store, and every admin function refuses anyone but an employed admin. Then the same crossings
through the app: crafted URLs (switch_page to a page the role does not have), query parameters (?person=) and
session values (a forged current_user). A widget value outside its options (a dashboard unit that is not the
manager's) cannot be sent through AppTest: that crossing is tested on the store, where scope_for refuses it.

The store half runs on SQLite and PostgreSQL (the `db` fixture) over a small organisation built here:

    kommun (chef-top)
    ├── sbf (chef-sbf)
    │   ├── bygglov          anna, lena-left (ended yesterday), ny-future (starts tomorrow)
    │   └── miljo (chef-left, who ended yesterday)    mia
    └── vof (chef-vof)       bo
    admin, admin-left (ended yesterday) in kommun
"""

from __future__ import annotations

import ast
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from progress import analytics_queries as queries
from progress import audit, certificates, dashboard, reports, talk, unit_tree
from progress.access import SYSTEM, NotPermitted, may_see_person
from progress.annual import build_report
from progress.models import Attempt, Completion, Person, PersonRole, Step, TopicTally, Unit
from tests.conftest import PROJECT_ROOT
from tests.test_app import open_app

TODAY = date.today()
YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
LONG_AGO = date(2020, 1, 1)

UNITS = [("kommun", "Kommunen", None, "chef-top"), ("sbf", "Samhällsbyggnad", "kommun", "chef-sbf"),
         ("bygglov", "Bygglov", "sbf", None), ("miljo", "Miljö", "sbf", "chef-left"),
         ("vof", "Vård och omsorg", "kommun", "chef-vof")]
PEOPLE = [  # id, unit, roles, start, end
    ("chef-top", "kommun", ("chef", "medarbetare"), LONG_AGO, None),
    ("chef-sbf", "sbf", ("chef", "medarbetare"), LONG_AGO, None),
    ("chef-vof", "vof", ("chef", "medarbetare"), LONG_AGO, None),
    ("chef-left", "miljo", ("chef", "medarbetare"), LONG_AGO, YESTERDAY),
    ("anna", "bygglov", ("medarbetare",), LONG_AGO, None),
    ("lena-left", "bygglov", ("medarbetare",), LONG_AGO, YESTERDAY),
    ("ny-future", "bygglov", ("medarbetare",), TOMORROW, None),
    ("mia", "miljo", ("medarbetare",), LONG_AGO, None),
    ("bo", "vof", ("medarbetare",), LONG_AGO, None),
    ("admin", "kommun", ("admin", "medarbetare"), LONG_AGO, None),
    ("admin-left", "kommun", ("admin", "medarbetare"), LONG_AGO, YESTERDAY),
]
NOT_ADMINS = ("chef-top", "chef-sbf", "anna", "admin-left", "nobody", "", None)


def build(db) -> None:
    """The organisation above; anna, lena-left and bo have each done the module (one quiz, one sure-but-wrong
    answer), and the tallies have a few rows."""
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": u, "name": n, "kind": "enhet", "parent_id": p, "manager_id": m}
                                          for u, n, p, m in UNITS])
        connection.execute(insert(Person), [{"id": p, "name": f"Namn {p}", "unit_id": u, "start_date": s,
                                             "end_date": e, "title": "Handläggare"} for p, u, _, s, e in PEOPLE])
        connection.execute(insert(PersonRole), [{"person_id": p, "role": r} for p, _, roles, _, _ in PEOPLE
                                                for r in roles])
        moment = datetime.combine(TODAY - timedelta(days=20), datetime.min.time()).replace(hour=10)
        for number, person_id in enumerate(("anna", "lena-left", "bo"), 1):
            connection.execute(insert(Attempt), [{"id": number, "person_id": person_id, "module_id": "prov",
                                                  "kind": "quiz", "item_id": "prov-fragor", "attempt_no": 1,
                                                  "content_version": "v1", "started_at": moment,
                                                  "finished_at": moment}])
            connection.execute(insert(Step), [
                {"id": 10 * number, "attempt_id": number, "step_no": 0, "item": "prov-q1", "response": "[0]",
                 "correct": True, "confidence": 2, "idempotency_key": f"a{number}", "answered_at": moment},
                {"id": 10 * number + 1, "attempt_id": number, "step_no": 1, "item": "prov-q2", "response": "[2]",
                 "correct": False, "confidence": 3, "idempotency_key": f"b{number}", "answered_at": moment}])
            connection.execute(insert(Completion), [{"person_id": person_id, "module_id": "prov",
                                                     "content_version": "v1", "started_at": moment,
                                                     "completed_at": moment, "score_percent": 90.0,
                                                     "trigger_step_id": 10 * number}])
        connection.execute(insert(TopicTally), [
            {"unit_id": unit, "role": "", "topic": "muta-tagande", "month": date(TODAY.year, TODAY.month, 1),
             "answered": 10, "correct": 6} for unit in ("bygglov", "vof")])


@pytest.fixture
def org(db):
    build(db)
    return db


# --- one rule: who may see a person's results -----------------------------------------------------------------

@pytest.mark.parametrize("viewer, person, allowed", [
    ("anna", "anna", True),  # herself
    ("chef-sbf", "anna", True),  # her manager's unit holds hers, one level down
    ("chef-top", "anna", True),  # at any depth
    ("chef-sbf", "mia", True),  # a unit whose own manager has left is still under sbf
    ("chef-vof", "anna", False),  # a manager elsewhere
    ("anna", "chef-sbf", False),  # upwards
    ("anna", "bo", False),  # a colleague
    ("chef-sbf", "lena-left", False),  # someone who has left
    ("chef-sbf", "ny-future", False),  # a new hire before the first day
    ("chef-left", "mia", False),  # a manager who has left
    ("lena-left", "lena-left", False),  # someone who has left, about themselves
    ("admin", "anna", False),  # an admin is not anyone's manager
    ("nobody", "anna", False), ("", "anna", False), (None, "anna", False),
])
def test_who_may_see_a_person(org, viewer, person, allowed):
    with org.read() as session:
        assert may_see_person(session, viewer, person, TODAY) is allowed
    assert talk.may_view(org, viewer, person, TODAY) is allowed


def test_answers_to_each_question_are_for_the_person_and_admins_never_the_manager(org, fixture_course):
    with org.read() as session:
        for viewer, allowed in (("anna", True), ("admin", True), ("chef-sbf", False), ("admin-left", False),
                                ("bo", False)):
            assert may_see_person(session, viewer, "anna", TODAY, manager=False, admin=True) is allowed, viewer
    assert len(talk.item_answers(org, fixture_course, "anna", "admin")) == 2
    for viewer in ("chef-sbf", "chef-top", "bo", "admin-left", "nobody"):
        with pytest.raises(NotPermitted):
            talk.item_answers(org, fixture_course, "anna", viewer)


def test_talk_refuses_every_crossing_and_its_refusal_is_the_access_one(org, fixture_course):
    assert talk.NotPermitted is NotPermitted
    assert talk.summary(org, fixture_course, "anna", TODAY, "chef-sbf").history  # the positive case
    assert len(talk.pdf(org, fixture_course, "anna", TODAY, "chef-sbf")) > 1000
    for viewer, person in (("chef-vof", "anna"), ("anna", "bo"), ("chef-sbf", "lena-left"),
                           ("chef-sbf", "ny-future"), ("chef-left", "mia"), ("admin", "anna")):
        with pytest.raises(NotPermitted):
            talk.summary(org, fixture_course, person, TODAY, viewer)
        with pytest.raises(NotPermitted):
            talk.pdf(org, fixture_course, person, TODAY, viewer)
    people = {person_id for person_id, _, _ in talk.people_to_talk_with(org, "chef-sbf", TODAY)}
    assert people == {"anna", "mia"}  # neither who has left nor who has not started, nor herself
    with pytest.raises(NotPermitted):
        talk.people_to_talk_with(org, "chef-left", TODAY)


def test_a_managers_lists_cover_their_units_only_and_refuse_a_manager_who_has_left(org, fixture_course):
    assert {row.person_id for row in reports.team_status(org, fixture_course, "chef-sbf", TODAY)} == {"anna", "mia"}
    # a unit elsewhere narrows to nobody: the units asked for are only ever a part of the manager's own
    assert reports.team_status(org, fixture_course, "chef-sbf", TODAY, unit_ids=["vof"]) == []
    assert {row.person_id for row in reports.team_misconceptions(org, fixture_course, "chef-sbf")} == {"anna"}
    assert reports.team_misconceptions(org, fixture_course, "chef-sbf", ["vof"]) == []
    for call in (lambda: reports.team_status(org, fixture_course, "chef-left", TODAY),
                 lambda: reports.team_misconceptions(org, fixture_course, "chef-left"),
                 lambda: unit_tree.managed_unit_choices(org, "chef-left")):
        with pytest.raises(NotPermitted):
            call()


def test_the_dashboard_scope_comes_from_the_store_and_nothing_else_is_accepted(org, fixture_course):
    scope = unit_tree.scope_for(org, "chef-sbf", today=TODAY)
    assert set(scope.groups) == {"sbf", "bygglov", "miljo"} and scope.viewer_id == "chef-sbf"
    overdue_ids = {row.person_id for row in dashboard.status_overview(org, fixture_course, scope).overdue}
    assert not overdue_ids & {"bo", "lena-left"}
    assert set(unit_tree.scope_for(org, "chef-sbf", "bygglov", today=TODAY).groups) == {"bygglov"}
    for viewer, unit_id in (("chef-sbf", "vof"), ("chef-sbf", "kommun"), ("chef-left", None),
                            ("chef-left", "miljo"), ("nobody", None), ("anna", "bygglov")):
        with pytest.raises(NotPermitted):
            unit_tree.scope_for(org, viewer, unit_id, today=TODAY)
    assert unit_tree.scope_for(org, "anna", today=TODAY).groups == {}  # manages nothing: an empty scope
    # A scope a page builds itself (here: the whole organisation) is refused by every figure
    units = unit_tree.load_units(org)
    forged = unit_tree.make_scope(units, ["kommun"], None, TODAY)
    for call in (lambda: dashboard.status_overview(org, fixture_course, forged),
                 lambda: dashboard.status_overview(org, fixture_course, forged, list_overdue=False),
                 lambda: dashboard.people_count(org, forged),
                 lambda: dashboard.completed_in_period(org, forged, TODAY - timedelta(days=60), TODAY),
                 lambda: dashboard.topic_heatmap(org, forged, TODAY - timedelta(days=60), TODAY)):
        with pytest.raises(NotPermitted):
            call()
    assert dashboard.people_count(org, unit_tree.scope_for(org, "chef-top", today=TODAY)) == 8  # none who left


# --- admin functions: an employed admin only ----------------------------------------------------------------

ADMIN_CALLS = {
    "item_statistics": lambda db, course, viewer: queries.item_statistics(db, viewer, course, "prov-fragor"),
    "item_sums": lambda db, course, viewer: queries.item_sums(db, viewer, "prov-fragor"),
    "response_counts": lambda db, course, viewer: queries.response_counts(db, viewer, "prov-fragor"),
    "topic_mastery_by_month": lambda db, course, viewer: queries.topic_mastery_by_month(db, viewer),
    "topic_shares (organisation)": lambda db, course, viewer: queries.topic_shares(db, viewer, min_answered=1),
    "annual report": lambda db, course, viewer: build_report(db, viewer, course, TODAY.year, today=TODAY),
    "certificate check": lambda db, course, viewer: certificates.find(db, viewer, "ABCDE-FGHJK"),
    "store counts": lambda db, course, viewer: reports.store_counts(db, viewer),
    "audit events": lambda db, course, viewer: audit.events(db, viewer),
    "audit export": lambda db, course, viewer: audit.export(db, viewer),
}


@pytest.mark.parametrize("name", list(ADMIN_CALLS))
def test_every_admin_function_refuses_everyone_but_an_employed_admin(org, fixture_course, name):
    call = ADMIN_CALLS[name]
    call(org, fixture_course, "admin")  # an admin: no refusal
    call(org, fixture_course, SYSTEM)  # the operator at the command line
    for viewer in NOT_ADMINS:
        with pytest.raises(NotPermitted):
            call(org, fixture_course, viewer)


def test_the_import_is_for_admins_in_the_store(org):
    from progress import importer

    parsed = importer.parse("personal.csv", "anstallningsid;namn;epost;enhet;roll;startdatum\r\n"
                                            "9001;Ny Person;ny@example.se;bygglov;medarbetare;2024-01-01\r\n"
                            .encode("utf-8"))
    for viewer in NOT_ADMINS:
        for call in (importer.plan_for, importer.apply):
            with pytest.raises(NotPermitted):
                call(org, viewer, parsed, TODAY)
    with org.read() as session:
        assert session.get(Person, "9001") is None  # nothing was written by a refused import
    assert importer.apply(org, "admin", parsed, TODAY).ok
    with org.read() as session:
        assert session.get(Person, "9001").name == "Ny Person"


def test_topics_of_a_unit_for_its_managers_and_the_organisation_s_weakest_for_any_manager(org):
    assert queries.topic_shares(org, "chef-sbf", unit_id="bygglov", min_answered=1)[0].answered == 10
    assert queries.weakest_topic(org, "chef-top", unit_id="vof", topics=None) is not None
    assert queries.weakest_topic(org, "chef-vof") is not None  # the APT card's fallback: one figure
    for viewer, unit_id in (("chef-sbf", "vof"), ("chef-vof", "bygglov"), ("anna", "bygglov"),
                            ("chef-left", "miljo"), ("nobody", "bygglov")):
        with pytest.raises(NotPermitted):
            queries.topic_shares(org, viewer, unit_id=unit_id)
        with pytest.raises(NotPermitted):
            queries.weakest_topic(org, viewer, unit_id=unit_id)
    for viewer in ("anna", "chef-left", None):  # the organisation's weakest: not for a learner or a leaver
        with pytest.raises(NotPermitted):
            queries.weakest_topic(org, viewer)
    with pytest.raises(NotPermitted):  # the whole ranking across the organisation: admins only
        queries.topic_shares(org, "chef-top")


def test_a_learner_s_certificates_are_hers_alone(org, fixture_course):
    record = certificates.issue(org, "anna", fixture_course, "anna", "alla", TODAY)
    assert certificates.issue_pdf(org, "anna", fixture_course, "anna", "alla", TODAY)[:4] == b"%PDF"
    assert [c.code for c in certificates.for_person(org, "anna", "anna")] == [record.code]
    for viewer in ("bo", "chef-sbf", "admin", "nobody", None):
        with pytest.raises(NotPermitted):
            certificates.issue_pdf(org, viewer, fixture_course, "anna", "alla", TODAY)
        with pytest.raises(NotPermitted):
            certificates.issue(org, viewer, fixture_course, "anna", "alla", TODAY)
        with pytest.raises(NotPermitted):
            certificates.for_person(org, viewer, "anna")
    with pytest.raises(NotPermitted):  # someone who has left cannot issue one any more
        certificates.issue(org, "lena-left", fixture_course, "lena-left", "alla", TODAY)
    assert certificates.find(org, "admin", record.code).person_id == "anna"  # and the check is the admin's


def test_views_never_call_the_unchecked_building_blocks():
    """The checked functions are the only way in from a page: no view reads status_rows (everyone's status),
    builds a dashboard Scope, or calls a private store function."""
    unchecked = {"status_rows", "make_scope", "Scope", "_summary", "_item_sums", "_response_counts",
                 "_topic_shares", "_ISSUED", "_existing", "_completion"}
    for path in sorted((PROJECT_ROOT / "views").rglob("*.py")) + [PROJECT_ROOT / "app.py"]:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        names |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                  and (node.module or "").startswith("progress") for alias in node.names}
        assert not names & unchecked, (path.name, names & unchecked)


# --- the same crossings through the app -------------------------------------------------------------------------

MANAGER_PAGES = ("views/manager.py", "views/talk.py", "views/apt.py", "views/group.py")
ADMIN_PAGES = ("views/admin.py", "views/import_page.py", "views/compliance.py", "views/annual_report.py",
               "views/certificates.py", "views/audit_log.py")


def test_a_page_the_role_does_not_have_cannot_be_reached(demo_env):
    learner = open_app("demo-medarbetare")
    for page in MANAGER_PAGES + ADMIN_PAGES:
        with pytest.raises(ValueError):
            learner.switch_page(page)
    manager = open_app("demo-chef")
    for page in ADMIN_PAGES:
        with pytest.raises(ValueError):
            manager.switch_page(page)
    admin = open_app("demo-admin")
    admin.switch_page("views/audit_log.py").run()  # registered for admins, at /granskningslogg
    assert not admin.exception, admin.exception
    assert [title.value for title in admin.title] == ["Granskningslogg"]


def _set(database, sql: str, *values) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute(sql, values)


def _text(at) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "success",
                                  "warning", "error") for e in getattr(at, kind)]
    return "\n".join(str(part) for part in parts) + "\n".join(f.value.to_string() for f in at.dataframe)


def test_crafted_person_parameters_on_the_talk_pages(demo_env):
    open_app("demo-chef")  # seeds the demo
    with sqlite3.connect(demo_env) as connection:
        left, left_name = connection.execute("SELECT id, name FROM people WHERE unit_id = 'sbf-bygglov' "
                                             "AND id LIKE 'p%' ORDER BY id LIMIT 1").fetchone()
        outsider = connection.execute("SELECT id FROM people WHERE unit_id = 'vof-hemtjanst-norr' "
                                      "ORDER BY id LIMIT 1").fetchone()[0]
    _set(demo_env, "UPDATE people SET end_date = ? WHERE id = ?", YESTERDAY.isoformat(), left)
    for person_id in (left, outsider, "demo-admin", "finns-inte", "' OR 1=1 --"):
        at = open_app("demo-chef", person=person_id)
        at.switch_page("views/talk.py").run()
        assert not at.exception, at.exception
        assert any("Du kan inte se den här personens underlag" in e.value for e in at.error), person_id
        assert not at.header and not at.get("download_button") and left_name not in _text(at)
    # a learner's own page shows only herself, whatever ?person= says
    learner = open_app("demo-medarbetare", person="demo-nyanstalld")
    learner.switch_page("views/my_talk.py").run()
    assert not learner.exception, learner.exception
    assert [h.value for h in learner.header] == ["Milad Berg"]
    with sqlite3.connect(demo_env) as connection:  # and nothing of this was logged as a view of anyone
        assert connection.execute("SELECT count(*) FROM audit_events WHERE action = ?",
                                  (audit.VIEW_TALK,)).fetchone() == (0,)


def test_a_manager_who_has_left_sees_nothing(demo_env):
    open_app("demo-chef")
    _set(demo_env, "UPDATE people SET end_date = ? WHERE id = 'demo-chef'", YESTERDAY.isoformat())
    at = open_app("demo-chef", person="demo-medarbetare")
    assert any("avslutat" in e.value for e in at.error)
    with pytest.raises(ValueError, match="Could not find"):  # for a refused person the page is not registered:
        at.switch_page("views/talk.py")  # its address shows the welcome (app.py's stand-ins), never the page
    at.run()
    assert not at.exception, at.exception
    assert any("avslutat" in e.value for e in at.error)
    assert not at.header and not at.dataframe and "Milad" not in _text(at)
    assert "talk_person" not in {box.key for box in at.selectbox}  # the talk page never ran


def test_a_forged_current_user_in_the_session_is_overwritten_by_the_sign_in(demo_env):
    from progress.db import Database, make_engine
    from progress.org import Org

    open_app("demo-admin")  # seeds the demo
    admin = Org(Database(make_engine(f"sqlite:///{demo_env}"))).person("demo-admin")
    at = open_app("demo-medarbetare")
    at.session_state["current_user"] = admin  # as if a value in the session could name someone else
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["current_user"].id == "demo-medarbetare"  # app.py set it from the sign-in
    assert any("Milad" in title.value for title in at.title)
    for page in ADMIN_PAGES:
        with pytest.raises(ValueError):
            at.switch_page(page)
    # a visitor nobody signed in: a forged user opens nothing
    stranger = open_app()
    stranger.session_state["current_user"] = admin
    stranger.run()
    assert not stranger.exception, stranger.exception
    assert not any("Anna" in title.value for title in stranger.title)
    with pytest.raises(ValueError, match="Could not find"):  # the log is not even registered for a stranger
        stranger.switch_page("views/audit_log.py")
    stranger.run()
    assert not stranger.exception, stranger.exception
    assert "Granskningslogg" not in [title.value for title in stranger.title] and not stranger.dataframe
