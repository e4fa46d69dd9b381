"""Sign-in identity: bound to issuer + subject, matched by e-mail only when that is unambiguous, never by chance;
people not employed today are refused; the CLI says where it writes and refuses the demo's database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select, update

from progress import identity
from progress.identity import Claims, Refusal, SignInRefused
from progress.models import AuditEvent, Identity, Person, Unit

TODAY = date(2026, 12, 1)
ISSUER = "https://idp.kommun.example"


def _people(db, *rows):
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": "u", "name": "Enheten", "kind": "enhet"}])
        connection.execute(insert(Person), [
            {"id": pid, "name": pid.title(), "email": email, "unit_id": "u",
             "start_date": start or TODAY - timedelta(days=100), "end_date": end}
            for pid, email, start, end in rows])


def _claims(sub="s-1", email="anna@kommun.example", verified=True, issuer=ISSUER):
    return Claims(issuer=issuer, subject=sub, email=identity.normalise_email(email), email_verified=verified)


def _refusal(db, claims) -> Refusal:
    with pytest.raises(SignInRefused) as refused:
        identity.resolve(db, claims, TODAY)
    return refused.value.reason


def test_first_sign_in_binds_and_later_ones_use_the_binding_alone(db):
    _people(db, ("anna", " Anna@Kommun.example ", None, None))
    assert identity.resolve(db, _claims(email="ANNA@kommun.example "), TODAY) == "anna"
    with db.read() as session:
        assert session.scalars(select(Identity.person_id)).all() == ["anna"]
    # The address changes in the HR file, or is given to somebody else: the binding still names Anna.
    with db.engine.begin() as connection:
        connection.execute(update(Person).values(email="ny@kommun.example"))
    assert identity.resolve(db, _claims(email="whatever@elsewhere.example"), TODAY) == "anna"


def test_an_address_two_employed_people_share_is_refused_not_guessed(db):
    _people(db, ("oskar1", "oskar.johansson@kommun.example", None, None),
            ("oskar2", "Oskar.Johansson@kommun.example", None, None))
    assert _refusal(db, _claims(email="oskar.johansson@kommun.example")) is Refusal.AMBIGUOUS
    with db.read() as session:
        assert session.scalar(select(Identity.person_id)) is None


def test_a_shared_address_where_only_one_is_employed_matches_that_one(db):
    _people(db, ("old", "kim@kommun.example", TODAY - timedelta(days=900), TODAY - timedelta(days=400)),
            ("new", "kim@kommun.example", None, None))
    assert identity.resolve(db, _claims(email="kim@kommun.example"), TODAY) == "new"


def test_unverified_email_is_refused_and_missing_verification_is_accepted(db):
    _people(db, ("anna", "anna@kommun.example", None, None))
    assert _refusal(db, _claims(verified=False)) is Refusal.UNVERIFIED
    assert identity.resolve(db, _claims(verified=None), TODAY) == "anna"
    assert Claims.from_mapping({"iss": ISSUER, "sub": "x", "email": "a@b", "email_verified": "false"}
                               ).email_verified is False


def test_unknown_ended_and_not_started_are_refused_with_their_own_reason(db):
    _people(db, ("left", "left@kommun.example", date(2015, 1, 1), date(2020, 6, 30)),
            ("soon", "soon@kommun.example", TODAY + timedelta(days=3), None))
    assert _refusal(db, _claims(email="nobody@kommun.example")) is Refusal.UNKNOWN
    assert _refusal(db, _claims(email="left@kommun.example")) is Refusal.ENDED
    assert _refusal(db, _claims(email="soon@kommun.example")) is Refusal.NOT_STARTED


def test_a_bound_person_who_has_left_is_refused_on_the_next_sign_in(db):
    _people(db, ("anna", "anna@kommun.example", None, None))
    identity.resolve(db, _claims(), TODAY)
    with db.engine.begin() as connection:
        connection.execute(update(Person).values(end_date=TODAY - timedelta(days=1)))
    assert _refusal(db, _claims()) is Refusal.ENDED
    # the end date is the last day: still in on that day
    with db.engine.begin() as connection:
        connection.execute(update(Person).values(end_date=TODAY))
    assert identity.resolve(db, _claims(), TODAY) == "anna"


def test_a_second_account_for_a_bound_person_is_refused(db):
    _people(db, ("anna", "anna@kommun.example", None, None))
    identity.resolve(db, _claims(sub="first"), TODAY)
    assert _refusal(db, _claims(sub="second")) is Refusal.BOUND_ELSEWHERE


def test_no_subject_or_issuer_is_refused(db):
    assert _refusal(db, _claims(sub="")) is Refusal.NO_SUBJECT
    assert _refusal(db, _claims(issuer="")) is Refusal.NO_SUBJECT


def test_the_subject_claim_is_configurable_for_entra_oid():
    claims = Claims.from_mapping({"iss": ISSUER, "sub": "pairwise-1", "oid": "0000-aaaa", "email": "A@B.se "},
                                 subject_claim="oid")
    assert (claims.subject, claims.email) == ("0000-aaaa", "a@b.se")


def test_a_refusal_is_audited(db):
    _people(db, ("anna", "anna@kommun.example", None, None))
    claims = _claims(email="intruder@kommun.example")
    with pytest.raises(SignInRefused) as refused:
        identity.resolve(db, claims, TODAY)
    identity.log_refusal(db, refused.value, claims)
    with db.read() as session:
        event = session.scalars(select(AuditEvent)).one()
    assert event.action == "inloggning_nekad" and "intruder@kommun.example" in event.detail


def test_the_demo_seed_gives_no_address_twice(db, fixture_course):
    from collections import Counter

    from progress.seed import is_demo_database, seed

    seed(db, fixture_course, employees=400, history_years=1)
    with db.read() as session:
        emails = Counter(e.strip().lower() for e in session.scalars(select(Person.email)) if e)
    assert emails and max(emails.values()) == 1
    assert is_demo_database(db)
