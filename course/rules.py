"""Who must take what, by when, and what "complete" means. Pure functions; the one place for these rules."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Collection

from course.content.schema import Module


class Status(str, Enum):
    NOT_STARTED = "ej_paborjad"
    IN_PROGRESS = "pagar"
    DONE = "klar"
    WAIVED = "klar_via_diagnos"  # passed by the refresher's diagnostic; kept apart from DONE (cmi5's waiver)
    OVERDUE = "forsenad"


DONE_STATUSES = (Status.DONE, Status.WAIVED)

# The spaced booster after a track's first round: retrieval after 5-10 % of a yearly interval retains best
# (Cepeda et al. 2008), i.e. about 3 to 5 weeks.
BOOSTER_OPENS_DAYS = 21
BOOSTER_DUE_DAYS = 35
BOOSTER_QUESTIONS = 6
DIAGNOSTIC_QUESTIONS_PER_MODULE = 3  # spread over the module's topics


@dataclass(frozen=True)
class DueRules:
    onboarding_days: int = 30  # the first round is due this many days after the start date
    recurrence_months: int | None = 12  # due again this many months after a completion; None: never again


DEFAULT_RULES = DueRules()


@dataclass(frozen=True)
class Assignment:
    """One module a person must take, the tracks it comes from, and its due rules."""

    module_id: str
    tracks: tuple[str, ...]
    due_rules: DueRules


def assignments(course, roles: Collection[str]) -> list[Assignment]:
    """The modules of every track of every role the person has; a module in several tracks is due by the
    earliest: the shortest onboarding time and the shortest recurrence among them."""
    by_module: dict[str, list] = {}
    for track in course.tracks_for(roles):
        for module_id in track.modules:
            by_module.setdefault(module_id, []).append(track)
    result = []
    for module_id, tracks in by_module.items():
        onboarding = [t.onboarding_days for t in tracks if t.onboarding_days]
        recurrence = [t.recurrence_months for t in tracks if t.recurrence_months]
        rules = DueRules(min(onboarding) if onboarding else DEFAULT_RULES.onboarding_days,
                         min(recurrence) if recurrence else None)
        result.append(Assignment(module_id, tuple(t.id for t in tracks), rules))
    return result


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_module_complete(required_scenarios: Collection[str], finished_scenarios: Collection[str],
                       quiz_passed: bool) -> bool:
    """Complete = the round's scenarios (see required_scenarios) played through to an ending, and the quiz passed."""
    return quiz_passed and all(scenario_id in finished_scenarios for scenario_id in required_scenarios)


def due_date(start_date: date, last_completed: datetime | date | None,
             rules: DueRules = DEFAULT_RULES) -> date | None:
    """When the next round is due; None when a completed module never falls due again."""
    if last_completed is None:
        return date.fromordinal(start_date.toordinal() + rules.onboarding_days)
    if rules.recurrence_months is None:
        return None
    completed_day = last_completed.date() if isinstance(last_completed, datetime) else last_completed
    return add_months(completed_day, rules.recurrence_months)


def module_status(today: date, due: date | None, last_completed: datetime | date | None,
                  started_since: bool, via_diagnosis: bool = False) -> Status:
    """Status of one module for one person.

    `last_completed`: the latest completion or waiver, `started_since`: the person has an attempt in the
    current round (since then), `via_diagnosis`: the latest was a waiver. Done counts until the next round
    falls due.
    """
    if last_completed is not None and (due is None or today < due):
        return Status.WAIVED if via_diagnosis else Status.DONE
    if today > due:
        return Status.OVERDUE
    return Status.IN_PROGRESS if started_since else Status.NOT_STARTED


@dataclass(frozen=True)
class LastDone:
    at: datetime | None  # the latest completion or waiver
    score: float | None  # the completion's score; a waiver has none
    via_diagnosis: bool  # the latest was a waiver by the refresher's diagnostic


def last_done(completed_at: datetime | None, score: float | None, waived_at: datetime | None) -> LastDone:
    """A module is done by its latest completion or its latest waiver, whichever came last."""
    if waived_at is not None and (completed_at is None or waived_at > completed_at):
        return LastDone(waived_at, None, True)
    return LastDone(completed_at, score, False)


def required_scenarios(module: Module, first_round: bool, last_finished: dict[str, datetime]) -> list[str]:
    """The scenarios a round asks for. The first round: all of them. A refresher round: one, one the learner has
    not played before where there is any, else the one played longest ago."""
    if first_round:
        return list(module.scenarios)
    unseen = [scenario for scenario in module.scenarios if scenario not in last_finished]
    if unseen:
        return unseen[:1]
    return [min(module.scenarios, key=lambda scenario: last_finished[scenario])]


def modules_to_waive(asked: dict[str, set[str]], mastered: Collection[str]) -> list[str]:
    """`asked`: module id -> the topics the diagnostic asked about for it. A module is passed by the diagnostic
    when every topic asked for it was mastered (right, and answered with confidence)."""
    return [module_id for module_id, topics in asked.items() if topics and topics <= set(mastered)]


def booster_window(track_first_done: date) -> tuple[date, date]:
    """When the booster opens and when it is due, after a track's first round was completed."""
    return (date.fromordinal(track_first_done.toordinal() + BOOSTER_OPENS_DAYS),
            date.fromordinal(track_first_done.toordinal() + BOOSTER_DUE_DAYS))
