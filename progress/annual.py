"""The annual report's figures from the store, and `python -m course report --year YYYY`.

Coverage comes from `reports.status_rows` as of the year's last day (the same rule as every other figure);
that is one row per person and module in Python, which takes tens of seconds for 60,000 people: acceptable
for a report made once a year, so the callers show progress. Topics come from the few topic tally rows; the
group sessions at workplace meetings from their records, grouped by the database.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import distinct, func, select

from course.content.loader import Course
from course.documents.annual import AnnualReport, Coverage, GroupYear, YearTopicResult
from course.rules import DONE_STATUSES, MIN_ANSWERS_YEAR_TOPIC, Status
from i18n import translate  # the report is in Swedish; a role's name is i18n's role_* text, as on every page
from progress import reports, unit_tree
from progress.access import SYSTEM, Viewer, require_admin
from progress.db import Database
from progress.models import Completion, GroupSession, GroupSessionRecord, PersonRole, TopicTally, Waiver
from progress.org import ROLE_ORDER
from progress.tallies import EVERYONE

TOTAL_KEY = "__alla__"


class FutureYear(ValueError):
    """A report for a year that has not begun."""


def report_day(year: int, today: date) -> date:
    """The day the year's figures are taken on: its last day, or today while the year is still running."""
    if year > today.year:
        raise FutureYear(f"År {year} har inte börjat ännu. Välj {today.year} eller ett tidigare år.")
    return min(date(year, 12, 31), today)


def build_report(db: Database, viewer_id: Viewer, course: Course, year: int, today: date | None = None,
                 on_step: Callable[[str], None] | None = None) -> AnnualReport:
    """Everything the annual report for `year` shows, for admins (or the operator's command). `on_step` is told
    what is being counted. The report names no person (groups of people, topics), so it is not logged as an
    export of named people."""
    today = today or date.today()
    require_admin(db, viewer_id, today)
    tell = on_step or (lambda message: None)
    as_of, previous_as_of = report_day(year, today), date(year - 1, 12, 31)
    administration_of = _administrations(db)
    roles = _roles(db)
    tell(f"Räknar läget den {as_of.isoformat()} …")
    current = _snapshot(db, course, as_of, administration_of, roles)
    tell(f"Räknar läget den {previous_as_of.isoformat()} …")
    previous = _snapshot(db, course, previous_as_of, administration_of, roles)
    tell("Räknar ämnen och genomförda moduler …")
    names = dict(administration_of.values())
    by_administration = sorted(_merge(current["administration"], previous["administration"], names.get),
                               key=lambda group: group.name.lower())
    by_role = sorted(_merge(current["role"], previous["role"], lambda role: translate("sv", f"role_{role}")),
                     key=lambda group: ROLE_ORDER.index(group.key) if group.key in ROLE_ORDER else 99)
    (total,) = _merge(current["total"], previous["total"], lambda _: "Hela organisationen")
    completions, waivers = _done_in_year(db, year, as_of)
    previous_completions, previous_waivers = _done_in_year(db, year - 1, previous_as_of)
    tell("Räknar gruppövningar …")
    group_total, group_by_administration = _group_sessions(db, year, as_of, administration_of)
    previous_group_total, _ = _group_sessions(db, year - 1, previous_as_of, administration_of)
    organisation = course.organisation.namn if course.organisation else ""
    return AnnualReport(organisation, year, as_of, previous_as_of, today, total, tuple(by_administration),
                        tuple(by_role), _topics(db, course, year, as_of), completions, waivers,
                        previous_completions, previous_waivers, group_total=group_total,
                        group_by_administration=group_by_administration,
                        previous_group_total=previous_group_total)


def completions_change(report: AnnualReport) -> int:
    """How many more modules were completed in the report's year than in the year before (negative: fewer)."""
    return report.completions - report.previous_completions


def _administrations(db: Database) -> dict[str, tuple[str, str]]:
    """unit id -> (id, name) of its förvaltning (unit_tree.administration_of)."""
    administrations = unit_tree.administration_of(unit_tree.load_units(db))
    return {unit_id: (unit.id, unit.name) for unit_id, unit in administrations.items()}


def _roles(db: Database) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with db.read() as session:
        for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)):
            found.setdefault(person_id, set()).add(role)
    return found


def _snapshot(db: Database, course: Course, day: date, administration_of, roles) -> dict[str, dict[str, list[int]]]:
    """Per group (total, förvaltning, role): [people, done, overdue] on `day`."""
    people: dict[str, list] = {}  # person -> [unit, every module done, some module overdue]
    for row in reports.status_rows(db, course, day):
        state = people.setdefault(row.person_id, [row.unit_id, True, False])
        state[1] = state[1] and row.status in DONE_STATUSES
        state[2] = state[2] or row.status == Status.OVERDUE
    track_roles = {role for track in course.tracks.values() for role in track.roles}
    groups: dict[str, dict[str, list[int]]] = {"total": {}, "administration": {}, "role": {}}
    for person_id, (unit_id, done, overdue) in people.items():
        keys = [("total", TOTAL_KEY), ("administration", administration_of.get(unit_id, (unit_id,))[0])]
        keys += [("role", role) for role in roles.get(person_id, ()) if role in track_roles]
        for kind, key in keys:
            counts = groups[kind].setdefault(key, [0, 0, 0])
            counts[0] += 1
            counts[1] += int(done)
            counts[2] += int(overdue)
    groups["total"].setdefault(TOTAL_KEY, [0, 0, 0])
    return groups


def _merge(current: dict[str, list[int]], previous: dict[str, list[int]], name_of) -> list[Coverage]:
    result = []
    for key in sorted(set(current) | set(previous)):
        people, done, overdue = current.get(key, (0, 0, 0))
        previous_people, previous_done, _ = previous.get(key, (0, 0, 0))
        result.append(Coverage(key, name_of(key) or key, people, done, overdue, previous_people, previous_done))
    return result


def _done_in_year(db: Database, year: int, until_day: date) -> tuple[int, int]:
    """Completions and waivers recorded from the year's first day to `until_day`, whoever made them."""
    start, until = datetime(year, 1, 1), datetime.combine(until_day + timedelta(days=1), time())
    with db.read() as session:
        completions = session.scalar(select(func.count()).select_from(Completion)
                                     .where(Completion.completed_at >= start, Completion.completed_at < until))
        waivers = session.scalar(select(func.count()).select_from(Waiver)
                                 .where(Waiver.waived_at >= start, Waiver.waived_at < until))
    return completions or 0, waivers or 0


def _group_sessions(db: Database, year: int, until_day: date,
                    administration_of) -> tuple[GroupYear, tuple[GroupYear, ...]]:
    """Group sessions held from the year's first day to `until_day` (by the meeting's day) with someone confirmed:
    in the whole organisation and per förvaltning of the unit each was held for (the förvaltningar by name).
    Sessions and participations are counted per unit by the database and added up; people are counted once per
    förvaltning and once in the total, from the distinct (unit, person) pairs."""
    record = GroupSessionRecord
    held = [record.held_on >= date(year, 1, 1), record.held_on <= until_day]
    with db.read() as session:
        per_unit = session.execute(
            select(GroupSession.unit_id, func.count(distinct(record.session_id)), func.count())
            .select_from(record).join(GroupSession, GroupSession.id == record.session_id).where(*held)
            .group_by(GroupSession.unit_id)).all()
        pairs = session.execute(select(GroupSession.unit_id, record.person_id).distinct()
                                .select_from(record).join(GroupSession, GroupSession.id == record.session_id)
                                .where(*held)).all()
    names = dict(administration_of.values())

    def administration(unit_id: str) -> str:
        return administration_of.get(unit_id, (unit_id,))[0]  # a unit since removed: counted under itself

    counts: dict[str, list[int]] = {}
    for unit_id, sessions, participations in per_unit:
        figures = counts.setdefault(administration(unit_id), [0, 0])
        figures[0] += sessions
        figures[1] += participations
    people: dict[str, set[str]] = {}
    for unit_id, person_id in pairs:
        people.setdefault(administration(unit_id), set()).add(person_id)
    groups = tuple(sorted((GroupYear(key, names.get(key) or key, sessions, participations, len(people.get(key, ())))
                           for key, (sessions, participations) in counts.items()),
                          key=lambda group: group.name.lower()))
    total = GroupYear(TOTAL_KEY, "Hela organisationen", sum(g.sessions for g in groups),
                      sum(g.participations for g in groups), len({person_id for _, person_id in pairs}))
    return total, groups


def _topic_sums(db: Database, year: int, until_day: date) -> dict[str, tuple[int, int]]:
    with db.read() as session:
        rows = session.execute(
            select(TopicTally.topic, func.sum(TopicTally.answered), func.sum(TopicTally.correct))
            .where(TopicTally.role == EVERYONE, TopicTally.month >= date(year, 1, 1), TopicTally.month <= until_day)
            .group_by(TopicTally.topic)).all()
    return {topic: (int(answered or 0), int(correct or 0)) for topic, answered, correct in rows}


def _topics(db: Database, course: Course, year: int, as_of: date) -> tuple[YearTopicResult, ...]:
    """Every topic answered in the year, the ranked ones (enough answers) weakest first, then the rest."""
    current = _topic_sums(db, year, as_of)
    previous = _topic_sums(db, year - 1, date(year - 1, 12, 31))
    results = []
    for topic, (answered, correct) in current.items():
        if not answered:
            continue
        previous_answered, previous_correct = previous.get(topic, (0, 0))
        results.append(YearTopicResult(topic, course.topic_title(topic), answered, correct, previous_answered,
                                   previous_correct, answered >= MIN_ANSWERS_YEAR_TOPIC))
    return tuple(sorted(results, key=lambda t: (not t.ranked, t.correct / t.answered, -t.answered, t.title)))


# --- python -m course report --year YYYY ---------------------------------------------------------------------

def add_command(commands) -> None:
    parser = commands.add_parser("report", help="årsrapport till kommunstyrelsen som PDF och XLSX")
    parser.add_argument("--year", type=int, required=True, help="rapportens år, t.ex. 2025")
    parser.add_argument("--out", type=Path, default=Path("."), help="mappen filerna skrivs till (standard: här)")
    parser.add_argument("--database-url", help="annars COURSE_DATABASE_URL eller demodatabasen")
    parser.set_defaults(run=report_command)


def file_names(year: int) -> tuple[str, str]:
    return f"arsrapport-{year}.pdf", f"arsrapport-{year}.xlsx"


def report_command(args) -> int:
    from course.cli import clean_content
    from course.documents.annual import annual_pdf, annual_xlsx
    from progress.db import StoreUnavailable, command_store

    result = clean_content()
    if result is None:
        return 1
    try:
        with command_store(args.database_url) as db:
            report = build_report(db, SYSTEM, result.course, args.year,
                                  on_step=lambda message: print(message, file=sys.stderr, flush=True))
    except FutureYear as error:
        print(error, file=sys.stderr)
        return 1
    except StoreUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    pdf_name, xlsx_name = file_names(args.year)
    (args.out / pdf_name).write_bytes(annual_pdf(report))
    (args.out / xlsx_name).write_bytes(annual_xlsx(report))
    for name in (pdf_name, xlsx_name):
        print(args.out / name)
    print(f"Klart: årsrapport {args.year} för {report.total.people} personer, läget den "
          f"{report.as_of.isoformat()}.", file=sys.stderr)
    return 0
