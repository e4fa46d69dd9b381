"""The dashboard's counts come from the database; they must equal the rule applied person by person."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta


from progress import dashboard, status_counts, unit_tree
from progress.access import SYSTEM
from progress.reports import status_rows
from progress.seed import seed
from tests.conftest import PROJECT_ROOT, SEEDED_DAY

TODAY = SEEDED_DAY  # the `seeded` store's (tests/conftest.py)


def test_status_counts_equal_the_rule_person_by_person(seeded, real_course):
    units = unit_tree.load_units(seeded)
    days = (TODAY, TODAY + timedelta(days=40), TODAY + timedelta(days=400))  # the dashboard shows today on
    scopes = (("demo-chef", None), ("chef-ks", None), ("chef-ks", "fortroendevald"), ("chef-vof", "medarbetare"))
    for day, (manager_id, role) in ((day, scope) for day in days for scope in scopes):
        scope = unit_tree.scope_for(seeded, manager_id, role=role, today=day, units=units)
        counted = Counter()
        for row in dashboard.status_overview(seeded, real_course, scope).counts:
            counted[(row.module_id, row.status)] += row.count
        expected = Counter()
        for row in status_rows(seeded, real_course, day, manager_id=manager_id):
            if role is None or role in _roles(seeded, row.person_id):
                expected[(row.module_id, row.status)] += 1
        # status_rows leaves the manager out of their own list; the dashboard counts everyone in the units
        for row in status_rows(seeded, real_course, day, person_ids=[manager_id]):
            if role is None or role in _roles(seeded, manager_id):
                expected[(row.module_id, row.status)] += 1
        assert counted == expected, (manager_id, role, day)
        assert sum(counted.values()) > 0


def test_overdue_list_has_the_rule_s_due_dates(seeded, real_course):
    scope = unit_tree.scope_for(seeded, "chef-ks", today=TODAY)
    overdue = dashboard.status_overview(seeded, real_course, scope).overdue
    listed = {(r.person_id, r.module_id): r.due for r in overdue}
    assert [r.due for r in overdue] == sorted(r.due for r in overdue)
    expected = {(r.person_id, r.module_id): r.due for r in status_rows(seeded, real_course, TODAY)
                if r.status.value == "forsenad" and r.unit_id in scope.groups}
    assert listed == expected and listed


def test_groups_are_the_units_one_level_down(seeded):
    units = unit_tree.load_units(seeded)
    scope = unit_tree.make_scope(units, ["ks"])
    assert scope.groups["sbf-bygglov"] == "sbf" and scope.groups["sbf"] == "sbf" and scope.groups["ks"] == "ks"
    assert "bn" not in scope.groups  # another root: not under ks
    narrowed = unit_tree.make_scope(units, ["sbf"])
    assert set(narrowed.groups) == {"sbf", "sbf-bygglov", "sbf-miljo"}
    assert narrowed.groups["sbf-miljo"] == "sbf-miljo"


def test_time_scores_and_topics_are_counted_in_scope(seeded, real_course):
    everyone = unit_tree.scope_for(seeded, SYSTEM, today=TODAY)  # the operator: every root, ks and bn
    assert set(everyone.groups) >= {"ks", "bn"}
    one_unit = unit_tree.scope_for(seeded, "demo-chef", today=TODAY)  # she manages sbf
    start = TODAY - timedelta(days=365 * 3)
    completed_all = dashboard.completed_in_period(seeded, everyone, start, TODAY)
    months_all = dict(completed_all.by_month)
    months_unit = dict(dashboard.completed_in_period(seeded, one_unit, start, TODAY).by_month)
    assert sum(months_all.values()) > sum(months_unit.values()) > 0
    assert all(len(month) == 7 for month in months_all)  # YYYY-MM on both databases
    scores = completed_all.scores
    assert [bound for bound, _ in scores] == list(dashboard.SCORE_BUCKETS)
    assert sum(count for _, count in scores) == sum(months_all.values()) - _waivers(seeded)
    cells = dashboard.topic_heatmap(seeded, one_unit, start, TODAY)
    assert cells and {cell.group_id for cell in cells} <= {"sbf", "sbf-bygglov", "sbf-miljo"}
    assert all(0 <= cell.correct <= cell.answered for cell in cells)


def _roles(db, person_id):
    from sqlalchemy import select

    from progress.models import PersonRole

    with db.read() as session:
        return set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)))


def _waivers(db):
    from sqlalchemy import func, select

    from progress.models import Waiver

    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Waiver))


def test_the_day_s_kept_counts_move_with_every_record_and_equal_a_fresh_count(seeded, real_course):
    from datetime import datetime, time as clock_time

    from progress import daily_counts
    from progress.attempts import Attempts
    from tests.test_store import play_through

    units = unit_tree.load_units(seeded)

    def both(role=None):
        scope = unit_tree.scope_for(seeded, SYSTEM, role=role, today=TODAY, units=units)  # ks and bn
        kept = dashboard.status_overview(seeded, real_course, scope, list_overdue=False).counts
        fresh = dashboard.status_overview(seeded, real_course, scope, list_overdue=True).counts
        return Counter({(c.group_id, c.module_id, c.status): c.count for c in kept}), Counter(
            {(c.group_id, c.module_id, c.status): c.count for c in fresh})

    kept, fresh = both()
    assert kept == fresh and sum(kept.values()) > 100

    attempts = Attempts(seeded, real_course, clock=lambda: datetime.combine(TODAY, clock_time(12)))
    module = real_course.modules["mutor"]
    play_through(attempts, real_course, "demo-nyanstalld", "mutor", module.scenarios[0])  # ej påbörjad -> pågår
    kept, fresh = both()
    assert kept == fresh
    for scenario_id in module.scenarios[1:]:
        play_through(attempts, real_course, "demo-nyanstalld", "mutor", scenario_id)
    quiz = attempts.start_or_resume("demo-nyanstalld", "mutor", "quiz", module.quiz)
    for step_no, drawn in enumerate(attempts.draw_of(quiz)):
        right = sorted(real_course.questions[drawn.question_id].correct_indexes)
        attempts.record_answer(quiz.id, step_no, drawn.question_id, right,
                               2 if real_course.banks[module.quiz].confidence else None)
    kept, fresh = both()  # pågår -> klar
    assert kept == fresh
    assert kept[("sbf", "mutor", rules_status("klar"))] >= 1
    for role in ("fortroendevald", "medarbetare"):
        kept, fresh = both(role)
        assert kept == fresh and kept

    seeded.write(daily_counts.forget)  # an import: counted again on the next view
    kept, fresh = both()
    assert kept == fresh


def rules_status(value: str):
    from course.rules import Status

    return Status(value)


def test_a_day_s_counts_made_from_an_earlier_day_s_equal_a_fresh_count(seeded, real_course, monkeypatch):
    """The day's first view makes its counts from the latest earlier day made (daily_counts.advance): across new
    hires, leavers, first rounds and yearly rounds falling due, and records written in between, they equal a fresh
    count, without counting everything again."""
    from datetime import datetime, time as clock_time

    from progress import daily_counts
    from progress.attempts import Attempts
    from tests.test_store import play_through

    units = unit_tree.load_units(seeded)

    def both(day, role=None):
        scope = unit_tree.scope_for(seeded, SYSTEM, role=role, today=day, units=units)
        kept = dashboard.status_overview(seeded, real_course, scope, list_overdue=False).counts
        fresh = dashboard.status_overview(seeded, real_course, scope, list_overdue=True).counts
        return Counter({(c.group_id, c.module_id, c.status): c.count for c in kept}), Counter(
            {(c.group_id, c.module_id, c.status): c.count for c in fresh})

    days = [TODAY - timedelta(days=d) for d in (400, 399, 300, 150)] + [TODAY + timedelta(days=d)
                                                                         for d in (0, 1, 40, 400)]
    daily_counts.count(seeded, real_course, days[0])
    counted = both(days[0])
    assert counted[0] == counted[1] and sum(counted[0].values()) > 50

    def no_full_count(*args):
        raise AssertionError("counted everything again")

    monkeypatch.setattr(status_counts, "live_counts", no_full_count)
    monkeypatch.setattr(daily_counts, "ADVANCE_DAYS", 1000)  # from one to the next however far apart
    changed, previous, before = 0, counted[0], days[0]
    for day in days[1:]:
        if day == TODAY:  # records after the last made day, before the next is made: moved on the made day too
            attempts = Attempts(seeded, real_course, clock=lambda: datetime.combine(TODAY, clock_time(12)))
            play_through(attempts, real_course, "demo-nyanstalld", "mutor", real_course.modules["mutor"].scenarios[0])
            late = next(row.person_id for row in status_rows(seeded, real_course, before)
                        if row.module_id == "mutor" and row.status.value == "forsenad"
                        and row.person_id in {r.person_id for r in status_rows(seeded, real_course, TODAY)}
                        and not _open_attempts(seeded, row.person_id, "mutor"))
            complete_mutor(attempts, real_course, late)  # overdue -> done on the made day as on this one
        before = day
        kept, fresh = both(day)  # the view makes the day's counts from the day before
        assert kept == fresh, day
        changed, previous = changed + (kept != previous), kept
        for role in ("fortroendevald", "medarbetare"):
            kept, fresh = both(day, role)
            assert kept == fresh, (day, role)
    assert changed >= 5  # the statuses did move between the days

    monkeypatch.undo()  # further apart than ADVANCE_DAYS: counted afresh
    counted_afresh = []
    monkeypatch.setattr(status_counts, "live_counts", lambda *args: counted_afresh.append(args) or [])
    daily_counts.ensure(seeded, real_course, days[-1] + timedelta(days=daily_counts.ADVANCE_DAYS))
    assert not counted_afresh
    daily_counts.ensure(seeded, real_course, days[-1] + timedelta(days=2 * daily_counts.ADVANCE_DAYS + 1))
    assert counted_afresh


def complete_mutor(attempts, course, person_id) -> None:
    from tests.test_store import play_through

    module = course.modules["mutor"]
    for scenario_id in module.scenarios:
        play_through(attempts, course, person_id, "mutor", scenario_id)
    quiz = attempts.start_or_resume(person_id, "mutor", "quiz", module.quiz)
    for step_no, drawn in enumerate(attempts.draw_of(quiz)):
        right = sorted(course.questions[drawn.question_id].correct_indexes)
        confidence = 2 if course.banks[module.quiz].confidence else None
        attempts.record_answer(quiz.id, step_no, drawn.question_id, right, confidence)


def _open_attempts(db, person_id, module_id) -> int:
    from sqlalchemy import func, select

    from progress.models import Attempt

    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.person_id == person_id, Attempt.module_id == module_id, Attempt.finished_at.is_(None)))


def test_the_nightly_job_counts_the_day_afresh(tmp_path, real_course):
    """python -m course daily-counts: the day's counts made before anyone asks, also over counts already made
    (a person erased since is then gone from them too); it writes, so it names the database and refuses the
    demo's unless told."""
    import subprocess
    import sys

    from sqlalchemy import func, select

    from progress import daily_counts, privacy
    from progress.db import Database, make_engine, migrate
    from progress.models import DailyStatusCount

    url = f"sqlite:///{tmp_path / 'job.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    db = Database(engine)
    seed(db, real_course, employees=30, history_years=2, today=TODAY)
    daily_counts.ensure(db, real_course, TODAY)
    privacy.erase(db, SYSTEM, "p000001", TODAY)  # their rows go; the kept counts still hold them
    scope = unit_tree.scope_for(db, SYSTEM, today=TODAY)
    assert _counts(db, real_course, scope, False) != _counts(db, real_course, scope, True)

    def job(*args):
        return subprocess.run([sys.executable, "-m", "course", "daily-counts", "--day", TODAY.isoformat(),
                               "--database-url", url, *args], capture_output=True, text=True, cwd=PROJECT_ROOT,
                              timeout=120)

    refused = job()
    assert refused.returncode == 2 and "demons databas" in refused.stderr
    done = job("--demo")
    assert done.returncode == 0, done.stderr
    assert "job.sqlite" in done.stderr and f"räknade för {TODAY.isoformat()}" in done.stderr
    with db.read() as session:
        made = session.scalar(select(func.count()).select_from(DailyStatusCount).where(DailyStatusCount.day == TODAY))
    assert made > 1
    assert _counts(db, real_course, scope, False) == _counts(db, real_course, scope, True)


def _counts(db, course, scope, fresh: bool) -> Counter:
    return Counter({(c.group_id, c.module_id, c.status): c.count
                    for c in dashboard.status_overview(db, course, scope, list_overdue=fresh).counts})


def test_tomorrow_s_counts_are_made_ahead_in_the_background(seeded, real_course):
    """After a view, tomorrow's counts are made in a thread of their own, once per day; today's stay, and both
    move with every record until midnight."""
    from datetime import datetime, time as clock_time

    from progress import daily_counts
    from progress.attempts import Attempts

    scope = unit_tree.scope_for(seeded, SYSTEM, today=TODAY)
    before = _counts(seeded, real_course, scope, False)  # today's, made by the view
    thread = daily_counts.make_ahead(seeded, real_course, TODAY)
    thread.join(60)
    assert daily_counts.make_ahead(seeded, real_course, TODAY) is None  # once a day
    assert daily_counts._made(seeded, TODAY, real_course.rules_version)
    assert daily_counts._made(seeded, TODAY + timedelta(days=1), real_course.rules_version)
    late = next(row.person_id for row in status_rows(seeded, real_course, TODAY)
                if row.module_id == "mutor" and row.status.value == "forsenad"
                and not _open_attempts(seeded, row.person_id, "mutor"))
    complete_mutor(Attempts(seeded, real_course, clock=lambda: datetime.combine(TODAY, clock_time(15))),
                   real_course, late)
    tomorrow = unit_tree.scope_for(seeded, SYSTEM, today=TODAY + timedelta(days=1))
    assert _counts(seeded, real_course, tomorrow, False) == _counts(seeded, real_course, tomorrow, True)
    assert _counts(seeded, real_course, scope, False) == _counts(seeded, real_course, scope, True) != before


def test_the_manager_page_starts_making_tomorrow_s_counts(demo_env):
    import sqlite3
    import threading

    from tests.test_app import open_app

    manager = open_app("demo-chef")
    manager.switch_page("views/manager.py").run()
    assert not manager.exception, manager.exception
    for thread in threading.enumerate():
        if thread.name == "daily-counts-ahead":
            thread.join(60)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with sqlite3.connect(demo_env) as connection:
        days = {row[0] for row in connection.execute("SELECT DISTINCT day FROM daily_status_counts")}
    assert tomorrow in days  # (a unit's page counts live, so today's need not be made)


def test_the_unit_page_shapes_what_min_enhet_draws():
    """progress/unit_page: every month of the period (also empty ones), score buckets that neither overlap nor
    repeat (issue 13 found both "90–100 %" and "100–100 %"), and topics weakest first."""
    from datetime import date

    from progress import unit_page
    from progress.dashboard import TopicCell

    assert unit_page.every_month(date(2025, 11, 20), date(2026, 2, 3), {"2025-12": 4}) == (
        ("2025-11", 0), ("2025-12", 4), ("2026-01", 0), ("2026-02", 0))
    buckets = unit_page.score_buckets([(0, 1), (50, 0), (90, 3), (100, 2)])
    assert [b.label for b in buckets] == ["0–49 %", "50–89 %", "90–99 %", "100 %"]
    assert [b.label for b in unit_page.score_buckets([(80, 1), (90, 3), (100, 0)])] == ["80–89 %", "90–99 %"]
    cells = [TopicCell("a", "A", "jav", 10, 9), TopicCell("b", "B", "jav", 10, 5), TopicCell("a", "A", "mutor", 4, 1)]
    totals = unit_page.topic_totals(cells)
    assert [(row.topic, row.answered, row.correct) for row in totals] == [("mutor", 4, 1), ("jav", 20, 14)]
    assert totals[1].share == 0.7
