"""Scenario walks and quizzes as pure functions: state is derived by replaying recorded steps.

Like Moodle's question engine, the store keeps raw responses (which choice, which options) numbered from
step 0, and everything else (where the learner stands, the score) is computed here by replaying them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Collection, Iterable, Mapping, Sequence

from course.content.schema import Choice, Node, Question, QuestionBank, Scenario
from course.questions import CONFIDENCE_LEVELS, InvalidResponse, kind_of


class InvalidStep(ValueError):
    """A response that does not fit the state it is applied to (e.g. a choice the node does not have)."""


# --- scenarios ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScenarioState:
    node_id: str
    taken: tuple[tuple[str, int], ...]  # (node id, choice index) for each step so far

    @property
    def step_no(self) -> int:
        return len(self.taken)


def start_state(scenario: Scenario) -> ScenarioState:
    return ScenarioState(scenario.start, ())


def current_node(scenario: Scenario, state: ScenarioState) -> Node:
    return scenario.nodes[state.node_id]


def apply_choice(scenario: Scenario, state: ScenarioState, choice_index: int) -> tuple[Choice, ScenarioState]:
    node = current_node(scenario, state)
    if node.is_ending:
        raise InvalidStep(f"scenariot är redan slut i noden '{state.node_id}'")
    if not 0 <= choice_index < len(node.choices):
        raise InvalidStep(f"noden '{state.node_id}' har inget val nummer {choice_index}")
    choice = node.choices[choice_index]
    return choice, ScenarioState(choice.next, state.taken + ((state.node_id, choice_index),))


def replay_scenario(scenario: Scenario, choice_indexes: Iterable[int]) -> ScenarioState:
    state = start_state(scenario)
    for index in choice_indexes:
        _, state = apply_choice(scenario, state, index)
    return state


def ending_of(scenario: Scenario, state: ScenarioState) -> str | None:
    return current_node(scenario, state).ending


@dataclass(frozen=True)
class DrawnNode:
    node_id: str
    choice_order: tuple[int, ...]  # indexes into node.choices in the order the learner sees them


def draw_choice_orders(scenario: Scenario, seed: int) -> list[DrawnNode]:
    """The order in which each choice point shows its choices, drawn once per attempt and stored with it. Authors
    write the best choice wherever it reads best (often first); shown in file order, always picking the first
    one would pass every scenario. Each node has its own generator, so one node's order does not depend on the
    others (a node added in a new content version leaves the rest as they were)."""
    return [DrawnNode(node_id, _shuffled(len(node.choices), seed, node_id))
            for node_id, node in scenario.nodes.items() if len(node.choices) > 1]


def choice_order(scenario: Scenario, node_id: str, seed: int,
                 stored: Mapping[str, tuple[int, ...]] | None = None) -> tuple[int, ...]:
    """The order of a node's choices in one attempt: as stored when the attempt began, else drawn from its seed
    (an attempt begun before orders were stored)."""
    count = len(scenario.nodes[node_id].choices)
    order = (stored or {}).get(node_id)
    if order is not None and sorted(order) == list(range(count)):
        return tuple(order)
    return _shuffled(count, seed, node_id)


def _shuffled(count: int, seed: int, node_id: str) -> tuple[int, ...]:
    order = list(range(count))
    random.Random(f"{seed}/{node_id}").shuffle(order)  # a str seed is hashed with SHA-512: the same everywhere
    return tuple(order)


# --- quizzes -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DrawnQuestion:
    question_id: str
    option_order: tuple[int, ...]  # indexes into question.options in the order the learner sees them


def draw_quiz(bank: QuestionBank, seed: int, avoid: Collection[str] = frozenset(),
              skip_topics: Collection[str] = frozenset()) -> list[DrawnQuestion]:
    """A deterministic draw for one attempt: the same seed gives the same questions and option order; a retry
    uses a new seed and so a fresh draw. Questions in `avoid` (the learner's last attempt) are drawn only when
    the bank has too few others, and questions on `skip_topics` (mastered in the refresher's diagnostic) only
    when the other topics cannot fill the draw."""
    rng = random.Random(seed)
    tiers = [[q for q in bank.questions if q.id not in avoid and q.topic not in skip_topics],
             [q for q in bank.questions if q.id not in avoid and q.topic in skip_topics],
             [q for q in bank.questions if q.id in avoid]]
    picked: list[Question] = []
    for tier in tiers:
        if len(picked) < bank.draw and tier:
            picked += rng.sample(tier, min(bank.draw - len(picked), len(tier)))
    return [_with_option_order(question, rng) for question in picked]


def draw_across_topics(pool: Sequence[Question], topics: Sequence[str], count: int, seed: int,
                       avoid: Collection[str] = frozenset()) -> list[DrawnQuestion]:
    """Up to `count` questions spread over `topics`, one per topic in turn. Questions in `avoid` (the learner's
    last attempt) come only when the fresh ones of every topic are used up. For the refresher's diagnostic and
    the spaced booster."""
    rng = random.Random(seed)
    fresh: dict[str, list[Question]] = {}
    seen: dict[str, list[Question]] = {}
    for topic in topics:
        candidates = [q for q in pool if q.topic == topic]
        rng.shuffle(candidates)
        fresh[topic] = [q for q in candidates if q.id not in avoid]
        seen[topic] = [q for q in candidates if q.id in avoid]
    picked: list[Question] = []
    for by_topic in (fresh, seen):
        while len(picked) < count and any(by_topic.values()):
            for topic in topics:
                if by_topic[topic] and len(picked) < count:
                    picked.append(by_topic[topic].pop(0))
    return [_with_option_order(question, rng) for question in picked]


def _with_option_order(question: Question, rng: random.Random) -> DrawnQuestion:
    return DrawnQuestion(question.id, kind_of(question).option_order(question, rng))


def mastered_topics(answers: Iterable[tuple[str, bool, int | None]]) -> frozenset[str]:
    """Topics where every answer was right and given with confidence (ganska säker or säker)."""
    verdict: dict[str, bool] = {}
    for topic, correct, confidence in answers:
        verdict[topic] = verdict.get(topic, True) and correct and (confidence or 0) >= 2
    return frozenset(topic for topic, ok in verdict.items() if ok)


def questions_by_id(bank: QuestionBank) -> Mapping[str, Question]:
    return {question.id: question for question in bank.questions}


def validate_selection(question: Question, selected: Sequence[int]) -> tuple[int, ...]:
    """The response as its type stores it (the chosen options, or the steps in the chosen order)."""
    try:
        return kind_of(question).validate(question, selected)
    except InvalidResponse as error:
        raise InvalidStep(str(error)) from error


def is_correct(question: Question, response: Sequence[int]) -> bool:
    """Right = full credit: exactly the correct options (also for multiple choice), every step in place."""
    return kind_of(question).is_correct(question, response)


def validate_confidence(confidence: int | None, required: bool) -> int | None:
    if confidence is None:
        if required:
            raise InvalidStep("ange hur säker du är")
        return None
    if confidence not in CONFIDENCE_LEVELS:
        raise InvalidStep("okänd säkerhetsnivå")
    return confidence


def is_misconception(correct: bool | None, confidence: int | None) -> bool:
    """Wrong while sure: a belief to talk about, not a guess."""
    return correct is False and confidence == 3


def passes(points: Fraction | int, total: int, pass_mark: int) -> bool:
    """Exactly at the pass mark passes. Exact arithmetic: 4 of 5 at 80 % must pass, and float rounding
    (0.8 * 5 = 4.000000000000001) must not decide that; partial credit is a Fraction for the same reason."""
    return total > 0 and points * 100 >= pass_mark * total


def score_percent(points: Fraction | int, total: int) -> float:
    return round(float(100 * Fraction(points) / total), 2) if total else 0.0


def quiz_points(questions: Mapping[str, Question], answers: Iterable[tuple[str, Sequence[int]]]) -> Fraction:
    """The credit of each (question id, stored response), added up as its type scores it."""
    return sum((kind_of(questions[question_id]).credit(questions[question_id], response)
                for question_id, response in answers), Fraction(0))
