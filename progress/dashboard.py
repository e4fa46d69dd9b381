"""The manager dashboard's figures, counted by the database.

Status per (person, module) is never loaded row by row: the rules (course.rules) are turned into fixed
cut-off instants per due-rule set (`rules.status_cutoffs`), and one GROUP BY query classifies and counts. The
people a manager sees are their units at every depth; the units (a few hundred rows) are read once and
grouped in Python, so the big tables are filtered by a small VALUES list instead of a recursive join.

Whom a figure covers is decided here, never by the page: `scope_for` derives the scope from the viewer's id
(the units they manage while employed, or one unit among them), and every figure refuses a scope it did not
make (NotPermitted).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Iterable

from sqlalchemy import (Date, DateTime, Integer, String, and_, case, column, exists, func, literal, or_, select,
                        true, values)
from sqlalchemy.orm import Session, aliased

from course import rules
from course.content.loader import Course
from course.content.schema import Role
from progress.access import SYSTEM, NotPermitted, Viewer, is_employed
from progress.db import Database
from progress import daily_counts
from progress.models import (Completion, DailyStatusCount, ModuleState, Person, PersonRole, TopicTally, Unit,
                             Waiver)
from progress.tallies import EVERYONE

TRACK_ROLES: tuple[str, ...] = Role.__args__  # the roles that bring tracks; each is one bit of a person's mask


@dataclass(frozen=True)
class UnitInfo:
    id: str
    name: str
    kind: str
    parent_id: str | None
    manager_id: str | None


@dataclass(frozen=True)
class Scope:
    """Whom a figure covers: the units under `roots` at every depth (the manager's units, or one chosen unit in
    them), optionally only people with `role`. Figures are grouped by `groups`: each unit to the unit one level
    under a root that contains it (the root itself for people directly in it), which is the dashboard's drill-
    down: choose a unit and its sub-units become the bars."""

    groups: dict[str, str]  # unit id -> group unit id
    names: dict[str, str]  # group unit id -> name
    role: str | None = None
    today: date = field(default_factory=date.today)
    everything: bool = False  # every unit of the organisation is in scope: no unit filter is needed
    unit_names: dict[str, str] = field(default_factory=dict)  # every unit in scope by id
    units_outside: tuple[str, ...] = ()  # the organisation's other units: the shorter list to filter by, often
    viewer_id: Viewer = None  # whom scope_for made it for
    issued: object = field(default=None, repr=False, compare=False)  # scope_for's mark; see _checked

    @property
    def unit_ids(self) -> list[str]:
        return list(self.groups)


def load_units(db: Database) -> dict[str, UnitInfo]:
    with db.read() as session:
        return {row.id: UnitInfo(row.id, row.name, row.kind, row.parent_id, row.manager_id)
                for row in session.execute(select(Unit.id, Unit.name, Unit.kind, Unit.parent_id, Unit.manager_id))}


def managed_roots(units: dict[str, UnitInfo], manager_id: str) -> list[str]:
    """The units a manager manages that are not under another unit they manage."""
    managed = {unit_id for unit_id, unit in units.items() if unit.manager_id == manager_id}
    return sorted(unit_id for unit_id in managed if not (_ancestors(units, unit_id) & managed))


def _ancestors(units: dict[str, UnitInfo], unit_id: str) -> set[str]:
    found, current = set(), units[unit_id].parent_id
    while current is not None and current in units and current not in found:
        found.add(current)
        current = units[current].parent_id
    return found


def children(units: dict[str, UnitInfo]) -> dict[str | None, list[str]]:
    result: dict[str | None, list[str]] = {}
    for unit in units.values():
        result.setdefault(unit.parent_id, []).append(unit.id)
    return result


def make_scope(units: dict[str, UnitInfo], roots: Iterable[str], role: str | None = None,
               today: date | None = None) -> Scope:
    below = children(units)
    groups: dict[str, str] = {}
    names: dict[str, str] = {}
    for root in roots:
        groups[root] = root
        names[root] = units[root].name
        for child in below.get(root, []):
            names[child] = units[child].name
            stack = [child]
            while stack:
                unit_id = stack.pop()
                if unit_id not in groups:
                    groups[unit_id] = child
                    stack.extend(below.get(unit_id, []))
    return Scope(groups, names, role, today or date.today(), everything=set(groups) >= set(units),
                 unit_names={unit_id: units[unit_id].name for unit_id in groups},
                 units_outside=tuple(sorted(set(units) - set(groups))))


def subtree_of(units: dict[str, UnitInfo], roots: Iterable[str]) -> set[str]:
    return set(make_scope(units, roots).groups)


_ISSUED = object()  # only scope_for puts this in a Scope: a scope built elsewhere (a page) is refused


def scope_for(db: Database, viewer_id: Viewer, unit_id: str | None = None, role: str | None = None,
              today: date | None = None, units: dict[str, UnitInfo] | None = None) -> Scope:
    """The scope of the viewer's dashboard, from the store: the units they manage (at every depth) while they
    are employed on `today`, or `unit_id` when it is one of them; the whole organisation for the operator
    (access.SYSTEM). A unit outside the viewer's, or a viewer who has left, raises NotPermitted; a viewer who
    manages nothing gets an empty scope. `units` (load_units) saves reading them again."""
    today = today or date.today()
    with db.read() as session:
        if not is_employed(session, viewer_id, today):
            raise NotPermitted(f"{viewer_id!r} is not employed on {today}")
    units = units if units is not None else load_units(db)
    if viewer_id is SYSTEM:
        roots = sorted(u.id for u in units.values() if u.parent_id is None or u.parent_id not in units)
    else:
        roots = managed_roots(units, viewer_id)
    if unit_id is not None:
        if unit_id not in subtree_of(units, roots):
            raise NotPermitted(f"{unit_id!r} is not under {viewer_id!r}")
        roots = [unit_id]
    scope = make_scope(units, roots, role, today)
    return replace(scope, viewer_id=viewer_id, issued=_ISSUED)


def _checked(scope: Scope) -> Scope:
    if scope.issued is not _ISSUED:
        raise NotPermitted("a dashboard scope must come from dashboard.scope_for")
    return scope


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
    _checked(scope)
    if not list_overdue:
        return StatusOverview(_kept_counts(db, course, scope), [])
    rows_query, status = _status_rows(db, course, scope)
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
    due_rules = _rules_by_mask(course, {row[-1] for row in late})
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
                    _in_scope(kept.unit_id, scope))
             .group_by(kept.unit_id, kept.module_id, kept.status))
    if scope.role:
        query = query.where(kept.mask.op("&")(1 << TRACK_ROLES.index(scope.role)) != 0)
    totals: dict[tuple[str, str, str], int] = {}
    with db.read() as session:
        for unit_id, module_id, value, count in session.execute(query):
            if count and unit_id in scope.groups:
                key_ = (scope.groups[unit_id], module_id, value)
                totals[key_] = totals.get(key_, 0) + int(count)
    return [StatusCount(group_id, scope.names.get(group_id, group_id), module_id, rules.Status(value), count)
            for (group_id, module_id, value), count in totals.items()]


def live_counts(session: Session, course: Course, day: date) -> list[tuple[str, int, str, str, int]]:
    """(unit, role mask, module, status, people) for everyone in the organisation on `day`, classified now."""
    every_unit = {unit_id: unit_id for unit_id in session.scalars(select(Unit.id))}
    scope = Scope(every_unit, {}, None, day, everything=True)
    rows_query, status = _status_rows(None, course, scope, session)
    if rows_query is None:
        return []
    r = rows_query.c
    query = (select(r.unit_id, r.mask, r.module_id, status, func.count())
             .group_by(r.unit_id, r.mask, r.module_id, status))
    return [(unit_id, int(mask), module_id, value, count) for unit_id, mask, module_id, value, count
            in session.execute(query)]


def role_mask(roles) -> int:
    return sum(1 << bit for bit, role in enumerate(TRACK_ROLES) if role in roles)


def _in_scope(unit_column, scope: Scope):
    """The unit filter: none when the scope is every unit there is, else the shorter of "one of these" and
    "none of those" (the top manager's scope is nearly every unit)."""
    if scope.everything:
        return true()
    if len(scope.units_outside) < len(scope.groups):
        return unit_column.not_in(scope.units_outside)
    return unit_column.in_(scope.unit_ids)


def _status_rows(db: Database | None, course: Course, scope: Scope, session: Session | None = None):
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
              .where(_in_scope(Person.unit_id, scope), Person.start_date <= today,
                     or_(Person.end_date.is_(None), Person.end_date >= today)))
    if scope.role:
        people = people.where(_has_role(scope.role))
    people = people.subquery("scope_people")

    if session is not None:
        masks = [mask for (mask,) in session.execute(select(people.c.mask).distinct())]
    else:
        with db.read() as reading:
            masks = [mask for (mask,) in reading.execute(select(people.c.mask).distinct())]
    due_rules = _rules_by_mask(course, masks)
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


def _has_role(role: str):
    held = aliased(PersonRole)  # its own alias: the people query joins person_roles for the mask already
    return exists().where(held.person_id == Person.id, held.role == role)


def _rules_by_mask(course: Course, masks: Iterable[int]) -> dict[int, dict[str, rules.DueRules]]:
    """For each combination of roles present (a bit mask), the modules it must take and their due rules."""
    result = {}
    for mask in masks:
        roles = {role for bit, role in enumerate(TRACK_ROLES) if int(mask) & (1 << bit)}
        result[mask] = {a.module_id: a.due_rules for a in rules.assignments(course, roles)}
    return result


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


def _people_in_scope(scope: Scope):
    query = select(Person.id).where(_in_scope(Person.unit_id, scope),
                                    or_(Person.end_date.is_(None), Person.end_date >= scope.today))
    if scope.role:
        query = query.where(_has_role(scope.role))
    return query


def _people_filter(scope: Scope):
    """A filter on a person id column: the people in scope. For (nearly) the whole organisation without a role
    filter, "not one of those who have left or work elsewhere", a short list, instead of "one of everyone"."""
    if not scope.role and (scope.everything or len(scope.units_outside) < len(scope.groups)):
        outside = select(Person.id).where(or_(Person.end_date < scope.today, Person.unit_id.in_(scope.units_outside)))
        return lambda person_id: person_id.not_in(outside)
    people = _people_in_scope(scope)
    return lambda person_id: person_id.in_(people)


def people_count(db: Database, scope: Scope) -> int:
    if not _checked(scope).groups:
        return 0
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(_people_in_scope(scope).subquery()))


SCORE_BUCKETS = (0, 50, 60, 70, 80, 90, 100)  # lower bounds, percent


@dataclass(frozen=True)
class Completed:
    by_month: list[tuple[str, int]]  # 'YYYY-MM', modules completed or passed by the diagnostic
    scores: list[tuple[int, int]]  # the lower bound of each score bucket, completions in it


def completed_in_period(db: Database, scope: Scope, start: date, end: date,
                        module_id: str | None = None) -> Completed:
    """Modules completed (or passed by the diagnostic) per month, and the completions' scores in buckets, by
    the people in scope, in one scan of the period's completions and one of its waivers."""
    if not _checked(scope).groups:
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
    def share(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


def topic_heatmap(db: Database, scope: Scope, start: date, end: date) -> list[TopicCell]:
    """Correct first answers per group and topic in the period, from the topic tallies (a few rows per unit)."""
    if not _checked(scope).groups:
        return []
    query = (select(TopicTally.unit_id, TopicTally.topic, func.sum(TopicTally.answered), func.sum(TopicTally.correct))
             .where(_in_scope(TopicTally.unit_id, scope), TopicTally.role == (scope.role or EVERYONE),
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
