"""How groups voted at a scenario's decisions beside what individuals chose there (issue 14, the analytics page's
"Grupper och enskilda"). The database groups; course.itemstats adds up and shapes (VoteCounts, group_comparison).

- Groups: the tallies of the 'revealed' events (the votes per choice index when a vote closed) of the sessions
  of the scenario that started in the period, grouped by node and tally, so a tally repeated by many steps
  leaves the database once; and per node how many sessions revealed a vote there. Only the counts are read:
  votes are anonymous, and nothing here could say who voted.
- Individuals: each scenario attempt's first answer at each node (its lowest step there: a cycle can show a
  node twice), counted per node and stored response; of the attempts started in the period, each person's
  first attempt at the scenario by default (as item statistics count a quiz's: later ones follow the
  feedback), or every attempt.

Admins only, as every figure across the organisation (progress.access.require_admin); a fixed number of
queries whatever the course or the organisation holds.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, distinct, func, select

from course import itemstats
from course.content.loader import Course
from progress.access import Viewer, require_admin
from progress.db import Database
from progress.models import Attempt, GroupSession, GroupSessionEvent, Step


def _in_period(column, start: date | None, end: date | None) -> list:
    conditions = []
    if start is not None:
        conditions.append(column >= datetime.combine(start, time()))
    if end is not None:
        conditions.append(column < datetime.combine(end + timedelta(days=1), time()))
    return conditions


def _revealed(start: date | None, end: date | None, scenario_id: str | None = None):
    """The 'revealed' events of the sessions started in the period (of one scenario when given), with their
    session's scenario."""
    query = (select(GroupSessionEvent.session_id, GroupSessionEvent.node_id, GroupSessionEvent.tally,
                    GroupSession.scenario_id)
             .join(GroupSession, GroupSession.id == GroupSessionEvent.session_id)
             .where(GroupSessionEvent.kind == "revealed", *_in_period(GroupSession.started_at, start, end)))
    if scenario_id is not None:
        query = query.where(GroupSession.scenario_id == scenario_id)
    return query.subquery()


def _scenario_attempts(scenario_id: str, start: date | None, end: date | None, first_only: bool):
    """Ids of the attempts at the scenario started in the period: each person's first ever (its first attempt
    before the period does not let a later one stand in for it), or every one; finished or not, since every
    answer was a choice made."""
    of_scenario = and_(Attempt.kind == "scenario", Attempt.item_id == scenario_id)
    query = select(Attempt.id).where(of_scenario, *_in_period(Attempt.started_at, start, end))
    if first_only:
        first = (select(Attempt.person_id, func.min(Attempt.attempt_no).label("attempt_no")).where(of_scenario)
                 .group_by(Attempt.person_id).subquery())
        query = query.join(first, and_(Attempt.person_id == first.c.person_id,
                                       Attempt.attempt_no == first.c.attempt_no))
    return query.subquery()


def scenario_sessions(db: Database, viewer_id: Viewer, start: date | None = None,
                      end: date | None = None) -> dict[str, int]:
    """Per scenario: how many group sessions started in the period revealed a vote in it. Admins only."""
    require_admin(db, viewer_id)
    revealed = _revealed(start, end)
    query = (select(revealed.c.scenario_id, func.count(distinct(revealed.c.session_id)))
             .group_by(revealed.c.scenario_id))
    with db.read() as session:
        return {scenario_id: int(sessions) for scenario_id, sessions in session.execute(query)}


def vote_counts(db: Database, viewer_id: Viewer, scenario_id: str, start: date | None = None,
                end: date | None = None, first_only: bool = True) -> itemstats.VoteCounts:
    """The groups' revealed tallies and the individuals' first answers at each node of the scenario, as stored
    (course.itemstats.VoteCounts). Admins only."""
    require_admin(db, viewer_id)
    revealed = _revealed(start, end, scenario_id)
    tallies_query = (select(revealed.c.node_id, revealed.c.tally, func.count())
                     .group_by(revealed.c.node_id, revealed.c.tally))
    sessions_query = (select(revealed.c.node_id, func.count(distinct(revealed.c.session_id)))
                      .group_by(revealed.c.node_id))
    all_sessions_query = select(func.count(distinct(revealed.c.session_id)))
    attempts = _scenario_attempts(scenario_id, start, end, first_only)
    first = (select(Step.attempt_id, Step.item, func.min(Step.step_no).label("step_no"))
             .join(attempts, Step.attempt_id == attempts.c.id).group_by(Step.attempt_id, Step.item).subquery())
    responses_query = (select(Step.item, Step.response, func.count())
                       .join(first, and_(Step.attempt_id == first.c.attempt_id, Step.step_no == first.c.step_no))
                       .group_by(Step.item, Step.response))
    tallies: dict[str, dict[str, int]] = {}
    responses: dict[str, dict[str, int]] = {}
    with db.read() as session:
        for node_id, tally, times in session.execute(tallies_query):
            if tally is not None:
                tallies.setdefault(node_id, {})[tally] = int(times)
        sessions = {node_id: int(count) for node_id, count in session.execute(sessions_query)}
        all_sessions = int(session.scalar(all_sessions_query) or 0)
        for node_id, response, count in session.execute(responses_query):
            responses.setdefault(node_id, {})[response] = int(count)
    return itemstats.VoteCounts(tallies, sessions, all_sessions, responses)


def group_comparison(db: Database, viewer_id: Viewer, course: Course, scenario_id: str, start: date | None = None,
                     end: date | None = None, first_only: bool = True) -> itemstats.GroupComparison:
    """What the analytics page shows for one scenario: per decision node and choice, the groups' votes beside
    the individuals' first answers, with shares and the best ending each choice can lead to. Admins only;
    KeyError for a scenario the course does not have."""
    scenario = course.scenarios[scenario_id]
    return itemstats.group_comparison(scenario, vote_counts(db, viewer_id, scenario_id, start, end, first_only))
