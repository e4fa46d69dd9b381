"""Who is signing in: a sign-in identity (issuer + a stable subject claim) bound to exactly one person.

The first sign-in binds by e-mail, and only when that is unambiguous: the provider does not say the address is
unverified, and exactly one person employed today has it (trimmed, case-insensitive). Every later sign-in finds
the person by the binding alone. Nothing is ever resolved by chance: an address two people share, an address
whose person is already bound to another identity, and a person not employed today are refused, each with its
own reason, which the app turns into a Swedish page.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from progress import audit
from progress.access import employed_on
from progress.attempts import utcnow
from progress.db import Database
from progress.models import Identity, Person


class Refusal(enum.Enum):
    NO_SUBJECT = "no_subject"  # the provider gave no issuer or no subject claim
    UNVERIFIED = "unverified"  # email_verified is false
    NO_EMAIL = "no_email"  # no binding yet, and no address to make one by
    UNKNOWN = "unknown"  # no one in the staff list has the address
    AMBIGUOUS = "ambiguous"  # more than one employed person has it
    BOUND_ELSEWHERE = "bound_elsewhere"  # the person with that address signs in with another identity
    ENDED = "ended"  # the employment (or term of office) has ended
    NOT_STARTED = "not_started"  # it has not started yet


class SignInRefused(Exception):
    """The sign-in is refused: `reason` says why; `email` is the address the provider gave (empty when none)."""

    def __init__(self, reason: Refusal, email: str = ""):
        super().__init__(reason.value)
        self.reason, self.email = reason, email


@dataclass(frozen=True)
class Claims:
    """What the provider says, reduced to what we rely on. `subject` is the configured claim (sub, or oid)."""

    issuer: str
    subject: str
    email: str
    email_verified: bool | None  # None: the provider does not say

    @classmethod
    def from_mapping(cls, claims, subject_claim: str = "sub") -> Claims:
        verified = claims.get("email_verified")
        if isinstance(verified, str):  # some providers send "true"/"false"
            verified = verified.strip().lower() == "true"
        return cls(issuer=str(claims.get("iss") or "").strip(), subject=str(claims.get(subject_claim) or "").strip(),
                   email=normalise_email(str(claims.get("email") or claims.get("preferred_username") or "")),
                   email_verified=verified if isinstance(verified, bool) else None)


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def resolve(db: Database, claims: Claims, today: date) -> str:
    """The id of the person these claims sign in as; raises SignInRefused. Binds on the first sign-in."""
    if not claims.issuer or not claims.subject:
        raise SignInRefused(Refusal.NO_SUBJECT, claims.email)
    try:
        return db.write(lambda session: _resolve(session, claims, today))
    except IntegrityError:  # two first sign-ins at once: the other one bound it; read the binding
        return db.write(lambda session: _resolve(session, claims, today))


def _resolve(session: Session, claims: Claims, today: date) -> str:
    identity = session.get(Identity, (claims.issuer, claims.subject))
    if identity is not None:
        person = session.get(Person, identity.person_id)
        _check_employed(person, claims, today)
        identity.last_sign_in_at = utcnow()
        return person.id
    if claims.email_verified is False:
        raise SignInRefused(Refusal.UNVERIFIED, claims.email)
    if not claims.email:
        raise SignInRefused(Refusal.NO_EMAIL, claims.email)
    people = session.scalars(select(Person).where(func.lower(func.trim(Person.email)) == claims.email)
                             .order_by(Person.id)).all()
    employed = [p for p in people if employed_on(p.start_date, p.end_date, today)]
    if not people:
        raise SignInRefused(Refusal.UNKNOWN, claims.email)
    if len(employed) > 1:
        raise SignInRefused(Refusal.AMBIGUOUS, claims.email)
    if not employed:
        started = [p for p in people if p.start_date <= today]
        raise SignInRefused(Refusal.ENDED if started else Refusal.NOT_STARTED, claims.email)
    person = employed[0]
    if session.scalar(select(func.count()).select_from(Identity).where(Identity.person_id == person.id,
                                                                       Identity.issuer == claims.issuer)):
        raise SignInRefused(Refusal.BOUND_ELSEWHERE, claims.email)
    now = utcnow()
    session.add(Identity(issuer=claims.issuer, subject=claims.subject, person_id=person.id, bound_at=now,
                         last_sign_in_at=now))
    session.flush()
    return person.id


def _check_employed(person: Person, claims: Claims, today: date) -> None:
    if person.start_date > today:
        raise SignInRefused(Refusal.NOT_STARTED, claims.email)
    if person.end_date is not None and person.end_date < today:
        raise SignInRefused(Refusal.ENDED, claims.email)


def log_refusal(db: Database, error: SignInRefused, claims: Claims) -> None:
    """A refused sign-in is worth knowing about; it is logged apart, since the raise rolled its transaction back."""
    audit.log(db, None, audit.SIGN_IN_REFUSED, None, reason=error.reason.value, issuer=claims.issuer,
              email=claims.email)


def identities_of(db: Database, person_id: str) -> list[tuple[str, str]]:
    with db.read() as session:
        return [tuple(row) for row in session.execute(select(Identity.issuer, Identity.subject)
                                                      .where(Identity.person_id == person_id))]
