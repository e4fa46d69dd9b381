"""Min enhet: every table and figure the manager's dashboard shows, for one scope and filter, from the store.

As progress/talk.py does for the talk page: the page asks once and draws what it gets. The counting is
progress.dashboard's (database queries over the scope that unit_tree.scope_for made); this module shapes the
counts into what is shown: the totals, one row per unit, every month of the period, the score buckets with
their labels, the heat map's grid, the topics weakest first, the overdue list with days late and, for a scope
small enough to list, the people table and the talking points (the same units and role as the figures), and
the group sessions held at the units' workplace meetings in the period. The rules (what is done, what is
overdue, the order of the statuses) are course.rules'. `module_choices` is the page's module filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from course.content.loader import Course
from course.rules import DONE_STATUSES, STATUS_ORDER, Status, share
from progress import dashboard, reports
from progress.analytics_queries import TopicAnswers
from progress.dashboard import GroupActivity
from progress.db import Database
from progress.reports import MisconceptionRow
from progress.unit_tree import Scope


@dataclass(frozen=True)
class UnitStatus:
    """One row of the completion table and one bar of its chart: a unit's assignments by status."""

    name: str
    counts: tuple[int, ...]  # in STATUS_ORDER


@dataclass(frozen=True)
class ScoreBucket:
    low: int  # percent
    high: int  # percent, included
    count: int

    @property
    def label(self) -> str:
        return f"{self.low} %" if self.low == self.high else f"{self.low}–{self.high} %"


@dataclass(frozen=True)
class OverdueLine:
    person_id: str
    name: str
    unit_name: str
    module_id: str
    due: date
    days_late: int


@dataclass(frozen=True)
class HeatMap:
    """The heat map as it is drawn: a topic per row (weakest first), a unit per column (by name), each cell the
    percent of correct first answers, None where the unit has no answers on the topic."""

    topics: tuple[str, ...]  # topic ids
    groups: tuple[str, ...]  # unit names
    percent: tuple[tuple[float | None, ...], ...]  # per topic, per unit


@dataclass(frozen=True)
class PersonLine:
    """One row of the people table: a person and one module they must take."""

    person_id: str
    name: str
    unit_name: str
    module_id: str
    status: Status
    due: date | None
    completed: date | None  # the day of the latest completion (or waiver)
    score: float | None


@dataclass(frozen=True)
class UnitPage:
    assignments: int
    done: int
    overdue_count: int
    by_unit: tuple[UnitStatus, ...]  # by unit name
    by_month: tuple[tuple[str, int], ...]  # every month of the period ('YYYY-MM'), with its completions
    scores: tuple[ScoreBucket, ...]
    heat_map: HeatMap  # per unit and topic; no topics when nobody answered
    topics: tuple[TopicAnswers, ...]  # the whole scope, weakest first
    overdue: tuple[OverdueLine, ...]  # the longest overdue first; empty when people are not listed
    people: tuple[PersonLine, ...] = ()  # by status (STATUS_ORDER), then due date; empty when not listed
    misconceptions: tuple[MisconceptionRow, ...] = ()  # the talking points; empty when people are not listed
    group_sessions: GroupActivity = field(default_factory=lambda: GroupActivity(0, 0))  # in the period, at APT

    @property
    def share_done(self) -> float | None:
        return share(self.done, self.assignments)


def unit_page(db: Database, course: Course, scope: Scope, module_id: str | None, start: date, end: date,
              today: date, list_people: bool) -> UnitPage:
    """The dashboard for `scope` (only `module_id` when given) over `start`–`end`; the overdue people, the people
    table and the talking points only with `list_people` (a list of thousands helps no one). The people are
    the scope's (its units and role) but the viewer; the talking points cover every module."""
    overview = dashboard.status_overview(db, course, scope, list_overdue=list_people)
    counts = [c for c in overview.counts if module_id is None or c.module_id == module_id]
    per_unit: dict[str, dict[Status, int]] = {}
    for c in counts:
        row = per_unit.setdefault(c.group_name, {})
        row[c.status] = row.get(c.status, 0) + c.count
    by_unit = tuple(UnitStatus(name, tuple(row.get(status, 0) for status in STATUS_ORDER))
                    for name, row in sorted(per_unit.items()))
    completed = dashboard.completed_in_period(db, scope, start, end, module_id)
    cells = tuple(dashboard.topic_heatmap(db, scope, start, end))
    overdue = tuple(OverdueLine(o.person_id, o.name, o.unit_name, o.module_id, o.due, (today - o.due).days)
                    for o in overview.overdue if module_id is None or o.module_id == module_id)
    topics = topic_totals(cells)
    people = people_lines(reports.scope_status(db, course, scope), module_id) if list_people else ()
    misconceptions = tuple(reports.scope_misconceptions(db, course, scope)) if list_people else ()
    # names only who led each session, not who took part: shown for a scope of any size
    group_sessions = dashboard.group_sessions_in_period(db, scope, start, end, module_id)
    return UnitPage(assignments=sum(c.count for c in counts),
                    done=sum(c.count for c in counts if c.status in DONE_STATUSES),
                    overdue_count=sum(c.count for c in counts if c.status == Status.OVERDUE),
                    by_unit=by_unit, by_month=every_month(start, end, dict(completed.by_month)),
                    scores=score_buckets(completed.scores), heat_map=heat_map(cells, topics), topics=topics,
                    overdue=overdue, people=people, misconceptions=misconceptions, group_sessions=group_sessions)


def module_choices(course: Course, language: str = "sv") -> tuple[str, ...]:
    """The modules the page can be narrowed to: every module of a track, by its title in `language`."""
    return tuple(sorted({m for track in course.tracks.values() for m in track.modules},
                        key=lambda m: course.module_title(m, language)))


def people_lines(rows, module_id: str | None = None) -> tuple[PersonLine, ...]:
    """The people table from status rows (only `module_id` when given): by status in STATUS_ORDER, then by due
    date, the ones without one last."""
    lines = [PersonLine(row.person_id, row.name, row.unit_name, row.module_id, row.status, row.due,
                        _day(row.last_completed_at), row.last_score)
             for row in rows if module_id is None or row.module_id == module_id]
    return tuple(sorted(lines, key=lambda line: (STATUS_ORDER.index(line.status), line.due is None,
                                                 line.due or date.min)))


def _day(at: datetime | date | None) -> date | None:
    return at.date() if isinstance(at, datetime) else at


def heat_map(cells, topics: tuple[TopicAnswers, ...]) -> HeatMap:
    """The grid of the heat map: the rows in the order of `topics` (weakest first), the units by name."""
    groups = sorted({(cell.group_name, cell.group_id) for cell in cells})
    column = {group_id: index for index, (_, group_id) in enumerate(groups)}
    grid = {row.topic: [None] * len(groups) for row in topics}
    for cell in cells:
        if cell.topic in grid:
            share = cell.share
            grid[cell.topic][column[cell.group_id]] = None if share is None else 100 * share
    return HeatMap(tuple(grid), tuple(name for name, _ in groups), tuple(tuple(row) for row in grid.values()))


def every_month(start: date, end: date, counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """('YYYY-MM', count) for every month from `start` to `end`, a month without completions as 0."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        key = f"{year:04d}-{month:02d}"
        months.append((key, counts.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def score_buckets(scores: list[tuple[int, int]]) -> tuple[ScoreBucket, ...]:
    """The buckets with their ranges (each up to the next bound, the last one exactly 100 %); the 100 % bucket
    only when someone is in it."""
    bounds = [bound for bound, _ in scores]
    buckets = []
    for (low, count), high in zip(scores, [*bounds[1:], None]):
        top = low if high is None else high - 1
        if high is None and count == 0:
            continue
        buckets.append(ScoreBucket(low, top, count))
    return tuple(buckets)


def topic_totals(cells) -> tuple[TopicAnswers, ...]:
    totals: dict[str, list[int]] = {}
    for cell in cells:
        sums = totals.setdefault(cell.topic, [0, 0])
        sums[0] += cell.answered
        sums[1] += cell.correct
    rows = [TopicAnswers(topic, answered, correct) for topic, (answered, correct) in totals.items()]
    return tuple(sorted(rows, key=lambda row: (row.share, row.topic)))
