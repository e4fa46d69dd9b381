"""The unit tree and a manager's scope: which units, and so which people, a figure or a list covers.

Units form a tree (förvaltning, avdelning, enhet, bolag, nämnd); a manager manages units, and sees the units
under them at every depth. The units (a few hundred rows) are read once and walked in Python, so the big tables
are filtered by a small list of unit ids instead of a recursive join.

Is a manager in their own scope? Yes, when they are a person in one of the units they manage: the scope is a
set of units, and everyone employed in those units is in it, the manager too (a manager takes the course like
everyone else, and their own figures count in their unit's). Pages that list people to follow up may leave the
viewer out of the list they show; they do not change the scope.

The same tree in the database, for a query that filters by it in one statement (access checks, the follow-up
list, reminders, the topic tallies): `managed_units_query` and `unit_and_below_query`, recursive CTEs over the
same parent links. The förvaltning a unit belongs to (`administration_of`) and the manager's units as an
indented list (`unit_choices`) are walks of the same tree, here too.

Whom a figure covers is decided here, never by the page: `scope_for` derives the scope from the viewer's id
(the units they manage while employed, or one unit among them), and every figure refuses a scope it did not
make (`checked`, NotPermitted).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable

from sqlalchemy import Select, select, true

from course.rules import ADMINISTRATION_KINDS
from progress.db import Database
from progress.models import Unit
from progress.viewer import SYSTEM, NotPermitted, Viewer, is_employed, require_employed


@dataclass(frozen=True)
class UnitInfo:
    id: str
    name: str
    kind: str
    parent_id: str | None
    manager_id: str | None


@dataclass(frozen=True)
class Scope:
    """Whom a figure covers: the units under `roots` at every depth (the manager's units, or one chosen unit in
    them), optionally only people with `role`. Figures are grouped by `groups`: each unit to the unit one level
    under a root that contains it (the root itself for people directly in it), which is the dashboard's drill-
    down: choose a unit and its sub-units become the bars."""

    groups: dict[str, str]  # unit id -> group unit id
    names: dict[str, str]  # group unit id -> name
    role: str | None = None
    today: date = field(default_factory=date.today)
    everything: bool = False  # every unit of the organisation is in scope: no unit filter is needed
    unit_names: dict[str, str] = field(default_factory=dict)  # every unit in scope by id
    units_outside: tuple[str, ...] = ()  # the organisation's other units: the shorter list to filter by, often
    viewer_id: Viewer = None  # whom scope_for made it for
    issued: object = field(default=None, repr=False, compare=False)  # scope_for's mark; see checked

    @property
    def unit_ids(self) -> list[str]:
        return list(self.groups)


@dataclass(frozen=True)
class UnitChoice:
    """A unit a manager can pick, with its depth under the manager's units (0 for one they manage)."""

    id: str
    name: str
    depth: int


def managed_units_query(manager_id: str) -> Select:
    """Every unit under the units `manager_id` manages, at every depth, them included: one recursive query."""
    tree = select(Unit.id).where(Unit.manager_id == manager_id).cte("managed", recursive=True)
    tree = tree.union(select(Unit.id).join(tree, Unit.parent_id == tree.c.id))
    return select(tree.c.id)


def unit_and_below_query(unit_id: str) -> Select:
    """A unit and every unit under it, at every depth: one recursive query."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("unit_tree", recursive=True)
    tree = tree.union(select(Unit.id).join(tree, Unit.parent_id == tree.c.id))
    return select(tree.c.id)


def load_units(db: Database) -> dict[str, UnitInfo]:
    with db.read() as session:
        return {row.id: UnitInfo(row.id, row.name, row.kind, row.parent_id, row.manager_id)
                for row in session.execute(select(Unit.id, Unit.name, Unit.kind, Unit.parent_id, Unit.manager_id))}


def managed_roots(units: dict[str, UnitInfo], manager_id: str) -> list[str]:
    """The units a manager manages that are not under another unit they manage."""
    managed = {unit_id for unit_id, unit in units.items() if unit.manager_id == manager_id}
    return sorted(unit_id for unit_id in managed if not (_ancestors(units, unit_id) & managed))


def _ancestors(units: dict[str, UnitInfo], unit_id: str) -> set[str]:
    found, current = set(), units[unit_id].parent_id
    while current is not None and current in units and current not in found:
        found.add(current)
        current = units[current].parent_id
    return found


def children(units: dict[str, UnitInfo]) -> dict[str | None, list[str]]:
    result: dict[str | None, list[str]] = {}
    for unit in units.values():
        result.setdefault(unit.parent_id, []).append(unit.id)
    return result


def make_scope(units: dict[str, UnitInfo], roots: Iterable[str], role: str | None = None,
               today: date | None = None) -> Scope:
    below = children(units)
    groups: dict[str, str] = {}
    names: dict[str, str] = {}
    for root in roots:
        groups[root] = root
        names[root] = units[root].name
        for child in below.get(root, []):
            names[child] = units[child].name
            stack = [child]
            while stack:
                unit_id = stack.pop()
                if unit_id not in groups:
                    groups[unit_id] = child
                    stack.extend(below.get(unit_id, []))
    return Scope(groups, names, role, today or date.today(), everything=set(groups) >= set(units),
                 unit_names={unit_id: units[unit_id].name for unit_id in groups},
                 units_outside=tuple(sorted(set(units) - set(groups))))


def subtree_of(units: dict[str, UnitInfo], roots: Iterable[str]) -> set[str]:
    return set(make_scope(units, roots).groups)


def unit_choices(units: dict[str, UnitInfo], roots: Iterable[str]) -> list[UnitChoice]:
    """The units under `roots` in tree order: a unit before the units under it, siblings by name."""
    below = children(units)
    result: list[UnitChoice] = []

    def walk(unit_id: str, depth: int) -> None:
        result.append(UnitChoice(unit_id, units[unit_id].name, depth))
        for child in sorted(below.get(unit_id, []), key=lambda u: units[u].name):
            walk(child, depth + 1)

    for root in sorted(roots, key=lambda u: units[u].name):
        walk(root, 0)
    return result


def managed_unit_choices(db: Database, manager_id: Viewer, today: date | None = None) -> list[UnitChoice]:
    """The units under `manager_id` at every depth, in tree order. Raises NotPermitted for a viewer not
    employed today; a viewer who manages nothing gets an empty list."""
    with db.read() as session:
        require_employed(session, manager_id, today or date.today())
    units = load_units(db)
    return unit_choices(units, managed_roots(units, manager_id) if isinstance(manager_id, str) else [])


def administration_of(units: dict[str, UnitInfo]) -> dict[str, UnitInfo]:
    """unit id -> its förvaltning: the nearest unit at or above it whose kind is one of ADMINISTRATION_KINDS;
    the topmost unit when there is none."""
    result = {}
    for unit_id in units:
        current, seen = unit_id, set()
        while True:
            unit = units[current]
            if (unit.kind in ADMINISTRATION_KINDS or unit.parent_id is None or unit.parent_id not in units
                    or unit.parent_id in seen):
                break  # `seen` guards against a cycle an import could leave behind
            seen.add(current)
            current = unit.parent_id
        result[unit_id] = units[current]
    return result


_ISSUED = object()  # only scope_for puts this in a Scope: a scope built elsewhere (a page) is refused


def scope_for(db: Database, viewer_id: Viewer, unit_id: str | None = None, role: str | None = None,
              today: date | None = None, units: dict[str, UnitInfo] | None = None) -> Scope:
    """The scope of the viewer's dashboard, from the store: the units they manage (at every depth) while they
    are employed on `today`, or `unit_id` when it is one of them; the whole organisation for the operator
    (access.SYSTEM). A unit outside the viewer's, or a viewer who has left, raises NotPermitted; a viewer who
    manages nothing gets an empty scope. `units` (load_units) saves reading them again."""
    today = today or date.today()
    with db.read() as session:
        if not is_employed(session, viewer_id, today):
            raise NotPermitted(f"{viewer_id!r} is not employed on {today}")
    units = units if units is not None else load_units(db)
    if viewer_id is SYSTEM:
        roots = sorted(u.id for u in units.values() if u.parent_id is None or u.parent_id not in units)
    else:
        roots = managed_roots(units, viewer_id)
    if unit_id is not None:
        if unit_id not in subtree_of(units, roots):
            raise NotPermitted(f"{unit_id!r} is not under {viewer_id!r}")
        roots = [unit_id]
    scope = make_scope(units, roots, role, today)
    return replace(scope, viewer_id=viewer_id, issued=_ISSUED)


def checked(scope: Scope) -> Scope:
    """The scope, when scope_for made it; else NotPermitted (a page cannot widen what it was given)."""
    if scope.issued is not _ISSUED:
        raise NotPermitted("a scope must come from unit_tree.scope_for")
    return scope


def unit_filter(unit_column, scope: Scope):
    """The unit filter: none when the scope is every unit there is, else the shorter of "one of these" and
    "none of those" (the top manager's scope is nearly every unit)."""
    if scope.everything:
        return true()
    if len(scope.units_outside) < len(scope.groups):
        return unit_column.not_in(scope.units_outside)
    return unit_column.in_(scope.unit_ids)
