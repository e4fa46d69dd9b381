"""Question types as objects (course/questions.py): the registry, the ordering type's rules and partial credit,
and the paths that score (the store, the seed's scores, item statistics) going through the type."""

from __future__ import annotations

import json
import re
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from course import itemstats, play
from course import questions as question_types
from course.content.loader import load_course
from progress.attempts import Attempts, StaleAnswer
from tests.conftest import FIXTURE_CONTENT, PROJECT_ROOT
from tests.test_store import add_person

ORDERING = """
  - id: prov-ordning
    type: ordering
    topic: muta-tagande
    text: I vilken ordning gör du det här?
    cite: ["BrB 10 kap. 5 a §"]
    options:
      - text: Steg ett
        explanation: Först.
      - text: Steg två
        explanation: Sedan.
      - text: Steg tre
        explanation: Därefter.
      - text: Steg fyra
        explanation: Sist.
"""


def content_with_ordering(root: Path, question: str = ORDERING) -> Path:
    """The fixture content with one ordering question more, and a quiz that draws every question."""
    shutil.copytree(FIXTURE_CONTENT, root)
    bank = root / "quizzes" / "prov-fragor.yaml"
    text = bank.read_text(encoding="utf-8").rstrip("\n") + "\n" + question
    count = text.count("\n  - id: ")
    bank.write_text(re.sub(r"^draw: \d+$", f"draw: {count}", text, count=1, flags=re.M), encoding="utf-8")
    return root


@pytest.fixture
def ordering_course(tmp_path):
    result = load_course(content_with_ordering(tmp_path / "content"))
    assert result.ok, [p.as_text() for p in result.problems]
    return result.course


def test_every_question_of_the_course_has_its_type_object():
    result = load_course(PROJECT_ROOT)
    assert result.ok
    kinds = {question_types.kind_of(q).name for q in result.course.questions.values()}
    assert kinds == set(question_types.KINDS)  # each type is used, the ordering type too
    for name, kind in question_types.KINDS.items():
        assert kind.name == name and kind.widget in ("radio", "checkboxes", "order")


@pytest.mark.parametrize("response,credit", [
    ((0, 1, 2, 3), Fraction(1)),
    ((1, 0, 2, 3), Fraction(1, 3)),   # the first two swapped: only 2→3 still follows its step
    ((0, 1, 3, 2), Fraction(1, 3)),   # the last two swapped: 0→1 still right, 1→3 and 3→2 are not
    ((3, 2, 1, 0), Fraction(0)),      # all reversed
    ((2, 3, 0, 1), Fraction(2, 3)),   # two blocks in the wrong order: 2→3 and 0→1 are right
])
def test_ordering_gives_credit_for_each_step_followed_by_the_right_one(ordering_course, response, credit):
    question = ordering_course.questions["prov-ordning"]
    kind = question_types.kind_of(question)
    assert kind.credit(question, response) == credit
    assert kind.is_correct(question, response) is (credit == 1)
    assert kind.stored(response) == response  # the order is the answer: never sorted


def test_ordering_takes_every_step_once(ordering_course):
    question = ordering_course.questions["prov-ordning"]
    assert play.validate_selection(question, [3, 1, 0, 2]) == (3, 1, 0, 2)
    for wrong in ([0, 1, 2], [0, 1, 2, 2], [0, 1, 2, 7], []):
        with pytest.raises(play.InvalidStep):
            play.validate_selection(question, wrong)


def test_ordering_is_shown_shuffled_and_seeded(ordering_course):
    bank = ordering_course.banks["prov-fragor"]
    orders = set()
    for seed in range(20):
        drawn = {d.question_id: d for d in play.draw_quiz(bank, seed)}
        order = drawn["prov-ordning"].option_order
        assert sorted(order) == [0, 1, 2, 3]
        assert {d.question_id: d for d in play.draw_quiz(bank, seed)}["prov-ordning"].option_order == order
        orders.add(order)
    assert len(orders) > 5  # not the file's order, which is the answer


@pytest.mark.parametrize("options,code", [
    ("      - text: Ett\n        explanation: A.\n      - text: Två\n        explanation: B.\n", "E306"),
    ("      - text: Ett\n        correct: true\n        explanation: A.\n      - text: Två\n        explanation: B.\n"
     "      - text: Tre\n        explanation: C.\n", "E307"),
])
def test_lint_holds_the_ordering_type_to_its_rules(tmp_path, options, code):
    question = ORDERING[:ORDERING.index("    options:\n") + len("    options:\n")] + options
    result = load_course(content_with_ordering(tmp_path / "content", question))
    (problem,) = [p for p in result.problems if p.code == code]
    assert problem.path == "quizzes/prov-fragor.yaml" and problem.hint
    text = (tmp_path / "content" / "quizzes" / "prov-fragor.yaml").read_text(encoding="utf-8").splitlines()
    assert text[problem.line - 1].strip() == "options:"


def test_an_unknown_type_is_named_with_a_close_match(tmp_path):
    result = load_course(content_with_ordering(tmp_path / "content", ORDERING.replace("type: ordering",
                                                                                      "type: orderin")))
    (problem,) = [p for p in result.problems if p.code == "E305"]
    assert "orderin" in problem.message and "ordering" in problem.hint
    assert not result.ok


def test_the_store_keeps_the_order_and_scores_partial_credit(db, ordering_course):
    add_person(db)
    attempts = Attempts(db, ordering_course)
    attempt = attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor")
    drawn = attempts.draw_of(attempt)
    questions = ordering_course.questions
    for step_no, d in enumerate(drawn):
        question = questions[d.question_id]
        if d.question_id == "prov-ordning":
            answer = [1, 0, 2, 3]  # a third of the credit
            result = attempts.record_answer(attempt.id, step_no, d.question_id, answer)
            assert result.status == "recorded"
            assert attempts.record_answer(attempt.id, step_no, d.question_id, answer).status == "duplicate"
            with pytest.raises(StaleAnswer):  # another order is another answer
                attempts.record_answer(attempt.id, step_no, d.question_id, [0, 1, 2, 3])
        else:
            result = attempts.record_answer(attempt.id, step_no, d.question_id, sorted(question.correct_indexes))
    (ordering_step,) = [s for s in attempts.steps(attempt.id) if s.item == "prov-ordning"]
    assert ordering_step.response == [1, 0, 2, 3] and ordering_step.correct is False
    finished = result.attempt
    total = len(drawn)
    assert finished.score_percent == play.score_percent(Fraction(total - 1) + Fraction(1, 3), total)
    assert finished.score_percent == round(100 * (total - 1 + 1 / 3) / total, 2)  # 6 of 7 right and a third


def test_partial_credit_decides_the_pass_exactly():
    assert play.passes(Fraction(4), 5, 80)
    assert not play.passes(Fraction(11, 3), 5, 80)  # 3 and two thirds of 5 is 73 %
    assert play.passes(Fraction(25, 3), 10, 83) and not play.passes(Fraction(25, 3), 10, 84)  # 83.3 %


def test_item_statistics_count_a_step_put_in_its_right_place(ordering_course):
    question = ordering_course.questions["prov-ordning"]
    percents = itemstats.option_percents(question, {json.dumps([0, 1, 2, 3]): 1, json.dumps([1, 0, 2, 3]): 1,
                                                    json.dumps([3, 2, 1, 0]): 2})
    assert percents == (25.0, 25.0, 50.0, 50.0)
    (stat,) = itemstats.item_statistics([question], {}, {})
    assert stat.correct_options == frozenset({0, 1, 2, 3})


def test_the_answer_history_shows_an_order_as_steps(ordering_course):
    question = ordering_course.questions["prov-ordning"]
    assert question_types.kind_of(question).response_text(question, (1, 0, 2, 3)) == \
        "Steg två → Steg ett → Steg tre → Steg fyra"
    single = ordering_course.questions["prov-q1"]
    assert question_types.kind_of(single).response_text(single, (0,)) == "Rätt 1"


def test_the_demo_seed_scores_through_the_types(ordering_course):
    """The seed's synthetic learners answer what each type offers: the right order first, then wrong ones that
    the type gives part of the credit or none."""
    question = ordering_course.questions["prov-ordning"]
    kind = question_types.kind_of(question)
    samples = kind.sample_responses(question)
    assert samples[0] == (0, 1, 2, 3) and all(not kind.is_correct(question, r) for r in samples[1:])
    assert all(kind.validate(question, r) == r for r in samples)


_TYPE_STRINGS = re.compile(r"""\b(question|q)\.type\s*[!=]=|["'](single|multiple|true_false|ordering)["']""")


def test_no_type_is_compared_by_its_name_outside_the_registry():
    """Issue 11: a type's behaviour lives in its class; the code elsewhere asks the object, never the name."""
    found = []
    for folder in ("course", "progress", "views", "bench", "scripts"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if path == PROJECT_ROOT / "course" / "questions.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if _TYPE_STRINGS.search(code):
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert found == []
    assert _TYPE_STRINGS.search('if question.type == "multiple":')  # the pattern finds what it should
