"""The dashboard's counts for a whole municipality, kept for the day (progress.models.DailyStatusCount).

Classifying every (person, module) pair of 60,000 people takes the database two to four seconds, too slow for a
page. So the counts of a day are kept, and every change of a module state moves the counts it changes in the
same transaction (`moved`), on every day whose counts are made: the kept counts of a day are always what a fresh
count over the records as they are now would give for that day (a test holds the two equal).

A new day's counts are made from the latest day made before it (`advance`): between two days only the passing
of time changes a status (a completion whose next round falls due, a new hire's first round, someone who starts
or leaves), so the counts are copied and only the pairs whose cut-offs fall between the two days are classified
again, a few hundred rows instead of 300,000: about a tenth of a second, so the day's first view does not wait.
Only when there is no earlier day under the same rules within ADVANCE_DAYS (a new database, other rules, or an
import, which forgets every day because units, people and roles changed) are they counted from scratch.
`python -m course daily-counts` counts the day afresh before anyone asks: from a timer shortly after midnight,
and after an import or a deploy of new rules.

When the dashboard has been viewed, tomorrow's counts are made ahead in a thread of the app server
(`make_ahead`), so the first view after midnight finds them made even when the job does not run.

Making the counts and moving them must not interleave, or a change could be counted twice or not at all:
on PostgreSQL making takes an exclusive advisory lock and moving a shared one; on SQLite every write
transaction already holds the database's single write lock.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import date, datetime, timedelta

from sqlalchemy import Date, and_, delete, exists, func, insert, literal, or_, select, text
from sqlalchemy.orm import Session

from course import rules
from course.cli import day_argument
from course.content.loader import Course
from progress import status_counts
from progress.db import Database, insert_for
from progress.models import Completion, DailyStatusCount, ModuleState, Person, PersonRole, Waiver
from progress.status_counts import TRACK_ROLES, role_mask

log = logging.getLogger(__name__)
LOCK_KEY = 471_102_6  # PostgreSQL advisory lock shared by making and moving the counts
MADE = ""  # the unit, module and status of the row that marks a day's counts as made (there may be no others)
CHUNK = 5000  # ids per IN list
# A day is made from an earlier one at most this many days before it: the pairs to classify again grow with the
# gap (30 days cost about what counting everything does), and counting afresh also drops what an erasure took.
ADVANCE_DAYS = 7


def ensure(db: Database, course: Course, day: date) -> str:
    """Make the counts for `day` unless they are made; returns the rules key to read them by. From the latest
    earlier day made under the same rules when there is one (cheap), else by counting everything."""
    key = course.rules_version
    if _made(db, day, key):
        return key
    db.write(lambda session: _make(session, course, key, day, afresh=False))
    return key


def count(db: Database, course: Course, day: date) -> str:
    """Count the day's statuses from scratch, also when they are made (the nightly job: what an erasure took away
    since, for one, is then gone from the counts too). Returns "counted"."""
    return db.write(lambda session: _make(session, course, course.rules_version, day, afresh=True))


def make_ahead(db: Database, course: Course, today: date) -> threading.Thread | None:
    """Make tomorrow's counts now, in a thread of its own, so that the first view after midnight finds them made
    (every record moves them until then, like today's). Once a day per database in this process: the dashboard
    asks after each view, and only the first starts the thread; a failure is logged and tried on a later view.
    Returns the thread (None when there was nothing to start)."""
    key = course.rules_version
    tomorrow = today + timedelta(days=1)
    where = (db.engine.url.render_as_string(hide_password=True), key)
    with _ahead_lock:
        if _ahead.get(where) == tomorrow:
            return None
        _ahead[where] = tomorrow

    def make() -> None:
        try:
            if not _made(db, tomorrow, key):
                db.write(lambda session: _make(session, course, key, tomorrow, afresh=False, keep_from=today))
        except Exception:  # the view that needs them makes them itself
            log.warning("tomorrow's status counts were not made ahead", exc_info=True)
            with _ahead_lock:
                _ahead.pop(where, None)

    thread = threading.Thread(target=make, name="daily-counts-ahead", daemon=True)
    thread.start()
    return thread


_ahead_lock = threading.Lock()
_ahead: dict[tuple[str, str], date] = {}  # (database, rules) -> the day whose counts this process made ahead


def _make(session: Session, course: Course, key: str, day: date, afresh: bool, keep_from: date | None = None) -> str:
    """Returns how: "made" (another server made them while this one waited), "advanced" or "counted". Days before
    `day` (or before `keep_from`, for a day made ahead) are deleted."""
    _lock(session, exclusive=True)
    if not afresh and session.scalar(select(exists().where(*_made_row(day, key)))):
        return "made"
    base = None if afresh else session.scalar(select(func.max(DailyStatusCount.day)).where(
        *_made_row(None, key), DailyStatusCount.day < day, DailyStatusCount.day >= day - timedelta(days=ADVANCE_DAYS)))
    session.execute(delete(DailyStatusCount).where(DailyStatusCount.day == day, DailyStatusCount.rules_key == key))
    if base is not None:
        advance(session, course, key, base, day)
        how = "advanced"
    else:
        rows = [{"day": day, "rules_key": key, "unit_id": unit_id, "mask": mask, "module_id": module_id,
                 "status": status, "count": count}
                for unit_id, mask, module_id, status, count in status_counts.live_counts(session, course, day)]
        rows.append({"day": day, "rules_key": key, "unit_id": MADE, "mask": 0, "module_id": MADE, "status": MADE,
                     "count": 0})
        for start in range(0, len(rows), CHUNK):
            session.execute(DailyStatusCount.__table__.insert(), rows[start:start + CHUNK])
        how = "counted"
    # an earlier day is not read again
    session.execute(delete(DailyStatusCount).where(DailyStatusCount.day < min(day, keep_from or day)))
    return how


def advance(session: Session, course: Course, key: str, base: date, day: date) -> None:
    """Make the counts of `day` from those of `base`, an earlier day made under the same rules: copy them, then
    move each (person, module) pair whose status or employment differs between the two days. The statuses
    only change where a cut-off (rules.status_cutoffs, which never moves back as the day moves on) lies between
    the two days' cut-offs, or where someone starts or leaves in between; those pairs are found with range
    conditions and classified here with the same rule as `moved`."""
    kept = DailyStatusCount
    session.execute(insert(kept).from_select(
        ["day", "rules_key", "unit_id", "mask", "module_id", "status", "count"],
        select(literal(day, Date), kept.rules_key, kept.unit_id, kept.mask, kept.module_id, kept.status, kept.count)
        .where(kept.day == base, kept.rules_key == key, or_(kept.count != 0, kept.unit_id == MADE))))
    masks = {mask for mask in session.scalars(select(kept.mask).distinct().where(kept.day == base,
                                                                                  kept.rules_key == key))}
    every_mask = sum(1 << bit for bit in range(len(TRACK_ROLES)))
    assigned: dict[str, set[rules.DueRules]] = {}  # module -> the due rules it has in some combination of roles
    for mask in masks | {every_mask}:
        roles = {role for bit, role in enumerate(TRACK_ROLES) if mask & (1 << bit)}
        for assignment in rules.assignments(course, roles):
            assigned.setdefault(assignment.module_id, set()).add(assignment.due_rules)
    if not assigned:
        return
    cutoffs = _Cutoffs()

    # Pairs whose latest completion or waiver lies between the two days' cut-offs of their module (any set of its
    # rules): found among the completions and waivers in those spans (completions are indexed by the moment).
    spans_of: dict[str, list[tuple[datetime, datetime]]] = {}
    for module_id, due_rules in assigned.items():
        for rule in due_rules:
            before, after = cutoffs(base, rule), cutoffs(day, rule)
            spans_of.setdefault(module_id, []).extend(
                (low, high) for low, high in ((before.done_from, after.done_from),
                                              (before.overdue_before, after.overdue_before)) if low < high)
    spans = sorted({span for module_spans in spans_of.values() for span in module_spans})
    timed: set[tuple[str, str]] = set()
    for table, moment in ((Completion, Completion.completed_at), (Waiver, Waiver.waived_at)):
        if spans:
            for person_id, module_id, at in session.execute(
                    select(table.person_id, table.module_id, moment)
                    .where(or_(*[and_(moment >= low, moment < high) for low, high in spans]))):
                if any(low <= at < high for low, high in spans_of.get(module_id, ())):
                    timed.add((person_id, module_id))

    # People who start or leave between the two days, or whose first round falls due between them.
    onboarding = {rule.onboarding_days for due_rules in assigned.values() for rule in due_rules}
    spans = [(base - timedelta(days=days), day - timedelta(days=days)) for days in onboarding]
    moving = set(session.scalars(select(Person.id).where(or_(
        and_(Person.start_date > base, Person.start_date <= day),
        and_(Person.end_date >= base, Person.end_date < day),
        *[and_(Person.start_date >= low, Person.start_date < high) for low, high in spans]))))

    ids = sorted(moving | {person_id for person_id, _ in timed})
    people, roles, states = {}, {}, {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for row in session.execute(select(Person.id, Person.unit_id, Person.start_date, Person.end_date)
                                   .where(Person.id.in_(chunk))):
            people[row.id] = row
        for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)
                                               .where(PersonRole.person_id.in_(chunk))):
            roles.setdefault(person_id, set()).add(role)
        for person_id, module_id, *values in session.execute(
                select(ModuleState.person_id, ModuleState.module_id, *(getattr(ModuleState, f) for f in _STATE_FIELDS))
                .where(ModuleState.person_id.in_(chunk))):
            states[(person_id, module_id)] = dict(zip(_STATE_FIELDS, values))

    changes: dict[tuple[str, int, str, str], int] = {}
    assignments_of: dict[frozenset[str], list[rules.Assignment]] = {}
    for person_id in ids:
        person = people.get(person_id)
        if person is None:
            continue
        held = frozenset(roles.get(person_id, ()))
        if held not in assignments_of:
            assignments_of[held] = rules.assignments(course, held)
        mask = role_mask(held)
        for assignment in assignments_of[held]:
            pair = (person_id, assignment.module_id)
            if person_id not in moving and pair not in timed:
                continue
            state = states.get(pair)
            old, new = (_employed_status(cutoffs(when, assignment.due_rules), person, when, state)
                        for when in (base, day))
            if old != new:
                for status, change in ((old, -1), (new, +1)):
                    if status is not None:
                        counted = (person.unit_id, mask, assignment.module_id, status)
                        changes[counted] = changes.get(counted, 0) + change
    _add_many(session, day, key, [(*counted, change) for counted, change in changes.items() if change])


class _Cutoffs:
    """rules.status_cutoffs, asked once per day and set of due rules."""

    def __init__(self):
        self._made: dict[tuple[date, rules.DueRules], rules.StatusCutoffs] = {}

    def __call__(self, day: date, due_rules: rules.DueRules) -> rules.StatusCutoffs:
        if (day, due_rules) not in self._made:
            self._made[(day, due_rules)] = rules.status_cutoffs(day, due_rules)
        return self._made[(day, due_rules)]


_STATE_FIELDS = ("last_completed_at", "last_score", "last_waived_at", "last_started_at")


def _employed_status(cutoffs: rules.StatusCutoffs, person, day: date, state: dict | None) -> str | None:
    """The pair's status on `day`, or None when the person is not employed then (not counted)."""
    if person.start_date > day or (person.end_date is not None and person.end_date < day):
        return None
    return _status(cutoffs, person.start_date, state)


def moved(session: Session, course: Course, person_id: str, module_id: str, before: dict | None, after: dict,
          today: date) -> None:
    """A module state moved from `before` to `after` (ModuleState values as dicts) in this transaction: move the
    counts of every day made whose status for this person and module it changes. (Every made day, also one
    before `today`: a later day is made from it.)"""
    _lock(session, exclusive=False)
    key = course.rules_version
    days = list(session.scalars(select(DailyStatusCount.day).where(*_made_row(None, key))))
    if not days:
        return
    person = session.execute(select(Person.unit_id, Person.start_date, Person.end_date)
                             .where(Person.id == person_id)).one()
    roles = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)))
    due_rules = {a.module_id: a.due_rules for a in rules.assignments(course, roles)}.get(module_id)
    if due_rules is None:
        return
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
    _add_many(session, day, key, [(unit_id, mask, module_id, status, change)])


def _add_many(session: Session, day: date, key: str, changes: list[tuple[str, int, str, str, int]]) -> None:
    """Add each (unit, mask, module, status, change) to the day's counts: one upsert for them all."""
    if not changes:
        return
    table = DailyStatusCount.__table__  # Core, not the ORM's bulk insert (which inspects every row: 0.3 s for 650)
    statement = insert_for(session, table)
    session.execute(statement.on_conflict_do_update(
        index_elements=["day", "rules_key", "unit_id", "mask", "module_id", "status"],
        set_={"count": table.c.count + statement.excluded.count}),
        [{"day": day, "rules_key": key, "unit_id": unit_id, "mask": mask, "module_id": module_id, "status": status,
          "count": change} for unit_id, mask, module_id, status, change in changes])


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


# --- python -m course daily-counts ------------------------------------------------------------------------------

def add_command(commands) -> None:
    parser = commands.add_parser("daily-counts", help="räkna dagens statusar för chefernas översikt (efter midnatt)")
    parser.add_argument("--day", type=day_argument, help="räkna för den dagen (ÅÅÅÅ-MM-DD); annars i dag")
    parser.add_argument("--database-url", help="annars COURSE_DATABASE_URL")
    parser.set_defaults(run=_command)


def _command(args) -> int:
    from course.cli import clean_content
    from progress.db import command_store

    result = clean_content()
    if result is None:
        return 1
    with command_store(args.database_url) as db:
        day = args.day or date.today()
        started = time.perf_counter()
        count(db, result.course, day)
    print(f"Dagens statusar räknade för {day.isoformat()} på {time.perf_counter() - started:.1f} s.", file=sys.stderr)
    return 0
