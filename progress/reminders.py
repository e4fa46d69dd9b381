"""`python -m course remind [--dry-run]`: e-mail reminders to people whose training is due soon or overdue, and a
weekly digest to each manager with their overdue people, each in the language the recipient chose in the app
(progress.preferences; Swedish when none). Who gets what and the texts are in course.reminders; this module finds
what was already sent, sends the rest over SMTP and records each mail once SMTP accepted it."""

from __future__ import annotations

import os
import smtplib
import ssl
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Callable, Mapping

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from course import reminders as texts
from course import rules
from course.cli import day_argument
from course.content.loader import Course
from course.plain import mail_display_name
from progress import preferences
from progress.attempts import utcnow
from progress.db import Database
from progress.models import Person, SentMessage, Unit
from progress.unit_tree import managed_units_query
from progress.reports import status_rows
from progress.viewer import employed_sql

TLS_MODES = ("starttls", "ssl", "none")
SMTP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how the mails are sent, from the COURSE_SMTP_* variables (from_env: a SettingsError, below, says
    what is missing or wrong)."""

    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SmtpSettings:
        host = environ.get("COURSE_SMTP_HOST", "").strip()
        if not host:
            raise SettingsError("COURSE_SMTP_HOST är inte satt: ange e-postserverns adress (se README, "
                                "'Påminnelser per e-post'). Med --dry-run ser du vad som skulle skickas utan server.")
        tls = environ.get("COURSE_SMTP_TLS", "starttls").strip().lower() or "starttls"
        if tls not in TLS_MODES:
            raise SettingsError(f"COURSE_SMTP_TLS är '{tls}'; den ska vara starttls, ssl eller none.")
        port_text = environ.get("COURSE_SMTP_PORT", "").strip() or ("465" if tls == "ssl" else "587")
        if not port_text.isdigit():
            raise SettingsError(f"COURSE_SMTP_PORT är '{port_text}'; den ska vara ett portnummer, t.ex. 587.")
        sender = environ.get("COURSE_SMTP_FROM", "").strip()
        if not sender:
            raise SettingsError("COURSE_SMTP_FROM är inte satt: ange avsändarens adress, "
                                "t.ex. utbildning@kommun.se.")
        return cls(host, int(port_text), tls, environ.get("COURSE_SMTP_USER") or None,
                   environ.get("COURSE_SMTP_PASSWORD") or None, sender)


class SettingsError(ValueError):
    """The SMTP settings are missing or wrong. The message is for people."""


@dataclass
class Summary:
    sent: list[texts.Mail] = field(default_factory=list)  # or, in a dry run, what would have been sent
    failed: list[tuple[texts.Mail, str]] = field(default_factory=list)
    unsent: int = 0  # not tried: the server could not be reached
    without_email: set[str] = field(default_factory=set)  # people who should get a mail but have no address
    already_sent: int = 0  # held back: sent within the interval (or this week)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unsent


def plan(db: Database, course: Course, today: date, app_url: str | None = None) -> tuple[list[texts.Mail], Summary]:
    """The mails to send today, each in its recipient's language, and a summary that counts those held back and
    the people without an address."""
    rows = status_rows(db, course, today)
    with db.read() as session:
        languages = preferences.languages_of(session)  # one query: those who chose, a fraction of everyone
    candidates = texts.person_mails(course, rows, today, app_url, languages)
    overdue_by_unit: dict[str, list] = {}
    for row in rows:
        if row.status == rules.Status.OVERDUE:
            overdue_by_unit.setdefault(row.unit_id, []).append(row)
    with db.read() as session:
        managers = session.execute(
            select(Person.id, Person.name, Person.email)
            .where(Person.id.in_(select(Unit.manager_id).where(Unit.manager_id.is_not(None))),
                   employed_sql(today))
            .order_by(Person.name, Person.id)).all()
        for manager_id, name, email in managers:
            # The same rule as the manager's own pages: the units under them at every depth, themselves excluded.
            mine = [row for unit_id in session.scalars(managed_units_query(manager_id))
                    for row in overdue_by_unit.get(unit_id, ()) if row.person_id != manager_id]
            digest = texts.digest_mail(course, manager_id, name, email, mine, today, app_url,
                                       languages.get(manager_id))
            if digest is not None:
                candidates.append(digest)
        sent_recently = _sent_recently(session, today, course.follow_up.reminder_interval_days)
    summary, mails = Summary(), []
    for mail in candidates:
        if not mail.email:
            summary.without_email.add(mail.recipient_id)
        elif _held_back(mail, sent_recently):
            summary.already_sent += 1
        else:
            mails.append(mail)
    return mails, summary


def _sent_recently(session, today: date, interval_days: int) -> set[tuple[str, str]]:
    """(recipient, kind) of reminders sent in the interval ending today, and digests sent this ISO week.
    A reminder's dedup_key is the day it was made for (ISO date), so the interval is a comparison of keys and
    follows `--today`; a later day than today counts too, so a catch-up run never sends what a newer run did."""
    since = (today - timedelta(days=interval_days)).isoformat()
    found = session.execute(
        select(SentMessage.recipient_id, SentMessage.kind).where(or_(
            (SentMessage.kind.in_((texts.SOON, texts.OVERDUE))) & (SentMessage.dedup_key > since),
            (SentMessage.kind == texts.DIGEST) & (SentMessage.dedup_key == texts.week_key(today)))))
    return {(recipient_id, kind) for recipient_id, kind in found}


def _held_back(mail: texts.Mail, sent_recently: set[tuple[str, str]]) -> bool:
    """At most one reminder per person in the interval; only the step to overdue is news that goes out at once."""
    if mail.kind == texts.SOON:
        return bool({(mail.recipient_id, texts.SOON), (mail.recipient_id, texts.OVERDUE)} & sent_recently)
    return (mail.recipient_id, mail.kind) in sent_recently


def send(db: Database, mails: list[texts.Mail], settings: SmtpSettings, summary: Summary,
         out: Callable[[str], None] = print, err: Callable[[str], None] = print) -> None:
    """Send each mail and record it once SMTP accepted it. A refused mail is reported and left unrecorded, so the
    next run tries again; the others go on. A dropped connection (servers limit the mails per connection) is
    opened again once; if the server cannot be reached at all, the rest are not tried."""
    connection: smtplib.SMTP | None = None
    try:
        for index, mail in enumerate(mails):
            error: Exception | None = None
            for _ in range(2):
                if connection is None:
                    try:
                        connection = _connect(settings)
                    except OSError as failure:  # smtplib.SMTPException is an OSError too
                        err(f"Kunde inte ansluta till e-postservern {settings.host}:{settings.port} "
                            f"({_describe(failure)}). {len(mails) - index} meddelanden skickades inte; "
                            f"de skickas vid nästa körning.")
                        summary.unsent = len(mails) - index
                        return
                try:
                    connection.send_message(_message(mail, settings.sender))
                    error = None
                    break
                except OSError as failure:
                    error = failure
                    if not _dropped(failure):
                        break
                    _close(connection)
                    connection = None
            if error is not None:
                err(f"Kunde inte skicka till {mail.email} ({_describe(error)}). Det försöks igen vid nästa körning.")
                summary.failed.append((mail, _describe(error)))
                continue
            _record(db, mail)
            summary.sent.append(mail)
            out(f"Skickat ({mail.kind}) till {mail.name} <{mail.email}>: {mail.subject}")
    finally:
        _close(connection)


def _dropped(error: OSError) -> bool:
    """The connection is gone (closed, reset, or the server said 421): worth one more try on a new one. Any other
    answer from the server (a refused address, a full mailbox) stands."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code == 421 for code, _ in error.recipients.values())
    return not isinstance(error, smtplib.SMTPException)  # a socket error


def run(db: Database, course: Course, today: date, settings: SmtpSettings | None, app_url: str | None = None,
        dry_run: bool = False, out: Callable[[str], None] = print, err: Callable[[str], None] = print) -> Summary:
    mails, summary = plan(db, course, today, app_url)
    if dry_run:
        for mail in mails:
            out(f"Skulle skicka ({mail.kind}) till {mail.name} <{mail.email}>: {mail.subject}")
        summary.sent = mails
    else:
        send(db, mails, settings, summary, out, err)
    return summary


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        connection = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS,
                                      context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
        if settings.tls == "starttls":
            connection.starttls(context=ssl.create_default_context())
    if settings.user:
        connection.login(settings.user, settings.password or "")
    return connection


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        try:
            connection.quit()
        except OSError:
            connection.close()


def _message(mail: texts.Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((mail_display_name(mail.name), mail.email))  # a name can never add a recipient
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(mail.body, charset="utf-8", cte="quoted-printable")
    # after set_content, which clears every Content- header; RFC 3282: a screen reader picks its voice by it
    message["Content-Language"] = mail.language
    return message


def _record(db: Database, mail: texts.Mail) -> None:
    def use_case(session):
        session.add(SentMessage(recipient_id=mail.recipient_id, kind=mail.kind, dedup_key=mail.dedup_key,
                                email=mail.email, subject=mail.subject[:300], sent_at=utcnow()))

    try:
        db.write(use_case)
    except IntegrityError:  # another run recorded the same mail first: it is recorded, which is all we need
        pass


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reason = next(iter(error.recipients.values()))
        return f"servern svarade {code} {_text(reason)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"servern svarade {error.smtp_code} {_text(error.smtp_error)}"
    return str(error) or type(error).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


# --- the command ------------------------------------------------------------------------------------------------

def add_command(commands) -> None:
    parser = commands.add_parser("remind", help="skicka påminnelser per e-post och chefernas veckosammanfattning")
    parser.add_argument("--dry-run", action="store_true", help="visa vad som skulle skickas; skicka och spara inget")
    parser.add_argument("--today", type=day_argument, help="kör som om det vore den dagen (YYYY-MM-DD)")
    parser.add_argument("--database-url", help="annars COURSE_DATABASE_URL eller demodatabasen")
    parser.set_defaults(run=_command)


def _command(args) -> int:
    from course.cli import clean_content
    from progress.db import command_store

    settings = None
    if not args.dry_run:
        try:
            settings = SmtpSettings.from_env()
        except SettingsError as error:
            print(error, file=sys.stderr)
            return 2
    result = clean_content()
    if result is None:
        return 1
    with command_store(args.database_url) as db:
        summary = run(db, result.course, args.today or date.today(), settings,
                      os.environ.get("COURSE_APP_URL") or None, args.dry_run, out=print,
                      err=lambda line: print(line, file=sys.stderr))
    print(_summary_text(summary, args.dry_run), file=sys.stderr)
    return 0 if summary.ok else 1


def _summary_text(summary: Summary, dry_run: bool) -> str:
    digests = sum(1 for mail in summary.sent if mail.kind == texts.DIGEST)
    verb = "Skulle skicka" if dry_run else "Skickade"
    parts = [f"{verb} {_count(len(summary.sent) - digests, 'påminnelse', 'påminnelser')} och "
             f"{_count(digests, 'veckosammanfattning', 'veckosammanfattningar')}."]
    if summary.already_sent:
        parts.append(f"{summary.already_sent} skickades inte igen (redan skickade inom intervallet).")
    if summary.without_email:
        parts.append(f"{_count(len(summary.without_email), 'person', 'personer')} saknar e-postadress och fick inget.")
    if summary.failed or summary.unsent:
        parts.append(f"{summary.unsent + len(summary.failed)} kunde inte skickas och försöks igen vid nästa körning.")
    return " ".join(parts)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"
