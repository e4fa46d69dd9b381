"""Queries for the compliance analytics and the APT card. The database adds up; course.itemstats turns the sums
into Moodle's indexes; the views only shape and draw. The analytics page asks one function per tab:
`bank_statistics`, `topic_mastery` and `weakest_topics` (its defaults here too: `default_period`).

- Item statistics: per question of one bank, the sums n, Σx, Σx², Σy, Σy², Σxy over the chosen attempts
  (x = this question right or not, y = the rest of the attempt), and the count of each stored response. Both are
  GROUP BY queries, so no per-attempt row leaves the database, however many people took the quiz.
- Topic mastery and the weakest topics read `topic_tallies` (first answers per unit, role, topic and month),
  role '' (everyone once), never the steps.

Who may ask: item statistics and anything across the whole organisation are for admins; a unit's topics for an
admin or a manager of that unit (at any depth); the organisation's one weakest topic also for any manager (the
APT card's fallback when their unit has too few answers). Checked here, from the viewer's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable, Sequence

from sqlalchemy import Select, and_, case, func, select

from course import itemstats, rules
from course.rules import MIN_ANSWERS_UNIT_TOPIC
from course.content.loader import Course
from progress.access import (NotPermitted, Viewer, is_admin_in, manages_anyone, manages_unit,
                             require_admin, require_employed)
from progress.db import Database
from progress.models import Attempt, Step, TopicTally
from progress.tallies import EVERYONE
from progress.unit_tree import unit_and_below_query



@dataclass(frozen=True)
class TopicAnswers:
    """First answers on a topic, in a scope, over all of a period or in one month or quarter (`period`, its first
    day). `share` is 0–1 and `percent` 0–100, as everywhere in the code."""

    topic: str
    answered: int
    correct: int
    period: date | None = None

    @property
    def share(self) -> float | None:
        return rules.share(self.correct, self.answered)  # never None from the queries: a row has an answer

    @property
    def percent(self) -> float | None:
        return None if self.share is None else 100.0 * self.share


# -- item statistics ---------------------------------------------------------------------------------------

def _chosen_attempts(bank_id: str, start: date | None, end: date | None, first_only: bool) -> Select:
    """Ids of the finished quiz attempts at `bank_id` that count: each person's first finished attempt (Moodle's
    default), or every finished attempt; finished within [start, end] when given. The first attempt is the first
    ever, so a retry inside the period does not stand in for a first attempt made before it."""
    finished = and_(Attempt.kind == "quiz", Attempt.item_id == bank_id, Attempt.finished_at.is_not(None))
    query = select(Attempt.id).where(finished)
    if first_only:
        first = (select(Attempt.person_id, func.min(Attempt.attempt_no).label("attempt_no")).where(finished)
                 .group_by(Attempt.person_id).subquery())
        query = query.join(first, and_(Attempt.person_id == first.c.person_id,
                                       Attempt.attempt_no == first.c.attempt_no))
    if start is not None:
        query = query.where(Attempt.finished_at >= datetime.combine(start, time()))
    if end is not None:
        query = query.where(Attempt.finished_at < datetime.combine(end + timedelta(days=1), time()))
    return query


def item_sums(db: Database, viewer_id: Viewer, bank_id: str, start: date | None = None, end: date | None = None,
              first_only: bool = True) -> dict[str, itemstats.ItemSums]:
    """Per question: n, Σx, Σx², Σy, Σy², Σxy, where y is the attempt's total minus x. Admins only."""
    require_admin(db, viewer_id)
    return _item_sums(db, bank_id, start, end, first_only)


def _item_sums(db: Database, bank_id: str, start: date | None, end: date | None,
               first_only: bool) -> dict[str, itemstats.ItemSums]:
    attempts = _chosen_attempts(bank_id, start, end, first_only).subquery()
    marks = (select(Step.attempt_id, Step.item, case((Step.correct.is_(True), 1), else_=0).label("x"))
             .join(attempts, Step.attempt_id == attempts.c.id).subquery())
    totals = (select(marks.c.attempt_id, func.sum(marks.c.x).label("total"))
              .group_by(marks.c.attempt_id).subquery())
    x = marks.c.x
    y = totals.c.total - marks.c.x
    query = (select(marks.c.item, func.count(), func.sum(x), func.sum(x * x), func.sum(y), func.sum(y * y),
                    func.sum(x * y))
             .join(totals, totals.c.attempt_id == marks.c.attempt_id).group_by(marks.c.item))
    with db.read() as session:
        # PostgreSQL returns SUM(bigint) as numeric (Decimal): the indexes want exact integers
        return {item: itemstats.ItemSums(*(int(value or 0) for value in values))
                for item, *values in session.execute(query)}


def response_counts(db: Database, viewer_id: Viewer, bank_id: str, start: date | None = None,
                    end: date | None = None, first_only: bool = True) -> dict[str, dict[str, int]]:
    """Per question: how many of the chosen attempts gave each stored response (a JSON list of option indexes).
    Admins only."""
    require_admin(db, viewer_id)
    return _response_counts(db, bank_id, start, end, first_only)


def _response_counts(db: Database, bank_id: str, start: date | None, end: date | None,
                     first_only: bool) -> dict[str, dict[str, int]]:
    attempts = _chosen_attempts(bank_id, start, end, first_only).subquery()
    query = (select(Step.item, Step.response, func.count()).join(attempts, Step.attempt_id == attempts.c.id)
             .group_by(Step.item, Step.response))
    result: dict[str, dict[str, int]] = {}
    with db.read() as session:
        for item, response, count in session.execute(query):
            result.setdefault(item, {})[response] = int(count)
    return result


def item_statistics(db: Database, viewer_id: Viewer, course: Course, bank_id: str, start: date | None = None,
                    end: date | None = None, first_only: bool = True) -> list[itemstats.ItemStat]:
    """Moodle's item statistics for every question of the bank (see course.itemstats). Admins only."""
    require_admin(db, viewer_id)
    return itemstats.item_statistics(course.banks[bank_id].questions,
                                     _item_sums(db, bank_id, start, end, first_only),
                                     _response_counts(db, bank_id, start, end, first_only))


def bank_statistics(db: Database, viewer_id: Viewer, course: Course, bank_id: str, start: date | None = None,
                    end: date | None = None, first_only: bool = True) -> itemstats.BankStatistics:
    """What the analytics page shows for one bank: every question's statistics and the counts above them (how
    many questions, asked, flagged, plotted). Admins only."""
    return itemstats.BankStatistics(tuple(item_statistics(db, viewer_id, course, bank_id, start, end, first_only)))


# -- topics ------------------------------------------------------------------------------------------------

PERIOD_DAYS = 365  # the analytics page's period until the admin picks another: the last year
MONTH, QUARTER = "month", "quarter"
GRANULARITIES = (MONTH, QUARTER)  # how topic mastery over time can be counted, the default first
TOPICS_SHOWN = 5  # the mastery chart's first topics when the course names no grey zones


def default_period(today: date) -> tuple[date, date]:
    """The analytics page's first and last day (both counted) until the admin picks others."""
    return today - timedelta(days=PERIOD_DAYS), today


def _month_range(start: date | None, end: date | None) -> list:
    conditions = []
    if start is not None:
        conditions.append(TopicTally.month >= date(start.year, start.month, 1))
    if end is not None:
        conditions.append(TopicTally.month <= end)
    return conditions


def topic_mastery_by_month(db: Database, viewer_id: Viewer, start: date | None = None, end: date | None = None,
                           topics: Sequence[str] | None = None) -> list[TopicAnswers]:
    """Share of correct first answers per topic and month, across the whole organisation. Admins only."""
    require_admin(db, viewer_id)
    query = (select(TopicTally.topic, TopicTally.month, func.sum(TopicTally.answered), func.sum(TopicTally.correct))
             .where(TopicTally.role == EVERYONE, *_month_range(start, end))
             .group_by(TopicTally.topic, TopicTally.month).order_by(TopicTally.month, TopicTally.topic))
    if topics is not None:
        query = query.where(TopicTally.topic.in_(list(topics)))
    with db.read() as session:
        return [TopicAnswers(topic, int(answered), int(correct), month)
                for topic, month, answered, correct in session.execute(query)]


def by_quarter(rows: Iterable[TopicAnswers]) -> list[TopicAnswers]:
    """Monthly rows folded into quarters (a quarter is named by its first day). Done here, not in SQL: the
    monthly rows are already few (topics × months), and date arithmetic differs between the two databases."""
    sums: dict[tuple[str, date], list[int]] = {}
    for row in rows:
        quarter = date(row.period.year, 3 * ((row.period.month - 1) // 3) + 1, 1)
        counts = sums.setdefault((row.topic, quarter), [0, 0])
        counts[0] += row.answered
        counts[1] += row.correct
    return [TopicAnswers(topic, a, c, quarter) for (topic, quarter), (a, c) in sorted(sums.items(),
                                                                                     key=lambda i: (i[0][1], i[0][0]))]


@dataclass(frozen=True)
class TopicMastery:
    """Topic mastery over time across the organisation: the monthly rows, the topics they have (by title) and
    the ones the chart shows until the admin picks others (the course's grey zones, else the first few)."""

    monthly: tuple[TopicAnswers, ...]
    topics: tuple[str, ...]
    shown_first: tuple[str, ...]

    def rows(self, chosen: Iterable[str], granularity: str = MONTH) -> list[TopicAnswers]:
        """The rows of the `chosen` topics, month by month or folded into quarters (`GRANULARITIES`)."""
        wanted = set(chosen)
        rows = [row for row in self.monthly if row.topic in wanted]
        return by_quarter(rows) if granularity == QUARTER else rows


def topic_mastery(db: Database, viewer_id: Viewer, course: Course, start: date | None = None,
                  end: date | None = None, language: str = "sv") -> TopicMastery:
    """What the analytics page's mastery tab shows, topics ordered by their title in `language`. Admins only."""
    monthly = topic_mastery_by_month(db, viewer_id, start, end)
    topics = sorted({row.topic for row in monthly}, key=lambda topic: course.topic_title(topic, language))
    grey = [topic for topic in rules.grey_zone_topics(course) if topic in topics]
    return TopicMastery(tuple(monthly), tuple(topics), tuple(grey or topics[:TOPICS_SHOWN]))


def _require_topics(db: Database, viewer_id: Viewer, unit_id: str | None, organisation_for_managers: bool,
                    today: date | None = None) -> None:
    """A unit's topics: an admin, or a manager of the unit; the whole organisation: an admin (or, for the one
    weakest topic, any manager). Everyone employed today."""
    today = today or date.today()
    with db.read() as session:
        require_employed(session, viewer_id, today)
        if is_admin_in(session, viewer_id, today):
            return
        if unit_id is not None and manages_unit(session, viewer_id, unit_id):
            return
        if unit_id is None and organisation_for_managers and manages_anyone(session, viewer_id):
            return
    raise NotPermitted(f"{viewer_id!r} may not see the topics of {unit_id or 'the organisation'}")


def topic_shares(db: Database, viewer_id: Viewer, start: date | None = None, end: date | None = None, *,
                 unit_id: str | None = None, topics: Sequence[str] | None = None,
                 min_answered: int = MIN_ANSWERS_UNIT_TOPIC) -> list[TopicAnswers]:
    """Correct share of first answers per topic, weakest first: for the whole organisation (admins), or for a
    unit and the units under it (its managers, admins); only `topics` when given; topics with fewer than
    `min_answered` answers are left out."""
    _require_topics(db, viewer_id, unit_id, organisation_for_managers=False)
    return _topic_shares(db, start, end, unit_id=unit_id, topics=topics, min_answered=min_answered)


def weakest_topics(db: Database, viewer_id: Viewer, course: Course, start: date | None = None,
                   end: date | None = None, every_topic: bool = False) -> list[TopicAnswers]:
    """The organisation's grey-zone topics, weakest first: every topic when asked, or when the course names no
    grey zones; each with at least MIN_ANSWERS_UNIT_TOPIC answers (topic_shares). Admins only."""
    topics = None if every_topic else (rules.grey_zone_topics(course) or None)
    return topic_shares(db, viewer_id, start, end, topics=topics)


def _topic_shares(db: Database, start: date | None, end: date | None, *, unit_id: str | None,
                  topics: Sequence[str] | None, min_answered: int = MIN_ANSWERS_UNIT_TOPIC) -> list[TopicAnswers]:
    answered = func.sum(TopicTally.answered)
    query = (select(TopicTally.topic, answered, func.sum(TopicTally.correct))
             .where(TopicTally.role == EVERYONE, *_month_range(start, end))
             .group_by(TopicTally.topic).having(answered >= max(1, min_answered)))
    if unit_id is not None:
        query = query.where(TopicTally.unit_id.in_(unit_and_below_query(unit_id).scalar_subquery()))
    if topics is not None:
        query = query.where(TopicTally.topic.in_(list(topics)))
    with db.read() as session:
        rows = [TopicAnswers(topic, int(a), int(c)) for topic, a, c in session.execute(query)]
    return sorted(rows, key=lambda row: (row.share, -row.answered, row.topic))


def weakest_topic(db: Database, viewer_id: Viewer, start: date | None = None, end: date | None = None, *,
                  unit_id: str | None = None, topics: Sequence[str] | None = None) -> TopicAnswers | None:
    """The topic with the smallest share of correct first answers in the scope, or None without enough data.
    A unit's: its managers and admins; the organisation's (one topic, one share): any manager and admins."""
    _require_topics(db, viewer_id, unit_id, organisation_for_managers=True)
    ranked = _topic_shares(db, start, end, unit_id=unit_id, topics=topics)
    return ranked[0] if ranked else None


