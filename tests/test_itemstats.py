"""Item statistics against hand-computed values, first in pure functions, then through the queries on both
databases (first attempts only, finished only, inside the period).

The data set: six attempts (A-F) at a four-question quiz; 1 = right, 0 = wrong.

        q1 q2 q3 q4 | total
    A    1  1  1  0 |  3
    B    1  1  1  0 |  3
    C    1  0  1  0 |  2
    D    0  0  1  1 |  2
    E    1  1  1  0 |  3
    F    0  0  1  0 |  1

x = the mark on the question, y = total − x (the rest of the quiz). With integer sums, Moodle's
D = 100 · Cov(x, y) / sqrt(Var(x) · Var(y)) = 100 · (nΣxy − ΣxΣy) / sqrt((nΣx² − (Σx)²) · (nΣy² − (Σy)²)),
n = 6 for every question.

q1: x = 1 1 1 0 1 0, y = 2 2 1 2 2 1.  Σx = 4, Σx² = 4, Σy = 10, Σy² = 18, Σxy = 2+2+1+0+2+0 = 7.
    F = 4/6 = 66.67 %.  nΣxy − ΣxΣy = 42 − 40 = 2;  nΣx² − (Σx)² = 24 − 16 = 8;  nΣy² − (Σy)² = 108 − 100 = 8.
    D = 100 · 2 / sqrt(64) = 25.00 %.
q2: x = 1 1 0 0 1 0, y = 2 2 2 2 2 1.  Σx = 3, Σx² = 3, Σy = 11, Σy² = 21, Σxy = 6.
    F = 50 %.  36 − 33 = 3;  18 − 9 = 9;  126 − 121 = 5.  D = 100 · 3 / sqrt(45) = 44.72 %.
q3: everyone right: F = 100 %, Var(x) = 0, so D is undefined (Moodle shows nothing). Flag: too easy.
q4: x = 0 0 0 1 0 0, y = 3 3 2 1 3 1.  Σx = 1, Σx² = 1, Σy = 13, Σy² = 33, Σxy = 1.
    F = 1/6 = 16.67 %.  6 − 13 = −7;  6 − 1 = 5;  198 − 169 = 29.  D = 100 · −7 / sqrt(145) = −58.13 %.
    Flags: negative discrimination, too hard (F < 20 %).
All four: too few attempts (6 < 30).

Option percents. q1 (single choice, option 0 right): A B C E chose 0, F chose 1, D chose 2:
    66.67 %, 16.67 %, 16.67 %.
q2 (multiple choice, options 0 and 2 right): A B E chose [0, 2], C [0], D [1], F [0, 1]:
    option 0: A B E C F = 5/6 = 83.33 %; option 1: D F = 2/6 = 33.33 %; option 2: A B E = 3/6 = 50 %.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert

from course import itemstats
from course.content.schema import Option, Question
from progress import analytics_queries as queries
from progress.access import SYSTEM
from progress.models import Attempt, Person, Step, Unit

MARKS = {  # attempt -> marks on q1..q4
    "A": (1, 1, 1, 0), "B": (1, 1, 1, 0), "C": (1, 0, 1, 0),
    "D": (0, 0, 1, 1), "E": (1, 1, 1, 0), "F": (0, 0, 1, 0),
}
EXPECTED = {  # question -> (facility %, discrimination %)
    "q1": (400 / 6, 25.0),
    "q2": (50.0, 100 * 3 / 45 ** 0.5),
    "q3": (100.0, None),
    "q4": (100 / 6, -100 * 7 / 145 ** 0.5),
}
assert round(EXPECTED["q2"][1], 2) == 44.72 and round(EXPECTED["q4"][1], 2) == -58.13  # the comment's figures


def question(qid: str, correct: set[int], kind: str = "single", options: int = 3) -> Question:
    return Question(id=qid, type=kind, topic="muta-tagande", text=f"{qid}?", cite=["BrB 10 kap. 5 a §"],
                    options=[Option(text=f"{qid} {i}", correct=i in correct, explanation="-") for i in range(options)])


QUESTIONS = [question("q1", {0}), question("q2", {0, 2}, "multiple"), question("q3", {0}), question("q4", {0})]
RESPONSES = {
    "q1": {"[0]": 4, "[1]": 1, "[2]": 1},
    "q2": {"[0, 2]": 3, "[0]": 1, "[1]": 1, "[0, 1]": 1},
    "q3": {"[0]": 6},
    "q4": {"[0]": 1, "[1]": 5},
}


def answers():
    return [(attempt, f"q{i + 1}", bool(mark)) for attempt, marks in MARKS.items() for i, mark in enumerate(marks)]


def test_sums_from_the_rows_are_the_hand_computed_ones():
    sums = itemstats.sums_from_answers(answers())
    assert sums["q1"] == itemstats.ItemSums(n=6, sum_x=4, sum_xx=4, sum_y=10, sum_yy=18, sum_xy=7)
    assert sums["q2"] == itemstats.ItemSums(n=6, sum_x=3, sum_xx=3, sum_y=11, sum_yy=21, sum_xy=6)
    assert sums["q4"] == itemstats.ItemSums(n=6, sum_x=1, sum_xx=1, sum_y=13, sum_yy=33, sum_xy=1)


def test_facility_discrimination_option_percents_and_flags_match_the_hand_computed_values():
    stats = {s.question_id: s for s in itemstats.item_statistics(QUESTIONS, itemstats.sums_from_answers(answers()),
                                                                 RESPONSES)}
    for qid, (facility, discrimination) in EXPECTED.items():
        assert stats[qid].n == 6
        assert stats[qid].facility == pytest.approx(facility)
        if discrimination is None:
            assert stats[qid].discrimination is None
        else:
            assert stats[qid].discrimination == pytest.approx(discrimination)
    assert [round(s, 2) for s in stats["q1"].option_percents] == [66.67, 16.67, 16.67]
    assert [round(s, 2) for s in stats["q2"].option_percents] == [83.33, 33.33, 50.0]
    assert stats["q1"].flags == (itemstats.FLAG_FEW,)
    assert stats["q2"].flags == (itemstats.FLAG_FEW,)
    assert stats["q3"].flags == (itemstats.FLAG_TOO_EASY, itemstats.FLAG_FEW)
    assert stats["q4"].flags == (itemstats.FLAG_NEGATIVE, itemstats.FLAG_TOO_HARD, itemstats.FLAG_FEW)


def test_discrimination_is_the_pearson_correlation_with_the_rest_of_the_quiz():
    """The same number by the two-pass textbook formula, as Moodle's calculator walks the steps."""
    for i, qid in ((0, "q1"), (1, "q2"), (3, "q4")):
        x = [marks[i] for marks in MARKS.values()]
        y = [sum(marks) - marks[i] for marks in MARKS.values()]
        mx, my = sum(x) / len(x), sum(y) / len(y)
        covariance = sum((a - mx) * (b - my) for a, b in zip(x, y)) / (len(x) - 1)
        var_x = sum((a - mx) ** 2 for a in x) / (len(x) - 1)
        var_y = sum((b - my) ** 2 for b in y) / (len(y) - 1)
        assert 100 * covariance / (var_x * var_y) ** 0.5 == pytest.approx(EXPECTED[qid][1])


def test_thresholds_at_their_boundaries():
    few, enough = itemstats.MIN_ATTEMPTS - 1, itemstats.MIN_ATTEMPTS
    assert itemstats.flags_for(enough, itemstats.TOO_EASY_FROM, 10.0) == (itemstats.FLAG_TOO_EASY,)
    assert itemstats.flags_for(enough, itemstats.TOO_EASY_FROM - 0.01, 10.0) == ()
    assert itemstats.flags_for(enough, itemstats.TOO_HARD_BELOW, 10.0) == ()
    assert itemstats.flags_for(enough, itemstats.TOO_HARD_BELOW - 0.01, 10.0) == (itemstats.FLAG_TOO_HARD,)
    assert itemstats.flags_for(enough, 50.0, 0.0) == ()
    assert itemstats.flags_for(enough, 50.0, None) == ()
    assert itemstats.flags_for(few, 50.0, 10.0) == (itemstats.FLAG_FEW,)


def test_no_attempts_and_one_attempt_give_no_index():
    stats = itemstats.item_statistics([question("q9", {0})], {}, {})
    assert stats[0].n == 0 and stats[0].facility is None and stats[0].discrimination is None
    assert stats[0].option_percents == (0.0, 0.0, 0.0)
    one = itemstats.sums_from_answers([("A", "q9", True), ("A", "q8", False)])
    assert itemstats.discrimination_index(one["q9"]) is None and itemstats.facility_index(one["q9"]) == 100.0


# -- the same numbers through the queries, on SQLite and PostgreSQL ----------------------------------------

BANK = "prov-fragor"
QIDS = ["prov-q1", "prov-q2", "prov-q3", "prov-q4"]
WHEN = datetime(2025, 3, 10, 9, 0)


class Store:
    def __init__(self, db):
        self.db = db
        self.attempt_id = 0
        self.step_id = 0
        with db.engine.begin() as connection:
            connection.execute(insert(Unit), [{"id": "u1", "name": "Enheten", "kind": "enhet"}])

    def attempt(self, person: str, attempt_no: int, marks, when: datetime = WHEN, finished: bool = True,
                wrong_choice: int = 1) -> None:
        self.attempt_id += 1
        with self.db.engine.begin() as connection:
            if attempt_no == 1:
                connection.execute(insert(Person), [{"id": person, "name": person, "unit_id": "u1",
                                                     "start_date": date(2024, 1, 1)}])
            connection.execute(insert(Attempt), [{
                "id": self.attempt_id, "person_id": person, "module_id": "prov", "kind": "quiz", "item_id": BANK,
                "attempt_no": attempt_no, "content_version": "v1", "seed": 0, "started_at": when,
                "finished_at": when + timedelta(minutes=5) if finished else None}])
            steps = []
            for step_no, (qid, mark) in enumerate(zip(QIDS, marks)):
                self.step_id += 1
                steps.append({"id": self.step_id, "attempt_id": self.attempt_id, "step_no": step_no, "item": qid,
                              "response": json.dumps([0] if mark else [wrong_choice]), "correct": bool(mark),
                              "idempotency_key": f"k{self.step_id}", "answered_at": when})
            connection.execute(insert(Step), steps)


def hand_data_set(db) -> Store:
    store = Store(db)
    for person, marks in MARKS.items():
        store.attempt(person, 1, marks, wrong_choice=2 if person == "D" else 1)
    return store


def test_the_queries_give_the_hand_computed_values(db, fixture_course):
    store = hand_data_set(db)
    store.attempt("A", 2, (0, 0, 0, 1), when=WHEN + timedelta(days=1))  # a retry after feedback: not counted
    store.attempt("G", 1, (0, 0, 0, 0), finished=False)  # unfinished: not counted
    sums = queries.item_sums(db, SYSTEM, BANK)
    expected_sums = itemstats.sums_from_answers(
        (a, qid, bool(m)) for a, marks in MARKS.items() for qid, m in zip(QIDS, marks))
    assert sums == expected_sums
    stats = {s.question_id: s for s in queries.item_statistics(db, SYSTEM, fixture_course, BANK)}
    for qid, (facility, discrimination) in zip(QIDS, EXPECTED.values()):
        assert stats[qid].n == 6
        assert stats[qid].facility == pytest.approx(facility)
        assert stats[qid].discrimination == (None if discrimination is None else pytest.approx(discrimination))
    assert [round(s, 2) for s in stats["prov-q1"].option_percents] == [66.67, 16.67, 16.67]
    assert stats["prov-q5"].n == 0 and itemstats.FLAG_FEW in stats["prov-q5"].flags  # in the bank, never drawn
    assert stats["prov-q4"].flags == (itemstats.FLAG_NEGATIVE, itemstats.FLAG_TOO_HARD, itemstats.FLAG_FEW)


def test_all_attempts_and_the_period(db, fixture_course):
    store = hand_data_set(db)
    store.attempt("A", 2, (0, 0, 0, 1), when=WHEN + timedelta(days=40))
    everything = queries.item_sums(db, SYSTEM, BANK, first_only=False)
    assert everything["prov-q1"].n == 7 and everything["prov-q1"].sum_x == 4
    # only A's retry falls inside April; it is not A's first attempt, so with first attempts only nothing counts
    april = (date(2025, 4, 1), date(2025, 4, 30))
    assert queries.item_sums(db, SYSTEM, BANK, *april) == {}
    assert queries.item_sums(db, SYSTEM, BANK, *april, first_only=False)["prov-q4"] == \
        itemstats.ItemSums(1, 1, 1, 0, 0, 0)
    # the end day is included whole
    assert queries.item_sums(db, SYSTEM, BANK, date(2025, 3, 1), date(2025, 3, 10))["prov-q1"].n == 6
    assert queries.item_sums(db, SYSTEM, BANK, date(2025, 3, 11), None) == {}
    counts = queries.response_counts(db, SYSTEM, BANK)
    assert counts["prov-q1"] == {"[0]": 4, "[1]": 1, "[2]": 1}


def test_a_question_is_flagged_for_a_flag_on_enough_attempts():
    def stat(*flags):
        return itemstats.ItemStat("q", "t", "Fråga?", 40, 50.0, 10.0, (50.0, 50.0), frozenset({0}), flags)

    assert not itemstats.is_flagged(stat()) and not itemstats.is_flagged(stat(itemstats.FLAG_FEW))
    assert not itemstats.is_flagged(stat(itemstats.FLAG_NEGATIVE, itemstats.FLAG_FEW))  # a hint, not counted
    assert itemstats.is_flagged(stat(itemstats.FLAG_TOO_EASY))
    assert itemstats.is_flagged(stat(itemstats.FLAG_NEGATIVE))


def test_a_bank_s_figures_count_its_questions_asked_flagged_and_plotted():
    """What the analytics page shows above a bank's chart: the hand data set plus a question nobody was asked."""
    enough = itemstats.ItemStat("q5", "t", "Fråga?", 40, 95.0, 10.0, (95.0, 5.0, 0.0), frozenset({0}),
                                itemstats.flags_for(40, 95.0, 10.0))
    unasked = itemstats.item_statistics([question("q6", {0})], {}, {})[0]
    bank = itemstats.BankStatistics(tuple(itemstats.item_statistics(
        QUESTIONS, itemstats.sums_from_answers(answers()), RESPONSES)) + (enough, unasked))
    assert bank.questions == 6 and [s.question_id for s in bank.asked] == ["q1", "q2", "q3", "q4", "q5"]
    assert bank.most_attempts == 40
    assert bank.flagged == 1  # q5, too easy on enough attempts; q3 and q4's flags on six attempts are hints
    assert [s.question_id for s in bank.plotted] == ["q1", "q2", "q4", "q5"]  # q3: everyone right, no index
    assert bank.not_plotted == 1 and not unasked.plotted
    empty = itemstats.BankStatistics(())
    assert (empty.questions, empty.most_attempts, empty.flagged, empty.asked) == (0, 0, 0, ())


@pytest.fixture(scope="module")
def real_course():
    from tests.conftest import PROJECT_ROOT, loaded

    return loaded(PROJECT_ROOT)


def test_the_banks_are_offered_originals_first_then_by_title(real_course):
    banks = itemstats.banks_in_order(real_course)
    assert sorted(banks) == sorted({module.quiz for module in real_course.modules.values()})
    language = {module.quiz: module.language for module in real_course.modules.values()}
    originals = [bank for bank in banks if language[bank] == "sv"]
    assert banks[:len(originals)] == originals and len(originals) < len(banks)  # the English versions last
    assert originals == sorted(originals, key=lambda bank: real_course.banks[bank].title)


def test_the_bank_s_statistics_through_the_store(db, fixture_course):
    hand_data_set(db)
    bank = queries.bank_statistics(db, SYSTEM, fixture_course, BANK)
    assert bank.items == tuple(queries.item_statistics(db, SYSTEM, fixture_course, BANK))
    assert bank.most_attempts == 6 and bank.flagged == 0 and bank.not_plotted == 1  # prov-q3: everyone right
