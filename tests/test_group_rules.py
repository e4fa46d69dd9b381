"""Group mode's rules (course/group.py), pure: join codes, the session's state replayed from its events, stale and
repeated actions, the default choice, and what a group session counts for (config/tracks.yaml, lint E411)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from course import group
from course.content.loader import load_course
from course.content.schema import GroupSessions
from course.group import GroupEvent, StaleStep
from course.play import InvalidStep
from tests.conftest import PROJECT_ROOT, add_english_translation, loaded

TRACKS = "config/tracks.yaml"


@pytest.fixture(scope="module")
def middag(fixture_course):
    """start: 0 Tacka nej -> chefen, 1 Tacka ja -> slut-svag; chefen: 0 Ja -> slut-bra, 1 Nej -> slut-delvis."""
    return fixture_course.scenarios["prov-middag"]


def played(scenario, *moves) -> tuple[list[GroupEvent], group.GroupState]:
    """The events of a session after `moves`: ("reveal", tally), ("follow", choice), ("back",), ("end",)."""
    events = group.start_events(scenario)
    state = group.replay(scenario, events)
    for move in moves:
        if move[0] == "reveal":
            new = group.reveal_events(scenario, state, state.step_no, move[1])
        elif move[0] == "follow":
            new = group.follow_events(scenario, state, state.step_no, move[1])
        elif move[0] == "back":
            new = group.back_events(state, state.step_no)
        else:
            new = group.end_events(state)
        events += new
        state = group.replay(scenario, events)
    return events, state


# --- join codes ----------------------------------------------------------------------------------------------

def test_a_join_code_is_six_unambiguous_symbols():
    rng = random.Random(7)
    codes = {group.new_code(rng) for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 6 and group.may_be_code(code) for code in codes)
    assert not set("".join(codes)) & set("0O1IL")
    assert set("".join(codes)) == set(group.ALPHABET)
    assert group.new_code(random.Random(3)) == group.new_code(random.Random(3))  # the generator decides


@pytest.mark.parametrize("typed, stored", [("abc234", "ABC234"), (" ab-c 2\t34 ", "ABC234"), ("ABC–234", "ABC234"),
                                           ("", ""), (None, ""), (42, "")])
def test_a_typed_code_is_read_as_stored(typed, stored):
    assert group.normalise(typed) == stored


def test_codes_that_new_code_cannot_make_are_not_codes():
    assert not group.may_be_code("ABC23")  # too short
    assert not group.may_be_code("ABC2O4")  # O is not in the alphabet
    assert group.format_code("ABC234") == "ABC 234" and group.normalise(group.format_code("ABC234")) == "ABC234"


def test_a_session_takes_participants_while_it_runs_and_for_twelve_hours_at_most():
    started = datetime(2026, 12, 8, 13, 0)
    assert group.joinable(started, None, started + timedelta(hours=2))
    assert group.joinable(started, None, started + timedelta(hours=group.JOIN_HOURS))
    assert not group.joinable(started, None, started + timedelta(hours=group.JOIN_HOURS, minutes=1))
    assert not group.joinable(started, started + timedelta(hours=1), started + timedelta(hours=2))  # ended


# --- the state from the events --------------------------------------------------------------------------------

def test_a_session_starts_at_the_start_node_on_step_zero(middag):
    events, state = played(middag)
    assert [e.kind for e in events] == ["started", "node_shown"]
    assert (state.node_id, state.step_no, state.path, state.followed) == ("start", 0, ("start",), ())
    assert not state.revealed and state.tally is None and not state.ended and state.depth == 0


def test_a_whole_session_with_a_wrong_choice_a_step_back_and_the_right_way(middag):
    _, state = played(middag, ("reveal", (3, 1)), ("follow", 1))  # the facilitator follows the poor choice
    assert (state.node_id, state.step_no, state.followed) == ("slut-svag", 1, (("start", 1),))
    assert group.ending_of(middag, state) == "svag"
    _, state = played(middag, ("reveal", (3, 1)), ("follow", 1), ("back",))
    assert (state.node_id, state.step_no, state.path, state.followed) == ("start", 2, ("start",), ())
    assert not state.revealed and state.tally is None  # shown again: a new step, a fresh vote
    events, state = played(middag, ("reveal", (3, 1)), ("follow", 1), ("back",), ("reveal", (4, 0)), ("follow", 0),
                           ("reveal", (2, 2)), ("follow", 1), ("end",))
    assert (state.node_id, state.step_no, state.path) == ("slut-delvis", 4, ("start", "chefen", "slut-delvis"))
    assert state.followed == (("start", 0), ("chefen", 1)) and state.depth == 2
    assert state.ended and group.ending_of(middag, state) == "delvis"
    assert [e.step_no for e in events if e.kind == "node_shown"] == [0, 1, 2, 3, 4]
    assert [e.tally for e in events if e.kind == "revealed"] == [(3, 1), (4, 0), (2, 2)]


def test_the_tally_is_part_of_the_state_once_revealed(middag):
    _, state = played(middag, ("reveal", (0, 5)))
    assert state.revealed and state.tally == (0, 5) and state.step_no == 0


def test_the_group_moves_on_only_after_the_reveal(middag):
    _, state = played(middag)
    with pytest.raises(StaleStep):
        group.follow_events(middag, state, 0, 0)


@pytest.mark.parametrize("moves, action", [
    ((), lambda s, st: group.follow_events(s, st, 1, 0)),  # a step the session is not at
    ((("reveal", (1, 0)),), lambda s, st: group.reveal_events(s, st, 0, (1, 0))),  # revealed already
    ((("reveal", (1, 0)), ("follow", 0)), lambda s, st: group.reveal_events(s, st, 0, (1, 0))),  # an old step
    ((("reveal", (1, 0)), ("follow", 0)), lambda s, st: group.back_events(st, 0)),  # an old screen's "back"
    ((), lambda s, st: group.back_events(st, 0)),  # nothing to take back at the start
    ((("reveal", (1, 0)), ("follow", 1)), lambda s, st: group.reveal_events(s, st, 1, ())),  # an ending: no vote
    ((("reveal", (1, 0)), ("follow", 1)), lambda s, st: group.follow_events(s, st, 1, 0)),  # nowhere on from it
    ((("reveal", (1, 0)),), lambda s, st: group.follow_events(s, st, 0, 2)),  # a choice the node does not have
    ((("end",),), lambda s, st: group.reveal_events(s, st, 0, (1, 0))),  # ended
    ((("end",),), lambda s, st: group.back_events(st, 0)),
])
def test_a_stale_action_is_refused(middag, moves, action):
    _, state = played(middag, *moves)
    with pytest.raises(StaleStep) as refused:
        action(middag, state)
    assert "Sidan visar nu var ni är" in str(refused.value) and refused.value.detail


def test_ending_twice_writes_nothing_the_second_time(middag):
    _, state = played(middag, ("end",))
    assert group.end_events(state) == []


def test_the_same_action_on_the_same_step_is_recognised_as_done(middag):
    events, _ = played(middag, ("reveal", (1, 0)), ("follow", 0))
    assert group.already_done(events, "revealed", 0)
    assert group.already_done(events, "choice_followed", 0, 0)
    assert not group.already_done(events, "choice_followed", 0, 1)  # another choice on that step: stale, not done
    assert not group.already_done(events, "revealed", 1)


def test_attendance_is_confirmed_after_the_end(middag):
    _, running = played(middag)
    with pytest.raises(group.StillRunning):
        group.attendance_events(running)
    events, state = played(middag, ("end",))
    events += group.attendance_events(state)
    assert group.replay(middag, events).attendance_confirmed == 1


@pytest.mark.parametrize("events", [
    [],
    [GroupEvent("node_shown", 0, "start")],  # not started
    [GroupEvent("started", 0, "chefen")],  # not at the start node
    [GroupEvent("started", 0, "start"), GroupEvent("node_shown", 0, "chefen")],  # not the node the move leads to
    [GroupEvent("started", 0, "start"), GroupEvent("node_shown", 1, "start")],  # a step skipped
    [GroupEvent("started", 0, "start"), GroupEvent("node_shown", 0, "start"),
     GroupEvent("revealed", 0, "start", tally=(1,))],  # a tally without a count per choice
    [GroupEvent("started", 0, "start"), GroupEvent("node_shown", 0, "start"),
     GroupEvent("revealed", 0, "start", tally=(1, 0)), GroupEvent("choice_followed", 0, "start", 1)],  # not shown
    [GroupEvent("started", 0, "start"), GroupEvent("node_shown", 0, "start"), GroupEvent("surprise", 0, "start")],
    [GroupEvent("started", 0, "start"), GroupEvent("node_shown", 0, "start"),
     GroupEvent("attendance_confirmed", 0, "start")],  # before the end
])
def test_a_record_that_does_not_fit_the_scenario_is_refused(middag, events):
    with pytest.raises(InvalidStep):
        group.replay(middag, events)


def test_a_vote_counts_only_at_the_current_open_step_for_a_choice_of_the_node(middag):
    _, state = played(middag)
    group.check_vote(middag, state, 0, 1)
    for step_no, choice in ((1, 0), (0, 2), (0, -1), (0, True), (0, "0")):
        with pytest.raises(StaleStep):
            group.check_vote(middag, state, step_no, choice)
    for moves in ((("reveal", (0, 0)),), (("reveal", (0, 0)), ("follow", 1)), (("end",),)):
        _, closed = played(middag, *moves)
        with pytest.raises(StaleStep):
            group.check_vote(middag, closed, closed.step_no, 0)


# --- the default choice ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("tally, shown, expected", [
    ((1, 4, 2), (0, 1, 2), 1),  # the most voted
    ((3, 0, 3), (2, 1, 0), 2),  # a tie: the one shown first
    ((3, 0, 3), (0, 1, 2), 0),
    ((0, 0), (1, 0), None),  # nobody voted
    ((), (), None),
    ({2: 5, 0: 5}, (2, 0, 1), 2),  # counts by choice index
    ((1, 1), (), 0),  # an order that misses choices: file order for those
])
def test_the_default_choice_is_the_most_voted_ties_by_the_order_shown(tally, shown, expected):
    assert group.default_choice(tally, shown) == expected


# --- what a group session counts for ---------------------------------------------------------------------------

def test_by_default_a_group_session_counts_towards_the_scenario_part(fixture_course):
    assert fixture_course.group_sessions == GroupSessions()  # the fixture's tracks.yaml has no section
    assert group.counts_for(fixture_course.group_sessions, "prov") == group.SCENARIO_PART == "scenario_part"


def test_a_module_can_count_for_nothing():
    config = GroupSessions(counts_for="scenario_part", modules={"chefens-ansvar": "nothing"})
    assert group.counts_for(config, "chefens-ansvar") == group.NOTHING == "nothing"
    assert group.counts_for(config, "mutor") == "scenario_part"
    assert group.counts_for(GroupSessions(counts_for="nothing", modules={"mutor": "scenario_part"}), "larm") == "nothing"


def test_the_project_s_tracks_file_has_the_section(real_course):
    assert "group_sessions:" in (PROJECT_ROOT / TRACKS).read_text(encoding="utf-8")
    assert real_course.group_sessions.counts_for == "scenario_part"
    assert all(group.counts_for(real_course.group_sessions, module_id) in ("scenario_part", "nothing")
               for module_id in real_course.modules)


def test_the_module_of_a_scenario(fixture_course):
    assert group.module_of(fixture_course, "prov-middag").id == "prov"
    assert group.module_of(fixture_course, "nothing-such") is None


def append_section(root, text: str) -> int:
    """Add a group_sessions: section to the content's tracks file; the line its modules: entry stands on."""
    path = root / TRACKS
    before = path.read_text(encoding="utf-8")
    path.write_text(before + text, encoding="utf-8")
    return before.count("\n") + text.count("\n")


def test_lint_reports_an_unknown_module_in_group_sessions(content):
    line = append_section(content, "group_sessions:\n  modules:\n    pov: nothing\n")
    (problem,) = [p for p in load_course(content).problems if p.code == "E411"]
    assert (problem.path, problem.line) == (TRACKS, line)
    assert "'pov'" in problem.message and "prov" in problem.hint


def test_lint_reports_a_translation_in_group_sessions(content):
    add_english_translation(content)
    line = append_section(content, "group_sessions:\n  modules:\n    prov-en: nothing\n")
    (problem,) = load_course(content).problems
    assert (problem.path, problem.line, problem.code) == (TRACKS, line, "E411")
    assert "'prov'" in problem.hint


def test_a_valid_section_loads_and_a_wrong_value_is_a_schema_error(content):
    append_section(content, "group_sessions:\n  counts_for: scenario_part\n  modules:\n    prov: nothing\n")
    course = loaded(content)
    assert group.counts_for(course.group_sessions, "prov") == "nothing"
    path = content / TRACKS
    path.write_text(path.read_text(encoding="utf-8").replace("prov: nothing", "prov: none"), encoding="utf-8")
    codes = {p.code for p in load_course(content).problems}
    assert codes == {"E103"}, codes
