"""Certificates: issued only for a completed track, once per completion (also under a double click), checked
by their code; the PDF as a reader sees it; the learner's download and the admin's check in the app."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, insert, select, update

from progress import certificates
from progress.access import SYSTEM, NotPermitted
from progress.certificates import ALPHABET, NotComplete, find, format_code, issue, normalise
from progress.db import Database, make_engine
from progress.models import Attempt, Certificate, Completion, Person, PersonRole, Step, Unit
from tests.test_app import open_app
from tests.test_store import run_concurrently

TODAY = date(2026, 3, 1)


def add_people(db) -> None:
    """p-klar has done the track's one module; p-inte has not; p-admin has no track at all."""
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": "u1", "name": "Enheten", "kind": "enhet"}])
        connection.execute(insert(Person), [
            {"id": "p-klar", "name": "Karin Åberg & Dotter", "unit_id": "u1", "start_date": date(2024, 1, 1)},
            {"id": "p-inte", "name": "Inge Intet", "unit_id": "u1", "start_date": date(2024, 1, 1)},
            {"id": "p-admin", "name": "Ada Admin", "unit_id": "u1", "start_date": date(2024, 1, 1)}])
        connection.execute(insert(PersonRole), [{"person_id": "p-klar", "role": "medarbetare"},
                                                {"person_id": "p-inte", "role": "medarbetare"},
                                                {"person_id": "p-admin", "role": "admin"}])
    complete(db, "p-klar", datetime(2025, 11, 20, 14, 30), number=1)


def complete(db, person_id: str, moment: datetime, number: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(insert(Attempt), [{"id": number, "person_id": person_id, "module_id": "prov",
                                              "kind": "quiz", "item_id": "prov-fragor", "attempt_no": number,
                                              "content_version": "v1", "started_at": moment,
                                              "finished_at": moment}])
        connection.execute(insert(Step), [{"id": number, "attempt_id": number, "step_no": 0, "item": "prov-q1",
                                           "response": "0", "correct": True, "idempotency_key": f"k{number}",
                                           "answered_at": moment}])
        connection.execute(insert(Completion), [{"person_id": person_id, "module_id": "prov",
                                                 "content_version": "v1", "started_at": moment,
                                                 "completed_at": moment, "score_percent": 90.0,
                                                 "trigger_step_id": number}])


def count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Certificate))


def test_issued_for_a_completed_track_with_its_day_and_version(db, fixture_course):
    add_people(db)
    certificate = issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY)
    assert certificate.person_name == "Karin Åberg & Dotter" and certificate.track_title == "Provspår"
    assert certificate.completed_on == date(2025, 11, 20)  # the day the track's last module was done
    assert certificate.content_version == fixture_course.track_version("alla")
    assert len(certificate.code) == 10 and set(certificate.code) <= set(ALPHABET)
    assert not set(certificate.code) & set("01OI")


def test_not_issued_for_a_track_that_is_not_done(db, fixture_course):
    add_people(db)
    for person_id, track_id in (("p-inte", "alla"), ("p-admin", "alla"), ("p-klar", "finns-inte")):
        with pytest.raises(NotComplete):
            issue(db, SYSTEM, fixture_course, person_id, track_id, TODAY)
    with pytest.raises(NotComplete):  # a year on, the module is due again: no longer complete
        issue(db, SYSTEM, fixture_course, "p-klar", "alla", date(2026, 11, 21))
    with pytest.raises(NotComplete):  # before the completion it was not done either
        issue(db, SYSTEM, fixture_course, "p-klar", "alla", date(2025, 11, 19))
    assert count(db) == 0


def test_the_same_completion_gets_the_same_certificate_even_on_a_double_click(db, fixture_course):
    add_people(db)
    first = issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY)
    assert issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY + timedelta(days=5)) == first
    codes = run_concurrently(lambda: issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY).code, 6)
    assert set(codes) == {first.code} and count(db) == 1
    complete(db, "p-klar", datetime(2026, 10, 1, 9), number=2)  # the next round: a new certificate
    second = issue(db, SYSTEM, fixture_course, "p-klar", "alla", date(2026, 10, 2))
    assert second.code != first.code and second.completed_on == date(2026, 10, 1) and count(db) == 2


def test_a_code_is_found_as_typed_and_an_unknown_one_is_not(db, fixture_course):
    add_people(db)
    code = issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY).code
    for typed in (code, code.lower(), format_code(code), f" {code[:5]} - {code[5:]} ", f"{code[:3]} {code[3:]}"):
        assert normalise(typed) == code
        assert find(db, SYSTEM, typed).person_id == "p-klar", typed
    other = "".join(ALPHABET[(ALPHABET.index(c) + 1) % len(ALPHABET)] for c in code)
    assert find(db, SYSTEM, other) is None
    assert find(db, SYSTEM, code[:9]) is None and find(db, SYSTEM, "") is None


def test_a_check_says_what_the_page_shows_and_whether_the_track_has_changed_since(db, fixture_course):
    add_people(db)
    record = issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY)
    checked = certificates.check(db, SYSTEM, fixture_course, format_code(record.code).lower())
    assert checked == certificates.CheckedCertificate(record, "Provspår", False)
    assert certificates.check(db, SYSTEM, fixture_course, "ABCDE-FGHJK") is None
    with db.engine.begin() as connection:  # issued on an earlier version of the track
        connection.execute(update(Certificate).values(content_version="tidigare"))
    assert certificates.check(db, SYSTEM, fixture_course, record.code).outdated
    with db.engine.begin() as connection:  # a track that is gone: nothing to compare, its name as issued
        connection.execute(update(Certificate).values(track_id="borttaget", track_title="Gammalt spår"))
    gone = certificates.check(db, SYSTEM, fixture_course, record.code)
    assert not gone.outdated and gone.track_title == "Gammalt spår"
    with pytest.raises(NotPermitted):
        certificates.check(db, "p-klar", fixture_course, record.code)


def test_pdf_shows_name_track_date_version_and_code(db, fixture_course):
    add_people(db)
    record = issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY)
    reader = PdfReader(io.BytesIO(certificates.pdf_file(fixture_course, record)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for phrase in ("Gränsby kommun", "Karin Åberg & Dotter", "Provspår", "20 november 2025",
                   record.content_version, format_code(record.code), "Verifiera intyg"):
        assert phrase in text, phrase


def test_pdf_in_english_has_the_same_facts_in_english_words(db, fixture_course):
    add_people(db)
    record = issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY)
    reader = PdfReader(io.BytesIO(certificates.pdf_file(fixture_course, record, "en")))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for phrase in ("Gränsby kommun", "This is to certify that", "Karin Åberg & Dotter",
                   "Provspår",  # the fixture's track has no English title: the Swedish one, as issued
                   "Completed on 20 November 2025", record.content_version, format_code(record.code),
                   "Verify certificates"):
        assert phrase in text, phrase
    for swedish in ("Intyg", "Detta intygar", "november", "Kontrollkod", "Verifiera intyg"):
        assert swedish not in text, swedish
    # one certificate, whichever language it is printed in
    assert issue(db, SYSTEM, fixture_course, "p-klar", "alla", TODAY) == record and count(db) == 1


def test_a_certificate_names_its_track_in_english_while_the_track_has_the_name_it_was_issued_under(real_course):
    record = certificates.CertificateRecord("ABCDEFGHJK", "p", "Pia", "nyanstalld", "Introduktion för nyanställda",
                                            date(2026, 12, 2), "v1", datetime(2026, 12, 2))
    assert certificates.shown_track_title(real_course, record, "en") == "Introduction for new employees"
    assert certificates.shown_track_title(real_course, record, "sv") == "Introduktion för nyanställda"
    renamed = replace(record, track_title="Introduktion (2025)")  # the track was renamed since
    assert certificates.shown_track_title(real_course, renamed, "en") == "Introduktion (2025)"  # as issued
    text = PdfReader(io.BytesIO(certificates.pdf_file(real_course, record, "en"))).pages[0].extract_text()
    assert "Introduction for new employees" in text and "2 December 2026" in text


# --- in the app ---------------------------------------------------------------------------------------------

@pytest.fixture
def real_course():
    from course.content.loader import load_course
    from tests.conftest import PROJECT_ROOT

    return load_course(PROJECT_ROOT).course


def test_learner_is_offered_the_certificate_of_a_completed_track_only(demo_env, real_course):
    milad = open_app("demo-medarbetare")  # has done his modules
    assert {b.key for b in milad.get("download_button") if (b.key or "").startswith("cert-download-")} >= {
        "cert-download-nyanstalld", "cert-download-medarbetare"}
    nora = open_app("demo-nyanstalld")  # nothing done yet
    assert not [b for b in nora.get("download_button") if (b.key or "").startswith("cert-download-")]
    # what the button hands over when clicked
    db = Database(make_engine(f"sqlite:///{demo_env}"))
    text = PdfReader(io.BytesIO(certificates.issue_pdf(db, "demo-medarbetare", real_course, "demo-medarbetare",
                                                       "nyanstalld")))
    assert "Milad Berg" in text.pages[0].extract_text()


def test_the_learner_downloads_the_certificate_in_english(demo_env, real_course):
    milad = open_app("demo-medarbetare", lang="en")
    labels = [b.proto.label for b in milad.get("download_button") if b.key == "cert-download-nyanstalld"]
    assert labels == ["Download the certificate for Introduction for new employees (PDF)"]
    db = Database(make_engine(f"sqlite:///{demo_env}"))
    text = PdfReader(io.BytesIO(certificates.issue_pdf(db, "demo-medarbetare", real_course, "demo-medarbetare",
                                                       "nyanstalld", language="en"))).pages[0].extract_text()
    assert "Milad Berg" in text and "Introduction for new employees" in text and "This is to certify" in text


def test_admin_checks_a_code_in_the_app(demo_env, real_course):
    open_app("demo-admin")  # seeds the demo database
    db = Database(make_engine(f"sqlite:///{demo_env}"))
    record = issue(db, SYSTEM, real_course, "demo-medarbetare", "nyanstalld")
    at = open_app("demo-admin")
    at.switch_page("views/certificates.py").run()
    assert not at.exception, at.exception
    at.text_input(key="cert_code").input(format_code(record.code).lower())
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    assert any("är äkta" in s.value for s in at.success)
    shown = " ".join(m.value for m in at.markdown)
    assert "Milad Berg" in shown and "Introduktion för nyanställda" in shown and record.content_version in shown
    at.text_input(key="cert_code").input("ABCDE-FGHJK")
    at.form_submit_button[0].click().run()
    assert any("Det finns inget intyg med koden ABCDE\\-FGHJK" in e.value for e in at.error)  # as typed, as text


def test_only_admins_reach_the_check(demo_env):
    employee = open_app("demo-medarbetare")
    with pytest.raises(ValueError):
        employee.switch_page("views/certificates.py")
