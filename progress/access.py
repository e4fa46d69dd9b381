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
from progress.models import Person, PersonRole


class NotPermitted(PermissionError):
    """The viewer may not see or do this (not the person, not their manager, not an admin, or no longer employed)."""


def employed_on(start_date: date, end_date: date | None, day: date) -> bool:
    """Employed (or in office) on `day`: started, and not yet ended. The end date is the last day."""
    return start_date <= day and (end_date is None or end_date >= day)


def _roles_if_employed(session: Session, viewer_id: str | None, today: date) -> set[str] | None:
    if not viewer_id:
        return None
    person = session.get(Person, viewer_id)
    if person is None or not employed_on(person.start_date, person.end_date, today):
        return None
    return set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == viewer_id)))


def is_admin(db: Database, viewer_id: str | None, today: date | None = None) -> bool:
    with db.read() as session:
        return "admin" in (_roles_if_employed(session, viewer_id, today or date.today()) or ())


def require_admin(db: Database, viewer_id: str | None, today: date | None = None) -> None:
    """Raise NotPermitted unless `viewer_id` is an employed person with the admin role."""
    if not is_admin(db, viewer_id, today):
        raise NotPermitted(f"{viewer_id!r} is not an admin")
