"""Who is asking: a person's id, the operator (SYSTEM) or nobody, and whether they are employed on a day.

The lowest layer of access control, with no knowledge of units or roles, so that both `access` (who may see
what) and `unit_tree` (whose figures a manager sees) build on it without importing each other.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from progress.models import Person


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


def employed_sql(day: date):
    """employed_on as a condition on people in a query: the same rule, where the database filters."""
    return and_(Person.start_date <= day, or_(Person.end_date.is_(None), Person.end_date >= day))


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
