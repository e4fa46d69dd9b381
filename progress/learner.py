"""Min utbildning from one service: everything the learner's pages draw, and what a learner may open or start.

Like progress/talk.py, each function takes the viewer, checks the right (the person themselves, employed today;
or the operator), reads what it needs in a fixed number of queries that does not grow with the course (the
person's completions, waivers, attempts, records of group sessions and confirmations, each in one set-based
query) and derives the rest with the pure rules of course/rules.py. The pages draw the answer and decide nothing.

An attempt and its steps are read in one statement, so a page never sees an attempt with steps from another
moment (a step recorded between two reads): a quiz whose questions are all answered is shown as finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from datetime import date, datetime
from types import MappingProxyType
from typing import Callable, Collection, Mapping

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from course import play, rules
from course.content.loader import Course
from course.content.schema import Guidelines, Module, Node, Track
from course.rules import ModuleProgress, Part
from progress.access import SYSTEM, NotPermitted, Viewer, employed_on
from progress.attempts import AttemptRecord, Attempts, StepRecord, draw_of
from progress.attestations import AttestationRecord
from progress.db import Database
from progress.models import (Attempt, Attestation, Completion, GroupSessionRecord, Person, PersonRole, Reflection,
                             Step, Waiver)
from progress.talk import ReflectionRecord


# --- what the pages draw --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModuleCard:
    module: Module  # in the learner's language where a translation exists
    module_progress: ModuleProgress
    parts_total: int
    parts_done: int
    done: bool  # klar, or klar via diagnos
    done_for_now: bool  # done, and the next round has not opened
    renewal_open: bool  # done, and the next round has opened (it can be taken before the due date)
    languages: tuple[str, ...]  # the languages it can be taken in


@dataclass(frozen=True)
class AttestationState:
    guidelines: Guidelines
    record: AttestationRecord | None  # the latest confirmation for the track
    current: bool  # of the guidelines in force
    may_attest: bool  # the track is done and the guidelines in force are not confirmed yet


@dataclass(frozen=True)
class TrackOverview:
    track: Track
    modules: tuple[str, ...]  # the modules drawn under this track (a module in an earlier track is drawn there)
    also: tuple[str, ...]  # the track's modules drawn under an earlier track
    done: bool
    refresher: rules.Refresher | None
    booster: rules.Booster | None
    certificate: bool  # on offer: the track is done
    attestation: AttestationState | None  # None when the track ends without one


@dataclass(frozen=True)
class LearnerOverview:
    person_id: str
    tracks: tuple[TrackOverview, ...]
    modules: Mapping[str, ModuleCard]  # by the original module's id


@dataclass(frozen=True)
class ScenarioPlay:
    scenario_id: str
    attempt: AttemptRecord | None  # the attempt on this content version; None: to be started
    steps: tuple[StepRecord, ...] = ()
    state: play.ScenarioState | None = None
    node: Node | None = None  # where the learner stands
    choice_order: tuple[int, ...] = ()  # the node's choices in the order shown (this attempt's, not the file's)

    @property
    def finished(self) -> bool:
        return self.node is not None and self.node.is_ending


@dataclass(frozen=True)
class QuizPlay:
    attempt: AttemptRecord
    drawn: tuple[play.DrawnQuestion, ...]
    steps: tuple[StepRecord, ...]
    finished: bool
    asks_confidence: bool
    correct: int
    score_percent: float | None  # once finished
    passed: bool | None  # a module's quiz, once finished; None for the refresher's and the booster's
    cbm: rules.CbmTotal
    points: Fraction = Fraction(0)  # the answers' credit added up (an ordering question can give part of one)

    @property
    def step_no(self) -> int:
        """The step the next answer is recorded as."""
        return len(self.steps)

    @property
    def current(self) -> play.DrawnQuestion | None:
        """The question to answer now; None once finished (never past the last question)."""
        return None if self.finished else self.drawn[self.step_no]


@dataclass(frozen=True)
class ModulePage:
    module: Module  # in the learner's language
    module_progress: ModuleProgress
    parts: tuple[Part, ...]
    parts_done: tuple[bool, ...]
    current: int | None  # the part shown; None: the completion page
    next_part: int | None  # the part after the current one
    scenario: ScenarioPlay | None = None  # the current part, when a scenario
    quiz: QuizPlay | None = None  # the current part, when the quiz and started on this version
    review: QuizPlay | None = None  # the completion page: the last quiz, to go through again
    reflection: ReflectionRecord | None = None  # the completion page: the learner's own words
    # per part: the day a group session at the workplace meeting played that scenario through in this round
    # ("gjord i grupp den ..."); None for the quiz and for a scenario not played in a group session
    group_done_on: tuple[date | None, ...] = ()

    @property
    def completion_page(self) -> bool:
        return self.current is None


@dataclass(frozen=True)
class TopicQuizPage:
    kind: str  # diagnostic | booster
    track: Track
    quiz: QuizPlay | None  # None: none started
    waived: tuple[str, ...] = ()  # a finished diagnostic: the modules it passed
    remaining: tuple[str, ...] = ()  # and those still to take


# --- reading ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _AttemptRow:
    """An attempt as the rules read it, without its stored draw."""

    id: int
    module_id: str | None  # None for a track's topic quiz
    track_id: str | None  # the track of a topic quiz
    kind: str
    item_id: str
    attempt_no: int
    content_version: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    score_percent: float | None


_ATTEMPT_COLUMNS = (Attempt.id, Attempt.module_id, Attempt.track_id, Attempt.kind, Attempt.item_id,
                    Attempt.attempt_no, Attempt.content_version, Attempt.started_at, Attempt.finished_at,
                    Attempt.outcome, Attempt.score_percent)


@dataclass(frozen=True)
class _GroupRow:
    """A record of a confirmed group session as the rules read it (rules.GroupRecordFacts)."""

    module_id: str  # the original module
    scenario_id: str
    content_version: str
    held_on: date
    ending: str | None
    confirmed_at: datetime


_GROUP_COLUMNS = (GroupSessionRecord.module_id, GroupSessionRecord.scenario_id, GroupSessionRecord.content_version,
                  GroupSessionRecord.held_on, GroupSessionRecord.ending, GroupSessionRecord.confirmed_at)


@dataclass(frozen=True)
class _Records:
    person_id: str
    start_date: date
    roles: frozenset[str]
    completions: Mapping[str, tuple[datetime, float | None]]  # original module id -> latest (at, score)
    waivers: Mapping[str, datetime]  # original module id -> latest waiver
    attempts: tuple[_AttemptRow, ...]
    latest: Mapping[str, _AttemptRow]  # item id -> the latest attempt at it
    group_records: tuple[_GroupRow, ...] = ()  # the person's records of confirmed group sessions

    def done(self, module_id: str) -> rules.LastDone:
        at, score = self.completions.get(module_id, (None, None))
        return rules.last_done(at, score, self.waivers.get(module_id))


def _read(session: Session, viewer_id: Viewer, person_id: str, today: date) -> _Records:
    """The person's records, six queries whatever their history. Raises NotPermitted unless the viewer is the
    person (or the operator) and the person is employed on `today`."""
    if viewer_id is not SYSTEM and (not isinstance(viewer_id, str) or viewer_id != person_id):
        raise NotPermitted(person_id)
    # Core, not the ORM: these are column reads, and the ORM's layer over them cost as much as the queries
    connection = session.connection()
    person = connection.execute(select(Person.start_date, Person.end_date).where(Person.id == person_id)).first()
    if person is None or not employed_on(person.start_date, person.end_date, today):
        raise NotPermitted(person_id)
    roles = frozenset(connection.execute(select(PersonRole.role).where(PersonRole.person_id == person_id)).scalars())
    latest_completion = (select(Completion.module_id, func.max(Completion.completed_at).label("at"))
                         .where(Completion.person_id == person_id).group_by(Completion.module_id).subquery())
    completions = {module_id: (at, score) for module_id, at, score in connection.execute(
        select(Completion.module_id, Completion.completed_at, Completion.score_percent)
        .join(latest_completion, (Completion.module_id == latest_completion.c.module_id)
              & (Completion.completed_at == latest_completion.c.at))
        .where(Completion.person_id == person_id))}
    waivers = dict(connection.execute(select(Waiver.module_id, func.max(Waiver.waived_at))
                                   .where(Waiver.person_id == person_id).group_by(Waiver.module_id)).all())
    attempts = tuple(_AttemptRow(*row) for row in connection.execute(
        select(*_ATTEMPT_COLUMNS).where(Attempt.person_id == person_id).order_by(Attempt.attempt_no)))
    latest = {attempt.item_id: attempt for attempt in attempts}  # ordered by attempt_no: the last one wins
    group_records = tuple(_GroupRow(*row) for row in connection.execute(
        select(*_GROUP_COLUMNS).where(GroupSessionRecord.person_id == person_id)))
    return _Records(person_id, person.start_date, roles, MappingProxyType(completions), MappingProxyType(waivers),
                    attempts, MappingProxyType(latest), group_records)


def _attempt_with_steps(session: Session, attempt_id: int) -> tuple[AttemptRecord, tuple[StepRecord, ...]]:
    """An attempt and its steps in one statement: one moment of the database, whatever is recorded meanwhile."""
    rows = session.connection().execute(_ATTEMPT_WITH_STEPS, {"attempt_id": attempt_id}).all()
    steps = tuple(StepRecord(row.s_step_no, row.s_item, json.loads(row.s_response), row.s_correct, row.s_answered_at,
                             row.s_confidence) for row in rows if row.s_step_no is not None)
    return AttemptRecord.of(rows[0]), steps


# Core columns (the attempt's under their own names, as AttemptRecord.of reads them), built once
_STEP_COLUMNS = ("step_no", "item", "response", "correct", "answered_at", "confidence")
_ATTEMPT_WITH_STEPS = (select(*Attempt.__table__.c,
                              *(Step.__table__.c[name].label(f"s_{name}") for name in _STEP_COLUMNS))
                       .outerjoin(Step, Step.attempt_id == Attempt.id)
                       .where(Attempt.id == bindparam("attempt_id")).order_by(Step.step_no))


# --- deriving ---------------------------------------------------------------------------------------------------

def _variant(course: Course, module_id: str, language: str) -> Module:
    return course.variant(course.base_of(module_id), language)


def _module_progress(course: Course, records: _Records, module: Module, today: date,
                     due_rules: rules.DueRules | None = None) -> ModuleProgress:
    """One module's progress, played in this module's language (completions count for the original, and a round
    begun in another language shows as begun; a group session counts as the track rules say)."""
    base = course.base_of(module.id)
    other_languages = {m: course.module_version(m) for m in course.family(base) if m != module.id}
    current = rules.current_round(module, course.module_version(module.id), records.done(base), records.attempts,
                                  other_languages, records.group_records, course.group_sessions)
    return rules.module_progress(current, records.start_date, today,
                                 rules.due_rules_of(course, records.roles, base) if due_rules is None else due_rules)


def _progress(course: Course, records: _Records, language: str, today: date) -> dict[str, ModuleProgress]:
    """Every assigned module's progress, by the original's id, played in the learner's language."""
    return {assignment.module_id: _module_progress(course, records, _variant(course, assignment.module_id, language),
                                                   today, assignment.due_rules)
            for assignment in rules.assignments(course, records.roles)}


def _quiz(course: Course, attempt: AttemptRecord, steps: tuple[StepRecord, ...]) -> QuizPlay:
    drawn = tuple(draw_of(course, attempt))
    topic_quiz = attempt.kind in rules.TOPIC_QUIZZES
    finished = rules.quiz_finished(attempt.finished_at, len(steps), len(drawn))
    answered = [step for step in steps[:len(drawn)] if step.item in course.questions]
    correct = sum(1 for step in answered if step.correct)
    points = play.quiz_points(course.questions, [(step.item, step.response) for step in answered])
    score = attempt.score_percent
    if finished and score is None:
        score = play.score_percent(points, len(drawn))
    passed = None
    if finished and not topic_quiz:
        passed = rules.quiz_passed(attempt.outcome, points, len(drawn), course.modules[attempt.module_id].pass_mark)
    return QuizPlay(attempt, drawn, steps[:len(drawn)], finished,
                    topic_quiz or course.banks[attempt.item_id].confidence, correct, score, passed,
                    rules.cbm_total((course.questions[step.item], step.correct, step.confidence) for step in answered),
                    points)


def _scenario(course: Course, session: Session, records: _Records, scenario_id: str) -> ScenarioPlay:
    scenario = course.scenarios[scenario_id]
    latest = records.latest.get(scenario_id)
    if latest is None or not rules.playable(latest.content_version, course.module_version(latest.module_id)):
        return ScenarioPlay(scenario_id, None)
    attempt, steps = _attempt_with_steps(session, latest.id)
    state = play.replay_scenario(scenario, [step.response for step in steps])
    node = play.current_node(scenario, state)
    order = () if node.is_ending else attempt.choice_order(scenario, state.node_id)
    return ScenarioPlay(scenario_id, attempt, steps, state, node, order)


def _playable_quiz(course: Course, session: Session, records: _Records, item_id: str,
                   finished_only: bool = False) -> QuizPlay | None:
    latest = records.latest.get(item_id)
    if latest is None or not rules.playable(latest.content_version, _version_of(course, latest)):
        return None
    if finished_only and latest.finished_at is None:
        return None
    return _quiz(course, *_attempt_with_steps(session, latest.id))


def _version_of(course: Course, attempt: _AttemptRow) -> str:
    """The content version an attempt is played on: its module's, or its track's for the refresher's diagnostic
    and the booster."""
    if attempt.track_id is not None:
        return course.track_version(attempt.track_id)
    return course.module_version(attempt.module_id)


def _topic_latest(records: _Records, kind: str, track_id: str) -> _AttemptRow | None:
    return records.latest.get(f"{kind}:{track_id}")


def _track(course: Course, records: _Records, track: Track, by_module: Mapping[str, ModuleProgress],
           today: date) -> tuple[rules.Refresher | None, rules.Booster | None]:
    return (rules.refresher(track, by_module, today, course.follow_up.due_soon_days,
                            _topic_latest(records, "diagnostic", track.id)),
            rules.booster(track, by_module, today, course.follow_up, _topic_latest(records, "booster", track.id)))


# --- the pages ----------------------------------------------------------------------------------------------------

def overview(db: Database, course: Course, viewer_id: Viewer, person_id: str, today: date,
             language: str = "sv") -> LearnerOverview:
    """Min utbildning: every track of the person's roles, each module's card (status, due date, progress of this
    round), the refresher, the booster, the certificate and the attestation per track. Seven queries."""
    with db.read() as session:
        records = _read(session, viewer_id, person_id, today)
        attested = {row.track_id: AttestationRecord(row.track_id, row.guideline_version, row.attested_at)
                    for row in session.connection().execute(
                        select(Attestation.track_id, Attestation.guideline_version, Attestation.attested_at)
                        .where(Attestation.person_id == person_id).order_by(Attestation.attested_at))}
    by_module = _progress(course, records, language, today)
    cards = {}
    for module_id, module_progress in by_module.items():
        module = _variant(course, module_id, language)
        done = module_progress.status in rules.DONE_STATUSES
        done_for_now = rules.done_for_now(module_progress, today, course.follow_up.due_soon_days)
        cards[module_id] = ModuleCard(module, module_progress, len(rules.parts(module, module_progress)),
                                      rules.parts_done(module_progress), done, done_for_now, done and not done_for_now,
                                      tuple(course.modules[m].language for m in course.family(module_id)))
    guidelines = course.organisation.riktlinjer if course.organisation else None
    tracks, shown = [], set()
    for track in course.tracks_for(records.roles):
        drawn_here = tuple(m for m in track.modules if m not in shown)
        also = tuple(m for m in track.modules if m in shown)
        shown.update(drawn_here)
        refresher, booster = _track(course, records, track, by_module, today)
        done = rules.track_done(track, by_module)
        attestation = None
        if track.attestation and guidelines is not None:
            record = attested.get(track.id)
            version = record.guideline_version if record else None
            attestation = AttestationState(guidelines, record, rules.attestation_current(version, guidelines.version),
                                           rules.may_attest(track, by_module, version, guidelines.version))
        tracks.append(TrackOverview(track, drawn_here, also, done, refresher, booster, done, attestation))
    return LearnerOverview(person_id, tuple(tracks), MappingProxyType(cards))


def module_page(db: Database, course: Course, viewer_id: Viewer, person_id: str, module_id: str,
                part: str | None, today: date, language: str = "sv") -> ModulePage:
    """One module: this round's parts, the part asked for (`part`, from the URL, when it is one of them; else the
    next one, or the completion page when the module is done for now), and that part's state. Raises
    NotPermitted for a module none of the person's tracks holds. Six to eight queries."""
    with db.read() as session:
        records = _read(session, viewer_id, person_id, today)
        if not rules.may_open_module(course, records.roles, module_id):
            raise NotPermitted(module_id)
        module = _variant(course, module_id, language)
        base = course.base_of(module.id)
        module_progress = _module_progress(course, records, module, today)
        parts = rules.parts(module, module_progress)
        current = rules.part_index(part, parts)
        if current is None and not rules.opens_on_completion(module_progress, today, course.follow_up.due_soon_days):
            current = rules.next_part(parts, module_progress)
        page = dict(module=module, module_progress=module_progress, parts=parts,
                    parts_done=rules.parts_shown_done(parts, module_progress, today, course.follow_up.due_soon_days),
                    current=current,
                    next_part=current + 1 if current is not None and current + 1 < len(parts) else None,
                    group_done_on=tuple(module_progress.group_done_on(item_id) if kind == "scenario" else None
                                        for kind, item_id in parts))
        if current is None:
            reflection = session.execute(
                select(Reflection.module_id, Reflection.text, Reflection.shared, Reflection.updated_at)
                .where(Reflection.person_id == person_id, Reflection.module_id == base)).first()
            return ModulePage(**page, review=_playable_quiz(course, session, records, module.quiz, finished_only=True),
                              reflection=ReflectionRecord(*reflection) if reflection else None)
        kind, item_id = parts[current]
        if kind == "scenario":
            return ModulePage(**page, scenario=_scenario(course, session, records, item_id))
        return ModulePage(**page, quiz=_playable_quiz(course, session, records, item_id))


def topic_quiz_page(db: Database, course: Course, viewer_id: Viewer, person_id: str, kind: str, track_id: str,
                    today: date, language: str = "sv") -> TopicQuizPage:
    """The refresher's diagnostic or the booster of one of the person's tracks: its latest attempt, and for a
    finished diagnostic what it passed. Raises NotPermitted for a track that is not the person's."""
    with db.read() as session:
        records = _read(session, viewer_id, person_id, today)
        if kind not in rules.TOPIC_QUIZZES or not rules.may_open_track(course, records.roles, track_id):
            raise NotPermitted(track_id)
        track = course.tracks[track_id]
        latest = _topic_latest(records, kind, track_id)
        quiz = _quiz(course, *_attempt_with_steps(session, latest.id)) if latest is not None else None
    if quiz is None or not quiz.finished or kind != "diagnostic":
        return TopicQuizPage(kind, track, quiz)
    by_module = _progress(course, records, language, today)
    waived, remaining = rules.diagnostic_outcome([m for m in quiz.attempt.scope if m in by_module], by_module)
    return TopicQuizPage(kind, track, quiz, tuple(waived), tuple(remaining))


# --- what a learner may start ----------------------------------------------------------------------------------

def start_part(attempts: Attempts, viewer_id: Viewer, person_id: str, module_id: str, kind: str, item_id: str,
               today: date) -> AttemptRecord:
    """Start (or resume) a part of a module (or of its translation): only a part of this round of a module of the
    person's tracks. Raises NotPermitted otherwise."""
    course = attempts.course
    records = _records_to_open(attempts, viewer_id, person_id, today, rules.may_open_module, module_id)
    module = course.modules[module_id]
    if (kind, item_id) not in rules.parts(module, _module_progress(course, records, module, today)):
        raise NotPermitted(f"{module_id}/{item_id}")
    return attempts.start_or_resume(person_id, module_id, kind, item_id)


def start_topic_quiz(attempts: Attempts, viewer_id: Viewer, person_id: str, kind: str, track_id: str,
                     today: date, language: str = "sv") -> AttemptRecord:
    """Start (or resume) the refresher's diagnostic, over the modules that are due again, or the booster, over the
    whole track: only while it is on offer (rules.may_start_topic_quiz). Raises NotPermitted otherwise."""
    course = attempts.course
    records = _records_to_open(attempts, viewer_id, person_id, today, rules.may_open_track, track_id)
    track = course.tracks[track_id]
    refresher, booster = _track(course, records, track, _progress(course, records, language, today), today)
    if not rules.may_start_topic_quiz(kind, refresher, booster):
        raise NotPermitted(f"{kind}:{track_id}")
    scope = refresher.scope if kind == "diagnostic" else tuple(track.modules)
    return attempts.start_topic_quiz(person_id, kind, track_id, scope, language)


def _records_to_open(attempts: Attempts, viewer_id: Viewer, person_id: str, today: date,
                     may_open: Callable[[Course, Collection[str], str], bool], item_id: str) -> _Records:
    """The person's records, as the viewer may read them, once `may_open` (rules.may_open_module or
    may_open_track) says the module or track is one of theirs; NotPermitted otherwise."""
    with attempts.db.read() as session:
        records = _read(session, viewer_id, person_id, today)
    if not may_open(attempts.course, records.roles, item_id):
        raise NotPermitted(item_id)
    return records
