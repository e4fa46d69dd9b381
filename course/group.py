"""Group mode for the workplace meeting (APT): a team plays a scenario together on one screen and votes from
their phones. Pure rules: join codes, the session's state as a function of its events, the choice a group
follows by default, and what a group session counts for.

A session is a list of events (progress.group_sessions stores them, numbered per session), never a row that is
updated: where the group stands is derived by replaying them, so a session survives a server restart and an
old or doubled request is recognised for what it is.

Steps. `step_no` numbers the showings of a node: 0 for the start, one more for every move (a followed choice
or a step back), so a node shown again after a step back is a new step with a fresh vote. Every action of the
facilitator names the step it was made on; an action on another step is stale (`StaleStep`), and the same
action on the same step again is a duplicate (`already_done`) that changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Mapping, Sequence, get_args

from course.content.loader import Course
from course.content.schema import GroupSessions, Module, Node, Scenario
from course.play import InvalidStep
from course.plain import typed_code

# No 0/O, no 1/I/L: a code read off the meeting room's screen and typed on a phone cannot be misread.
# 31 symbols, 6 of them: about 887 million codes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
JOIN_HOURS = 12  # a session not ended takes new participants this long after it started (a meeting, not a month)

Kind = Literal["started", "node_shown", "revealed", "choice_followed", "stepped_back", "attendance_confirmed",
               "ended"]
KINDS: tuple[str, ...] = get_args(Kind)
CountsFor = Literal["scenario_part", "nothing"]
SCENARIO_PART: CountsFor = "scenario_part"
NOTHING: CountsFor = "nothing"


class StaleStep(InvalidStep):
    """The action does not fit where the session is (another step, votes already revealed, an ended session):
    a stale screen or a click that raced another. Nothing was written."""

    def __init__(self, detail: str):
        super().__init__("Gruppövningen har redan gått vidare eller sidan var inaktuell. Sidan visar nu var ni är.")
        self.detail = detail


class StillRunning(InvalidStep):
    """Attendance is confirmed once the session has ended."""

    def __init__(self):
        super().__init__("Avsluta gruppövningen innan du bekräftar vilka som var med.")
        self.detail = "the session has not ended"


# --- join codes ----------------------------------------------------------------------------------------------

def new_code(rng: random.Random) -> str:
    """A join code: CODE_LENGTH symbols of ALPHABET (pass random.SystemRandom() outside tests)."""
    return "".join(rng.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: object) -> str:
    """What a person types, as stored (read as certificate codes are: course.plain.typed_code)."""
    return typed_code(code)


def format_code(code: str) -> str:
    """For the screen: two groups of three, easier to read aloud and type."""
    return f"{code[:3]} {code[3:]}" if len(code) == CODE_LENGTH else code


def may_be_code(code: str) -> bool:
    """A normalised code that could have been made by new_code (anything else needs no look-up)."""
    return len(code) == CODE_LENGTH and all(symbol in ALPHABET for symbol in code)


def joinable(started_at: datetime, ended_at: datetime | None, now: datetime) -> bool:
    """A session takes participants by its code until it ends, and at most JOIN_HOURS after it started."""
    return ended_at is None and now <= started_at + timedelta(hours=JOIN_HOURS)


def module_of(course: Course, scenario_id: str) -> Module | None:
    """The module (an original or a translation) whose scenarios include `scenario_id`."""
    return next((module for module in course.modules.values() if scenario_id in module.scenarios), None)


# --- events and state ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupEvent:
    kind: Kind
    step_no: int
    node_id: str  # the node shown at that step (for node_shown: the node now shown)
    choice_index: int | None = None  # choice_followed: the choice, an index into node.choices
    tally: tuple[int, ...] | None = None  # revealed: the votes per choice index at the moment of reveal


@dataclass(frozen=True)
class GroupState:
    node_id: str  # the node on the screen
    step_no: int  # the current step (see the module's docstring)
    path: tuple[str, ...]  # the nodes from the start to the current one
    followed: tuple[tuple[str, int], ...]  # (node id, choice index) the group followed on the way here
    revealed: bool  # the current step's votes are shown
    tally: tuple[int, ...] | None  # and these were they, when revealed
    ended: bool
    attendance_confirmed: int = 0  # how many times the facilitator confirmed attendance
    moving: bool = False  # a move (or the start) is recorded and its node_shown is still to come (in replay only)

    @property
    def depth(self) -> int:
        """How many choices the group has followed to get here (a step back takes one away)."""
        return len(self.followed)


def replay(scenario: Scenario, events: Sequence[GroupEvent]) -> GroupState:
    """The session's state after `events` (in their order). An event that does not fit the scenario or the
    state before it raises InvalidStep: the record is inconsistent, or belongs to other content."""
    if not events or events[0].kind != "started":
        raise InvalidStep("en gruppövning börjar med 'started'")
    state: GroupState | None = None
    for event in events:
        state = apply(scenario, state, event)
    assert state is not None
    if state.moving:  # a move and the node it shows are written together
        raise InvalidStep(f"steg {state.step_no}: ett drag utan 'node_shown'")
    return state


def apply(scenario: Scenario, state: GroupState | None, event: GroupEvent) -> GroupState:
    """One event on top of `state` (None before 'started')."""
    if event.kind == "started":
        if state is not None or event.node_id != scenario.start or event.step_no != 0:
            raise InvalidStep("'started' kommer först, vid startnoden, steg 0")
        return GroupState(scenario.start, -1, (scenario.start,), (), False, None, False, moving=True)
    if state is None:
        raise InvalidStep(f"'{event.kind}' före 'started'")
    if event.kind == "node_shown":  # shows the node a move (or the start) leads to, as the next step
        if not state.moving or event.node_id != state.path[-1] or event.step_no != state.step_no + 1:
            raise InvalidStep(f"'node_shown' steg {event.step_no} ({event.node_id}) följer inte på steg "
                              f"{state.step_no} ({state.path[-1]})")
        return replace(state, node_id=event.node_id, step_no=event.step_no, revealed=False, tally=None,
                       moving=False)
    if event.kind == "attendance_confirmed":
        if not state.ended:
            raise InvalidStep("närvaron bekräftas när övningen är avslutad")
        return replace(state, attendance_confirmed=state.attendance_confirmed + 1)
    _check_step(state, event.step_no, event.node_id)
    # the other events are checked by the action that writes them: the record holds only what it would write
    if event.kind == "revealed":
        reveal_events(scenario, state, event.step_no, event.tally if event.tally is not None else ())
        return replace(state, revealed=True, tally=tuple(event.tally))
    if event.kind == "choice_followed":
        _, shown = follow_events(scenario, state, event.step_no, event.choice_index)
        return replace(state, path=state.path + (shown.node_id,),
                       followed=state.followed + ((state.node_id, event.choice_index),), moving=True)
    if event.kind == "stepped_back":
        back_events(state, event.step_no)
        return replace(state, path=state.path[:-1], followed=state.followed[:-1], moving=True)
    if event.kind == "ended":
        return replace(state, ended=True)
    raise InvalidStep(f"okänd händelse '{event.kind}'")


def _check_step(state: GroupState, step_no: int, node_id: str | None = None) -> None:
    """The facilitator's action belongs to the current step of a running session, and nothing moved since."""
    if state.ended:
        raise StaleStep("gruppövningen är avslutad")
    if step_no != state.step_no or state.moving:
        raise StaleStep(f"steg {step_no} är inte det aktuella ({state.step_no})")
    if node_id is not None and node_id != state.node_id:
        raise StaleStep(f"steg {step_no} visar '{state.node_id}', inte '{node_id}'")


# --- what the facilitator's actions write ------------------------------------------------------------------------

def start_events(scenario: Scenario) -> list[GroupEvent]:
    return [GroupEvent("started", 0, scenario.start), GroupEvent("node_shown", 0, scenario.start)]


def reveal_events(scenario: Scenario, state: GroupState, step_no: int, tally: Sequence[int]) -> list[GroupEvent]:
    """Close the current step's vote and show its counts (`tally`, per choice index)."""
    node = _choice_point(scenario, state, step_no)
    if state.revealed:
        raise StaleStep(f"rösterna i steg {step_no} visas redan")
    if len(tally) != len(node.choices) or not all(isinstance(n, int) and n >= 0 for n in tally):
        raise InvalidStep(f"steg {step_no}: rösterna räknas per val ({len(node.choices)}), inte {list(tally)}")
    return [GroupEvent("revealed", step_no, state.node_id, tally=tuple(tally))]


def follow_events(scenario: Scenario, state: GroupState, step_no: int, choice_index: int) -> list[GroupEvent]:
    """The group follows `choice_index` (any of the node's choices, a poor one too, to talk about where it
    leads), after its votes are revealed; the next node is shown as a new step."""
    node = _choice_point(scenario, state, step_no)
    if not state.revealed:
        raise StaleStep(f"visa rösterna i steg {step_no} innan gruppen går vidare")
    _check_choice(state, node, choice_index)
    return [GroupEvent("choice_followed", step_no, state.node_id, choice_index),
            GroupEvent("node_shown", step_no + 1, node.choices[choice_index].next)]


def back_events(state: GroupState, step_no: int) -> list[GroupEvent]:
    """Undo the last followed choice: the node before is shown again, as a new step with a fresh vote."""
    _check_step(state, step_no)
    if not state.followed:
        raise StaleStep("gruppen står vid starten")
    return [GroupEvent("stepped_back", step_no, state.node_id), GroupEvent("node_shown", step_no + 1,
                                                                           state.followed[-1][0])]


def end_events(state: GroupState) -> list[GroupEvent]:
    """End the session wherever it stands (at an ending, or when the meeting runs out of time)."""
    if state.ended:
        return []
    return [GroupEvent("ended", state.step_no, state.node_id)]


def attendance_events(state: GroupState) -> list[GroupEvent]:
    """Confirming who took part, once the session has ended (StillRunning before)."""
    if not state.ended:
        raise StillRunning()
    return [GroupEvent("attendance_confirmed", state.step_no, state.node_id)]


def already_done(events: Sequence[GroupEvent], kind: str, step_no: int, choice_index: int | None = None) -> bool:
    """The same action on the same step is in the record: a double click or a repeated request."""
    return any(event.kind == kind and event.step_no == step_no and event.choice_index == choice_index
               for event in events)


def ending_of(scenario: Scenario, state: GroupState) -> str | None:
    """The ending the group reached ('bra', 'delvis', 'svag'), or None while it is at a choice point."""
    node = scenario.nodes.get(state.node_id)
    return node.ending if node is not None else None


# --- votes ---------------------------------------------------------------------------------------------------

def check_vote(scenario: Scenario, state: GroupState, step_no: int, choice_index: int) -> None:
    """A vote counts only at the current step of a running session, at a choice point, before the reveal, for
    one of the node's choices; anything else is stale (the phone showed an old step)."""
    node = _choice_point(scenario, state, step_no)
    if state.revealed:
        raise StaleStep(f"rösterna i steg {step_no} är redan visade")
    _check_choice(state, node, choice_index)


def _choice_point(scenario: Scenario, state: GroupState, step_no: int) -> Node:
    """The current node, when `step_no` is the current step and the node a decision (an ending has no vote)."""
    _check_step(state, step_no)
    node = scenario.nodes[state.node_id]
    if node.is_ending:
        raise StaleStep(f"'{state.node_id}' är ett slut; där röstar och väljer ingen")
    return node


def _check_choice(state: GroupState, node: Node, choice_index: object) -> None:
    if not isinstance(choice_index, int) or isinstance(choice_index, bool) or not 0 <= choice_index < len(node.choices):
        raise StaleStep(f"noden '{state.node_id}' har inget val nummer {choice_index!r}")


def default_choice(tally: Sequence[int] | Mapping[int, int], shown_order: Sequence[int]) -> int | None:
    """The choice the group follows unless the facilitator picks another: the most voted, a tie going to the
    one shown first; None when nobody voted."""
    counts = dict(tally) if isinstance(tally, Mapping) else dict(enumerate(tally))
    most = max(counts.values(), default=0)
    if most <= 0:
        return None
    order = list(shown_order) + sorted(index for index in counts if index not in shown_order)
    return next(index for index in order if counts.get(index, 0) == most)


# --- what a group session counts for ---------------------------------------------------------------------------

def counts_for(config: GroupSessions, module_id: str) -> CountsFor:
    """What a confirmed group session of a module's scenario counts for (config/tracks.yaml, group_sessions:):
    'scenario_part' (by default: the module's scenario part is done; the individual quiz is still needed) or
    'nothing'. `module_id` is the original module (a record keeps the original, as completions do)."""
    return config.modules.get(module_id, config.counts_for)
