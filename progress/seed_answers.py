"""How the seed's synthetic learners answer quiz questions: a two-parameter logistic item response model. Pure.

A person has an ability θ (in logits, normal around 0) that holds across modules, and an attempt adds a little
day-to-day form; a question has a difficulty b and a discrimination a, fixed by its id (items_for). The chance
of a right answer is 1 / (1 + e^(−a(θ − b))): stronger learners answer more questions right, so each question's
score goes with the rest of the quiz and Moodle's discrimination index (course.itemstats) is clearly positive for
most questions, as in a real organisation's data. (The seed once drew one flat chance per attempt, the same for
every question, from a narrow band: a question had little in common with the rest of the quiz, the median index
was about 19, and with a demo's few answers a good share of the questions came out negative.)

Each bank has what real banks have too: one very easy question that nearly everyone gets right, and one hard
question that few do (see items_for). Those are the questions the analytics page should flag, for a reason an
author can see.

The seed plays quizzes ahead at a ladder of ability levels (progress.seed._Plays) and gives each attempt the
level nearest its ability, so answering costs nothing per person; the top rung is mastery (every answer
right), which a learner reaches after enough retries, so a round always ends with a pass.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Sequence

ABILITY_MEAN = 0.0
ABILITY_SD = 1.0  # between people
FORM_SD = 0.3  # between one person's attempts: the day, the time of day
RETRY_GAIN = 1.2  # logits per earlier attempt: the feedback of a failed quiz shows what was wrong
MASTERED_FROM_ATTEMPT = 4  # by the fourth attempt at a quiz a learner has seen the answers: every answer right

# The rungs: the ability of a played quiz, every 0.4 logits; one more rung after these is mastery.
ABILITY_LEVELS = tuple(round(-2.4 + 0.4 * step, 1) for step in range(15))
MASTERY = len(ABILITY_LEVELS)
LEVELS = MASTERY + 1


@dataclass(frozen=True)
class Item:
    difficulty: float  # b, logits: the ability with an even chance
    discrimination: float  # a: how sharply the chance rises with ability


def items_for(question_ids: Sequence[str]) -> dict[str, Item]:
    """The parameters of a bank's questions, from their ids alone (the same in every seed). Ordinary questions
    have a facility of about 47–86 % on a first attempt and discriminate well. Of a bank of ten or more, the
    question whose id hashes lowest is very easy (97–99 %) and the next one hard (5–14 %), as most real banks
    have one of each: flags an author can act on, whatever the size of the bank. (A question in two banks may be
    special in one and ordinary in the other: each bank has its own takers.)"""
    ranked = sorted(question_ids, key=_hash)
    items = {}
    for rank, question_id in enumerate(ranked):
        u, v = _uniforms(question_id)
        if rank == 0 and len(ranked) >= 10:
            items[question_id] = Item(-3.4 - 0.6 * u, 1.2 + 0.4 * v)
        elif rank == 1 and len(ranked) >= 10:
            items[question_id] = Item(2.3 + 0.5 * u, 0.9 + 0.4 * v)
        else:
            items[question_id] = Item(-1.5 + 1.6 * u, 1.2 + 0.8 * v)
    return items


def _hash(question_id: str) -> bytes:
    return hashlib.sha256(question_id.encode()).digest()


def _uniforms(question_id: str) -> tuple[float, float]:
    digest = _hash(question_id)
    return tuple(int.from_bytes(digest[i:i + 4], "big") / 2**32 for i in (4, 8))


def chance_right(item: Item, ability: float) -> float:
    return 1.0 / (1.0 + math.exp(-item.discrimination * (ability - item.difficulty)))


def chance_at_level(item: Item, level: int) -> float:
    return 1.0 if level >= MASTERY else chance_right(item, ABILITY_LEVELS[level])


def person_ability(rng: random.Random) -> float:
    return rng.gauss(ABILITY_MEAN, ABILITY_SD)


def attempt_level(ability: float, attempt_no: int, rng: random.Random) -> int:
    """The rung an attempt is played at: the person's ability, the day's form and what earlier attempts taught."""
    if attempt_no >= MASTERED_FROM_ATTEMPT:
        return MASTERY
    theta = ability + rng.gauss(0.0, FORM_SD) + RETRY_GAIN * (attempt_no - 1)
    step = round((theta - ABILITY_LEVELS[0]) / (ABILITY_LEVELS[1] - ABILITY_LEVELS[0]))
    return min(max(step, 0), MASTERY - 1)
