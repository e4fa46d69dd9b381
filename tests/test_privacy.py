"""Data protection: retention (gallring), the register extract, erasure, and the two pages; on SQLite and
PostgreSQL wherever the store is involved."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import String, Text, func, insert, select

from course import rules
from progress.cli import main as cli
from progress import audit, certificates, daily_counts, facilitators, privacy, states
from progress import group_sessions as groups
from progress.access import SYSTEM, NotPermitted
from progress.annual import build_report
from progress.attempts import Attempts
from progress.status_counts import live_counts
from progress.models import (Attempt, Attestation, AuditEvent, Base, Certificate, Completion, DailyStatusCount,
                             GroupBallot, GroupParticipant, GroupSession, GroupSessionEvent, GroupSessionRecord,
                             GroupVoteCount, Identity, ModuleState, Person, PersonPreference, PersonRole, Reflection,
                             SentMessage, Step, TopicTally, Unit, Waiver)
from progress.reports import status_rows
from progress.seed import seed
from tests.conftest import migrate_to, open_app, seeded_sqlite

TODAY = date.today()
EVERY_TYPE_12 = privacy.RetentionPolicy({key: 12 for key in privacy.TYPES}, "Testbeslut KS 2026/1", "test")


def months_ago(months: int, days: int = 0) -> datetime:
    return datetime.combine(rules.add_months(TODAY, -months), time(9)) - timedelta(days=days)


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=30)
        return self.moment


def add_unit(db, unit_id: str = "u1", manager_id: str | None = None) -> None:
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": unit_id, "name": f"Enheten {unit_id}", "kind": "enhet",
                                           "manager_id": manager_id}])


def add_person(db, person_id: str, *, roles=("medarbetare",), name: str | None = None, email: str | None = None,
               unit: str = "u1", start: date | None = None, end: date | None = None) -> None:
    with db.engine.begin() as connection:
        connection.execute(insert(Person), [{"id": person_id, "name": name or f"Namn {person_id}", "email": email,
                                             "unit_id": unit, "title": "Handläggare",
                                             "start_date": start or TODAY - timedelta(days=2000), "end_date": end}])
        connection.execute(insert(PersonRole), [{"person_id": person_id, "role": role} for role in roles])


def play_module(attempts: Attempts, course, person_id: str, finish_quiz: bool = True) -> None:
    """Both scenarios to an ending (choice 0 every time), then the quiz, answered right (or half of it)."""
    module = course.modules["prov"]
    for scenario in module.scenarios:
        attempt = attempts.start_or_resume(person_id, "prov", "scenario", scenario)
        step = len(attempts.steps(attempt.id))
        while attempt.finished_at is None:
            attempt = attempts.record_choice(attempt.id, step, 0).attempt
            step += 1
    quiz = attempts.start_or_resume(person_id, "prov", "quiz", module.quiz)
    drawn = attempts.draw_of(quiz)
    confidence = 3 if course.banks[module.quiz].confidence else None
    for number, question in enumerate(drawn if finish_quiz else drawn[:2]):
        right = sorted(course.questions[question.question_id].correct_indexes)
        attempts.record_answer(quiz.id, number, question.question_id, right, confidence)


def figures(db, course, renamed: dict[str, str] | None = None) -> dict:
    """Everything that must not change when retention culls: the rollups, a fresh count of today's statuses,
    the status rows, and this year's annual report (against last year). `renamed`: pseudonym -> the id it
    replaced."""
    renamed = renamed or {}
    with db.read() as session:
        found = {model.__tablename__: sorted(tuple(row) for row in session.execute(select(*model.__table__.c)))
                 for model in (TopicTally, DailyStatusCount)}
        found["module_states"] = sorted((renamed.get(row[0], row[0]), *row[1:]) for row in
                                        session.execute(select(*ModuleState.__table__.c)))
        found["live"] = sorted(live_counts(session, course, TODAY))
    found["status"] = sorted((r.person_id, r.module_id, r.status, r.due, r.last_completed_at, r.last_score)
                             for r in status_rows(db, course, TODAY))
    found["annual"] = build_report(db, SYSTEM, course, TODAY.year, today=TODAY)
    return found


def pseudonyms(db) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Person.id).where(Person.id.like("anon-%"))))


def count(db, model, *where) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "retention.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the policy -----------------------------------------------------------------------------------------------

def test_the_shipped_policy_and_a_missing_file_keep_everything(tmp_path):
    assert privacy.load_policy().keeps_everything
    missing = privacy.load_policy(tmp_path / "nope.yaml")
    assert missing.keeps_everything and missing.cutoff("svar", TODAY) is None
    policy = privacy.load_policy(policy_file(tmp_path, "beslut: KS 2026/12 punkt 4\nsvar: 24\nintyg: keep\n"))
    assert policy.months["svar"] == 24 and policy.keeps("intyg") and policy.keeps("forsok")
    assert policy.cutoff("svar", date(2026, 3, 31)) == datetime(2024, 3, 31)
    assert policy.decision == "KS 2026/12 punkt 4"


@pytest.mark.parametrize("text, message", [
    ("beslut: KS 1\nsvaren: 12\n", "retention.yaml:2: Okänd uppgiftstyp 'svaren'"),
    ("beslut: KS 1\nsvar: 12 månader\n", "retention.yaml:2: 'svar' ska vara 'keep' eller ett antal hela månader"),
    ("beslut: KS 1\nforsok: 0\n", "retention.yaml:2: 'forsok'"),
    ("beslut: KS 1\nforsok: true\n", "retention.yaml:2: 'forsok'"),
    ("svar: 36\n", "Gallring kräver ett beslut"),
    ("beslut: ''\nsvar: 36\n", "retention.yaml:1: 'beslut' ska vara en text"),
    ("svar: keep\nsvar: 12\n", "retention.yaml:2: Nyckeln 'svar' står två gånger"),
])
def test_a_wrong_policy_is_refused_with_file_and_line(tmp_path, text, message):
    with pytest.raises(privacy.RetentionConfigError) as error:
        privacy.load_policy(policy_file(tmp_path, text))
    assert message in str(error.value)


# --- retention ------------------------------------------------------------------------------------------------

def test_retention_culls_old_records_and_every_figure_stays(db, fixture_course, tmp_path):
    seed(db, fixture_course, employees=30, history_years=3, today=TODAY)
    add_person(db, "left-early", name="Lämnad Långtsedan", email="lamnad@example.se", unit="sbf-bygglov",
               start=TODAY - timedelta(days=2000), end=rules.add_months(TODAY, -15))
    Attempts(db, fixture_course, clock=Clock(months_ago(30))).start_or_resume("left-early", "prov", "quiz",
                                                                              "prov-fragor")
    play_module(Attempts(db, fixture_course, clock=Clock(months_ago(28))), fixture_course, "left-early")
    states.rebuild(db, fixture_course)
    daily_counts.ensure(db, fixture_course, TODAY)
    before = figures(db, fixture_course)
    steps_before, completions_before = count(db, Step), count(db, Completion)
    progress = {(p, m): Attempts(db, fixture_course).module_progress(p, m, start, TODAY)
                for p, m, start in _people_modules(db)}

    result = privacy.run(db, SYSTEM, fixture_course, EVERY_TYPE_12, tmp_path / "arkiv", today=TODAY)

    counts = result.plan.counts()
    assert counts["steps"] > 0 and counts["attempts"] > 0 and counts["completions"] > 0 and counts["people"] == 1
    assert count(db, Step) == steps_before - counts["steps"]
    assert count(db, Completion) == completions_before - counts["completions"]
    renamed = {pseudonym: "left-early" for pseudonym in pseudonyms(db)}
    assert len(renamed) == 1
    assert figures(db, fixture_course, renamed) == before, "tallies, states, day counts, status, annual report"
    assert {(p, m): Attempts(db, fixture_course).module_progress(p, m, start, TODAY)
            for p, m, start in _people_modules(db)} == progress, "every learner stands where they stood"
    states.rebuild(db, fixture_course)  # the states still follow from the records that are left
    assert figures(db, fixture_course, renamed)["module_states"] == before["module_states"]
    # what is left from before last year is, per person and module, the latest, or the latest before this year
    # (the status on last year's last day); this year's and last year's completions are all there
    year_start = datetime(TODAY.year, 1, 1)
    with db.read() as session:
        rows = session.execute(select(Completion.person_id, Completion.module_id, Completion.completed_at,
                                      Completion.trigger_step_id)).all()
    by_module: dict[tuple, list[datetime]] = {}
    for person_id, module_id, at, _ in rows:
        by_module.setdefault((person_id, module_id), []).append(at)
    for (person_id, module_id), moments in by_module.items():
        for at in moments:
            if at < datetime(TODAY.year - 1, 1, 1):
                assert at == max(moments) or at == max(m for m in moments if m < year_start), (person_id, at)
    assert any(step is None for *_, step in rows), "a completion kept while its answer went lost only the link"
    assert count(db, Person, Person.name == "Lämnad Långtsedan") == 0

    with zipfile.ZipFile(result.archive) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["beslut"] == "Testbeslut KS 2026/1"
        assert len(archive.read("steps.jsonl").splitlines()) == counts["steps"]
        assert len(archive.read("completions.jsonl").splitlines()) == counts["completions"]
        assert b"L\xc3\xa4mnad L\xc3\xa5ngtsedan" in archive.read("anonymiserade_people.jsonl")
    events = _events(db, audit.RETENTION)
    assert len(events) == 1 and json.loads(events[0].detail)["counts"] == counts and events[0].actor_id is None

    again = privacy.run(db, SYSTEM, fixture_course, EVERY_TYPE_12, tmp_path / "arkiv", today=TODAY)
    assert again.plan.empty and again.archive is None, "a second run finds nothing left to cull"
    assert len(_events(db, audit.RETENTION)) == 2, "every run is audited, also one that culls nothing"


def _people_modules(db):
    with db.read() as session:
        return [(p, "prov", start) for p, start in session.execute(
            select(Person.id, Person.start_date).where(Person.end_date.is_(None)).order_by(Person.id))]


def _events(db, action: str) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_what_still_decides_a_status_is_never_culled(db, fixture_course, tmp_path):
    """Completed three and two years ago, a refresher round begun 18 months ago and not finished: the latest
    completion and the round in progress stay (with its answers), the older round goes, and the certificate
    issued for it still verifies."""
    add_unit(db)
    add_person(db, "p1")
    play_module(Attempts(db, fixture_course, clock=Clock(months_ago(36))), fixture_course, "p1")
    play_module(Attempts(db, fixture_course, clock=Clock(months_ago(24))), fixture_course, "p1")
    with db.engine.begin() as connection:
        connection.execute(insert(Certificate), [{"code": "ABCDE23456", "person_id": "p1", "person_name": "Namn p1",
                                                  "track_id": "alla", "track_title": "Provspår",
                                                  "completed_on": months_ago(24).date(), "content_version": "v",
                                                  "issued_at": months_ago(24)}])
    play_module(Attempts(db, fixture_course, clock=Clock(months_ago(18))), fixture_course, "p1", finish_quiz=False)
    attempts = Attempts(db, fixture_course)
    before = attempts.module_progress("p1", "prov", TODAY - timedelta(days=2000), TODAY)
    open_quiz = attempts.latest_attempt("p1", "prov-fragor")
    assert open_quiz.finished_at is None and len(attempts.steps(open_quiz.id)) == 2
    with db.read() as session:
        state_before = session.execute(select(*ModuleState.__table__.c)).all()
    policy = privacy.RetentionPolicy({**dict.fromkeys(privacy.TYPES), "svar": 12, "forsok": 12, "genomforanden": 12},
                                     "Testbeslut", "test")

    result = privacy.run(db, SYSTEM, fixture_course, policy, tmp_path, today=TODAY)

    assert result.plan.counts()["completions"] == 1, "the round of three years ago"
    with db.read() as session:
        kept = session.execute(select(Completion.completed_at, Completion.trigger_step_id)).all()
        assert session.execute(select(*ModuleState.__table__.c)).all() == state_before
    assert len(kept) == 1 and kept[0].completed_at < months_ago(23) and kept[0].trigger_step_id is None
    after = attempts.module_progress("p1", "prov", TODAY - timedelta(days=2000), TODAY)
    assert after == before and after.started and after.finished_scenarios
    assert attempts.start_or_resume("p1", "prov", "quiz", "prov-fragor").id == open_quiz.id  # resumes
    assert len(attempts.steps(open_quiz.id)) == 2, "the answers of the round in progress stay"
    assert certificates.find(db, SYSTEM, "ABCDE-23456").person_name == "Namn p1"
    # the latest attempt of every item stays: the next attempt is numbered after it
    with db.read() as session:
        numbers = dict(session.execute(select(Attempt.item_id, func.max(Attempt.attempt_no))
                                      .group_by(Attempt.item_id)).all())
    assert numbers["prov-middag"] >= 2 and numbers["prov-fragor"] >= 3


def test_a_dry_run_writes_nothing(db, fixture_course, tmp_path):
    seed(db, fixture_course, employees=10, history_years=3, today=TODAY)
    with db.read() as session:
        before = {table.name: session.scalar(select(func.count()).select_from(table))
                  for table in Base.metadata.sorted_tables}
    found = privacy.plan(db, SYSTEM, fixture_course, EVERY_TYPE_12, today=TODAY)
    assert found.counts()["steps"] > 0
    with db.read() as session:
        assert before == {table.name: session.scalar(select(func.count()).select_from(table))
                          for table in Base.metadata.sorted_tables}
    assert not list(tmp_path.iterdir())


def test_nothing_is_culled_when_the_archive_cannot_be_written(db, fixture_course, tmp_path):
    seed(db, fixture_course, employees=10, history_years=3, today=TODAY)
    steps, completions = count(db, Step), count(db, Completion)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the archive folder should be")
    with pytest.raises(privacy.ArchiveFailed) as error:
        privacy.run(db, SYSTEM, fixture_course, EVERY_TYPE_12, blocked, today=TODAY)
    assert "Inget har gallrats" in str(error.value)
    assert (count(db, Step), count(db, Completion)) == (steps, completions)
    assert [json.loads(e.detail).get("avbruten") for e in _events(db, audit.RETENTION)] == [str(error.value)]


def test_the_archive_download_and_the_dry_run_are_for_admins(db, fixture_course):
    seed(db, fixture_course, employees=10, history_years=3, today=TODAY)
    with pytest.raises(NotPermitted):
        privacy.plan(db, "demo-medarbetare", fixture_course, EVERY_TYPE_12)
    with pytest.raises(NotPermitted):
        privacy.archive_bytes(db, "demo-chef", fixture_course, EVERY_TYPE_12)
    with pytest.raises(NotPermitted):
        privacy.run(db, "demo-chef", fixture_course, EVERY_TYPE_12, Path("/nonexistent"))
    found, data = privacy.archive_bytes(db, "demo-admin", fixture_course, EVERY_TYPE_12, today=TODAY)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert len(archive.read("steps.jsonl").splitlines()) == found.counts()["steps"] > 0
    (event,) = _events(db, audit.DATA_EXPORT)
    assert event.actor_id == "demo-admin"
    assert count(db, Step) > found.counts()["steps"], "a download culls nothing"


# --- a person with something in every table -----------------------------------------------------------------

NAME, EMAIL = "Åsa Överallt", "asa.overallt@gransby.example"


def everything_about(db, course, person_id: str = "p-full") -> None:
    """A person with rows in every table that can hold something about a person, and a colleague beside them."""
    add_unit(db, "u1", manager_id=person_id)
    add_person(db, person_id, roles=("medarbetare", "chef"), name=NAME, email=EMAIL)
    add_person(db, "colleague", name="Kollega Kvar", email="kollega@gransby.example")
    add_person(db, "admin", roles=("admin",), name="Ada Admin")
    for who in (person_id, "colleague"):
        play_module(Attempts(db, course, clock=Clock(months_ago(2))), course, who)
    moment = months_ago(1)
    with db.engine.begin() as connection:
        connection.execute(insert(Identity), [{"issuer": "https://idp.example", "subject": "sub-asa",
                                               "person_id": person_id, "bound_at": moment}])
        diagnostic = connection.execute(insert(Attempt).returning(Attempt.id), [{
            "person_id": person_id, "track_id": "alla", "kind": "diagnostic", "item_id": "diagnostic:alla",
            "attempt_no": 1, "content_version": "v", "started_at": moment, "finished_at": moment,
            "outcome": "klar", "score_percent": 100.0, "scope": '["prov"]'}]).scalar()
        connection.execute(insert(Waiver), [{"person_id": person_id, "module_id": "prov", "content_version": "v",
                                             "waived_at": moment, "diagnostic_attempt_id": diagnostic}])
        connection.execute(insert(Attestation), [{"person_id": person_id, "track_id": "alla",
                                                  "guideline_version": "2026-02", "attested_at": moment}])
        connection.execute(insert(Reflection), [{"person_id": person_id, "module_id": "prov", "shared": True,
                                                 "text": "Jag tackar nej nästa gång.", "updated_at": moment}])
        connection.execute(insert(Certificate), [{"code": "QWERT23456", "person_id": person_id, "person_name": NAME,
                                                  "track_id": "alla", "track_title": "Provspår",
                                                  "completed_on": moment.date(), "content_version": "v",
                                                  "issued_at": moment}])
        connection.execute(insert(SentMessage), [{"recipient_id": person_id, "kind": "forsenad",
                                                  "dedup_key": moment.date().isoformat(), "email": EMAIL,
                                                  "subject": "Påminnelse", "sent_at": moment}])
        connection.execute(insert(PersonPreference), [{"person_id": person_id, "language": "en",
                                                       "updated_at": moment}])
    audit.log(db, "admin", audit.VIEW_TALK, person_id)
    audit.log(db, person_id, audit.VIEW_TALK, "colleague")
    group_sessions_of(db, course, person_id, moment)
    facilitators.grant(db, "admin", person_id, "u1", moment)
    daily_counts.ensure(db, course, TODAY)


GROUP_SCENARIO = "prov-middag"


def group_sessions_of(db, course, person_id: str, moment: datetime) -> None:
    """A group session the person led (the colleague took part and was confirmed), one they took part in and were
    confirmed for (led by the admin), and one under way in which they have voted (their ballot is still there)."""
    def played(leader: str, participant: str, at: datetime, to_the_end: bool = True) -> None:
        screen = groups.start(db, course, leader, "u1", GROUP_SCENARIO, "sv", at)
        groups.join(db, participant, screen.code, at)
        assert groups.vote(db, course, participant, screen.id, 0, 0, at) == "counted"
        if to_the_end:
            groups.reveal(db, course, leader, screen.id, 0, at)
            groups.follow(db, course, leader, screen.id, 0, 0, at)
            groups.end(db, course, leader, screen.id, at)
            groups.confirm_attendance(db, course, leader, screen.id, [participant], at)

    played(person_id, "colleague", moment)
    played("admin", person_id, moment + timedelta(hours=1))
    played("admin", person_id, moment + timedelta(hours=2), to_the_end=False)


def person_tables() -> dict[str, list[str]]:
    """From the models: every table with a column that refers to people or names a person, and every table that
    refers to one of those (steps -> attempts), with those columns."""
    named = ("person_id", "recipient_id", "actor_id", "subject_id", "manager_id")
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.name in named or any(fk.column.table.name == "people" for fk in column.foreign_keys):
                found.setdefault(table.name, []).append(column.name)
        if table.name == "people":
            found.setdefault("people", []).append("id")
    for table in Base.metadata.sorted_tables:
        for fk in (fk for column in table.columns for fk in column.foreign_keys):
            if fk.column.table.name in found and fk.column.table.name != "people" and table.name not in found:
                found[table.name] = []
    return found


def test_the_readable_extract_names_every_audited_action_in_words():
    from course.documents.register_extract import ACTIONS

    actions = {value for name, value in vars(audit).items() if name.isupper() and isinstance(value, str)}
    assert actions and actions <= set(ACTIONS), actions - set(ACTIONS)


def test_every_table_with_a_person_is_in_the_extract_and_the_erasure():
    found = person_tables()
    every = {table.name for table in Base.metadata.sorted_tables}
    assert set(privacy.PERSON_COLUMNS) | set(privacy.NO_PERSON_DATA) == every, "each table decided: person or not"
    assert set(found) <= set(privacy.PERSON_COLUMNS), set(found) - set(privacy.PERSON_COLUMNS)
    for table, columns in found.items():
        assert set(columns) <= set(privacy.PERSON_COLUMNS[table]), table
    assert set(privacy.ANONYMISE) == set(privacy.PERSON_COLUMNS) - {"people", "steps"}


def test_the_register_extract_holds_everything_about_the_person(db, fixture_course):
    everything_about(db, fixture_course)
    with pytest.raises(NotPermitted):
        privacy.register_extract(db, "colleague", "p-full")
    data = privacy.register_extract(db, "admin", "p-full", "json")
    tables = data["tabeller"]
    assert set(tables) == set(privacy.PERSON_COLUMNS)
    assert all(tables[name] for name in privacy.PERSON_COLUMNS), [t for t in tables if not tables[t]]
    assert tables["people"][0]["email"] == EMAIL and data["registerutdrag"]["namn"] == NAME
    quiz_answers = [s for s in tables["steps"] if s["item"].startswith("prov-q")]
    assert quiz_answers and all(isinstance(s["response"], list) for s in quiz_answers)
    assert {e["action"] for e in tables["audit_events"]} >= {audit.VIEW_TALK}
    assert {(e["actor_id"], e["subject_id"]) for e in tables["audit_events"]} >= {("admin", "p-full"),
                                                                                  ("p-full", "colleague")}
    assert all(row["person_id"] == "p-full" for name in ("attempts", "completions", "module_states")
               for row in tables[name])
    json.loads(privacy.extract_json(data))  # the file an admin downloads
    (event,) = _events(db, audit.REGISTER_EXTRACT)
    assert (event.actor_id, event.subject_id) == ("admin", "p-full")

    from course.documents.register_extract import register_extract_pdf

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(
        register_extract_pdf(data, fixture_course.organisation, fixture_course))).pages)
    asked = fixture_course.questions[quiz_answers[0]["item"]].text  # the question's text, not its id
    for expected in ("Registerutdrag", NAME, EMAIL, "Genomförda moduler", "Provmodul", "Svar", asked,
                     "Jag tackar nej nästa gång.", "QWERT23456", "Påminnelse", "visade medarbetarsamtalet",
                     "https://idp.example", "Gruppsessioner", fixture_course.scenarios[GROUP_SCENARIO].title,
                     "Rätt att leda gruppövningar", "gav rätt att leda gruppövningar"):
        assert expected in text, expected
    # the sessions the person led come with their events and counts; the others' ballots and joins do not
    led = {row["id"] for row in tables["group_sessions"]}
    assert len(led) == 1 and {row["facilitator_id"] for row in tables["group_sessions"]} == {"p-full"}
    assert {row["session_id"] for name in ("group_events", "group_vote_counts") for row in tables[name]} == led
    assert any(isinstance(row["tally"], list) for row in tables["group_events"]), "the tally as JSON, not text"
    assert {row["person_id"] for name in ("group_ballots", "group_participants") for row in tables[name]} == {"p-full"}
    # their own record only: the colleague's record of the session p-full led is the colleague's (art. 15(4))
    assert {(row["person_id"], row["facilitator_id"]) for row in tables["group_session_records"]} == \
           {("p-full", "admin")}


def test_the_learner_takes_their_own_extract_and_counts(db, fixture_course):
    everything_about(db, fixture_course)
    counts = privacy.own_counts(db, "p-full")
    assert counts["completions"] == 1 and counts["steps"] > 0 and counts["people"] == 1
    data = privacy.own_extract(db, "p-full")
    assert data["tabeller"]["people"][0]["id"] == "p-full"
    (event,) = _events(db, audit.REGISTER_EXTRACT)
    assert (event.actor_id, event.subject_id) == ("p-full", "p-full")
    with db.engine.begin() as connection:
        connection.execute(Person.__table__.update().where(Person.id == "colleague")
                           .values(end_date=TODAY - timedelta(days=1)))
    with pytest.raises(NotPermitted):
        privacy.own_extract(db, "colleague")


# --- erasure ------------------------------------------------------------------------------------------------

def traces(db, *needles: str) -> list[tuple[str, str]]:
    """Every (table, column) whose text holds one of the needles; the audit log's id columns aside."""
    found = []
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, (String, Text)):
                    continue
                if table.name == "audit_events" and column.name in ("actor_id", "subject_id"):
                    continue
                for needle in needles:
                    if session.scalar(select(func.count()).select_from(table)
                                      .where(column.contains(needle, autoescape=True))):
                        found.append((table.name, column.name))
    return found


def sums(db) -> tuple:
    with db.read() as session:
        return (session.execute(select(func.sum(TopicTally.answered), func.sum(TopicTally.correct))).one(),
                session.execute(select(func.sum(DailyStatusCount.count), func.count())
                                .select_from(DailyStatusCount)).one())


def test_erasure_removes_the_person_everywhere_and_leaves_the_aggregates(db, fixture_course):
    everything_about(db, fixture_course)
    assert traces(db, "p-full", NAME, EMAIL)
    aggregates = sums(db)
    group_rows = (count(db, GroupSessionEvent), count(db, GroupVoteCount))
    colleague = privacy.register_extract(db, SYSTEM, "colleague")["tabeller"]

    result = privacy.erase(db, "admin", "p-full")

    assert result.counts["people"] == 1 and result.counts["steps"] > 0 and result.counts["units"] == 1
    assert traces(db, "p-full", NAME, EMAIL) == []
    # their own group rows are gone; the session they led stays, with its counts and the colleague's record, led
    # by a nameless stand-in who was never employed and whom the audit log does not name
    assert (result.counts["group_participants"], result.counts["group_ballots"],
            result.counts["group_session_records"]) == (2, 1, 1)
    assert result.moved == {"group_sessions": 1, "group_session_records": 1}
    with db.read() as session:
        (stand_in,) = session.execute(select(Person).where(Person.id.like("anon-%"))).scalars().all()
        assert (stand_in.name, stand_in.email, stand_in.title) == ("Anonymiserad", None, None)
        assert stand_in.start_date > stand_in.end_date, "employed on no day"
        assert session.scalar(select(func.count()).select_from(PersonRole)
                              .where(PersonRole.person_id == stand_in.id)) == 0
        assert set(session.scalars(select(GroupSession.facilitator_id))) == {stand_in.id, "admin"}
        assert session.execute(select(GroupSessionRecord.person_id, GroupSessionRecord.facilitator_id)).all() == \
               [("colleague", stand_in.id)]
    assert (count(db, GroupSessionEvent), count(db, GroupVoteCount)) == group_rows, "the sessions' counts stay"
    assert sums(db) == aggregates, "topic tallies and the day's status counts are intact"
    after = privacy.register_extract(db, SYSTEM, "colleague")["tabeller"]
    assert {t: len(rows) for t, rows in after.items() if t != "audit_events"} == \
           {t: len(rows) for t, rows in colleague.items() if t != "audit_events"}, "nobody else loses anything"
    (event,) = _events(db, audit.ERASURE)
    assert (event.actor_id, event.subject_id) == ("admin", "p-full") and NAME not in (event.detail or "")
    assert "anon-" not in event.detail, "nothing links the stand-in to the id that was erased"
    assert count(db, AuditEvent, AuditEvent.subject_id == "p-full", AuditEvent.action == audit.VIEW_TALK) == 1

    with pytest.raises(privacy.AlreadyErased) as error:
        privacy.erase(db, "admin", "p-full")
    assert "raderades redan" in str(error.value)
    with pytest.raises(privacy.AlreadyErased):
        privacy.register_extract(db, "admin", "p-full")
    with pytest.raises(privacy.UnknownPerson):
        privacy.erase(db, "admin", "nobody-at-all")


def test_erasure_is_refused_to_non_admins_and_is_one_transaction(db, fixture_course, monkeypatch):
    everything_about(db, fixture_course)
    with pytest.raises(NotPermitted):
        privacy.erase(db, "colleague", "p-full")
    with pytest.raises(NotPermitted):
        privacy.erase(db, None, "p-full")
    with pytest.raises(privacy.CannotEraseSelf):
        privacy.erase(db, "admin", "admin")
    before = traces(db, "p-full", NAME, EMAIL)

    def fails(*args, **kwargs):
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(audit, "record", fails)
    with pytest.raises(RuntimeError):
        privacy.erase(db, "admin", "p-full")
    assert traces(db, "p-full", NAME, EMAIL) == before, "all or nothing"
    assert count(db, Step) > 0 and count(db, Person, Person.id == "p-full") == 1


def test_people_who_left_long_ago_are_anonymised_and_still_counted(db, fixture_course, tmp_path):
    everything_about(db, fixture_course)
    with db.engine.begin() as connection:
        connection.execute(Person.__table__.update().where(Person.id == "p-full")
                           .values(end_date=rules.add_months(TODAY, -13)))
    states.rebuild(db, fixture_course)
    daily_counts.ensure(db, fixture_course, TODAY)
    before = figures(db, fixture_course)
    with db.read() as session:
        moved = {name: session.scalar(select(func.count()).select_from(model).where(model.person_id == "p-full"))
                 for name, model in (("attempts", Attempt), ("completions", Completion), ("states", ModuleState))}
    group_rows = {model.__tablename__: count(db, model) for model in (GroupSession, GroupSessionEvent, GroupVoteCount,
                                                                     GroupParticipant, GroupSessionRecord)}
    policy = privacy.RetentionPolicy({**dict.fromkeys(privacy.TYPES), "personer_som_slutat": 12}, "Beslut", "t")

    result = privacy.run(db, SYSTEM, fixture_course, policy, tmp_path, today=TODAY)

    assert result.plan.people == ["p-full"]
    assert traces(db, "p-full", NAME, EMAIL, "sub-asa", "Jag tackar nej") == []
    renamed = {pseudonym: "p-full" for pseudonym in pseudonyms(db)}
    assert figures(db, fixture_course, renamed) == before
    states.rebuild(db, fixture_course)
    assert figures(db, fixture_course, renamed)["module_states"] == before["module_states"]
    with db.read() as session:
        (pseudonym,) = session.execute(select(Person).where(Person.id.like("anon-%"))).scalars().all()
        assert (pseudonym.name, pseudonym.email, pseudonym.title) == ("Anonymiserad", None, None)
        assert {name: session.scalar(select(func.count()).select_from(model).where(model.person_id == pseudonym.id))
                for name, model in (("attempts", Attempt), ("completions", Completion),
                                    ("states", ModuleState))} == moved
        assert session.scalar(select(Unit.manager_id).where(Unit.id == "u1")) == pseudonym.id
        assert set(session.execute(select(GroupSessionRecord.person_id, GroupSessionRecord.facilitator_id))) == \
               {("colleague", pseudonym.id), (pseudonym.id, "admin")}, "both columns of a record move"
        assert set(session.scalars(select(GroupSession.facilitator_id))) == {pseudonym.id, "admin"}
        assert set(session.scalars(select(GroupParticipant.person_id))) == {"colleague", pseudonym.id}
    # the session still open a month on is ended by the same run (its one new event), nothing else is lost
    assert result.ended_group_sessions == 1
    assert {model.__tablename__: count(db, model) for model in (GroupSession, GroupSessionEvent, GroupVoteCount,
                                                               GroupParticipant, GroupSessionRecord)} == \
           {**group_rows, "group_events": group_rows["group_events"] + 1}
    assert count(db, GroupBallot) == 0, "the open vote's ballot goes with the name"
    assert certificates.find(db, SYSTEM, "QWERT23456").person_name == "Anonymiserad"
    assert privacy.plan(db, SYSTEM, fixture_course, policy, today=TODAY).people == [], "anonymised once"


# --- the command line -----------------------------------------------------------------------------------------

def url_of(db) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_cli_extract_erase_and_retention(db, fixture_course, tmp_path, capsys, monkeypatch):
    everything_about(db, fixture_course)
    url = url_of(db)
    out = tmp_path / "utdrag.json"
    assert cli(["registerutdrag", "p-full", "--out", str(out), "--database-url", url]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["registerutdrag"]["person_id"] == "p-full"
    pdf = tmp_path / "utdrag.pdf"
    assert cli(["registerutdrag", "p-full", "--format", "pdf", "--out", str(pdf), "--database-url", url]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert [e.actor_id for e in _events(db, audit.REGISTER_EXTRACT)] == [None, None], "the operator, audited"

    assert cli(["radera", "p-full", "--confirm", "p-ful", "--database-url", url]) == 1
    assert "Bekräftelsen stämmer inte" in capsys.readouterr().err
    assert count(db, Person, Person.id == "p-full") == 1
    assert cli(["radera", "p-full", "--confirm", "p-full", "--database-url", url]) == 0
    assert count(db, Person, Person.id == "p-full") == 0
    assert cli(["radera", "p-full", "--confirm", "p-full", "--database-url", url]) == 1
    assert "raderades redan" in capsys.readouterr().err

    config = policy_file(tmp_path, "beslut: KS 2026/1\nsvar: 1\n")
    archive = tmp_path / "arkiv"
    assert cli(["retention", "--dry-run", "--config", str(config), "--archive", str(archive),
                "--database-url", url]) == 0
    printed = capsys.readouterr()
    assert "Svar på frågor och val i scenarier: 1 mån" in printed.out and "Provkörning" in printed.err
    assert not archive.exists()
    assert cli(["retention", "--config", str(config), "--archive", str(archive), "--database-url", url]) == 0
    assert len(list(archive.glob("gallring-*.zip"))) == 1
    assert cli(["retention", "--config", str(policy_file(tmp_path, "svar: 1\n")), "--database-url", url]) == 1
    assert "kräver ett beslut" in capsys.readouterr().err


def test_cli_refuses_to_cull_or_erase_in_the_demo_database_unless_asked(tmp_path, capsys, fixture_course):
    url = seeded_sqlite(tmp_path / "made-by-the-demo-seed.sqlite", fixture_course, employees=3, history_years=1)
    assert cli(["retention", "--dry-run", "--database-url", url]) == 2
    assert cli(["radera", "p000001", "--confirm", "p000001", "--database-url", url]) == 2
    assert "demons databas" in capsys.readouterr().err
    assert cli(["retention", "--dry-run", "--database-url", url, "--demo"]) == 0
    assert f"Databas: {url}" in capsys.readouterr().err


# --- the two pages --------------------------------------------------------------------------------------------

@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """What each download button would hand the browser, by file name."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return files


def demo_store(demo_env):
    from progress.db import Database, make_engine

    return Database(make_engine(f"sqlite:///{demo_env}"))


def test_the_learner_page_says_what_is_stored_and_hands_over_their_extract(demo_env, downloads):
    at = open_app("demo-medarbetare", "views/privacy.py", timeout=90)
    assert any(title.value == "Om dina uppgifter" for title in at.title)
    stored = next(table.value for table in at.table if "Om dig" in table.value.columns)
    answers = stored[stored["Uppgift"] == "Dina svar på frågor och dina val i scenarier"]
    assert int(answers["Om dig"].iloc[0]) > 0
    group = stored[stored["Uppgift"] == "Gruppövningar på arbetsplatsträffen, där du var med eller ledde"]
    assert int(group["Om dig"].iloc[0]) == 0  # the demo has no group sessions; the row says what would be kept
    assert set(stored["Hur länge"]) >= {"Sparas tills kommunens dokumenthanteringsplan säger något annat."}
    shown = " ".join(element.value for element in [*at.markdown, *at.text])
    for expected in ("Kommunstyrelsen i Gränsby kommun", "dataskyddsombud@gransby.example",
                     "aldrig vilket svar du gav", "Granskningsloggen", "Integritetsskyddsmyndigheten"):
        assert expected in shown, expected

    at.button(key="privacy_extract_make").click().run()
    assert not at.exception, at.exception
    extract = json.loads(downloads["registerutdrag.json"])
    assert extract["registerutdrag"]["person_id"] == "demo-medarbetare" and extract["tabeller"]["steps"]
    events = [(e.actor_id, e.subject_id) for e in _events(demo_store(demo_env), audit.REGISTER_EXTRACT)]
    assert events == [("demo-medarbetare", "demo-medarbetare")], "the learner's own extract is in the log"


def test_the_admin_page_extracts_erases_after_confirmation_and_tries_the_culling(demo_env, downloads):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import PROJECT_ROOT

    employee = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=90)
    employee.query_params["as"] = "demo-medarbetare"
    employee.run()
    with pytest.raises(ValueError):
        employee.switch_page("views/privacy_admin.py")  # not in an employee's page list

    at = open_app("demo-admin", "views/privacy_admin.py", timeout=90)
    at.text_input(key="dp_extract_id").input("demo-medarbetare")
    next(b for b in at.button if b.label == "Ta fram registerutdrag").click()
    at.run()
    assert not at.exception, at.exception
    assert json.loads(downloads["registerutdrag-demo-medarbetare.json"])["registerutdrag"]["namn"] == "Milad Berg"
    assert downloads["registerutdrag-demo-medarbetare.pdf"].startswith(b"%PDF")
    assert "Milad Berg (demo-medarbetare)" in [text.value for text in at.text]

    at.text_input(key="dp_erase_id").input("demo-nyanstalld").run()
    assert any("Radering kan inte ångras" in error.value for error in at.error)
    assert at.button(key="dp_erase_button").disabled, "nothing can be erased before the id is typed again"
    at.text_input(key="dp_erase_confirm").input("demo-nyanstalld").run()
    assert not at.button(key="dp_erase_button").disabled
    at.button(key="dp_erase_button").click().run()
    assert not at.exception, at.exception
    assert any("är raderade" in success.value and "nyanstalld" in success.value for success in at.success)
    store = demo_store(demo_env)
    assert count(store, Person, Person.id == "demo-nyanstalld") == 0
    assert [(e.actor_id, e.subject_id) for e in _events(store, audit.ERASURE)] == [("demo-admin", "demo-nyanstalld")]

    at.button(key="dp_dry_run_button").click().run()
    assert not at.exception, at.exception
    dry = next(frame.value for frame in at.dataframe if "Gallras före" in frame.value.columns)
    assert set(dry["Sparas"]) == {"tills vidare"} and int(dry["Rader"].sum()) == 0  # the shipped policy keeps all


def test_migration_0010_goes_down_and_up_and_refuses_to_go_down_over_a_culled_answer(tmp_path, fixture_course):
    from sqlalchemy import inspect

    from progress.db import Database, make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    migrate(engine)

    def nullable() -> bool:
        return next(c["nullable"] for c in inspect(engine).get_columns("completions") if c["name"] == "trigger_step_id")

    assert nullable()
    migrate_to(engine, "0009")
    assert not nullable()
    migrate_to(engine, "head")
    assert nullable() and inspect(engine).get_unique_constraints("completions")
    db = Database(engine)
    seed(db, fixture_course, employees=5, history_years=3, today=TODAY)
    privacy.run(db, SYSTEM, fixture_course, EVERY_TYPE_12, tmp_path / "arkiv", today=TODAY)
    assert count(db, Completion, Completion.trigger_step_id.is_(None)) > 0
    with pytest.raises(RuntimeError, match="nedgraderingen avbryts"):
        migrate_to(engine, "0009")
    assert nullable()


# --- retention of group sessions (gruppovningar) ----------------------------------------------------------------

GROUP_DAY = date(2026, 10, 15)  # a fixed day: the cutoff (12 months) falls in last year, after its first day
GROUP_POLICY = privacy.RetentionPolicy({**dict.fromkeys(privacy.TYPES), "gruppovningar": 12}, "Testbeslut", "test")
GROUP_KEYS = {"group_sessions": ("id",), "group_events": ("session_id", "seq"),
              "group_vote_counts": ("session_id", "step_no", "choice_index"),
              "group_participants": ("session_id", "person_id"),
              "group_ballots": ("session_id", "step_no", "person_id"),
              "group_session_records": ("session_id", "person_id")}
GROUP_PARTS = ("group_events", "group_vote_counts", "group_participants", "group_ballots")


def group_rows(db) -> dict[str, set[tuple]]:
    """Every row of the group tables, by a key that names its session first."""
    with db.read() as session:
        return {table: {tuple(row) for row in session.execute(select(*(Base.metadata.tables[table].c[c]
                                                                          for c in columns)))}
                for table, columns in GROUP_KEYS.items()}


def of_sessions(rows: dict[str, set[tuple]], session_ids) -> dict[str, set[tuple]]:
    return {table: {row for row in found if row[0] in session_ids} for table, found in rows.items()}


def held(db, course, at: datetime, confirmed=(), to_an_ending: bool = True, ended: bool = True) -> int:
    """A session of GROUP_SCENARIO led by 'chef' for u1 on `at`: p1 joins and votes; unless left open, the vote is
    revealed, the group follows 'Tacka ja' to its ending (or stops at the start), the session ends and `confirmed`
    are confirmed."""
    screen = groups.start(db, course, "chef", "u1", GROUP_SCENARIO, "sv", at)
    groups.join(db, "p1", screen.code, at)
    assert groups.vote(db, course, "p1", screen.id, 0, 1, at) == "counted"
    if ended:
        groups.reveal(db, course, "chef", screen.id, 0, at)
        if to_an_ending:
            groups.follow(db, course, "chef", screen.id, 0, 1, at)
        groups.end(db, course, "chef", screen.id, at + timedelta(minutes=30))
        if confirmed:
            groups.confirm_attendance(db, course, "chef", screen.id, list(confirmed), at + timedelta(minutes=40))
    return screen.id


def group_history(db, course) -> dict[str, int]:
    """Sessions over three years, against GROUP_DAY with 12 months (cutoff 2025-10-15; the annual report counts
    from 2025-01-01):

    - a (2024-02): p1, p2, p3, p4 confirmed. p1 completed the module after it and has later records; p3's record is
      of a content version since changed; p2 never completed (it may count for the round in progress); p4
      completed after it and has no other (the latest per person and scenario)
    - b (2024-04): ended before an ending, nobody confirmed; c (2024-05): ended before an ending, p4 confirmed (p4's
      latest, while a is the latest that reached an ending); d (2024-06): p1 and p3, as in a
    - open (2024-08): never ended, p1's ballot still there
    - e (2025-03, last year, before the cutoff): p1 (who completed again after it) and p3: the annual report counts them
    - g (2026-09): p1, p2, p3; h (2026-08): ended, nobody confirmed; new_open (2026-10-14): under way
    """
    add_unit(db, "u1", manager_id="chef")
    add_person(db, "chef", roles=("chef", "medarbetare"), start=date(2020, 1, 1))
    for person_id in ("p1", "p2", "p3", "p4"):
        add_person(db, person_id, start=date(2020, 1, 1))
    nine = time(9)
    found = {"a": held(db, course, datetime.combine(date(2024, 2, 1), nine), ("p1", "p2", "p3", "p4")),
             "b": held(db, course, datetime.combine(date(2024, 4, 1), nine), to_an_ending=False),
             "c": held(db, course, datetime.combine(date(2024, 5, 1), nine), ("p4",), to_an_ending=False),
             "d": held(db, course, datetime.combine(date(2024, 6, 1), nine), ("p1", "p3"))}
    for person_id in ("p1", "p4"):
        play_module(Attempts(db, course, clock=Clock(datetime(2024, 7, 1, 9))), course, person_id)
    found["open"] = held(db, course, datetime.combine(date(2024, 8, 1), nine), ended=False)
    found["e"] = held(db, course, datetime.combine(date(2025, 3, 3), nine), ("p1", "p3"))
    play_module(Attempts(db, course, clock=Clock(datetime(2025, 4, 1, 9))), course, "p1")
    found["h"] = held(db, course, datetime.combine(date(2026, 8, 3), nine))
    found["g"] = held(db, course, datetime.combine(date(2026, 9, 1), nine), ("p1", "p2", "p3"))
    found["new_open"] = held(db, course, datetime.combine(date(2026, 10, 14), nine), ended=False)
    with db.engine.begin() as connection:
        connection.execute(GroupSessionRecord.__table__.update().where(
            GroupSessionRecord.person_id == "p3", GroupSessionRecord.session_id.in_([found["a"], found["d"]]))
            .values(content_version="gammal"))
    states.rebuild(db, course)
    return found


def group_figures(db, course) -> dict:
    """What retention of group sessions must leave as it was: where each learner stands, the module states
    rebuilt from the records, and this year's annual report (its group sessions against last year's)."""
    attempts = Attempts(db, course)
    states.rebuild(db, course)
    with db.read() as session:
        module_states = sorted(tuple(row) for row in session.execute(select(*ModuleState.__table__.c)))
    return {"progress": {p: attempts.module_progress(p, "prov", date(2020, 1, 1), GROUP_DAY)
                         for p in ("p1", "p2", "p3", "p4")},
            "module_states": module_states,
            "annual": build_report(db, SYSTEM, course, GROUP_DAY.year, today=GROUP_DAY)}


def test_group_sessions_past_their_time_go_and_what_still_counts_stays(db, fixture_course, tmp_path):
    from progress import group_analytics

    s = group_history(db, fixture_course)
    before = group_rows(db)
    figures_before = group_figures(db, fixture_course)
    report = figures_before["annual"]
    assert (report.group_total.participations, report.previous_group_total.participations) == (3, 2), "g; e"
    revealed_before = group_analytics.scenario_sessions(db, SYSTEM)[GROUP_SCENARIO]
    with db.read() as session:
        record_id = {(session_id, person_id): record_id for record_id, session_id, person_id in session.execute(
            select(GroupSessionRecord.id, GroupSessionRecord.session_id, GroupSessionRecord.person_id))}
    emptied = {s["a"], s["b"], s["c"], s["d"], s["e"]}  # ended and started before the cutoff
    culled_records = {(s["a"], "p1"), (s["a"], "p3"), (s["d"], "p1"), (s["d"], "p3")}
    expected = {table: {row for row in before[table] if row[0] in emptied} for table in GROUP_PARTS}
    expected["group_session_records"] = culled_records
    expected["group_sessions"] = {(s["b"],), (s["d"],)}  # a, c and e keep their rows for the records kept
    assert all(expected[table] for table in ("group_events", "group_vote_counts", "group_participants"))

    # the dry run lists exactly that, and writes nothing
    found = privacy.plan(db, SYSTEM, fixture_course, GROUP_POLICY, today=GROUP_DAY)
    assert set(found.group_sessions) == emptied
    assert found.ids["group_sessions"] == sorted([s["b"], s["d"]])
    assert sorted(found.ids["group_session_records"]) == sorted(record_id[key] for key in culled_records)
    counts = found.counts()
    assert {table: counts[table] for table in GROUP_KEYS} == {table: len(rows) for table, rows in expected.items()}
    (row,) = [row for row in found.by_type() if row[0].key == "gruppovningar"]
    assert row[1:] == (12, date(2025, 10, 15), sum(len(rows) for rows in expected.values()))
    assert sum(counts.values()) == row[3], "nothing but group sessions is culled"
    assert group_rows(db) == before and not list(tmp_path.iterdir())

    result = privacy.run(db, SYSTEM, fixture_course, GROUP_POLICY, tmp_path / "arkiv", today=GROUP_DAY)

    assert result.plan.counts() == counts
    after = group_rows(db)
    still_open = {s["open"], s["new_open"]}  # not culled; ended by the same run, after the culling
    closed = {table: rows - of_sessions(before, still_open)[table] for table, rows in before.items()}
    assert {table: rows - of_sessions(after, still_open)[table] for table, rows in after.items()} == \
           {table: closed[table] - expected[table] for table in GROUP_KEYS}, "exactly what was listed went"
    assert result.ended_group_sessions == 2
    for session_id in still_open:
        assert {row for row in after["group_events"] if row[0] == session_id} > \
               {row for row in before["group_events"] if row[0] == session_id}, "their events stay, and one more"
    # what is kept: the rows a, c and e, without their events; every record that may still count (p2 in a), the
    # latest per person and scenario (p4 in c) and the latest there that reached an ending (p4 in a), and those
    # the annual report counts (e); the newer sessions whole
    assert {(s["a"],), (s["c"],), (s["e"],)} <= after["group_sessions"]
    assert not of_sessions(after, {s["a"], s["c"], s["e"]})["group_events"]
    assert {(s["a"], "p2"), (s["a"], "p4"), (s["c"], "p4"), (s["e"], "p1"), (s["e"], "p3")} <= \
           after["group_session_records"]
    assert of_sessions(after, {s["g"], s["h"]}) == of_sessions(before, {s["g"], s["h"]})
    assert group_figures(db, fixture_course) == figures_before, "learners, states and the annual report as they were"
    # Analys: the culled sessions leave the figures of how groups voted
    assert group_analytics.scenario_sessions(db, SYSTEM)[GROUP_SCENARIO] == revealed_before - 5

    with zipfile.ZipFile(result.archive) as archive:
        names = set(archive.namelist())
        for table, columns in GROUP_KEYS.items():
            name = f"{table}.jsonl"
            rows = [json.loads(line) for line in archive.read(name).splitlines()] if name in names else []
            assert {tuple(r[c] for c in columns) for r in rows} == expected[table], table
            assert len(rows) == len(expected[table])
        manifest = json.loads(archive.read("manifest.json"))
    (typed,) = [t for t in manifest["typer"] if t["typ"] == "gruppovningar"]
    assert typed["rader"] == row[3] and "Analys" in typed["vad_som_hander"]
    (event,) = _events(db, audit.RETENTION)
    assert json.loads(event.detail)["counts"] == counts

    # the next run culls the session left open, now that it has ended, and nothing else
    again = privacy.run(db, SYSTEM, fixture_course, GROUP_POLICY, tmp_path / "arkiv", today=GROUP_DAY)
    assert again.plan.ids["group_sessions"] == [s["open"]] and not again.plan.ids["group_session_records"]
    assert again.plan.counts()["group_events"] == len(of_sessions(after, {s["open"]})["group_events"])
    assert not of_sessions(group_rows(db), {s["open"]})["group_events"]
    assert privacy.plan(db, SYSTEM, fixture_course, GROUP_POLICY, today=GROUP_DAY).empty


def test_group_sessions_kept_by_the_policy_stay_whatever_else_is_culled(db, fixture_course, tmp_path):
    s = group_history(db, fixture_course)
    before = group_rows(db)
    policy = privacy.RetentionPolicy({**{key: 12 for key in privacy.TYPES}, "gruppovningar": None}, "Beslut", "t")
    found = privacy.plan(db, SYSTEM, fixture_course, policy, today=GROUP_DAY)
    assert found.counts()["attempts"] > 0, "other types are culled"
    assert not found.group_sessions and all(found.counts()[table] == 0 for table in GROUP_KEYS)
    (row,) = [row for row in found.by_type() if row[0].key == "gruppovningar"]
    assert row[1:] == (None, None, 0)

    result = privacy.run(db, SYSTEM, fixture_course, policy, tmp_path / "arkiv", today=GROUP_DAY)

    still_open = {s["open"], s["new_open"]}
    after = group_rows(db)
    assert {table: rows - of_sessions(after, still_open)[table] for table, rows in after.items()} == \
           {table: rows - of_sessions(before, still_open)[table] for table, rows in before.items()}
    assert after["group_session_records"] == before["group_session_records"]
    assert result.ended_group_sessions == 2
    with zipfile.ZipFile(result.archive) as archive:
        assert not {name for name in archive.namelist() if name.startswith("group_")}
