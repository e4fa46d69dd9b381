"""People, units and roles; who a manager may see (the units under them, at every depth, and no one else)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from progress.db import Database
from progress.models import Person, PersonRole, Unit
from progress.unit_tree import managed_units_query

ROLE_ORDER = ("admin", "chef", "fortroendevald", "medarbetare", "upphandlare", "myndighetsutovare")


@dataclass(frozen=True)
class PersonRecord:
    id: str
    name: str
    email: str | None
    unit_id: str
    unit_name: str
    title: str | None
    start_date: date
    end_date: date | None
    roles: tuple[str, ...]

    @property
    def is_manager(self) -> bool:
        return "chef" in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles



class Org:
    def __init__(self, db: Database):
        self.db = db

    def person(self, person_id: str) -> PersonRecord | None:
        """One query (the app asks on every run: who the user is, and whether employed today)."""
        with self.db.read() as session:
            rows = session.connection().execute(_PERSON_WITH_ROLES, {"person_id": person_id}).all()
        if not rows:
            return None
        first = rows[0]
        roles = _in_role_order(role for *_, role in rows if role is not None)
        return PersonRecord(first.id, first.name, first.email, first.unit_id, first.unit_name, first.title,
                            first.start_date, first.end_date, roles)

    def person_by_email(self, email: str) -> PersonRecord | None:
        if not email:
            return None
        with self.db.read() as session:
            person_id = session.scalar(select(Person.id).where(func.lower(Person.email) == email.lower()).limit(1))
        return self.person(person_id) if person_id else None

    def people(self, ids: list[str]) -> list[PersonRecord]:
        with self.db.read() as session:
            rows = session.execute(select(Person, Unit.name).join(Unit, Person.unit_id == Unit.id)
                                   .where(Person.id.in_(ids)).order_by(Person.name)).all()
            roles = _roles(session, ids)
            return [_record(person, unit_name, roles.get(person.id, ())) for person, unit_name in rows]

    def managed_unit_ids(self, manager_id: str) -> list[str]:
        with self.db.read() as session:
            return list(session.scalars(managed_units_query(manager_id)))


def _roles(session: Session, ids: list[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)
                                           .where(PersonRole.person_id.in_(ids))):
        found.setdefault(person_id, []).append(role)
    return {person_id: _in_role_order(roles) for person_id, roles in found.items()}


def _in_role_order(roles) -> tuple[str, ...]:
    return tuple(sorted(roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else 99))


# Built once: the statement is the same on every run, only the id differs
_PERSON_WITH_ROLES = (select(Person.id, Person.name, Person.email, Person.unit_id, Unit.name.label("unit_name"),
                             Person.title, Person.start_date, Person.end_date, PersonRole.role)
                      .join(Unit, Person.unit_id == Unit.id)
                      .outerjoin(PersonRole, PersonRole.person_id == Person.id)
                      .where(Person.id == bindparam("person_id")))


def _record(person: Person, unit_name: str, roles: tuple[str, ...]) -> PersonRecord:
    return PersonRecord(person.id, person.name, person.email, person.unit_id, unit_name, person.title,
                        person.start_date, person.end_date, roles)
