"""The store, the same tests on SQLite and on the real PostgreSQL at 127.0.0.1:5432."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from course import play
from progress.attempts import Attempts, StaleAnswer
from progress.db import Database, StoreUnavailable, make_engine, migrate
from progress.models import Attempt, Completion, Person, PersonRole, Step, Unit
from progress.reports import team_status
from progress.seed import seed

TODAY = date.today()


def add_person(db: Database, person_id: str = "p1", unit: str = "u1", start: date | None = None) -> None:
    with db.engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(Unit).where(Unit.id == unit)).scalar() == 0:
            connection.execute(insert(Unit), [{"id": unit, "name": unit, "kind": "enhet"}])
        connection.execute(insert(Person), [{"id": person_id, "name": "Test Person", "unit_id": unit,
                                             "start_date": start or TODAY - timedelta(days=3)}])
        connection.execute(insert(PersonRole), [{"person_id": person_id, "role": "medarbetare"}])


def count(db: Database, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def correct_answers(course, attempt):
    bank = course.banks[attempt.item_id]
    questions = play.questions_by_id(bank)
    return [(d.question_id, sorted(questions[d.question_id].correct_indexes)) for d in play.draw_quiz(bank, attempt.seed)]


def run_concurrently(action, times: int) -> list:
    """Run `action` in `times` threads at once; every result, and no exception, or the test fails."""
    results, errors = [], []

    def worker():
        try:
            results.append(action())
        except Exception as error:  # pragma: no cover - reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_start_is_idempotent_and_resumes(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    first = attempts.start_or_resume("p1", "prov", "scenario", "prov-middag")
    again = attempts.start_or_resume("p1", "prov", "scenario", "prov-middag")
    assert first.id == again.id and first.attempt_no == 1
    assert count(db, Attempt) == 1


def test_concurrent_starts_make_one_attempt(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    items = [("quiz", "prov-fragor"), ("scenario", "prov-middag"), ("scenario", "prov-gava")]
    for kind, item in items:  # several rounds: the race this guards against shows only some of the time
        ids = run_concurrently(lambda: attempts.start_or_resume("p1", "prov", kind, item).id, 10)
        assert len(ids) == 10 and len(set(ids)) == 1
    assert count(db, Attempt) == len(items)


def test_double_click_and_replay_change_nothing(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    attempt = attempts.start_or_resume("p1", "prov", "scenario", "prov-middag")
    assert attempts.record_choice(attempt.id, 0, 0).status == "recorded"
    assert attempts.record_choice(attempt.id, 0, 0).status == "duplicate"  # double click / replayed request
    assert count(db, Step) == 1
    with pytest.raises(StaleAnswer):
        attempts.record_choice(attempt.id, 0, 1)  # another answer to a step already answered (old tab)
    with pytest.raises(StaleAnswer):
        attempts.record_choice(attempt.id, 5, 0)  # not the next step
    with pytest.raises(StaleAnswer):
        attempts.record_choice(attempt.id, 1, 7)  # a choice the node does not have
    assert count(db, Step) == 1
    with db.read() as session:
        step = session.scalars(select(Step)).one()
    assert step.idempotency_key == f"a{attempt.id}-s0"


def test_concurrent_identical_answers_record_once(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    attempt = attempts.start_or_resume("p1", "prov", "scenario", "prov-middag")
    statuses = run_concurrently(lambda: attempts.record_choice(attempt.id, 0, 0).status, 5)
    assert sorted(statuses) == ["duplicate"] * 4 + ["recorded"]
    assert count(db, Step) == 1


def test_reconnect_resumes_at_the_same_node(db, fixture_course):
    add_person(db)
    attempt = Attempts(db, fixture_course).start_or_resume("p1", "prov", "scenario", "prov-middag")
    Attempts(db, fixture_course).record_choice(attempt.id, 0, 0)
    # a new process (reconnect, reload, another app server) knows nothing but what the store has
    fresh = Attempts(Database(make_engine(str(db.engine.url.render_as_string(hide_password=False)))), fixture_course)
    resumed = fresh.start_or_resume("p1", "prov", "scenario", "prov-middag")
    assert resumed.id == attempt.id
    steps = fresh.steps(resumed.id)
    state = play.replay_scenario(fixture_course.scenarios["prov-middag"], [s.response for s in steps])
    assert state.node_id == "chefen"


def test_module_completion_is_written_once_with_version_score_and_times(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    middag = attempts.start_or_resume("p1", "prov", "scenario", "prov-middag")
    attempts.record_choice(middag.id, 0, 0)
    finished = attempts.record_choice(middag.id, 1, 1)
    assert finished.attempt.outcome == "delvis" and not finished.module_completed
    gava = attempts.start_or_resume("p1", "prov", "scenario", "prov-gava")
    assert not attempts.record_choice(gava.id, 0, 0).module_completed  # the quiz is still to pass

    quiz = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    answers = correct_answers(fixture_course, quiz)
    with pytest.raises(StaleAnswer):
        attempts.record_answer(quiz.id, 0, answers[1][0], answers[1][1])  # not the question at step 0
    attempts.record_answer(quiz.id, 0, answers[0][0], [(answers[0][1][0] + 1) % 3])  # one wrong: 4/5 = 80 %
    for step_no, (question_id, selected) in enumerate(answers[1:-1], 1):
        assert not attempts.record_answer(quiz.id, step_no, question_id, selected).module_completed
    last = attempts.record_answer(quiz.id, 4, *answers[4])
    assert last.module_completed
    assert last.attempt.outcome == "godkand" and last.attempt.score_percent == 80.0
    assert attempts.record_answer(quiz.id, 4, *answers[4]).status == "duplicate"  # replay: no second completion
    with db.read() as session:
        (completion,) = session.scalars(select(Completion)).all()
    assert completion.content_version == fixture_course.module_version("prov")
    assert completion.score_percent == 80.0
    assert completion.started_at <= completion.completed_at
    progress = attempts.module_progress("p1", "prov", TODAY - timedelta(days=3))
    assert progress.status.value == "klar" and progress.last_score == 80.0


def test_failed_quiz_gets_a_fresh_draw_on_retry(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    quiz = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    for step_no, (question_id, selected) in enumerate(correct_answers(fixture_course, quiz)):
        wrong = [(selected[0] + 1) % 3]
        result = attempts.record_answer(quiz.id, step_no, question_id, wrong)
    assert result.attempt.outcome == "underkand" and result.attempt.score_percent == 0.0
    retry = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    assert retry.id != quiz.id and retry.attempt_no == 2
    progress = attempts.module_progress("p1", "prov", TODAY - timedelta(days=3))
    assert not progress.quiz_passed and progress.status.value == "pagar"


def test_manager_sees_exactly_their_subtree(db, fixture_course):
    seed(db, fixture_course, employees=40, history_years=1, random_seed=3)
    rows = team_status(db, fixture_course, "demo-chef", TODAY)
    units = {row.unit_name for row in rows}
    assert units == {"Bygglovsenheten", "Miljö- och hälsoskyddsenheten"}  # sbf's units, at every depth
    assert "demo-nyanstalld" in {row.person_id for row in rows}
    assert "demo-chef" not in {row.person_id for row in rows}
    assert len({row.person_id for row in rows}) >= 10
    other = team_status(db, fixture_course, "chef-vof", TODAY)
    assert other and not ({row.person_id for row in other} & {row.person_id for row in rows})
    assert team_status(db, fixture_course, "demo-nyanstalld", TODAY) == []


def test_people_who_have_left_are_out(db, fixture_course):
    seed(db, fixture_course, employees=120, history_years=1, random_seed=5)
    with db.read() as session:
        left = set(session.scalars(select(Person.id).where(Person.end_date < TODAY)))
    assert left
    everyone = team_status(db, fixture_course, "chef-ks", TODAY)
    assert not ({row.person_id for row in everyone} & left)


def test_locked_sqlite_is_retried_then_reported_and_nothing_is_lost(tmp_path, fixture_course):
    path = tmp_path / "locked.sqlite"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=20)
    migrate(engine)
    db = Database(engine, retries=2, backoff=0.01)
    add_person(db)
    attempts = Attempts(db, fixture_course)
    attempt = attempts.start_or_resume("p1", "prov", "scenario", "prov-middag")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(StoreUnavailable) as raised:
            attempts.record_choice(attempt.id, 0, 0)
        assert "Databasen svarar inte" in str(raised.value)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert attempts.record_choice(attempt.id, 0, 0).status == "recorded"  # the kept answer, sent again
    assert len(attempts.steps(attempt.id)) == 1


def test_unreachable_postgres_is_reported_in_swedish(fixture_course):
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    db = Database(engine, retries=1, backoff=0.01)
    with pytest.raises(StoreUnavailable):
        Attempts(db, fixture_course).start_or_resume("p1", "prov", "scenario", "prov-middag")


def test_migrations_run_twice_without_harm(db):
    """Migrating a store that is already at the newest revision changes nothing: its rows stay, and it is at
    the head of the migrations (a second app server starting migrates the same store again)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from progress.db import MIGRATIONS

    add_person(db, "kvar")
    migrate(db.engine)
    migrate(db.engine)
    assert count(db, Person) == 1 and count(db, PersonRole) == 1
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == [ScriptDirectory.from_config(config).get_current_head()]


def test_a_track_owns_its_topic_quizzes_in_a_column_of_its_own_after_migration_0012(db):
    """Before 0012 a diagnostic's or a booster's attempt was stored with module_id "track:<id>"; the migration
    moves that into track_id, a module's own attempts keep module_id, and going down puts it back."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from tests.conftest import migrate_to

    add_person(db)
    migrate_to(db.engine, "0011")
    moment = "2026-01-05 10:00:00"
    with db.engine.begin() as connection:
        for attempt_id, owner, kind, item in ((1, "track:alla", "diagnostic", "diagnostic:alla"),
                                              (2, "prov", "quiz", "prov-fragor")):
            connection.execute(text("INSERT INTO attempts (id, person_id, module_id, kind, item_id, attempt_no, "
                                    "content_version, seed, started_at) VALUES (:id, 'p1', :owner, :kind, :item, 1, "
                                    "'v', 0, :at)"), {"id": attempt_id, "owner": owner, "kind": kind, "item": item,
                                                      "at": moment})
    migrate_to(db.engine, "head")
    with db.engine.connect() as connection:
        rows = connection.execute(select(Attempt.id, Attempt.module_id, Attempt.track_id).order_by(Attempt.id)).all()
    assert [tuple(row) for row in rows] == [(1, None, "alla"), (2, "prov", None)]
    for owners in ({"module_id": None, "track_id": None}, {"module_id": "prov", "track_id": "alla"}):
        with pytest.raises(IntegrityError), db.engine.begin() as connection:  # exactly one owner, never both
            connection.execute(insert(Attempt), [{"person_id": "p1", "kind": "quiz", "item_id": "x", "attempt_no": 1,
                                                  "content_version": "v", "started_at": date(2026, 1, 6), **owners}])
    migrate_to(db.engine, "0011")
    with db.engine.connect() as connection:
        owners = connection.execute(text("SELECT module_id FROM attempts ORDER BY id")).scalars().all()
    assert owners == ["track:alla", "prov"]
    migrate_to(db.engine, "head")


def test_attestation_is_recorded_once_per_guideline_version(db):
    from progress.attestations import Attestations

    add_person(db)
    attestations = Attestations(db)
    first = attestations.attest("p1", "nyanstalld", "2026-02")
    again = attestations.attest("p1", "nyanstalld", "2026-02")  # double click
    assert first == again
    newer = attestations.attest("p1", "nyanstalld", "2027-01")
    assert attestations.latest("p1")["nyanstalld"] == newer
    from progress.models import Attestation
    assert count(db, Attestation) == 2


def test_confidence_is_part_of_the_answer(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    quiz = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    question_id, selected = correct_answers(fixture_course, quiz)[0]
    assert attempts.record_answer(quiz.id, 0, question_id, selected, confidence=3).status == "recorded"
    assert attempts.record_answer(quiz.id, 0, question_id, selected, confidence=3).status == "duplicate"
    with pytest.raises(StaleAnswer):
        attempts.record_answer(quiz.id, 0, question_id, selected, confidence=1)  # another answer to the same step
    assert attempts.steps(quiz.id)[0].confidence == 3


def play_through(attempts, course, person: str, module_id: str, scenario_id: str) -> None:
    """Play a scenario to an ending, always taking the first choice."""
    attempt = attempts.start_or_resume(person, module_id, "scenario", scenario_id)
    state = play.start_state(course.scenarios[scenario_id])
    while not play.current_node(course.scenarios[scenario_id], state).is_ending:
        attempts.record_choice(attempt.id, state.step_no, 0)
        _, state = play.apply_choice(course.scenarios[scenario_id], state, 0)


def complete_module(attempts, course, person="p1", quiz_wrong=0):
    """Play the fixture module's current round: its required scenarios, then the quiz."""
    progress = attempts.module_progress(person, "prov", TODAY - timedelta(days=3))
    for scenario_id in progress.required_scenarios:
        play_through(attempts, course, person, "prov", scenario_id)
    quiz = attempts.start_or_resume(person, "prov", "quiz", "prov-fragor")
    for step_no, drawn in enumerate(attempts.draw_of(quiz)):
        right = sorted(course.questions[drawn.question_id].correct_indexes)
        answer = [(right[0] + 1) % 3] if step_no < quiz_wrong else right
        result = attempts.record_answer(quiz.id, step_no, drawn.question_id, answer)
    return result


def test_a_quiz_retry_in_the_store_avoids_the_last_questions(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    first = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    for step_no, drawn in enumerate(attempts.draw_of(first)):
        right = sorted(fixture_course.questions[drawn.question_id].correct_indexes)
        attempts.record_answer(first.id, step_no, drawn.question_id, [(right[0] + 1) % 3])  # all wrong: failed
    retry = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    assert retry.id != first.id and retry.drawn is not None
    unseen = {q.id for q in fixture_course.banks["prov-fragor"].questions} - {d.question_id
                                                                            for d in attempts.draw_of(first)}
    assert unseen <= {d.question_id for d in attempts.draw_of(retry)}


def test_refresher_round_then_diagnostic_waives_a_mastered_module(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    assert complete_module(attempts, fixture_course).module_completed  # first round: both scenarios
    progress = attempts.module_progress("p1", "prov", TODAY - timedelta(days=3))
    assert progress.status.value == "klar" and len(progress.required_scenarios) == 1  # the next round asks for one

    diagnostic = attempts.start_topic_quiz("p1", "diagnostic", "alla", ["prov"])
    assert attempts.start_topic_quiz("p1", "diagnostic", "alla", ["prov"]).id == diagnostic.id  # resumed
    drawn = attempts.draw_of(diagnostic)
    assert len(drawn) >= 1
    with pytest.raises(StaleAnswer):  # the diagnostic always asks how sure the learner is
        attempts.record_answer(diagnostic.id, 0, drawn[0].question_id,
                               sorted(fixture_course.questions[drawn[0].question_id].correct_indexes))
    for step_no, question in enumerate(drawn):
        right = sorted(fixture_course.questions[question.question_id].correct_indexes)
        attempts.record_answer(diagnostic.id, step_no, question.question_id, right, confidence=3)
    from progress.models import Waiver
    with db.read() as session:
        (waiver,) = session.scalars(select(Waiver)).all()
    assert (waiver.module_id, waiver.diagnostic_attempt_id) == ("prov", diagnostic.id)
    progress = attempts.module_progress("p1", "prov", TODAY - timedelta(days=3))
    assert progress.status.value == "klar_via_diagnos" and progress.via_diagnosis


def test_a_diagnostic_with_a_guess_waives_nothing(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    complete_module(attempts, fixture_course)
    diagnostic = attempts.start_topic_quiz("p1", "diagnostic", "alla", ["prov"])
    for step_no, question in enumerate(attempts.draw_of(diagnostic)):
        right = sorted(fixture_course.questions[question.question_id].correct_indexes)
        attempts.record_answer(diagnostic.id, step_no, question.question_id, right, confidence=1)  # right, guessed
    from progress.models import Waiver
    assert count(db, Waiver) == 0


def test_the_manager_sees_a_waived_module_as_done_via_diagnosis(db, fixture_course):
    seed(db, fixture_course, employees=10, history_years=1, random_seed=3)
    attempts = Attempts(db, fixture_course)
    complete_module(attempts, fixture_course, person="demo-nyanstalld")  # Nora, in the chef's unit, did it once
    diagnostic = attempts.start_topic_quiz("demo-nyanstalld", "diagnostic", "alla", ["prov"])
    for step_no, question in enumerate(attempts.draw_of(diagnostic)):
        right = sorted(fixture_course.questions[question.question_id].correct_indexes)
        attempts.record_answer(diagnostic.id, step_no, question.question_id, right, confidence=2)
    # the day after the records (date.today() now, not TODAY at import: a run may cross midnight)
    (row,) = [r for r in team_status(db, fixture_course, "demo-chef", date.today()) if r.person_id == "demo-nyanstalld"]
    assert row.status.value == "klar_via_diagnos" and row.last_score is None


def test_completing_the_english_version_completes_the_module(db, bilingual_course):
    course = bilingual_course
    assert course.variant("prov", "en").id == "prov-en" and course.variant("prov", "sv").id == "prov"
    assert course.family("prov") == ["prov", "prov-en"]
    add_person(db)
    attempts = Attempts(db, course)
    for scenario_id in ("prov-middag-en", "prov-gava-en"):
        play_through(attempts, course, "p1", "prov-en", scenario_id)
    quiz = attempts.start_or_resume("p1", "prov-en", "quiz", "prov-en-fragor")
    for step_no, drawn in enumerate(attempts.draw_of(quiz)):
        result = attempts.record_answer(quiz.id, step_no, drawn.question_id,
                                        sorted(course.questions[drawn.question_id].correct_indexes))
    assert result.module_completed
    with db.read() as session:
        (completion,) = session.scalars(select(Completion)).all()
    assert completion.module_id == "prov"  # counts for the module, in whichever language it was taken
    for variant in ("prov", "prov-en"):
        assert attempts.module_progress("p1", variant, TODAY - timedelta(days=3)).status.value == "klar"


def test_the_refresher_quiz_leaves_out_what_the_diagnostic_showed_was_mastered(db):
    from course.content.loader import load_course
    from tests.conftest import PROJECT_ROOT

    course = load_course(PROJECT_ROOT).course
    add_person(db)
    attempts = Attempts(db, course)
    module = course.modules["mutor"]
    for scenario_id in module.scenarios:  # the first round
        play_through(attempts, course, "p1", "mutor", scenario_id)
    quiz = attempts.start_or_resume("p1", "mutor", "quiz", module.quiz)
    for step_no, drawn in enumerate(attempts.draw_of(quiz)):
        result = attempts.record_answer(quiz.id, step_no, drawn.question_id,
                                        sorted(course.questions[drawn.question_id].correct_indexes), confidence=3)
    assert result.module_completed
    diagnostic = attempts.start_topic_quiz("p1", "diagnostic", "medarbetare", ["mutor"])
    drawn = attempts.draw_of(diagnostic)
    assert not {d.question_id for d in drawn} & {d.question_id for d in attempts.draw_of(quiz)}  # fresh questions
    sure = {course.questions[d.question_id].topic for d in drawn[:-1]} - {course.questions[drawn[-1].question_id].topic}
    for step_no, question in enumerate(drawn):  # right and sure, except a guess on the last one
        right = sorted(course.questions[question.question_id].correct_indexes)
        attempts.record_answer(diagnostic.id, step_no, question.question_id, right,
                               confidence=3 if step_no < len(drawn) - 1 else 1)
    from progress.models import Waiver
    assert count(db, Waiver) == 0  # one topic was a guess: the module is played
    refresher = attempts.start_or_resume("p1", "mutor", "quiz", module.quiz)
    bank, last = course.banks[module.quiz], {d.question_id for d in attempts.draw_of(quiz)}
    wanted = [q for q in bank.questions if q.topic not in sure and q.id not in last]  # unseen, not mastered
    on_mastered = [d for d in attempts.draw_of(refresher) if course.questions[d.question_id].topic in sure]
    assert sure and len(on_mastered) == max(0, bank.draw - len(wanted))  # only what the rest cannot fill


def test_the_manager_sees_misconceptions_by_topic_never_the_answers(db, fixture_course):
    from progress.reports import team_misconceptions

    seed(db, fixture_course, employees=10, history_years=1, random_seed=3)
    attempts = Attempts(db, fixture_course)
    quiz = attempts.start_or_resume("demo-nyanstalld", "prov", "quiz", "prov-fragor")
    for step_no, drawn in enumerate(attempts.draw_of(quiz)[:2]):  # two sure but wrong answers
        right = sorted(fixture_course.questions[drawn.question_id].correct_indexes)
        attempts.record_answer(quiz.id, step_no, drawn.question_id, [(right[0] + 1) % 3], confidence=3)
    rows = [r for r in team_misconceptions(db, fixture_course, "demo-chef") if r.person_id == "demo-nyanstalld"]
    assert [(r.topic, r.count) for r in rows] == [("muta-tagande", 2)]
    assert set(rows[0].__dict__) == {"person_id", "name", "topic", "count"}  # no question, no answer
    assert not [r for r in team_misconceptions(db, fixture_course, "chef-vof") if r.person_id == "demo-nyanstalld"]
