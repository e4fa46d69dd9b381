"""Group sessions in the store (progress/group_sessions.py), on SQLite and on PostgreSQL: a whole session from the
start to the confirmed attendance, anonymous votes, a restart, who may do what, stale and doubled actions,
concurrent votes, a fixed number of queries per read, and migration 0013."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, inspect, select

from progress import group_sessions as groups
from progress.access import SYSTEM, NotPermitted
from progress.db import Database, make_engine
from progress.models import (Base, GroupBallot, GroupParticipant, GroupSession, GroupSessionEvent, GroupSessionRecord,
                             GroupVoteCount, Person, PersonRole, Unit)
from tests.conftest import migrate_to
from tests.test_learner import statements
from tests.test_store import run_concurrently

NOW = datetime(2026, 12, 8, 13, 0)
TODAY = NOW.date()
SCENARIO = "prov-middag"  # start: 0 Tacka nej -> chefen, 1 Tacka ja -> slut-svag; chefen: 0 Ja -> slut-bra, 1 Nej -> slut-delvis
GROUP_TABLES = {"group_sessions", "group_events", "group_vote_counts", "group_ballots", "group_participants",
                "group_session_records"}

# (id, unit, roles, end date): chef leads enheten (and the unit under it); erik is from elsewhere and joins
PEOPLE = [("chef", "enh", ("chef", "medarbetare"), None), ("anna", "enh", ("medarbetare",), None),
          ("bo", "enh", ("medarbetare",), None), ("cecilia", "enh", ("medarbetare",), None),
          ("dora", "enh-2", ("medarbetare",), None), ("gone", "enh", ("medarbetare",), TODAY - timedelta(days=1)),
          ("erik", "annan", ("medarbetare",), None), ("chef2", "annan", ("chef",), None),
          ("admin", "annan", ("admin",), None)]


@pytest.fixture
def org(db) -> Database:
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [
            {"id": "enh", "name": "Enheten", "kind": "enhet", "parent_id": None, "manager_id": "chef"},
            {"id": "enh-2", "name": "Underenheten", "kind": "enhet", "parent_id": "enh", "manager_id": None},
            {"id": "annan", "name": "Annan enhet", "kind": "enhet", "parent_id": None, "manager_id": "chef2"}])
        insert_people(connection, PEOPLE)
    return db


def insert_people(connection, people) -> None:
    """`people` as (id, unit, roles, end date): employed for 900 days, named "Namn <id>"."""
    connection.execute(insert(Person), [{"id": pid, "name": f"Namn {pid}", "unit_id": unit,
                                         "start_date": TODAY - timedelta(days=900), "end_date": end}
                                        for pid, unit, _, end in people])
    connection.execute(insert(PersonRole), [{"person_id": pid, "role": role}
                                            for pid, _, roles, _ in people for role in roles])


def count(db: Database, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def kinds(db: Database, session_id: int) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(GroupSessionEvent.kind).where(GroupSessionEvent.session_id == session_id)
                                    .order_by(GroupSessionEvent.seq)))


def started(db, course, viewer="chef", unit="enh"):
    return groups.start(db, course, viewer, unit, SCENARIO, "sv", NOW)


def joined(db, session, *people):
    for person in people:
        groups.join(db, person, session.code.lower(), NOW)


def votes(db, course, session, step_no, **by_person):
    return [groups.vote(db, course, person, session.id, step_no, choice, NOW) for person, choice in by_person.items()]


# --- a whole session ---------------------------------------------------------------------------------------------

def test_a_whole_session_from_the_start_to_the_confirmed_attendance(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    assert (screen.node_id, screen.step_no, screen.votes, screen.participants) == ("start", 0, 0, 0)
    assert len(screen.code) == 6 and sorted(screen.choice_order) == [0, 1] and not screen.ended
    assert (screen.module_id, screen.content_version) == ("prov", course.module_version("prov"))
    assert started(db, course).id == screen.id  # a double click on "Starta" resumes the same session
    assert kinds(db, screen.id) == ["started", "node_shown"]

    code = screen.code
    assert groups.join(db, "anna", f" {code[:3].lower()}-{code[3:]} ", NOW).status == "joined"
    assert groups.join(db, "anna", code, NOW) == groups.JoinResult(screen.id, "already_joined")  # a reload
    joined(db, screen, "bo", "erik")  # erik comes from another unit
    assert votes(db, course, screen, 0, anna=1, bo=1, erik=0) == ["counted"] * 3
    screen = groups.view(db, course, "chef", screen.id, TODAY)
    assert (screen.participants, screen.votes, screen.tally, screen.default_choice) == (3, 3, None, None)
    phone = groups.participant_view(db, course, "anna", screen.id, TODAY)
    assert (phone.node_id, phone.step_no, phone.choice_order, phone.voted) == ("start", 0, screen.choice_order, True)

    screen = groups.reveal(db, course, "chef", screen.id, 0, NOW)
    assert screen.revealed and screen.tally == (1, 2) and screen.default_choice == 1
    phone = groups.participant_view(db, course, "bo", screen.id, TODAY)
    assert phone.revealed and phone.tally == (1, 2) and phone.voted is None  # the vote is closed, its ballots gone
    screen = groups.follow(db, course, "chef", screen.id, 0, 1, NOW)  # the most voted, and the poor one
    assert (screen.node_id, screen.ending, screen.step_no, screen.choice_order) == ("slut-svag", "svag", 1, ())
    assert screen.can_go_back and screen.votes == 0
    screen = groups.back(db, course, "chef", screen.id, 1, NOW)
    assert (screen.node_id, screen.step_no, screen.followed, screen.votes) == ("start", 2, (), 0)
    assert not screen.revealed and not screen.can_go_back
    with pytest.raises(groups.StaleStep):  # the first vote at the start was step 0, closed
        groups.vote(db, course, "anna", screen.id, 0, 0, NOW)
    assert groups.participant_view(db, course, "anna", screen.id, TODAY).voted is False  # a fresh vote

    votes(db, course, screen, 2, anna=0, bo=0, erik=1)
    screen = groups.reveal(db, course, "chef", screen.id, 2, NOW)
    assert screen.tally == (2, 1) and screen.default_choice == 0
    screen = groups.follow(db, course, "chef", screen.id, 2, screen.default_choice, NOW)
    assert (screen.node_id, screen.step_no, screen.path) == ("chefen", 3, ("start", "chefen"))
    votes(db, course, screen, 3, anna=0, bo=0, erik=0)
    screen = groups.reveal(db, course, "chef", screen.id, 3, NOW)
    screen = groups.follow(db, course, "chef", screen.id, 3, 0, NOW)
    assert (screen.node_id, screen.ending, screen.followed) == ("slut-bra", "bra", (("start", 0), ("chefen", 0)))
    screen = groups.end(db, course, "chef", screen.id, NOW + timedelta(minutes=20))
    assert screen.ended and screen.ended_at == NOW + timedelta(minutes=20)
    with pytest.raises(groups.UnknownCode):
        groups.join(db, "cecilia", code, NOW)  # nobody joins an ended session

    lines = groups.attendance_list(db, "chef", screen.id, TODAY)
    assert [(line.person_id, line.in_unit, line.ticked) for line in lines] == [
        ("anna", True, True), ("bo", True, True), ("cecilia", True, False), ("chef", True, False),
        ("dora", True, False), ("erik", False, True)]  # the unit and the unit under it; not who has left
    result = groups.confirm_attendance(db, course, "chef", screen.id, ["anna", "bo", "erik", "cecilia", "anna"], NOW)
    assert (result.confirmed, result.participants) == (("anna", "bo", "cecilia", "erik"), 4)
    assert groups.confirm_attendance(db, course, "chef", screen.id, ["anna"], NOW).added == ()  # again: nothing
    result = groups.confirm_attendance(db, course, "chef", screen.id, ["dora"], NOW)  # forgotten, added later
    assert result.added == ("dora",) and result.participants == 5
    (record,) = groups.records_of(db, "anna", "anna", TODAY)
    assert (record.session_id, record.module_id, record.scenario_id, record.held_on, record.facilitator_id,
            record.facilitator_name, record.participants, record.ending) == (
        screen.id, "prov", SCENARIO, TODAY, "chef", "Namn chef", 5, "bra")
    assert record.content_version == course.module_version("prov")
    assert groups.view(db, course, "chef", screen.id, TODAY).confirmed == 5
    assert kinds(db, screen.id) == [
        "started", "node_shown", "revealed", "choice_followed", "node_shown", "stepped_back", "node_shown",
        "revealed", "choice_followed", "node_shown", "revealed", "choice_followed", "node_shown", "ended",
        "attendance_confirmed", "attendance_confirmed"]
    assert [s.id for s in groups.sessions_led(db, "chef", TODAY)] == [screen.id]


# --- anonymity ---------------------------------------------------------------------------------------------------

def person_columns(table) -> set[str]:
    return {c.name for c in table.columns
            if c.name.endswith("person_id") or any(fk.column.table.name == "people" for fk in c.foreign_keys)}


def test_no_table_holds_a_person_next_to_a_choice_or_a_time_next_to_a_ballot():
    tables = {table.name: table for table in Base.metadata.sorted_tables if table.name in GROUP_TABLES}
    assert set(tables) == GROUP_TABLES
    for table in tables.values():
        names = {c.name for c in table.columns}
        assert not (person_columns(table) and names & {"choice_index", "tally", "count"}), table.name
    assert {c.name for c in tables["group_ballots"].columns} == {"session_id", "step_no", "person_id"}
    assert {c.name for c in tables["group_vote_counts"].columns} == {"session_id", "step_no", "choice_index", "count"}


def test_the_stored_votes_say_how_many_never_who(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    joined(db, screen, "anna", "bo", "cecilia")
    votes(db, course, screen, 0, anna=1, bo=0, cecilia=1)
    with db.read() as session:
        ballots = session.execute(select(GroupBallot.__table__)).all()
        counts = session.execute(select(GroupVoteCount.choice_index, GroupVoteCount.count)
                                 .order_by(GroupVoteCount.choice_index)).all()
    assert sorted(ballots) == [(screen.id, 0, "anna"), (screen.id, 0, "bo"), (screen.id, 0, "cecilia")]
    assert [tuple(row) for row in counts] == [(0, 1), (1, 2)]
    groups.reveal(db, course, "chef", screen.id, 0, NOW)
    assert count(db, GroupBallot) == 0  # the vote closed: not even who voted at that step is kept
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in GROUP_TABLES and person_columns(table):
                rows = session.execute(select(table)).mappings().all()
                assert all("choice_index" not in row and "tally" not in row for row in rows), table.name


# --- a restart ---------------------------------------------------------------------------------------------------

def test_a_new_server_sees_the_same_session(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    joined(db, screen, "anna", "bo")
    votes(db, course, screen, 0, anna=0)
    groups.reveal(db, course, "chef", screen.id, 0, NOW)
    before = groups.follow(db, course, "chef", screen.id, 0, 0, NOW)
    votes(db, course, before, 1, bo=1)
    fresh = Database(make_engine(db.engine.url.render_as_string(hide_password=False)))
    try:
        assert groups.view(fresh, course, "chef", screen.id, TODAY) == groups.view(db, course, "chef", screen.id,
                                                                                   TODAY)
        after = groups.view(fresh, course, "chef", screen.id, TODAY)
        assert (after.node_id, after.step_no, after.votes) == ("chefen", 1, 1)
        assert groups.participant_view(fresh, course, "bo", screen.id, TODAY).voted is True
        assert groups.vote(fresh, course, "bo", screen.id, 1, 0, NOW) == "already_voted"
        assert groups.join(fresh, "anna", screen.code, NOW).status == "already_joined"
    finally:
        fresh.engine.dispose()


# --- who may do what ---------------------------------------------------------------------------------------------

def test_only_a_manager_of_the_unit_or_an_admin_starts_a_session(org, fixture_course):
    db, course = org, fixture_course
    for viewer, unit in (("anna", "enh"), ("chef2", "enh"), ("gone", "enh"), (SYSTEM, "enh"), (None, "enh"),
                         ("chef", "annan"), ("chef", "no-such-unit"), ("nobody", "enh")):
        with pytest.raises(NotPermitted):
            started(db, course, viewer, unit)
    assert count(db, GroupSession) == 0
    assert started(db, course, "chef", "enh-2").unit_id == "enh-2"  # a unit under the manager's
    assert started(db, course, "admin", "enh").facilitator_id == "admin"
    with pytest.raises(groups.UnknownScenario):
        groups.start(db, course, "chef", "enh", "no-such-scenario", "sv", NOW)
    with pytest.raises(ValueError):
        groups.start(db, course, "chef", "enh", SCENARIO, "de", NOW)


def test_nobody_but_the_facilitator_or_an_admin_controls_a_session(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    joined(db, screen, "anna")
    controls = (lambda v: groups.reveal(db, course, v, screen.id, 0, NOW),
                lambda v: groups.follow(db, course, v, screen.id, 0, 0, NOW),
                lambda v: groups.back(db, course, v, screen.id, 0, NOW),
                lambda v: groups.end(db, course, v, screen.id, NOW),
                lambda v: groups.view(db, course, v, screen.id, TODAY),
                lambda v: groups.attendance_list(db, v, screen.id, TODAY),
                lambda v: groups.confirm_attendance(db, course, v, screen.id, ["anna"], NOW))
    for viewer in ("anna", "chef2", "gone", None, "nobody"):
        for control in controls:
            with pytest.raises(NotPermitted):
                control(viewer)
    with pytest.raises(NotPermitted):
        groups.view(db, course, "chef", 10**6, TODAY)  # a session that does not exist is not there for anyone
    assert kinds(db, screen.id) == ["started", "node_shown"]
    assert groups.reveal(db, course, "admin", screen.id, 0, NOW).revealed


def test_only_participants_vote_and_only_employed_people_join(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    for person in ("cecilia", "chef"):  # not joined: the facilitator neither
        with pytest.raises(NotPermitted):
            groups.vote(db, course, person, screen.id, 0, 0, NOW)
        with pytest.raises(NotPermitted):
            groups.participant_view(db, course, person, screen.id, TODAY)
    for person in ("gone", "nobody", SYSTEM, None):
        with pytest.raises(NotPermitted):
            groups.join(db, person, screen.code, NOW)
    for code in ("", "ABC", "0OIL11", screen.code[:-1]):
        with pytest.raises(groups.UnknownCode):
            groups.join(db, "anna", code, NOW)
    with pytest.raises(groups.UnknownCode):  # the code on last week's photo of the screen
        groups.join(db, "anna", screen.code, NOW + timedelta(hours=13))
    assert count(db, GroupParticipant) == 0 and count(db, GroupBallot) == 0


def test_only_the_unit_s_people_and_those_who_joined_are_confirmed(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    joined(db, screen, "anna", "erik")
    with pytest.raises(groups.StillRunning):
        groups.confirm_attendance(db, course, "chef", screen.id, ["anna"], NOW)
    groups.end(db, course, "chef", screen.id, NOW)
    for outsider in ("chef2", "gone", "nobody"):  # from another unit without joining, left, unknown
        with pytest.raises(NotPermitted):
            groups.confirm_attendance(db, course, "chef", screen.id, ["anna", outsider], NOW)
    assert count(db, GroupSessionRecord) == 0  # the whole call refused
    result = groups.confirm_attendance(db, course, "chef", screen.id, ["anna", "erik", "bo"], NOW)
    assert result.participants == 3
    assert groups.records_of(db, "erik", "erik", TODAY)[0].ending is None  # ended before an ending
    assert [r.person_id for r in groups.records_of(db, "admin", "bo", TODAY)] == ["bo"]
    for viewer in ("anna", "chef2"):
        with pytest.raises(NotPermitted):
            groups.records_of(db, viewer, "bo", TODAY)


def test_starts_at_once_make_one_session(org, fixture_course):
    ids = run_concurrently(lambda: started(org, fixture_course).id, 4)
    assert len(set(ids)) == 1 and count(org, GroupSession) == 1
    assert kinds(org, ids[0]) == ["started", "node_shown"]


# --- stale and doubled -------------------------------------------------------------------------------------------

def test_a_stale_screen_cannot_move_the_session_and_a_double_click_moves_it_once(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    joined(db, screen, "anna")
    with pytest.raises(groups.StaleStep):
        groups.follow(db, course, "chef", screen.id, 0, 0, NOW)  # not revealed yet
    with pytest.raises(groups.StaleStep):
        groups.reveal(db, course, "chef", screen.id, 1, NOW)  # a step the session is not at
    groups.reveal(db, course, "chef", screen.id, 0, NOW)
    assert groups.reveal(db, course, "chef", screen.id, 0, NOW).revealed  # double click: the same screen
    first = groups.follow(db, course, "chef", screen.id, 0, 0, NOW)
    assert groups.follow(db, course, "chef", screen.id, 0, 0, NOW) == first  # double click
    events = kinds(db, screen.id)
    assert events == ["started", "node_shown", "revealed", "choice_followed", "node_shown"]
    for stale in (lambda: groups.follow(db, course, "chef", screen.id, 0, 1, NOW),  # an old tab, another choice
                  lambda: groups.back(db, course, "chef", screen.id, 0, NOW),
                  lambda: groups.vote(db, course, "anna", screen.id, 0, 0, NOW)):
        with pytest.raises(groups.StaleStep):
            stale()
    groups.back(db, course, "chef", screen.id, 1, NOW)
    assert groups.back(db, course, "chef", screen.id, 1, NOW).step_no == 2  # double click: one step back
    assert kinds(db, screen.id) == events + ["stepped_back", "node_shown"]
    results = run_concurrently(lambda: groups.reveal(db, course, "chef", screen.id, 2, NOW).step_no, 4)
    assert results == [2] * 4 and kinds(db, screen.id).count("revealed") == 2


def test_a_vote_is_counted_once_also_when_it_comes_twice_at_once(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    joined(db, screen, "anna", "bo", "cecilia", "dora", "erik")
    statuses = run_concurrently(lambda: groups.vote(db, course, "anna", screen.id, 0, 1, NOW), 5)
    assert sorted(statuses) == ["already_voted"] * 4 + ["counted"]
    assert groups.vote(db, course, "anna", screen.id, 0, 0, NOW) == "already_voted"  # no second vote elsewhere
    people = ["bo", "cecilia", "dora", "erik"]
    statuses = run_concurrently(lambda: groups.vote(db, course, people.pop(), screen.id, 0, 0, NOW), 4)
    assert statuses == ["counted"] * 4
    assert groups.reveal(db, course, "chef", screen.id, 0, NOW).tally == (4, 1)
    with pytest.raises(groups.StaleStep):
        groups.vote(db, course, "anna", screen.id, 0, 2, NOW)


def test_a_vote_for_a_choice_the_node_does_not_have_is_refused(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    joined(db, screen, "anna")
    for choice in (2, -1):
        with pytest.raises(groups.StaleStep):
            groups.vote(db, course, "anna", screen.id, 0, choice, NOW)
    assert count(db, GroupBallot) == 0
    assert groups.vote(db, course, "anna", screen.id, 0, 0, NOW) == "counted"


# --- queries per read ----------------------------------------------------------------------------------------------

def reads(db, course, session_id) -> list[int]:
    sizes = []
    for read in (lambda: groups.view(db, course, "chef", session_id, TODAY),
                 lambda: groups.participant_view(db, course, "anna", session_id, TODAY),
                 lambda: groups.attendance_list(db, "chef", session_id, TODAY),
                 lambda: groups.records_of(db, "chef", "anna", TODAY)):
        with statements(db) as seen:
            read()
        sizes.append(len(seen))
    return sizes


def test_a_read_costs_the_same_queries_with_more_people_and_more_steps(org, fixture_course):
    db, course = org, fixture_course
    screen = started(db, course)
    joined(db, screen, "anna")
    few = reads(db, course, screen.id)
    joined(db, screen, "bo", "cecilia", "dora", "erik")
    votes(db, course, screen, 0, anna=0, bo=1, cecilia=1)
    groups.reveal(db, course, "chef", screen.id, 0, NOW)
    groups.follow(db, course, "chef", screen.id, 0, 0, NOW)
    assert reads(db, course, screen.id) == few
    assert max(few) <= 10, few


# --- migration 0013 ------------------------------------------------------------------------------------------------

def test_migration_0013_goes_down_and_up(db):
    migrate_to(db.engine, "0012")
    assert not GROUP_TABLES & set(inspect(db.engine).get_table_names())
    migrate_to(db.engine, "head")
    db.engine.dispose()  # a pooled SQLite connection may answer PRAGMA index_list from the schema it read before
    found = inspect(db.engine)
    assert GROUP_TABLES <= set(found.get_table_names())
    assert {c["name"] for c in found.get_columns("group_ballots")} == {"session_id", "step_no", "person_id"}
    assert {u["name"] for u in found.get_unique_constraints("group_session_records")} >= {"uq_group_session_record"}
    assert {i["name"] for i in found.get_indexes("group_session_records")} >= {"ix_group_session_records_person"}
    with db.engine.begin() as connection:  # the tables work after the round trip
        connection.execute(insert(Unit), [{"id": "u", "name": "U", "kind": "enhet"}])
        connection.execute(insert(Person), [{"id": "p", "name": "P", "unit_id": "u", "start_date": date(2020, 1, 1)}])
        connection.execute(insert(GroupSession), [{"code": "ABC234", "facilitator_id": "p", "unit_id": "u",
                                                   "module_id": "prov", "scenario_id": SCENARIO, "content_version": "v",
                                                   "language": "sv", "seed": 1, "started_at": NOW}])
    assert count(db, GroupSession) == 1


def test_a_session_nobody_ended_is_ended_by_the_retention_job_and_its_ballots_go(org, fixture_course):
    """A meeting that ran out without "Avsluta": JOIN_HOURS after its start the retention run ends it, and the
    open vote's ballots (who voted at that step) are deleted; the counts stay. A session still within its
    meeting is left alone."""
    from course.group import JOIN_HOURS

    old = started(org, fixture_course)
    joined(org, old, "anna", "bo")
    votes(org, fixture_course, old, old.step_no, anna=0)
    fresh = groups.start(org, fixture_course, "chef", "enh", "prov-gava", "sv", NOW + timedelta(hours=JOIN_HOURS))
    joined(org, fresh, "cecilia")
    votes(org, fixture_course, fresh, fresh.step_no, cecilia=0)
    assert count(org, GroupBallot) == 2
    with org.engine.begin() as connection:
        from sqlalchemy.orm import Session

        with Session(bind=connection) as session:
            ended = groups.end_abandoned_in(session, fixture_course, NOW + timedelta(hours=JOIN_HOURS, minutes=1))
            session.flush()
    assert ended == 1
    assert groups.view(org, fixture_course, "chef", old.id, TODAY).ended and kinds(org, old.id)[-1] == "ended"
    assert not groups.view(org, fixture_course, "chef", fresh.id, TODAY).ended
    with org.read() as session:
        assert list(session.scalars(select(GroupBallot.session_id))) == [fresh.id]  # the old one's are gone
        assert session.scalar(select(func.sum(GroupVoteCount.count))
                              .where(GroupVoteCount.session_id == old.id)) == 1  # the count stays
