"""Module states: per person and module, the latest completion, waiver and start (progress.models.ModuleState).

Each use case that writes a completion, a waiver or a new attempt moves the state in the same transaction;
`rebuild` recomputes every state from the records, and a test holds the two equal. A start is an attempt at one
of the module's parts, or a confirmed group session where the module counts them for its scenario part
(course.group.counts_for; Attempts.group_session_confirmed moves the state).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from course import group
from course.content.loader import Course
from progress import daily_counts
from progress.db import Database, insert_for
from progress.models import Attempt, Completion, GroupSessionRecord, ModuleState, StoreMeta, Waiver

FIELDS = ("last_completed_at", "last_waived_at", "last_started_at")


STATE_FIELDS = ("last_completed_at", "last_score", "last_waived_at", "last_started_at")


def moved(session: Session, person_id: str, module_id: str, field: str, at: datetime,
          score: float | None = None) -> tuple[dict | None, dict]:
    """Move `field` of the person's state for the (original) module to `at`, unless it is later already.
    Returns the state before and after (as dicts of STATE_FIELDS; before is None when there was none)."""
    row = session.execute(select(*(getattr(ModuleState, f) for f in STATE_FIELDS))
                          .where(ModuleState.person_id == person_id, ModuleState.module_id == module_id)).first()
    before = dict(zip(STATE_FIELDS, row)) if row is not None else None
    after = dict(before or dict.fromkeys(STATE_FIELDS))
    if after[field] is None or at > after[field]:
        after[field] = at
        if field == "last_completed_at":
            after["last_score"] = score
    values = {"person_id": person_id, "module_id": module_id, field: at}
    if field == "last_completed_at":
        values["last_score"] = score
    statement = insert_for(session, ModuleState).values(values)
    current, new = getattr(ModuleState, field), getattr(statement.excluded, field)
    later = (current.is_(None)) | (new > current)
    updates = {field: case((later, new), else_=current)}
    if field == "last_completed_at":
        updates["last_score"] = case((later, statement.excluded.last_score), else_=ModuleState.last_score)
    session.execute(statement.on_conflict_do_update(index_elements=["person_id", "module_id"], set_=updates))
    return before, after


# What the states follow from besides the records, as the last rebuild saw it (in store_meta): which module is a
# translation of which (its attempts start the original) and which modules count a confirmed group session as a
# start. A change of either (config/tracks.yaml's group_sessions:, a new translation) makes the states out of date,
# and the next start rebuilds them.
BASIS_KEY = "module_states_basis"


def _translations(course: Course) -> dict[str, str]:
    """A translation's id -> its original's: a translation's attempts start the original."""
    return {m.id: m.translation_of for m in course.modules.values() if m.translation_of}


def _counting_group_sessions(course: Course) -> list[str]:
    """The modules where a confirmed group session counts for the scenario part, so starts the module."""
    return sorted(m for m in course.modules if group.counts_for(course.group_sessions, m) == group.SCENARIO_PART)


def basis(course: Course) -> str:
    parts = [sorted(_translations(course).items()), _counting_group_sessions(course)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def basis_row(course: Course) -> dict:
    """The store_meta row that says the states follow `course` (the seed writes it beside the states it makes)."""
    return {"key": BASIS_KEY, "value": basis(course)}


def out_of_date(db: Database, course: Course) -> bool:
    """The states were made for another basis, or never by a rebuild or the seed (a new database, or one from
    before the basis was kept)."""
    with db.read() as session:
        return session.scalar(select(StoreMeta.value).where(StoreMeta.key == BASIS_KEY)) != basis(course)


def rebuild(db: Database, course: Course) -> int:
    """Recompute every state from completions, waivers, attempts and the group sessions that count; returns the
    number of states."""
    translations = _translations(course)
    base = case(translations, value=Attempt.module_id, else_=Attempt.module_id) if translations else Attempt.module_id

    def use_case(session: Session) -> int:
        daily_counts.forget(session)
        session.execute(delete(ModuleState))
        session.execute(delete(StoreMeta).where(StoreMeta.key == BASIS_KEY))
        session.execute(insert(StoreMeta).values(basis_row(course)))
        states: dict[tuple[str, str], dict] = {}

        def state(person_id, module_id):
            return states.setdefault((person_id, module_id), {"person_id": person_id, "module_id": module_id,
                                                              "last_completed_at": None, "last_score": None,
                                                              "last_waived_at": None, "last_started_at": None})

        latest = (select(Completion.person_id, Completion.module_id, func.max(Completion.completed_at).label("at"))
                  .group_by(Completion.person_id, Completion.module_id).subquery())
        for person_id, module_id, at, score in session.execute(
                select(Completion.person_id, Completion.module_id, Completion.completed_at, Completion.score_percent)
                .join(latest, (Completion.person_id == latest.c.person_id)
                      & (Completion.module_id == latest.c.module_id) & (Completion.completed_at == latest.c.at))):
            state(person_id, module_id).update(last_completed_at=at, last_score=score)
        for person_id, module_id, at in session.execute(
                select(Waiver.person_id, Waiver.module_id, func.max(Waiver.waived_at))
                .group_by(Waiver.person_id, Waiver.module_id)):
            state(person_id, module_id)["last_waived_at"] = at
        for person_id, module_id, at in session.execute(
                select(Attempt.person_id, base, func.max(Attempt.started_at))
                .where(Attempt.kind.in_(("scenario", "quiz"))).group_by(Attempt.person_id, base)):
            state(person_id, module_id)["last_started_at"] = at
        # a confirmed group session starts the module too, where the module counts it for its scenario part
        counting = _counting_group_sessions(course)
        group_starts = (select(GroupSessionRecord.person_id, GroupSessionRecord.module_id,
                               func.max(GroupSessionRecord.confirmed_at))
                        .where(GroupSessionRecord.module_id.in_(counting))
                        .group_by(GroupSessionRecord.person_id, GroupSessionRecord.module_id))
        for person_id, module_id, at in (session.execute(group_starts) if counting else ()):
            started = state(person_id, module_id)
            started["last_started_at"] = max(at, started["last_started_at"] or at)
        rows = list(states.values())
        for start in range(0, len(rows), 10000):
            session.execute(insert(ModuleState), rows[start:start + 10000])
        return len(rows)

    return db.write(use_case)
