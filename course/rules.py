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
    OVERDUE = "forsenad"


@dataclass(frozen=True)
class DueRules:
    onboarding_days: int = 30  # a new hire's first round is due this many days after the start date
    recurrence_months: int = 12  # after a completion the module is due again this many months later


DEFAULT_RULES = DueRules()


def learner_role(roles) -> str:
    """The role that decides which modules a person is assigned (an admin alone takes the employee's course)."""
    for role in ("fortroendevald", "chef", "medarbetare"):
        if role in roles:
            return role
    return "medarbetare"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_module_complete(module: Module, finished_scenarios: Collection[str], quiz_passed: bool) -> bool:
    """Complete = every scenario of the module played through to an ending, and its quiz passed."""
    return quiz_passed and all(scenario_id in finished_scenarios for scenario_id in module.scenarios)


def due_date(start_date: date, last_completed: datetime | date | None, rules: DueRules = DEFAULT_RULES) -> date:
    if last_completed is None:
        return date.fromordinal(start_date.toordinal() + rules.onboarding_days)
    completed_day = last_completed.date() if isinstance(last_completed, datetime) else last_completed
    return add_months(completed_day, rules.recurrence_months)


def module_status(today: date, due: date, last_completed: datetime | date | None, started_since: bool) -> Status:
    """Status of one module for one person.

    `last_completed`: the latest completion (any), `started_since`: the person has an attempt in the current
    round (since that completion). A completion counts as "klar" until the next round falls due.
    """
    if last_completed is not None and today < due:
        return Status.DONE
    if today > due:
        return Status.OVERDUE
    return Status.IN_PROGRESS if started_since else Status.NOT_STARTED
