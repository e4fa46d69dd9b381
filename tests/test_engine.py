"""The engine on its own: branching, quiz draw and scoring, the pass mark boundary, completion and due rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from course import play, rules
from course import questions as question_types
from course.content.loader import load_course
from course.rules import Status
from tests.conftest import PROJECT_ROOT


def test_branching_follows_the_choices(fixture_course):
    scenario = fixture_course.scenarios["prov-middag"]
    good = play.replay_scenario(scenario, [0, 0])
    assert good.node_id == "slut-bra" and play.ending_of(scenario, good) == "bra"
    partly = play.replay_scenario(scenario, [0, 1])
    assert play.ending_of(scenario, partly) == "delvis"
    bad = play.replay_scenario(scenario, [1])
    assert bad.node_id == "slut-svag" and bad.taken == (("start", 1),)
    assert play.ending_of(scenario, play.replay_scenario(scenario, [0])) is None


def test_a_choice_the_node_does_not_have_is_rejected(fixture_course):
    scenario = fixture_course.scenarios["prov-middag"]
    with pytest.raises(play.InvalidStep):
        play.replay_scenario(scenario, [5])
    with pytest.raises(play.InvalidStep):  # nothing after an ending
        play.replay_scenario(scenario, [1, 0])


def test_quiz_draw_is_deterministic_per_seed_and_fresh_per_retry(fixture_course):
    bank = fixture_course.banks["prov-fragor"]
    first = play.draw_quiz(bank, seed=1)
    assert first == play.draw_quiz(bank, seed=1)
    assert len(first) == bank.draw == 5
    assert len({d.question_id for d in first}) == 5
    draws = {tuple(d.question_id for d in play.draw_quiz(bank, seed)) for seed in range(30)}
    assert len(draws) > 5  # retries see other questions or another order
    orders = {d.option_order for seed in range(30) for d in play.draw_quiz(bank, seed)}
    assert len(orders) > 1  # options are shuffled
    assert all(sorted(d.option_order) == [0, 1, 2] for d in first)


def test_true_false_keeps_its_order():
    result = load_course(PROJECT_ROOT)
    if not result.ok:
        pytest.skip("the real course has problems; test_content reports them")
    banks = [b for b in result.course.banks.values() if any(q.type == "true_false" for q in b.questions)]
    assert banks
    for bank in banks:
        for seed in range(10):
            for drawn in play.draw_quiz(bank, seed):
                if play.questions_by_id(bank)[drawn.question_id].type == "true_false":
                    assert drawn.option_order == (0, 1)
                else:
                    assert sorted(drawn.option_order) == list(range(len(drawn.option_order)))


def test_scoring_is_all_or_nothing(fixture_course):
    question = fixture_course.banks["prov-fragor"].questions[0]
    assert play.is_correct(question, frozenset({0}))
    assert not play.is_correct(question, frozenset({1}))
    assert not play.is_correct(question, frozenset({0, 1}))
    with pytest.raises(play.InvalidStep):
        play.validate_selection(question, [0, 1])  # a single-choice question takes one answer
    with pytest.raises(play.InvalidStep):
        play.validate_selection(question, [])
    with pytest.raises(play.InvalidStep):
        play.validate_selection(question, [7])


@pytest.mark.parametrize("correct,total,mark,expected", [
    (4, 5, 80, True),    # exactly at the pass mark passes (0.8 * 5 is 4.000000000000001 in floats)
    (3, 5, 80, False),
    (8, 10, 80, True),
    (7, 10, 80, False),
    (7, 9, 78, False),   # 77.78 % < 78 %
    (7, 9, 77, True),
    (1, 3, 33, True),    # 33.33 % >= 33 %
    (0, 0, 80, False),
])
def test_pass_mark_boundary(correct, total, mark, expected):
    assert play.passes(correct, total, mark) is expected


def test_a_quiz_is_scored_by_its_question_types_as_the_store_scores_it(fixture_course):
    """Each answer's credit comes from its question's type; the quiz passes on the points of all drawn questions,
    and only a quiz with every drawn question answered is finished (Attempts._finish_quiz, rules.quiz_finished)."""
    bank = fixture_course.banks["prov-fragor"]
    drawn = play.draw_quiz(bank, seed=3)
    questions = play.questions_by_id(bank)
    kinds = {d.question_id: question_types.kind_of(questions[d.question_id]) for d in drawn}
    right = [(d.question_id, kinds[d.question_id].correct_response(questions[d.question_id])) for d in drawn]
    wrong = [(question_id, kinds[question_id].sample_responses(questions[question_id])[1])
             for question_id, _ in right]
    assert all(kinds[q].is_correct(questions[q], r) for q, r in right)
    assert not any(kinds[q].is_correct(questions[q], r) for q, r in wrong)

    assert not rules.quiz_finished(None, answered=4, drawn=len(drawn))
    points = play.quiz_points(questions, right[:4] + wrong[4:])
    assert points == 4 and play.score_percent(points, len(drawn)) == 80.0 and play.passes(points, len(drawn), 80)
    points = play.quiz_points(questions, right[:3] + wrong[3:])
    assert play.score_percent(points, len(drawn)) == 60.0 and not play.passes(points, len(drawn), 80)


def test_module_complete_needs_every_scenario_and_a_passed_quiz(fixture_course):
    module = fixture_course.modules["prov"]
    required = rules.required_scenarios(module, first_round=True, last_finished={})
    assert required == ["prov-middag", "prov-gava"]
    assert not rules.is_module_complete(required, {"prov-middag"}, quiz_passed=True)
    assert not rules.is_module_complete(required, {"prov-middag", "prov-gava"}, quiz_passed=False)
    assert rules.is_module_complete(required, {"prov-middag", "prov-gava"}, quiz_passed=True)


def test_due_dates_and_status():
    start = date(2026, 1, 10)
    assert rules.due_date(start, None) == date(2026, 2, 9)
    assert rules.due_date(start, datetime(2026, 1, 31, 15)) == date(2027, 1, 31)
    assert rules.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    due = date(2026, 2, 9)
    assert rules.module_status(date(2026, 2, 9), due, None, False) == Status.NOT_STARTED  # due today: not late
    assert rules.module_status(date(2026, 2, 10), due, None, True) == Status.OVERDUE
    assert rules.module_status(date(2026, 2, 1), due, None, True) == Status.IN_PROGRESS
    later_due = date(2027, 1, 31)
    assert rules.module_status(date(2026, 6, 1), later_due, datetime(2026, 1, 31), False) == Status.DONE
    assert rules.module_status(date(2027, 2, 1), later_due, datetime(2026, 1, 31), False) == Status.OVERDUE


def test_content_version_changes_with_content(fixture_course, tmp_path):
    import shutil

    from tests.conftest import FIXTURE_CONTENT

    shutil.copytree(FIXTURE_CONTENT, tmp_path / "c")
    path = tmp_path / "c" / "scenarios" / "prov-gava.yaml"
    assert load_course(tmp_path / "c").course.module_version("prov") == fixture_course.module_version("prov")
    path.write_text(path.read_text(encoding="utf-8").replace("En leverantör skickar vin.",
                                                             "En leverantör skickar en vinflaska."), encoding="utf-8")
    assert load_course(tmp_path / "c").course.module_version("prov") != fixture_course.module_version("prov")


def test_tracks_give_each_role_its_modules_and_the_earliest_due_rules(tmp_path):
    import shutil

    from tests.conftest import FIXTURE_CONTENT

    shutil.copytree(FIXTURE_CONTENT, tmp_path / "c")
    (tmp_path / "c" / "config" / "tracks.yaml").write_text(
        "tracks:\n"
        "  - {id: intro, title: Intro, roles: [medarbetare], modules: [prov], onboarding_days: 30}\n"
        "  - {id: arlig, title: Årlig, roles: [medarbetare], modules: [prov], recurrence_months: 12}\n"
        "  - {id: inkop, title: Inköp, roles: [upphandlare], modules: [prov], onboarding_days: 10,"
        " recurrence_months: 6}\n", encoding="utf-8")
    course = load_course(tmp_path / "c").course
    (employee,) = rules.assignments(course, {"medarbetare"})
    assert employee.tracks == ("intro", "arlig")
    assert employee.due_rules == rules.DueRules(onboarding_days=30, recurrence_months=12)
    (buyer,) = rules.assignments(course, {"medarbetare", "upphandlare"})
    assert buyer.due_rules == rules.DueRules(onboarding_days=10, recurrence_months=6)
    assert rules.assignments(course, {"fortroendevald"}) == []


def test_a_module_without_recurrence_stays_done():
    once = rules.DueRules(onboarding_days=30, recurrence_months=None)
    assert rules.due_date(date(2026, 1, 1), datetime(2026, 1, 20), once) is None
    assert rules.module_status(date(2030, 1, 1), None, datetime(2026, 1, 20), False) == Status.DONE


@pytest.mark.parametrize("correct,confidence,mark", [
    (True, 1, 1), (True, 2, 2), (True, 3, 3), (False, 1, 0), (False, 2, -2), (False, 3, -6)])
def test_certainty_based_marks(correct, confidence, mark):
    for kind in question_types.KINDS.values():  # every type marks certainty as Gardner-Medwin does
        assert kind.cbm_mark(correct, confidence) == mark


def test_only_a_sure_wrong_answer_is_a_misconception():
    assert play.is_misconception(False, 3)
    assert not play.is_misconception(False, 2) and not play.is_misconception(True, 3)
    assert not play.is_misconception(False, None)
    with pytest.raises(play.InvalidStep):
        play.validate_confidence(None, required=True)
    with pytest.raises(play.InvalidStep):
        play.validate_confidence(4, required=False)
    assert play.validate_confidence(None, required=False) is None


def test_printable_summary_has_every_key_point_its_sources_and_where_to_report():
    from course.summary import summary_html

    course = load_course(PROJECT_ROOT).course
    module = course.modules["mutor"]
    html = summary_html(course, module, {"report_heading": "Här slår du larm", "guidelines_heading": "Riktlinjer",
                                         "footer": "version"})
    assert html.count("<li>") == len(module.key_points) >= 3
    assert "BrB 10 kap. 5 a § (Tagande av muta)" in html
    assert course.organisation.visselblasning.epost in html and "{org." not in html
    assert "@media print" in html


def test_a_retry_avoids_the_last_attempts_questions_when_the_bank_allows(fixture_course):
    bank = fixture_course.banks["prov-fragor"]  # 6 questions, 5 drawn
    first = play.draw_quiz(bank, seed=11)
    seen = {d.question_id for d in first}
    for seed in range(20):
        retry = {d.question_id for d in play.draw_quiz(bank, seed, avoid=seen)}
        assert (set(q.id for q in bank.questions) - seen) <= retry  # the one unseen question is always drawn
    real = load_course(PROJECT_ROOT).course.banks["mutor-fragor"]  # 23 questions, 8 drawn: no repeats at all
    last = {d.question_id for d in play.draw_quiz(real, seed=1)}
    for seed in range(20):
        assert not last & {d.question_id for d in play.draw_quiz(real, seed, avoid=last)}


def test_draw_across_topics_spreads_and_prefers_fresh_questions():
    course = load_course(PROJECT_ROOT).course
    module = course.modules["mutor"]
    pool = course.banks[module.quiz].questions
    drawn = play.draw_across_topics(pool, module.topics, 6, seed=4)
    topics = [course.questions[d.question_id].topic for d in drawn]
    assert len(drawn) == 6 and len(set(topics)) == 6  # one per topic before any topic gets a second
    avoid = {d.question_id for d in drawn}
    again = play.draw_across_topics(pool, module.topics, 6, seed=4, avoid=avoid)
    assert not avoid & {d.question_id for d in again}


def test_mastery_needs_every_answer_right_and_confident():
    answers = [("a", True, 3), ("a", True, 2), ("b", True, 1), ("c", True, 3), ("c", False, 3), ("d", True, None)]
    assert play.mastered_topics(answers) == {"a"}
    assert rules.modules_to_waive({"m1": {"a"}, "m2": {"a", "b"}, "m3": set()}, {"a"}) == ["m1"]


def test_a_refresher_round_asks_for_one_new_scenario(fixture_course):
    module = fixture_course.modules["prov"]
    played = {"prov-middag": datetime(2025, 1, 1), "prov-gava": datetime(2025, 6, 1)}
    assert rules.required_scenarios(module, first_round=False, last_finished={"prov-middag": played["prov-middag"]}) \
        == ["prov-gava"]
    assert rules.required_scenarios(module, first_round=False, last_finished=played) == ["prov-middag"]


def test_booster_window_is_three_to_five_weeks():
    opens, due = rules.booster_window(date(2026, 1, 1))
    assert (opens, due) == (date(2026, 1, 22), date(2026, 2, 5))


def test_a_refresher_quiz_skips_mastered_topics_when_the_bank_allows():
    course = load_course(PROJECT_ROOT).course
    bank = course.banks["mutor-fragor"]
    mastered = {"muta-tagande", "otillborlig-forman"}
    others = [q for q in bank.questions if q.topic not in mastered]
    assert len(others) >= bank.draw
    for seed in range(20):
        drawn = play.draw_quiz(bank, seed, skip_topics=mastered)
        assert not {course.questions[d.question_id].topic for d in drawn} & mastered
    assert play.draw_quiz(bank, 5) == play.draw_quiz(bank, 5, avoid=set(), skip_topics=set())


def test_draw_across_topics_takes_another_topic_before_repeating_a_question():
    course = load_course(PROJECT_ROOT).course
    module = course.modules["mutor"]
    pool = course.banks[module.quiz].questions
    first_topic = module.topics[0]
    avoid = {q.id for q in pool if q.topic == first_topic}  # every question of the first topic was seen
    for seed in range(20):
        drawn = play.draw_across_topics(pool, module.topics, 3, seed, avoid)
        assert len(drawn) == 3 and not avoid & {d.question_id for d in drawn}


def test_the_latest_of_completion_and_waiver_decides_when_a_module_was_done():
    completed, waived = datetime(2026, 1, 1), datetime(2026, 6, 1)
    assert rules.last_done(completed, 90.0, None) == rules.LastDone(completed, 90.0, False)
    assert rules.last_done(completed, 90.0, waived) == rules.LastDone(waived, None, True)
    assert rules.last_done(waived, 80.0, completed) == rules.LastDone(waived, 80.0, False)
    assert rules.last_done(None, None, None) == rules.LastDone(None, None, False)


STATUS_RULE_CASES = [
    rules.DueRules(onboarding_days=30, recurrence_months=12),
    rules.DueRules(onboarding_days=60, recurrence_months=24),
    rules.DueRules(onboarding_days=30, recurrence_months=None),
    rules.DueRules(onboarding_days=30, recurrence_months=12, material_change=date(2026, 9, 1), material_change_days=60),
    rules.DueRules(onboarding_days=10, recurrence_months=None, material_change=date(2026, 9, 1),
                   material_change_days=0),
]


@pytest.mark.parametrize("due_rules", STATUS_RULE_CASES)
def test_status_by_date_cutoffs_agrees_with_the_rule_on_every_day(due_rules):
    """The database classifies by the cut-offs; the rule is module_status. They must agree on every boundary:
    completions and start dates on each day of a span around today, including month ends (31 Jan + 1 month)."""
    for today in (date(2027, 2, 28), date(2027, 3, 1), date(2026, 10, 31), date(2026, 9, 1)):
        cutoffs = rules.status_cutoffs(today, due_rules)
        for offset in range(-800, 5):
            day = today + timedelta(days=offset)
            for last_done in (None, datetime.combine(day, datetime.min.time()), datetime.combine(day, time(23, 59))):
                for started in (False, True):
                    due = rules.due_date(day, last_done, due_rules)
                    expected = rules.module_status(today, due, last_done, started)
                    assert rules.status_by_cutoffs(cutoffs, day, last_done, started) == expected, (today, day,
                                                                                                   last_done, started)


def test_status_at_each_boundary_date():
    start = date(2026, 1, 10)
    employee = rules.DueRules(onboarding_days=30, recurrence_months=12)
    never = rules.due_date(start, None, employee)
    assert never == date(2026, 2, 9)
    assert rules.module_status(date(2026, 2, 8), never, None, False) == Status.NOT_STARTED
    assert rules.module_status(date(2026, 2, 9), never, None, True) == Status.IN_PROGRESS  # the due day: not late
    assert rules.module_status(date(2026, 2, 10), never, None, True) == Status.OVERDUE  # the day after: late
    completed = datetime(2026, 2, 3, 16, 30)
    again = rules.due_date(start, completed, employee)
    assert again == date(2027, 2, 3)
    assert rules.module_status(date(2027, 2, 2), again, completed, False) == Status.DONE
    assert rules.module_status(date(2027, 2, 3), again, completed, False) == Status.NOT_STARTED  # a new round is due
    assert rules.module_status(date(2027, 2, 4), again, completed, False) == Status.OVERDUE


def test_a_material_change_makes_the_module_due_again_for_those_who_took_the_old_version():
    changed = rules.DueRules(onboarding_days=30, recurrence_months=12, material_change=date(2026, 9, 1),
                             material_change_days=60)
    before, after = datetime(2026, 8, 31, 23, 0), datetime(2026, 9, 1, 8, 0)
    assert rules.due_date(date(2020, 1, 1), before, changed) == date(2026, 10, 31)  # old version: 60 days after
    assert rules.due_date(date(2020, 1, 1), after, changed) == date(2027, 9, 1)  # new version: the usual year
    assert rules.module_status(date(2026, 11, 1), date(2026, 10, 31), before, False) == Status.OVERDUE
    early = datetime(2026, 1, 5)  # due by the recurrence before the change's deadline: the earlier date wins
    short = rules.DueRules(onboarding_days=30, recurrence_months=9, material_change=date(2026, 9, 1))
    assert rules.due_date(date(2020, 1, 1), early, short) == date(2026, 10, 5)


def test_material_change_and_follow_up_settings_come_from_the_content(tmp_path):
    import shutil

    from tests.conftest import FIXTURE_CONTENT

    shutil.copytree(FIXTURE_CONTENT, tmp_path / "c")
    module = tmp_path / "c" / "modules" / "prov.yaml"
    module.write_text(module.read_text(encoding="utf-8") + "material_change: 2026-09-01\n", encoding="utf-8")
    tracks = tmp_path / "c" / "config" / "tracks.yaml"
    tracks.write_text(tracks.read_text(encoding="utf-8") + "follow_up:\n  onboarding_days: 45\n"
                      "  material_change_days: 20\n  booster_opens_days: 14\n  booster_due_days: 28\n",
                      encoding="utf-8")
    result = load_course(tmp_path / "c")
    assert result.ok, [p.as_text() for p in result.problems]
    course = result.course
    assert course.follow_up.onboarding_days == 45
    (assignment,) = [a for a in rules.assignments(course, {"medarbetare"}) if a.module_id == "prov"]
    assert assignment.due_rules.material_change == date(2026, 9, 1)
    assert assignment.due_rules.material_change_days == 20
    assert rules.booster_window(date(2026, 1, 1), course.follow_up) == (date(2026, 1, 15), date(2026, 1, 29))


def test_the_next_round_opens_before_the_due_date_and_the_module_stays_done_until_then():
    due = date(2027, 2, 3)
    assert not rules.renewal_open(date(2027, 1, 19), due, 14)
    assert rules.renewal_open(date(2027, 1, 20), due, 14)  # 14 days before: open
    assert rules.module_status(date(2027, 1, 20), due, datetime(2026, 2, 3), False) == Status.DONE  # still klar
    assert not rules.renewal_open(date(2030, 1, 1), None, 14)  # never due again: never reopens


# --- the order of a scenario's choices (issue 12, point 1) ----------------------------------------------------

def test_every_choice_point_of_the_real_course_shows_its_choices_in_an_order_drawn_per_attempt():
    """Authors write the best choice first; in file order, always picking the first would pass every scenario.
    Over 200 attempts' seeds, every choice of every choice point is shown first sometimes, and the choice written
    first is shown first in about 1/n of them, not always."""
    course = load_course(PROJECT_ROOT).course
    seeds = range(1000, 1200)
    checked = 0
    for scenario in course.scenarios.values():
        orders = {seed: {drawn.node_id: drawn.choice_order for drawn in play.draw_choice_orders(scenario, seed)}
                  for seed in seeds}
        for node_id, node in scenario.nodes.items():
            if len(node.choices) < 2:
                continue
            shown_first = [orders[seed][node_id][0] for seed in seeds]
            assert set(shown_first) == set(range(len(node.choices))), (scenario.id, node_id)
            assert shown_first.count(0) < 2 * len(seeds) / len(node.choices), (scenario.id, node_id)
            checked += 1
    assert checked > 150  # the course's 29 Swedish scenarios have about 165 choice points


def test_a_choice_order_is_the_same_for_one_attempt_and_differs_between_attempts(fixture_course):
    scenario = fixture_course.scenarios["prov-middag"]
    node_id = scenario.start
    count = len(scenario.nodes[node_id].choices)
    assert play.draw_choice_orders(scenario, 7) == play.draw_choice_orders(scenario, 7)  # a reload: the same
    assert play.choice_order(scenario, node_id, 7) == play.choice_order(scenario, node_id, 7)
    assert sorted(play.choice_order(scenario, node_id, 7)) == list(range(count))  # each choice once
    assert len({play.choice_order(scenario, node_id, seed) for seed in range(50)}) > 1  # attempts differ
    stored = {node_id: tuple(reversed(range(count)))}
    assert play.choice_order(scenario, node_id, 7, stored) == stored[node_id]  # what the attempt stored wins
    # a stored order that no longer fits the node (another content version) is drawn again from the seed
    assert play.choice_order(scenario, node_id, 7, {node_id: (0,)}) == play.choice_order(scenario, node_id, 7)
