"""Use cases of a learner: start or resume an attempt, record an answer (idempotent), complete a module.

Each public method is one transaction. An answer names the step it answers (`step_no`, from the page the
learner saw): the same answer to the same step again is a duplicate and changes nothing (double click,
replay, retry after an unclear commit); a different answer to an already answered step, or to a step that
is not the next one, is stale and rejected (an old tab, a click that raced another).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Callable, Literal, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from course import group, play, rules
from course.questions import kind_of
from course.content.loader import Course
from course.content.schema import Module
from progress import daily_counts, states, tallies
from progress.db import Database
from progress.models import Attempt, Completion, GroupSessionRecord, Person, PersonRole, Step, Waiver

# One module's status and round, derived by course.rules (kept importable from here)
ModuleProgress = rules.ModuleProgress

Kind = Literal["scenario", "quiz", "diagnostic", "booster"]
TOPIC_QUIZZES = rules.TOPIC_QUIZZES  # drawn across a track's topics; always ask how sure the learner is


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
    module_id: str | None  # a module's scenario or quiz; None for a track's topic quiz, which has track_id
    kind: str
    item_id: str
    attempt_no: int
    content_version: str
    seed: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    score_percent: float | None
    drawn: tuple[play.DrawnQuestion, ...] | None = None  # stored draw (quizzes); None: derive from the seed
    scope: tuple[str, ...] = ()  # diagnostic: the modules it may pass
    choice_orders: tuple[play.DrawnNode, ...] = ()  # a scenario's: each choice point's order (play.choice_order)
    track_id: str | None = None  # the track a topic quiz (diagnostic, booster) belongs to

    @classmethod
    def of(cls, row: Attempt) -> "AttemptRecord":
        stored = json.loads(row.drawn) if row.drawn else None
        drawn = orders = None
        if stored is not None and row.kind == "scenario":
            orders = tuple(play.DrawnNode(node_id, tuple(order)) for node_id, order in stored)
        elif stored is not None:
            drawn = tuple(play.DrawnQuestion(q, tuple(order)) for q, order in stored)
        return cls(row.id, row.person_id, row.module_id, row.kind, row.item_id, row.attempt_no, row.content_version,
                   row.seed, row.started_at, row.finished_at, row.outcome, row.score_percent, drawn,
                   tuple(json.loads(row.scope)) if row.scope else (), orders or (), row.track_id)

    def choice_order(self, scenario, node_id: str) -> tuple[int, ...]:
        """A scenario attempt's order of the choices at `node_id` (the engine's, never the file's)."""
        return play.choice_order(scenario, node_id, self.seed,
                                 {drawn.node_id: drawn.choice_order for drawn in self.choice_orders})


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


class Attempts:
    def __init__(self, db: Database, course: Course, clock: Callable[[], datetime] = utcnow):
        self.db, self.course, self.clock = db, course, clock

    # --- attempts ------------------------------------------------------------------------------------------

    def start_or_resume(self, person_id: str, module_id: str, kind: Kind, item_id: str) -> AttemptRecord:
        """The open attempt on the current content version, or a new one (a fresh draw for a quiz)."""

        def draw(session: Session, last: Attempt | None, seed: int) -> list[play.DrawnQuestion | play.DrawnNode]:
            if kind == "scenario":  # the choices' order at every choice point, like a quiz's options
                return play.draw_choice_orders(self.course.scenarios[item_id], seed)
            avoid = {d.question_id for d in self.draw_of(AttemptRecord.of(last))} if last else set()
            mastered = self._mastered_this_round(session, person_id, module_id)
            return play.draw_quiz(self.course.banks[item_id], seed, avoid, mastered)

        return self._start(person_id, module_id, kind, item_id, self.course.module_version(module_id), draw)

    def start_topic_quiz(self, person_id: str, kind: Kind, track_id: str, scope: Sequence[str],
                         language: str = "sv") -> AttemptRecord:
        """The refresher's diagnostic (kind 'diagnostic', over the `scope` modules that are due again) or the
        spaced booster (kind 'booster', over the whole track): questions across topics, fresh ones first, from
        each module's bank in `language` where it has a translation (rules.topic_quiz_modules). The attempt keeps
        the original modules as its scope; an open one is resumed in the language it was drawn in."""

        def draw(session: Session, last: Attempt | None, seed: int) -> list[play.DrawnQuestion]:
            modules = rules.topic_quiz_modules(self.course, scope, language)
            seen = self._recently_seen(session, person_id, modules)
            if kind == "diagnostic":  # a few questions per module, spread over its topics
                return [drawn for offset, module in enumerate(modules)
                        for drawn in play.draw_across_topics(self.course.banks[module.quiz].questions, module.topics,
                                                             rules.DIAGNOSTIC_QUESTIONS_PER_MODULE, seed + offset,
                                                             seen)]
            pool = [q for module in modules for q in self.course.banks[module.quiz].questions]
            topics = list(dict.fromkeys(topic for module in modules for topic in module.topics))
            return play.draw_across_topics(pool, topics, rules.BOOSTER_QUESTIONS, seed, seen)

        return self._start(person_id, None, kind, f"{kind}:{track_id}", self.course.track_version(track_id), draw,
                           scope, track_id)

    def _start(self, person_id: str, module_id: str | None, kind: Kind, item_id: str, version: str,
               draw: Callable[[Session, Attempt | None, int], list[play.DrawnQuestion | play.DrawnNode]],
               scope: Sequence[str] | None = None, track_id: str | None = None) -> AttemptRecord:
        """Resume the open attempt on this version, or insert the next one with its draw. Two concurrent starts
        cannot both create one: (person, item, attempt_no) is unique, and the person's row is locked first."""

        def use_case(session: Session) -> AttemptRecord:
            # Under READ COMMITTED each statement sees new commits, so a start that found no open attempt could
            # otherwise still see another start's attempt_no and add a second one beside it.
            session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
            open_attempt = _open(session, person_id, item_id, version)
            if open_attempt:
                return AttemptRecord.of(open_attempt)
            last = _latest(session, person_id, item_id)
            seed = secrets.randbelow(2**31)
            return self._insert_attempt(session, person_id, module_id, kind, item_id, last, version, seed,
                                        draw(session, last, seed), scope, track_id)

        return self.db.write_again_on_conflict(use_case)  # a concurrent request wrote it first

    def _insert_attempt(self, session, person_id, module_id, kind, item_id, last, version, seed, drawn,
                        scope=None, track_id=None) -> AttemptRecord:
        attempt = Attempt(person_id=person_id, module_id=module_id, track_id=track_id, kind=kind, item_id=item_id,
                          attempt_no=(last.attempt_no if last else 0) + 1, content_version=version, seed=seed,
                          started_at=self.clock(),
                          drawn=json.dumps([astuple(d) for d in drawn]) if drawn else None,
                          scope=json.dumps(list(scope)) if scope else None)
        session.add(attempt)
        session.flush()
        if kind in ("scenario", "quiz"):  # a round of the module has started (diagnostics and boosters are apart)
            self._state_moved(session, person_id, self.course.base_of(module_id), "last_started_at",
                              attempt.started_at)
        return AttemptRecord.of(attempt)

    def _state_moved(self, session: Session, person_id: str, module_id: str, field: str, at: datetime,
                     score: float | None = None) -> None:
        """Move the person's module state, and the dashboard's counts for the day with it."""
        before, after = states.moved(session, person_id, module_id, field, at, score)
        daily_counts.moved(session, self.course, person_id, module_id, before, after, self.clock().date())

    def _mastered_this_round(self, session: Session, person_id: str, module_id: str) -> frozenset[str]:
        """Topics the learner mastered in a diagnostic of this round that covered the module: the refresher's
        quiz skips them where the bank allows."""
        base = self.course.base_of(module_id)
        since = self._round(session, person_id, module_id).done.at
        if since is None:
            return frozenset()
        answers = []
        for diagnostic in session.scalars(select(Attempt).where(
                Attempt.person_id == person_id, Attempt.kind == "diagnostic", Attempt.finished_at.is_not(None),
                Attempt.started_at > since)):
            if base in json.loads(diagnostic.scope or "[]"):
                answers += self._topic_answers(_steps(session, diagnostic.id))
        return play.mastered_topics(answers)

    def _topic_answers(self, steps: Sequence[Step]) -> list[tuple[str, bool, int | None]]:
        """(topic, right, confidence) for each answered question: what mastery is judged from."""
        return [(self.course.questions[step.item].topic, bool(step.correct), step.confidence)
                for step in steps if step.item in self.course.questions]

    def _recently_seen(self, session: Session, person_id: str, modules: Sequence[Module]) -> set[str]:
        """The questions of the learner's last quiz attempt in each of these modules (in the language drawn from)."""
        seen: set[str] = set()
        for module in modules:
            last = _latest(session, person_id, module.quiz)
            if last is not None:
                seen |= {d.question_id for d in self.draw_of(AttemptRecord.of(last))}
        return seen

    def draw_of(self, attempt: AttemptRecord) -> list[play.DrawnQuestion]:
        """The questions of a quiz attempt in the order shown: stored, or (older attempts) derived from the seed."""
        return draw_of(self.course, attempt)

    def latest_topic_quiz(self, person_id: str, kind: Kind, track_id: str) -> AttemptRecord | None:
        return self.latest_attempt(person_id, f"{kind}:{track_id}")

    def latest_attempt(self, person_id: str, item_id: str) -> AttemptRecord | None:
        with self.db.read() as session:
            row = _latest(session, person_id, item_id)
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
        question = self.course.questions.get(question_id)
        if question is None:
            raise StaleAnswer(f"frågan {question_id} finns inte i innehållet")
        kind = kind_of(question)
        response = list(kind.stored(selected))  # as its type keeps it: a set of options, or steps in order

        def apply(session: Session, attempt: Attempt, steps: Sequence[Step]) -> tuple[Step, bool]:
            drawn = self.draw_of(AttemptRecord.of(attempt))
            if step_no >= len(drawn) or drawn[step_no].question_id != question_id:
                raise StaleAnswer(f"steg {step_no} är inte frågan {question_id}")
            asks_confidence = attempt.kind in TOPIC_QUIZZES or self.course.banks[attempt.item_id].confidence
            try:
                chosen = play.validate_selection(question, response)
                play.validate_confidence(confidence, required=asks_confidence)
            except play.InvalidStep as error:
                raise StaleAnswer(str(error)) from error
            step = self._add_step(session, attempt, step_no, question_id, response, kind.is_correct(question, chosen),
                                  confidence)
            tallies.record_answer(session, self.course, attempt.person_id, step)
            if step_no == len(drawn) - 1:
                self._finish_quiz(session, attempt, [*steps, step], drawn)
            return step, attempt.finished_at is not None

        return self._record(attempt_id, step_no, json.dumps(response), apply, confidence)

    def _finish_quiz(self, session: Session, attempt: Attempt, steps: Sequence[Step],
                     drawn: Sequence[play.DrawnQuestion]) -> None:
        attempt.finished_at = steps[-1].answered_at
        points = play.quiz_points(self.course.questions, [(step.item, json.loads(step.response)) for step in steps])
        attempt.score_percent = play.score_percent(points, len(drawn))
        if attempt.kind == "quiz":
            module = self.course.modules[attempt.module_id]
            attempt.outcome = rules.PASSED if play.passes(points, len(drawn), module.pass_mark) else rules.FAILED
            return
        attempt.outcome = rules.TOPIC_QUIZ_DONE
        if attempt.kind == "diagnostic":
            self._waive_mastered(session, attempt, steps)

    def _waive_mastered(self, session: Session, attempt: Attempt, steps: Sequence[Step]) -> None:
        """Record "klarad via diagnos" for each module in scope whose asked topics were all mastered."""
        questions, module_of = self.course.questions, self.course.module_of_question
        mastered = play.mastered_topics(self._topic_answers(steps))
        asked: dict[str, set[str]] = {}
        for step in steps:
            asked.setdefault(module_of[step.item], set()).add(questions[step.item].topic)
        scope = json.loads(attempt.scope or "[]")
        for module_id in rules.modules_to_waive({m: asked.get(m, set()) for m in scope}, mastered):
            session.add(Waiver(person_id=attempt.person_id, module_id=module_id,
                               content_version=self.course.module_version(module_id),
                               waived_at=attempt.finished_at, diagnostic_attempt_id=attempt.id))
            self._state_moved(session, attempt.person_id, module_id, "last_waived_at", attempt.finished_at)
        session.flush()

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
            completed = finished and attempt.kind in ("scenario", "quiz") and self._complete_if_done(session, attempt,
                                                                                                   step)
            return AnswerResult("recorded", AttemptRecord.of(attempt), completed)

        return self.db.write_again_on_conflict(use_case)  # a concurrent request wrote it first

    def _add_step(self, session: Session, attempt: Attempt, step_no: int, item: str, response: object,
                  correct: bool | None, confidence: int | None = None) -> Step:
        step = Step(attempt_id=attempt.id, step_no=step_no, item=item, response=json.dumps(response),
                    correct=correct, confidence=confidence, idempotency_key=f"a{attempt.id}-s{step_no}", answered_at=self.clock())
        session.add(step)
        session.flush()
        return step

    # --- completion ----------------------------------------------------------------------------------------

    def _round(self, session: Session, person_id: str, module_id: str) -> rules.Round:
        """Where the person stands with a module: the latest completion or waiver, and the current round
        (rules.current_round).

        `module_id` may be a translation: completions and waivers are kept under the original (they count in
        any language), while the round's attempts and scenarios are those of the language being played."""
        base = self.course.base_of(module_id)
        last = _last_completion(session, person_id, base)
        waiver = session.scalars(select(Waiver).where(Waiver.person_id == person_id, Waiver.module_id == base)
                                 .order_by(Waiver.waived_at.desc()).limit(1)).first()
        done = rules.last_done(last.completed_at if last else None, last.score_percent if last else None,
                               waiver.waived_at if waiver else None)
        attempts = session.scalars(select(Attempt).where(Attempt.person_id == person_id,
                                                         Attempt.module_id == module_id))
        # the records of group sessions that may count for the scenario part (rules.current_round decides)
        group_records = session.scalars(select(GroupSessionRecord).where(GroupSessionRecord.person_id == person_id,
                                                                         GroupSessionRecord.module_id == base))
        return rules.current_round(self.course.modules[module_id], self.course.module_version(module_id), done,
                                   attempts, group_records=group_records, group_config=self.course.group_sessions)

    def _complete_if_done(self, session: Session, attempt: Attempt, step: Step) -> bool:
        return self._complete_round(session, attempt.person_id, attempt.module_id, step.answered_at, step.id,
                                    attempt.content_version)

    def _complete_round(self, session: Session, person_id: str, module_id: str, at: datetime,
                        trigger_step_id: int | None, content_version: str) -> bool:
        """Write the completion when the round of `module_id` (the language played) is complete: the same row
        whether its scenario part was played alone or in a group session. `at`: the moment that completed it."""
        current = self._round(session, person_id, module_id)
        if not current.complete:
            return False
        base = self.course.base_of(module_id)
        score = max(a.score_percent or 0.0 for a in current.passed_quizzes)
        session.add(Completion(person_id=person_id, module_id=base,
                               content_version=content_version,
                               started_at=current.started_at, completed_at=at,
                               score_percent=score, trigger_step_id=trigger_step_id))
        session.flush()
        self._state_moved(session, person_id, base, "last_completed_at", at, score)
        return True

    def group_session_confirmed(self, session: Session, person_id: str, scenario_id: str, at: datetime) -> bool:
        """A group session of `scenario_id` was confirmed for the person at `at`, in the caller's transaction
        (progress.group_sessions.confirm_attendance, once per person it adds). Where its module counts group
        sessions for the scenario part (course.group.counts_for), it starts the round as an attempt does
        (the module state, and the dashboard's counts with it), and when the person had passed this round's quiz
        already it completes the module. Returns whether it completed it. Calling it again changes nothing."""
        module = group.module_of(self.course, scenario_id)
        if module is None:
            return False
        base = self.course.base_of(module.id)
        if group.counts_for(self.course.group_sessions, base) != group.SCENARIO_PART:
            return False
        self._state_moved(session, person_id, base, "last_started_at", at)
        return self._complete_round(session, person_id, module.id, at, None, self.course.module_version(module.id))

    def module_progress(self, person_id: str, module_id: str, start_date, today=None,
                        due_rules: rules.DueRules | None = None) -> ModuleProgress:
        """One module's progress for one person (the learner's page reads every module at once through
        progress.learner). Without `due_rules`, the person's own (rules.due_rules_of their roles)."""
        today = today or self.clock().date()
        with self.db.read() as session:
            current = self._round(session, person_id, module_id)
            if due_rules is None:
                roles = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)))
                due_rules = rules.due_rules_of(self.course, roles, self.course.base_of(module_id))
        return rules.module_progress(current, start_date, today, due_rules)


def draw_of(course: Course, attempt: AttemptRecord) -> list[play.DrawnQuestion]:
    """The questions of a quiz attempt in the order shown: stored, or (older attempts) derived from the seed."""
    if attempt.drawn is not None:
        return list(attempt.drawn)
    return play.draw_quiz(course.banks[attempt.item_id], attempt.seed)


def _open(session: Session, person_id: str, item_id: str, version: str) -> Attempt | None:
    return session.scalars(select(Attempt).where(Attempt.person_id == person_id, Attempt.item_id == item_id,
                                                 Attempt.finished_at.is_(None), Attempt.content_version == version)
                           .order_by(Attempt.attempt_no.desc()).limit(1)).first()


def _latest(session: Session, person_id: str, item_id: str) -> Attempt | None:
    return session.scalars(select(Attempt).where(Attempt.person_id == person_id, Attempt.item_id == item_id)
                           .order_by(Attempt.attempt_no.desc()).limit(1)).first()


def _steps(session: Session, attempt_id: int) -> list[Step]:
    return list(session.scalars(select(Step).where(Step.attempt_id == attempt_id).order_by(Step.step_no)))


def _last_completion(session: Session, person_id: str, module_id: str) -> Completion | None:
    return session.scalars(select(Completion).where(Completion.person_id == person_id,
                                                    Completion.module_id == module_id)
                           .order_by(Completion.completed_at.desc()).limit(1)).first()
