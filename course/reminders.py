"""Who is reminded of what, and the e-mails, in Swedish or English (the language the recipient chose in the app,
progress.preferences; Swedish when none). Pure functions over status rows (progress.reports.StatusRow or anything
with the same attributes); progress.reminders decides what was already sent and sends the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping

from course import rules
from course.plain import mail_text
from i18n import DEFAULT_LANGUAGE

SOON, OVERDUE, DIGEST = "snart", "forsenad", "veckosammanfattning"
COURSE_NAME = "utbildningen om mutor och jäv"


@dataclass(frozen=True)
class MailTexts:
    """The words of the reminders in one language, beside the code that puts them together as one letter (the
    app's own strings are in i18n/). Every language fills every field, with the same {placeholders}: each text
    stands in Swedish and English side by side in _SV_EN, so a translation is read and changed beside its source."""

    subject_overdue: str  # {due}
    subject_soon: str  # {due}
    hello: str  # {name}
    intro: str  # {org}
    late_heading: str
    late_item: str  # {title}, {due}
    soon_heading: str
    soon_item: str  # {title}, {due}
    link: str  # {url}
    no_link: str
    duration: str
    regards: str
    footer: str
    people: tuple[str, str]  # {n} people: one, many
    digest_subject: tuple[str, str]  # {week}, {counted}: one person, many
    digest_intro: str  # {org}
    digest_count: tuple[str, str]  # {counted}: one person, many
    digest_advice: str
    digest_link: str  # {url}
    digest_footer: str
    organisation: str  # when config/organisation.yaml names none


# Every text in Swedish and in English, side by side: (sv, en). A count's texts are (one, many) in each language.
_SV_EN = {
    "subject_overdue": (f"Påminnelse: {COURSE_NAME} skulle ha varit klar {{due}}",
                        # in English at most 69 characters with the date: one header line (Python's folder puts a
                        # 70-77 character subject on a line of its own, which its parser reads back with a leading
                        # space)
                        "Your training on bribery and conflicts of interest was due {due}"),
    "subject_soon": (f"Påminnelse: {COURSE_NAME} ska vara klar {{due}}",
                     "Your training on bribery and conflicts of interest is due {due}"),
    "hello": ("Hej {name}!", "Hello {name}!"),
    "intro": ("Det här är en påminnelse från {org}s utbildning om mutor och jäv.",
              "This is a reminder from {org}'s training on bribery and conflicts of interest."),
    "late_heading": ("De här modulerna är försenade. Gör dem så snart du kan:",
                     "These modules are overdue. Please do them as soon as you can:"),
    "late_item": ("{title} – skulle ha varit klar {due}", "{title} – was due {due}"),
    "soon_heading": ("De här modulerna ska du göra snart:", "These modules are due soon:"),
    "soon_item": ("{title} – ska vara klar {due}", "{title} – due {due}"),
    "link": ("Du gör utbildningen här: {url}", "You take the training here: {url}"),
    "no_link": ("Du hittar utbildningen på intranätet.", "You will find the training on the intranet."),
    "duration": ("En modul tar 10–20 minuter, och du kan göra en paus när du vill.",
                 "A module takes 10–20 minutes, and you can take a break whenever you like."),
    "regards": ("Vänliga hälsningar", "Kind regards"),
    "footer": ("Det här mejlet skickas automatiskt. Har du frågor om utbildningen, prata med din chef.",
               "This e-mail is sent automatically. If you have questions about the training, talk to your manager."),
    "people": (("{n} person", "{n} personer"), ("{n} person", "{n} people")),
    "digest_subject": (
        ("Veckosammanfattning vecka {week}: {counted} har försenad utbildning om mutor och jäv",) * 2,
        ("Weekly summary, week {week}: {counted} has overdue training on bribery and conflicts of interest",
         "Weekly summary, week {week}: {counted} have overdue training on bribery and conflicts of interest")),
    "digest_intro": ("Här är veckans sammanfattning från {org}s utbildning om mutor och jäv.",
                     "Here is this week's summary from {org}'s training on bribery and conflicts of interest."),
    "digest_count": (("{counted} i dina enheter har moduler som är försenade:",) * 2,
                     ("{counted} in your units has overdue modules:", "{counted} in your units have overdue modules:")),
    "digest_advice": ("Påminn dem gärna, eller ta upp det i nästa medarbetarsamtal. De får själva en påminnelse per "
                      "e-post.",
                      "Feel free to remind them, or bring it up at the next appraisal talk. They also get a reminder "
                      "by e-mail themselves."),
    "digest_link": ("Hela bilden för dina enheter finns under Min enhet: {url}",
                    "The full picture for your units is under My unit: {url}"),
    "digest_footer": ("Det här mejlet skickas automatiskt en gång i veckan när någon i dina enheter är försenad.",
                      "This e-mail is sent automatically once a week when someone in your units is overdue."),
    "organisation": ("kommunen", "the municipality"),
}
TEXTS: Mapping[str, MailTexts] = {language: MailTexts(**{name: pair[index] for name, pair in _SV_EN.items()})
                                  for index, language in enumerate(("sv", "en"))}


def _language(language: str | None) -> str:
    """`language` if the mails are written in it; Swedish for no choice or any other."""
    return language if language in TEXTS else DEFAULT_LANGUAGE


def texts_in(language: str | None) -> MailTexts:
    return TEXTS[_language(language)]


@dataclass(frozen=True)
class Mail:
    recipient_id: str
    name: str
    email: str | None
    kind: str  # SOON, OVERDUE or DIGEST
    dedup_key: str  # with recipient and kind, unique in sent_messages
    subject: str
    body: str
    language: str = DEFAULT_LANGUAGE  # what it is written in (the Content-Language of the message)


def week_key(today: date) -> str:
    """The digest goes out once per ISO week."""
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def is_due_soon(row, today: date, due_soon_days: int) -> bool:
    """Due within the next `due_soon_days` days (today included): a first round not yet done, or a completed
    module whose next round has opened (rules.renewal_open) and is not yet late."""
    return (row.status != rules.Status.OVERDUE and row.due is not None
            and today <= row.due <= today + timedelta(days=due_soon_days))


def person_mails(course, rows: Iterable, today: date, app_url: str | None = None,
                 languages: Mapping[str, str] | None = None) -> list[Mail]:
    """One mail per person with everything they should act on: the overdue modules and those due soon. One mail
    rather than one per kind, so nobody gets two on the same day; its kind is OVERDUE when anything is late (an
    escalation that goes out even if a 'due soon' mail went out earlier in the interval), else SOON. Each is in
    the person's language (`languages`: person id -> language they chose; Swedish for the others)."""
    languages = languages or {}
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
        language = _language(languages.get(first.person_id))
        words = texts_in(language)
        late = sorted((r for r in person_rows if r.status == rules.Status.OVERDUE), key=by_due)
        soon = sorted((r for r in person_rows if r.status != rules.Status.OVERDUE), key=by_due)
        if late:
            kind, subject = OVERDUE, words.subject_overdue.format(due=late[0].due.isoformat())
        else:
            kind, subject = SOON, words.subject_soon.format(due=soon[0].due.isoformat())
        mails.append(Mail(first.person_id, first.name, first.email, kind, today.isoformat(), subject,
                          _person_body(course, first.name, late, soon, app_url, language), language))
    return sorted(mails, key=lambda mail: (mail.name, mail.recipient_id))


def digest_mail(course, manager_id: str, name: str, email: str | None, overdue_rows: Iterable, today: date,
                app_url: str | None = None, language: str | None = None) -> Mail | None:
    """The manager's weekly digest: the overdue people under them, by unit, in the manager's language; None
    when there are none."""
    language = _language(language)
    words = texts_in(language)
    order = _module_order(course)
    rows = sorted(overdue_rows, key=lambda r: (r.unit_name, r.name, r.person_id, r.due, order(r.module_id)))
    if not rows:
        return None
    people = len({r.person_id for r in rows})
    number = 0 if people == 1 else 1
    counted = words.people[number].format(n=people)
    subject = words.digest_subject[number].format(week=today.isocalendar()[1], counted=counted)
    org = _organisation(course, language)
    lines = [words.hello.format(name=_first_name(name)), "", words.digest_intro.format(org=org),
             words.digest_count[number].format(counted=counted)]
    unit = person = None
    for row in rows:
        if row.unit_name != unit:
            unit, person = row.unit_name, None
            lines += ["", mail_text(unit)]
        if row.person_id != person:
            person = row.person_id
            lines.append(f"  • {mail_text(row.name)}")
        lines.append("      " + words.late_item.format(title=_title(course, row.module_id, language),
                                                       due=row.due.isoformat()))
    lines += ["", words.digest_advice]
    if app_url:
        lines.append(words.digest_link.format(url=app_url))
    lines += ["", words.regards, org, "", words.digest_footer]
    return Mail(manager_id, name, email, DIGEST, week_key(today), subject, "\n".join(lines) + "\n", language)


def _person_body(course, name: str, late: list, soon: list, app_url: str | None,
                 language: str = DEFAULT_LANGUAGE) -> str:
    words = texts_in(language)
    org = _organisation(course, language)
    lines = [words.hello.format(name=_first_name(name)), "", words.intro.format(org=org)]
    if late:
        lines += ["", words.late_heading]
        lines += ["  • " + words.late_item.format(title=_title(course, r.module_id, language), due=r.due.isoformat())
                  for r in late]
    if soon:
        lines += ["", words.soon_heading]
        lines += ["  • " + words.soon_item.format(title=_title(course, r.module_id, language), due=r.due.isoformat())
                  for r in soon]
    lines.append("")
    lines.append(words.link.format(url=app_url) if app_url else words.no_link)
    lines.append(words.duration)
    lines += ["", words.regards, org, "", words.footer]
    return "\n".join(lines) + "\n"


def _organisation(course, language: str = DEFAULT_LANGUAGE) -> str:
    """The municipality's name (a name: the same in every language)."""
    return course.organisation.namn if course.organisation else texts_in(language).organisation


def _title(course, module_id: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The module's title in `language` where it has a translation (course.variant), else the original's."""
    if module_id not in course.modules:
        return module_id
    return course.variant(module_id, language).title


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
