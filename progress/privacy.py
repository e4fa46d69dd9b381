"""Data protection: retention (gallring) per record type, the register extract (registerutdrag) for one person,
and the erasure of one person. `python -m course retention | registerutdrag | radera`.

Retention. `config/retention.yaml` says, per record type, `keep` or a number of months, and names the decision it
rests on: a municipality culls only under the nämnd's dokumenthanteringsplan, so everything is kept by default
and a missing file keeps everything. `plan` finds what is past its time; `run` writes an archive of exactly that
first and, only once the archive is written, deletes it (or, for people who have left, anonymises them) in the
same transaction, audited. What still decides someone's status is never culled, whatever its age:

- per person and module, the latest completion and the latest waiver (module_states points at them);
- the completions and waivers the annual report counts: this calendar year's and last year's, and the latest
  per person and module from before this year (the status on last year's last day);
- the attempts of the round in progress (started after the latest completion or waiver, on the current content
  version), with their answers: they are what the learner is in the middle of;
- the latest attempt of each scenario and quiz per person (the next one is numbered from it, and a new draw
  avoids its questions), and the diagnostic a kept waiver rests on;
- the latest confirmation of the guidelines per person and track;
- the records of group sessions (group_session_records) that may count for the round in progress (on the current
  content version of their scenario's module, confirmed after the latest completion or waiver: what
  course.rules.current_round counts), the latest per person and scenario and the latest there that reached an
  ending (where the round in progress began, as states.rebuild reads it, and which scenarios a refresher round
  counts as played), and those the annual report counts (held this calendar year or last).

Group sessions (`gruppovningar`): an ended session started before the cutoff loses its events, vote counts, who
joined and any ballots; its row goes with it unless one of its records is kept (a record names its session, and
the annual report and the dashboard read the session's unit through it), so a kept row is only what the records
need. A session still open is not culled: the run ends it (group_sessions.end_abandoned_in, after the culling, so
that a dry run lists what the run deletes) and the next run culls it. Analys reads the votes from the 'revealed'
events: a culled session leaves its figures, whether its row stays or not.

A completion whose answer is culled keeps its row and loses the link (`trigger_step_id`, migration 0010). The
rollups (topic tallies, module states, daily status counts) hold counts without names and are never touched, so
every figure, the annual report's too, stays as it was; `states.rebuild` still gives the same states.
A certificate is a document of its own (the name as printed, track, day, version): culling the completions it was
issued for does not change it, and its code still verifies until the certificates' own time is up.

People who have left: their name, e-mail and title are removed, their sign-in identities, language choice,
reflections, sent reminders and rights to lead group sessions deleted, their certificates keep the code without
the name, and their id is replaced by a random pseudonym in every table, so their part of every count stays (unit
and employment dates stay, for the same reason). The audit log is append-only: it keeps the old id until its own
time is up.

Register extract: everything stored about one person, from every table that has a person column
(PERSON_COLUMNS; a test reads the tables from the models, so a new one fails it until it is listed here), as JSON;
course.documents.register_extract makes the readable PDF. Erasure: the person's rows in every table, in one
transaction; the audit log keeps its events (ids, no names) and the rollups their counts; the group sessions the
person led, and the others' records of them, stay with a nameless stand-in as facilitator (see ERASURE_MOVES);
the rights to lead group sessions an erased admin gave stay with their holders, without who gave them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Iterator, Mapping

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from course import rules
from course.content.loader import Course, default_content_root
from course.content.yamlload import load_yaml
from progress import audit, group_sessions
from progress.access import SYSTEM, NotPermitted, Viewer, employed_on, is_employed, require_admin_in
from progress.attempts import utcnow
from progress.db import PROJECT_ROOT, Database
from progress.models import (Attempt, Attestation, AuditEvent, Base, Certificate, Completion, GroupBallot,
                             GroupParticipant, GroupSession, GroupSessionEvent, GroupSessionRecord, GroupVoteCount,
                             ModuleState, Person, Reflection, SentMessage, Step, Unit, Waiver)

KEEP = "keep"
RETENTION_FILE = "retention.yaml"
ANONYMOUS_NAME = "Anonymiserad"
ANONYMOUS_PREFIX = "anon-"  # the pseudonym of someone who has left: random, never derived from the old id
CHUNK = 2000  # ids per IN (...): well below SQLite's and PostgreSQL's limits on bound parameters


# --- record types -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordType:
    key: str  # in config/retention.yaml
    title: str  # Swedish, for the command line and the PDF (the pages use i18n)
    tables: tuple[str, ...]
    what: str  # what retention does to it


RECORD_TYPES = (
    RecordType("svar", "Svar på frågor och val i scenarier", ("steps",),
               "svaren i avslutade försök raderas; försöket, poängen och genomförandet finns kvar"),
    RecordType("forsok", "Försök (spelade scenarier och quiz)", ("attempts",),
               "försöken raderas med sina svar; det senaste försöket per scenario och quiz finns kvar"),
    RecordType("genomforanden", "Genomförda moduler och moduler klarade via diagnos", ("completions", "waivers"),
               "äldre genomföranden raderas; det senaste per person och modul finns kvar, liksom det som "
               "årsrapporten räknar (i år och i fjol)"),
    RecordType("gruppovningar", "Gruppövningar på arbetsplatsträffen",
               ("group_sessions", "group_events", "group_vote_counts", "group_ballots", "group_participants",
                "group_session_records"),
               "avslutade gruppövningar raderas med förloppet, rösternas antal och vilka som anslöt, liksom "
               "deltagandena i dem; ett deltagande finns kvar om det kan räknas i personens pågående omgång, är "
               "det senaste per person och scenario eller räknas i årsrapporten (i år och i fjol), och övningens "
               "rad finns då kvar utan förloppet; gallrade övningar försvinner ur Analys (hur grupperna röstade)"),
    RecordType("bekraftelser", "Bekräftelser av riktlinjerna", ("attestations",),
               "äldre bekräftelser raderas; den senaste per person och spår finns kvar"),
    RecordType("reflektioner", "Egna reflektioner", ("reflections",), "raderas"),
    RecordType("intyg", "Intyg", ("certificates",), "raderas; koden går då inte längre att verifiera"),
    RecordType("paminnelser", "Skickade påminnelser", ("sent_messages",), "raderas"),
    RecordType("granskningslogg", "Granskningslogg", ("audit_events",), "raderas"),
    RecordType("personer_som_slutat", "Personer som har slutat", ("people",),
               "anonymiseras: namn, e-post, befattning och inloggningar tas bort; statistiken finns kvar"),
)
TYPES = {record_type.key: record_type for record_type in RECORD_TYPES}

# Every table with something about one person, and the columns that name them (steps: through their attempt).
# Read by the register extract and checked against the models by a test, so that a new table is not forgotten.
PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "people": ("id",),
    "person_roles": ("person_id",),
    "identities": ("person_id",),
    "person_preferences": ("person_id",),
    "attempts": ("person_id",),
    "steps": (),  # steps.attempt_id -> attempts.person_id
    "completions": ("person_id",),
    "waivers": ("person_id",),
    "attestations": ("person_id",),
    "reflections": ("person_id",),
    "certificates": ("person_id",),
    "sent_messages": ("recipient_id",),
    "module_states": ("person_id",),
    "audit_events": ("actor_id", "subject_id"),
    "units": ("manager_id",),
    # group sessions (progress/group_sessions.py): the facilitator's sessions, who joined, the ballots of a vote
    # still open, and each confirmed participant's record (which also names who led the session)
    "group_sessions": ("facilitator_id",),
    "group_events": (),  # group_events.session_id -> group_sessions.facilitator_id: the sessions the person led
    "group_vote_counts": (),  # the same: anonymous counts, in the extract of the one who led the session
    "group_ballots": ("person_id",),
    "group_participants": ("person_id",),
    "group_session_records": ("person_id", "facilitator_id"),
    # the rights to lead group sessions the person holds, and those an admin gave (progress/facilitators.py)
    "facilitator_rights": ("person_id", "granted_by"),
}
# Tables reached through the sessions a person led (their PERSON_COLUMNS are empty).
LED_SESSION_TABLES = ("group_events", "group_vote_counts")
# Tables without a person in them: counts per unit, or facts about the database.
NO_PERSON_DATA = {"topic_tallies": "first answers counted per unit, role, topic and month",
                  "daily_status_counts": "people per status counted per unit, role mask and module and day",
                  "store_meta": "facts about the database"}
# Columns that hold JSON text: the extract shows their content, not a string of it.
JSON_COLUMNS = {("attempts", "drawn"), ("attempts", "scope"), ("steps", "response"), ("audit_events", "detail"),
                ("group_events", "tally")}
# What anonymising someone who has left does to each table: move the rows to the pseudonym, or delete them.
ANONYMISE = {"person_roles": "move", "identities": "delete", "person_preferences": "delete", "attempts": "move",
             "completions": "move", "waivers": "move", "attestations": "move", "reflections": "delete",
             "certificates": "move", "sent_messages": "delete", "module_states": "move", "units": "move",
             "audit_events": "keep",
             # a session led, who joined and the group records move (both columns of a record, where they match):
             # the unit's and the others' records stay whole; a ballot says only that someone voted, and goes
             "group_sessions": "move", "group_participants": "move", "group_session_records": "move",
             "group_ballots": "delete", "group_events": "keep", "group_vote_counts": "keep",
             # per column: a right of someone who has left does nothing and goes; the rights an admin who has
             # left gave stay with their holders, given by the pseudonym
             "facilitator_rights": {"person_id": "delete", "granted_by": "move"}}


# --- errors -------------------------------------------------------------------------------------------------

class RetentionConfigError(ValueError):
    """config/retention.yaml is wrong; the message names the file and line, in Swedish."""


class UnknownPerson(LookupError):
    def __init__(self, person_id: str):
        super().__init__(f"Det finns ingen person med id {person_id}.")
        self.person_id = person_id


class AlreadyErased(LookupError):
    def __init__(self, person_id: str, at: datetime):
        super().__init__(f"Personen med id {person_id} raderades redan den {at:%Y-%m-%d %H:%M} (UTC). "
                         "Det finns inget kvar att radera.")
        self.person_id, self.at = person_id, at


class CannotEraseSelf(ValueError):
    def __init__(self):
        super().__init__("Du kan inte radera dig själv. Be en annan administratör.")


class ArchiveFailed(OSError):
    def __init__(self, path: Path, reason: str):
        super().__init__(f"Arkivet {path} kunde inte skrivas ({reason}). Inget har gallrats.")
        self.path = path


# --- the policy ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetentionPolicy:
    months: Mapping[str, int | None]  # per record type; None = keep
    decision: str | None  # the decision in the dokumenthanteringsplan that the culling rests on
    source: str  # the file it was read from, or a note that there was none

    def keeps(self, key: str) -> bool:
        return self.months.get(key) is None

    @property
    def keeps_everything(self) -> bool:
        return all(self.keeps(key) for key in TYPES)

    def cutoff(self, key: str, today: date) -> datetime | None:
        """Records of this type from before this moment are past their time (None: kept)."""
        months = self.months.get(key)
        return None if months is None else datetime.combine(rules.add_months(today, -months), time())


def default_policy_path() -> Path:
    own = default_content_root() / "config" / RETENTION_FILE
    return own if own.exists() else PROJECT_ROOT / "config" / RETENTION_FILE


def load_policy(path: Path | str | None = None) -> RetentionPolicy:
    """config/retention.yaml, checked: every record type known, `keep` or whole months (1 or more), and a
    `beslut` as soon as anything is culled. A missing file keeps everything."""
    path = Path(path) if path else default_policy_path()
    if not path.exists():
        return RetentionPolicy(dict.fromkeys(TYPES), None, f"{path.name} saknas: allt sparas")
    loaded = load_yaml(path)
    shown = path.name if not path.is_relative_to(PROJECT_ROOT) else path.relative_to(PROJECT_ROOT).as_posix()
    if loaded.problems:
        problem = loaded.problems[0]
        raise RetentionConfigError(f"{shown}:{problem.line}: {problem.message}")
    data = loaded.data if isinstance(loaded.data, dict) else None
    if data is None:
        raise RetentionConfigError(f"{shown}:1: Filen ska ha nycklar, t.ex. 'beslut:' och 'svar: keep'.")
    months: dict[str, int | None] = dict.fromkeys(TYPES)
    decision = data.get("beslut")
    if decision is not None and not (isinstance(decision, str) and decision.strip()):
        raise RetentionConfigError(f"{shown}:{loaded.line_of(('beslut',))}: 'beslut' ska vara en text som "
                                   "anger beslutet i dokumenthanteringsplanen, eller utelämnas.")
    for key, value in data.items():
        if key == "beslut":
            continue
        line = loaded.line_of((key,))
        if key not in TYPES:
            raise RetentionConfigError(f"{shown}:{line}: Okänd uppgiftstyp '{key}'. Kända: {', '.join(TYPES)}.")
        if value == KEEP:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RetentionConfigError(f"{shown}:{line}: '{key}' ska vara 'keep' eller ett antal hela månader "
                                       f"(1 eller fler), inte '{value}'.")
        months[key] = value
    policy = RetentionPolicy(months, decision.strip() if decision else None, shown)
    if not policy.keeps_everything and not policy.decision:
        raise RetentionConfigError(f"{shown}:1: Gallring kräver ett beslut: ange under 'beslut:' vilket beslut i "
                                   "nämndens dokumenthanteringsplan gallringen grundar sig på.")
    return policy


# --- what is past its time ----------------------------------------------------------------------------------

@dataclass
class RetentionPlan:
    today: date
    policy: RetentionPolicy
    ids: dict[str, list] = field(default_factory=dict)  # table -> primary keys of the rows to delete
    answer_attempts: list[int] = field(default_factory=list)  # attempts whose answers (steps) go
    answers: int = 0  # how many steps that is
    audit_cutoff: datetime | None = None
    audit_events: int = 0
    people: list[str] = field(default_factory=list)  # ids of people who have left, to anonymise
    # ended group sessions past their time: their events, counts, joins and ballots go (GROUP_SESSION_PARTS);
    # ids["group_sessions"] are those of them whose row goes too (no record of theirs is kept)
    group_sessions: list[int] = field(default_factory=list)
    group_rows: dict[str, int] = field(default_factory=dict)  # how many rows of each GROUP_SESSION_PARTS table

    def counts(self) -> dict[str, int]:
        """Rows per table: deleted, or (people) anonymised."""
        counts = {table: len(self.ids.get(table, ())) for table in
                  ("attempts", "completions", "waivers", "attestations", "reflections", "certificates",
                   "sent_messages", "group_sessions", "group_session_records")}
        counts.update({table: self.group_rows.get(table, 0) for table in GROUP_SESSION_PARTS})
        counts.update(steps=self.answers, audit_events=self.audit_events, people=len(self.people))
        return counts

    def by_type(self) -> list[tuple[RecordType, int | None, date | None, int]]:
        """(type, months or None for keep, the cutoff day, rows) for every record type."""
        counts = self.counts()
        result = []
        for record_type in RECORD_TYPES:
            cutoff = self.policy.cutoff(record_type.key, self.today)
            result.append((record_type, self.policy.months.get(record_type.key), cutoff.date() if cutoff else None,
                           sum(counts[table] for table in record_type.tables)))
        return result

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


# What a group session is made of besides its row and its records, by session_id: all of it goes with the session.
GROUP_SESSION_PARTS = {"group_events": GroupSessionEvent, "group_vote_counts": GroupVoteCount,
                       "group_participants": GroupParticipant, "group_ballots": GroupBallot}


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _not_latest(session: Session, model, group: tuple, moment: str, cutoff: datetime,
                before: datetime | None = None) -> list:
    """Ids of the rows older than `cutoff` that are not the latest of their group (person and module, say),
    nor, with `before`, the latest of their group before that moment."""
    at = getattr(model, moment)
    found = None
    for until in (None, before) if before is not None else (None,):
        latest = select(*(getattr(model, c) for c in group), func.max(at).label("at"))
        if until is not None:
            latest = latest.where(at < until)
        latest = latest.group_by(*(getattr(model, c) for c in group)).subquery()
        ids = set(session.scalars(select(model.id)
                                  .join(latest, and_(*(getattr(model, c) == latest.c[c] for c in group)))
                                  .where(at < cutoff, at < latest.c.at)))
        found = ids if found is None else found & ids
    return sorted(found)


def _report_floor(cutoff: datetime, today: date) -> tuple[datetime, datetime]:
    """Completions and waivers the annual report still counts are kept: those of this calendar year and the last
    (completions per year, this year against the last), and the latest before this year began (the status on the
    last day of last year). Returns (the cutoff to use, the start of this year)."""
    return min(cutoff, datetime(today.year - 1, 1, 1)), datetime(today.year, 1, 1)


def _done_at(session: Session) -> dict[tuple[str, str], datetime]:
    """(person, original module) -> the latest completion or waiver: where the round in progress begins."""
    done = {}
    for person_id, module_id, completed, waived in session.execute(
            select(ModuleState.person_id, ModuleState.module_id, ModuleState.last_completed_at,
                   ModuleState.last_waived_at)):
        moments = [m for m in (completed, waived) if m is not None]
        if moments:
            done[(person_id, module_id)] = max(moments)
    return done


def _in_round(course: Course, done_at: dict, person_id: str, module_id: str, kind: str, version: str,
              started_at: datetime, scope: str | None) -> bool:
    """Does this attempt still count for where the person stands: the round in progress of its module (or, for
    a diagnostic, of a module in its scope)?"""
    if kind in ("scenario", "quiz"):
        if module_id not in course.modules or version != course.module_version(module_id):
            return False  # a module since changed or removed: the attempt no longer counts for anything
        since = done_at.get((person_id, course.base_of(module_id)))
        return since is None or started_at > since
    if kind == "diagnostic":
        for base in json.loads(scope or "[]"):
            since = done_at.get((person_id, base))
            if since is None or started_at > since:
                return True
    return False


def _group_record_may_count(course: Course, done_at: dict, module_of: dict[str, str], person_id: str,
                            module_id: str, scenario_id: str, version: str, confirmed_at: datetime) -> bool:
    """May this record of a group session count for the round in progress of its module (course.rules.
    current_round): made on the current version of the module its scenario is in (a translation has its own),
    and confirmed after the latest completion or waiver? Whether the track rules count group sessions at all is
    not asked: that is a setting, and may be set back."""
    module = module_of.get(scenario_id)
    if module is None or version != course.module_version(module):
        return False  # a module since changed, or a scenario removed: the record no longer counts for a round
    since = done_at.get((person_id, module_id))
    return since is None or confirmed_at > since


def _plan_group_sessions(session: Session, course: Course, plan: RetentionPlan, cutoff: datetime,
                         today: date) -> None:
    """Ended sessions started before `cutoff`, and the records from before it that nothing needs any more
    (see the module's docstring): into `plan`."""
    record = GroupSessionRecord
    held_before = _report_floor(cutoff, today)[0].date()  # the annual report counts this year's and last year's
    done_at = _done_at(session)
    module_of = {scenario_id: module_id for module_id, module in course.modules.items()
                 for scenario_id in module.scenarios}
    by = (record.person_id, record.scenario_id)
    latest = select(*by, func.max(record.confirmed_at).label("at")).group_by(*by).subquery()
    latest_ending = (select(*by, func.max(record.confirmed_at).label("at")).where(record.ending.is_not(None))
                     .group_by(*by).subquery())
    culled: list[int] = []
    culled_of: dict[int, int] = {}  # session -> how many of its records go
    for row in session.execute(
            select(record.id, record.session_id, record.person_id, record.module_id, record.scenario_id,
                   record.content_version, record.confirmed_at)
            .join(latest, and_(record.person_id == latest.c.person_id, record.scenario_id == latest.c.scenario_id))
            .outerjoin(latest_ending, and_(record.person_id == latest_ending.c.person_id,
                                           record.scenario_id == latest_ending.c.scenario_id))
            .where(record.held_on < held_before, record.confirmed_at < latest.c.at,
                   or_(record.ending.is_(None), record.confirmed_at < latest_ending.c.at))
            .order_by(record.id)):
        if not _group_record_may_count(course, done_at, module_of, *row[2:]):
            culled.append(row.id)
            culled_of[row.session_id] = culled_of.get(row.session_id, 0) + 1
    past = select(GroupSession.id).where(GroupSession.started_at < cutoff, GroupSession.ended_at.is_not(None))
    plan.group_sessions = list(session.scalars(past.order_by(GroupSession.id)))
    records_of = dict(session.execute(select(record.session_id, func.count()).where(record.session_id.in_(past))
                                      .group_by(record.session_id)).all())
    # a session keeps its row while one of its records is kept (the foreign key, and the unit the figures read)
    plan.ids["group_sessions"] = [session_id for session_id in plan.group_sessions
                                  if records_of.get(session_id, 0) == culled_of.get(session_id, 0)]
    plan.ids["group_session_records"] = culled
    plan.group_rows = {table: sum(session.scalar(select(func.count()).select_from(model)
                                                 .where(model.session_id.in_(chunk)))
                                  for chunk in _chunks(plan.group_sessions))
                       for table, model in GROUP_SESSION_PARTS.items()}


def _plan(session: Session, course: Course, policy: RetentionPolicy, today: date) -> RetentionPlan:
    plan = RetentionPlan(today, policy)
    cutoff = lambda key: policy.cutoff(key, today)  # noqa: E731 - short and local

    if cutoff("genomforanden"):
        done_cutoff, year_start = _report_floor(cutoff("genomforanden"), today)
        plan.ids["completions"] = _not_latest(session, Completion, ("person_id", "module_id"), "completed_at",
                                              done_cutoff, year_start)
        plan.ids["waivers"] = _not_latest(session, Waiver, ("person_id", "module_id"), "waived_at", done_cutoff,
                                          year_start)
    if cutoff("gruppovningar"):
        _plan_group_sessions(session, course, plan, cutoff("gruppovningar"), today)
    if cutoff("bekraftelser"):
        plan.ids["attestations"] = _not_latest(session, Attestation, ("person_id", "track_id"), "attested_at",
                                               cutoff("bekraftelser"))
    for key, model, table, moment in (("reflektioner", Reflection, "reflections", Reflection.updated_at),
                                      ("paminnelser", SentMessage, "sent_messages", SentMessage.sent_at)):
        if cutoff(key):
            plan.ids[table] = list(session.scalars(select(model.id).where(moment < cutoff(key)).order_by(model.id)))
    if cutoff("intyg"):
        plan.ids["certificates"] = list(session.scalars(select(Certificate.code)
                                                        .where(Certificate.issued_at < cutoff("intyg"))
                                                        .order_by(Certificate.code)))

    if cutoff("svar") or cutoff("forsok"):
        done_at = _done_at(session)
        columns = (Attempt.id, Attempt.person_id, Attempt.module_id, Attempt.kind, Attempt.content_version,
                   Attempt.started_at, Attempt.scope)
        culled_attempts: list[int] = []
        if cutoff("forsok"):
            culled_waivers = set(plan.ids.get("waivers", ()))
            kept_diagnostics = {attempt_id for waiver_id, attempt_id in
                                session.execute(select(Waiver.id, Waiver.diagnostic_attempt_id))
                                if waiver_id not in culled_waivers}
            latest = (select(Attempt.person_id, Attempt.item_id, func.max(Attempt.attempt_no).label("no"))
                      .group_by(Attempt.person_id, Attempt.item_id).subquery())
            old = func.coalesce(Attempt.finished_at, Attempt.started_at) < cutoff("forsok")
            for row in session.execute(
                    select(*columns).join(latest, (Attempt.person_id == latest.c.person_id)
                                          & (Attempt.item_id == latest.c.item_id))
                    .where(old, Attempt.attempt_no < latest.c.no).order_by(Attempt.id)):
                if row.id not in kept_diagnostics and not _in_round(course, done_at, *row[1:]):
                    culled_attempts.append(row.id)
            plan.ids["attempts"] = culled_attempts
        answer_attempts = set(culled_attempts)
        if cutoff("svar"):
            for row in session.execute(select(*columns).where(Attempt.finished_at.is_not(None),
                                                              Attempt.finished_at < cutoff("svar"))):
                if not _in_round(course, done_at, *row[1:]):
                    answer_attempts.add(row.id)
        plan.answer_attempts = sorted(answer_attempts)
        plan.answers = sum(session.scalar(select(func.count()).select_from(Step).where(Step.attempt_id.in_(chunk)))
                           for chunk in _chunks(plan.answer_attempts))

    if cutoff("granskningslogg"):
        plan.audit_cutoff = cutoff("granskningslogg")
        plan.audit_events = session.scalar(select(func.count()).select_from(AuditEvent)
                                           .where(AuditEvent.at < plan.audit_cutoff))
    if cutoff("personer_som_slutat"):
        left_before = cutoff("personer_som_slutat").date()
        plan.people = list(session.scalars(
            select(Person.id).where(Person.end_date.is_not(None), Person.end_date < left_before,
                                    Person.id.not_like(f"{ANONYMOUS_PREFIX}%")).order_by(Person.id)))
    return plan


def plan(db: Database, viewer: Viewer, course: Course, policy: RetentionPolicy,
         today: date | None = None) -> RetentionPlan:
    """What a run would cull today (a dry run): admins and the operator only; writes nothing."""
    today = today or date.today()
    with db.read() as session:
        require_admin_in(session, viewer, today)
        return _plan(session, course, policy, today)


# --- the archive --------------------------------------------------------------------------------------------

def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _plain(table: str, row: Mapping) -> dict:
    """A row as JSON-able values; JSON columns decoded."""
    result = {}
    for key, value in row.items():
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif (table, key) in JSON_COLUMNS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        result[key] = value
    return result


def _rows(session: Session, table: str, where) -> Iterator[dict]:
    meta = _table(table)
    ordering = list(meta.primary_key.columns)
    for row in session.execute(select(meta).where(where).order_by(*ordering)).mappings():
        yield _plain(table, row)


def _plan_rows(session: Session, plan: RetentionPlan) -> Iterator[tuple[str, Iterator[dict]]]:
    """(file name, rows) of everything the plan culls, as it is before the culling."""
    keys = {"completions": "id", "waivers": "id", "attestations": "id", "reflections": "id", "sent_messages": "id",
            "certificates": "code", "attempts": "id", "group_session_records": "id", "group_sessions": "id"}
    for table, key in keys.items():
        ids = plan.ids.get(table) or []
        if ids:
            column = _table(table).c[key]
            yield f"{table}.jsonl", (row for chunk in _chunks(ids) for row in _rows(session, table, column.in_(chunk)))
    for table in GROUP_SESSION_PARTS:
        if plan.group_rows.get(table):
            column = _table(table).c.session_id
            yield f"{table}.jsonl", (row for chunk in _chunks(plan.group_sessions)
                                     for row in _rows(session, table, column.in_(chunk)))
    if plan.answer_attempts:
        column = _table("steps").c.attempt_id
        yield "steps.jsonl", (row for chunk in _chunks(plan.answer_attempts)
                              for row in _rows(session, "steps", column.in_(chunk)))
    if plan.audit_events:
        yield "audit_events.jsonl", _rows(session, "audit_events", _table("audit_events").c.at < plan.audit_cutoff)
    if plan.people:
        # what anonymising removes: the person's row, and the rows deleted with it
        for table, column in (("people", "id"), ("identities", "person_id"), ("person_preferences", "person_id"),
                              ("reflections", "person_id"), ("sent_messages", "recipient_id"),
                              ("certificates", "person_id"), ("group_ballots", "person_id"),
                              ("facilitator_rights", "person_id")):
            name = f"anonymiserade_{table}.jsonl"
            yield name, (row for chunk in _chunks(plan.people)
                         for row in _rows(session, table, _table(table).c[column].in_(chunk)))


def write_archive(session: Session, plan: RetentionPlan, target: IO[bytes], made_at: datetime) -> None:
    """A ZIP of everything the plan culls: one JSON-lines file per table, and manifest.json saying when, under
    which decision, with which cutoffs and how many rows. Streams, so a large first run fits in memory."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in _plan_rows(session, plan):
            info = zipfile.ZipInfo(name, date_time=made_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for row in rows:
                    member.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        manifest = {"gallring": made_at.isoformat(timespec="seconds"), "dag": plan.today.isoformat(),
                    "beslut": plan.policy.decision, "installningar": plan.policy.source,
                    "typer": [{"typ": t.key, "namn": t.title, "manader": months,
                               "gallras_fore": cutoff.isoformat() if cutoff else None, "rader": rows,
                               "vad_som_hander": t.what}
                              for t, months, cutoff, rows in plan.by_type()],
                    "rader_per_tabell": plan.counts(),
                    "obs": "Arkivet innehåller personuppgifter. Förvara det enligt dokumenthanteringsplanen eller "
                           "förstör det; Gränsfall behåller ingen kopia."}
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))


def archive_bytes(db: Database, viewer: Viewer, course: Course, policy: RetentionPolicy,
                  today: date | None = None) -> tuple[RetentionPlan, bytes]:
    """The archive of what a run would cull today, to download (admins): a data export, audited."""
    today = today or date.today()

    def use_case(session: Session) -> tuple[RetentionPlan, bytes]:
        require_admin_in(session, viewer, today)
        found = _plan(session, course, policy, today)
        buffer = io.BytesIO()
        write_archive(session, found, buffer, utcnow())
        audit.record(session, viewer, audit.DATA_EXPORT, None, what="gallringsarkiv", rows=found.counts())
        return found, buffer.getvalue()

    return db.write(use_case)


# --- culling ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetentionResult:
    plan: RetentionPlan
    archive: Path | None  # None when there was nothing to cull
    ended_group_sessions: int = 0  # left open past their meeting: ended, their open vote's ballots deleted


def _write_archive_file(session: Session, found: RetentionPlan, path: Path, made_at: datetime) -> Path:
    """The archive, written in full and flushed to disk before anything is deleted (a partial file never
    carries the final name)."""
    partial = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as target:
            write_archive(session, found, target, made_at)
            target.flush()
            os.fsync(target.fileno())
        os.replace(partial, path)
    except OSError as error:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass  # there was no folder to write it in
        raise ArchiveFailed(path, error.strerror or str(error)) from error
    return path


def _cull(session: Session, found: RetentionPlan) -> None:
    for chunk in _chunks(found.ids.get("completions", [])):
        session.execute(delete(Completion).where(Completion.id.in_(chunk)))
    for chunk in _chunks(found.answer_attempts):
        answers = select(Step.id).where(Step.attempt_id.in_(chunk))
        session.execute(update(Completion).where(Completion.trigger_step_id.in_(answers))
                        .values(trigger_step_id=None).execution_options(synchronize_session=False))
        session.execute(delete(Step).where(Step.attempt_id.in_(chunk)))
    for chunk in _chunks(found.ids.get("waivers", [])):
        session.execute(delete(Waiver).where(Waiver.id.in_(chunk)))
    for chunk in _chunks(found.ids.get("attempts", [])):
        session.execute(delete(Attempt).where(Attempt.id.in_(chunk)))
    for model, key, table in ((Attestation, Attestation.id, "attestations"), (Reflection, Reflection.id, "reflections"),
                              (SentMessage, SentMessage.id, "sent_messages"),
                              (Certificate, Certificate.code, "certificates")):
        for chunk in _chunks(found.ids.get(table, [])):
            session.execute(delete(model).where(key.in_(chunk)))
    # group sessions: the records, then what the sessions are made of, then the rows no kept record names
    for chunk in _chunks(found.ids.get("group_session_records", [])):
        session.execute(delete(GroupSessionRecord).where(GroupSessionRecord.id.in_(chunk)))
    for chunk in _chunks(found.group_sessions):
        for model in GROUP_SESSION_PARTS.values():
            session.execute(delete(model).where(model.session_id.in_(chunk)))
    for chunk in _chunks(found.ids.get("group_sessions", [])):
        session.execute(delete(GroupSession).where(GroupSession.id.in_(chunk)))
    if found.audit_cutoff is not None:
        audit.cull_before(session, found.audit_cutoff)
    for person_id in found.people:
        _anonymise(session, person_id)


def _anonymise(session: Session, person_id: str) -> str:
    """Replace someone who has left by a pseudonym without name, e-mail or title; their records move with them
    (so every count stays), what identifies them is deleted. Returns the pseudonym."""
    person = session.execute(select(Person.unit_id, Person.start_date, Person.end_date)
                             .where(Person.id == person_id)).one()
    pseudonym = ANONYMOUS_PREFIX + secrets.token_hex(8)
    session.execute(Person.__table__.insert().values(id=pseudonym, name=ANONYMOUS_NAME, email=None, title=None,
                                                     unit_id=person.unit_id, start_date=person.start_date,
                                                     end_date=person.end_date))
    for table, actions in ANONYMISE.items():
        meta = _table(table)
        for column in PERSON_COLUMNS[table]:
            action = actions.get(column) if isinstance(actions, dict) else actions  # one for the table, or per column
            match = meta.c[column] == person_id
            if action == "delete":
                session.execute(meta.delete().where(match))
            elif action == "move":
                values = {column: pseudonym}
                if table == "certificates":
                    values["person_name"] = ANONYMOUS_NAME
                session.execute(meta.update().where(match).values(values))
    session.execute(delete(Person).where(Person.id == person_id))
    return pseudonym


def run(db: Database, viewer: Viewer, course: Course, policy: RetentionPolicy, archive_dir: Path,
        today: date | None = None) -> RetentionResult:
    """Cull what is past its time: the archive first, then the culling, in one transaction, audited (RETENTION,
    with the counts). If the archive cannot be written nothing is culled, and that is audited too."""
    today = today or date.today()
    made_at = utcnow()
    path = Path(archive_dir) / f"gallring-{made_at:%Y%m%d-%H%M%S}.zip"

    def use_case(session: Session) -> RetentionResult:
        require_admin_in(session, viewer, today)
        found = _plan(session, course, policy, today)
        written = None
        if not found.empty:
            written = _write_archive_file(session, found, path, made_at)
            _cull(session, found)
        # a group session nobody ended would keep its open vote's ballots (who voted at that step) for ever
        ended = group_sessions.end_abandoned_in(session, course, made_at)
        audit.record(session, viewer, audit.RETENTION, None, counts=found.counts(), beslut=policy.decision,
                     archive=written.name if written else None, gruppovningar_avslutade=ended)
        return RetentionResult(found, written, ended)

    try:
        return db.write(use_case)
    except ArchiveFailed as error:
        audit.log(db, viewer, audit.RETENTION, None, avbruten=str(error), beslut=policy.decision)
        raise


# --- register extract ---------------------------------------------------------------------------------------

def _person_filter(table: str, person_id: str, email: str | None):
    meta = _table(table)
    if table == "steps":
        return meta.c.attempt_id.in_(select(Attempt.id).where(Attempt.person_id == person_id))
    if table in LED_SESSION_TABLES:  # like steps through attempts: the events and counts of the sessions led
        return meta.c.session_id.in_(select(GroupSession.id).where(GroupSession.facilitator_id == person_id))
    if table == "group_session_records":
        # the person's own records only: another participant's record of a session they led is that person's
        # data (GDPR art. 15(4)); that they led it is in group_sessions. Erasure and anonymisation still find
        # both columns (PERSON_COLUMNS).
        return meta.c.person_id == person_id
    matches = [meta.c[column] == person_id for column in PERSON_COLUMNS[table]]
    if table == "audit_events" and email:  # a refused sign-in names the address, not a person
        matches.append(func.lower(meta.c.detail).contains(email.lower(), autoescape=True))
    return or_(*matches)


def _extract(session: Session, person_id: str, actor: Viewer) -> dict:
    person = session.get(Person, person_id)
    if person is None:
        _raise_missing(session, person_id)
    tables = {table: list(_rows(session, table, _person_filter(table, person_id, person.email)))
              for table in PERSON_COLUMNS}
    unit = session.execute(select(Unit.id, Unit.name).where(Unit.id == person.unit_id)).first()
    return {"registerutdrag": {
                "person_id": person_id, "namn": person.name, "enhet": unit.name if unit else person.unit_id,
                "skapat": utcnow().isoformat(timespec="seconds"),
                "skapat_av": "systemet" if actor is SYSTEM else actor,
                "om_utdraget": "Allt som Gränsfall har sparat om personen, tabell för tabell, som det ligger i "
                               "databasen (tider i UTC). Antalsräkningar per enhet och ämne (utan namn) ingår inte: "
                               "de säger inget om en enskild person."},
            "tabeller": tables}


def _raise_missing(session: Session, person_id: str):
    erased = session.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.action == audit.ERASURE,
                                                                  AuditEvent.subject_id == person_id))
    if erased is not None:
        raise AlreadyErased(person_id, erased)
    raise UnknownPerson(person_id)


def register_extract(db: Database, viewer: Viewer, person_id: str, file_format: str = "json",
                     today: date | None = None) -> dict:
    """Everything stored about `person_id` (admins and the operator), recorded as REGISTER_EXTRACT."""
    today = today or date.today()

    def use_case(session: Session) -> dict:
        require_admin_in(session, viewer, today)
        data = _extract(session, person_id, viewer)
        audit.record(session, viewer, audit.REGISTER_EXTRACT, person_id, format=file_format)
        return data

    return db.write(use_case)


def own_extract(db: Database, viewer_id: str, today: date | None = None) -> dict:
    """The signed-in person's own register extract (their right of access), recorded as REGISTER_EXTRACT."""
    today = today or date.today()

    def use_case(session: Session) -> dict:
        if not isinstance(viewer_id, str) or not is_employed(session, viewer_id, today):
            raise NotPermitted(viewer_id)
        data = _extract(session, viewer_id, viewer_id)
        audit.record(session, viewer_id, audit.REGISTER_EXTRACT, viewer_id, format="json", own=True)
        return data

    return db.write(use_case)


def extract_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def own_counts(db: Database, viewer_id: str, today: date | None = None) -> dict[str, int]:
    """How many rows of each table are about the signed-in person (for the page that tells them)."""
    today = today or date.today()
    with db.read() as session:
        if not isinstance(viewer_id, str) or not is_employed(session, viewer_id, today):
            raise NotPermitted(viewer_id)
        email = session.scalar(select(Person.email).where(Person.id == viewer_id))
        return {table: session.scalar(select(func.count()).select_from(_table(table))
                                      .where(_person_filter(table, viewer_id, email)))
                for table in PERSON_COLUMNS}


@dataclass(frozen=True)
class PersonSummary:
    id: str
    name: str
    unit_name: str
    employed: bool


def find_person(db: Database, viewer: Viewer, person_id: str, today: date | None = None) -> PersonSummary | None:
    """Who an id is, for an admin about to take an extract or erase someone (None: no such person)."""
    today = today or date.today()
    with db.read() as session:
        require_admin_in(session, viewer, today)
        row = session.execute(select(Person.id, Person.name, Unit.name.label("unit"), Person.start_date,
                                     Person.end_date).join(Unit, Unit.id == Person.unit_id)
                              .where(Person.id == person_id)).first()
    if row is None:
        return None
    return PersonSummary(row.id, row.name, row.unit, employed_on(row.start_date, row.end_date, today))


# --- erasure ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ErasureResult:
    person_id: str
    counts: dict[str, int]  # rows deleted per table (units: manager links cleared)
    # rows that stay without the person: the sessions and records they led, moved to a stand-in (below), and the
    # rights to lead group sessions they gave as an admin (facilitator_rights), who gave them cleared
    moved: dict[str, int] = field(default_factory=dict)


# Group sessions someone led are not only theirs: the others' records of them (their training, and what it counts
# for), and the session's anonymous counts. So erasing a facilitator deletes none of that; like a unit's manager
# link (cleared, the unit stays), the facilitator's name goes and the rows stay. facilitator_id may not be empty,
# so the sessions and the others' records move to a stand-in: a pseudonym like that of someone who has left
# (random, never derived from the id, named "Anonymiserad", never anonymised again), who was never employed (its
# start comes after its end, so no list, count or sign-in ever finds it) and whose id the audit log does not get.
# The person's own rows (who joined, ballots, their own records) are deleted like everything else of theirs.
ERASURE_MOVES = {"group_sessions": ("facilitator_id",), "group_session_records": ("facilitator_id",)}
ERASURE_KEEPS = {"group_sessions", "group_events", "group_vote_counts"}  # the sessions led stay, as counts
NEVER_EMPLOYED = (date(1900, 1, 2), date(1900, 1, 1))  # the stand-in's start and end: employed on no day


def _facilitator_stand_in(session: Session, person_id: str) -> str | None:
    """A nameless stand-in for an erased facilitator, or None when no session or record names them as such."""
    led = select(GroupSession.unit_id).where(GroupSession.facilitator_id == person_id) \
        .order_by(GroupSession.started_at, GroupSession.id).limit(1)
    unit_id = session.scalar(led) or session.scalar(
        select(GroupSession.unit_id).join(GroupSessionRecord, GroupSessionRecord.session_id == GroupSession.id)
        .where(GroupSessionRecord.facilitator_id == person_id).limit(1))
    if unit_id is None:
        return None
    stand_in = ANONYMOUS_PREFIX + secrets.token_hex(8)
    start, end = NEVER_EMPLOYED
    session.execute(Person.__table__.insert().values(id=stand_in, name=ANONYMOUS_NAME, email=None, title=None,
                                                     unit_id=unit_id, start_date=start, end_date=end))
    return stand_in


def erase(db: Database, viewer: Viewer, person_id: str, today: date | None = None) -> ErasureResult:
    """Delete everything stored about `person_id`, in one transaction, audited (ERASURE, with the id and the
    counts, never the name). The audit log keeps its events (ids only); the rollups keep their counts, so the
    figures for units and topics stay; the group sessions the person led stay with a nameless stand-in as their
    facilitator (ERASURE_MOVES). Admins and the operator only; nobody erases themselves."""
    today = today or date.today()

    def use_case(session: Session) -> ErasureResult:
        require_admin_in(session, viewer, today)
        if viewer == person_id:
            raise CannotEraseSelf()
        if session.scalar(select(Person.id).where(Person.id == person_id).with_for_update()) is None:
            _raise_missing(session, person_id)
        counts: dict[str, int] = {}
        # children before parents: completions before steps, steps and waivers before attempts, people last
        for meta in reversed(Base.metadata.sorted_tables):
            table = meta.name
            if table not in PERSON_COLUMNS or table in ("people", "audit_events") or table in ERASURE_KEEPS:
                continue
            if table == "group_session_records":
                where = meta.c.person_id == person_id  # their own records; those of sessions they led move below
            elif table == "facilitator_rights":
                where = meta.c.person_id == person_id  # their own rights; those they gave stay, cleared below
            else:
                where = _person_filter(table, person_id, None)
            if table == "units":
                counts[table] = session.execute(meta.update().where(where).values(manager_id=None)).rowcount or 0
            else:
                counts[table] = session.execute(meta.delete().where(where)).rowcount or 0
        moved: dict[str, int] = {}
        # a right an erased admin gave is the holder's: it stays, without who gave it (the audit log keeps the id)
        rights = _table("facilitator_rights")
        cleared = session.execute(rights.update().where(rights.c.granted_by == person_id)
                                  .values(granted_by=None)).rowcount or 0
        if cleared:
            moved["facilitator_rights"] = cleared
        stand_in = _facilitator_stand_in(session, person_id)
        if stand_in is not None:
            for table, columns in ERASURE_MOVES.items():
                meta = _table(table)
                for column in columns:
                    moved[table] = moved.get(table, 0) + (session.execute(
                        meta.update().where(meta.c[column] == person_id).values({column: stand_in})).rowcount or 0)
        counts["people"] = session.execute(delete(Person).where(Person.id == person_id)).rowcount or 0
        audit.record(session, viewer, audit.ERASURE, person_id, counts=counts, **({"moved": moved} if moved else {}))
        return ErasureResult(person_id, counts, moved)

    return db.write(use_case)


# --- python -m course retention | registerutdrag | radera ---------------------------------------------------

def add_command(commands) -> None:
    retention = commands.add_parser("retention", help="gallra det som har passerat sin tid enligt "
                                                      "config/retention.yaml (arkiv först)")
    retention.add_argument("--dry-run", action="store_true", help="visa vad som skulle gallras; ändra inget")
    retention.add_argument("--archive", type=Path, default=Path("gallringsarkiv"),
                           help="mappen arkivet skrivs till innan något gallras (standard: ./gallringsarkiv)")
    retention.add_argument("--config", type=Path, help="annars config/retention.yaml")
    _store_arguments(retention)
    retention.set_defaults(run=retention_command)

    extract = commands.add_parser("registerutdrag", help="allt som finns sparat om en person, som JSON eller PDF")
    extract.add_argument("person_id", metavar="PERSON_ID")
    extract.add_argument("--format", choices=["json", "pdf"], default="json")
    extract.add_argument("--out", type=Path, help="filen att skriva (standard: registerutdrag-PERSON_ID.json/.pdf)")
    _store_arguments(extract)
    extract.set_defaults(run=extract_command)

    erasure = commands.add_parser("radera", help="radera allt som finns sparat om en person (kan inte ångras)")
    erasure.add_argument("person_id", metavar="PERSON_ID")
    erasure.add_argument("--confirm", required=True, metavar="PERSON_ID",
                         help="samma id en gång till, som bekräftelse")
    _store_arguments(erasure)
    erasure.set_defaults(run=erase_command)


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    # course.cli adds --demo to the commands that write (retention, radera), names the database they write to and
    # refuses the demo's unless asked
    parser.add_argument("--database-url", help="annars COURSE_DATABASE_URL eller data/gransfall.sqlite")


def _open_store(args) -> Database:
    from progress.db import database_url, make_engine, migrate, shown_url

    url = args.database_url or database_url()
    if args.command == "registerutdrag":  # the writing commands have had theirs named by course.cli
        print(f"Databas: {shown_url(url)}", file=sys.stderr)
    engine = make_engine(url)
    migrate(engine)
    return Database(engine)


class _Refused(RuntimeError):
    pass


def _load_course():
    from course.content.loader import load_course

    result = load_course(default_content_root())
    if not result.ok:
        raise _Refused("Innehållet har fel; kör 'python -m course lint' först.")
    return result.course


def _safe_name(person_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", person_id)[:80] or "person"


def _cli(action) -> int:
    from progress.db import StoreUnavailable

    try:
        return action()
    except (_Refused, RetentionConfigError, UnknownPerson, AlreadyErased, ArchiveFailed, StoreUnavailable) as error:
        print(error, file=sys.stderr)
        return 1


def retention_command(args) -> int:
    def action() -> int:
        policy = load_policy(args.config)
        course = _load_course()
        db = _open_store(args)
        print(f"Beslut: {policy.decision or '(inget: allt sparas)'} ({policy.source})", file=sys.stderr)
        if args.dry_run:
            found = plan(db, SYSTEM, course, policy)
        else:
            found = run(db, SYSTEM, course, policy, args.archive).plan
        for record_type, months, cutoff, rows in found.by_type():
            kept = "sparas" if months is None else f"{months} mån, före {cutoff.isoformat()}: {rows} rader"
            print(f"{record_type.title}: {kept}")
        if args.dry_run:
            print("Provkörning: inget har ändrats.", file=sys.stderr)
        elif found.empty:
            print("Inget har passerat sin tid; inget gallrades.", file=sys.stderr)
        else:
            print(f"Klart: arkivet är skrivet först ({args.archive}), sedan gallrades {sum(found.counts().values())} "
                  "rader.", file=sys.stderr)
        return 0

    return _cli(action)


def extract_command(args) -> int:
    def action() -> int:
        db = _open_store(args)
        data = register_extract(db, SYSTEM, args.person_id, args.format)
        out = args.out or Path(f"registerutdrag-{_safe_name(args.person_id)}.{args.format}")
        if args.format == "pdf":
            from course.documents.register_extract import register_extract_pdf

            course = _load_course()
            out.write_bytes(register_extract_pdf(data, course.organisation, course))
        else:
            out.write_bytes(extract_json(data))
        print(out)
        return 0

    return _cli(action)


def erase_command(args) -> int:
    def action() -> int:
        if args.confirm != args.person_id:
            raise _Refused("Bekräftelsen stämmer inte: ange samma id efter --confirm. Inget har raderats.")
        db = _open_store(args)
        result = erase(db, SYSTEM, args.person_id)
        rows = sum(count for table, count in result.counts.items() if table != "units")
        print(f"Klart: {rows} rader om {result.person_id} är raderade. Statistiken per enhet och ämne finns kvar.",
              file=sys.stderr)
        return 0

    return _cli(action)
