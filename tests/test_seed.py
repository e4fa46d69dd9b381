"""`python -m course seed`: a synthetic municipality of any size, into the configured database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def seed_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course", "seed", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120)


def test_seed_makes_people_and_history_and_refuses_to_overwrite(tmp_path):
    database = tmp_path / "seed.sqlite"
    url = f"sqlite:///{database}"
    made = seed_cli("--employees", "60", "--history-years", "2", "--database-url", url)
    assert made.returncode == 0, made.stderr
    assert "personer" in made.stderr and "#" in made.stderr  # the progress bar
    with sqlite3.connect(database) as connection:
        people = connection.execute("SELECT count(*) FROM people").fetchone()[0]
        ids = {row[0] for row in connection.execute("SELECT id FROM people")}
        completions = connection.execute("SELECT count(*) FROM completions").fetchone()[0]
        steps = connection.execute("SELECT count(*) FROM steps").fetchone()[0]
    assert people >= 60
    assert {"demo-nyanstalld", "demo-medarbetare", "demo-chef", "demo-fortroendevald", "demo-admin"} <= ids
    assert completions > 0 and steps > completions

    # The database is now the demo's: writing to it again takes --demo, and overwriting it --replace too.
    refused = seed_cli("--employees", "10", "--database-url", url)
    assert refused.returncode == 2 and "demons databas" in refused.stderr
    again = seed_cli("--employees", "10", "--database-url", url, "--demo")
    assert again.returncode == 1 and "--replace" in again.stderr
    replaced = seed_cli("--employees", "10", "--database-url", url, "--demo", "--replace")
    assert replaced.returncode == 0
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM people").fetchone()[0] < people


def _schema(db) -> dict:
    from sqlalchemy import inspect

    inspector = inspect(db.engine)
    return {table: (sorted((i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                           for i in inspector.get_indexes(table)),
                    sorted((u["name"] or "", tuple(u["column_names"]))
                           for u in inspector.get_unique_constraints(table)),
                    sorted((f["name"] or "", tuple(f["constrained_columns"]), f["referred_table"])
                           for f in inspector.get_foreign_keys(table)),
                    tuple(inspector.get_pk_constraint(table)["constrained_columns"]))
            for table in ("attempts", "steps", "completions", "module_states", "topic_tallies")}


def test_every_seeded_record_is_one_the_app_could_have_written(db):
    """The seed's compact plays, expanded by the database, replay with the engine: each scenario attempt's steps
    walk the scenario (to the ending it names when finished), each quiz attempt's steps are the seed's draw in
    order, scored as the app scores them; a completion is triggered by the last answer of a passed quiz, and the
    rollups equal a recount from the records."""
    from collections import defaultdict

    from sqlalchemy import select

    from course import play, rules
    from course.content.loader import load_course
    from progress import states, tallies
    from progress.attempts import AttemptRecord, Attempts
    from progress.models import Attempt, Completion, ModuleState, Step, TopicTally
    from progress.seed import seed

    course = load_course(PROJECT_ROOT).course
    seed(db, course, employees=12, history_years=3)
    attempts = Attempts(db, course)
    with db.read() as session:
        rows = list(session.scalars(select(Attempt).order_by(Attempt.id)))
        steps = defaultdict(list)
        for step in session.scalars(select(Step).order_by(Step.attempt_id, Step.step_no)):
            steps[step.attempt_id].append(step)
        completions = list(session.scalars(select(Completion)))
        step_by_id = {step.id: step for attempt_steps in steps.values() for step in attempt_steps}

        def rollups():
            return ({(s.person_id, s.module_id): (s.last_completed_at, s.last_score, s.last_waived_at,
                                                  s.last_started_at) for s in session.scalars(select(ModuleState))},
                    {(t.unit_id, t.role, t.topic, t.month): (t.answered, t.correct)
                     for t in session.scalars(select(TopicTally))})

        seeded = rollups()
    kinds = defaultdict(int)
    for attempt in rows:
        mine = steps[attempt.id]
        assert [s.step_no for s in mine] == list(range(len(mine)))
        assert [s.idempotency_key for s in mine] == [f"a{attempt.id}-s{n}" for n in range(len(mine))]
        times = [attempt.started_at] + [s.answered_at for s in mine]
        assert times == sorted(times)
        if attempt.finished_at is not None:
            assert attempt.finished_at == times[-1]
        if attempt.kind == "scenario":
            scenario = course.scenarios[attempt.item_id]
            state = play.start_state(scenario)
            for step in mine:
                assert step.item == state.node_id and step.correct is None and step.confidence is None
                _, state = play.apply_choice(scenario, state, json.loads(step.response))
            ending = play.ending_of(scenario, state) if play.current_node(scenario, state).is_ending else None
            assert attempt.outcome == ending and (attempt.finished_at is None) == (ending is None)
        else:
            bank = course.banks[attempt.item_id]
            drawn = attempts.draw_of(AttemptRecord.of(attempt))
            assert [s.item for s in mine] == [d.question_id for d in drawn][:len(mine)]
            for step in mine:
                question = course.questions[step.item]
                response = json.loads(step.response)
                assert step.correct == play.is_correct(question, response)
                assert play.validate_selection(question, response) == tuple(response)  # as the store keeps it
                assert (step.confidence in play.CONFIDENCE_LEVELS) if bank.confidence else step.confidence is None
            if attempt.finished_at is None:
                assert len(mine) < len(drawn) and attempt.outcome is None
            else:
                points = play.quiz_points(course.questions, [(s.item, json.loads(s.response)) for s in mine])
                module = course.modules[attempt.module_id]
                assert len(mine) == len(drawn) and attempt.score_percent == play.score_percent(points, len(drawn))
                assert attempt.outcome == (rules.PASSED if play.passes(points, len(drawn), module.pass_mark)
                                           else rules.FAILED)
        kinds[(attempt.kind, attempt.finished_at is None)] += 1
    assert all(kinds[(kind, still_open)] for kind in ("scenario", "quiz") for still_open in (True, False))
    by_id = {attempt.id: attempt for attempt in rows}
    for completion in completions:
        trigger = step_by_id[completion.trigger_step_id]
        attempt = by_id[trigger.attempt_id]
        assert attempt.kind == "quiz" and attempt.outcome == rules.PASSED
        assert trigger.step_no == len(steps[attempt.id]) - 1
        assert completion.completed_at == trigger.answered_at and completion.score_percent == attempt.score_percent
        assert course.base_of(attempt.module_id) == completion.module_id and attempt.person_id == completion.person_id

    assert not states.out_of_date(db, course)  # the app's first start keeps the seed's states
    states.rebuild(db, course)
    tallies.rebuild(db, course)
    with db.read() as session:
        assert rollups() == seeded and seeded[0] and seeded[1]


def test_the_seed_leaves_the_schema_as_the_migrations_made_it_also_when_it_fails(db, fixture_course, monkeypatch):
    """On PostgreSQL the seed drops the constraints and indexes of the tables it fills and makes them again in
    the same transaction; the schema afterwards is the migrations', also after a seed that fails halfway."""
    import pytest
    from sqlalchemy import func, select

    from progress import seed as seeding
    from progress.models import Attempt

    before = _schema(db)
    seeding.seed(db, fixture_course, employees=10, history_years=1)
    assert _schema(db) == before
    seeding.wipe(db)

    played = seeding._History.person
    calls = []

    def fails_at_the_third(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("halfway")
        played(self, *args)

    monkeypatch.setattr(seeding._History, "person", fails_at_the_third)
    with pytest.raises(RuntimeError, match="halfway"):
        seeding.seed(db, fixture_course, employees=10, history_years=1)
    assert _schema(db) == before
    if db.dialect == "postgresql":  # one transaction: nothing of the history stays
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_the_seeded_answers_give_item_statistics_like_a_real_organisation_s(db):
    """The analytics page's item statistics (analytics_queries.item_statistics, as views/compliance.py asks for
    them) over the seeded history: every bank answered often enough has a handful of flagged questions, not
    most, and for a reason an author can see (its very easy and its hard question, see seed_answers); nearly
    every question with enough answers discriminates, and clearly so. The seed once gave all the questions of an
    attempt one flat chance: the median index was about 19, and larm's bank showed 4 negative of 26."""
    import statistics
    from datetime import date, timedelta

    from course import itemstats
    from course.content.loader import load_course
    from progress import analytics_queries as queries
    from progress.seed import seed

    today = date(2025, 6, 2)
    course = load_course(PROJECT_ROOT).course
    seed(db, course, employees=300, history_years=2, today=today)  # the size `python -m course seed` makes
    checked = 0
    for bank_id in course.banks:
        stats = queries.item_statistics(db, "demo-admin", course, bank_id, today - timedelta(days=2 * 365), today)
        asked = [s for s in stats if s.n]
        if not asked or statistics.median(s.n for s in asked) < itemstats.MIN_ATTEMPTS:
            continue  # too few takers for statistics (the förtroendevalda, the managers, the English versions)
        checked += 1
        flagged = [s.question_id for s in asked if itemstats.is_flagged(s)]
        assert len(flagged) <= 4, (bank_id, flagged)
        assert {flag for s in asked for flag in s.flags} >= {itemstats.FLAG_TOO_EASY, itemstats.FLAG_TOO_HARD}
        enough = [s for s in asked if s.n >= itemstats.MIN_ATTEMPTS and s.discrimination is not None]
        negative = [s.question_id for s in enough if s.discrimination <= 0]
        assert len(enough) >= len(asked) // 2 and len(negative) <= 1, (bank_id, negative)
        assert statistics.median(s.discrimination for s in enough) >= 30, bank_id
    assert checked >= 4  # the banks every employee takes
