"""Who may read or do what, checked in the store: a page that hides a button is not access control.

Every function that reads a person's results or does an admin's work takes the viewer's id and asks here. The
viewer's roles and employment are read from the database each time, never taken from the caller, so a crafted
session value or a person who has left gets a refusal, not data.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from progress.db import Database
from progress.models import Person, PersonRole, Unit
from progress.org import subtree_unit_ids


class NotPermitted(PermissionError):
    """The viewer may not see or do this (not the person, not their manager, not an admin, or no longer employed)."""


class System:
    """The server's operator at the command line (import, report, retention): no person, every right. Only code
    can pass it: a URL, a form, a session value or a sign-in claim is a string, never this object."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = System()
Viewer = str | System | None  # a person id, the operator, or nobody


def actor_of(viewer: Viewer) -> str | None:
    """The id the audit log records for a viewer: the person's id, or None for the operator."""
    return None if viewer is SYSTEM else viewer


def employed_on(start_date: date, end_date: date | None, day: date) -> bool:
    """Employed (or in office) on `day`: started, and not yet ended. The end date is the last day."""
    return start_date <= day and (end_date is None or end_date >= day)


def _roles_if_employed(session: Session, viewer_id: Viewer, today: date) -> set[str] | None:
    if not viewer_id or not isinstance(viewer_id, str):
        return None
    person = session.get(Person, viewer_id)
    if person is None or not employed_on(person.start_date, person.end_date, today):
        return None
    return set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == viewer_id)))


def is_employed(session: Session, viewer_id: Viewer, today: date) -> bool:
    """`viewer_id` is a person employed (or in office) on `today`; the operator always is."""
    if viewer_id is SYSTEM:
        return True
    if not viewer_id or not isinstance(viewer_id, str):
        return False
    person = session.get(Person, viewer_id)
    return person is not None and employed_on(person.start_date, person.end_date, today)


def require_employed(session: Session, viewer_id: Viewer, today: date) -> None:
    if not is_employed(session, viewer_id, today):
        raise NotPermitted(f"{viewer_id!r} is not employed on {today}")


def is_admin_in(session: Session, viewer_id: Viewer, today: date) -> bool:
    """As `is_admin`, in the caller's session (inside a write transaction, for instance)."""
    return viewer_id is SYSTEM or "admin" in (_roles_if_employed(session, viewer_id, today) or ())


def require_admin_in(session: Session, viewer_id: Viewer, today: date | None = None) -> None:
    if not is_admin_in(session, viewer_id, today or date.today()):
        raise NotPermitted(f"{viewer_id!r} is not an admin")


def is_admin(db: Database, viewer_id: Viewer, today: date | None = None) -> bool:
    if viewer_id is SYSTEM:
        return True
    with db.read() as session:
        return is_admin_in(session, viewer_id, today or date.today())


def require_admin(db: Database, viewer_id: Viewer, today: date | None = None) -> None:
    """Raise NotPermitted unless `viewer_id` is an employed person with the admin role (or the operator)."""
    if not is_admin(db, viewer_id, today):
        raise NotPermitted(f"{viewer_id!r} is not an admin")


def manages_unit(session: Session, viewer_id: Viewer, unit_id: str) -> bool:
    """`unit_id` is one of the units `viewer_id` manages, at any depth (employment is the caller's check)."""
    if viewer_id is SYSTEM:
        return True
    if not viewer_id or not isinstance(viewer_id, str):
        return False
    return session.scalar(select(Unit.id).where(
        Unit.id == unit_id, Unit.id.in_(subtree_unit_ids(viewer_id).scalar_subquery()))) is not None


def manages_anyone(session: Session, viewer_id: Viewer) -> bool:
    if viewer_id is SYSTEM:
        return True
    if not viewer_id or not isinstance(viewer_id, str):
        return False
    return session.scalar(select(Unit.id).where(Unit.manager_id == viewer_id).limit(1)) is not None


def may_see_person(session: Session, viewer_id: Viewer, person_id: str, today: date, *, manager: bool = True,
                   admin: bool = False) -> bool:
    """May `viewer_id` see `person_id`'s results on `today`? The one rule for every such read:

    - the person themselves, while employed;
    - with `manager` (the default): an employed manager whose units, at any depth, hold the person, and only
      while the person is employed today (not someone who has left, nor a new hire before the first day);
    - with `admin`: an employed admin (the answer to each question is for the person and admins only, so that
      read passes manager=False, admin=True).

    Everything is read from the store, in two or three small queries: nothing the page says counts."""
    if viewer_id is SYSTEM:
        return True
    if not person_id or not is_employed(session, viewer_id, today):
        return False
    if viewer_id == person_id:
        return True
    if admin and "admin" in (_roles_if_employed(session, viewer_id, today) or ()):
        return True
    if manager:
        return session.scalar(select(Person.id).where(
            Person.id == person_id, Person.unit_id.in_(subtree_unit_ids(viewer_id).scalar_subquery()),
            Person.start_date <= today, or_(Person.end_date.is_(None), Person.end_date >= today))) is not None
    return False


def require_person(session: Session, viewer_id: Viewer, person_id: str, today: date, *, manager: bool = True,
                   admin: bool = False) -> None:
    """Raise NotPermitted unless `may_see_person`."""
    if not may_see_person(session, viewer_id, person_id, today, manager=manager, admin=admin):
        raise NotPermitted(person_id)
