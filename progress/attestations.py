"""The learner's confirmation, at the end of a track, of having read the municipality's guidelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from progress.attempts import utcnow
from progress.db import Database
from progress.models import Attestation


@dataclass(frozen=True)
class AttestationRecord:
    track_id: str
    guideline_version: str
    attested_at: datetime


class Attestations:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow):
        self.db, self.clock = db, clock

    def attest(self, person_id: str, track_id: str, guideline_version: str) -> AttestationRecord:
        """Idempotent: confirming the same version of the guidelines again keeps the first confirmation."""

        def use_case(session: Session) -> AttestationRecord:
            existing = session.scalars(select(Attestation).where(
                Attestation.person_id == person_id, Attestation.track_id == track_id,
                Attestation.guideline_version == guideline_version)).first()
            if existing is None:
                existing = Attestation(person_id=person_id, track_id=track_id, guideline_version=guideline_version,
                                       attested_at=self.clock())
                session.add(existing)
                session.flush()
            return AttestationRecord(existing.track_id, existing.guideline_version, existing.attested_at)

        try:
            return self.db.write(use_case)
        except IntegrityError:  # a concurrent confirmation wrote it first
            return self.db.write(use_case)

    def latest(self, person_id: str) -> dict[str, AttestationRecord]:
        """The newest confirmation per track."""
        with self.db.read() as session:
            rows = session.scalars(select(Attestation).where(Attestation.person_id == person_id)
                                   .order_by(Attestation.attested_at))
            return {row.track_id: AttestationRecord(row.track_id, row.guideline_version, row.attested_at)
                    for row in rows}
