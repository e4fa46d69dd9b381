"""`python -m course remind`: against a real SMTP server on loopback (aiosmtpd), on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import insert, select

from course import reminders as texts
from progress.cli import main
from course.content.loader import default_content_root, load_course
from course.rules import Status
from progress.db import Database
from progress.models import Attempt, Completion, Person, PersonRole, SentMessage, Step, Unit
from progress.reminders import SettingsError, SmtpSettings, run
from tests.conftest import FIXTURE_CONTENT

TODAY = date(2026, 3, 4)  # a Wednesday in ISO week 10
SENDER = "utbildning@gransby.example"
APP_URL = "https://utbildning.gransby.example"

# (id, name, parent, manager)
UNITS = [("ks", "Kommunstyrelsen", None, "boss"), ("sbf", "Samhällsbyggnad", "ks", "cecilia"),
         ("bygglov", "Bygglovsenheten", "sbf", None), ("vof", "Vård och omsorg", "ks", "vera")]
# (id, name, unit, days since start, completed days ago, end date); the fixture course has one module, 'prov',
# due 30 days after the start date and 12 months after a completion.
PEOPLE = [
    ("nora", "Nora Nyström", "bygglov", 20, None, None),  # due in 10 days: due soon
    ("olle", "Olle Öberg", "bygglov", 40, None, None),  # due 10 days ago: overdue
    ("utan", "Uno Utan", "bygglov", 45, None, None),  # overdue, no e-mail address
    ("lena", "Lena Slutat", "bygglov", 100, None, TODAY - timedelta(days=1)),  # has left
    ("milad", "Milad Klar", "bygglov", 400, 30, None),  # done
    ("cecilia", "Cecilia Lund", "sbf", 1000, None, None),  # a manager, overdue herself
    ("ulla", "Ulla Vård", "vof", 50, None, None),  # overdue, outside Cecilia's units
    ("vera", "Vera Chef", "vof", 5, None, None),  # due in 25 days: nothing yet
    ("boss", "Bo Ss", "ks", 2000, 10, None),  # done
]
MANAGERS = {"boss", "cecilia", "vera"}


def email_of(person_id: str) -> str:
    return f"{person_id}@gransby.example"


def make_org(db: Database) -> None:
    with db.engine.begin() as connection:
        for unit_id, name, parent, _ in UNITS:  # parents first
            connection.execute(insert(Unit), [{"id": unit_id, "name": name, "kind": "enhet", "parent_id": parent}])
        for unit_id, _, _, manager in UNITS:
            connection.execute(Unit.__table__.update().where(Unit.id == unit_id).values(manager_id=manager))
        connection.execute(insert(Person), [
            {"id": p, "name": name, "unit_id": unit, "start_date": TODAY - timedelta(days=days), "end_date": end,
             "email": None if p == "utan" else email_of(p)} for p, name, unit, days, _, end in PEOPLE])
        connection.execute(insert(PersonRole), [{"person_id": p[0], "role": "medarbetare"} for p in PEOPLE]
                           + [{"person_id": p, "role": "chef"} for p in MANAGERS])

    def completions(session):
        for person_id, _, _, _, done_days_ago, _ in PEOPLE:
            if done_days_ago is None:
                continue
            when = datetime.combine(TODAY - timedelta(days=done_days_ago), datetime.min.time())
            attempt = Attempt(person_id=person_id, module_id="prov", kind="quiz", item_id="prov-fragor", attempt_no=1,
                              content_version="v1", started_at=when, finished_at=when, outcome="godkand",
                              score_percent=100)
            session.add(attempt)
            session.flush()
            step = Step(attempt_id=attempt.id, step_no=0, item="q", response="0", idempotency_key=f"k-{person_id}",
                        answered_at=when)
            session.add(step)
            session.flush()
            session.add(Completion(person_id=person_id, module_id="prov", content_version="v1", started_at=when,
                                   completed_at=when, score_percent=100, trigger_step_id=step.id))

    db.write(completions)


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts and refuses the addresses in `refuse`."""

    def __init__(self):
        self.messages = []
        self.refuse: set[str] = set()
        self.per_connection: int | None = None  # like a server that limits the mails per connection
        self.connections: list[int] = []  # mails accepted per connection

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if not hasattr(session, "mails"):
            session.mails = 0
            self.connections.append(0)
        if self.per_connection is not None and session.mails >= self.per_connection:
            return "421 4.7.0 För många meddelanden, anslut igen"
        session.mails += 1
        self.connections[-1] += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mottagaren finns inte"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append(SimpleNamespace(to=list(envelope.rcpt_tos), sender=envelope.mail_from, message=message,
                                             subject=str(message["Subject"]),
                                             body=message.get_content().replace("\r\n", "\n")))
        return "250 Message accepted for delivery"

    def take(self) -> dict[str, list[SimpleNamespace]]:
        """The messages received since the last call, by recipient address."""
        received, self.messages = self.messages, []
        by_address: dict[str, list[SimpleNamespace]] = {}
        for item in received:
            for address in item.to:
                by_address.setdefault(address, []).append(item)
        return by_address


def only(inbox, person_id: str) -> SimpleNamespace:
    [item] = inbox[email_of(person_id)]
    return item


def digest_to(inbox, manager_id: str) -> SimpleNamespace:
    [item] = [m for m in inbox[email_of(manager_id)] if m.subject.startswith("Veckosammanfattning")]
    return item


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.settings = SmtpSettings("127.0.0.1", controller.port, "none", None, None, SENDER)
    yield inbox
    controller.stop()


@pytest.fixture
def org(db):
    make_org(db)
    return db


def remind(db, course, smtp, today=TODAY, dry_run=False):
    return run(db, course, today, None if dry_run else smtp.settings, APP_URL, dry_run, out=lambda _: None,
               err=lambda _: None)


def sent_rows(db) -> list[tuple[str, str, str]]:
    with db.read() as session:
        return sorted(session.execute(select(SentMessage.recipient_id, SentMessage.kind, SentMessage.dedup_key)).all())


def digest_names(body: str) -> set[str]:
    return {line.strip()[2:] for line in body.splitlines() if line.strip().startswith("• ")}


def test_reminders_and_digests_reach_the_right_people(org, fixture_course, smtp):
    summary = remind(org, fixture_course, smtp)
    inbox = smtp.take()
    people = {"nora", "olle", "cecilia", "ulla"}
    assert set(inbox) == {email_of(p) for p in people | MANAGERS}
    assert summary.without_email == {"utan"} and summary.ok
    assert {address: len(items) for address, items in inbox.items() if len(items) > 1} == {email_of("cecilia"): 2}
    # A person's reminder: their modules and due dates, in Swedish, with the link and the municipality.
    nora = only(inbox, "nora")
    assert nora.sender == SENDER and "Nora Nyström" in str(nora.message["To"])
    assert nora.subject == "Påminnelse: utbildningen om mutor och jäv ska vara klar 2026-03-14"
    assert "Hej Nora!" in nora.body and "Provmodul – ska vara klar 2026-03-14" in nora.body
    assert APP_URL in nora.body and "Gränsby kommun" in nora.body and "försenade" not in nora.body
    olle = only(inbox, "olle")
    assert olle.subject == "Påminnelse: utbildningen om mutor och jäv skulle ha varit klar 2026-02-22"
    assert "Provmodul – skulle ha varit klar 2026-02-22" in olle.body
    assert nora.message.get_content_charset() == "utf-8"
    # What was sent is recorded: one row per mail, the person's with the day, the digest with the ISO week.
    expected = ([(p, texts.OVERDUE, "2026-03-04") for p in people - {"nora"}] + [("nora", texts.SOON, "2026-03-04")]
                + [(m, texts.DIGEST, "2026-W10") for m in MANAGERS])
    assert sent_rows(org) == sorted(expected)


def test_the_digest_lists_exactly_the_overdue_people_under_the_manager(org, fixture_course, smtp):
    remind(org, fixture_course, smtp)
    inbox = smtp.take()
    digests = {m: digest_to(inbox, m) for m in MANAGERS}
    # Everyone overdue in their units at every depth, themselves excluded; no one who left, is done or is not late.
    assert digest_names(digests["boss"].body) == {"Olle Öberg", "Uno Utan", "Cecilia Lund", "Ulla Vård"}
    assert digest_names(digests["vera"].body) == {"Ulla Vård"}
    assert digests["vera"].subject == "Veckosammanfattning vecka 10: 1 person har försenad utbildning om mutor och jäv"
    assert "Provmodul – skulle ha varit klar 2026-02-12" in digests["vera"].body  # Ulla's due date


def test_a_manager_gets_both_their_reminder_and_their_digest(org, fixture_course, smtp):
    """Cecilia is overdue herself and has overdue people: two mails, neither listing her in her own digest."""
    summary = remind(org, fixture_course, smtp)
    cecilia = [mail for mail in summary.sent if mail.recipient_id == "cecilia"]
    assert sorted(mail.kind for mail in cecilia) == [texts.OVERDUE, texts.DIGEST]
    digest = next(mail for mail in cecilia if mail.kind == texts.DIGEST)
    assert digest_names(digest.body) == {"Olle Öberg", "Uno Utan"}
    assert digest.subject == "Veckosammanfattning vecka 10: 2 personer har försenad utbildning om mutor och jäv"
    received = smtp.take()[email_of("cecilia")]
    assert sorted(m.subject for m in received) == sorted(mail.subject for mail in cecilia)
    assert digest_names(digest_to({email_of("cecilia"): received}, "cecilia").body) == {"Olle Öberg", "Uno Utan"}


def test_a_second_run_sends_nothing_and_a_run_after_the_interval_sends_again(org, fixture_course, smtp):
    remind(org, fixture_course, smtp)
    first = smtp.take()
    recorded = sent_rows(org)
    again = remind(org, fixture_course, smtp)
    assert smtp.take() == {} and sent_rows(org) == recorded
    assert again.already_sent == sum(len(items) for items in first.values()) == 7 and again.ok
    assert remind(org, fixture_course, smtp, TODAY + timedelta(days=1)).sent == [] and smtp.take() == {}
    # Next ISO week, still within the reminder interval: the digests only.
    remind(org, fixture_course, smtp, TODAY + timedelta(days=6))
    assert set(smtp.take()) == {email_of(m) for m in MANAGERS}
    # The interval (7 days) has passed: the reminders again, not the digests (sent this week already).
    remind(org, fixture_course, smtp, TODAY + timedelta(days=7))
    assert set(smtp.take()) == {email_of(p) for p in ("nora", "olle", "cecilia", "ulla")}


def test_turning_overdue_is_sent_at_once_within_the_interval(org, fixture_course, smtp):
    remind(org, fixture_course, smtp, TODAY + timedelta(days=8))  # Nora's module is due in two days
    assert only(smtp.take(), "nora").subject.endswith("ska vara klar 2026-03-14")
    remind(org, fixture_course, smtp, TODAY + timedelta(days=11))  # three days later it is late
    inbox = smtp.take()
    # The others had theirs three days ago, and the digests this week; Vera's module is now due in 14 days.
    assert set(inbox) == {email_of("nora"), email_of("vera")}
    assert only(inbox, "vera").subject.endswith("ska vara klar 2026-03-29")
    assert only(inbox, "nora").subject.endswith("skulle ha varit klar 2026-03-14")


def test_dry_run_sends_nothing_and_records_nothing(org, fixture_course, smtp):
    summary = remind(org, fixture_course, smtp, dry_run=True)
    assert len(summary.sent) == 7 and smtp.take() == {} and sent_rows(org) == []


def test_a_refused_mail_is_not_recorded_and_the_others_go_out(org, fixture_course, smtp):
    smtp.refuse = {email_of("olle")}
    summary = remind(org, fixture_course, smtp)
    assert [mail.recipient_id for mail, _ in summary.failed] == ["olle"] and "550" in summary.failed[0][1]
    assert not summary.ok
    assert email_of("olle") not in smtp.take() and len(sent_rows(org)) == 6
    assert "olle" not in {row[0] for row in sent_rows(org)}
    smtp.refuse = set()
    remind(org, fixture_course, smtp)  # the next run tries again, and only that one
    assert set(smtp.take()) == {email_of("olle")} and len(sent_rows(org)) == 7


def test_a_dropped_connection_is_opened_again(org, fixture_course, smtp):
    smtp.per_connection = 3
    summary = remind(org, fixture_course, smtp)
    assert summary.ok and len(summary.sent) == 7 and len(sent_rows(org)) == 7
    assert smtp.connections == [3, 3, 1]


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """An SMTP server that requires STARTTLS and a login, with a certificate made for the test and trusted by the
    client through SSL_CERT_FILE (which ssl.create_default_context reads)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"utbildning", b"hemligt")
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 on a refusal

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def test_starttls_with_a_login(org, fixture_course, tls_server):
    settings = SmtpSettings("127.0.0.1", tls_server.port, "starttls", "utbildning", "hemligt", SENDER)
    summary = run(org, fixture_course, TODAY, settings, APP_URL, out=lambda _: None, err=lambda _: None)
    assert summary.ok and sum(len(items) for items in tls_server.take().values()) == 7
    wrong = SmtpSettings("127.0.0.1", tls_server.port, "starttls", "utbildning", "fel", SENDER)
    refused = remind(org, fixture_course, SimpleNamespace(settings=wrong), TODAY + timedelta(days=7))
    assert refused.unsent == 7 and not refused.ok  # a refused login: nothing sent, nothing recorded
    assert tls_server.take() == {} and len(sent_rows(org)) == 7


# --- the command ------------------------------------------------------------------------------------------------

@pytest.fixture
def command(org, smtp, monkeypatch):
    """`python -m course remind` on the test database and the fixture content, configured by environment."""
    monkeypatch.setenv("COURSE_CONTENT_ROOT", str(FIXTURE_CONTENT))
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(smtp.settings.port)), ("TLS", "none"),
                        ("FROM", SENDER)):
        monkeypatch.setenv(f"COURSE_SMTP_{name}", value)
    monkeypatch.delenv("COURSE_SMTP_USER", raising=False)
    monkeypatch.setenv("COURSE_APP_URL", APP_URL)
    url = org.engine.url.render_as_string(hide_password=False)
    return lambda *extra: main(["remind", "--today", TODAY.isoformat(), "--database-url", url, *extra])


def test_the_command_sends_once_and_says_so_in_swedish(command, smtp, org, capsys):
    assert command() == 0
    assert sum(len(items) for items in smtp.take().values()) == 7
    out, err = capsys.readouterr()
    assert "Skickat (snart) till Nora Nyström <nora@gransby.example>" in out
    assert "Skickade 4 påminnelser och 3 veckosammanfattningar." in err
    assert "1 person saknar e-postadress" in err
    assert command() == 0 and smtp.take() == {}
    assert "Skickade 0 påminnelser och 0 veckosammanfattningar. 7 skickades inte igen" in capsys.readouterr().err


def test_the_command_dry_run_needs_no_server(command, smtp, org, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_SMTP_HOST")
    assert command() == 2
    assert "COURSE_SMTP_HOST är inte satt" in capsys.readouterr().err
    assert command("--dry-run") == 0
    out, err = capsys.readouterr()
    assert "Skulle skicka (forsenad) till Olle Öberg" in out and "Skulle skicka 4 påminnelser" in err
    assert smtp.take() == {} and sent_rows(org) == []


def test_the_command_fails_when_the_server_cannot_be_reached(command, org, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_SMTP_PORT", str(free_port()))  # nothing listens there
    assert command() == 1
    assert "Kunde inte ansluta till e-postservern" in capsys.readouterr().err
    assert sent_rows(org) == []


# --- settings and texts (no store) --------------------------------------------------------------------------------

def test_smtp_settings_from_the_environment():
    settings = SmtpSettings.from_env({"COURSE_SMTP_HOST": "smtp.kommun.se", "COURSE_SMTP_FROM": SENDER,
                                      "COURSE_SMTP_USER": "u", "COURSE_SMTP_PASSWORD": "p"})
    assert (settings.port, settings.tls, settings.user, settings.password) == (587, "starttls", "u", "p")
    assert SmtpSettings.from_env({"COURSE_SMTP_HOST": "h", "COURSE_SMTP_FROM": SENDER,
                                  "COURSE_SMTP_TLS": "ssl"}).port == 465
    for broken in ({"COURSE_SMTP_FROM": SENDER}, {"COURSE_SMTP_HOST": "h"},
                   {"COURSE_SMTP_HOST": "h", "COURSE_SMTP_FROM": SENDER, "COURSE_SMTP_TLS": "ja"},
                   {"COURSE_SMTP_HOST": "h", "COURSE_SMTP_FROM": SENDER, "COURSE_SMTP_PORT": "smtp"}):
        with pytest.raises(SettingsError):
            SmtpSettings.from_env(broken)


@pytest.fixture(scope="module")
def real_course():
    return load_course(default_content_root()).course


def row(module_id, status, due, person="p1", name="Nora Nyström", unit="Bygglovsenheten"):
    return SimpleNamespace(person_id=person, name=name, email="nora@x.se", module_id=module_id, status=status,
                           due=due, unit_name=unit)


def test_one_mail_per_person_lists_late_and_soon_modules_with_titles(real_course):
    rows = [row("mutor", Status.OVERDUE, TODAY - timedelta(days=3)),
            row("grunder", Status.NOT_STARTED, TODAY + timedelta(days=14)),  # the last day of 'due soon'
            row("larm", Status.IN_PROGRESS, TODAY),
            row("grazoner", Status.NOT_STARTED, TODAY + timedelta(days=15)),  # not yet
            row("jav-anstallda", Status.DONE, TODAY + timedelta(days=5)),  # done, and its next round has opened
            row("upphandling", Status.DONE, TODAY + timedelta(days=20))]  # done, next round not open yet
    [mail] = texts.person_mails(real_course, rows, TODAY)
    assert mail.kind == texts.OVERDUE and mail.dedup_key == "2026-03-04"
    assert mail.subject == "Påminnelse: utbildningen om mutor och jäv skulle ha varit klar 2026-03-01"
    assert "  • Mutor – skulle ha varit klar 2026-03-01" in mail.body
    late, soon = mail.body.split("ska du göra snart:")
    assert "Att slå larm – ska vara klar 2026-03-04" in soon
    assert "Grunder: korruption och otillåten påverkan – ska vara klar 2026-03-18" in soon
    assert "Jäv för anställda – ska vara klar 2026-03-09" in soon
    assert "Gråzoner" not in mail.body and "Upphandling" not in mail.body
    assert "Du hittar utbildningen på intranätet." in mail.body  # no link configured


def test_the_digest_groups_by_unit_and_person(real_course):
    rows = [row("mutor", Status.OVERDUE, date(2026, 2, 1), "p2", "Olle Öberg", "Miljö"),
            row("larm", Status.OVERDUE, date(2026, 2, 1), "p2", "Olle Öberg", "Miljö"),
            row("mutor", Status.OVERDUE, date(2026, 1, 1), "p1", "Ada Berg", "Bygglov")]
    mail = texts.digest_mail(real_course, "c", "Cecilia Lund", "c@x.se", rows, TODAY, APP_URL)
    assert mail.kind == texts.DIGEST and mail.dedup_key == "2026-W10"
    body = mail.body
    assert body.index("Bygglov\n  • Ada Berg\n      Mutor – skulle ha varit klar 2026-01-01") < body.index("Miljö")
    assert "  • Olle Öberg\n      Mutor – skulle ha varit klar 2026-02-01\n      Att slå larm" in body
    assert texts.digest_mail(real_course, "c", "Cecilia Lund", "c@x.se", [], TODAY) is None


# --- in the language the person chose -------------------------------------------------------------------------

def test_a_person_who_chose_english_gets_their_reminder_and_digest_in_english(org, fixture_course, smtp):
    """Nora and Vera (a manager) chose English in the app; everyone else gets Swedish, as before."""
    from progress import preferences

    preferences.set_language(org, "nora", "nora", "en")
    preferences.set_language(org, "vera", "vera", "en")
    preferences.set_language(org, "olle", "olle", "sv")  # chose Swedish: the same as no choice
    summary = remind(org, fixture_course, smtp)
    inbox = smtp.take()
    assert summary.ok and len(summary.sent) == 7  # the same mails as without a choice, only their words differ
    nora = only(inbox, "nora")
    assert nora.subject == "Your training on bribery and conflicts of interest is due 2026-03-14"
    assert "Hello Nora!" in nora.body and "Provmodul – due 2026-03-14" in nora.body
    assert "These modules are due soon:" in nora.body and "Kind regards\nGränsby kommun" in nora.body
    assert APP_URL in nora.body and "Hej" not in nora.body and "påminnelse" not in nora.body.lower()
    assert nora.message["Content-Language"] == "en"
    olle = only(inbox, "olle")
    assert olle.subject == "Påminnelse: utbildningen om mutor och jäv skulle ha varit klar 2026-02-22"
    assert "Hej Olle!" in olle.body and olle.message["Content-Language"] == "sv"
    vera = only(inbox, "vera")  # her digest; her own module is not due yet
    assert vera.subject == "Weekly summary, week 10: 1 person has overdue training on bribery and conflicts of interest"
    assert "Hello Vera!" in vera.body and "1 person in your units has overdue modules:" in vera.body
    assert "Vård och omsorg\n  • Ulla Vård\n      Provmodul – was due 2026-02-12" in vera.body
    assert f"under My unit: {APP_URL}" in vera.body
    assert digest_to(inbox, "boss").body.startswith("Hej Bo!")  # another manager, no choice: Swedish
    assert {mail.recipient_id: mail.language for mail in summary.sent if mail.language == "en"} == {"nora": "en",
                                                                                                   "vera": "en"}
    # Recorded as before, with the subject that was sent.
    with org.read() as session:
        subjects = dict(session.execute(select(SentMessage.recipient_id, SentMessage.subject)
                                        .where(SentMessage.recipient_id.in_(["nora", "vera"]))).all())
    assert subjects == {"nora": nora.subject, "vera": vera.subject}


def test_an_english_mail_uses_the_english_version_of_a_module_where_there_is_one(real_course):
    rows = [row("larm", Status.OVERDUE, TODAY - timedelta(days=3)),
            row("mutor", Status.NOT_STARTED, TODAY + timedelta(days=5)),  # no English version: its own title
            row("grunder", Status.NOT_STARTED, TODAY + timedelta(days=7))]
    [mail] = texts.person_mails(real_course, rows, TODAY, languages={"p1": "en"})
    assert (mail.kind, mail.language) == (texts.OVERDUE, "en")
    assert mail.subject == "Your training on bribery and conflicts of interest was due 2026-03-01"
    late, soon = mail.body.split("These modules are due soon:")
    assert "These modules are overdue. Please do them as soon as you can:\n  • Raising the alarm – was due 2026-03-01" \
        in late
    assert "  • Mutor – due 2026-03-09" in soon
    assert "  • Basics: corruption and unlawful influence – due 2026-03-11" in soon
    assert "You will find the training on the intranet." in mail.body  # no link configured
    [swedish] = texts.person_mails(real_course, rows, TODAY, languages={"someone-else": "en"})
    assert swedish.language == "sv" and "Att slå larm – skulle ha varit klar" in swedish.body
    [unknown] = texts.person_mails(real_course, rows, TODAY, languages={"p1": "fi"})  # not a mail language
    assert unknown.language == "sv" and unknown.subject.startswith("Påminnelse:")

    digest_rows = [row("larm", Status.OVERDUE, date(2026, 2, 1), "p2", "Olle Öberg", "Miljö"),
                   row("mutor", Status.OVERDUE, date(2026, 1, 1), "p1", "Ada Berg", "Bygglov")]
    digest = texts.digest_mail(real_course, "c", "Cecilia Lund", "c@x.se", digest_rows, TODAY, APP_URL, "en")
    assert digest.language == "en"
    assert digest.subject == ("Weekly summary, week 10: 2 people have overdue training on bribery and conflicts "
                              "of interest")
    assert "2 people in your units have overdue modules:" in digest.body
    assert "  • Olle Öberg\n      Raising the alarm – was due 2026-02-01" in digest.body
    assert "  • Ada Berg\n      Mutor – was due 2026-01-01" in digest.body


def test_every_mail_language_has_every_text_with_the_same_placeholders():
    import dataclasses
    import re

    assert set(texts.TEXTS) == {"sv", "en"}
    swedish = dataclasses.asdict(texts.TEXTS["sv"])
    for language, words in texts.TEXTS.items():
        for name, value in dataclasses.asdict(words).items():
            for one, other in zip(value if isinstance(value, tuple) else (value,),
                                  swedish[name] if isinstance(swedish[name], tuple) else (swedish[name],)):
                assert one.strip() and set(re.findall(r"{(\w+)}", one)) == set(re.findall(r"{(\w+)}", other)), \
                    (language, name)
