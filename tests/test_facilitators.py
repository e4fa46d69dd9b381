"""Facilitator rights (progress/facilitators.py, issue 14): an admin lets a person lead group sessions for a unit
and the units under it without managing it. On SQLite and PostgreSQL: who may start and lead a session, the
units the Gruppläge page offers, admins only and audited, the right outlives an HR import, migration 0014, the
register extract, erasure and anonymisation; and the section on the admin page."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, select

from course import rules
from progress import audit, facilitators, importer, privacy
from progress import group_sessions as groups
from progress.access import SYSTEM, NotPermitted
from progress.db import Database
from progress.models import AuditEvent, FacilitatorRight, Person, PersonRole, Unit
from progress.unit_tree import UnitChoice
from tests.conftest import migrate_to, open_app
from tests.test_group_sessions import insert_people

NOW = datetime(2026, 12, 8, 13, 0)
TODAY = NOW.date()
SCENARIO = "prov-middag"

# enh (chef) has enh-2 under it; annan is chef2's. hanna works in annan and manages nothing: the HR partner who
# leads the workplace meeting's exercise for enh; gone has left; admin gives the rights.
UNITS = [("enh", "Enheten", None, "chef"), ("enh-2", "Underenheten", "enh", None),
         ("annan", "Annan enhet", None, "chef2"), ("annan-2", "Annans underenhet", "annan", None)]
PEOPLE = [("chef", "enh", ("chef", "medarbetare"), None), ("anna", "enh", ("medarbetare",), None),
          ("dora", "enh-2", ("medarbetare",), None), ("hanna", "annan", ("medarbetare",), None),
          ("chef2", "annan", ("chef",), None), ("gone", "enh", ("medarbetare",), TODAY - timedelta(days=1)),
          ("admin", "annan", ("admin", "medarbetare"), None)]


@pytest.fixture
def org(db) -> Database:
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": unit_id, "name": name, "kind": "enhet", "parent_id": parent,
                                           "manager_id": manager} for unit_id, name, parent, manager in UNITS])
        insert_people(connection, PEOPLE)
    return db


def events(db: Database, *actions: str) -> list[tuple]:
    with db.read() as session:
        return [(e.actor_id, e.action, e.subject_id, json.loads(e.detail or "{}")) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id))]


def held(db: Database) -> list[tuple]:
    with db.read() as session:
        return [tuple(row) for row in session.execute(select(FacilitatorRight.person_id, FacilitatorRight.unit_id,
                                                             FacilitatorRight.granted_by)
                                                      .order_by(FacilitatorRight.person_id, FacilitatorRight.unit_id))]


def start(db, course, viewer, unit, now=NOW):
    return groups.start(db, course, viewer, unit, SCENARIO, "sv", now)


# --- who may lead --------------------------------------------------------------------------------------------

def test_a_granted_person_leads_sessions_for_the_unit_and_below_but_not_another(org, fixture_course):
    db, course = org, fixture_course
    with pytest.raises(NotPermitted):
        start(db, course, "hanna", "enh")  # before the right: not her unit
    assert not facilitators.is_facilitator(db, "hanna", TODAY)
    assert facilitators.facilitated_unit_choices(db, "hanna", TODAY) == []

    assert facilitators.grant(db, "admin", "hanna", "enh", NOW) == "granted"

    assert facilitators.is_facilitator(db, "hanna", TODAY)
    assert facilitators.facilitated_unit_choices(db, "hanna", TODAY) == [UnitChoice("enh", "Enheten", 0),
                                                                        UnitChoice("enh-2", "Underenheten", 1)]
    screen = start(db, course, "hanna", "enh")
    assert screen.facilitator_id == "hanna"
    assert start(db, course, "hanna", "enh-2").unit_id == "enh-2"  # the unit under it, too
    with pytest.raises(NotPermitted):
        start(db, course, "hanna", "annan-2")  # the unit she works in is not hers to lead, nor its sub-unit
    with pytest.raises(NotPermitted):
        start(db, course, "anna", "enh")  # nobody else got anything

    # the whole session, as a manager would lead it: her control is checked at every step
    groups.join(db, "anna", screen.code, NOW)
    groups.vote(db, course, "anna", screen.id, 0, 0, NOW)
    screen = groups.reveal(db, course, "hanna", screen.id, 0, NOW)
    screen = groups.follow(db, course, "hanna", screen.id, 0, screen.default_choice, NOW)
    groups.end(db, course, "hanna", screen.id, NOW)
    assert {line.person_id for line in groups.attendance_list(db, "hanna", screen.id, TODAY)} >= {"anna", "dora"}
    assert groups.confirm_attendance(db, course, "hanna", screen.id, ["anna"], NOW).added == ("anna",)
    assert groups.view(db, course, "hanna", screen.id, TODAY).confirmed == 1
    with pytest.raises(NotPermitted):
        groups.view(db, course, "chef", screen.id, TODAY)  # the unit's manager did not lead this one

    # a right does nothing for someone who has left
    with db.engine.begin() as connection:
        connection.execute(Person.__table__.update().where(Person.id == "hanna").values(end_date=TODAY))
    assert facilitators.is_facilitator(db, "hanna", TODAY)
    assert not facilitators.is_facilitator(db, "hanna", TODAY + timedelta(days=1))
    with pytest.raises(NotPermitted):
        start(db, course, "hanna", "enh", NOW + timedelta(days=1))


def test_revoking_removes_the_right_and_the_control_of_a_session_under_way(org, fixture_course):
    db, course = org, fixture_course
    facilitators.grant(db, "admin", "hanna", "enh", NOW)
    screen = start(db, course, "hanna", "enh-2")

    assert facilitators.revoke(db, "admin", "hanna", "enh", NOW) is True

    assert held(db) == [] and not facilitators.is_facilitator(db, "hanna", TODAY)
    with pytest.raises(NotPermitted):
        groups.reveal(db, course, "hanna", screen.id, 0, NOW)  # as a manager who stopped managing the unit
    with pytest.raises(NotPermitted):
        start(db, course, "hanna", "enh")
    assert groups.reveal(db, course, "admin", screen.id, 0, NOW).revealed, "an admin can still close it"
    assert facilitators.revoke(db, "admin", "hanna", "enh", NOW) is False  # a double click: nothing to log
    assert events(db, audit.FACILITATOR_GRANT, audit.FACILITATOR_REVOKE) == [
        ("admin", audit.FACILITATOR_GRANT, "hanna", {"unit": "enh"}),
        ("admin", audit.FACILITATOR_REVOKE, "hanna", {"unit": "enh"})]


def test_only_an_admin_gives_takes_and_lists_rights(org):
    db = org
    for viewer in ("chef", "anna", "hanna", None, "nobody"):
        with pytest.raises(NotPermitted):
            facilitators.grant(db, viewer, "hanna", "enh", NOW)
    facilitators.grant(db, SYSTEM, "hanna", "enh", NOW)  # the operator at the command line may
    for viewer in ("chef", "hanna"):
        with pytest.raises(NotPermitted):
            facilitators.revoke(db, viewer, "hanna", "enh", NOW)
        with pytest.raises(NotPermitted):
            facilitators.rights(db, viewer, TODAY)
        with pytest.raises(NotPermitted):
            facilitators.find_people(db, viewer, "Namn", TODAY)
    assert held(db) == [("hanna", "enh", None)]  # granted by the operator: no person
    assert events(db, audit.FACILITATOR_GRANT) == [(None, audit.FACILITATOR_GRANT, "hanna", {"unit": "enh"})]
    with db.engine.begin() as connection:  # an admin who has left is no admin
        connection.execute(Person.__table__.update().where(Person.id == "admin").values(end_date=TODAY - timedelta(1)))
    with pytest.raises(NotPermitted):
        facilitators.revoke(db, "admin", "hanna", "enh", NOW)
    assert held(db) == [("hanna", "enh", None)]


def test_a_grant_is_checked_and_giving_it_again_changes_nothing(org):
    db = org
    with pytest.raises(facilitators.UnknownPerson):
        facilitators.grant(db, "admin", "nobody", "enh", NOW)
    with pytest.raises(facilitators.NotEmployed) as error:
        facilitators.grant(db, "admin", "gone", "enh", NOW)
    assert "inte anställd i dag" in str(error.value)
    with pytest.raises(facilitators.UnknownUnit):
        facilitators.grant(db, "admin", "hanna", "no-such-unit", NOW)
    assert held(db) == [] and events(db, audit.FACILITATOR_GRANT) == []
    assert facilitators.grant(db, "admin", "hanna", "enh", NOW) == "granted"
    assert facilitators.grant(db, "admin", "hanna", "enh", NOW + timedelta(minutes=1)) == "already_granted"
    assert held(db) == [("hanna", "enh", "admin")] and len(events(db, audit.FACILITATOR_GRANT)) == 1

    facilitators.grant(db, "admin", "anna", "annan", NOW)
    listed = facilitators.rights(db, "admin", TODAY)
    assert [(r.person_id, r.person_name, r.unit_id, r.unit_name, r.granted_by, r.granted_by_name, r.granted_at,
             r.employed) for r in listed] == [
        ("anna", "Namn anna", "annan", "Annan enhet", "admin", "Namn admin", NOW, True),
        ("hanna", "Namn hanna", "enh", "Enheten", "admin", "Namn admin", NOW, True)]


def test_the_units_offered_are_the_managed_the_granted_and_every_unit_for_an_admin(org):
    db = org
    facilitators.grant(db, "admin", "chef", "enh-2", NOW)  # inside what chef manages: listed once, under enh
    facilitators.grant(db, "admin", "chef", "annan-2", NOW)
    assert facilitators.facilitated_unit_choices(db, "chef", TODAY) == [
        UnitChoice("annan-2", "Annans underenhet", 0), UnitChoice("enh", "Enheten", 0),
        UnitChoice("enh-2", "Underenheten", 1)]
    assert facilitators.facilitated_unit_choices(db, "admin", TODAY) == [
        UnitChoice("annan", "Annan enhet", 0), UnitChoice("annan-2", "Annans underenhet", 1),
        UnitChoice("enh", "Enheten", 0), UnitChoice("enh-2", "Underenheten", 1)]
    assert facilitators.facilitated_unit_choices(db, "anna", TODAY) == []
    with pytest.raises(NotPermitted):
        facilitators.facilitated_unit_choices(db, "gone", TODAY)
    assert not facilitators.is_facilitator(db, "chef2", TODAY), "managers are shown the page by their role"


def test_an_admin_finds_people_by_a_part_of_the_name_or_the_id(org):
    db = org
    with db.engine.begin() as connection:
        connection.execute(insert(Person), [
            {"id": "asa", "name": "Åsa Öberg", "unit_id": "enh", "start_date": TODAY - timedelta(days=10)},
            {"id": "pct", "name": "100% Procent_Person", "unit_id": "enh", "start_date": TODAY - timedelta(days=10)},
            {"id": "later", "name": "Namn later", "unit_id": "enh", "start_date": TODAY + timedelta(days=10)}])
    found = lambda text: [p.id for p in facilitators.find_people(db, "admin", text, TODAY)]  # noqa: E731
    assert found("NAMN H") == ["hanna"]  # any case
    assert found("chef") == ["chef", "chef2"]  # the names hold it
    assert found("Åsa") == ["asa"] and found("Öberg") == ["asa"]  # as written: SQLite's lower() folds only A-Z
    assert found("dora") == ["dora"] and found("gone") == [] and found("later") == []  # employed today only
    assert found("%") == ["pct"] and found("_") == ["pct"], "what is typed is text, not a pattern"
    assert found("  ") == []
    assert len(facilitators.find_people(db, "admin", "Namn", TODAY, limit=3)) == 3
    assert facilitators.find_people(db, "admin", "asa", TODAY)[0] == facilitators.PersonOption("asa", "Åsa Öberg",
                                                                                               "Enheten")


# --- the HR import -------------------------------------------------------------------------------------------

IMPORT_FILES = Path(__file__).parent / "fixtures" / "import"


def test_an_hr_import_that_replaces_the_roles_keeps_the_right(db, fixture_course):
    """Roles come from the staff file and an import replaces them; a right given in the app is not a role."""
    day = date(2025, 3, 1)
    moment = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
    units = (IMPORT_FILES / "enheter.csv").read_bytes()
    people = (IMPORT_FILES / "personal.csv").read_text(encoding="utf-8-sig")
    assert importer.apply(db, SYSTEM, importer.parse("personal.csv", people.encode(), "enheter.csv", units),
                          day).ok
    # 1003 manages the library; 1002 works there and is given the right for the fritid unit under 1001
    assert facilitators.grant(db, SYSTEM, "1002", "kf-fritid", moment) == "granted"

    changed = people.replace("ola.lanedisk@kommun.example;kf-bibliotek;1003;Medarbetare",
                             "ola.lanedisk@kommun.example;kf-bibliotek;1003;medarbetare, upphandlare")
    assert changed != people
    plan = importer.apply(db, SYSTEM, importer.parse("personal.csv", changed.encode(), "enheter.csv", units), day)
    assert plan.ok and plan.has_changes
    with db.read() as session:
        roles = sorted(session.scalars(select(PersonRole.role).where(PersonRole.person_id == "1002")))
    assert roles == ["medarbetare", "upphandlare"], "the import did replace the roles"
    assert held(db) == [("1002", "kf-fritid", None)]
    assert start(db, fixture_course, "1002", "kf-fritid", moment).facilitator_id == "1002"


# --- migration 0014 ------------------------------------------------------------------------------------------

def test_migration_0014_goes_down_and_up_and_makes_the_models_table(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from progress.models import Base

    migrate_to(db.engine, "0013")
    assert "facilitator_rights" not in inspect(db.engine).get_table_names()
    assert "group_sessions" in inspect(db.engine).get_table_names(), "only 0014 went"
    migrate_to(db.engine, "head")
    db.engine.dispose()  # a pooled SQLite connection may answer from the schema it read before
    found = inspect(db.engine)
    assert {c["name"] for c in found.get_columns("facilitator_rights")} == {"person_id", "unit_id", "granted_by",
                                                                            "granted_at"}
    assert found.get_pk_constraint("facilitator_rights")["constrained_columns"] == ["person_id", "unit_id"]
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                Base.metadata) == []
    with db.engine.begin() as connection:  # the table works after the round trip
        connection.execute(insert(Unit), [{"id": "u", "name": "U", "kind": "enhet"}])
        connection.execute(insert(Person), [{"id": "p", "name": "P", "unit_id": "u", "start_date": date(2020, 1, 1)}])
        connection.execute(insert(FacilitatorRight), [{"person_id": "p", "unit_id": "u", "granted_at": NOW}])
    assert held(db) == [("p", "u", None)]


# --- data protection -----------------------------------------------------------------------------------------

def test_the_register_extract_holds_the_rights_held_and_given(org):
    db = org
    facilitators.grant(db, "admin", "hanna", "enh", NOW)
    rows = privacy.register_extract(db, SYSTEM, "hanna")["tabeller"]["facilitator_rights"]
    assert [(r["person_id"], r["unit_id"], r["granted_by"], r["granted_at"]) for r in rows] == [
        ("hanna", "enh", "admin", NOW.isoformat())]
    assert [r["person_id"] for r in privacy.register_extract(db, SYSTEM, "admin")["tabeller"]["facilitator_rights"]] \
        == ["hanna"], "the admin's extract says whom they gave a right"
    assert privacy.register_extract(db, SYSTEM, "anna")["tabeller"]["facilitator_rights"] == []
    assert privacy.own_counts(db, "hanna", TODAY)["facilitator_rights"] == 1


def test_erasure_deletes_the_persons_rights_and_keeps_those_they_gave_without_their_name(org):
    db = org
    with db.engine.begin() as connection:  # a second admin, to be erased
        connection.execute(insert(Person), [{"id": "admin2", "name": "Andra Admin", "unit_id": "annan",
                                             "start_date": TODAY - timedelta(days=100)}])
        connection.execute(insert(PersonRole), [{"person_id": "admin2", "role": "admin"}])
    facilitators.grant(db, "admin2", "hanna", "enh", NOW)
    facilitators.grant(db, "admin", "admin2", "annan", NOW)

    result = privacy.erase(db, "admin", "admin2")

    assert result.counts["facilitator_rights"] == 1 and result.moved == {"facilitator_rights": 1}
    assert held(db) == [("hanna", "enh", None)], "hanna keeps her right; who gave it is gone"
    assert facilitators.rights(db, "admin", TODAY)[0].granted_by_name is None

    result = privacy.erase(db, "admin", "hanna")
    assert result.counts["facilitator_rights"] == 1 and held(db) == []


def test_someone_who_left_long_ago_loses_the_right_and_the_rights_they_gave_stay(org, fixture_course, tmp_path):
    db = org
    facilitators.grant(db, "admin", "hanna", "enh", NOW)
    facilitators.grant(db, "admin", "anna", "enh", NOW)
    with db.engine.begin() as connection:  # then both the admin and hanna left, more than a year ago
        connection.execute(Person.__table__.update().where(Person.id.in_(["hanna", "admin"]))
                           .values(end_date=rules.add_months(TODAY, -13)))
    policy = privacy.RetentionPolicy({**dict.fromkeys(privacy.TYPES), "personer_som_slutat": 12}, "Beslut", "t")

    result = privacy.run(db, SYSTEM, fixture_course, policy, tmp_path, today=TODAY)

    assert result.plan.people == ["admin", "hanna"]
    with db.read() as session:
        pseudonym_of_admin = session.scalar(select(FacilitatorRight.granted_by))
        assert session.execute(select(FacilitatorRight.person_id, FacilitatorRight.unit_id)).all() == [("anna", "enh")]
        assert pseudonym_of_admin.startswith("anon-")
        assert session.scalar(select(Person.name).where(Person.id == pseudonym_of_admin)) == "Anonymiserad"
    with zipfile.ZipFile(result.archive) as archive:
        archived = [json.loads(line) for line in archive.read("anonymiserade_facilitator_rights.jsonl").splitlines()]
    assert [(row["person_id"], row["unit_id"]) for row in archived] == [("hanna", "enh")], "archived before it went"


# --- the admin page ------------------------------------------------------------------------------------------

HOSTILE = "**Fet** <b>Ful</b> [länk](https://example.com) Hacker"


def test_the_admin_page_gives_and_takes_a_right_after_a_question(demo_env):
    at = open_app("demo-admin", "views/admin.py", timeout=90)
    assert any(header.value == "Samtalsledare för gruppövningar" for header in at.subheader)
    assert any("Ingen har fått rätt" in info.value for info in at.info)
    assert at.button(key="fac_grant").disabled, "nothing to give before a person and a unit are picked"
    with sqlite3.connect(demo_env) as connection:  # a name from the HR file, as hostile as it gets
        connection.execute("INSERT INTO people (id, name, unit_id, start_date) VALUES ('x1', ?, 'sbf-miljo', ?)",
                           (HOSTILE, (date.today() - timedelta(days=30)).isoformat()))

    at.text_input(key="fac_search").input("hacker").run()
    assert not at.exception, at.exception
    person = at.selectbox(key="fac_person")
    assert person.options == [f"{HOSTILE}, Miljö- och hälsoskyddsenheten (x1)"]  # plain text in the label
    person.select("x1")
    at.selectbox(key="fac_unit").select("sbf-bygglov")
    at.run()
    assert not at.button(key="fac_grant").disabled
    at.button(key="fac_grant").click().run()
    assert not at.exception, at.exception
    assert any("får nu leda gruppövningar för Bygglovsenheten" in s.value and r"\*\*Fet\*\*" in s.value
               for s in at.success), [s.value for s in at.success]
    with sqlite3.connect(demo_env) as connection:
        assert connection.execute("SELECT person_id, unit_id, granted_by FROM facilitator_rights").fetchall() == [
            ("x1", "sbf-bygglov", "demo-admin")]
        assert connection.execute("SELECT actor_id, subject_id FROM audit_events WHERE action = ?",
                                  (audit.FACILITATOR_GRANT,)).fetchall() == [("demo-admin", "x1")]
    assert HOSTILE in [text.value for text in at.text], "the name in the table, as text"
    assert not any("<b>" in m.value or "**Fet**" in m.value for m in at.markdown), "never as Markdown"

    revoke = "fac_revoke-2-x1-sbf-bygglov"
    at.button(key=revoke).click().run()  # the button inside the "Ta bort" question
    assert not at.exception, at.exception
    assert any("får inte längre leda gruppövningar" in s.value for s in at.success)
    assert any("Ingen har fått rätt" in info.value for info in at.info)
    with sqlite3.connect(demo_env) as connection:
        assert connection.execute("SELECT count(*) FROM facilitator_rights").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM audit_events WHERE action = ?",
                                  (audit.FACILITATOR_REVOKE,)).fetchone() == (1,)
