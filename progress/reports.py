"""Aggregate queries for managers. The database groups (one row per person and module); course.rules turns
those rows into a status; the view only shapes and draws.

`team_status` and `team_misconceptions` take the viewer and derive whom they cover from the store (the units the
viewer manages, at every depth, while employed); `scope_status` and `scope_misconceptions` cover a dashboard
Scope (unit_tree.scope_for: its units and its role). `status_rows` is the unchecked building block for store
functions that have checked the right themselves (views never call it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from course import group, rules
from course.content.loader import Course
from progress.access import Viewer, require_admin, require_employed
from progress.db import Database
from progress.models import Attempt, Completion, GroupSessionRecord, Person, PersonRole, Step, Unit, Waiver
from progress.status_counts import has_role
from progress.unit_tree import Scope, checked, managed_units_query, unit_filter
from progress.viewer import employed_sql


@dataclass(frozen=True)
class StatusRow:
    person_id: str
    name: str
    unit_name: str
    module_id: str
    status: rules.Status
    due: date | None
    last_completed_at: datetime | None
    last_score: float | None
    email: str | None = None
    unit_id: str | None = None


def team_status(db: Database, course: Course, viewer_id: Viewer, today: date,
                unit_ids: list[str] | None = None) -> list[StatusRow]:
    """Status per person and assigned module for everyone in the viewer's units (or the given ones among
    them: a unit elsewhere adds no one), the viewer excluded. Raises NotPermitted for a viewer not employed
    today."""
    with db.read() as session:
        require_employed(session, viewer_id, today)
    return status_rows(db, course, today, manager_id=viewer_id, unit_ids=unit_ids)


def scope_status(db: Database, course: Course, scope: Scope) -> list[StatusRow]:
    """Status per person and assigned module on the scope's day for the people the dashboard's figures cover:
    in the scope's units, with its role when it has one; the viewer excluded, as in team_status. NotPermitted
    for a scope that unit_tree.scope_for did not make (it has checked the viewer)."""
    checked(scope)
    return _status_rows(db, course, scope.today, unit_filter(Person.unit_id, scope), _scope_people(scope))


def _scope_people(scope: Scope) -> list:
    """The conditions on Person, beside the unit filter, that narrow a scope: its role, the viewer left out."""
    conditions = [has_role(scope.role)] if scope.role else []
    if isinstance(scope.viewer_id, str):  # access.SYSTEM is no person
        conditions.append(Person.id != scope.viewer_id)
    return conditions


def status_rows(db: Database, course: Course, today: date, *, manager_id: str | None = None,
                person_ids: list[str] | None = None, unit_ids: list[str] | None = None) -> list[StatusRow]:
    """Unchecked: for store functions that have checked the right. Status per person and assigned module on
    `today`: for the people under `manager_id`, or the `person_ids`, or (with neither) everyone. People who
    have left (an end date before today) are out. Records made after `today` are not counted, so a past day
    gives the status as it was then (the annual report's year end).
    One row per person and module, so use it for lists; the dashboard counts in the database instead."""
    if manager_id is not None:
        people_filter = Person.unit_id.in_(managed_units_query(manager_id).scalar_subquery())
        extra = [Person.id != manager_id]
        if unit_ids is not None:  # narrowed to some of the manager's units
            extra.append(Person.unit_id.in_(unit_ids))
    elif person_ids is not None:
        people_filter, extra = Person.id.in_(person_ids), []
    else:
        people_filter, extra = Person.id.is_not(None), []
    return _status_rows(db, course, today, people_filter, extra)


def _status_rows(db: Database, course: Course, today: date, people_filter, extra: list) -> list[StatusRow]:
    """status_rows for the people `people_filter` selects (their records are read by it), narrowed by `extra`."""
    until = datetime.combine(today + timedelta(days=1), time())
    scope = select(Person.id).where(people_filter)
    with db.read() as session:
        people = session.execute(
            select(Person.id, Person.name, Person.start_date, Unit.name, Person.email, Person.unit_id)
            .join(Unit, Person.unit_id == Unit.id)
            .where(people_filter, *extra, employed_sql(today))
        ).all()
        roles: dict[str, set[str]] = {}
        for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)
                                               .where(PersonRole.person_id.in_(scope))):
            roles.setdefault(person_id, set()).add(role)
        last_done = {(p, m): (at, score) for p, m, at, score in session.execute(_latest_completions(scope, until))}
        last_waived = {(p, m): at for p, m, at in session.execute(
            select(Waiver.person_id, Waiver.module_id, func.max(Waiver.waived_at))
            .where(Waiver.person_id.in_(scope), Waiver.waived_at < until)
            .group_by(Waiver.person_id, Waiver.module_id))}
        last_start: dict[tuple[str, str], datetime] = {}
        for p, m, at in session.execute(
                select(Attempt.person_id, Attempt.module_id, func.max(Attempt.started_at))
                .where(Attempt.person_id.in_(scope), Attempt.kind.in_(("scenario", "quiz")), Attempt.started_at < until)
                .group_by(Attempt.person_id, Attempt.module_id)):
            key = (p, course.base_of(m) if m in course.modules else m)  # a translation counts for its original
            last_start[key] = max(at, last_start.get(key, at))
        # a confirmed group session starts the module too, where it counts for the scenario part (as states.py)
        counting = [m for m in course.modules if group.counts_for(course.group_sessions, m) == group.SCENARIO_PART]
        if counting:
            for p, m, at in session.execute(
                    select(GroupSessionRecord.person_id, GroupSessionRecord.module_id,
                           func.max(GroupSessionRecord.confirmed_at))
                    .where(GroupSessionRecord.person_id.in_(scope), GroupSessionRecord.module_id.in_(counting),
                           GroupSessionRecord.confirmed_at < until)
                    .group_by(GroupSessionRecord.person_id, GroupSessionRecord.module_id)):
                last_start[(p, m)] = max(at, last_start.get((p, m), at))
    rows = []
    for person_id, name, start_date, unit_name, email, unit_id in people:
        for assignment in rules.assignments(course, roles.get(person_id, ())):
            key = (person_id, assignment.module_id)
            done = rules.last_done(*last_done.get(key, (None, None)), last_waived.get(key))
            started_at = last_start.get(key)
            started_since = started_at is not None and (done.at is None or started_at > done.at)
            due = rules.due_date(start_date, done.at, assignment.due_rules)
            rows.append(StatusRow(person_id, name, unit_name, assignment.module_id,
                                  rules.module_status(today, due, done.at, started_since, done.via_diagnosis), due,
                                  done.at, done.score, email, unit_id))
    return rows


def _latest_completions(people, until: datetime):
    """Latest completion per person and module before `until`, with its score: a GROUP BY joined back to its row."""
    latest = (select(Completion.person_id, Completion.module_id, func.max(Completion.completed_at).label("at"))
              .where(Completion.person_id.in_(people), Completion.completed_at < until)
              .group_by(Completion.person_id, Completion.module_id).subquery())
    return (select(Completion.person_id, Completion.module_id, Completion.completed_at, Completion.score_percent)
            .join(latest, (Completion.person_id == latest.c.person_id) & (Completion.module_id == latest.c.module_id)
                  & (Completion.completed_at == latest.c.at)))


def store_counts(db: Database, viewer_id: Viewer) -> dict[str, int]:
    """How many people, attempts and completions the store holds: for admins."""
    require_admin(db, viewer_id)
    with db.read() as session:
        return {name: session.scalar(select(func.count()).select_from(model))
                for name, model in (("people", Person), ("attempts", Attempt), ("completions", Completion))}


@dataclass(frozen=True)
class MisconceptionRow:
    person_id: str
    name: str
    topic: str
    count: int


def team_misconceptions(db: Database, course: Course, viewer_id: Viewer, unit_ids: list[str] | None = None,
                        today: date | None = None) -> list[MisconceptionRow]:
    """Sure-but-wrong answers per person and topic, for the manager's talking points: the people employed today
    in the viewer's units (or the given ones among them). Only the topic and a count leave this function: which
    answer a person gave to which question is not the manager's to see. Raises NotPermitted for a viewer not
    employed today."""
    today = today or date.today()
    units = managed_units_query(viewer_id).scalar_subquery()
    narrowed = [Person.unit_id.in_(unit_ids)] if unit_ids is not None else []
    with db.read() as session:
        require_employed(session, viewer_id, today)
        return _misconceptions(session, course, today, [Person.unit_id.in_(units), *narrowed, Person.id != viewer_id])


def scope_misconceptions(db: Database, course: Course, scope: Scope) -> list[MisconceptionRow]:
    """team_misconceptions for the people a dashboard Scope covers (its units, its role), the viewer excluded.
    NotPermitted for a scope that unit_tree.scope_for did not make."""
    checked(scope)
    with db.read() as session:
        return _misconceptions(session, course, scope.today,
                               [unit_filter(Person.unit_id, scope), *_scope_people(scope)])


def _misconceptions(session, course: Course, today: date, people: list) -> list[MisconceptionRow]:
    """Sure-but-wrong answers per person and topic by the people employed on `today` whom `people` select."""
    rows = session.execute(
        select(Attempt.person_id, Person.name, Step.item, func.count())
        .join(Attempt, Step.attempt_id == Attempt.id).join(Person, Person.id == Attempt.person_id)
        .where(*people, Step.correct.is_(False), Step.confidence == 3, employed_sql(today))
        .group_by(Attempt.person_id, Person.name, Step.item)).all()
    counts: dict[tuple[str, str, str], int] = {}
    for person_id, name, question_id, count in rows:
        question = course.questions.get(question_id)
        if question is not None:
            key = (person_id, name, question.topic)
            counts[key] = counts.get(key, 0) + count
    return [MisconceptionRow(p, n, topic, c) for (p, n, topic), c in sorted(counts.items())]
