"""Who must take what, by when, and what "complete" means. Pure functions; the one place for these rules."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from fractions import Fraction
from typing import Collection, Iterable, Mapping, Protocol, Sequence

from course import group, play
from course.content.schema import FollowUp, GroupSessions, Module, Question, Track
from course.questions import CBM_BEST_MARK, kind_of


class Status(str, Enum):
    NOT_STARTED = "ej_paborjad"
    IN_PROGRESS = "pagar"
    DONE = "klar"
    WAIVED = "klar_via_diagnos"  # passed by the refresher's diagnostic; kept apart from DONE (cmi5's waiver)
    OVERDUE = "forsenad"


DONE_STATUSES = (Status.DONE, Status.WAIVED)
STATUS_ORDER = (Status.DONE, Status.WAIVED, Status.IN_PROGRESS, Status.NOT_STARTED, Status.OVERDUE)  # tables, charts

# The spaced booster after a track's first round opens and falls due after the days in config/tracks.yaml
# (follow_up): retrieval after 5-10 % of a yearly interval retains best (Cepeda et al. 2008), about 3 to 5 weeks.
BOOSTER_QUESTIONS = 6
DIAGNOSTIC_QUESTIONS_PER_MODULE = 3  # spread over the module's topics


@dataclass(frozen=True)
class DueRules:
    onboarding_days: int = 30  # the first round is due this many days after the start date
    recurrence_months: int | None = 12  # due again this many months after a completion; None: never again
    # A material change of the module: a completion from before this day falls due `material_change_days` after it.
    material_change: date | None = None
    material_change_days: int = 60


DEFAULT_RULES = DueRules()


@dataclass(frozen=True)
class Assignment:
    """One module a person must take, the tracks it comes from, and its due rules."""

    module_id: str
    tracks: tuple[str, ...]
    due_rules: DueRules


def assignments(course, roles: Collection[str]) -> list[Assignment]:
    """The modules of every track of every role the person has; a module in several tracks is due by the
    earliest: the shortest onboarding time and the shortest recurrence among them. Defaults come from the
    course's follow-up settings (config/tracks.yaml)."""
    follow_up = course.follow_up
    by_module: dict[str, list] = {}
    for track in course.tracks_for(roles):
        for module_id in track.modules:
            by_module.setdefault(module_id, []).append(track)
    result = []
    for module_id, tracks in by_module.items():
        onboarding = [t.onboarding_days for t in tracks if t.onboarding_days]
        recurrence = [t.recurrence_months for t in tracks if t.recurrence_months]
        rules = DueRules(min(onboarding) if onboarding else follow_up.onboarding_days,
                         min(recurrence) if recurrence else None,
                         course.modules[module_id].material_change, follow_up.material_change_days)
        result.append(Assignment(module_id, tuple(t.id for t in tracks), rules))
    return result


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


GREY_ZONE_MODULE = "grazoner"  # the module whose topics are the course's grey zones (the analytics' default)


def grey_zone_topics(course) -> tuple[str, ...]:
    """The grey-zone topics the analytics page starts from; none when the course has no such module."""
    module = course.modules.get(GREY_ZONE_MODULE)
    return tuple(module.topics) if module is not None else ()


def certificate_outdated(current_version: str | None, certified_version: str) -> bool:
    """The track's content has changed since the certificate was issued (the certificate stays valid; a page
    says that the course has been updated since)."""
    return current_version is not None and current_version != certified_version


def is_module_complete(required_scenarios: Collection[str], finished_scenarios: Collection[str],
                       quiz_passed: bool) -> bool:
    """Complete = the round's scenarios (see required_scenarios) played through to an ending, and the quiz passed."""
    return quiz_passed and all(scenario_id in finished_scenarios for scenario_id in required_scenarios)


def due_date(start_date: date, last_completed: datetime | date | None,
             rules: DueRules = DEFAULT_RULES) -> date | None:
    """When the next round is due; None when a completed module never falls due again."""
    if last_completed is None:
        return start_date + timedelta(days=rules.onboarding_days)
    completed_day = last_completed.date() if isinstance(last_completed, datetime) else last_completed
    return _due_after(completed_day, rules)


def _due_after(completed_day: date, rules: DueRules) -> date | None:
    due = add_months(completed_day, rules.recurrence_months) if rules.recurrence_months else None
    if rules.material_change is not None and completed_day < rules.material_change:  # took the earlier version
        again = rules.material_change + timedelta(days=rules.material_change_days)
        due = again if due is None else min(due, again)
    return due


def module_status(today: date, due: date | None, last_completed: datetime | date | None,
                  started_since: bool, via_diagnosis: bool = False) -> Status:
    """Status of one module for one person.

    `last_completed`: the latest completion or waiver, `started_since`: the person has an attempt in the
    current round (since then), `via_diagnosis`: the latest was a waiver. Done counts until the next round
    falls due.
    """
    if last_completed is not None and (due is None or today < due):
        return Status.WAIVED if via_diagnosis else Status.DONE
    if today > due:
        return Status.OVERDUE
    return Status.IN_PROGRESS if started_since else Status.NOT_STARTED


def renewal_open(today: date, due: date | None, window_days: int) -> bool:
    """Whether the next round can be taken: from `window_days` before the due date, so that a yearly refresher
    can be done in time. The module stays done (klar) until the due date itself."""
    return due is not None and today >= due - timedelta(days=window_days)


@dataclass(frozen=True)
class LastDone:
    at: datetime | None  # the latest completion or waiver
    score: float | None  # the completion's score; a waiver has none
    via_diagnosis: bool  # the latest was a waiver by the refresher's diagnostic


def last_done(completed_at: datetime | None, score: float | None, waived_at: datetime | None) -> LastDone:
    """A module is done by its latest completion or its latest waiver, whichever came last."""
    if waived_at is not None and (completed_at is None or waived_at > completed_at):
        return LastDone(waived_at, None, True)
    return LastDone(completed_at, score, False)


def required_scenarios(module: Module, first_round: bool, last_finished: dict[str, datetime]) -> list[str]:
    """The scenarios a round asks for. The first round: all of them. A refresher round: one, one the learner has
    not played before where there is any, else the one played longest ago."""
    if first_round:
        return list(module.scenarios)
    unseen = [scenario for scenario in module.scenarios if scenario not in last_finished]
    if unseen:
        return unseen[:1]
    return [min(module.scenarios, key=lambda scenario: last_finished[scenario])]


def modules_to_waive(asked: dict[str, set[str]], mastered: Collection[str]) -> list[str]:
    """`asked`: module id -> the topics the diagnostic asked about for it. A module is passed by the diagnostic
    when every topic asked for it was mastered (right, and answered with confidence)."""
    return [module_id for module_id, topics in asked.items() if topics and topics <= set(mastered)]


def booster_window(track_first_done: date, follow_up: FollowUp | None = None) -> tuple[date, date]:
    """When the booster opens and when it is due, after a track's first round was completed."""
    follow_up = follow_up or FollowUp()
    return (track_first_done + timedelta(days=follow_up.booster_opens_days),
            track_first_done + timedelta(days=follow_up.booster_due_days))


# --- the same status as comparisons with fixed dates -------------------------------------------------------------

EARLIEST = datetime(1900, 1, 1)


@dataclass(frozen=True)
class StatusCutoffs:
    """`module_status` for one day and one set of due rules, turned into comparisons with fixed instants, so
    that a database can classify millions of (person, module) rows with plain indexed comparisons and no date
    arithmetic of its own. `status_by_cutoffs` gives the same answer as `module_status` for every input (tested
    day by day around each boundary)."""

    done_from: datetime  # a last completion at or after this instant is still current (klar)
    overdue_before: datetime  # a last completion before this instant is overdue (its next round is late)
    never_done_overdue_start_before: date  # never completed: overdue when employed since before this day


def status_cutoffs(today: date, rules: DueRules) -> StatusCutoffs:
    # The due date after a completion never moves earlier when the completion is later, so "still current" holds
    # from one day on, and "overdue" up to one day: find both days by bisection.
    def due(day: date) -> date | None:
        return _due_after(day, rules)

    done_from = _first_day(lambda day: due(day) is None or today < due(day), today)
    overdue_until = _first_day(lambda day: due(day) is None or not today > due(day), today)
    return StatusCutoffs(datetime.combine(done_from, time()), datetime.combine(overdue_until, time()),
                         today - timedelta(days=rules.onboarding_days))


def _first_day(holds, today: date) -> date:
    """The first day from EARLIEST to tomorrow on which `holds` is true, given it stays true from then on."""
    low, high = EARLIEST.date().toordinal(), today.toordinal() + 1
    while low < high:
        middle = (low + high) // 2
        if holds(date.fromordinal(middle)):
            high = middle
        else:
            low = middle + 1
    return date.fromordinal(low)


def status_by_cutoffs(cutoffs: StatusCutoffs, start_date: date, last_done_at: datetime | None,
                      started_since: bool, via_diagnosis: bool = False) -> Status:
    """The rule `reports.py` writes as SQL CASE: same order, same comparisons."""
    if last_done_at is not None and last_done_at >= cutoffs.done_from:
        return Status.WAIVED if via_diagnosis else Status.DONE
    if last_done_at is not None and last_done_at < cutoffs.overdue_before:
        return Status.OVERDUE
    if last_done_at is None and start_date < cutoffs.never_done_overdue_start_before:
        return Status.OVERDUE
    return Status.IN_PROGRESS if started_since else Status.NOT_STARTED


# --- the learner's page: a module's round, its parts, tracks, refresher, booster, attestation ------------------
# Min utbildning draws what progress/learner.py derives with these from records it reads in a fixed number of
# queries; the write path (progress/attempts.py) decides a completion with the same `current_round`.

# How many first answers a topic needs before a figure ranks it weak or strong: three rules for three scopes,
# each set once here (a topic with fewer is shown, but not ranked).
MIN_ANSWERS_PERSON_TOPIC = 2  # one person's talk page: one answer says too little about a topic
MIN_ANSWERS_UNIT_TOPIC = 5  # a unit's or the organisation's weakest topic: one wrong answer is not a trend
MIN_ANSWERS_YEAR_TOPIC = 20  # the annual report's topics over a whole year, for the whole organisation
MIN_GROUP_NAMED = 10  # the annual summary names the best and worst förvaltning only among groups this large
ADMINISTRATION_KINDS = ("förvaltning", "bolag", "nämnd")  # what a person's "förvaltning" can be (unit kinds)
PASSED = "godkand"  # a quiz attempt's outcome when it reached the pass mark
FAILED = "underkand"  # a quiz attempt's outcome when it did not
TOPIC_QUIZ_DONE = "klar"  # a diagnostic's or booster's outcome once every question is answered (no pass mark)
TOPIC_QUIZZES = ("diagnostic", "booster")  # drawn across a track's topics
def topic_quiz_modules(course, scope: Sequence[str], language: str = "sv") -> list[Module]:
    """The modules whose banks a topic quiz over `scope` (original modules) draws from: each in `language` where it
    has a translation, else the original. What is stored stays comparable across languages: the attempt's scope
    and its owner are the originals and the track, and an answer to a translation's question counts for the
    original module (course.module_of_question), topic by topic."""
    return [course.variant(course.base_of(module_id), language) for module_id in scope]


class AttemptFacts(Protocol):
    """What the rules read of an attempt (progress.models.Attempt has it, and so do the learner service's rows)."""

    module_id: str
    kind: str
    item_id: str
    content_version: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    score_percent: float | None


class GroupRecordFacts(Protocol):
    """What the rules read of a person's record of a confirmed group session (progress.models.GroupSessionRecord
    has it, and so do the learner service's rows)."""

    module_id: str  # the original module, as completions keep it
    scenario_id: str  # the scenario played, in the language it was played in
    content_version: str  # of the module that holds the scenario, when the session started
    held_on: date
    ending: str | None  # the ending the group reached; None: the session ended before one
    confirmed_at: datetime


def group_counts_for_module(config: GroupSessions, record: GroupRecordFacts) -> bool:
    """The record counts for its module's scenario part by the track rules (config/tracks.yaml, group_sessions:).
    What the round asks of it besides (language, version, time) is `current_round`'s."""
    return group.counts_for(config, record.module_id) == group.SCENARIO_PART


class StatusFacts(Protocol):
    """What the track rules read of one module's status (ModuleProgress and reports.StatusRow have it)."""

    status: Status
    last_completed_at: datetime | None


@dataclass(frozen=True)
class Round:
    """Where a person stands with one module (in the language being played) in its current round."""

    module_id: str
    done: LastDone  # the latest completion or waiver (of the original: they count in any language)
    attempts: tuple  # this round's attempts: on the current content version, started after `done.at`
    required: tuple[str, ...]  # the scenarios this round asks for
    started_elsewhere: bool = False  # the round was begun in another language of the module (see current_round)
    group: tuple = ()  # this round's group sessions that count for its scenario part (see current_round)

    @property
    def finished(self) -> tuple:
        return tuple(a for a in self.attempts if a.finished_at is not None)

    @property
    def group_finished(self) -> tuple:
        """This round's group sessions that reached an ending: each counts as its scenario played through."""
        return tuple(g for g in self.group if g.ending is not None)

    @property
    def finished_scenarios(self) -> frozenset[str]:
        return (frozenset(a.item_id for a in self.finished if a.kind == "scenario")
                | frozenset(g.scenario_id for g in self.group_finished))

    @property
    def started_at(self) -> datetime | None:
        """When this round began: its first attempt or its first group session that counts (when confirmed)."""
        moments = [a.started_at for a in self.attempts] + [g.confirmed_at for g in self.group]
        return min(moments) if moments else None

    @property
    def passed_quizzes(self) -> tuple:
        return tuple(a for a in self.finished if a.kind == "quiz" and a.outcome == PASSED)

    @property
    def complete(self) -> bool:
        """The round's scenarios played through and its quiz passed: the module is completed."""
        return is_module_complete(self.required, self.finished_scenarios, bool(self.passed_quizzes))


def current_round(module: Module, version: str, done: LastDone, attempts: Iterable[AttemptFacts],
                  other_languages: Mapping[str, str] | None = None, group_records: Iterable[GroupRecordFacts] = (),
                  group_config: GroupSessions | None = None) -> Round:
    """`attempts`: the person's attempts (any module, any content version; others are skipped). The round's
    attempts are this module's on `version`, started after the latest completion or waiver; a refresher round
    asks for the scenario `required_scenarios` picks from those finished before it.

    `other_languages`: the module's original and translations other than this one (id -> current version). An
    attempt at one of them in this round marks the round as started here too, so switching language never shows
    a module begun as not started; the parts stay each language's own (a scenario is played in one language), and
    completions and waivers count in any language already (`done` is the original's).

    `group_records`: the person's records of confirmed group sessions (any module), `group_config` what they count
    for (course.group_sessions; the default: the scenario part). A record is one of this round's, like an attempt,
    when its module counts for the scenario part, its scenario is one of this module's (this language's), it was
    played on `version` and confirmed after the latest completion or waiver: it starts the round, and once the
    group reached an ending its scenario counts as played through; the quiz is still the person's own. A refresher
    round, which asks for one scenario, asks for the one played in the group session (a group cannot play each
    member's own pick), and a scenario played in a group session before counts as seen. A record of the module
    in another language on that language's version marks the round as started, as an attempt there does."""
    attempts = list(attempts)
    config = group_config or GroupSessions()
    base = module.translation_of or module.id
    counting = [g for g in group_records if g.module_id == base and group_counts_for_module(config, g)]
    own = [a for a in attempts if a.module_id == module.id]
    this_round = tuple(a for a in own if a.content_version == version and (done.at is None or a.started_at > done.at))
    group_round = tuple(g for g in counting if g.scenario_id in module.scenarios and g.content_version == version
                        and (done.at is None or g.confirmed_at > done.at))
    history: dict[str, datetime] = {}
    if done.at is not None:
        played = [(a.item_id, a.finished_at) for a in own if a.kind == "scenario" and a.finished_at is not None]
        played += [(g.scenario_id, g.confirmed_at) for g in counting
                   if g.scenario_id in module.scenarios and g.ending is not None]
        for scenario_id, at in played:
            if at <= done.at:
                history[scenario_id] = max(at, history.get(scenario_id, at))
    required = required_scenarios(module, first_round=done.at is None, last_finished=history)
    in_group = [s for s in module.scenarios if any(g.scenario_id == s and g.ending is not None for g in group_round)]
    if done.at is not None and in_group:
        required = in_group[:1]
    elsewhere = any(a.module_id != module.id and a.content_version == other_languages.get(a.module_id)
                    and (done.at is None or a.started_at > done.at) for a in attempts) if other_languages else False
    elsewhere = elsewhere or (bool(other_languages) and any(
        g.scenario_id not in module.scenarios and g.content_version in other_languages.values()
        and (done.at is None or g.confirmed_at > done.at) for g in counting))
    return Round(module.id, done, this_round, tuple(required), elsewhere, group_round)


@dataclass(frozen=True)
class ModuleProgress:
    module_id: str
    last_completed_at: datetime | None  # the latest completion or waiver
    last_score: float | None
    finished_scenarios: frozenset[str]  # played through in the current round, on the current content version
    quiz_passed: bool  # in the current round
    best_quiz_score: float | None  # in the current round
    started: bool  # any attempt in the current round
    due: date | None  # None when a completed module never falls due again
    status: Status
    required_scenarios: tuple[str, ...] = ()  # this round: all in the first, one new one in a refresher round
    via_diagnosis: bool = False  # the latest "done" is a waiver by the refresher's diagnostic
    # scenarios played through in a group session this round (Round.group_finished), with the latest day held
    group_done: tuple[tuple[str, date], ...] = ()
    started_in_group_only: bool = False  # begun by a group session, nothing by the person's own hand yet

    def group_done_on(self, scenario_id: str) -> date | None:
        """The day a group session played the scenario through in this round; None when none did."""
        return dict(self.group_done).get(scenario_id)


def module_progress(current: Round, start_date: date, today: date, due_rules: DueRules) -> ModuleProgress:
    """Status, due date and the current round's progress of one module for one person."""
    quiz_scores = [a.score_percent for a in current.finished if a.kind == "quiz" and a.score_percent is not None]
    due = due_date(start_date, current.done.at, due_rules)
    started = bool(current.attempts) or current.started_elsewhere or bool(current.group)
    held: dict[str, date] = {}
    for record in current.group_finished:
        held[record.scenario_id] = max(record.held_on, held.get(record.scenario_id, record.held_on))
    return ModuleProgress(current.module_id, current.done.at, current.done.score, current.finished_scenarios,
                          bool(current.passed_quizzes), max(quiz_scores) if quiz_scores else None, started, due,
                          module_status(today, due, current.done.at, started, current.done.via_diagnosis),
                          current.required, current.done.via_diagnosis,
                          tuple((s, held[s]) for s in sorted(held)),
                          bool(current.group) and not current.attempts and not current.started_elsewhere)


def due_rules_of(course, roles: Collection[str], module_id: str) -> DueRules:
    """A module's due rules for a person with `roles` (see `assignments`). A module none of their tracks holds
    is due by the rules of every track that holds it, as if they were all the person's."""
    for assignment in assignments(course, roles):
        if assignment.module_id == module_id:
            return assignment.due_rules
    every_role = {role for track in course.tracks.values() for role in track.roles}
    for assignment in assignments(course, every_role):
        if assignment.module_id == module_id:
            return assignment.due_rules
    follow_up = course.follow_up
    return DueRules(follow_up.onboarding_days, None, course.modules[module_id].material_change,
                    follow_up.material_change_days)


def done_for_now(progress: ModuleProgress, today: date, window_days: int) -> bool:
    """Done, and the next round has not opened yet (it opens `window_days` before the due date)."""
    return progress.status in DONE_STATUSES and not renewal_open(today, progress.due, window_days)


def opens_on_completion(progress: ModuleProgress, today: date, window_days: int) -> bool:
    """The module page shows the completion (summary, reflection, the quiz to review) rather than a part:
    done for now, and no attempt of a new round started (a group session at the workplace meeting since counts
    for the next round, but does not turn the page to it)."""
    return done_for_now(progress, today, window_days) and (not progress.started or progress.started_in_group_only)


Part = tuple[str, str]  # ("scenario", scenario id) or ("quiz", bank id)


def parts(module: Module, progress: ModuleProgress) -> tuple[Part, ...]:
    """This round's parts: its scenarios (all in the first round, one new one in a refresher round), then the quiz."""
    return tuple(("scenario", s) for s in progress.required_scenarios) + (("quiz", module.quiz),)


def part_done(part: Part, progress: ModuleProgress) -> bool:
    kind, item_id = part
    return item_id in progress.finished_scenarios if kind == "scenario" else progress.quiz_passed


def parts_shown_done(round_parts: Sequence[Part], progress: ModuleProgress, today: date,
                     window_days: int) -> tuple[bool, ...]:
    """Which parts the module page marks done: each part played in this round, and every part once the module
    is done for now (a completed module's page must not show its parts as still to do)."""
    if done_for_now(progress, today, window_days):
        return tuple(True for _ in round_parts)
    return tuple(part_done(part, progress) for part in round_parts)


def parts_done(progress: ModuleProgress) -> int:
    return len(progress.finished_scenarios & set(progress.required_scenarios)) + int(progress.quiz_passed)


def next_part(round_parts: Sequence[Part], progress: ModuleProgress) -> int:
    """The part to continue with: the first not done, else the last (the quiz)."""
    return next((i for i, part in enumerate(round_parts) if not part_done(part, progress)), len(round_parts) - 1)


def part_index(requested: str | None, round_parts: Sequence[Part]) -> int | None:
    """The part a URL asks for (`?del=`), when it is one of this round's parts; else None (refused)."""
    if requested is None or not requested.isdigit() or int(requested) >= len(round_parts):
        return None
    return int(requested)


def may_open_module(course, roles: Collection[str], module_id: str) -> bool:
    """A module (or its translation) that one of the person's tracks holds."""
    return module_id in course.modules and any(course.base_of(module_id) in track.modules
                                               for track in course.tracks_for(roles))


def may_open_track(course, roles: Collection[str], track_id: str) -> bool:
    return any(track.id == track_id for track in course.tracks_for(roles))


def playable(attempt_version: str | None, current_version: str) -> bool:
    """An attempt made on other content cannot be replayed on this one: the learner starts afresh."""
    return attempt_version is not None and attempt_version == current_version


def quiz_finished(finished_at: datetime | None, answered: int, drawn: int) -> bool:
    """A quiz attempt is finished when it says so, or when every drawn question has its answer: such an attempt
    is shown as finished, never asked past its last question."""
    return finished_at is not None or answered >= drawn


def quiz_passed(outcome: str | None, points: Fraction | int, total: int, pass_mark: int) -> bool:
    """A finished module quiz passed: as its attempt records, or, when the result is not recorded with its last
    answer (an older attempt), by the pass mark on the answers' credit."""
    return outcome == PASSED if outcome is not None else play.passes(points, total, pass_mark)


@dataclass(frozen=True)
class CbmTotal:
    total: int  # the certainty-based marks added up
    best: int  # the most the rated answers could have given: every one right and sure
    rated: int  # answers with a certainty
    misconceptions: int  # sure but wrong


def cbm_total(answers: Iterable[tuple[Question, bool | None, int | None]]) -> CbmTotal:
    """`answers`: (question, right, certainty) per answered question, each marked as its type marks it; answers
    without a certainty are not counted."""
    rated = [(question, bool(correct), confidence) for question, correct, confidence in answers
             if confidence is not None]
    return CbmTotal(sum(kind_of(question).cbm_mark(correct, confidence) for question, correct, confidence in rated),
                    CBM_BEST_MARK * len(rated), len(rated),
                    sum(1 for _, correct, confidence in rated if play.is_misconception(correct, confidence)))


def track_done_at(track: Track, progress: Mapping[str, StatusFacts]) -> datetime | None:
    """When every module of the track is done (klar, or klar via diagnos): when its last module was done; else
    None. The certificate, the booster and the attestation all follow this one rule."""
    if not all(m in progress and progress[m].status in DONE_STATUSES for m in track.modules):
        return None
    return max(progress[m].last_completed_at for m in track.modules)


def track_done(track: Track, progress: Mapping[str, StatusFacts]) -> bool:
    return track_done_at(track, progress) is not None


def attestation_current(attested_version: str | None, guideline_version: str) -> bool:
    """The person has confirmed the guidelines in force (a confirmation of an older version does not count)."""
    return attested_version is not None and attested_version == guideline_version


def may_attest(track: Track, progress: Mapping[str, StatusFacts], attested_version: str | None,
               guideline_version: str) -> bool:
    return (track.attestation and track_done(track, progress)
            and not attestation_current(attested_version, guideline_version))


@dataclass(frozen=True)
class Refresher:
    """The refresher round's diagnostic of a recurring track."""

    scope: tuple[str, ...]  # the modules due again after an earlier completion: what it may pass
    round_start: datetime  # the latest completion among them: a diagnostic after it belongs to this round
    started: bool  # a diagnostic of this round exists (continue it)
    done: bool  # and it is finished


def refresher(track: Track, progress: Mapping[str, ModuleProgress], today: date, window_days: int,
              latest: AttemptFacts | None) -> Refresher | None:
    """None when the track has no refresher round now (not recurring, or nothing due again). `latest`: the
    person's latest diagnostic of the track."""
    if not track.recurrence_months:
        return None
    scope = tuple(m for m in track.modules if progress[m].last_completed_at is not None
                  and not done_for_now(progress[m], today, window_days))
    if not scope:
        return None
    round_start = max(progress[m].last_completed_at for m in scope)
    started = latest is not None and latest.started_at > round_start
    return Refresher(scope, round_start, started, started and latest.finished_at is not None)


def diagnostic_outcome(scope: Sequence[str], progress: Mapping[str, ModuleProgress]) -> tuple[list[str], list[str]]:
    """(the modules of the scope the diagnostic passed, those still to take)."""
    return ([m for m in scope if progress[m].via_diagnosis], [m for m in scope if not progress[m].via_diagnosis])


@dataclass(frozen=True)
class Booster:
    opens: date
    due: date
    done: bool  # a booster finished after the track was done
    offered: bool  # open, and not done
    overdue: bool = False  # offered after its due day: still worth doing, and said so


def booster(track: Track, progress: Mapping[str, StatusFacts], today: date, follow_up: FollowUp | None,
            latest: AttemptFacts | None) -> Booster | None:
    """The spaced booster after a track was done; None while it is not. `latest`: the latest booster attempt."""
    done_at = track_done_at(track, progress)
    if done_at is None:
        return None
    opens, due = booster_window(done_at.date(), follow_up)
    done = latest is not None and latest.finished_at is not None and latest.started_at > done_at
    offered = today >= opens and not done
    return Booster(opens, due, done, offered, offered and today > due)


def may_start_topic_quiz(kind: str, offered_refresher: Refresher | None, offered_booster: Booster | None) -> bool:
    """A diagnostic while the track has a refresher round not yet done; a booster while it is offered."""
    if kind == "diagnostic":
        return offered_refresher is not None and not offered_refresher.done
    return kind == "booster" and offered_booster is not None and offered_booster.offered


def share(part: int, whole: int) -> float | None:
    """`part` of `whole` as a share, 0–1 (a percent is 0–100: 100 * share). None when `whole` is 0: nothing was
    counted, which is drawn "–", never 0 %. The one answer for every share in the code."""
    return part / whole if whole else None


REPORT_PERIODS = ("12m", "this_year", "last_year", "3y")  # the periods a manager's dashboard can show, in order


def report_period(today: date, period: str) -> tuple[date, date]:
    """The first and last day (both counted) of a dashboard period ending `today`: the last 12 months or 3 years
    in calendar months (as APT's periods, add_months: 12 months ago is the same day a year back), this calendar
    year so far, or last calendar year."""
    if period == "12m":
        return add_months(today, -12), today
    if period == "3y":
        return add_months(today, -36), today
    if period == "this_year":
        return date(today.year, 1, 1), today
    if period == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    raise ValueError(f"unknown period {period!r}; one of {REPORT_PERIODS}")
