"""Use cases of a learner: start or resume an attempt, record an answer (idempotent), complete a module.

Each public method is one transaction. An answer names the step it answers (`step_no`, from the page the
learner saw): the same answer to the same step again is a duplicate and changes nothing (double click,
replay, retry after an unclear commit); a different answer to an already answered step, or to a step that
is not the next one, is stale and rejected (an old tab, a click that raced another).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Callable, Literal, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course import play, rules
from course.content.loader import Course
from progress.db import Database
from progress.models import Attempt, Completion, Person, Step

Kind = Literal["scenario", "quiz"]
PASSED, FAILED = "godkand", "underkand"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StaleAnswer(ValueError):
    """The answer does not belong to the step the attempt is at. Nothing was written."""

    def __init__(self, detail: str):
        super().__init__("Frågan har redan besvarats eller sidan var inaktuell. Sidan visar nu var du är.")
        self.detail = detail


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    person_id: str
    module_id: str
    kind: str
    item_id: str
    attempt_no: int
    content_version: str
    seed: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    score_percent: float | None

    @classmethod
    def of(cls, row: Attempt) -> "AttemptRecord":
        return cls(row.id, row.person_id, row.module_id, row.kind, row.item_id, row.attempt_no, row.content_version,
                   row.seed, row.started_at, row.finished_at, row.outcome, row.score_percent)


@dataclass(frozen=True)
class StepRecord:
    step_no: int
    item: str
    response: object
    correct: bool | None
    answered_at: datetime
    confidence: int | None = None


@dataclass(frozen=True)
class AnswerResult:
    status: Literal["recorded", "duplicate"]
    attempt: AttemptRecord
    module_completed: bool = False


@dataclass(frozen=True)
class ModuleProgress:
    module_id: str
    last_completed_at: datetime | None
    last_score: float | None
    finished_scenarios: frozenset[str]  # played through in the current round, on the current content version
    quiz_passed: bool  # in the current round
    best_quiz_score: float | None  # in the current round
    started: bool  # any attempt in the current round
    due: object  # date, or None when a completed module never falls due again
    status: rules.Status


class Attempts:
    def __init__(self, db: Database, course: Course, clock: Callable[[], datetime] = utcnow):
        self.db, self.course, self.clock = db, course, clock

    # --- attempts ------------------------------------------------------------------------------------------

    def start_or_resume(self, person_id: str, module_id: str, kind: Kind, item_id: str) -> AttemptRecord:
        """The open attempt on the current content version, or a new one (a fresh draw for a quiz).
        Two concurrent starts cannot both create one: (person, item, attempt_no) is unique."""
        version = self.course.module_version(module_id)

        def use_case(session: Session) -> AttemptRecord:
            # Serialise starts per person: under READ COMMITTED each statement sees new commits, so a start
            # that found no open attempt could otherwise still see another start's attempt_no and add a second.
            session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
            open_attempt = session.scalars(
                select(Attempt).where(Attempt.person_id == person_id, Attempt.item_id == item_id,
                                      Attempt.finished_at.is_(None), Attempt.content_version == version)
                .order_by(Attempt.attempt_no.desc()).limit(1)
            ).first()
            if open_attempt:
                return AttemptRecord.of(open_attempt)
            last_no = session.scalar(select(func.max(Attempt.attempt_no)).where(
                Attempt.person_id == person_id, Attempt.item_id == item_id)) or 0
            attempt = Attempt(person_id=person_id, module_id=module_id, kind=kind, item_id=item_id,
                              attempt_no=last_no + 1, content_version=version, seed=secrets.randbelow(2**31),
                              started_at=self.clock())
            session.add(attempt)
            session.flush()
            return AttemptRecord.of(attempt)

        return self._write_once_more_on_conflict(use_case)

    def latest_attempt(self, person_id: str, item_id: str) -> AttemptRecord | None:
        with self.db.read() as session:
            row = session.scalars(select(Attempt).where(Attempt.person_id == person_id, Attempt.item_id == item_id)
                                  .order_by(Attempt.attempt_no.desc()).limit(1)).first()
            return AttemptRecord.of(row) if row else None

    def steps(self, attempt_id: int) -> list[StepRecord]:
        with self.db.read() as session:
            return [StepRecord(s.step_no, s.item, json.loads(s.response), s.correct, s.answered_at, s.confidence)
                    for s in _steps(session, attempt_id)]

    # --- answers -------------------------------------------------------------------------------------------

    def record_choice(self, attempt_id: int, step_no: int, choice_index: int) -> AnswerResult:
        def apply(session: Session, attempt: Attempt, steps: Sequence[Step]) -> tuple[Step, bool]:
            scenario = self.course.scenarios[attempt.item_id]
            state = play.replay_scenario(scenario, [json.loads(s.response) for s in steps])
            try:
                _, state = play.apply_choice(scenario, state, choice_index)
            except play.InvalidStep as error:
                raise StaleAnswer(str(error)) from error
            step = self._add_step(session, attempt, step_no, state.taken[-1][0], choice_index, None)
            ending = play.ending_of(scenario, state)
            if ending:
                attempt.finished_at, attempt.outcome = step.answered_at, ending
            return step, ending is not None

        return self._record(attempt_id, step_no, json.dumps(choice_index), apply)

    def record_answer(self, attempt_id: int, step_no: int, question_id: str, selected: Sequence[int],
                      confidence: int | None = None) -> AnswerResult:
        chosen_sorted = sorted(set(selected))

        def apply(session: Session, attempt: Attempt, steps: Sequence[Step]) -> tuple[Step, bool]:
            bank = self.course.banks[attempt.item_id]
            drawn = play.draw_quiz(bank, attempt.seed)
            if step_no >= len(drawn) or drawn[step_no].question_id != question_id:
                raise StaleAnswer(f"steg {step_no} är inte frågan {question_id}")
            question = play.questions_by_id(bank)[question_id]
            try:
                chosen = play.validate_selection(question, chosen_sorted)
                play.validate_confidence(confidence, required=bank.confidence)
            except play.InvalidStep as error:
                raise StaleAnswer(str(error)) from error
            step = self._add_step(session, attempt, step_no, question_id, chosen_sorted,
                                  play.is_correct(question, chosen), confidence)
            if step_no == len(drawn) - 1:
                answers = {s.item: frozenset(json.loads(s.response)) for s in [*steps, step]}
                module = self.course.modules[attempt.module_id]
                score = play.score_quiz(bank, drawn, answers, module.pass_mark)
                attempt.finished_at = step.answered_at
                attempt.score_percent = round(score.percent, 2)
                attempt.outcome = PASSED if score.passed else FAILED
            return step, attempt.finished_at is not None

        return self._record(attempt_id, step_no, json.dumps(chosen_sorted), apply, confidence)

    def _record(self, attempt_id: int, step_no: int, response: str,
                apply: Callable[[Session, Attempt, Sequence[Step]], tuple[Step, bool]],
                confidence: int | None = None) -> AnswerResult:
        def use_case(session: Session) -> AnswerResult:
            attempt = session.scalars(select(Attempt).where(Attempt.id == attempt_id).with_for_update()).one()
            steps = _steps(session, attempt_id)
            if step_no < len(steps):
                if steps[step_no].response == response and steps[step_no].confidence == confidence:
                    return AnswerResult("duplicate", AttemptRecord.of(attempt))
                raise StaleAnswer(f"steg {step_no} är redan besvarat med ett annat svar")
            if step_no > len(steps) or attempt.finished_at is not None:
                raise StaleAnswer(f"steg {step_no} är inte nästa steg ({len(steps)})")
            step, finished = apply(session, attempt, steps)
            completed = finished and self._complete_if_done(session, attempt, step)
            return AnswerResult("recorded", AttemptRecord.of(attempt), completed)

        return self._write_once_more_on_conflict(use_case)

    def _add_step(self, session: Session, attempt: Attempt, step_no: int, item: str, response: object,
                  correct: bool | None, confidence: int | None = None) -> Step:
        step = Step(attempt_id=attempt.id, step_no=step_no, item=item, response=json.dumps(response),
                    correct=correct, confidence=confidence, idempotency_key=f"a{attempt.id}-s{step_no}", answered_at=self.clock())
        session.add(step)
        session.flush()
        return step

    def _write_once_more_on_conflict(self, use_case):
        """A unique-key conflict means a concurrent request wrote the same thing first; run the use case once
        more and it finds that row (a duplicate, or the open attempt)."""
        try:
            return self.db.write(use_case)
        except IntegrityError:
            return self.db.write(use_case)

    # --- completion ----------------------------------------------------------------------------------------

    def _complete_if_done(self, session: Session, attempt: Attempt, step: Step) -> bool:
        module = self.course.modules[attempt.module_id]
        last = _last_completion(session, attempt.person_id, module.id)
        attempts = _round_attempts(session, attempt.person_id, module.id, self.course.module_version(module.id),
                                   last.completed_at if last else None)
        finished = [a for a in attempts if a.finished_at is not None]
        scenarios_done = {a.item_id for a in finished if a.kind == "scenario"}
        passed = [a for a in finished if a.kind == "quiz" and a.outcome == PASSED]
        if not rules.is_module_complete(module, scenarios_done, bool(passed)):
            return False
        session.add(Completion(person_id=attempt.person_id, module_id=module.id,
                               content_version=attempt.content_version,
                               started_at=min(a.started_at for a in attempts), completed_at=step.answered_at,
                               score_percent=max(a.score_percent or 0.0 for a in passed), trigger_step_id=step.id))
        session.flush()
        return True

    def module_progress(self, person_id: str, module_id: str, start_date, today=None,
                        due_rules: rules.DueRules = rules.DEFAULT_RULES) -> ModuleProgress:
        today = today or self.clock().date()
        version = self.course.module_version(module_id)
        with self.db.read() as session:
            last = _last_completion(session, person_id, module_id)
            attempts = _round_attempts(session, person_id, module_id, version, last.completed_at if last else None)
        finished = [a for a in attempts if a.finished_at is not None]
        quiz_scores = [a.score_percent for a in finished if a.kind == "quiz" and a.score_percent is not None]
        due = rules.due_date(start_date, last.completed_at if last else None, due_rules)
        return ModuleProgress(
            module_id=module_id,
            last_completed_at=last.completed_at if last else None,
            last_score=last.score_percent if last else None,
            finished_scenarios=frozenset(a.item_id for a in finished if a.kind == "scenario"),
            quiz_passed=any(a.kind == "quiz" and a.outcome == PASSED for a in finished),
            best_quiz_score=max(quiz_scores) if quiz_scores else None,
            started=bool(attempts),
            due=due,
            status=rules.module_status(today, due, last.completed_at if last else None, bool(attempts)),
        )


def _steps(session: Session, attempt_id: int) -> list[Step]:
    return list(session.scalars(select(Step).where(Step.attempt_id == attempt_id).order_by(Step.step_no)))


def _last_completion(session: Session, person_id: str, module_id: str) -> Completion | None:
    return session.scalars(select(Completion).where(Completion.person_id == person_id,
                                                    Completion.module_id == module_id)
                           .order_by(Completion.completed_at.desc()).limit(1)).first()


def _round_attempts(session: Session, person_id: str, module_id: str, version: str,
                    since: datetime | None) -> list[Attempt]:
    """Attempts of the current round: on the current content version, started after the last completion."""
    query = select(Attempt).where(Attempt.person_id == person_id, Attempt.module_id == module_id,
                                  Attempt.content_version == version)
    if since is not None:
        query = query.where(Attempt.started_at > since)
    return list(session.scalars(query))
