"""The audit log (issue 9, point 8): every view of another person's results and every admin action is recorded
once, with who, what, whom and when; the table is append-only on both databases; admins read it, filter it and
export it (and the export is recorded too); its own retention deletes what is older than a cut-off.

The store half uses the small organisation of tests/test_access.py on SQLite and PostgreSQL; the page half runs
the demo through AppTest.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from progress import audit, certificates, talk
from progress.access import SYSTEM, NotPermitted
from progress.models import AuditEvent, Completion, Step
from tests.test_access import TODAY, build
from tests.test_app import downloads, open_app  # noqa: F401 (downloads is a fixture)


@pytest.fixture
def org(db):
    build(db)
    return db


@pytest.fixture
def noon_today(monkeypatch):
    """The log's clock at noon on TODAY: a filter by days around TODAY holds also when the run crosses midnight."""
    monkeypatch.setattr(audit, "utcnow", lambda: datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12))


def logged(db) -> list[tuple]:
    """(actor, action, subject) of every event, oldest first."""
    with db.read() as session:
        return [(e.actor_id, e.action, e.subject_id) for e in
                session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_each_view_of_another_person_is_recorded_once_and_one_s_own_is_not(org, fixture_course):
    talk.summary(org, fixture_course, "anna", TODAY, "anna")
    talk.pdf(org, fixture_course, "anna", TODAY, "anna")
    talk.item_answers(org, fixture_course, "anna", "anna")
    assert logged(org) == []  # her own page, her own PDF, her own answers
    talk.summary(org, fixture_course, "anna", TODAY, "chef-sbf")
    assert logged(org) == [("chef-sbf", audit.VIEW_TALK, "anna")]
    talk.pdf(org, fixture_course, "anna", TODAY, "chef-top")
    assert logged(org)[1:] == [("chef-top", audit.VIEW_TALK_PDF, "anna")]  # the PDF, not a second page view
    talk.item_answers(org, fixture_course, "anna", "admin")
    assert logged(org)[2:] == [("admin", audit.VIEW_ANSWERS, "anna")]
    for viewer in ("chef-vof", "bo"):  # a refusal reads nothing, so nothing is recorded as seen
        with pytest.raises(NotPermitted):
            talk.summary(org, fixture_course, "anna", TODAY, viewer)
    assert len(logged(org)) == 3
    (first,) = audit.events(org, "admin", actor_id="chef-sbf")
    assert first.actor_name == "Namn chef-sbf" and first.subject_name == "Namn anna"
    assert abs(first.at - datetime.utcnow()) < timedelta(minutes=1)


def test_a_certificate_check_and_a_named_export_are_recorded_with_whom(org, fixture_course):
    record = certificates.issue(org, "anna", fixture_course, "anna", "alla", TODAY)
    assert logged(org) == []  # issuing one's own certificate is not a view of anyone
    certificates.find(org, "admin", record.printed_code.lower())
    certificates.find(org, "admin", "ABCDE-FGHJK")
    assert logged(org) == [("admin", audit.CERTIFICATE_CHECK, "anna"), ("admin", audit.CERTIFICATE_CHECK, None)]
    found, unknown = sorted(audit.events(org, "admin"), key=lambda e: e.id)
    assert found.detail == {"code": record.code, "found": True} and unknown.detail["found"] is False
    assert audit.log_many(org, "chef-sbf", audit.EXPORT_NAMED, ["anna", "mia", "anna"], file="forsenade.csv",
                          people=2) == 2
    exported = [e for e in audit.events(org, "admin", actor_id="chef-sbf")]
    assert sorted(e.subject_id for e in exported) == ["anna", "mia"]  # each person named once
    assert {e.detail["file"] for e in exported} == {"forsenade.csv"} and len({e.at for e in exported}) == 1


def test_the_log_is_append_only_on_both_databases(org):
    audit.log(org, "admin", audit.SETTINGS, None, what="test")
    with pytest.raises(DBAPIError):
        with org.engine.begin() as connection:
            connection.execute(update(AuditEvent).values(actor_id="someone-else"))
    with pytest.raises(DBAPIError):
        with org.engine.begin() as connection:
            connection.execute(text("UPDATE audit_events SET action = 'nothing'"))
    assert logged(org) == [("admin", audit.SETTINGS, None)]


def test_admins_read_and_filter_the_log_by_period_actor_and_subject(org, fixture_course, noon_today):
    talk.summary(org, fixture_course, "anna", TODAY, "chef-sbf")
    talk.summary(org, fixture_course, "mia", TODAY, "chef-top")
    audit.log(org, SYSTEM, audit.IMPORT, None, file="personal.csv")  # the command line: no person
    with org.engine.begin() as connection:  # one event from two years ago
        connection.execute(insert(AuditEvent), [{"at": datetime(TODAY.year - 2, 5, 1, 12), "actor_id": "admin",
                                                 "action": audit.ERASURE, "subject_id": "gone"}])
    assert [e.action for e in audit.events(org, "admin")][:3] == [audit.IMPORT, audit.VIEW_TALK, audit.VIEW_TALK]
    assert [e.subject_id for e in audit.events(org, "admin", subject="anna")] == ["anna"]  # an id
    assert [e.subject_id for e in audit.events(org, "admin", subject="NAMN MI")] == ["mia"]  # part of a name
    assert [e.actor_id for e in audit.events(org, "admin", actor="chef-top")] == ["chef-top"]
    assert audit.events(org, "admin", actor="%") == [] and audit.events(org, "admin", subject="_") == []  # text
    system = [e for e in audit.events(org, "admin") if e.action == audit.IMPORT]
    assert system[0].actor_id is None and system[0].actor_name is None
    recent = audit.events(org, "admin", TODAY - timedelta(days=30), TODAY)
    assert len(recent) == 3 and audit.ERASURE not in {e.action for e in recent}
    old = audit.events(org, "admin", date(TODAY.year - 2, 1, 1), date(TODAY.year - 2, 12, 31))
    assert [e.subject_id for e in old] == ["gone"]


def test_an_export_of_the_log_is_itself_recorded(org, fixture_course, noon_today):
    talk.summary(org, fixture_course, "anna", TODAY, "chef-sbf")
    rows = audit.export(org, "admin", TODAY - timedelta(days=1), TODAY, subject="anna", file_format="xlsx")
    assert [(e.action, e.subject_id) for e in rows] == [(audit.VIEW_TALK, "anna")]
    (copy,) = audit.events(org, "admin", actor_id="admin")
    assert copy.action == audit.AUDIT_EXPORT and copy.detail["format"] == "xlsx" and copy.detail["subject"] == "anna"


def test_the_log_s_own_retention_deletes_what_is_older_than_the_cut_off(org):
    with org.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [
            {"at": datetime(2020, 1, 1), "actor_id": "admin", "action": audit.VIEW_TALK, "subject_id": "anna"},
            {"at": datetime(2021, 6, 1), "actor_id": "admin", "action": audit.VIEW_TALK, "subject_id": "anna"},
            {"at": datetime(2024, 6, 1), "actor_id": "admin", "action": audit.VIEW_TALK, "subject_id": "anna"}])
    assert org.write(lambda session: audit.cull_before(session, datetime(2021, 6, 1))) == 1  # strictly older
    with org.read() as session:
        assert sorted(session.scalars(select(AuditEvent.at))) == [datetime(2021, 6, 1), datetime(2024, 6, 1)]
    assert org.write(lambda session: audit.cull_before(session, datetime(2000, 1, 1))) == 0


def test_a_view_costs_one_write_and_a_fixed_number_of_queries(org, fixture_course):
    """The talk page's summary asks the same number of queries however much the person has done."""

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(org.engine, "before_cursor_execute", listener)
        try:
            talk.summary(org, fixture_course, "anna", TODAY, "chef-sbf")
        finally:
            event.remove(org.engine, "before_cursor_execute", listener)
        return sum(1 for sql in seen if sql.lstrip().upper().startswith(("SELECT", "WITH"))), \
            sum(1 for sql in seen if sql.lstrip().upper().startswith("INSERT"))

    before = statements()
    with org.engine.begin() as connection:  # many more answers and completions
        moments = [datetime(2022, 1, 1) + timedelta(days=i) for i in range(30)]
        connection.execute(insert(Step), [
            {"id": 1000 + i, "attempt_id": 1, "step_no": 100 + i, "item": f"prov-q{1 + i % 4}", "response": "[1]",
             "correct": i % 2 == 0, "confidence": 3, "idempotency_key": f"more-{i}", "answered_at": moment}
            for i, moment in enumerate(moments)])
        connection.execute(insert(Completion), [
            {"person_id": "anna", "module_id": "prov", "content_version": "v1", "started_at": moment,
             "completed_at": moment + timedelta(hours=1), "score_percent": 80.0, "trigger_step_id": 1000 + i}
            for i, moment in enumerate(moments)])
    assert statements() == before and before[1] == 1  # the same reads; one INSERT: the audit row


def test_an_applied_import_is_recorded_in_its_transaction_with_counts_file_and_role_changes(org, capsys):
    from progress.cli import main
    from progress import importer

    header = "anstallningsid;namn;epost;enhet;roll;startdatum\r\n"
    parsed = importer.parse("personal.csv", (header + "anna;Namn anna;anna@example.se;bygglov;medarbetare,chef;"
                                                      "2020-01-01\r\n9001;Ny Admin;ny@example.se;kommun;admin;"
                                                      "2024-01-01\r\n9002;Ny Person;p@example.se;vof;medarbetare;"
                                                      "2024-01-01\r\n").encode("utf-8"))
    importer.plan_for(org, "admin", parsed, TODAY)
    assert logged(org) == []  # a dry run changes nothing and records nothing
    assert importer.apply(org, "admin", parsed, TODAY, file_name="personal.csv").ok
    events = sorted(audit.events(org, "admin"), key=lambda e: e.id)
    assert [(e.actor_id, e.action, e.subject_id) for e in events] == [
        ("admin", audit.IMPORT, None),
        ("admin", audit.ROLE_CHANGE, "anna"),  # an existing person's roles changed
        ("admin", audit.ROLE_CHANGE, "9001")]  # a new admin; a new colleague without admin is only counted
    assert events[0].detail == {"file": "personal.csv", "end_missing": False, "added": 2, "changed": 1,
                                "ended": 0, "units_added": 0, "units_changed": 0}
    assert events[1].detail["old"] == ["medarbetare"] and set(events[1].detail["new"]) == {"chef", "medarbetare"}
    bad = importer.parse("personal.csv", (header + "9003;;x@example.se;nowhere;medarbetare;2024-01-01\r\n")
                         .encode("utf-8"))
    assert not importer.apply(org, "admin", bad, TODAY, file_name="personal.csv").ok
    assert len(logged(org)) == 3  # a refused import writes nothing, its audit row included
    if org.dialect == "sqlite":  # the command line: the operator, recorded without a person
        people = Path(__file__).parent / "fixtures" / "import" / "personal.csv"
        units = people.with_name("enheter.csv")
        url = org.engine.url.render_as_string(hide_password=False)
        assert main(["import", str(people), "--units", str(units), "--database-url", url]) == 0
        capsys.readouterr()
        (cli,) = [e for e in audit.events(org, "admin") if e.actor_id is None]
        assert cli.action == audit.IMPORT and cli.detail["file"] == "personal.csv" and cli.detail["added"] == 5


# --- in the app ---------------------------------------------------------------------------------------------------

def _events(database) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT actor_id, action, subject_id, detail FROM audit_events "
                                  "ORDER BY id").fetchall()


def test_the_talk_page_and_its_pdf_are_recorded_once_each_when_opened_and_downloaded(demo_env, downloads):
    at = open_app("demo-chef", person="demo-medarbetare")
    at.switch_page("views/talk.py").run()
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == ["Milad Berg"]
    assert [e[:3] for e in _events(demo_env)] == [("demo-chef", audit.VIEW_TALK, "demo-medarbetare")]
    pdf = downloads["medarbetarsamtal-demo-medarbetare.pdf"]  # the click: made now, and recorded now
    assert pdf[:4] == b"%PDF"
    assert [e[:3] for e in _events(demo_env)][1:] == [("demo-chef", audit.VIEW_TALK_PDF, "demo-medarbetare")]
    own = open_app("demo-medarbetare")
    own.switch_page("views/my_talk.py").run()
    assert not own.exception, own.exception
    assert len(_events(demo_env)) == 2  # his own page is not a view of someone else


def test_a_dashboard_export_that_names_people_records_each_of_them(demo_env, downloads):
    chef = open_app("demo-chef")
    chef.switch_page("views/manager.py").run()
    chef.selectbox(key="dash_unit").select("sbf-bygglov").run()
    assert not chef.exception, chef.exception
    assert _events(demo_env) == []  # drawing the page exports nothing
    csv_text = downloads["forsenade.csv"].decode("utf-8-sig")
    named = [e for e in _events(demo_env) if e[1] == audit.EXPORT_NAMED]
    assert named and {e[0] for e in named} == {"demo-chef"} and all('"forsenade.csv"' in e[3] for e in named)
    with sqlite3.connect(demo_env) as connection:
        names = dict(connection.execute("SELECT id, name FROM people").fetchall())
    in_file = {line.split(";")[0] for line in csv_text.splitlines()[1:]}
    assert {names[e[2]] for e in named} == in_file  # whom the log names is whom the file names
    workbook = openpyxl.load_workbook(io.BytesIO(downloads["min-enhet.xlsx"]))
    assert "Försenade" in workbook.sheetnames  # the workbook names the same people ...
    again = [e for e in _events(demo_env) if e[1] == audit.EXPORT_NAMED][len(named):]
    assert sorted(e[2] for e in again) == sorted(e[2] for e in named)  # ... and is recorded for each of them
    assert all('"min-enhet.xlsx"' in e[3] for e in again)


def test_the_admin_reads_and_exports_the_log_and_the_export_is_recorded(demo_env, downloads):
    chef = open_app("demo-chef", person="demo-medarbetare")
    chef.switch_page("views/talk.py").run()  # one event to find
    at = open_app("demo-admin")
    at.switch_page("views/audit_log.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["Händelse"]) == ["Öppnade medarbetarsamtal"]  # the action in Swedish
    assert list(table["Utförd av"]) == ["Cecilia Lund"] and list(table["Gäller"]) == ["Milad Berg"]
    at.text_input(key="audit_subject").input("Nora").run()
    assert not at.dataframe and any("Inga händelser" in i.value for i in at.info)
    at.text_input(key="audit_subject").input("milad").run()
    assert len(at.dataframe[0].value) == 1
    csv_text = downloads[f"granskningslogg-{date.today() - timedelta(days=30)}-{date.today()}.csv"].decode(
        "utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Tid (UTC);Händelse;Utförd av")
    assert "Öppnade medarbetarsamtal;Cecilia Lund;demo-chef;Milad Berg;demo-medarbetare" in csv_text
    sheet = openpyxl.load_workbook(io.BytesIO(
        downloads[f"granskningslogg-{date.today() - timedelta(days=30)}-{date.today()}.xlsx"])).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert ("Öppnade medarbetarsamtal", "Cecilia Lund") in {row[1:3] for row in rows}
    exports = [e for e in _events(demo_env) if e[1] == audit.AUDIT_EXPORT]
    assert [e[0] for e in exports] == ["demo-admin", "demo-admin"] and '"csv"' in exports[0][3]


def test_a_name_that_looks_like_a_formula_stays_text_in_the_log_s_exports(demo_env, downloads):
    open_app("demo-admin")  # seeds the demo
    with sqlite3.connect(demo_env) as connection:
        connection.execute("UPDATE people SET name = '=HYPERLINK(\"http://127.0.0.1:9/x\",\"klicka\")' "
                           "WHERE id = 'demo-medarbetare'")
    chef = open_app("demo-chef", person="demo-medarbetare")
    chef.switch_page("views/talk.py").run()
    at = open_app("demo-admin")
    at.switch_page("views/audit_log.py").run()
    assert not at.exception, at.exception
    stamp = f"{date.today() - timedelta(days=30)}-{date.today()}"
    rows = list(csv.reader(io.StringIO(downloads[f"granskningslogg-{stamp}.csv"].decode("utf-8-sig")), delimiter=";"))
    (name,) = [row[4] for row in rows[1:] if row[5] == "demo-medarbetare"]
    assert name == "'=HYPERLINK(\"http://127.0.0.1:9/x\",\"klicka\")"  # a leading quote: text to Excel
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]
    sheet = openpyxl.load_workbook(io.BytesIO(downloads[f"granskningslogg-{stamp}.xlsx"])).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if str(cell.value).startswith("=")]
    assert cells and all(cell.data_type == "s" for cell in cells)  # a string, never a formula
