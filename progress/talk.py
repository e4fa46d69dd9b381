"""The medarbetarsamtal: what one person has done, per topic, for the talk with their manager.

Data minimisation is enforced here, not in the page: `summary` returns status, history, the group sessions at
workplace meetings the person was confirmed at, and per-topic counts (never which answer was given to which
question) and only to the person themselves or a manager whose units include them (`access.may_see_person`:
both employed today); `item_answers`, the answer to each question, is for the person themselves and admins
only. Reflections are the learner's own words, and a manager sees only the ones the learner chose to share.
Every view by someone else is in the audit log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from course import talking_points
from course.content.loader import Course
from course.rules import DONE_STATUSES, Status
from course.talking_points import TalkingPoint, PersonTopicResult
from progress import audit
from progress.group_sessions import GroupRecord, person_records
# talk.NotPermitted is access.NotPermitted: one refusal for every read of a person's results
from progress.access import NotPermitted, Viewer, may_see_person, require_employed, require_person
from progress.attempts import utcnow
from progress.db import Database
from progress.models import Attempt, Completion, Person, Reflection, Step, Unit, Waiver
from progress.org import Org
from progress.viewer import employed_sql
from progress.unit_tree import managed_units_query
from progress.reports import StatusRow, status_rows

REFLECTION_MAX_CHARS = 2000


@dataclass(frozen=True)
class HistoryEntry:
    module_id: str  # the Swedish original; a translation's completion counts for it
    at: datetime
    score: float | None  # a waiver ("klar via diagnos") has none
    via_diagnosis: bool


@dataclass(frozen=True)
class ReflectionRecord:
    module_id: str
    text: str
    shared: bool
    updated_at: datetime


@dataclass(frozen=True)
class TalkSummary:
    person_id: str
    status: tuple[StatusRow, ...]
    history: tuple[HistoryEntry, ...]  # newest first
    topics: tuple[PersonTopicResult, ...]  # in course order of the modules that hold them
    reflections: tuple[ReflectionRecord, ...]  # shared ones only, unless the viewer is the person
    group_sessions: tuple[GroupRecord, ...] = ()  # group sessions at the workplace meeting, newest first

    @property
    def overdue(self) -> list[tuple[str, date | None]]:
        return [(row.module_id, row.due) for row in self.status if row.status == Status.OVERDUE]

    @property
    def upcoming(self) -> list[tuple[str, date | None]]:
        return [(row.module_id, row.due) for row in self.status
                if row.status not in DONE_STATUSES and row.status != Status.OVERDUE]

    @property
    def misconceptions(self) -> list[PersonTopicResult]:
        return sorted((t for t in self.topics if t.misconceptions), key=lambda t: -t.misconceptions)


@dataclass(frozen=True)
class ItemAnswer:
    """One answer to one quiz question: for the learner's own review and for admins, never for the manager."""

    answered_at: datetime
    module_id: str
    kind: str  # quiz | diagnostic | booster
    question_id: str
    selected: tuple[int, ...]  # the content's option indexes
    correct: bool | None
    confidence: int | None


# --- who may see what -----------------------------------------------------------------------------------------

def may_view(db: Database, viewer_id: Viewer, person_id: str, today: date | None = None) -> bool:
    """The person themselves, or a manager whose units (at every depth) include the person; both employed on
    `today` (see access.may_see_person)."""
    with db.read() as session:
        return may_see_person(session, viewer_id, person_id, today or date.today())


def people_to_talk_with(db: Database, manager_id: Viewer, today: date) -> list[tuple[str, str, str]]:
    """(id, name, unit name) of everyone employed today in the manager's units, the manager excluded. Raises
    NotPermitted for a viewer who is not employed today."""
    with db.read() as session:
        require_employed(session, manager_id, today)
        rows = session.execute(
            select(Person.id, Person.name, Unit.name).join(Unit, Person.unit_id == Unit.id)
            .where(Person.unit_id.in_(managed_units_query(manager_id).scalar_subquery()), Person.id != manager_id,
                   employed_sql(today))
            .order_by(Person.name, Person.id)).all()
    return [tuple(row) for row in rows]


# --- the summary --------------------------------------------------------------------------------------------------

def summary(db: Database, course: Course, person_id: str, today: date, viewer_id: Viewer) -> TalkSummary:
    """Everything the talk page shows about `person_id`, as `viewer_id` may see it. Raises NotPermitted. A view
    by someone else (the manager) is recorded in the audit log before anything is read."""
    if not may_view(db, viewer_id, person_id, today):
        raise NotPermitted(person_id)
    if viewer_id != person_id:
        audit.log(db, viewer_id, audit.VIEW_TALK, person_id)
    return _summary(db, course, person_id, today, own=viewer_id == person_id)


def pdf(db: Database, course: Course, person_id: str, today: date, viewer_id: Viewer, language: str = "sv") -> bytes:
    """The talk page as a one-page PDF (what the manager prints), for whoever may see the page; a download by
    someone else is recorded (VIEW_TALK_PDF). For st.download_button's callable `data`: made on the click."""
    from course.documents.talk import talk_pdf

    if not may_view(db, viewer_id, person_id, today):
        raise NotPermitted(person_id)
    if viewer_id != person_id:
        audit.log(db, viewer_id, audit.VIEW_TALK_PDF, person_id)
    person = Org(db).person(person_id)
    found = _summary(db, course, person_id, today, own=viewer_id == person_id)
    return talk_pdf(course, name=person.name, unit_name=person.unit_name, title=person.title, summary=found,
                    points=suggested_points(course, found, person.title, language), generated=today,
                    language=language)


def _summary(db: Database, course: Course, person_id: str, today: date, own: bool) -> TalkSummary:
    rows = tuple(sorted(status_rows(db, course, today, person_ids=[person_id]),
                        key=lambda row: _module_order(course, row.module_id)))
    with db.read() as session:
        completions = session.execute(select(Completion.module_id, Completion.completed_at, Completion.score_percent)
                                      .where(Completion.person_id == person_id)).all()
        waivers = session.execute(select(Waiver.module_id, Waiver.waived_at)
                                  .where(Waiver.person_id == person_id)).all()
        answers = session.execute(
            select(Step.item, Step.correct, Step.confidence, Step.answered_at, Step.id)
            .join(Attempt, Step.attempt_id == Attempt.id)
            .where(Attempt.person_id == person_id, Attempt.kind != "scenario", Step.correct.is_not(None))
            .order_by(Step.answered_at, Step.id)).all()
        reflections = session.execute(
            select(Reflection.module_id, Reflection.text, Reflection.shared, Reflection.updated_at)
            .where(Reflection.person_id == person_id, *([] if own else [Reflection.shared.is_(True)]))).all()
        group_records = person_records(session, person_id)  # a kind of record of its own, not a completion
    history = [HistoryEntry(_base(course, m), at, score, False) for m, at, score in completions]
    history += [HistoryEntry(_base(course, m), at, None, True) for m, at in waivers]
    history.sort(key=lambda entry: entry.at, reverse=True)
    return TalkSummary(person_id, rows, tuple(history), tuple(_topic_results(course, answers)),
                       tuple(sorted((ReflectionRecord(*row) for row in reflections),
                                    key=lambda r: _module_order(course, r.module_id))),
                       tuple(group_records))


def _topic_results(course: Course, answers) -> list[PersonTopicResult]:
    """Per topic: each question counted once, by its first and by its latest answer; every sure-but-wrong
    answer counted as a misconception. `answers` come oldest first."""
    first: dict[str, bool] = {}
    latest: dict[str, bool] = {}
    sure_wrong: dict[str, int] = {}
    for question_id, correct, confidence, _, _ in answers:
        question = course.questions.get(question_id)
        if question is None:  # a question since removed from the content
            continue
        first.setdefault(question_id, bool(correct))
        latest[question_id] = bool(correct)
        if correct is False and confidence == 3:
            sure_wrong[question.topic] = sure_wrong.get(question.topic, 0) + 1
    by_topic: dict[str, list[str]] = {}
    for question_id in first:
        by_topic.setdefault(course.questions[question_id].topic, []).append(question_id)
    order = _topic_order(course)
    return [PersonTopicResult(topic, len(ids), sum(first[q] for q in ids), sum(latest[q] for q in ids),
                        sure_wrong.get(topic, 0))
            for topic, ids in sorted(by_topic.items(), key=lambda item: order.get(item[0], len(order)))]


def _base(course: Course, module_id: str) -> str:
    return course.base_of(module_id) if module_id in course.modules else module_id


def _module_order(course: Course, module_id: str) -> int:
    ids = list(course.modules)
    return ids.index(module_id) if module_id in course.modules else len(ids)


def _topic_order(course: Course) -> dict[str, int]:
    order: dict[str, int] = {}
    for module in course.modules.values():
        for topic in module.topics:
            order.setdefault(topic, len(order))
    return order


def suggested_points(course: Course, summary_: TalkSummary, job_title: str | None = None,
                     language: str = "sv") -> list[TalkingPoint]:
    """The three talking points, from what the manager may see: shared reflections only, even on the learner's
    own page, so both see the same three (talking_points.for_summary), in `language`."""
    return talking_points.for_summary(course, summary_, job_title, language)


# --- item-level answers: the learner and admins only ---------------------------------------------------------------

def item_answers(db: Database, course: Course, person_id: str, viewer_id: Viewer,
                 today: date | None = None) -> list[ItemAnswer]:
    """Every quiz answer of `person_id`, newest first. Only for the person themselves or an admin (both
    employed), never the manager; an admin's read is recorded (VIEW_ANSWERS)."""
    with db.read() as session:
        require_person(session, viewer_id, person_id, today or date.today(), manager=False, admin=True)
    if viewer_id != person_id:
        audit.log(db, viewer_id, audit.VIEW_ANSWERS, person_id)
    with db.read() as session:
        rows = session.execute(
            select(Step.answered_at, Attempt.module_id, Attempt.kind, Step.item, Step.response, Step.correct,
                   Step.confidence)
            .join(Attempt, Step.attempt_id == Attempt.id)
            .where(Attempt.person_id == person_id, Attempt.kind != "scenario", Step.correct.is_not(None))
            .order_by(Step.answered_at.desc(), Step.id.desc())).all()
    result = []
    for at, module_id, kind, question_id, response, correct, confidence in rows:
        selected = json.loads(response)
        selected = tuple(selected) if isinstance(selected, list) else (selected,)
        module = course.module_of_question.get(question_id, _base(course, module_id))
        result.append(ItemAnswer(at, module, kind, question_id, selected, correct, confidence))
    return result


# --- reflections ---------------------------------------------------------------------------------------------------

def reflection(db: Database, person_id: str, module_id: str) -> ReflectionRecord | None:
    with db.read() as session:
        row = session.execute(select(Reflection.module_id, Reflection.text, Reflection.shared, Reflection.updated_at)
                              .where(Reflection.person_id == person_id, Reflection.module_id == module_id)).first()
    return ReflectionRecord(*row) if row else None


def save_reflection(db: Database, person_id: str, module_id: str, text: str, shared: bool,
                    now: datetime | None = None) -> ReflectionRecord | None:
    """Insert or update the person's reflection on a module (one per module). An empty text removes it: there is
    nothing left to share. Returns what is stored now."""
    text = text.strip()[:REFLECTION_MAX_CHARS]
    moment = now or utcnow()

    def use_case(session) -> ReflectionRecord | None:
        row = session.scalar(select(Reflection).where(Reflection.person_id == person_id,
                                                      Reflection.module_id == module_id))
        if not text:
            if row is not None:
                session.delete(row)
            return None
        if row is None:
            row = Reflection(person_id=person_id, module_id=module_id, text=text, shared=shared, updated_at=moment)
            session.add(row)
        else:
            row.text, row.shared, row.updated_at = text, shared, moment
        session.flush()
        return ReflectionRecord(row.module_id, row.text, row.shared, row.updated_at)

    try:
        return db.write(use_case)
    except IntegrityError:  # the same person saved the same module in another tab at the same moment: update it
        return db.write(use_case)
