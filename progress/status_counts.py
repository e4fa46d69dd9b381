"""Every active person's status per assigned module, classified by the database (one CASE over fixed cut-offs).

The rules (course.rules) are turned into fixed cut-off instants per due-rule set (`rules.status_cutoffs`), and
one query classifies every (person, module) pair of a scope; the dashboard counts over it and the day's kept
counts (progress.daily_counts) are made from it. Both import this module, neither imports the other's.
A person's roles are a bit mask over TRACK_ROLES (one bit per role that brings tracks).
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import Date, DateTime, Integer, String, and_, case, column, exists, func, literal, or_, select, values
from sqlalchemy.orm import Session, aliased

from course import rules
from course.content.loader import Course
from course.content.schema import Role
from progress.db import Database
from progress.models import ModuleState, Person, PersonRole, Unit
from progress.unit_tree import Scope, unit_filter
from progress.viewer import employed_sql

TRACK_ROLES: tuple[str, ...] = Role.__args__  # the roles that bring tracks; each is one bit of a person's mask


def live_counts(session: Session, course: Course, day: date) -> list[tuple[str, int, str, str, int]]:
    """(unit, role mask, module, status, people) for everyone in the organisation on `day`, classified now."""
    every_unit = {unit_id: unit_id for unit_id in session.scalars(select(Unit.id))}
    scope = Scope(every_unit, {}, None, day, everything=True)
    rows_query, status = status_rows(None, course, scope, session)
    if rows_query is None:
        return []
    r = rows_query.c
    query = (select(r.unit_id, r.mask, r.module_id, status, func.count())
             .group_by(r.unit_id, r.mask, r.module_id, status))
    return [(unit_id, int(mask), module_id, value, count) for unit_id, mask, module_id, value, count
            in session.execute(query)]


def role_mask(roles) -> int:
    return sum(1 << bit for bit, role in enumerate(TRACK_ROLES) if role in roles)


def status_rows(db: Database | None, course: Course, scope: Scope, session: Session | None = None):
    """A subquery of one row per active person in scope and assigned module, with the columns the status CASE
    reads (from the module states, the latest dates per person and module), and that CASE. (None, None) when
    nobody is in scope."""
    if not scope.groups:
        return None, None
    today = scope.today
    held = aliased(PersonRole)
    # A person's roles as a bit mask, looked up per person (cheaper than grouping a join of everyone's roles).
    mask = (select(func.coalesce(func.sum(case({role: 1 << bit for bit, role in enumerate(TRACK_ROLES)},
                                                value=held.role, else_=0)), 0))
            .where(held.person_id == Person.id).scalar_subquery())
    people = (select(Person.id.label("person_id"), Person.name, Person.start_date, Person.unit_id,
                     mask.label("mask"))
              .where(unit_filter(Person.unit_id, scope), employed_sql(today)))
    if scope.role:
        people = people.where(has_role(scope.role))
    people = people.subquery("scope_people")

    if session is not None:
        masks = [mask for (mask,) in session.execute(select(people.c.mask).distinct())]
    else:
        with db.read() as reading:
            masks = [mask for (mask,) in reading.execute(select(people.c.mask).distinct())]
    due_rules = rules_by_mask(course, masks)
    assigned = [(mask, module_id, cut.done_from, cut.overdue_before, cut.never_done_overdue_start_before)
                for mask, modules in due_rules.items() for module_id, rule in modules.items()
                for cut in [rules.status_cutoffs(today, rule)]]
    if not assigned:
        return None, None
    cutoffs = values(column("mask", Integer), column("module_id", String), column("done_from", DateTime),
                     column("overdue_before", DateTime), column("never_before", Date), name="cutoffs").data(
        assigned).cte("cutoffs")
    state = ModuleState
    waived_last = and_(state.last_waived_at.is_not(None),
                       or_(state.last_completed_at.is_(None), state.last_waived_at > state.last_completed_at))
    last_done = case((waived_last, state.last_waived_at), else_=state.last_completed_at)
    rows = (select(people.c.person_id, people.c.name, people.c.unit_id, people.c.start_date, people.c.mask,
                   cutoffs.c.module_id,
                   cutoffs.c.done_from, cutoffs.c.overdue_before, cutoffs.c.never_before,
                   last_done.label("last_done"), waived_last.label("via_diagnosis"),
                   state.last_started_at.label("last_start"))
            .join(cutoffs, cutoffs.c.mask == people.c.mask)
            .outerjoin(state, and_(state.person_id == people.c.person_id, state.module_id == cutoffs.c.module_id))
            ).subquery("person_modules")
    r = rows.c
    # The same order and comparisons as rules.status_by_cutoffs (tested equal to rules.module_status).
    status = case(
        (and_(r.last_done.is_not(None), r.last_done >= r.done_from),
         case((r.via_diagnosis, literal(rules.Status.WAIVED.value)), else_=literal(rules.Status.DONE.value))),
        (and_(r.last_done.is_not(None), r.last_done < r.overdue_before), literal(rules.Status.OVERDUE.value)),
        (and_(r.last_done.is_(None), r.start_date < r.never_before), literal(rules.Status.OVERDUE.value)),
        (and_(r.last_start.is_not(None), or_(r.last_done.is_(None), r.last_start > r.last_done)),
         literal(rules.Status.IN_PROGRESS.value)),
        else_=literal(rules.Status.NOT_STARTED.value))
    return rows, status


def has_role(role: str):
    held = aliased(PersonRole)  # its own alias: the people query joins person_roles for the mask already
    return exists().where(held.person_id == Person.id, held.role == role)


def rules_by_mask(course: Course, masks: Iterable[int]) -> dict[int, dict[str, rules.DueRules]]:
    """For each combination of roles present (a bit mask), the modules it must take and their due rules."""
    result = {}
    for mask in masks:
        roles = {role for bit, role in enumerate(TRACK_ROLES) if int(mask) & (1 << bit)}
        result[mask] = {a.module_id: a.due_rules for a in rules.assignments(course, roles)}
    return result
