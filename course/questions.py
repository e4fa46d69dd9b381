"""Question types as objects: one class per type owns everything that differs between types.

A question in a bank names its type (`type: single`); `kind_of(question)` gives the object that knows, for that
type: the authoring rules lint applies (`problems`), the order its options are shown in (`option_order`), what a
learner's response must look like and how it is stored (`stored`, `validate`), how it is scored, with partial
credit where the type has it (`credit`; right = full credit), its certainty-based mark (`cbm_mark`), which of its
options an item-statistics report counts for a response (`counted_options`), the responses the demo's seed
gives (`sample_responses`) and which widget the view draws (`widget`). Nothing outside this module compares a
question's type to a string: adding a type is a class here, its YAML, the view's widget and its texts.

Like Moodle's question types (question/type/*/questiontype.php and question.php), which this follows: the type
grades a response; the engine and the store only replay and add up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Sequence

from course.content.schema import Question

# Certainty-based marking as Gardner-Medwin devised it and Moodle implements it: the learner says how sure they
# are; a right answer earns 1/2/3, a wrong one costs 0/-2/-6. Being sure and wrong is what costs most.
CONFIDENCE_LEVELS = (1, 2, 3)  # 1 gissar, 2 ganska säker, 3 säker
CBM_MARKS = {1: (1, 0), 2: (2, -2), 3: (3, -6)}
CBM_BEST_MARK = max(right for right, _ in CBM_MARKS.values())


class InvalidResponse(ValueError):
    """A response that does not fit the question (no option, an option it does not have, two for one)."""


@dataclass(frozen=True)
class AuthoringProblem:
    """A rule an author broke; the loader adds the file and line (`where` is the path below the question)."""

    code: str
    where: tuple
    message: str
    hint: str


class QuestionKind:
    """The behaviour every type shares: a response is a tuple of option indexes (the content's order)."""

    name: ClassVar[str]
    widget: ClassVar[str]  # what the view draws: "radio", "checkboxes" or "order"
    shuffled: ClassVar[bool] = True  # are the options shown in an order drawn per attempt
    reads_as_question: ClassVar[bool] = True  # a true/false item is a statement, not a question to put to a group

    # --- authoring ---------------------------------------------------------------------------------------
    def problems(self, question: Question) -> list[AuthoringProblem]:
        return []

    # --- showing -----------------------------------------------------------------------------------------
    def option_order(self, question: Question, rng: random.Random) -> tuple[int, ...]:
        order = list(range(len(question.options)))
        if self.shuffled:
            rng.shuffle(order)
        return tuple(order)

    # --- the response ------------------------------------------------------------------------------------
    def stored(self, selected: Sequence[int]) -> tuple[int, ...]:
        """The response as the store keeps it; two clicks that mean the same answer store the same thing."""
        return tuple(sorted(set(selected)))

    def validate(self, question: Question, selected: Sequence[int]) -> tuple[int, ...]:
        response = self.stored(selected)
        if not response:
            raise InvalidResponse("inget alternativ valt")
        if any(not 0 <= index < len(question.options) for index in response):
            raise InvalidResponse("ett valt alternativ finns inte i frågan")
        return response

    # --- scoring -----------------------------------------------------------------------------------------
    def correct_response(self, question: Question) -> tuple[int, ...]:
        return tuple(sorted(question.correct_indexes))

    def credit(self, question: Question, response: Sequence[int]) -> Fraction:
        """0 to 1. All or nothing unless a type says otherwise."""
        return Fraction(1) if self.stored(response) == self.correct_response(question) else Fraction(0)

    def is_correct(self, question: Question, response: Sequence[int]) -> bool:
        return self.credit(question, response) == 1

    def cbm_mark(self, correct: bool, confidence: int) -> int:
        right, wrong = CBM_MARKS[confidence]
        return right if correct else wrong

    def response_text(self, question: Question, response: Sequence[int]) -> str:
        """A stored response as text, e.g. in the learner's own answer history."""
        return self.response_separator.join(question.options[index].text for index in response
                                            if 0 <= index < len(question.options))

    response_separator: ClassVar[str] = "; "

    # --- reports and the demo ----------------------------------------------------------------------------
    def counted_options(self, question: Question, response: Sequence[int]) -> tuple[int, ...]:
        """The options an item-statistics report counts for this response: those chosen."""
        return tuple(index for index in self.stored(response) if 0 <= index < len(question.options))

    def is_key(self, question: Question, index: int) -> bool:
        """Is option `index` part of the right answer (marked in the review and the item report)."""
        return question.options[index].correct

    def sample_responses(self, question: Question) -> list[tuple[int, ...]]:
        """The right response first, then wrong ones: what the demo's synthetic learners answer."""
        right = self.correct_response(question)
        return [right] + [(index,) for index in range(len(question.options)) if (index,) != right]


class SingleChoice(QuestionKind):
    name = "single"
    widget = "radio"

    def problems(self, question: Question) -> list[AuthoringProblem]:
        return _exactly_one_correct(question)

    def validate(self, question: Question, selected: Sequence[int]) -> tuple[int, ...]:
        response = super().validate(question, selected)
        if len(response) != 1:
            raise InvalidResponse("frågan tar ett svar")
        return response


class TrueFalse(SingleChoice):
    name = "true_false"
    shuffled = False  # 'Sant' before 'Falskt' reads better and gives nothing away
    reads_as_question = False

    def problems(self, question: Question) -> list[AuthoringProblem]:
        found = super().problems(question)
        if len(question.options) != 2:
            found.append(AuthoringProblem("E304", ("options",),
                                          f"Frågan '{question.id}' (true_false) ska ha exakt två alternativ.",
                                          "Skriv alternativen 'Sant' och 'Falskt'."))
        return found


class MultipleChoice(QuestionKind):
    name = "multiple"
    widget = "checkboxes"

    def problems(self, question: Question) -> list[AuthoringProblem]:
        if not question.correct_indexes:
            return [_no_correct_option(question)]
        return []


class Ordering(QuestionKind):
    """Put the steps in order. The options are written in the right order; the learner is shown them shuffled
    and answers with all of them in the order they choose (the response keeps that order).

    Partial credit as Moodle's ordering question (qtype_ordering) grades "relative to the next item, excluding
    the last": one point for each step followed by the step that should follow it, out of one fewer than the
    steps. The last two of five swapped keep half the credit; everything reversed gets none. Full
    credit, every step in place, counts as right (the certainty-based mark, the item report's score)."""

    name = "ordering"
    widget = "order"
    response_separator = " → "
    MIN_STEPS = 3

    def problems(self, question: Question) -> list[AuthoringProblem]:
        found = []
        if len(question.options) < self.MIN_STEPS:
            found.append(AuthoringProblem("E306", ("options",),
                                          f"Frågan '{question.id}' (ordering) har {len(question.options)} steg; "
                                          f"den behöver minst {self.MIN_STEPS}.",
                                          "Med två steg blir det en ja/nej-fråga; skriv en single-fråga i stället."))
        if question.correct_indexes:
            found.append(AuthoringProblem("E307", ("options",),
                                          f"Frågan '{question.id}' (ordering) markerar steg med 'correct'.",
                                          "I en ordningsfråga är ordningen i filen svaret: ta bort 'correct: true' "
                                          "och skriv stegen i rätt ordning."))
        return found

    def stored(self, selected: Sequence[int]) -> tuple[int, ...]:
        return tuple(selected)  # the order is the answer

    def validate(self, question: Question, selected: Sequence[int]) -> tuple[int, ...]:
        response = self.stored(selected)
        if sorted(response) != list(range(len(question.options))):
            raise InvalidResponse("ordna alla steg, vart och ett en gång")
        return response

    def correct_response(self, question: Question) -> tuple[int, ...]:
        return tuple(range(len(question.options)))

    def credit(self, question: Question, response: Sequence[int]) -> Fraction:
        steps = len(question.options)
        if steps < 2 or len(response) != steps:
            return Fraction(0)
        in_sequence = sum(1 for first, then in zip(response, response[1:]) if then == first + 1)
        return Fraction(in_sequence, steps - 1)

    def counted_options(self, question: Question, response: Sequence[int]) -> tuple[int, ...]:
        """The steps put in their right place (the share per step is "placed right", not "chosen")."""
        return tuple(index for place, index in enumerate(response) if index == place)

    def is_key(self, question: Question, index: int) -> bool:
        return True  # every step belongs to the answer

    def sample_responses(self, question: Question) -> list[tuple[int, ...]]:
        right = self.correct_response(question)
        swapped_first = (right[1], right[0]) + right[2:]
        return [right, swapped_first, tuple(reversed(right))]


def _no_correct_option(question: Question) -> AuthoringProblem:
    return AuthoringProblem("E301", (), f"Frågan '{question.id}' har inget rätt svar.",
                            "Markera minst ett alternativ med 'correct: true'.")


def _exactly_one_correct(question: Question) -> list[AuthoringProblem]:
    correct = len(question.correct_indexes)
    if correct == 0:
        return [_no_correct_option(question)]
    if correct > 1:
        return [AuthoringProblem("E302", (), f"Frågan '{question.id}' ({question.type}) har {correct} rätta svar "
                                             "men får ha ett.",
                                 "Behåll ett rätt alternativ, eller ändra type till 'multiple'.")]
    return []


KINDS: dict[str, QuestionKind] = {kind.name: kind for kind in (SingleChoice(), MultipleChoice(), TrueFalse(),
                                                               Ordering())}


def kind_of(question: Question) -> QuestionKind:
    """The type object of a loaded question (the loader has rejected unknown types, E305)."""
    return KINDS[question.type]
