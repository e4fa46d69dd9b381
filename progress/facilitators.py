"""Who may lead group sessions (issue 14): a unit's manager, at any depth, an admin, and a person an admin has
given the right to for a unit (a samtalsledare: the HR partner, a union representative, a team's coordinator).
A right covers the unit and the units under it, as a manager's does.

A right is a row of its own (facilitator_rights), not a role: the HR import replaces people's roles with the
file's, and a right given here must outlive the next import. Only admins give and take rights, and every change
is in the audit log in the same transaction. A right does nothing while its holder is not employed; the
retention run deletes it with the rest of what identifies someone who has left (progress.privacy).

progress.group_sessions asks `may_lead_in` before a session starts and before every action of its facilitator;
the Gruppläge page draws one list of units from `facilitated_unit_choices`, and the app shows that page to a
person who is not a manager when `is_facilitator` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from progress import audit
from progress.access import is_admin_in, manages_unit, require_admin_in
from progress.db import Database, insert_for
from progress.models import FacilitatorRight, Person, Unit
from progress.unit_tree import (UnitChoice, UnitInfo, children, load_units, managed_roots, subtree_of,
                                unit_and_below_query, unit_choices)
from progress.viewer import Viewer, actor_of, employed_on, employed_sql, is_employed, require_employed

SEARCH_LIMIT = 20  # people shown for what an admin types: enough to pick from, never the whole staff list


class UnknownPerson(LookupError):
    def __init__(self, person_id: str):
        super().__init__(f"Det finns ingen person med id {person_id or '(tomt)'}. Sök fram personen igen.")
        self.person_id = person_id


class NotEmployed(ValueError):
    def __init__(self, person_id: str):
        super().__init__(f"Personen med id {person_id} är inte anställd i dag och kan inte få rätten att leda "
                         "gruppövningar.")
        self.person_id = person_id


class UnknownUnit(LookupError):
    def __init__(self, unit_id: str):
        super().__init__(f"Det finns ingen enhet med id {unit_id or '(tomt)'}. Välj en enhet i listan.")
        self.unit_id = unit_id


MESSAGES = (UnknownPerson, NotEmployed, UnknownUnit)  # Swedish sentences for the admin page


@dataclass(frozen=True)
class Right:
    """One right as the admin page lists it. Names are untrusted text (from the HR file): draw them as text."""

    person_id: str
    person_name: str
    unit_id: str
    unit_name: str
    granted_by: str | None  # None: the operator at the command line, or an admin since erased
    granted_by_name: str | None
    granted_at: datetime
    employed: bool  # the holder is employed today; a right of someone who is not does nothing


@dataclass(frozen=True)
class PersonOption:
    id: str
    name: str  # untrusted text
    unit_name: str  # untrusted text


# --- the rule ----------------------------------------------------------------------------------------------------

def has_right_in(session: Session, viewer_id: Viewer, unit_id: str) -> bool:
    """`viewer_id` holds a right for `unit_id` or a unit above it (employment is the caller's check). One query
    for the person's rights, and one per right held (a person holds one or two) when it is not the unit itself."""
    if not viewer_id or not isinstance(viewer_id, str):
        return False
    granted = list(session.scalars(select(FacilitatorRight.unit_id).where(FacilitatorRight.person_id == viewer_id)))
    if unit_id in granted:
        return True
    # one statement per right: unit_and_below_query names its CTE, and two of one name cannot share a statement
    return any(session.scalar(select(Unit.id).where(
        Unit.id == unit_id, Unit.id.in_(unit_and_below_query(root).scalar_subquery()))) is not None
        for root in granted)


def may_lead_in(session: Session, viewer_id: Viewer, unit_id: str) -> bool:
    """May `viewer_id` lead group sessions for `unit_id`: they manage it (at any depth) or hold a right for it or
    a unit above it. Employment and the admin's right are the caller's checks, as for manages_unit."""
    return manages_unit(session, viewer_id, unit_id) or has_right_in(session, viewer_id, unit_id)


def is_facilitator(db: Database, viewer_id: Viewer, today: date) -> bool:
    """The viewer is employed on `today` and holds at least one right: the app shows them the Gruppläge page
    even when they manage nobody (managers and admins see it by their roles)."""
    if not viewer_id or not isinstance(viewer_id, str):
        return False
    with db.read() as session:
        return is_employed(session, viewer_id, today) and session.scalar(
            select(FacilitatorRight.unit_id).where(FacilitatorRight.person_id == viewer_id).limit(1)) is not None


def facilitated_unit_choices(db: Database, viewer_id: Viewer, today: date) -> list[UnitChoice]:
    """The units the viewer may start a group session for, in tree order with their depth (one selectbox): the
    units they manage and the units they hold a right for, each with the units under it; every unit for an
    admin. A unit under another in the list is listed once, under it. NotPermitted for a viewer not employed."""
    with db.read() as session:
        require_employed(session, viewer_id, today)
        admin = is_admin_in(session, viewer_id, today)
        granted = [] if admin or not isinstance(viewer_id, str) else list(session.scalars(
            select(FacilitatorRight.unit_id).where(FacilitatorRight.person_id == viewer_id)))
    units = load_units(db)
    if admin:
        roots = _tops(units)
    elif isinstance(viewer_id, str):
        roots = [*managed_roots(units, viewer_id), *(unit_id for unit_id in granted if unit_id in units)]
    else:
        roots = []
    return unit_choices(units, _outermost(units, roots))


def _tops(units: dict[str, UnitInfo]) -> list[str]:
    """The units under no other unit (or under one that is not there)."""
    return [unit_id for above, below in children(units).items() if above is None or above not in units
            for unit_id in below]


def _outermost(units: dict[str, UnitInfo], roots: list[str]) -> list[str]:
    """`roots` without those under another of them: a granted unit inside a managed one is walked once."""
    wanted = set(roots)
    inner: set[str] = set()
    for root in wanted:
        inner |= subtree_of(units, [root]) - {root}
    return sorted(wanted - inner)


# --- the admin's work --------------------------------------------------------------------------------------------

def grant(db: Database, admin_viewer: Viewer, person_id: str, unit_id: str,
          now: datetime) -> Literal["granted", "already_granted"]:
    """Give `person_id` the right to lead group sessions for `unit_id` (and the units under it). Admins and the
    operator only; the person must be employed on `now`'s day. Audited (FACILITATOR_GRANT); giving it again
    changes nothing and is not logged again."""
    today = now.date()

    def use_case(session: Session) -> Literal["granted", "already_granted"]:
        require_admin_in(session, admin_viewer, today)
        person = session.get(Person, person_id) if isinstance(person_id, str) and person_id else None
        if person is None:
            raise UnknownPerson(person_id)
        if not employed_on(person.start_date, person.end_date, today):
            raise NotEmployed(person_id)
        if not isinstance(unit_id, str) or session.get(Unit, unit_id) is None:
            raise UnknownUnit(unit_id)
        added = session.execute(insert_for(session, FacilitatorRight).values(
            person_id=person_id, unit_id=unit_id, granted_by=actor_of(admin_viewer), granted_at=now)
            .on_conflict_do_nothing().returning(FacilitatorRight.person_id)).first() is not None
        if not added:
            return "already_granted"
        audit.record(session, admin_viewer, audit.FACILITATOR_GRANT, person_id, unit=unit_id)
        return "granted"

    return db.write(use_case)  # two admins at once: the second's insert finds the first's row and does nothing


def revoke(db: Database, admin_viewer: Viewer, person_id: str, unit_id: str, now: datetime) -> bool:
    """Take the right away (admins and the operator only), audited (FACILITATOR_REVOKE). A session the person is
    leading for that unit can no longer be led by them. False when there was no such right (a double click)."""

    def use_case(session: Session) -> bool:
        require_admin_in(session, admin_viewer, now.date())
        removed = session.execute(delete(FacilitatorRight).where(
            FacilitatorRight.person_id == person_id, FacilitatorRight.unit_id == unit_id)).rowcount or 0
        if removed:
            audit.record(session, admin_viewer, audit.FACILITATOR_REVOKE, person_id, unit=unit_id)
        return bool(removed)

    return db.write(use_case)


def rights(db: Database, admin_viewer: Viewer, today: date) -> list[Right]:
    """Every right, by the holder's name and then the unit's: for admins, one query."""
    granter = aliased(Person)
    with db.read() as session:
        require_admin_in(session, admin_viewer, today)
        rows = session.execute(
            select(FacilitatorRight, Person.name, Person.start_date, Person.end_date, Unit.name, granter.name)
            .join(Person, Person.id == FacilitatorRight.person_id)
            .join(Unit, Unit.id == FacilitatorRight.unit_id)
            .outerjoin(granter, granter.id == FacilitatorRight.granted_by)
            .order_by(Person.name, Person.id, Unit.name, Unit.id)).all()
    return [Right(right.person_id, name, right.unit_id, unit_name, right.granted_by, granted_by_name,
                  right.granted_at, employed_on(start, end, today))
            for right, name, start, end, unit_name, granted_by_name in rows]


def find_people(db: Database, admin_viewer: Viewer, text: str, today: date,
                limit: int = SEARCH_LIMIT) -> list[PersonOption]:
    """People employed on `today` whose id is `text` or whose name holds it (any case), by name: whom an admin
    may give a right. What is typed is plain text, never a pattern. Admins only."""
    typed = (text or "").strip()
    with db.read() as session:
        require_admin_in(session, admin_viewer, today)
        if not typed:
            return []
        # SQLite's lower() folds only A-Z: the name as typed matches too, so "Åsa" finds Åsa there as well
        matches = or_(Person.id == typed, func.lower(Person.name).contains(typed.lower(), autoescape=True),
                      Person.name.contains(typed, autoescape=True))
        rows = session.execute(select(Person.id, Person.name, Unit.name).join(Unit, Unit.id == Person.unit_id)
                               .where(matches, employed_sql(today))
                               .order_by(Person.name, Person.id).limit(limit)).all()
    return [PersonOption(person_id, name, unit_name) for person_id, name, unit_name in rows]
