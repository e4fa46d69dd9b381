"""Certificates for a completed track: issued once per person, track and completion day, with a code an admin
can check.

"Completed" is the status rule every other figure uses (`reports.status_rows`, done or passed by the
diagnostic), so a certificate is never issued for a track the dashboard shows as unfinished.

A learner issues and downloads their own certificates only; checking a code is for admins and is recorded in the
audit log (CERTIFICATE_CHECK).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from course.content.loader import Course
from course.documents.certificate import CertificateText, certificate_pdf
from course import rules
from course.plain import typed_code
from progress import audit, reports
from progress.access import SYSTEM, NotPermitted, Viewer, is_employed, require_admin
from progress.db import Database
from progress.models import Certificate, PersonRole

# No 0/O and no 1/I: a code read aloud or typed from paper cannot be misread. 32 symbols, 10 of them: 50 bits.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10


class NotComplete(ValueError):
    """The person has not done every module of the track (or the track is not theirs)."""


@dataclass(frozen=True)
class CertificateRecord:
    code: str
    person_id: str
    person_name: str
    track_id: str
    track_title: str
    completed_on: date
    content_version: str
    issued_at: datetime

    @property
    def printed_code(self) -> str:
        return format_code(self.code)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str:
    """What a person types, as stored (course.plain.typed_code)."""
    return typed_code(code)


def format_code(code: str) -> str:
    """For print: two groups of five, easier to read and type."""
    return f"{code[:5]}-{code[5:]}" if len(code) == CODE_LENGTH else code


def track_completed_on(db: Database, course: Course, person_id: str, track_id: str, today: date) -> date | None:
    """The day the last module of the track was done, when every module of it is done on `today`; else None."""
    found = _completion(db, course, person_id, track_id, today)
    return found[0] if found else None


def _completion(db: Database, course: Course, person_id: str, track_id: str, today: date) -> tuple[date, str] | None:
    """(the day the track's last module was done, the person's name), when the track is the person's (one of
    their roles has it) and every module of it is done on `today`."""
    track = course.tracks.get(track_id)
    if track is None:
        return None
    with db.read() as session:
        roles = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)))
    if not rules.may_open_track(course, roles, track_id):
        return None
    rows = {row.module_id: row for row in reports.status_rows(db, course, today, person_ids=[person_id])}
    done_at = rules.track_done_at(track, rows)  # the one rule for "track done" (the learner's page uses it too)
    if done_at is None:
        return None
    return done_at.date(), rows[track.modules[0]].name


def _require_self(db: Database, viewer_id: Viewer, person_id: str, today: date) -> None:
    """A learner's certificates are theirs alone (or the operator's, at the command line)."""
    if viewer_id is SYSTEM:
        return
    with db.read() as session:
        if viewer_id != person_id or not is_employed(session, viewer_id, today):
            raise NotPermitted(person_id)


def issue(db: Database, viewer_id: Viewer, course: Course, person_id: str, track_id: str,
          today: date | None = None) -> CertificateRecord:
    """The person's certificate for the track as completed now: the existing one when it was issued before for
    the same completion, else a new one. Only the person themselves (NotPermitted). Raises NotComplete when the
    track is not done."""
    today = today or date.today()
    _require_self(db, viewer_id, person_id, today)
    found = _completion(db, course, person_id, track_id, today)
    if found is None:
        raise NotComplete(f"{person_id} har inte gått klart {track_id}")
    completed_on, name = found
    track = course.tracks[track_id]
    for _ in range(5):
        existing = _existing(db, person_id, track_id, completed_on)
        if existing is not None:
            return existing
        values = dict(code=new_code(), person_id=person_id, person_name=name, track_id=track_id,
                      track_title=track.title, completed_on=completed_on,
                      content_version=course.track_version(track_id),
                      issued_at=datetime.now(timezone.utc).replace(tzinfo=None))

        def add(session, values=values):
            certificate = Certificate(**values)
            session.add(certificate)
            session.flush()
            return _record(certificate)

        try:
            return db.write(add)
        except IntegrityError:
            # A double click issued it at the same moment (the unique key), or, once in 2**50, the code was taken:
            # look again, and try a new code if it is still not there.
            continue
    raise RuntimeError("could not issue a certificate")  # pragma: no cover - five collisions in a row


def _existing(db: Database, person_id: str, track_id: str, completed_on: date) -> CertificateRecord | None:
    with db.read() as session:
        certificate = session.scalar(select(Certificate).where(
            Certificate.person_id == person_id, Certificate.track_id == track_id,
            Certificate.completed_on == completed_on))
        return _record(certificate) if certificate else None


def find(db: Database, viewer_id: Viewer, code: str) -> CertificateRecord | None:
    """The certificate with this code, as typed (any case, spaces and dashes ignored); None when unknown. For
    admins; every check is recorded (CERTIFICATE_CHECK: the code and whose certificate it is, if anyone's)."""
    require_admin(db, viewer_id)
    code = normalise(code)
    found = None
    if len(code) == CODE_LENGTH:
        with db.read() as session:
            certificate = session.get(Certificate, code)
            found = _record(certificate) if certificate else None
    audit.log(db, viewer_id, audit.CERTIFICATE_CHECK, found.person_id if found else None, code=code[:40],
              found=found is not None)
    return found


@dataclass(frozen=True)
class CheckedCertificate:
    """What an admin's check of a code shows: the certificate, its track's name in the page's language, and
    whether the track's content has changed since it was issued."""

    record: CertificateRecord
    track_title: str  # shown_track_title
    outdated: bool  # rules.certificate_outdated: the track is still there, on another content version


def check(db: Database, viewer_id: Viewer, course: Course, code: str,
          language: str = "sv") -> CheckedCertificate | None:
    """`find`, with what the check page shows beside the record; None when the code is unknown. For admins; in
    the audit log."""
    record = find(db, viewer_id, code)
    if record is None:
        return None
    return CheckedCertificate(record, shown_track_title(course, record, language), outdated(course, record))


def outdated(course: Course, record: CertificateRecord) -> bool:
    """The track was changed since the certificate was issued (a track that is gone has nothing to compare)."""
    current = course.track_version(record.track_id) if record.track_id in course.tracks else None
    return rules.certificate_outdated(current, record.content_version)


def for_person(db: Database, viewer_id: Viewer, person_id: str) -> list[CertificateRecord]:
    """The person's certificates, for the person themselves."""
    _require_self(db, viewer_id, person_id, date.today())
    with db.read() as session:
        return [_record(c) for c in session.scalars(select(Certificate).where(Certificate.person_id == person_id)
                                                     .order_by(Certificate.issued_at))]


def shown_track_title(course: Course, record: CertificateRecord, language: str = "sv") -> str:
    """The track's name as a certificate shows it in `language`: the title it was issued under (a record keeps
    its facts), or that title's translation while the track still has it (config/tracks.yaml)."""
    track = course.tracks.get(record.track_id)
    if track is None or track.title != record.track_title:  # gone or renamed since: only the record's own name
        return record.track_title
    return course.track_title(record.track_id, language)


def pdf_file(course: Course, record: CertificateRecord, language: str = "sv") -> bytes:
    """The certificate as printed, the same every time it is downloaded in the same language."""
    organisation = course.organisation.namn if course.organisation else ""
    text = CertificateText(organisation, record.person_name, shown_track_title(course, record, language),
                           record.completed_on, record.content_version, record.printed_code)
    return certificate_pdf(text, language)


def issue_pdf(db: Database, viewer_id: Viewer, course: Course, person_id: str, track_id: str,
              today: date | None = None, language: str = "sv") -> bytes:
    """Issue (or find) the certificate and print it in `language`: what the learner's download button calls
    (their own). The certificate is the same whichever language it is printed in."""
    return pdf_file(course, issue(db, viewer_id, course, person_id, track_id, today), language)


def _record(certificate: Certificate) -> CertificateRecord:
    return CertificateRecord(certificate.code, certificate.person_id, certificate.person_name,
                             certificate.track_id, certificate.track_title, certificate.completed_on,
                             certificate.content_version, certificate.issued_at)
