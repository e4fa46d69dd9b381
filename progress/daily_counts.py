"""The dashboard's counts for a whole municipality, kept for the day (progress.models.DailyStatusCount).

Classifying every (person, module) pair of 60,000 people takes the database a second or two, too slow for a
page. So the day's first view classifies them once (`ensure`), and every later change of a module state moves
the counts it changes in the same transaction (`moved`), so they stay what a fresh count would give (a test
holds the two equal). A new day, other rules or an import start over.

Making the counts and moving them must not interleave, or a change could be counted twice or not at all:
on PostgreSQL making takes an exclusive advisory lock and moving a shared one; on SQLite every write
transaction already holds the database's single write lock.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, exists, select, text
from sqlalchemy.orm import Session

from course import rules
from course.content.loader import Course
from progress.db import Database, insert_for
from progress.models import DailyStatusCount, Person, PersonRole

LOCK_KEY = 471_102_6  # PostgreSQL advisory lock shared by making and moving the counts
MADE = ""  # the unit, module and status of the row that marks a day's counts as made (there may be no others)


def ensure(db: Database, course: Course, day: date) -> str:
    """Make the counts for `day` unless they are made; returns the rules key to read them by."""
    key = course.rules_version
    if _made(db, day, key):
        return key

    def make(session: Session) -> None:
        _lock(session, exclusive=True)
        if session.scalar(select(exists().where(*_made_row(day, key)))):
            return  # another server made them while this one waited
        session.execute(delete(DailyStatusCount).where(DailyStatusCount.day < day))
        session.execute(delete(DailyStatusCount).where(DailyStatusCount.day == day, DailyStatusCount.rules_key == key))
        from progress import dashboard  # the live count; dashboard reads these counts in turn

        rows = [{"day": day, "rules_key": key, "unit_id": unit_id, "mask": mask, "module_id": module_id,
                 "status": status, "count": count}
                for unit_id, mask, module_id, status, count in dashboard.live_counts(session, course, day)]
        rows.append({"day": day, "rules_key": key, "unit_id": MADE, "mask": 0, "module_id": MADE, "status": MADE,
                     "count": 0})
        for start in range(0, len(rows), 5000):
            session.execute(DailyStatusCount.__table__.insert(), rows[start:start + 5000])

    db.write(make)
    return key


def moved(session: Session, course: Course, person_id: str, module_id: str, before: dict | None, after: dict,
          today: date) -> None:
    """A module state moved from `before` to `after` (ModuleState values as dicts) in this transaction: move the
    counts of every day made from `today` on whose status for this person and module it changes."""
    _lock(session, exclusive=False)
    key = course.rules_version
    days = list(session.scalars(select(DailyStatusCount.day)
                                .where(*_made_row(None, key), DailyStatusCount.day >= today)))
    if not days:
        return
    person = session.execute(select(Person.unit_id, Person.start_date, Person.end_date)
                             .where(Person.id == person_id)).one()
    roles = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)))
    due_rules = {a.module_id: a.due_rules for a in rules.assignments(course, roles)}.get(module_id)
    if due_rules is None:
        return
    from progress.dashboard import role_mask

    mask = role_mask(roles)
    for day in days:
        if person.start_date > day or (person.end_date is not None and person.end_date < day):
            continue
        cutoffs = rules.status_cutoffs(day, due_rules)
        old, new = (_status(cutoffs, person.start_date, state) for state in (before, after))
        if old != new:
            _add(session, day, key, person.unit_id, mask, module_id, old, -1)
            _add(session, day, key, person.unit_id, mask, module_id, new, +1)


def forget(session: Session) -> None:
    """People, units or roles changed (an import): every day's counts are made again on the next view."""
    _lock(session, exclusive=True)
    session.execute(delete(DailyStatusCount))


def _status(cutoffs: rules.StatusCutoffs, start_date: date, state: dict | None) -> str:
    state = state or {}
    done = rules.last_done(state.get("last_completed_at"), state.get("last_score"), state.get("last_waived_at"))
    started = state.get("last_started_at")
    started_since = started is not None and (done.at is None or started > done.at)
    return rules.status_by_cutoffs(cutoffs, start_date, done.at, started_since, done.via_diagnosis).value


def _add(session: Session, day: date, key: str, unit_id: str, mask: int, module_id: str, status: str,
         change: int) -> None:
    statement = insert_for(session, DailyStatusCount).values(day=day, rules_key=key, unit_id=unit_id, mask=mask,
                                                        module_id=module_id, status=status, count=change)
    session.execute(statement.on_conflict_do_update(
        index_elements=["day", "rules_key", "unit_id", "mask", "module_id", "status"],
        set_={"count": DailyStatusCount.count + statement.excluded.count}))


def _made_row(day: date | None, key: str) -> list:
    where = [DailyStatusCount.rules_key == key, DailyStatusCount.unit_id == MADE, DailyStatusCount.module_id == MADE]
    return where + ([DailyStatusCount.day == day] if day is not None else [])


def _made(db: Database, day: date, key: str) -> bool:
    with db.read() as session:
        return bool(session.scalar(select(exists().where(*_made_row(day, key)))))


def _lock(session: Session, exclusive: bool) -> None:
    if session.get_bind().dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(text(f"SELECT {function}(:key)"), {"key": LOCK_KEY})
