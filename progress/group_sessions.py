"""Group sessions at the workplace meeting (APT), in the store: a facilitator leads a unit through a scenario on
one screen, participants join by a code and vote from their phones, and at the end the facilitator confirms who
took part. The rules are course/group.py's; this module checks who may do what, and writes.

Every write is one transaction (db.write). A session is its events (group_events), replayed on every read and
before every write, so it survives a server restart and any server can serve it. Each of the facilitator's
actions names the step it was made on: the same action on the same step again (a double click) changes nothing,
an action on another step is stale (StaleStep) and writes nothing. Actions on one session are serialised by a
lock on its row; votes share that lock among themselves, so a reveal waits for the votes under way and a vote
after it sees it.

Votes are anonymous, the database included (see the tables in progress/models.py): a vote adds one to a count
and leaves a ballot that says only that the person voted at that step; the ballots go when the vote closes.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, Literal

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from course import group, play
from course.content.loader import Course
from course.content.schema import Scenario
from i18n import LANGUAGES
from progress.access import is_admin_in, require_person
from progress.attempts import Attempts, utcnow
from progress.db import Database, insert_for
from progress.facilitators import may_lead_in
from progress.models import (GroupBallot, GroupParticipant, GroupSession, GroupSessionEvent, GroupSessionRecord,
                             GroupVoteCount, Person, Unit)
from progress.preferences import UnknownLanguage
from progress.unit_tree import unit_and_below_query
from progress.viewer import NotPermitted, Viewer, employed_sql, is_employed, require_employed

StaleStep = group.StaleStep  # an action or a vote on a step the session is not at: nothing was written
StillRunning = group.StillRunning  # attendance is confirmed after the end
_RANDOM = random.SystemRandom()  # join codes a participant cannot guess from the last one


class UnknownCode(ValueError):
    def __init__(self, code: str):
        super().__init__(f"Det finns ingen pågående gruppövning med koden {code or '(tom)'}. "
                         "Kontrollera koden på skärmen och skriv den igen.")
        self.code = code


class UnknownScenario(ValueError):
    def __init__(self, scenario_id: str):
        super().__init__(f"Scenariot {scenario_id!r} finns inte i någon modul; välj ett annat.")
        self.scenario_id = scenario_id


# --- what the screens show -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupSessionView:
    """The facilitator's screen. Before the reveal only the number of votes, never how they fall."""

    id: int
    code: str
    facilitator_id: str
    unit_id: str
    module_id: str  # the original module
    scenario_id: str
    content_version: str
    language: str
    started_at: datetime
    ended_at: datetime | None
    step_no: int  # what the next action names (course/group.py: a new number for every move)
    node_id: str
    path: tuple[str, ...]  # the nodes from the start to this one
    followed: tuple[tuple[str, int], ...]  # (node id, choice index) followed on the way
    choice_order: tuple[int, ...]  # the node's choices as the screen and the phones show them; () at an ending
    ending: str | None  # the node is an ending: 'bra', 'delvis' or 'svag'
    participants: int  # joined so far
    votes: int  # votes at this step so far
    revealed: bool
    tally: tuple[int, ...] | None  # votes per choice index, once revealed
    default_choice: int | None  # the most voted (ties: the first shown), once revealed; None without votes
    confirmed: int  # people confirmed as having taken part

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def can_go_back(self) -> bool:
        return bool(self.followed) and not self.ended

    @property
    def printed_code(self) -> str:
        return group.format_code(self.code)


@dataclass(frozen=True)
class ParticipantView:
    """A participant's phone: the same node and order as the screen, and whether this person has voted at this
    step, never what."""

    session_id: int
    scenario_id: str
    language: str
    step_no: int  # what a vote names
    node_id: str
    followed: tuple[tuple[str, int], ...]
    choice_order: tuple[int, ...]
    ending: str | None
    revealed: bool
    tally: tuple[int, ...] | None  # once revealed, as on the screen
    ended: bool
    voted: bool | None  # while the vote is open; None once it has closed (its ballots are gone)


@dataclass(frozen=True)
class JoinResult:
    session_id: int
    status: Literal["joined", "already_joined"]


@dataclass(frozen=True)
class AttendanceLine:
    person_id: str
    name: str  # untrusted text (from the HR file): draw it as text
    in_unit: bool  # one of the unit's people (the unit and the units under it)
    joined: bool  # joined by the code: ticked already
    confirmed: bool  # has a record of this session

    @property
    def ticked(self) -> bool:
        return self.joined or self.confirmed


@dataclass(frozen=True)
class AttendanceResult:
    confirmed: tuple[str, ...]  # everyone confirmed for the session, sorted
    added: tuple[str, ...]  # of them, those this call confirmed
    participants: int  # what each record now says


@dataclass(frozen=True)
class GroupRecord:
    """A person's record of a group session (what it counts for: course.group.counts_for)."""

    session_id: int
    person_id: str
    module_id: str
    scenario_id: str
    content_version: str
    held_on: date
    facilitator_id: str
    facilitator_name: str
    participants: int
    ending: str | None  # the ending the group reached; None when it ended before one
    confirmed_at: datetime


@dataclass(frozen=True)
class SessionSummary:
    id: int
    code: str
    unit_id: str
    scenario_id: str
    started_at: datetime
    ended_at: datetime | None
    confirmed: int


# --- the facilitator -----------------------------------------------------------------------------------------

def start(db: Database, course: Course, viewer_id: Viewer, unit_id: str, scenario_id: str, language: str,
          now: datetime) -> GroupSessionView:
    """Start a session of `scenario_id` for `unit_id`, led by the viewer, who must manage the unit (at any depth),
    hold a facilitator right for it or a unit above it (progress.facilitators), or be an admin. Writes 'started'
    and 'node_shown'. The viewer's open session of the same unit, scenario and language begun the same day is
    resumed instead (a double click, a reload of the start page)."""
    scenario = course.scenarios.get(scenario_id)
    module = group.module_of(course, scenario_id)
    if scenario is None or module is None:
        raise UnknownScenario(scenario_id)
    if language not in LANGUAGES:
        raise UnknownLanguage(language)
    today = now.date()

    def use_case(session: Session) -> GroupSessionView:
        if not isinstance(viewer_id, str):
            raise NotPermitted("a group session is led by a person")
        # one start at a time per facilitator: two at once would otherwise both find nothing to resume
        session.execute(select(Person.id).where(Person.id == viewer_id).with_for_update(key_share=True))
        require_employed(session, viewer_id, today)
        if session.get(Unit, unit_id) is None or not (may_lead_in(session, viewer_id, unit_id)
                                                      or is_admin_in(session, viewer_id, today)):
            raise NotPermitted(f"{viewer_id!r} may not lead group sessions for {unit_id!r}")
        row = session.scalars(select(GroupSession).where(
            GroupSession.facilitator_id == viewer_id, GroupSession.unit_id == unit_id,
            GroupSession.scenario_id == scenario_id, GroupSession.language == language,
            GroupSession.ended_at.is_(None), GroupSession.started_at >= datetime.combine(today, time()))
            .order_by(GroupSession.id.desc()).limit(1)).first()
        if row is not None:
            return _view(session, row, scenario, group.replay(scenario, _events(session, row.id)))
        row = GroupSession(code=group.new_code(_RANDOM), facilitator_id=viewer_id, unit_id=unit_id,
                           module_id=course.base_of(module.id), scenario_id=scenario_id,
                           content_version=course.module_version(module.id), language=language,
                           seed=secrets.randbelow(2**31), started_at=now)
        session.add(row)
        session.flush()  # a code already taken fails here, and the start is tried again with a new one
        state = _append(session, row, scenario, [], None, group.start_events(scenario), now)
        return _view(session, row, scenario, state)

    return db.write_again_on_conflict(use_case, tries=4)  # a join code already taken: draw another


def reveal(db: Database, course: Course, viewer_id: Viewer, session_id: int, step_no: int,
           now: datetime | None = None) -> GroupSessionView:
    """Close the vote at `step_no` and show how it fell (the counts go into the 'revealed' event)."""

    def action(session: Session, row: GroupSession, scenario: Scenario, events, state) -> list[group.GroupEvent]:
        if group.already_done(events, "revealed", step_no):
            return []
        counts = _counts(session, row.id, step_no)
        tally = [counts.get(index, 0) for index in range(len(scenario.nodes[state.node_id].choices))]
        return group.reveal_events(scenario, state, step_no, tally)

    return _act(db, course, viewer_id, session_id, now, action)


def follow(db: Database, course: Course, viewer_id: Viewer, session_id: int, step_no: int, choice_index: int,
           now: datetime | None = None) -> GroupSessionView:
    """The group follows `choice_index` at `step_no` (any choice of the node, a poor one on purpose too); the
    votes must have been revealed. The next node is shown as step `step_no` + 1."""

    def action(session: Session, row: GroupSession, scenario: Scenario, events, state) -> list[group.GroupEvent]:
        if group.already_done(events, "choice_followed", step_no, choice_index):
            return []
        return group.follow_events(scenario, state, step_no, choice_index)

    return _act(db, course, viewer_id, session_id, now, action)


def back(db: Database, course: Course, viewer_id: Viewer, session_id: int, step_no: int,
         now: datetime | None = None) -> GroupSessionView:
    """Undo the last followed choice: the node before is shown again, as a new step with a fresh vote."""

    def action(session: Session, row: GroupSession, scenario: Scenario, events, state) -> list[group.GroupEvent]:
        if group.already_done(events, "stepped_back", step_no):
            return []
        return group.back_events(state, step_no)

    return _act(db, course, viewer_id, session_id, now, action)


def end(db: Database, course: Course, viewer_id: Viewer, session_id: int,
        now: datetime | None = None) -> GroupSessionView:
    """End the session where it stands (at an ending, or when the meeting runs out of time); once more changes
    nothing. Nobody can join or vote after it."""
    return _act(db, course, viewer_id, session_id, now, lambda session, row, scenario, events, state:
                group.end_events(state))


def end_abandoned_in(session: Session, course: Course, now: datetime) -> int:
    """End, inside the caller's transaction, every session still open JOIN_HOURS after it started (a meeting that
    ran out without "Avsluta"): nobody can join or vote any more, and its open vote's ballots, which say who voted
    at that step, are deleted with it. The retention job runs it (progress.privacy.run). Returns how many ended.
    A session whose scenario has left the content is closed without a last event (there is nothing to replay)."""
    cutoff = now - timedelta(hours=group.JOIN_HOURS)
    ended = 0
    for row in session.scalars(select(GroupSession).where(GroupSession.ended_at.is_(None),
                                                          GroupSession.started_at < cutoff)
                               .order_by(GroupSession.id).with_for_update()):
        scenario = course.scenarios.get(row.scenario_id)
        if scenario is None:
            session.execute(delete(GroupBallot).where(GroupBallot.session_id == row.id))
            row.ended_at = now
        else:
            events = _events(session, row.id)
            state = group.replay(scenario, events)
            _append(session, row, scenario, events, state, group.end_events(state), now)
        ended += 1
    return ended


def confirm_attendance(db: Database, course: Course, viewer_id: Viewer, session_id: int,
                       person_ids: Iterable[str], now: datetime) -> AttendanceResult:
    """Give each of `person_ids` a record of the ended session (StillRunning before it ends). Only people on the
    attendance list (the unit's, and whoever joined, employed today) may be confirmed: anyone else refuses the
    whole call (NotPermitted) and nothing is written. Confirming someone again changes nothing; confirming more
    people later adds their records, and every record of the session then says the new number of participants."""
    wanted = list(dict.fromkeys(person_ids))
    today = now.date()

    def use_case(session: Session) -> AttendanceResult:
        row = _locked(session, session_id)
        _require_control(session, viewer_id, row, today)
        scenario = _scenario(course, row)
        events = _events(session, row.id)
        state = group.replay(scenario, events)
        confirm = group.attendance_events(state)
        allowed = {line.person_id for line in _attendance(session, row, today)}
        refused = [person_id for person_id in wanted if person_id not in allowed]
        if refused:
            raise NotPermitted(f"not on the attendance list of session {row.id}: {refused}")
        already = set(session.scalars(select(GroupSessionRecord.person_id)
                                      .where(GroupSessionRecord.session_id == row.id)))
        added = [person_id for person_id in wanted if person_id not in already]
        total = len(already) + len(added)
        if added:
            session.add_all([GroupSessionRecord(
                session_id=row.id, person_id=person_id, module_id=row.module_id, scenario_id=row.scenario_id,
                content_version=row.content_version, held_on=row.started_at.date(), facilitator_id=row.facilitator_id,
                participants=total, ending=group.ending_of(scenario, state), confirmed_at=now) for person_id in added])
            session.flush()
            session.execute(update(GroupSessionRecord).where(GroupSessionRecord.session_id == row.id)
                            .values(participants=total))
            _append(session, row, scenario, events, state, confirm, now)
            # where the module counts group sessions: the round starts (the module state, the dashboard), and one
            # who had passed this round's quiz already completes the module, in this transaction
            progress = Attempts(db, course, clock=lambda: now)
            for person_id in added:
                progress.group_session_confirmed(session, person_id, row.scenario_id, now)
        return AttendanceResult(tuple(sorted(already | set(added))), tuple(added), total)

    return db.write_again_on_conflict(use_case)


# --- participants --------------------------------------------------------------------------------------------

def join(db: Database, viewer_id: Viewer, code: str, now: datetime) -> JoinResult:
    """An employed person joins the open session with this code (any case; spaces and dashes ignored); joining
    again (a reload, a lost connection) changes nothing. An unknown, ended or stale code raises UnknownCode."""
    code = group.normalise(code)

    def use_case(session: Session) -> JoinResult:
        if not isinstance(viewer_id, str):
            raise NotPermitted("a person joins a group session")
        require_employed(session, viewer_id, now.date())
        row = session.scalars(select(GroupSession).where(GroupSession.code == code)).first() \
            if group.may_be_code(code) else None
        if row is None or not group.joinable(row.started_at, row.ended_at, now):
            raise UnknownCode(code)
        inserted = _inserted(session, insert_for(session, GroupParticipant).values(
            session_id=row.id, person_id=viewer_id, joined_at=now), GroupParticipant.session_id)
        return JoinResult(row.id, "joined" if inserted else "already_joined")

    return db.write(use_case)


def vote(db: Database, course: Course, viewer_id: Viewer, session_id: int, step_no: int, choice_index: int,
         now: datetime | None = None) -> Literal["counted", "already_voted"]:
    """A participant's vote at `step_no` (the current step, before the reveal; StaleStep otherwise). One vote
    per person and step: a second, also for another choice, is not counted ("already_voted")."""
    today = (now or utcnow()).date()

    def use_case(session: Session) -> Literal["counted", "already_voted"]:
        row = _locked(session, session_id, shared=True)
        _require_participant(session, viewer_id, row.id, today)
        scenario = _scenario(course, row)
        group.check_vote(scenario, group.replay(scenario, _events(session, row.id)), step_no, choice_index)
        ballot = insert_for(session, GroupBallot).values(session_id=row.id, step_no=step_no, person_id=viewer_id)
        if not _inserted(session, ballot, GroupBallot.session_id):
            return "already_voted"
        counted = session.execute(update(GroupVoteCount).where(
            GroupVoteCount.session_id == row.id, GroupVoteCount.step_no == step_no,
            GroupVoteCount.choice_index == choice_index).values(count=GroupVoteCount.count + 1)).rowcount
        if counted != 1:  # every choice's count is made when its node is shown; without it, nothing is written
            raise StaleStep(f"steg {step_no} har ingen räkning för val {choice_index}")
        return "counted"

    return db.write(use_case)


# --- reads ---------------------------------------------------------------------------------------------------

def view(db: Database, course: Course, viewer_id: Viewer, session_id: int,
         today: date | None = None) -> GroupSessionView:
    """What the facilitator's screen shows; for the facilitator (while they manage the unit) and admins."""
    today = today or date.today()
    with db.read() as session:
        row = _row(session, session_id)
        _require_control(session, viewer_id, row, today)
        scenario = _scenario(course, row)
        return _view(session, row, scenario, group.replay(scenario, _events(session, row.id)))


def participant_view(db: Database, course: Course, viewer_id: Viewer, session_id: int,
                     today: date | None = None) -> ParticipantView:
    """What a participant's phone shows; for those who joined. A phone that lost its connection reads this again
    and is at the current node."""
    today = today or date.today()
    with db.read() as session:
        row = _row(session, session_id)
        _require_participant(session, viewer_id, row.id, today)
        scenario = _scenario(course, row)
        state = group.replay(scenario, _events(session, row.id))
        node = scenario.nodes[state.node_id]
        voting = not (state.ended or state.revealed or node.is_ending)
        voted = session.scalar(select(exists().where(
            GroupBallot.session_id == row.id, GroupBallot.step_no == state.step_no,
            GroupBallot.person_id == viewer_id))) if voting else None
        return ParticipantView(row.id, row.scenario_id, row.language, state.step_no, state.node_id, state.followed,
                               _order(scenario, row, state), node.ending, state.revealed,
                               state.tally if state.revealed else None, state.ended,
                               None if voted is None else bool(voted))


def attendance_list(db: Database, viewer_id: Viewer, session_id: int, today: date) -> list[AttendanceLine]:
    """The unit's people employed on `today` (the unit and the units under it) and whoever joined, by name; those
    who joined are ticked. For the facilitator and admins."""
    with db.read() as session:
        row = _row(session, session_id)
        _require_control(session, viewer_id, row, today)
        return _attendance(session, row, today)


def records_of(db: Database, viewer_id: Viewer, person_id: str, today: date | None = None) -> list[GroupRecord]:
    """A person's records of group sessions, oldest first: for the person, their manager and admins."""
    today = today or date.today()
    with db.read() as session:
        require_person(session, viewer_id, person_id, today, manager=True, admin=True)
        rows = session.execute(select(GroupSessionRecord, Person.name)
                               .join(Person, Person.id == GroupSessionRecord.facilitator_id)
                               .where(GroupSessionRecord.person_id == person_id)
                               .order_by(GroupSessionRecord.held_on, GroupSessionRecord.id))
        return [GroupRecord(r.session_id, r.person_id, r.module_id, r.scenario_id, r.content_version, r.held_on,
                            r.facilitator_id, name, r.participants, r.ending, r.confirmed_at) for r, name in rows]


def sessions_led(db: Database, viewer_id: Viewer, today: date | None = None, limit: int = 20) -> list[SessionSummary]:
    """The viewer's own sessions, newest first (the page finds the one under way after a reload)."""
    today = today or date.today()
    with db.read() as session:
        require_employed(session, viewer_id, today)
        confirmed = (select(func.count()).select_from(GroupSessionRecord)
                     .where(GroupSessionRecord.session_id == GroupSession.id)
                     .correlate(GroupSession).scalar_subquery())
        rows = session.execute(select(GroupSession, confirmed).where(GroupSession.facilitator_id == viewer_id)
                               .order_by(GroupSession.started_at.desc(), GroupSession.id.desc()).limit(limit))
        return [SessionSummary(r.id, r.code, r.unit_id, r.scenario_id, r.started_at, r.ended_at, count)
                for r, count in rows]


# --- inside ----------------------------------------------------------------------------------------------------

def _inserted(session: Session, statement, column) -> bool:
    """Insert the row unless its key is there already (a concurrent insert of it waits, then finds it): whether
    this statement inserted it. RETURNING, since a driver's rowcount of an insert is not to be relied on."""
    return session.execute(statement.on_conflict_do_nothing().returning(column)).first() is not None


def _act(db: Database, course: Course, viewer_id: Viewer, session_id: int, now: datetime | None,
         action: Callable[..., list[group.GroupEvent]]) -> GroupSessionView:
    """One of the facilitator's actions: lock the session, check the right, replay, write what `action` returns
    (nothing for a duplicate), and return the screen as it is now."""
    now = now or utcnow()

    def use_case(session: Session) -> GroupSessionView:
        row = _locked(session, session_id)
        _require_control(session, viewer_id, row, now.date())
        scenario = _scenario(course, row)
        events = _events(session, row.id)
        state = group.replay(scenario, events)
        state = _append(session, row, scenario, events, state, action(session, row, scenario, events, state), now)
        return _view(session, row, scenario, state)

    return db.write_again_on_conflict(use_case)


def _append(session: Session, row: GroupSession, scenario: Scenario, events: list[group.GroupEvent],
            state: group.GroupState | None, new: list[group.GroupEvent], now: datetime) -> group.GroupState:
    """Write `new` after `events`, each checked by replaying it; a node shown gets a count of 0 for each of its
    choices, and a vote that closes (revealed, a step back, the end) takes its ballots with it."""
    for seq, event in enumerate(new, start=len(events)):
        state = group.apply(scenario, state, event)
        session.add(GroupSessionEvent(session_id=row.id, seq=seq, kind=event.kind, step_no=event.step_no,
                                      node_id=event.node_id, choice_index=event.choice_index,
                                      tally=json.dumps(list(event.tally)) if event.tally is not None else None,
                                      at=now))
        if event.kind == "node_shown":
            session.add_all([GroupVoteCount(session_id=row.id, step_no=event.step_no, choice_index=index, count=0)
                             for index in range(len(scenario.nodes[event.node_id].choices))])
        elif event.kind in ("revealed", "stepped_back", "ended"):
            session.execute(delete(GroupBallot).where(GroupBallot.session_id == row.id))
        if event.kind == "ended":
            row.ended_at = now
    session.flush()
    assert state is not None
    return state


def _view(session: Session, row: GroupSession, scenario: Scenario, state: group.GroupState) -> GroupSessionView:
    counts = _counts(session, row.id, state.step_no)
    participants = session.scalar(select(func.count()).select_from(GroupParticipant)
                                  .where(GroupParticipant.session_id == row.id))
    confirmed = session.scalar(select(func.count()).select_from(GroupSessionRecord)
                               .where(GroupSessionRecord.session_id == row.id))
    order = _order(scenario, row, state)
    tally = state.tally if state.revealed else None
    return GroupSessionView(row.id, row.code, row.facilitator_id, row.unit_id, row.module_id, row.scenario_id,
                            row.content_version, row.language, row.started_at, row.ended_at, state.step_no,
                            state.node_id, state.path, state.followed, order, scenario.nodes[state.node_id].ending,
                            participants, sum(counts.values()), state.revealed, tally,
                            group.default_choice(tally, order) if tally is not None else None, confirmed)


def _order(scenario: Scenario, row: GroupSession, state: group.GroupState) -> tuple[int, ...]:
    """The order of the current node's choices in this session: the same on the screen and every phone."""
    if scenario.nodes[state.node_id].is_ending:
        return ()
    return play.choice_order(scenario, state.node_id, row.seed)


def _counts(session: Session, session_id: int, step_no: int) -> dict[int, int]:
    return dict(session.execute(select(GroupVoteCount.choice_index, GroupVoteCount.count).where(
        GroupVoteCount.session_id == session_id, GroupVoteCount.step_no == step_no)).all())


def _events(session: Session, session_id: int) -> list[group.GroupEvent]:
    rows = session.execute(select(GroupSessionEvent.kind, GroupSessionEvent.step_no, GroupSessionEvent.node_id,
                                  GroupSessionEvent.choice_index, GroupSessionEvent.tally)
                           .where(GroupSessionEvent.session_id == session_id).order_by(GroupSessionEvent.seq))
    return [group.GroupEvent(kind, step_no, node_id, choice_index, tuple(json.loads(tally)) if tally else None)
            for kind, step_no, node_id, choice_index, tally in rows]


def _row(session: Session, session_id: int) -> GroupSession:
    row = session.get(GroupSession, session_id) if isinstance(session_id, int) else None
    if row is None:
        raise NotPermitted(f"no group session {session_id!r}")  # as for one the viewer may not see
    return row


def _locked(session: Session, session_id: int, shared: bool = False) -> GroupSession:
    """The session's row, locked until the transaction ends: shared by votes (they run side by side), for an
    update by the facilitator's actions (one at a time, and not while a vote is under way). No-op on SQLite,
    whose write transactions run one at a time anyway (BEGIN IMMEDIATE)."""
    row = session.scalars(select(GroupSession).where(GroupSession.id == session_id)
                          .with_for_update(read=shared, key_share=not shared)).first() \
        if isinstance(session_id, int) else None
    if row is None:
        raise NotPermitted(f"no group session {session_id!r}")
    return row


def _scenario(course: Course, row: GroupSession) -> Scenario:
    scenario = course.scenarios.get(row.scenario_id)
    if scenario is None:
        raise UnknownScenario(row.scenario_id)
    return scenario


def _require_control(session: Session, viewer_id: Viewer, row: GroupSession, today: date) -> None:
    """The session's facilitator, employed and still managing its unit or holding a right for it (a right taken
    away ends their control, as ceasing to manage it does), or an admin (the operator too)."""
    if not is_employed(session, viewer_id, today):
        raise NotPermitted(f"{viewer_id!r} is not employed on {today}")
    if viewer_id == row.facilitator_id and may_lead_in(session, viewer_id, row.unit_id):
        return
    if not is_admin_in(session, viewer_id, today):
        raise NotPermitted(f"{viewer_id!r} does not lead group session {row.id}")


def _require_participant(session: Session, viewer_id: Viewer, session_id: int, today: date) -> None:
    if not isinstance(viewer_id, str) or not is_employed(session, viewer_id, today) or session.get(
            GroupParticipant, (session_id, viewer_id)) is None:
        raise NotPermitted(f"{viewer_id!r} has not joined group session {session_id}")


def _attendance(session: Session, row: GroupSession, today: date) -> list[AttendanceLine]:
    """The unit's people (the unit and below) and whoever joined, employed on `today`, by name: one query."""
    in_unit = Person.unit_id.in_(unit_and_below_query(row.unit_id).scalar_subquery())
    joined = exists().where(GroupParticipant.session_id == row.id, GroupParticipant.person_id == Person.id)
    confirmed = exists().where(GroupSessionRecord.session_id == row.id, GroupSessionRecord.person_id == Person.id)
    rows = session.execute(select(Person.id, Person.name, in_unit, joined, confirmed).where(
        or_(in_unit, joined), employed_sql(today))
        .order_by(Person.name, Person.id))
    return [AttendanceLine(person_id, name, bool(unit), bool(came), bool(done))
            for person_id, name, unit, came, done in rows]


# --- reads for other store functions -------------------------------------------------------------------------

def person_records(session: Session, person_id: str) -> list[GroupRecord]:
    """Unchecked: for store functions that have checked the right themselves (progress.talk's summary). A
    person's records of group sessions, newest first, with the facilitator's name: one query, inside the
    caller's read."""
    rows = session.execute(select(GroupSessionRecord, Person.name)
                           .join(Person, Person.id == GroupSessionRecord.facilitator_id)
                           .where(GroupSessionRecord.person_id == person_id)
                           .order_by(GroupSessionRecord.held_on.desc(), GroupSessionRecord.id.desc()))
    return [GroupRecord(r.session_id, r.person_id, r.module_id, r.scenario_id, r.content_version, r.held_on,
                        r.facilitator_id, name, r.participants, r.ending, r.confirmed_at) for r, name in rows]
