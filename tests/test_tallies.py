"""Topic tallies: counted with each answer, equal to a recount from the steps, first answers only."""

from __future__ import annotations

from sqlalchemy import insert, select

from progress import tallies
from progress.attempts import Attempts
from progress.models import PersonRole, TopicTally
from progress.seed import seed
from tests.test_store import TODAY, add_person, complete_module


def snapshot(db) -> dict:
    with db.read() as session:
        return {(row.unit_id, row.role, row.topic, row.month): (row.answered, row.correct)
                for row in session.scalars(select(TopicTally))}


def test_first_answers_are_counted_as_they_are_given_and_equal_a_recount(db, fixture_course):
    add_person(db, "p1", "u1")
    add_person(db, "p2", "u2")
    with db.engine.begin() as connection:
        connection.execute(insert(PersonRole), [{"person_id": "p2", "role": "upphandlare"}])
    attempts = Attempts(db, fixture_course)
    complete_module(attempts, fixture_course, "p1", quiz_wrong=3)  # fails, so ...
    complete_module(attempts, fixture_course, "p1")  # ... a retry, with questions p1 may have seen before
    complete_module(attempts, fixture_course, "p2", quiz_wrong=1)

    counted = snapshot(db)
    bank_questions = {q.id for q in fixture_course.banks["prov-fragor"].questions}
    answered_everyone = sum(a for (unit, role, _, _), (a, _) in counted.items() if role == tallies.EVERYONE)
    assert answered_everyone <= 2 * len(bank_questions)  # each person's first answer to each question, once
    p1 = {k: v for k, v in counted.items() if k[0] == "u1" and k[1] == tallies.EVERYONE}
    p1_answered = sum(a for a, _ in p1.values())
    assert p1_answered > 0
    # p1 answered 3 wrong first; later right answers to those questions are not first answers
    assert sum(c for _, c in p1.values()) <= p1_answered - 3
    # p2 counts under everyone, medarbetare and upphandlare alike
    p2_roles = {k[1]: v for k, v in counted.items() if k[0] == "u2"}
    assert set(p2_roles) == {tallies.EVERYONE, "medarbetare", "upphandlare"}

    tallies.rebuild(db, fixture_course)
    assert snapshot(db) == counted


def test_seeded_history_has_the_tallies_a_recount_gives(db, fixture_course):
    seed(db, fixture_course, employees=30, history_years=2, today=TODAY)
    seeded = snapshot(db)
    assert seeded
    tallies.rebuild(db, fixture_course)
    assert snapshot(db) == seeded


def test_module_states_move_with_each_record_and_equal_a_recount(db, fixture_course):
    from progress import states
    from progress.models import ModuleState
    from tests.test_store import play_through

    add_person(db, "p1", "u1")
    add_person(db, "p2", "u1")
    attempts = Attempts(db, fixture_course)
    complete_module(attempts, fixture_course, "p1", quiz_wrong=3)
    complete_module(attempts, fixture_course, "p1")
    play_through(attempts, fixture_course, "p2", "prov", "prov-middag")  # started, not done

    def current():
        with db.read() as session:
            return {(s.person_id, s.module_id): (s.last_completed_at, s.last_score, s.last_waived_at,
                                                 s.last_started_at) for s in session.scalars(select(ModuleState))}

    kept = current()
    assert kept[("p1", "prov")][0] is not None and kept[("p1", "prov")][1] == 100.0
    assert kept[("p2", "prov")][0] is None and kept[("p2", "prov")][3] is not None
    states.rebuild(db, fixture_course)
    assert current() == kept
