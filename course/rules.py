"""Who must take what, by when, and what "complete" means. Pure functions; the one place for these rules."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Collection

from course.content.schema import FollowUp, Module


class Status(str, Enum):
    NOT_STARTED = "ej_paborjad"
    IN_PROGRESS = "pagar"
    DONE = "klar"
    WAIVED = "klar_via_diagnos"  # passed by the refresher's diagnostic; kept apart from DONE (cmi5's waiver)
    OVERDUE = "forsenad"


DONE_STATUSES = (Status.DONE, Status.WAIVED)

# The spaced booster after a track's first round opens and falls due after the days in config/tracks.yaml
# (follow_up): retrieval after 5-10 % of a yearly interval retains best (Cepeda et al. 2008), about 3 to 5 weeks.
BOOSTER_QUESTIONS = 6
DIAGNOSTIC_QUESTIONS_PER_MODULE = 3  # spread over the module's topics


@dataclass(frozen=True)
class DueRules:
    onboarding_days: int = 30  # the first round is due this many days after the start date
    recurrence_months: int | None = 12  # due again this many months after a completion; None: never again
    # A material change of the module: a completion from before this day falls due `material_change_days` after it.
    material_change: date | None = None
    material_change_days: int = 60


DEFAULT_RULES = DueRules()


@dataclass(frozen=True)
class Assignment:
    """One module a person must take, the tracks it comes from, and its due rules."""

    module_id: str
    tracks: tuple[str, ...]
    due_rules: DueRules


def assignments(course, roles: Collection[str]) -> list[Assignment]:
    """The modules of every track of every role the person has; a module in several tracks is due by the
    earliest: the shortest onboarding time and the shortest recurrence among them. Defaults come from the
    course's follow-up settings (config/tracks.yaml)."""
    follow_up = course.follow_up
    by_module: dict[str, list] = {}
    for track in course.tracks_for(roles):
        for module_id in track.modules:
            by_module.setdefault(module_id, []).append(track)
    result = []
    for module_id, tracks in by_module.items():
        onboarding = [t.onboarding_days for t in tracks if t.onboarding_days]
        recurrence = [t.recurrence_months for t in tracks if t.recurrence_months]
        rules = DueRules(min(onboarding) if onboarding else follow_up.onboarding_days,
                         min(recurrence) if recurrence else None,
                         course.modules[module_id].material_change, follow_up.material_change_days)
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
        return start_date + timedelta(days=rules.onboarding_days)
    completed_day = last_completed.date() if isinstance(last_completed, datetime) else last_completed
    return _due_after(completed_day, rules)


def _due_after(completed_day: date, rules: DueRules) -> date | None:
    due = add_months(completed_day, rules.recurrence_months) if rules.recurrence_months else None
    if rules.material_change is not None and completed_day < rules.material_change:  # took the earlier version
        again = rules.material_change + timedelta(days=rules.material_change_days)
        due = again if due is None else min(due, again)
    return due


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


def renewal_open(today: date, due: date | None, window_days: int) -> bool:
    """Whether the next round can be taken: from `window_days` before the due date, so that a yearly refresher
    can be done in time. The module stays done (klar) until the due date itself."""
    return due is not None and today >= due - timedelta(days=window_days)


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


def booster_window(track_first_done: date, follow_up: FollowUp | None = None) -> tuple[date, date]:
    """When the booster opens and when it is due, after a track's first round was completed."""
    follow_up = follow_up or FollowUp()
    return (track_first_done + timedelta(days=follow_up.booster_opens_days),
            track_first_done + timedelta(days=follow_up.booster_due_days))


# --- the same status as comparisons with fixed dates -------------------------------------------------------------

EARLIEST = datetime(1900, 1, 1)


@dataclass(frozen=True)
class StatusCutoffs:
    """`module_status` for one day and one set of due rules, turned into comparisons with fixed instants, so
    that a database can classify millions of (person, module) rows with plain indexed comparisons and no date
    arithmetic of its own. `status_by_cutoffs` gives the same answer as `module_status` for every input (tested
    day by day around each boundary)."""

    done_from: datetime  # a last completion at or after this instant is still current (klar)
    overdue_before: datetime  # a last completion before this instant is overdue (its next round is late)
    never_done_overdue_start_before: date  # never completed: overdue when employed since before this day


def status_cutoffs(today: date, rules: DueRules) -> StatusCutoffs:
    # The due date after a completion never moves earlier when the completion is later, so "still current" holds
    # from one day on, and "overdue" up to one day: find both days by bisection.
    def due(day: date) -> date | None:
        return _due_after(day, rules)

    done_from = _first_day(lambda day: due(day) is None or today < due(day), today)
    overdue_until = _first_day(lambda day: due(day) is None or not today > due(day), today)
    return StatusCutoffs(datetime.combine(done_from, time()), datetime.combine(overdue_until, time()),
                         today - timedelta(days=rules.onboarding_days))


def _first_day(holds, today: date) -> date:
    """The first day from EARLIEST to tomorrow on which `holds` is true, given it stays true from then on."""
    low, high = EARLIEST.date().toordinal(), today.toordinal() + 1
    while low < high:
        middle = (low + high) // 2
        if holds(date.fromordinal(middle)):
            high = middle
        else:
            low = middle + 1
    return date.fromordinal(low)


def status_by_cutoffs(cutoffs: StatusCutoffs, start_date: date, last_done_at: datetime | None,
                      started_since: bool, via_diagnosis: bool = False) -> Status:
    """The rule `reports.py` writes as SQL CASE: same order, same comparisons."""
    if last_done_at is not None and last_done_at >= cutoffs.done_from:
        return Status.WAIVED if via_diagnosis else Status.DONE
    if last_done_at is not None and last_done_at < cutoffs.overdue_before:
        return Status.OVERDUE
    if last_done_at is None and start_date < cutoffs.never_done_overdue_start_before:
        return Status.OVERDUE
    return Status.IN_PROGRESS if started_since else Status.NOT_STARTED
