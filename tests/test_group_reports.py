"""Group sessions as such on Min enhet, the talk page (and its PDF) and the annual report (issue 14, point 4), on
SQLite and on PostgreSQL: what counts (a session with someone confirmed, in the scope's units and period, by the
meeting's day), who counts (every confirmed person, once), and a fixed number of queries."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import insert

from course.rules import report_period
from progress import dashboard, group_sessions as groups, talk, unit_page, unit_tree
from progress.access import SYSTEM
from progress.annual import build_report
from course.documents.annual import annual_pdf, annual_xlsx, summary as annual_summary
from progress.models import Person, PersonRole, Unit
from tests.test_learner import statements

TODAY = date(2026, 3, 1)
SCENARIO = "prov-middag"  # start: 0 -> chefen, 1 -> slut-svag; chefen: 0 -> slut-bra, 1 -> slut-delvis
HOSTILE = "Chef <b>Ek</b> & [Son](https://x.example) =1+1"  # a facilitator's name as an HR file may spell it

UNITS = [  # (id, name, kind, parent, manager)
    ("forv", "Förvaltning A", "förvaltning", None, None),
    ("enh", "Enheten", "enhet", "forv", "chef"),
    ("enh-2", "Underenheten", "enhet", "enh", None),
    ("forv-b", "Förvaltning B", "förvaltning", None, None),
    ("annan", "Annan enhet", "enhet", "forv-b", "chef2"),
]
PEOPLE = [  # (id, name, unit, roles)
    ("chef", HOSTILE, "enh", ("chef", "medarbetare")), ("anna", "Anna A", "enh", ("medarbetare",)),
    ("bo", "Bo B", "enh", ("medarbetare",)), ("dora", "Dora D", "enh-2", ("medarbetare",)),
    ("erik", "Erik E", "annan", ("medarbetare",)), ("chef2", "Chef Två", "annan", ("chef", "medarbetare")),
    ("ny", "Ny N", "enh", ("medarbetare",)), ("ingen", "Ingen I", "enh", ("medarbetare",)),  # in no session
]


@pytest.fixture
def org(db):
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": u, "name": n, "kind": k, "parent_id": p, "manager_id": m}
                                          for u, n, k, p, m in UNITS])
        connection.execute(insert(Person), [{"id": pid, "name": name, "unit_id": unit, "start_date": date(2020, 1, 1)}
                                            for pid, name, unit, _ in PEOPLE])
        connection.execute(insert(PersonRole), [{"person_id": pid, "role": role}
                                                for pid, _, _, roles in PEOPLE for role in roles])
    return db


def held(db, course, day: date, people, *, facilitator="chef", unit="enh", path=(0, 0), joiners=(),
         scenario=SCENARIO) -> int:
    """A session on `day`: people in `joiners` join by the code, the group follows `path` (content choice
    indexes) after each reveal, it ends, and `people` are confirmed. Returns its id."""
    now = datetime.combine(day, time(13))
    screen = groups.start(db, course, facilitator, unit, scenario, "sv", now)
    for person in joiners:
        groups.join(db, person, screen.code, now)
    for choice in path:
        screen = groups.reveal(db, course, facilitator, screen.id, screen.step_no, now)
        screen = groups.follow(db, course, facilitator, screen.id, screen.step_no, choice, now)
    groups.end(db, course, facilitator, screen.id, now)
    if people:
        groups.confirm_attendance(db, course, facilitator, screen.id, people, now)
    return screen.id


@pytest.fixture
def sessions(org, fixture_course):
    """Sessions in and out of chef's units and of the last twelve months before TODAY."""
    db, course = org, fixture_course
    made = {
        "bra": held(db, course, date(2026, 2, 10), ["anna", "bo", "erik"], joiners=["erik"]),  # erik: elsewhere
        "svag": held(db, course, date(2025, 11, 5), ["anna", "chef"], path=(1,)),  # anna again: one person
        "early": held(db, course, date(2026, 1, 20), ["dora"], unit="enh-2", path=(0,)),  # ended at "chefen"
        "nobody": held(db, course, date(2026, 2, 20), []),  # nobody confirmed: not held, as far as counts go
        "old": held(db, course, date(2024, 6, 1), ["anna", "bo"]),  # before the period (and last year's report)
        "elsewhere": held(db, course, date(2026, 2, 1), ["erik", "chef2"], facilitator="chef2", unit="annan"),
        "older": held(db, course, date(2025, 4, 2), ["bo", "ny"], path=(0, 1)),
    }
    return made


def scope(db, viewer="chef", unit_id=None, role=None):
    return unit_tree.scope_for(db, viewer, unit_id, role, TODAY)


def activity(db, **kwargs):
    start, end = report_period(TODAY, "12m")
    module_id = kwargs.pop("module_id", None)
    return dashboard.group_sessions_in_period(db, scope(db, **kwargs), start, end, module_id)


# --- Min enhet -----------------------------------------------------------------------------------------------------

def test_min_enhet_counts_the_sessions_held_in_the_scope_and_period_and_who_took_part(sessions, org):
    found = activity(org)
    # bra, svag, early, older: in chef's units (enh and enh-2) within twelve months, each with someone confirmed
    assert found.sessions == 4
    assert found.people == 6  # anna, bo, erik (from elsewhere), chef, dora, ny: anna and bo once each
    assert [line.session_id for line in found.latest] == [sessions[k] for k in ("bra", "early", "svag", "older")]
    newest = found.latest[0]
    assert (newest.held_on, newest.scenario_id, newest.facilitator_id, newest.facilitator_name,
            newest.participants, newest.ending) == (date(2026, 2, 10), SCENARIO, "chef", HOSTILE, 3, "bra")
    assert [line.ending for line in found.latest] == ["bra", None, "svag", "delvis"]  # early: ended before one

    below = activity(org, unit_id="enh-2")  # the unit under hers: its own session only
    assert (below.sessions, below.people, [line.session_id for line in below.latest]) == (1, 1, [sessions["early"]])
    other = activity(org, viewer="chef2")
    assert (other.sessions, other.people) == (1, 2)
    assert [line.facilitator_name for line in other.latest] == ["Chef Två"]


def test_the_role_and_module_filters_narrow_the_group_sessions_as_they_narrow_the_figures(sessions, org):
    chefs = activity(org, role="chef")
    assert (chefs.sessions, chefs.people) == (1, 1)  # only chef herself took part, in "svag"
    assert [line.session_id for line in chefs.latest] == [sessions["svag"]]
    assert chefs.latest[0].participants == 2  # the line still says how many were there
    assert activity(org, module_id="prov").sessions == 4
    assert (activity(org, module_id="no-such-module").sessions, activity(org, module_id="no-such-module").latest) \
        == (0, ())


def test_the_unit_page_carries_the_group_sessions_in_two_queries_whatever_their_number(org, fixture_course):
    db, course = org, fixture_course
    start, end = report_period(TODAY, "12m")
    held(db, course, date(2026, 2, 10), ["anna"])

    def cost() -> int:
        chosen = scope(db)
        with statements(db) as seen:
            dashboard.group_sessions_in_period(db, chosen, start, end)
        return len(seen)

    few = cost()
    for day in (date(2026, 1, 5), date(2025, 12, 1), date(2025, 10, 3)):
        held(db, course, day, ["anna", "bo", "dora"])
    assert cost() == few and few <= 3, few  # two SELECTs (and SQLite's BEGIN)
    page = unit_page.unit_page(db, course, scope(db), None, start, end, TODAY, list_people=False)
    assert (page.group_sessions.sessions, page.group_sessions.people) == (4, 3)  # shown for a scope of any size


def test_a_scope_not_made_by_the_store_is_refused(sessions, org):
    from dataclasses import replace

    from progress.access import NotPermitted

    start, end = report_period(TODAY, "12m")
    with pytest.raises(NotPermitted):
        dashboard.group_sessions_in_period(org, replace(scope(org), issued=None), start, end)


# --- the talk page -------------------------------------------------------------------------------------------------

def test_the_talk_summary_lists_the_person_s_group_sessions_newest_first(sessions, org, fixture_course):
    db, course = org, fixture_course
    seen_by_manager = talk.summary(db, course, "anna", TODAY, "chef")
    assert [(r.session_id, r.held_on, r.facilitator_name, r.ending) for r in seen_by_manager.group_sessions] == [
        (sessions["bra"], date(2026, 2, 10), HOSTILE, "bra"), (sessions["svag"], date(2025, 11, 5), HOSTILE, "svag"),
        (sessions["old"], date(2024, 6, 1), HOSTILE, "bra")]
    assert talk.summary(db, course, "anna", TODAY, "anna").group_sessions == seen_by_manager.group_sessions
    assert talk.summary(db, course, "dora", TODAY, "chef").group_sessions[0].ending is None
    assert talk.summary(db, course, "ny", TODAY, "ny").group_sessions[0].ending == "delvis"
    assert talk.summary(db, course, "ingen", TODAY, "chef").group_sessions == ()
    with pytest.raises(talk.NotPermitted):  # erik is not in chef's units, though he took part in her session
        talk.summary(db, course, "erik", TODAY, "chef")


def test_the_talk_summary_costs_one_query_more_whatever_the_number_of_sessions(org, fixture_course):
    db, course = org, fixture_course

    def cost() -> int:
        with statements(db) as seen:
            talk.summary(db, course, "anna", TODAY, "anna")
        return len(seen)

    none = cost()
    held(db, course, date(2026, 2, 10), ["anna"])
    one = cost()
    held(db, course, date(2026, 2, 11), ["anna"])
    held(db, course, date(2026, 2, 12), ["anna"])
    assert cost() == one == none  # the records' query is made with or without records


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_talk_pdf_lists_the_group_sessions_with_the_names_as_text(sessions, org, fixture_course):
    db, course = org, fixture_course
    data = talk.pdf(db, course, "anna", TODAY, "chef")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = " ".join(pdf_text(data).split())
    heading = text.index("Gruppövningar på APT")
    assert text.index("2026-02-10", heading) < text.index("2025-11-05", heading)  # newest first
    assert "Middagen" in text[heading:] and "Bra hanterat" in text and "Här gick det snett" in text
    assert "Chef <b>Ek</b> & [Son](https://x.example)" in text  # printed as written, not as markup
    english = " ".join(pdf_text(talk.pdf(db, course, "dora", TODAY, "chef", "en")).split())
    assert "Group sessions at workplace meetings" in english and "Ended before the scenario's end" in english
    assert "Gruppövningar på APT" not in pdf_text(talk.pdf(db, course, "ingen", TODAY, "chef"))  # none: no section


# --- the annual report ---------------------------------------------------------------------------------------------

def test_the_annual_report_counts_the_year_s_sessions_participations_and_people(sessions, org, fixture_course):
    report = build_report(org, SYSTEM, fixture_course, 2025, today=TODAY)
    # 2025: svag (anna, chef) and older (bo, ny) in Förvaltning A; 2026's and 2024's sessions are other years
    assert (report.group_total.sessions, report.group_total.participations, report.group_total.people) == (2, 4, 4)
    assert [(g.name, g.sessions, g.participations, g.people) for g in report.group_by_administration] == [
        ("Förvaltning A", 2, 4, 4)]
    assert (report.previous_group_total.sessions, report.previous_group_total.participations,
            report.previous_group_total.people) == (1, 2, 2)  # old, 2024
    running = build_report(org, SYSTEM, fixture_course, 2026, today=TODAY)
    # bra (anna, bo, erik) and early (dora) in A; elsewhere (erik, chef2) in B; "nobody" is not counted
    assert [(g.name, g.sessions, g.participations, g.people) for g in running.group_by_administration] == [
        ("Förvaltning A", 2, 4, 4), ("Förvaltning B", 1, 2, 2)]
    assert (running.group_total.sessions, running.group_total.participations, running.group_total.people) == (3, 6, 5)
    assert any("3 gruppövningar med 6 deltaganden av sammanlagt 5 personer" in line
               for line in annual_summary(running))


def test_the_annual_report_s_files_show_the_group_sessions(sessions, org, fixture_course):
    report = build_report(org, SYSTEM, fixture_course, 2026, today=TODAY)
    text = " ".join(pdf_text(annual_pdf(report)).split())
    done = text.index("Genomfört under året")
    assert text.index("Gruppövningar på APT", done) < text.index("Gruppövningar på APT per förvaltning 2026") \
        < text.index("Metod")
    assert "Förvaltning B 1 2 2" in text and "Hela organisationen 3 6 5" in text
    trends = {row[1]: row for row in load_workbook(io.BytesIO(annual_xlsx(report)))["Trender"]
              .iter_rows(min_row=2, values_only=True)}
    assert trends["Gruppövningar på APT"][0] == "Gruppövningar"
    assert (trends["Gruppövningar på APT"][3], trends["Gruppövningar på APT"][6]) == (2, 3)  # 2025, 2026
    assert trends["Personer som deltog i en gruppövning"][6] == 5
