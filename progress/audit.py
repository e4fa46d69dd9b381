"""The audit log: who looked at whose results and who did which admin action, when. Append-only.

`record` writes in the caller's transaction, so an admin action and its audit row commit together or not at all;
`log` is for reads (a talk page, a PDF, an export), in a transaction of its own. Nothing here updates a row, and
the database refuses an UPDATE (migration 0009); only the audit log's own retention (`cull_before`) deletes old
rows. The operator at the command line (`access.SYSTEM`) is recorded with actor None.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from progress.access import Viewer, actor_of, require_admin
from progress.attempts import utcnow
from progress.db import Database
from progress.models import AuditEvent, Person

# The actions, so that the log reads the same everywhere (and the admin page can name them in Swedish).
VIEW_TALK = "visa_medarbetarsamtal"
VIEW_TALK_PDF = "ladda_ner_medarbetarsamtal"
VIEW_ANSWERS = "visa_svar"
EXPORT_NAMED = "export_med_namn"
IMPORT = "import"
ROLE_CHANGE = "rollandring"
SETTINGS = "installningar"
DATA_EXPORT = "dataexport"
REGISTER_EXTRACT = "registerutdrag"
RETENTION = "gallring"
ERASURE = "radering"
AUDIT_EXPORT = "export_granskningslogg"
CERTIFICATE_CHECK = "verifiera_intyg"
SIGN_IN_REFUSED = "inloggning_nekad"
FACILITATOR_GRANT = "samtalsledare_ratt_given"  # the right to lead group sessions for a unit (facilitators.py)
FACILITATOR_REVOKE = "samtalsledare_ratt_borttagen"


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor_id: str | None
    action: str
    subject_id: str | None
    detail: dict
    actor_name: str | None = None  # from the staff list as it is now; None for the operator or someone erased
    subject_name: str | None = None


def _detail(detail: dict) -> str | None:
    return json.dumps(detail, ensure_ascii=False, default=str) if detail else None


def record(session: Session, actor_id: Viewer, action: str, subject_id: str | None = None, **detail) -> None:
    """Add one event in the caller's transaction. `detail` must be JSON-able (ids, counts, a file name)."""
    session.add(AuditEvent(at=utcnow(), actor_id=actor_of(actor_id), action=action, subject_id=subject_id,
                           detail=_detail(detail)))


def log(db: Database, actor_id: Viewer, action: str, subject_id: str | None = None, **detail) -> None:
    """Add one event in a transaction of its own (for reads: the view itself writes nothing else)."""
    db.write(lambda session: record(session, actor_id, action, subject_id, **detail))


def log_many(db: Database, actor_id: Viewer, action: str, subject_ids, **detail) -> int:
    """One event per person named (an export that lists people), all at one moment, in one transaction: each
    person can then be found by subject. An export that names nobody is one event without a subject."""
    subjects = list(dict.fromkeys(subject_ids)) or [None]  # each person once, in the export's order
    moment, actor, text = utcnow(), actor_of(actor_id), _detail(detail)

    def use_case(session: Session) -> int:
        session.add_all(AuditEvent(at=moment, actor_id=actor, action=action, subject_id=subject, detail=text)
                        for subject in subjects)
        return len(subjects)

    return db.write(use_case)


def cull_before(session: Session, cutoff: datetime) -> int:
    """The audit log's own retention: delete the events older than `cutoff` (UTC, as stored), in the caller's
    transaction; returns how many. The only delete of this table (the retention command calls it)."""
    result = session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
    return result.rowcount or 0


def _matches(person, id_column, text: str):
    """A filter typed by an admin: the id exactly, or a part of the name (any case). Plain text, never a pattern."""
    return or_(id_column == text, func.lower(person.name).contains(text.lower(), autoescape=True))


def events(db: Database, viewer_id: Viewer, start: date | None = None, end: date | None = None, *,
           actor_id: str | None = None, subject_id: str | None = None, actor: str | None = None,
           subject: str | None = None, limit: int = 5000) -> list[AuditRecord]:
    """The newest events first, for admins only. `start`/`end` are inclusive days; `actor_id`/`subject_id` are
    exact ids; `actor`/`subject` are what an admin types: an id, or a part of a name."""
    require_admin(db, viewer_id)
    actor_person, subject_person = aliased(Person), aliased(Person)
    query = (select(AuditEvent, actor_person.name, subject_person.name)
             .outerjoin(actor_person, actor_person.id == AuditEvent.actor_id)
             .outerjoin(subject_person, subject_person.id == AuditEvent.subject_id)
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    if start:
        query = query.where(AuditEvent.at >= datetime.combine(start, time.min))
    if end:
        query = query.where(AuditEvent.at <= datetime.combine(end, time.max))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if subject_id:
        query = query.where(AuditEvent.subject_id == subject_id)
    if actor and actor.strip():
        query = query.where(_matches(actor_person, AuditEvent.actor_id, actor.strip()))
    if subject and subject.strip():
        query = query.where(_matches(subject_person, AuditEvent.subject_id, subject.strip()))
    with db.read() as session:
        rows = session.execute(query).all()
    return [AuditRecord(row.id, row.at, row.actor_id, row.action, row.subject_id,
                        json.loads(row.detail) if row.detail else {}, actor_name, subject_name)
            for row, actor_name, subject_name in rows]


def export(db: Database, viewer_id: Viewer, start: date | None = None, end: date | None = None, *,
           actor: str | None = None, subject: str | None = None, limit: int = 100_000,
           file_format: str = "csv") -> list[AuditRecord]:
    """The events an admin exports (as `events`), after recording the export itself (AUDIT_EXPORT): the log
    says who took a copy of the log, with the filter they used."""
    require_admin(db, viewer_id)
    log(db, viewer_id, AUDIT_EXPORT, None, format=file_format, start=start, end=end, actor=actor or None,
        subject=subject or None)
    return events(db, viewer_id, start, end, actor=actor, subject=subject, limit=limit)
