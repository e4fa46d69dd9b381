"""The manager dashboard's figures, counted by the database.

Status per (person, module) is never loaded row by row: progress.status_counts classifies every pair of a
scope in one query, and the figures here group and count over it. Whom a figure covers is a Scope from
progress.unit_tree (`unit_tree.scope_for`); every figure refuses a scope that did not come from there (NotPermitted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.orm import Session

from course import rules
from course.content.loader import Course
from progress import daily_counts, status_counts, unit_tree
from progress.db import Database
from progress.models import (Completion, DailyStatusCount, GroupSession, GroupSessionRecord, Person, PersonRole,
                             TopicTally, Waiver)
from progress.tallies import EVERYONE
from progress.unit_tree import Scope, unit_filter

# --- status ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusCount:
    group_id: str
    group_name: str
    module_id: str
    status: rules.Status
    count: int


@dataclass(frozen=True)
class OverdueRow:
    person_id: str
    name: str
    unit_name: str
    module_id: str
    due: date


@dataclass(frozen=True)
class StatusOverview:
    counts: list[StatusCount]
    overdue: list[OverdueRow]  # the longest overdue first


def status_overview(db: Database, course: Course, scope: Scope, list_overdue: bool = True) -> StatusOverview:
    """People per group, module and status, and (with `list_overdue`) the overdue people with their due dates,
    from one pass: the database classifies every (person, module) row the rules define and groups them by unit,
    module and status, keeping the overdue ones apart person by person; units are added up into groups here."""
    unit_tree.checked(scope)
    if not list_overdue:
        return StatusOverview(_kept_counts(db, course, scope), [])
    rows_query, status = status_counts.status_rows(db, course, scope)
    if rows_query is None:
        return StatusOverview([], [])
    r = rows_query.c
    late_person = case((status == rules.Status.OVERDUE.value, r.person_id), else_=None)
    query = (select(r.unit_id, r.module_id, status.label("status"), late_person.label("late_person"),
                    func.max(r.name), func.max(r.start_date), func.max(r.last_done), func.max(r.mask), func.count())
             .group_by(r.unit_id, r.module_id, status, late_person))
    totals: dict[tuple[str, str, str], int] = {}
    late = []
    with db.read() as session:
        for unit_id, module_id, value, person_id, name, start_date, last_done, mask, count in session.execute(query):
            key = (scope.groups[unit_id], module_id, value)
            totals[key] = totals.get(key, 0) + count
            if person_id is not None:
                late.append((person_id, name, unit_id, module_id, _as_date(start_date), _as_datetime(last_done),
                             mask))
    due_rules = status_counts.rules_by_mask(course, {row[-1] for row in late})
    overdue = [OverdueRow(person_id, name, scope.unit_names.get(unit_id, unit_id), module_id,
                          rules.due_date(start_date, last_done, due_rules[mask][module_id]))
               for person_id, name, unit_id, module_id, start_date, last_done, mask in late]
    overdue.sort(key=lambda row: (row.due, row.name))
    counts = [StatusCount(group_id, scope.names.get(group_id, group_id), module_id, rules.Status(value), count)
              for (group_id, module_id, value), count in totals.items()]
    return StatusOverview(counts, overdue)


def _kept_counts(db: Database, course: Course, scope: Scope) -> list[StatusCount]:
    """The counts from the day's kept counts (progress.daily_counts): a few thousand rows, not 300,000."""
    if not scope.groups:
        return []
    key = daily_counts.ensure(db, course, scope.today)
    kept = DailyStatusCount
    query = (select(kept.unit_id, kept.module_id, kept.status, func.sum(kept.count))
             .where(kept.day == scope.today, kept.rules_key == key, kept.module_id != daily_counts.MADE,
                    unit_filter(kept.unit_id, scope))
             .group_by(kept.unit_id, kept.module_id, kept.status))
    if scope.role:
        query = query.where(kept.mask.op("&")(1 << status_counts.TRACK_ROLES.index(scope.role)) != 0)
    totals: dict[tuple[str, str, str], int] = {}
    with db.read() as session:
        for unit_id, module_id, value, count in session.execute(query):
            if count and unit_id in scope.groups:
                key_ = (scope.groups[unit_id], module_id, value)
                totals[key_] = totals.get(key_, 0) + int(count)
    return [StatusCount(group_id, scope.names.get(group_id, group_id), module_id, rules.Status(value), count)
            for (group_id, module_id, value), count in totals.items()]


def _as_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))  # SQLite returns max() over a CASE of datetimes as text


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- over time, scores, topics ---------------------------------------------------------------------------------

def _month(session: Session, column_):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column_, "YYYY-MM")
    return func.substr(column_, 1, 7)  # SQLite keeps a datetime as 'YYYY-MM-DD HH:MM:SS...' text


def _peopleunit_filter(scope: Scope):
    query = select(Person.id).where(unit_filter(Person.unit_id, scope),
                                    or_(Person.end_date.is_(None), Person.end_date >= scope.today))
    if scope.role:
        query = query.where(status_counts.has_role(scope.role))
    return query


def _people_filter(scope: Scope):
    """A filter on a person id column: the people in scope. For (nearly) the whole organisation without a role
    filter, "not one of those who have left or work elsewhere", a short list, instead of "one of everyone"."""
    if not scope.role and (scope.everything or len(scope.units_outside) < len(scope.groups)):
        outside = select(Person.id).where(or_(Person.end_date < scope.today, Person.unit_id.in_(scope.units_outside)))
        return lambda person_id: person_id.not_in(outside)
    people = _peopleunit_filter(scope)
    return lambda person_id: person_id.in_(people)


def people_count(db: Database, scope: Scope) -> int:
    if not unit_tree.checked(scope).groups:
        return 0
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(_peopleunit_filter(scope).subquery()))


SCORE_BUCKETS = (0, 50, 60, 70, 80, 90, 100)  # lower bounds, percent


@dataclass(frozen=True)
class Completed:
    by_month: list[tuple[str, int]]  # 'YYYY-MM', modules completed or passed by the diagnostic
    scores: list[tuple[int, int]]  # the lower bound of each score bucket, completions in it


def completed_in_period(db: Database, scope: Scope, start: date, end: date,
                        module_id: str | None = None) -> Completed:
    """Modules completed (or passed by the diagnostic) per month, and the completions' scores in buckets, by
    the people in scope, in one scan of the period's completions and one of its waivers."""
    if not unit_tree.checked(scope).groups:
        return Completed([], [(bound, 0) for bound in SCORE_BUCKETS])
    low, high = datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())
    bucket = case(*[(Completion.score_percent >= bound, bound) for bound in reversed(SCORE_BUCKETS[1:])], else_=0)
    with db.read() as session:
        people = _people_filter(scope)
        done = (select(_month(session, Completion.completed_at).label("month"), bucket.label("bucket"), func.count())
                .where(people(Completion.person_id), Completion.completed_at >= low, Completion.completed_at < high))
        waived = (select(_month(session, Waiver.waived_at).label("month"), func.count())
                  .where(people(Waiver.person_id), Waiver.waived_at >= low, Waiver.waived_at < high))
        if module_id:
            done = done.where(Completion.module_id == module_id)
            waived = waived.where(Waiver.module_id == module_id)
        months: dict[str, int] = {}
        scores: dict[int, int] = {}
        for month, bound, count in session.execute(done.group_by("month", "bucket")):
            months[month] = months.get(month, 0) + count
            scores[bound] = scores.get(bound, 0) + count
        for month, count in session.execute(waived.group_by("month")):
            months[month] = months.get(month, 0) + count
    return Completed(sorted(months.items()), [(bound, scores.get(bound, 0)) for bound in SCORE_BUCKETS])


@dataclass(frozen=True)
class TopicCell:
    group_id: str
    group_name: str
    topic: str
    answered: int
    correct: int

    @property
    def share(self) -> float | None:
        return rules.share(self.correct, self.answered)


def topic_heatmap(db: Database, scope: Scope, start: date, end: date) -> list[TopicCell]:
    """Correct first answers per group and topic in the period, from the topic tallies (a few rows per unit)."""
    if not unit_tree.checked(scope).groups:
        return []
    query = (select(TopicTally.unit_id, TopicTally.topic, func.sum(TopicTally.answered), func.sum(TopicTally.correct))
             .where(unit_filter(TopicTally.unit_id, scope), TopicTally.role == (scope.role or EVERYONE),
                    TopicTally.month >= date(start.year, start.month, 1), TopicTally.month <= end)
             .group_by(TopicTally.unit_id, TopicTally.topic))
    totals: dict[tuple[str, str], list[int]] = {}
    with db.read() as session:
        for unit_id, topic, answered, correct in session.execute(query):
            if unit_id not in scope.groups:  # a unit that no longer exists
                continue
            counts = totals.setdefault((scope.groups[unit_id], topic), [0, 0])
            counts[0] += int(answered)
            counts[1] += int(correct)
    return [TopicCell(group_id, scope.names.get(group_id, group_id), topic, answered, correct)
            for (group_id, topic), (answered, correct) in totals.items()]


# --- group sessions at the workplace meeting (APT) -------------------------------------------------------------

LATEST_GROUP_SESSIONS = 8


@dataclass(frozen=True)
class GroupSessionLine:
    session_id: int
    held_on: date
    scenario_id: str  # the scenario played, in its language
    facilitator_id: str
    facilitator_name: str  # untrusted text (from the HR file): draw it as text
    participants: int  # everyone confirmed for the session
    ending: str | None  # 'bra', 'delvis' or 'svag'; None when it ended before one


@dataclass(frozen=True)
class GroupActivity:
    sessions: int  # held, with at least one person confirmed
    people: int  # different people confirmed
    latest: tuple[GroupSessionLine, ...] = ()  # newest first


def group_sessions_in_period(db: Database, scope: Scope, start: date, end: date, module_id: str | None = None,
                             limit: int = LATEST_GROUP_SESSIONS) -> GroupActivity:
    """The group sessions held for the scope's units (the unit a session was led for) from `start` to `end` by
    the meeting's day: a session counts once someone is confirmed as having taken part, and everyone confirmed
    counts, from whichever unit they came. With the scope's role, only the confirmed people with that role
    count (and the sessions they took part in); with `module_id`, only sessions of that module. Two queries
    over the records, whatever the number of sessions."""
    if not unit_tree.checked(scope).groups:
        return GroupActivity(0, 0)
    record = GroupSessionRecord
    conditions = [unit_filter(GroupSession.unit_id, scope), record.held_on >= start, record.held_on <= end]
    if module_id:
        conditions.append(record.module_id == module_id)
    if scope.role:
        conditions.append(record.person_id.in_(select(PersonRole.person_id).where(PersonRole.role == scope.role)))
    held = select(record).join(GroupSession, GroupSession.id == record.session_id).where(*conditions).subquery()
    totals = select(func.count(distinct(held.c.session_id)), func.count(distinct(held.c.person_id)))
    # every record of a session says the same day, scenario, facilitator, number and ending: one line a session
    latest = (select(held.c.session_id, held.c.held_on, held.c.scenario_id, held.c.facilitator_id, Person.name,
                     held.c.participants, held.c.ending)
              .select_from(held).join(Person, Person.id == held.c.facilitator_id).distinct()
              .order_by(held.c.held_on.desc(), held.c.session_id.desc()).limit(limit))
    with db.read() as session:
        sessions, people = session.execute(totals).one()
        lines = tuple(GroupSessionLine(*row) for row in session.execute(latest))
    return GroupActivity(int(sessions or 0), int(people or 0), lines)
