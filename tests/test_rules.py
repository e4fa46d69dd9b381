"""The learner's rules in course/rules.py, on their own: a module's round and parts, tracks, the refresher, the
booster, the attestation, what a learner may open, the quiz's end and the certainty-based total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from course import rules
from course.content.schema import FollowUp, Question, Track
from course.rules import LastDone, Status

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 12, 0)
NEVER = LastDone(None, None, False)


@dataclass(frozen=True)
class A:
    """An attempt as the rules read it."""

    item_id: str
    kind: str = "scenario"
    started_at: datetime = NOW - timedelta(hours=2)
    finished_at: datetime | None = None
    outcome: str | None = None
    score_percent: float | None = None
    content_version: str = "v1"
    module_id: str = "prov"


def progress_of(module, attempts, done=NEVER, start=TODAY - timedelta(days=3), today=TODAY, version="v1"):
    current = rules.current_round(module, version, done, attempts)
    return rules.module_progress(current, start, today, rules.DueRules(30, 12))


def test_a_first_round_asks_for_every_scenario_and_counts_only_this_version_and_module(fixture_course):
    module = fixture_course.modules["prov"]
    attempts = [A("prov-middag", finished_at=NOW, outcome="bra"),
                A("prov-gava", finished_at=NOW, outcome="bra", content_version="old"),  # other content
                A("prov-gava", finished_at=NOW, module_id="prov-en")]  # another language's attempt
    progress = progress_of(module, attempts)
    assert progress.required_scenarios == ("prov-middag", "prov-gava")
    assert progress.finished_scenarios == {"prov-middag"} and not progress.quiz_passed
    assert progress.started and progress.status == Status.IN_PROGRESS
    assert progress.due == TODAY - timedelta(days=3) + timedelta(days=30)
    parts = rules.parts(module, progress)
    assert parts == (("scenario", "prov-middag"), ("scenario", "prov-gava"), ("quiz", "prov-fragor"))
    assert rules.parts_done(progress) == 1 and rules.next_part(parts, progress) == 1
    assert progress_of(module, []).status == Status.NOT_STARTED


def test_a_round_is_complete_with_its_scenarios_and_a_passed_quiz(fixture_course):
    module = fixture_course.modules["prov"]
    scenarios = [A("prov-middag", finished_at=NOW), A("prov-gava", finished_at=NOW)]
    failed = A("prov-fragor", "quiz", finished_at=NOW, outcome="underkand", score_percent=40.0)
    passed = A("prov-fragor", "quiz", finished_at=NOW, outcome=rules.PASSED, score_percent=80.0)
    assert not rules.current_round(module, "v1", NEVER, [*scenarios, failed]).complete
    assert not rules.current_round(module, "v1", NEVER, [scenarios[0], passed]).complete
    current = rules.current_round(module, "v1", NEVER, [*scenarios, failed, passed])
    assert current.complete
    progress = rules.module_progress(current, TODAY, TODAY, rules.DueRules())
    assert progress.quiz_passed and progress.best_quiz_score == 80.0
    parts = rules.parts(module, progress)
    assert rules.parts_done(progress) == 3 and rules.next_part(parts, progress) == 2  # all done: the last part


def test_a_refresher_round_starts_after_the_last_done_and_asks_for_the_scenario_played_longest_ago(fixture_course):
    module = fixture_course.modules["prov"]
    done_at = NOW - timedelta(days=400)
    before = [A("prov-middag", started_at=done_at - timedelta(days=2), finished_at=done_at - timedelta(days=2)),
              A("prov-gava", started_at=done_at - timedelta(days=1), finished_at=done_at - timedelta(days=1))]
    done = LastDone(done_at, 90.0, False)
    progress = progress_of(module, before, done)
    assert progress.required_scenarios == ("prov-middag",)  # both seen: the one played longest ago
    assert not progress.started and progress.status == Status.OVERDUE and progress.last_score == 90.0
    assert rules.parts(module, progress) == (("scenario", "prov-middag"), ("quiz", "prov-fragor"))
    only_one = progress_of(module, before[1:], done)
    assert only_one.required_scenarios == ("prov-middag",)  # never played before it: the new one


def test_done_for_now_until_the_next_round_opens(fixture_course):
    module = fixture_course.modules["prov"]
    recent = LastDone(NOW - timedelta(days=20), 100.0, False)
    progress = progress_of(module, [], recent)
    assert progress.status == Status.DONE
    assert rules.done_for_now(progress, TODAY, 14) and rules.opens_on_completion(progress, TODAY, 14)
    late = progress_of(module, [], LastDone(NOW - timedelta(days=360), 100.0, False))
    assert late.status == Status.DONE and not rules.done_for_now(late, TODAY, 14)  # renewal open two weeks ahead
    resumed = progress_of(module, [A("prov-middag", started_at=NOW - timedelta(days=1))], recent)
    assert rules.done_for_now(resumed, TODAY, 14) and not rules.opens_on_completion(resumed, TODAY, 14)


def test_due_rules_come_from_the_person_s_tracks_and_never_from_a_default(tmp_path):
    from course.content.loader import load_course
    from tests.conftest import FIXTURE_CONTENT
    import shutil

    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    (root / "config" / "tracks.yaml").write_text(
        "tracks:\n"
        "  - {id: alla, title: Alla, roles: [medarbetare], modules: [prov], onboarding_days: 20}\n"
        "  - {id: chefer, title: Chefer, roles: [chef], modules: [prov], onboarding_days: 45, recurrence_months: 6}\n"
        "follow_up: {onboarding_days: 10}\n", encoding="utf-8")
    course = load_course(root).course
    assert rules.due_rules_of(course, ["medarbetare"], "prov") == rules.DueRules(20, None, None, 60)
    assert rules.due_rules_of(course, ["chef"], "prov") == rules.DueRules(45, 6, None, 60)
    # not the person's: as if every track that holds it were theirs (the earliest of them)
    assert rules.due_rules_of(course, ["fortroendevald"], "prov") == rules.DueRules(20, 6, None, 60)


def test_what_a_learner_may_open(fixture_course, tmp_path):
    from tests.conftest import FIXTURE_CONTENT, add_english_translation
    from course.content.loader import load_course
    import shutil

    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    add_english_translation(root)
    course = load_course(root).course
    assert rules.may_open_module(course, ["medarbetare"], "prov")
    assert rules.may_open_module(course, ["medarbetare"], "prov-en")  # a translation of an assigned module
    assert not rules.may_open_module(course, ["praktikant"], "prov")  # no track of theirs holds it
    assert not rules.may_open_module(course, ["medarbetare"], "finns-inte")
    assert rules.may_open_track(course, ["chef"], "alla") and not rules.may_open_track(course, ["chef"], "x")
    module = course.modules["prov"]
    parts = rules.parts(module, progress_of(module, []))
    assert [rules.part_index(value, parts) for value in ("0", "2", "3", "-1", "1x", "", None)] == [
        0, 2, None, None, None, None, None]


def test_an_attempt_is_playable_only_on_the_content_it_was_made_on():
    assert rules.playable("abc", "abc")
    assert not rules.playable("abc", "def") and not rules.playable(None, "abc")


def test_a_quiz_with_every_question_answered_is_finished_even_before_the_attempt_says_so():
    assert not rules.quiz_finished(None, 4, 5)
    assert rules.quiz_finished(None, 5, 5)  # all answered: shown finished, never asked a sixth question
    assert rules.quiz_finished(NOW, 3, 5)
    assert rules.quiz_passed(rules.PASSED, 0, 5, 80) and not rules.quiz_passed("underkand", 5, 5, 80)
    assert rules.quiz_passed(None, 4, 5, 80) and not rules.quiz_passed(None, 3, 5, 80)  # by the pass mark


def test_the_certainty_based_total_and_its_best_come_from_the_marks():
    question = Question(id="q", type="single", topic="t", text="Fråga?", cite=["BrB 10 kap. 5 a §"],
                        options=[{"text": "Ja", "correct": True, "explanation": "Rätt."},
                                 {"text": "Nej", "explanation": "Fel."}])
    total = rules.cbm_total([(question, True, 3), (question, False, 3), (question, True, 1), (question, False, 2),
                             (question, True, None)])
    assert total == rules.CbmTotal(total=3 - 6 + 1 - 2, best=3 * 4, rated=4, misconceptions=1)
    assert rules.cbm_total([(question, True, None)]) == rules.CbmTotal(0, 0, 0, 0)


@dataclass(frozen=True)
class S:
    status: Status
    last_completed_at: datetime | None = None


TRACK = Track(id="t", title="T", roles=["medarbetare"], modules=["a", "b"], recurrence_months=12)


def test_a_track_is_done_when_every_module_is_done_or_passed_by_the_diagnostic():
    first, second = NOW - timedelta(days=9), NOW - timedelta(days=4)
    assert rules.track_done_at(TRACK, {"a": S(Status.DONE, first), "b": S(Status.WAIVED, second)}) == second
    assert rules.track_done(TRACK, {"a": S(Status.DONE, first), "b": S(Status.WAIVED, second)})
    assert rules.track_done_at(TRACK, {"a": S(Status.DONE, first), "b": S(Status.OVERDUE, second)}) is None
    assert not rules.track_done(TRACK, {"a": S(Status.DONE, first)})  # a module missing is not done


def test_the_attestation_is_current_for_the_guidelines_in_force_only():
    done = {"a": S(Status.DONE, NOW), "b": S(Status.DONE, NOW)}
    assert rules.attestation_current("2025-1", "2025-1") and not rules.attestation_current("2024-2", "2025-1")
    assert not rules.attestation_current(None, "2025-1")
    assert rules.may_attest(TRACK, done, "2024-2", "2025-1")  # new guidelines: confirm them again
    assert not rules.may_attest(TRACK, done, "2025-1", "2025-1")
    assert not rules.may_attest(TRACK, {"a": S(Status.DONE, NOW)}, None, "2025-1")
    assert not rules.may_attest(TRACK.model_copy(update={"attestation": False}), done, None, "2025-1")


def _progress(status, done_at, due, via=False):
    return rules.ModuleProgress("m", done_at, None, frozenset(), False, None, False, due, status, (), via)


def test_the_refresher_covers_the_modules_due_again_and_is_done_by_a_diagnostic_of_this_round():
    a_done, b_done = datetime(2025, 2, 1), datetime(2025, 2, 20)
    progress = {"a": _progress(Status.OVERDUE, a_done, date(2026, 2, 1)),
                "b": _progress(Status.DONE, b_done, date(2026, 3, 10))}  # due in 8 days: its round is open
    fresh = rules.refresher(TRACK, progress, TODAY, 14, None)
    assert fresh == rules.Refresher(("a", "b"), b_done, started=False, done=False)
    assert rules.may_start_topic_quiz("diagnostic", fresh, None)
    old = A("diagnostic:t", "diagnostic", started_at=b_done - timedelta(days=1), finished_at=b_done)
    assert not rules.refresher(TRACK, progress, TODAY, 14, old).started  # one from before this round
    open_ = A("diagnostic:t", "diagnostic", started_at=NOW - timedelta(hours=1))
    assert rules.refresher(TRACK, progress, TODAY, 14, open_) == rules.Refresher(("a", "b"), b_done, True, False)
    finished = A("diagnostic:t", "diagnostic", started_at=NOW - timedelta(hours=1), finished_at=NOW)
    done = rules.refresher(TRACK, progress, TODAY, 14, finished)
    assert done.done and not rules.may_start_topic_quiz("diagnostic", done, None)
    progress["b"] = _progress(Status.DONE, b_done, date(2026, 6, 1))  # not open yet: out of the scope
    assert rules.refresher(TRACK, progress, TODAY, 14, None).scope == ("a",)
    assert rules.refresher(TRACK.model_copy(update={"recurrence_months": None}), progress, TODAY, 14, None) is None
    never = {"a": _progress(Status.NOT_STARTED, None, TODAY), "b": _progress(Status.NOT_STARTED, None, TODAY)}
    assert rules.refresher(TRACK, never, TODAY, 14, None) is None  # a first round has no refresher
    progress["a"] = _progress(Status.WAIVED, NOW, date(2027, 3, 2), via=True)
    assert rules.diagnostic_outcome(("a", "b"), progress) == (["a"], ["b"])


def test_the_booster_opens_three_weeks_after_the_track_was_done_until_one_is_finished():
    follow_up = FollowUp(booster_opens_days=21, booster_due_days=35)
    done_at = datetime(2026, 2, 1, 9)
    progress = {"a": S(Status.DONE, done_at - timedelta(days=3)), "b": S(Status.WAIVED, done_at)}
    assert rules.booster(TRACK, {"a": S(Status.DONE, done_at)}, TODAY, follow_up, None) is None
    offered = rules.booster(TRACK, progress, TODAY, follow_up, None)  # 29 days after
    assert offered == rules.Booster(date(2026, 2, 22), date(2026, 3, 8), done=False, offered=True)
    assert rules.may_start_topic_quiz("booster", None, offered)
    assert not rules.booster(TRACK, progress, date(2026, 2, 21), follow_up, None).offered  # not yet open
    earlier = A("booster:t", "booster", started_at=done_at - timedelta(days=40), finished_at=done_at)
    assert rules.booster(TRACK, progress, TODAY, follow_up, earlier).offered  # a booster of an earlier round
    finished = A("booster:t", "booster", started_at=NOW - timedelta(hours=1), finished_at=NOW)
    after = rules.booster(TRACK, progress, TODAY, follow_up, finished)
    assert after.done and not after.offered and not rules.may_start_topic_quiz("booster", None, after)
    assert not rules.may_start_topic_quiz("something-else", None, offered)


def test_a_booster_offered_after_its_due_day_is_overdue():
    """Issue 13: a booster due in April was shown in December with no mark."""
    follow_up = FollowUp(booster_opens_days=21, booster_due_days=35)
    done_at = datetime(2026, 2, 1, 9)
    progress = {"a": S(Status.DONE, done_at), "b": S(Status.DONE, done_at)}
    assert not rules.booster(TRACK, progress, date(2026, 3, 8), follow_up, None).overdue  # the due day itself
    late = rules.booster(TRACK, progress, date(2026, 3, 9), follow_up, None)
    assert late.offered and late.overdue
    finished = A("booster:t", "booster", started_at=datetime(2026, 3, 9, 10), finished_at=datetime(2026, 3, 9, 10, 5))
    assert not rules.booster(TRACK, progress, date(2026, 3, 10), follow_up, finished).overdue  # done: nothing late


@pytest.mark.parametrize("kind", rules.TOPIC_QUIZZES)
def test_nothing_to_start_without_an_offer(kind):
    assert not rules.may_start_topic_quiz(kind, None, None)


def test_the_grey_zones_and_a_changed_certificate_are_rules_of_the_engine(fixture_course):
    """Issue 11: the analytics page's grey-zone topics and the certificate page's "the course has changed"
    are decided in course/rules.py, not in the pages."""
    assert rules.grey_zone_topics(fixture_course) == ()  # the fixture has no grey-zone module
    from tests.browser_support import real_course

    assert rules.grey_zone_topics(real_course()) == tuple(real_course().modules[rules.GREY_ZONE_MODULE].topics)
    assert rules.certificate_outdated("v2", "v1") and not rules.certificate_outdated("v1", "v1")
    assert not rules.certificate_outdated(None, "v1")  # a track that is gone: nothing to compare


def test_the_dashboard_s_periods_count_calendar_months_as_apt_does():
    """Min enhet's "last 12 months" and "last 3 years" go back in calendar months (rules.add_months, as APT's
    periods), not 365 days a year: a leap day in the period does not shift the start by a day."""
    assert rules.report_period(date(2024, 3, 1), "12m") == (date(2023, 3, 1), date(2024, 3, 1))
    assert rules.report_period(date(2024, 3, 1), "3y") == (date(2021, 3, 1), date(2024, 3, 1))  # 3 x 365: 2 March
    assert rules.report_period(date(2028, 2, 29), "12m") == (date(2027, 2, 28), date(2028, 2, 29))
    assert rules.report_period(TODAY, "this_year") == (date(2026, 1, 1), TODAY)
    assert rules.report_period(TODAY, "last_year") == (date(2025, 1, 1), date(2025, 12, 31))
    assert [rules.report_period(TODAY, p)[1] <= TODAY for p in rules.REPORT_PERIODS] == [True] * 4
    with pytest.raises(ValueError):
        rules.report_period(TODAY, "13m")
