"""Who may read or do what, checked in the store: a page that hides a button is not access control.

Every function that reads a person's results or does an admin's work takes the viewer's id and asks here. The
viewer's roles and employment are read from the database each time, never taken from the caller, so a crafted
session value or a person who has left gets a refusal, not data.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from progress.db import Database
from progress.models import Person, PersonRole, Unit
from progress.unit_tree import managed_units_query
from progress.viewer import (SYSTEM, NotPermitted, System, Viewer, actor_of, employed_on,  # noqa: F401
                             employed_sql, is_employed, require_employed)


def _roles_if_employed(session: Session, viewer_id: Viewer, today: date) -> set[str] | None:
    if not viewer_id or not isinstance(viewer_id, str):
        return None
    person = session.get(Person, viewer_id)
    if person is None or not employed_on(person.start_date, person.end_date, today):
        return None
    return set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == viewer_id)))


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
        Unit.id == unit_id, Unit.id.in_(managed_units_query(viewer_id).scalar_subquery()))) is not None


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
            Person.id == person_id, Person.unit_id.in_(managed_units_query(viewer_id).scalar_subquery()),
            employed_sql(today))) is not None
    return False


def require_person(session: Session, viewer_id: Viewer, person_id: str, today: date, *, manager: bool = True,
                   admin: bool = False) -> None:
    """Raise NotPermitted unless `may_see_person`."""
    if not may_see_person(session, viewer_id, person_id, today, manager=manager, admin=admin):
        raise NotPermitted(person_id)
