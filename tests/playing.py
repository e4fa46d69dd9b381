"""Playing modules through the store, as the learner's page does: for tests that need a module done without
clicking through it (the journeys complete the rest of a track this way)."""

from __future__ import annotations

from datetime import date

from course import play
from course import questions as question_types
from progress import learner
from progress.attempts import Attempts


def play_through(attempts: Attempts, course, module_id: str, scenario_id: str, person="p1") -> None:
    """Play a scenario to an ending, always taking the first choice in the file."""
    attempt = attempts.start_or_resume(person, module_id, "scenario", scenario_id)
    scenario = course.scenarios[scenario_id]
    state = play.start_state(scenario)
    while not play.current_node(scenario, state).is_ending:
        attempts.record_choice(attempt.id, state.step_no, 0)
        _, state = play.apply_choice(scenario, state, 0)


def answer_quiz(attempts: Attempts, course, attempt, wrong: int = 0, upto: int | None = None) -> None:
    """Answer the attempt's drawn questions, right except the first `wrong`, sure of each where asked."""
    drawn = attempts.draw_of(attempt)
    confidence = 3 if attempt.kind != "quiz" or course.banks[attempt.item_id].confidence else None
    for step_no, drawn_question in enumerate(drawn[:upto]):
        question = course.questions[drawn_question.question_id]
        kind = question_types.kind_of(question)
        answer = wrong_response(question) if step_no < wrong else list(kind.correct_response(question))
        attempts.record_answer(attempt.id, step_no, question.id, answer, confidence)


def wrong_response(question) -> list[int]:
    """A response to `question` that is not right: the steps reversed, another option, or one option short."""
    kind = question_types.kind_of(question)
    right = list(kind.correct_response(question))
    if kind.widget == "order":
        return right[::-1]
    return [(right[0] + 1) % len(question.options)] if len(right) == 1 else right[:-1]


def complete(attempts: Attempts, course, module_id: str, person="p1", today: date | None = None) -> None:
    """The module's parts of this round for `person` played, and its quiz passed."""
    page = learner.module_page(attempts.db, course, person, person, module_id, None, today or date.today())
    for kind, item_id in page.parts:
        if kind == "scenario":
            play_through(attempts, course, module_id, item_id, person)
    answer_quiz(attempts, course, attempts.start_or_resume(person, module_id, "quiz", course.modules[module_id].quiz))
