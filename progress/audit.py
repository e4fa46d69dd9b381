"""The audit log: who looked at whose results and who did which admin action, when. Append-only.

`record` writes in the caller's transaction, so an admin action and its audit row commit together or not at all;
`log` is for reads (a talk page, a PDF, an export), in a transaction of its own. Nothing here updates a row, and
the database refuses an UPDATE (migration 0009); only the audit log's own retention deletes old rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from progress.access import require_admin
from progress.attempts import utcnow
from progress.db import Database
from progress.models import AuditEvent

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


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor_id: str | None
    action: str
    subject_id: str | None
    detail: dict


def record(session: Session, actor_id: str | None, action: str, subject_id: str | None = None, **detail) -> None:
    """Add one event in the caller's transaction. `detail` must be JSON-able (ids, counts, a file name)."""
    session.add(AuditEvent(at=utcnow(), actor_id=actor_id, action=action, subject_id=subject_id,
                           detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None))


def log(db: Database, actor_id: str | None, action: str, subject_id: str | None = None, **detail) -> None:
    """Add one event in a transaction of its own (for reads: the view itself writes nothing else)."""
    db.write(lambda session: record(session, actor_id, action, subject_id, **detail))


def events(db: Database, viewer_id: str, start: date | None = None, end: date | None = None, *,
           actor_id: str | None = None, subject_id: str | None = None, limit: int = 5000) -> list[AuditRecord]:
    """The newest events first, for admins only. `start`/`end` are inclusive days."""
    require_admin(db, viewer_id)
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if start:
        query = query.where(AuditEvent.at >= datetime.combine(start, time.min))
    if end:
        query = query.where(AuditEvent.at <= datetime.combine(end, time.max))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if subject_id:
        query = query.where(AuditEvent.subject_id == subject_id)
    with db.read() as session:
        rows = session.scalars(query).all()
    return [AuditRecord(row.id, row.at, row.actor_id, row.action, row.subject_id,
                        json.loads(row.detail) if row.detail else {}) for row in rows]
