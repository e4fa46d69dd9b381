"""A confirmed group session in the learner's progress (issue 14, point 4), on SQLite and on PostgreSQL: it counts
for the module's scenario part where config/tracks.yaml says so (the default), the quiz is still the person's own,
and the completion is written as if the scenario had been played alone; with `nothing` it changes nothing. The
learner's pages read the records in one more query, whatever their number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from course.rules import Status
from progress import group_sessions as groups
from progress import learner, reports, states
from progress.attempts import Attempts
from progress.models import Completion, GroupSessionRecord, ModuleState, Person
from tests.conftest import loaded
from tests.playing import answer_quiz, play_through
from tests.test_group_rules import append_section
from tests.test_group_sessions import NOW, SCENARIO, TODAY, org  # noqa: F401 (org: the fixture)
from tests.test_learner import statements

OTHER = "prov-gava"  # the module's other scenario, played alone
QUIZ = "prov-fragor"
LATER = NOW + timedelta(hours=2)  # after the meeting: what the person does alone


@pytest.fixture
def people(org):
    """The unit's people started three days ago: their first round is not due yet (in progress, not overdue)."""
    with org.engine.begin() as connection:
        connection.execute(update(Person).values(start_date=TODAY - timedelta(days=3)))
    return org


def session_played(db, course, scenario_id: str, confirmed: list[str], at=NOW):
    """chef leads a session of `scenario_id` for the unit through to an ending (the first choice each time), ends
    it and confirms `confirmed`."""
    screen = groups.start(db, course, "chef", "enh", scenario_id, "sv", at)
    for person_id in confirmed:
        groups.join(db, person_id, screen.code, at)
    while screen.ending is None:
        groups.reveal(db, course, "chef", screen.id, screen.step_no, at)
        screen = groups.follow(db, course, "chef", screen.id, screen.step_no, 0, at)
    groups.end(db, course, "chef", screen.id, at)
    groups.confirm_attendance(db, course, "chef", screen.id, confirmed, at)
    return screen


def pass_quiz(attempts: Attempts, course, person_id: str) -> None:
    answer_quiz(attempts, course, learner.start_part(attempts, person_id, person_id, "prov", "quiz", QUIZ, TODAY))


def completions(db, person_id: str) -> list[Completion]:
    with db.read() as session:
        rows = list(session.scalars(select(Completion).where(Completion.person_id == person_id)))
        session.expunge_all()
        return rows


def module_states(db) -> dict:
    with db.read() as session:
        return {(s.person_id, s.module_id): (s.last_completed_at, s.last_score, s.last_waived_at, s.last_started_at)
                for s in session.scalars(select(ModuleState))}


def test_a_group_session_counts_for_the_scenario_part_and_the_quiz_completes_the_module(people, fixture_course):
    db, course = people, fixture_course
    session_played(db, course, SCENARIO, ["anna"])

    card = learner.overview(db, course, "anna", "anna", TODAY).modules["prov"]
    assert card.module_progress.finished_scenarios == {SCENARIO} and not card.module_progress.quiz_passed
    assert card.module_progress.status == Status.IN_PROGRESS and not card.done
    assert (card.parts_done, card.parts_total) == (1, 3)
    page = learner.module_page(db, course, "anna", "anna", "prov", None, TODAY)
    assert page.parts == (("scenario", SCENARIO), ("scenario", OTHER), ("quiz", QUIZ))
    assert page.parts_done == (True, False, False) and page.current == 1  # on to the part still to do
    assert page.group_done_on == (TODAY, None, None)
    bo = learner.overview(db, course, "bo", "bo", TODAY).modules["prov"]  # not confirmed: nothing for him
    assert bo.module_progress.status == Status.NOT_STARTED and bo.parts_done == 0

    attempts = Attempts(db, course, clock=lambda: LATER)
    play_through(attempts, course, "prov", OTHER, "anna")
    assert completions(db, "anna") == [] and learner.overview(db, course, "anna", "anna", TODAY).modules[
        "prov"].module_progress.status == Status.IN_PROGRESS  # the quiz is the person's own
    pass_quiz(attempts, course, "anna")

    (completion,) = completions(db, "anna")
    (record,) = groups.records_of(db, "anna", "anna", TODAY)
    assert (completion.module_id, completion.content_version, completion.score_percent) == (
        "prov", course.module_version("prov"), 100.0)
    assert completion.completed_at == LATER and completion.trigger_step_id is not None  # the quiz's last answer
    assert completion.started_at == record.confirmed_at  # the round began with the group session
    card = learner.overview(db, course, "anna", "anna", TODAY).modules["prov"]
    assert card.module_progress.status == Status.DONE and card.done
    assert learner.module_page(db, course, "anna", "anna", "prov", None, TODAY).completion_page
    assert module_states(db)[("anna", "prov")][:2] == (LATER, 100.0)


def test_the_completion_is_the_row_playing_alone_writes(people, fixture_course):
    db, course = people, fixture_course
    session_played(db, course, SCENARIO, ["anna"])
    attempts = Attempts(db, course, clock=lambda: LATER)
    for person_id in ("anna", "bo"):  # bo plays both scenarios alone
        if person_id == "bo":
            play_through(attempts, course, "prov", SCENARIO, person_id)
        play_through(attempts, course, "prov", OTHER, person_id)
        pass_quiz(attempts, course, person_id)
    (anna,), (bo,) = completions(db, "anna"), completions(db, "bo")
    columns = ("module_id", "content_version", "completed_at", "score_percent")
    assert [getattr(anna, c) for c in columns] == [getattr(bo, c) for c in columns]
    assert anna.trigger_step_id is not None and bo.trigger_step_id is not None
    assert module_states(db)[("anna", "prov")][:3] == module_states(db)[("bo", "prov")][:3]


def test_a_quiz_passed_before_the_group_session_completes_the_module_when_it_is_confirmed(people, fixture_course):
    """group_sessions.confirm_attendance calls Attempts.group_session_confirmed for each person it adds, in its
    transaction; a second call changes nothing."""
    db, course = people, fixture_course
    early = Attempts(db, course, clock=lambda: NOW - timedelta(days=1))
    play_through(early, course, "prov", OTHER, "anna")
    pass_quiz(early, course, "anna")
    assert completions(db, "anna") == []  # one scenario still to play
    session_played(db, course, SCENARIO, ["anna"])  # the confirmation completes the module

    hook = Attempts(db, course, clock=lambda: NOW)
    assert db.write(lambda session: hook.group_session_confirmed(session, "anna", SCENARIO, NOW)) is False
    (completion,) = completions(db, "anna")
    assert (completion.module_id, completion.completed_at, completion.score_percent) == ("prov", NOW, 100.0)
    assert completion.trigger_step_id is None  # completed by the confirmation, not by an answer
    assert learner.overview(db, course, "anna", "anna", TODAY).modules["prov"].module_progress.status == Status.DONE
    kept = module_states(db)
    states.rebuild(db, course)  # the states follow from the records, the group session's start too
    assert module_states(db) == kept


def test_the_group_session_starts_the_module_in_the_module_state_too(people, fixture_course):
    db, course = people, fixture_course
    session_played(db, course, SCENARIO, ["anna"])  # the confirmation moves the state
    assert module_states(db)[("anna", "prov")] == (None, None, None, NOW)
    rows = {row.person_id: row.status for row in reports.status_rows(db, course, TODAY)
            if row.module_id == "prov"}
    assert rows["anna"] == Status.IN_PROGRESS and rows["bo"] == Status.NOT_STARTED  # the dashboard's rule too
    kept = module_states(db)
    states.rebuild(db, course)
    assert module_states(db) == kept


def test_a_module_that_counts_group_sessions_for_nothing_is_not_moved_by_one(people, content):
    append_section(content, "group_sessions:\n  modules:\n    prov: nothing\n")
    db, course = people, loaded(content)
    session_played(db, course, SCENARIO, ["anna"])
    assert len(groups.records_of(db, "anna", "anna", TODAY)) == 1  # the record is kept, as a record of its own
    assert db.write(lambda session: Attempts(db, course, clock=lambda: NOW).group_session_confirmed(
        session, "anna", SCENARIO, NOW)) is False

    card = learner.overview(db, course, "anna", "anna", TODAY).modules["prov"]
    assert card.module_progress.status == Status.NOT_STARTED and card.parts_done == 0
    assert card.module_progress.finished_scenarios == frozenset()
    page = learner.module_page(db, course, "anna", "anna", "prov", None, TODAY)
    assert page.parts_done == (False, False, False) and page.current == 0 and page.group_done_on == (None,) * 3
    attempts = Attempts(db, course, clock=lambda: LATER)
    play_through(attempts, course, "prov", OTHER, "anna")
    pass_quiz(attempts, course, "anna")
    assert completions(db, "anna") == []  # the scenario played in the group is still to play alone
    assert learner.overview(db, course, "anna", "anna", TODAY).modules["prov"].parts_done == 2
    states.rebuild(db, course)
    assert module_states(db)[("anna", "prov")][3] == LATER  # her own attempts' start, not the group session's


def test_a_change_of_what_group_sessions_count_for_rebuilds_the_states_at_the_next_start(people, content):
    from course.content.loader import load_course
    from views.context import _prepare  # what the app runs when it starts

    db = people
    before = load_course(content)
    session_played(db, before.course, SCENARIO, ["anna"])  # the confirmation moves the state: a start
    assert module_states(db)[("anna", "prov")] == (None, None, None, NOW)
    _prepare(db, before, False, "the test's store")
    assert module_states(db)[("anna", "prov")] == (None, None, None, NOW)  # rebuilt once (no basis kept yet)
    assert not states.out_of_date(db, before.course)

    append_section(content, "group_sessions:\n  modules:\n    prov: nothing\n")
    after = load_course(content)
    assert states.out_of_date(db, after.course)
    _prepare(db, after, False, "the test's store")
    assert ("anna", "prov") not in module_states(db)  # the record no longer starts the module
    assert not states.out_of_date(db, after.course)
    rows = {row.person_id: row.status for row in reports.status_rows(db, after.course, TODAY) if row.module_id == "prov"}
    assert rows["anna"] == Status.NOT_STARTED


def test_the_learner_s_pages_read_the_group_records_in_one_query_whatever_their_number(people, fixture_course):
    db, course = people, fixture_course

    def cost(call) -> int:
        with statements(db) as seen:
            call()
        return len(seen)

    pages = {"overview": lambda: learner.overview(db, course, "anna", "anna", TODAY),
             "module": lambda: learner.module_page(db, course, "anna", "anna", "prov", None, TODAY)}
    before = {name: cost(call) for name, call in pages.items()}
    session_played(db, course, SCENARIO, ["anna"])
    session_played(db, course, OTHER, ["anna"], NOW + timedelta(minutes=30))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(GroupSessionRecord)
                              .where(GroupSessionRecord.person_id == "anna")) == 2
    assert {name: cost(call) for name, call in pages.items()} == before
    page = learner.module_page(db, course, "anna", "anna", "prov", None, TODAY)
    assert page.group_done_on == (TODAY, TODAY, None) and page.current == 2  # both scenarios: on to the quiz
