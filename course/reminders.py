"""Who is reminded of what, and the Swedish e-mails. Pure functions over status rows (progress.reports.StatusRow
or anything with the same attributes); progress.reminders decides what was already sent and sends the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from course import rules
from course.plain import mail_text

SOON, OVERDUE, DIGEST = "snart", "forsenad", "veckosammanfattning"
COURSE_NAME = "utbildningen om mutor och jäv"


@dataclass(frozen=True)
class Mail:
    recipient_id: str
    name: str
    email: str | None
    kind: str  # SOON, OVERDUE or DIGEST
    dedup_key: str  # with recipient and kind, unique in sent_messages
    subject: str
    body: str


def week_key(today: date) -> str:
    """The digest goes out once per ISO week."""
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def is_due_soon(row, today: date, due_soon_days: int) -> bool:
    """Due within the next `due_soon_days` days (today included): a first round not yet done, or a completed
    module whose next round has opened (rules.renewal_open) and is not yet late."""
    return (row.status != rules.Status.OVERDUE and row.due is not None
            and today <= row.due <= today + timedelta(days=due_soon_days))


def person_mails(course, rows: Iterable, today: date, app_url: str | None = None) -> list[Mail]:
    """One mail per person with everything they should act on: the overdue modules and those due soon. One mail
    rather than one per kind, so nobody gets two on the same day; its kind is OVERDUE when anything is late (an
    escalation that goes out even if a 'due soon' mail went out earlier in the interval), else SOON."""
    due_soon_days = course.follow_up.due_soon_days
    by_person: dict[str, list] = {}
    for row in rows:
        if row.status == rules.Status.OVERDUE or is_due_soon(row, today, due_soon_days):
            by_person.setdefault(row.person_id, []).append(row)
    order = _module_order(course)

    def by_due(row):
        return row.due, order(row.module_id)

    mails = []
    for person_rows in by_person.values():
        first = person_rows[0]
        late = sorted((r for r in person_rows if r.status == rules.Status.OVERDUE), key=by_due)
        soon = sorted((r for r in person_rows if r.status != rules.Status.OVERDUE), key=by_due)
        if late:
            kind, subject = OVERDUE, f"Påminnelse: {COURSE_NAME} skulle ha varit klar {late[0].due.isoformat()}"
        else:
            kind, subject = SOON, f"Påminnelse: {COURSE_NAME} ska vara klar {soon[0].due.isoformat()}"
        mails.append(Mail(first.person_id, first.name, first.email, kind, today.isoformat(), subject,
                          _person_body(course, first.name, late, soon, app_url)))
    return sorted(mails, key=lambda mail: (mail.name, mail.recipient_id))


def digest_mail(course, manager_id: str, name: str, email: str | None, overdue_rows: Iterable, today: date,
                app_url: str | None = None) -> Mail | None:
    """The manager's weekly digest: the overdue people under them, by unit; None when there are none."""
    order = _module_order(course)
    rows = sorted(overdue_rows, key=lambda r: (r.unit_name, r.name, r.person_id, r.due, order(r.module_id)))
    if not rows:
        return None
    people = len({r.person_id for r in rows})
    counted = f"{people} {'person' if people == 1 else 'personer'}"
    subject = f"Veckosammanfattning vecka {today.isocalendar()[1]}: {counted} har försenad utbildning om mutor och jäv"
    lines = [f"Hej {_first_name(name)}!", "",
             f"Här är veckans sammanfattning från {_organisation(course)}s utbildning om mutor och jäv.",
             f"{counted} i dina enheter har moduler som är försenade:"]
    unit = person = None
    for row in rows:
        if row.unit_name != unit:
            unit, person = row.unit_name, None
            lines += ["", mail_text(unit)]
        if row.person_id != person:
            person = row.person_id
            lines.append(f"  • {mail_text(row.name)}")
        lines.append(f"      {_title(course, row.module_id)} – skulle ha varit klar {row.due.isoformat()}")
    lines += ["", "Påminn dem gärna, eller ta upp det i nästa medarbetarsamtal. De får själva en påminnelse per e-post."]
    if app_url:
        lines.append(f"Hela bilden för dina enheter finns under Min enhet: {app_url}")
    lines += ["", "Vänliga hälsningar", _organisation(course), "",
              "Det här mejlet skickas automatiskt en gång i veckan när någon i dina enheter är försenad."]
    return Mail(manager_id, name, email, DIGEST, week_key(today), subject, "\n".join(lines) + "\n")


def _person_body(course, name: str, late: list, soon: list, app_url: str | None) -> str:
    lines = [f"Hej {_first_name(name)}!", "",
             f"Det här är en påminnelse från {_organisation(course)}s utbildning om mutor och jäv."]
    if late:
        lines += ["", "De här modulerna är försenade. Gör dem så snart du kan:"]
        lines += [f"  • {_title(course, r.module_id)} – skulle ha varit klar {r.due.isoformat()}" for r in late]
    if soon:
        lines += ["", "De här modulerna ska du göra snart:"]
        lines += [f"  • {_title(course, r.module_id)} – ska vara klar {r.due.isoformat()}" for r in soon]
    lines.append("")
    lines.append(f"Du gör utbildningen här: {app_url}" if app_url else "Du hittar utbildningen på intranätet.")
    lines.append("En modul tar 10–20 minuter, och du kan göra en paus när du vill.")
    lines += ["", "Vänliga hälsningar", _organisation(course), "",
              "Det här mejlet skickas automatiskt. Har du frågor om utbildningen, prata med din chef."]
    return "\n".join(lines) + "\n"


def _organisation(course) -> str:
    return course.organisation.namn if course.organisation else "kommunen"


def _title(course, module_id: str) -> str:
    module = course.modules.get(module_id)
    return module.title if module else module_id


def _first_name(name: str) -> str:
    """The first name, as one line of text (names come from the HR file)."""
    return mail_text(name.split()[0] if name.strip() else name)


def _module_order(course):
    """Modules in the order the tracks list them (as the learner sees them), for lists with the same due date."""
    position: dict[str, int] = {}
    for track in course.tracks.values():
        for module_id in track.modules:
            position.setdefault(module_id, len(position))
    return lambda module_id: position.get(module_id, len(position))
