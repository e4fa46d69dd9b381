"""The learner service (progress/learner.py) on SQLite and on PostgreSQL: what Min utbildning, a module page and
a topic quiz page draw, who may read it, what may be opened and started, a fixed number of queries whatever the
course and the history, and an attempt read with its steps at one moment."""

from __future__ import annotations

import json
import re
import shutil
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import event, func, insert, select, update

from course.content.loader import load_course
from course.rules import Status
from progress import learner
from progress.access import SYSTEM, NotPermitted
from progress.attempts import Attempts
from progress.attestations import Attestations
from progress.db import Database
from progress.models import Attempt, Completion, Person, PersonRole, Unit
from tests.conftest import FIXTURE_CONTENT
from tests.playing import answer_quiz, complete, play_through

TODAY = date.today()
START = TODAY - timedelta(days=3)


def add_person(db: Database, person_id: str = "p1", roles=("medarbetare",), start: date = START,
               end: date | None = None) -> None:
    with db.engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(Unit).where(Unit.id == "u1")).scalar() == 0:
            connection.execute(insert(Unit), [{"id": "u1", "name": "Enheten", "kind": "enhet"}])
        connection.execute(insert(Person), [{"id": person_id, "name": "Test Person", "unit_id": "u1",
                                             "start_date": start, "end_date": end}])
        if roles:
            connection.execute(insert(PersonRole), [{"person_id": person_id, "role": role} for role in roles])


def add_module_copy(root: Path, module_id: str, new_id: str) -> None:
    """One more module in the content under `root`: a copy of `module_id` (its scenarios and quiz copied with
    their own ids), in every track that has the original."""
    def own(text: str, old: str, new: str) -> str:
        return re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, text)

    module_text = (root / "modules" / f"{module_id}.yaml").read_text(encoding="utf-8")
    module = yaml.safe_load(module_text)
    for scenario_id in module["scenarios"]:
        text = (root / "scenarios" / f"{scenario_id}.yaml").read_text(encoding="utf-8")
        (root / "scenarios" / f"{new_id}-{scenario_id}.yaml").write_text(
            re.sub(r"^id: .*$", f"id: {new_id}-{scenario_id}", text, count=1, flags=re.M), encoding="utf-8")
        module_text = own(module_text, scenario_id, f"{new_id}-{scenario_id}")
    quiz = (root / "quizzes" / f"{module['quiz']}.yaml").read_text(encoding="utf-8")
    quiz = re.sub(r"^id: .*$", f"id: {new_id}-fragor", quiz, count=1, flags=re.M)
    quiz = re.sub(r"^(    text: )(?![>|])(.*)$", rf"\g<1>\2 ({new_id})", quiz, flags=re.M)  # no two alike
    quiz = re.sub(r"^(    text: [>|][-+]?\n +)", rf"\g<1>({new_id}) ", quiz, flags=re.M)
    (root / "quizzes" / f"{new_id}-fragor.yaml").write_text(re.sub(r"^(\s*- id: )(\S+)", rf"\g<1>{new_id}-\2",
                                                                   quiz, flags=re.M), encoding="utf-8")
    module_text = own(module_text, module["quiz"], f"{new_id}-fragor")
    module_text = re.sub(r"^id: .*$", f"id: {new_id}", module_text, count=1, flags=re.M)
    module_text = re.sub(r"^title: (.*)$", r"title: \1 (fördjupning)", module_text, count=1, flags=re.M)
    (root / "modules" / f"{new_id}.yaml").write_text(module_text, encoding="utf-8")
    tracks_file = root / "config" / "tracks.yaml"
    tracks = yaml.safe_load(tracks_file.read_text(encoding="utf-8"))
    for track in tracks["tracks"]:
        if module_id in track["modules"]:
            track["modules"].append(new_id)
    tracks_file.write_text(yaml.safe_dump(tracks, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def bigger_course(tmp_path_factory):
    """The fixture course with two more modules in its track."""
    root = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    add_module_copy(root, "prov", "extra")
    add_module_copy(root, "prov", "tredje")
    result = load_course(root)
    assert result.ok, [p.as_text() for p in result.problems]
    return result.course


@contextmanager
def statements(db: Database):
    """The SQL statements sent through the store's engine inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def shift_back(db: Database, by: timedelta) -> None:
    """Move every completion and attempt `by` into the past."""
    with db.engine.begin() as connection:
        for model, columns in ((Completion, ("started_at", "completed_at")), (Attempt, ("started_at", "finished_at"))):
            for row in connection.execute(select(model.id, *(getattr(model, c) for c in columns))).all():
                connection.execute(update(model).where(model.id == row[0]).values(
                    {c: value - by for c, value in zip(columns, row[1:]) if value is not None}))


def test_a_new_hire_s_overview(db, fixture_course):
    add_person(db)
    found = learner.overview(db, fixture_course, "p1", "p1", TODAY)
    assert [t.track.id for t in found.tracks] == ["alla"]
    card = found.modules["prov"]
    assert card.module_progress.status == Status.NOT_STARTED and card.module_progress.due == START + timedelta(days=30)
    assert (card.parts_done, card.parts_total) == (0, 3) and not card.done and not card.done_for_now
    assert not card.renewal_open and card.languages == ("sv",)
    track = found.tracks[0]
    assert track.modules == ("prov",) and not track.done and not track.certificate
    assert track.refresher is None and track.booster is None
    assert track.attestation is not None and not track.attestation.may_attest and not track.attestation.current


def test_playing_the_module_through_the_service_shows_each_part_then_the_completion(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", None, TODAY)
    assert page.parts == (("scenario", "prov-middag"), ("scenario", "prov-gava"), ("quiz", "prov-fragor"))
    assert page.current == 0 and page.next_part == 1 and page.scenario.attempt is None  # to be started
    learner.start_part(attempts, "p1", "p1", "prov", "scenario", "prov-middag", TODAY)
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", "0", TODAY)
    assert page.scenario.attempt is not None and page.scenario.state.node_id == "start" and not page.scenario.finished
    play_through(attempts, fixture_course, "prov", "prov-middag")
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", "0", TODAY)
    assert page.scenario.finished and page.parts_done == (True, False, False)
    assert learner.module_page(db, fixture_course, "p1", "p1", "prov", None, TODAY).current == 1  # the next part
    play_through(attempts, fixture_course, "prov", "prov-gava")
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", None, TODAY)
    assert page.current == 2 and page.quiz is None  # the quiz, not started
    quiz = learner.start_part(attempts, "p1", "p1", "prov", "quiz", "prov-fragor", TODAY)
    answer_quiz(attempts, fixture_course, quiz, upto=2)
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", None, TODAY)
    assert page.quiz.step_no == 2 and page.quiz.current == page.quiz.drawn[2] and not page.quiz.finished
    answer_quiz(attempts, fixture_course, quiz)  # the first two again are duplicates: nothing changes
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", None, TODAY)
    assert page.completion_page and page.review.passed and page.review.score_percent == 100.0
    assert page.review.cbm.rated == (5 if fixture_course.banks["prov-fragor"].confidence else 0)
    found = learner.overview(db, fixture_course, "p1", "p1", TODAY)
    track = found.tracks[0]
    card = found.modules["prov"]
    assert card.module_progress.status == Status.DONE and card.done and card.done_for_now and not card.renewal_open
    assert track.done and track.certificate and track.attestation.may_attest
    assert track.booster is not None and not track.booster.offered  # opens three weeks after
    Attestations(db).attest("p1", "alla", fixture_course.organisation.riktlinjer.version)
    attested = learner.overview(db, fixture_course, "p1", "p1", TODAY).tracks[0].attestation
    assert attested.current and not attested.may_attest


def test_only_the_person_employed_today_reads_their_pages(db, fixture_course):
    add_person(db, "p1")
    add_person(db, "p2")
    add_person(db, "gone", end=TODAY - timedelta(days=1))
    add_person(db, "future", start=TODAY + timedelta(days=5))
    for viewer, person in (("p2", "p1"), (None, "p1"), ("gone", "gone"), ("future", "future"), ("nobody", "nobody")):
        with pytest.raises(NotPermitted):
            learner.overview(db, fixture_course, viewer, person, TODAY)
        with pytest.raises(NotPermitted):
            learner.module_page(db, fixture_course, viewer, person, "prov", None, TODAY)
        with pytest.raises(NotPermitted):
            learner.topic_quiz_page(db, fixture_course, viewer, person, "booster", "alla", TODAY)
    assert learner.overview(db, fixture_course, SYSTEM, "p1", TODAY).person_id == "p1"  # the operator


def test_a_module_part_or_track_that_is_not_the_learner_s_is_refused_whatever_the_url_says(db, fixture_course):
    add_person(db, "p1")
    add_person(db, "buyer", roles=("upphandlare",))  # no track of the fixture has this role
    attempts = Attempts(db, fixture_course)
    assert learner.overview(db, fixture_course, "buyer", "buyer", TODAY).tracks == ()
    for call in (lambda: learner.module_page(db, fixture_course, "buyer", "buyer", "prov", None, TODAY),
                 lambda: learner.module_page(db, fixture_course, "p1", "p1", "finns-inte", None, TODAY),
                 lambda: learner.topic_quiz_page(db, fixture_course, "buyer", "buyer", "booster", "alla", TODAY),
                 lambda: learner.topic_quiz_page(db, fixture_course, "p1", "p1", "annat", "alla", TODAY),
                 lambda: learner.start_part(attempts, "buyer", "buyer", "prov", "scenario", "prov-middag", TODAY),
                 lambda: learner.start_part(attempts, "p1", "p1", "prov", "quiz", "prov-middag", TODAY),
                 lambda: learner.start_topic_quiz(attempts, "p1", "p1", "booster", "alla", TODAY),  # not done yet
                 lambda: learner.start_topic_quiz(attempts, "p1", "p1", "diagnostic", "alla", TODAY)):
        with pytest.raises(NotPermitted):
            call()
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", "7", TODAY)  # no such part: the next one
    assert page.current == 0
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Attempt)) == 0  # nothing was started


def test_a_refresher_round_offers_one_scenario_and_the_diagnostic(db, fixture_course):
    add_person(db, start=TODAY - timedelta(days=800))
    attempts = Attempts(db, fixture_course)
    complete(attempts, fixture_course, "prov")
    shift_back(db, timedelta(days=400))  # more than a year ago: due again
    found = learner.overview(db, fixture_course, "p1", "p1", TODAY)
    assert found.modules["prov"].module_progress.status == Status.OVERDUE
    assert found.tracks[0].refresher.scope == ("prov",) and not found.tracks[0].refresher.started
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", None, TODAY)
    assert len(page.parts) == 2  # one scenario, then the quiz
    other = next(s for s in fixture_course.modules["prov"].scenarios if ("scenario", s) not in page.parts)
    with pytest.raises(NotPermitted):  # not a part of this round
        learner.start_part(attempts, "p1", "p1", "prov", "scenario", other, TODAY)
    diagnostic = learner.start_topic_quiz(attempts, "p1", "p1", "diagnostic", "alla", TODAY)
    assert diagnostic.scope == ("prov",)
    answer_quiz(attempts, fixture_course, diagnostic)
    topic = learner.topic_quiz_page(db, fixture_course, "p1", "p1", "diagnostic", "alla", TODAY)
    assert topic.quiz.finished and topic.waived == ("prov",) and topic.remaining == ()
    assert topic.quiz.cbm.best == 3 * len(topic.quiz.steps) and topic.quiz.passed is None
    found = learner.overview(db, fixture_course, "p1", "p1", TODAY)
    assert found.modules["prov"].module_progress.status == Status.WAIVED and found.tracks[0].refresher is None


def test_the_overview_and_the_pages_cost_the_same_queries_whatever_the_course_and_the_history(db, fixture_course,
                                                                                              bigger_course):
    add_person(db, "small")
    add_person(db, "big", start=TODAY - timedelta(days=800))
    small, big = Attempts(db, fixture_course), Attempts(db, bigger_course)
    complete(small, fixture_course, "prov", "small")
    for module_id in ("prov", "extra", "tredje"):  # three modules, each played twice over
        complete(big, bigger_course, module_id, "big")
        play_through(big, bigger_course, module_id, "prov-middag" if module_id == "prov" else f"{module_id}-prov-middag",
                     "big")
    learner.start_part(small, "small", "small", "prov", "scenario", "prov-middag", TODAY)

    def cost(course, person, call):
        with statements(db) as seen:
            call(course, person)
        return len(seen)

    pages = {"overview": lambda c, p: learner.overview(db, c, p, p, TODAY),
             "module": lambda c, p: learner.module_page(db, c, p, p, "prov", "0", TODAY),
             "completion": lambda c, p: learner.module_page(db, c, p, p, "prov", None, TODAY),
             "topic quiz": lambda c, p: learner.topic_quiz_page(db, c, p, p, "booster", "alla", TODAY)}
    for name, call in pages.items():
        assert cost(fixture_course, "small", call) == cost(bigger_course, "big", call), name
    begin = 1 if db.dialect == "sqlite" else 0  # SQLite's BEGIN is a statement of its own
    # the person, roles, completions, waivers, attempts, group-session records; the overview adds attestations
    assert cost(bigger_course, "big", pages["overview"]) == 7 + begin
    assert cost(bigger_course, "big", pages["module"]) <= 8 + begin


def test_a_quiz_whose_last_answer_lands_between_the_reads_is_shown_finished(db, fixture_course, monkeypatch):
    """The race that crashed _quiz_runner at 100 sessions: the page read the attempt, the last answer was
    recorded, then the page read the steps (step_no == len(drawn)). Here the answer is recorded between the
    service's read of the person's attempts and its read of the quiz."""
    add_person(db)
    attempts = Attempts(db, fixture_course)
    quiz = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    drawn = attempts.draw_of(quiz)
    answer_quiz(attempts, fixture_course, quiz, upto=len(drawn) - 1)
    read_attempt_with_steps = learner._attempt_with_steps

    def answer_last_then_read(session, attempt_id):
        answer_quiz(attempts, fixture_course, quiz)  # another tab, or an answer kept and sent again, lands now
        return read_attempt_with_steps(session, attempt_id)

    monkeypatch.setattr(learner, "_attempt_with_steps", answer_last_then_read)
    quiz_shown = learner.module_page(db, fixture_course, "p1", "p1", "prov", "2", TODAY).quiz
    # the attempt and its steps are of one moment: finished exactly when every question has its answer
    assert (quiz_shown.attempt.finished_at is not None) == (len(quiz_shown.steps) == len(drawn))
    if db.dialect == "postgresql":  # each statement sees what was committed before it: the last answer is in
        assert quiz_shown.finished and quiz_shown.current is None and quiz_shown.passed
    else:  # SQLite's read transaction keeps the moment of its first read: the last question is still to answer
        assert not quiz_shown.finished and quiz_shown.current == drawn[-1]
    monkeypatch.undo()
    assert learner.module_page(db, fixture_course, "p1", "p1", "prov", "2", TODAY).quiz.finished


def test_a_quiz_with_every_answer_but_no_end_recorded_is_finished_not_asked_past_its_end(db, fixture_course):
    add_person(db)
    attempts = Attempts(db, fixture_course)
    quiz = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    answer_quiz(attempts, fixture_course, quiz, wrong=5)
    with db.engine.begin() as connection:  # as an attempt from before the end was recorded with the last answer
        connection.execute(update(Attempt).where(Attempt.id == quiz.id)
                           .values(finished_at=None, outcome=None, score_percent=None))
    page = learner.module_page(db, fixture_course, "p1", "p1", "prov", "2", TODAY)
    assert page.quiz.finished and page.quiz.current is None
    assert page.quiz.step_no == len(page.quiz.drawn) and page.quiz.score_percent == 0.0 and page.quiz.passed is False


def test_a_module_done_a_year_ago_stays_done_with_its_next_round_open(db, fixture_course):
    add_person(db, start=TODAY - timedelta(days=800))
    attempts = Attempts(db, fixture_course)
    complete(attempts, fixture_course, "prov")
    shift_back(db, timedelta(days=358))  # due in a week: the round opened two weeks before
    found = learner.overview(db, fixture_course, "p1", "p1", TODAY)
    card = found.modules["prov"]
    assert card.module_progress.status == Status.DONE and card.done and card.renewal_open and not card.done_for_now
    assert found.tracks[0].refresher.scope == ("prov",)  # and the refresher can be taken now
    assert not learner.module_page(db, fixture_course, "p1", "p1", "prov", None, TODAY).completion_page


# --- the same race through the app (AppTest runs it in this process) ------------------------------------------

@pytest.fixture
def app_engines(monkeypatch):
    """The engines the app makes (views.context's cached services), to listen on."""
    from progress import db as store_db

    made, make_engine = [], store_db.make_engine

    def recording(*args, **kwargs):
        engine = make_engine(*args, **kwargs)
        made.append(engine)
        return engine

    monkeypatch.setattr(store_db, "make_engine", recording)
    return made


def app_engines_make(url: str):
    from progress.db import make_engine

    return make_engine(url)


def _quiz_with_one_question_left(demo_env, course):
    from tests.test_app import answer_current_question, open_app, quiz_part

    at = open_app("demo-nyanstalld", modul="mutor", **{"del": quiz_part("mutor")})
    at.button(key="quiz-start").click().run()
    draw = course.banks["mutor-fragor"].draw
    for _ in range(draw - 1):
        answer_current_question(at, course)
        at.run()
        assert not at.exception, at.exception
    import sqlite3

    with sqlite3.connect(demo_env) as connection:
        attempt_id, drawn = connection.execute("SELECT id, drawn FROM attempts WHERE person_id = 'demo-nyanstalld' "
                                               "AND kind = 'quiz'").fetchone()
    return at, attempt_id, import_json(drawn)


def import_json(text):
    import json

    return json.loads(text)


def test_the_quiz_page_survives_the_last_answer_landing_while_it_reads(demo_env, app_engines):
    """The _quiz_runner crash (IndexError at drawn[step_no]) made deterministic: the moment the page first asks
    for a quiz's steps, the last answer of the attempt is recorded by someone else (another tab, or an answer
    kept during an outage and sent again). A page that read the attempt and then, separately, its steps saw an
    unfinished attempt with every answer in, and indexed past the end."""
    course = load_course(Path(__file__).resolve().parents[1]).course
    at, attempt_id, drawn = _quiz_with_one_question_left(demo_env, course)
    last_no, (question_id, _) = len(drawn) - 1, drawn[-1]
    right = sorted(course.questions[question_id].correct_indexes)
    engines = list(app_engines)  # the app's, before this test makes its own
    other = Attempts(Database(app_engines_make(f"sqlite:///{demo_env}")), course)
    armed = []

    def land_the_last_answer_first(conn, cursor, statement, parameters, context, executemany):
        if armed and "steps" in statement.lower():
            armed.clear()
            other.record_answer(attempt_id, last_no, question_id, right, confidence=3)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", land_the_last_answer_first)
    try:
        armed.append(True)
        at.run()
        assert not armed, "the page read the quiz's steps"
        assert not at.exception, at.exception
        shows_last_question = any(m.value.startswith("#### ") for m in at.markdown)
        shows_result = any("godkänd" in s.value.lower() or "rätt" in s.value for s in [*at.success, *at.error])
        assert shows_last_question or shows_result
        at.run()  # the next look shows the finished quiz
        assert not at.exception, at.exception
        assert not any(m.value.startswith("#### ") for m in at.markdown)
        assert at.button(key="quiz-retry")
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", land_the_last_answer_first)
        other.db.engine.dispose()


def test_a_quiz_with_every_answer_but_no_end_recorded_shows_its_result(demo_env):
    """The other state the crash came from: step_no == len(drawn) on an attempt not marked finished."""
    import sqlite3

    from tests.test_app import answer_current_question

    course = load_course(Path(__file__).resolve().parents[1]).course
    at, attempt_id, drawn = _quiz_with_one_question_left(demo_env, course)
    answer_current_question(at, course)
    at.run()
    with sqlite3.connect(demo_env) as connection:
        connection.execute("UPDATE attempts SET finished_at = NULL, outcome = NULL, score_percent = NULL "
                           "WHERE id = ?", (attempt_id,))
    at.run()
    assert not at.exception, at.exception
    assert not any(m.value.startswith("#### ") for m in at.markdown)  # no ninth question
    assert at.button(key="quiz-retry")


def test_a_url_naming_a_module_or_track_that_is_not_the_learner_s_shows_the_overview(demo_env):
    from tests.test_app import open_app

    for params in ({"modul": "jav-fortroendevalda"}, {"modul": "finns-inte", "del": "0"},
                   {"repetition": "booster", "spar": "fortroendevald"}, {"repetition": "x", "spar": "nyanstalld"}):
        at = open_app("demo-nyanstalld", **params)
        assert any("ingår inte i din utbildning" in i.value for i in at.info), params
        assert any("Hej Nora" in title.value for title in at.title), params  # Min utbildning's overview
        assert not [b for b in at.button if b.key == "back"] and not keyed_start(at), params
    allowed = open_app("demo-nyanstalld", modul="mutor")
    assert not any("ingår inte" in i.value for i in allowed.info) and allowed.button(key="back")


def keyed_start(at):
    return [b for b in at.button if (b.key or "").startswith(("start-", "quiz-start"))]


def test_a_scenario_attempt_keeps_its_choice_order_and_the_page_shows_it(db, fixture_course, monkeypatch):
    """The order is drawn when the attempt starts, stored with it, the same on every read and after a resume,
    and differs between learners and attempts (issue 12, point 1)."""
    seeds = iter(range(100, 200))  # the attempts' seeds, fixed so that the test cannot fail by chance
    monkeypatch.setattr("progress.attempts.secrets.randbelow", lambda _: next(seeds))
    attempts = Attempts(db, fixture_course)
    scenario = fixture_course.scenarios["prov-middag"]
    orders = []
    for number in range(12):
        person = f"p{number}"
        add_person(db, person)
        started = attempts.start_or_resume(person, "prov", "scenario", scenario.id)
        page = learner.module_page(db, fixture_course, person, person, "prov", "0", TODAY)
        shown = page.scenario.choice_order
        assert sorted(shown) == list(range(len(scenario.nodes[scenario.start].choices)))
        assert attempts.start_or_resume(person, "prov", "scenario", scenario.id).id == started.id  # resumed
        again = learner.module_page(db, fixture_course, person, person, "prov", "0", TODAY)
        assert again.scenario.choice_order == shown  # a reload shows the same order
        with db.read() as session:
            stored = session.scalar(select(Attempt.drawn).where(Attempt.id == started.id))
        assert [scenario.start, list(shown)] in json.loads(stored)  # kept with the attempt
        orders.append(shown)
    assert len(set(orders)) > 1, "every learner saw the same order"
    assert {order[0] for order in orders} != {0}, "the choice written first was always shown first"
