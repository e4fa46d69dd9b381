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


# --- what a confirmed group session counts for in the learner's round (course.rules.current_round) -------------

from dataclasses import dataclass, replace as replaced  # noqa: E402
from datetime import date  # noqa: E402

from course import rules  # noqa: E402
from course.rules import LastDone, Status  # noqa: E402

AT = datetime(2026, 3, 2, 12, 0)
HELD = date(2026, 3, 2)
NEVER = LastDone(None, None, False)


@dataclass(frozen=True)
class Rec:
    """A record of a confirmed group session as the rules read it."""

    scenario_id: str = "prov-middag"
    module_id: str = "prov"
    content_version: str = "v1"
    held_on: date = HELD
    ending: str | None = "bra"
    confirmed_at: datetime = AT


@dataclass(frozen=True)
class Att:
    """An attempt as the rules read it."""

    item_id: str
    kind: str = "scenario"
    started_at: datetime = AT + timedelta(hours=1)
    finished_at: datetime | None = AT + timedelta(hours=1)
    outcome: str | None = None
    score_percent: float | None = None
    content_version: str = "v1"
    module_id: str = "prov"


PASSED_QUIZ = Att("prov-fragor", "quiz", outcome=rules.PASSED, score_percent=100.0)


def group_round(module, records, attempts=(), done=NEVER, config=None, other_languages=None):
    return rules.current_round(module, "v1", done, attempts, other_languages, records, config)


def progress(current, today=HELD):
    return rules.module_progress(current, today - timedelta(days=3), today, rules.DueRules(30, 12))


def test_a_group_session_that_does_not_qualify_counts_for_nothing(fixture_course):
    module = fixture_course.modules["prov"]
    done = LastDone(AT - timedelta(days=10), 90.0, False)
    cases = {
        "another content version": ([Rec(content_version="old")], NEVER, None),
        "confirmed before the last completion": ([Rec(confirmed_at=done.at - timedelta(days=1))], done, None),
        "its module counts group sessions for nothing": ([Rec()], NEVER, GroupSessions(modules={"prov": "nothing"})),
        "all count for nothing": ([Rec()], NEVER, GroupSessions(counts_for="nothing")),
        "another module's record": ([Rec(module_id="annat")], NEVER, None),
        "a scenario the module does not have": ([Rec(scenario_id="annat-scenario")], NEVER, None),
    }
    for name, (records, last, config) in cases.items():
        # everything else of the round done (a refresher round asks for one scenario, the one not seen)
        rest = [PASSED_QUIZ, Att("prov-gava")] if last is NEVER else [PASSED_QUIZ]
        current = group_round(module, records, rest, last, config)
        assert current.group == () and "prov-middag" not in current.finished_scenarios, name
        assert not current.complete, name
        assert progress(group_round(module, records, (), last, config)).started is False, name
        assert progress(current).group_done == (), name


def test_a_group_session_counts_for_the_scenario_part_and_the_quiz_is_still_the_person_s(fixture_course):
    module = fixture_course.modules["prov"]
    record = Rec()
    current = group_round(module, [record])
    assert current.group == (record,) and current.finished_scenarios == {"prov-middag"}
    assert not current.complete and current.started_at == AT
    shown = progress(current)
    assert shown.started and shown.status == Status.IN_PROGRESS and shown.finished_scenarios == {"prov-middag"}
    assert shown.group_done_on("prov-middag") == HELD and shown.group_done_on("prov-gava") is None
    assert rules.parts_done(shown) == 1 and rules.next_part(rules.parts(module, shown), shown) == 1
    # the other scenario played alone: still not complete without the quiz
    assert not group_round(module, [record], [Att("prov-gava")]).complete
    complete = group_round(module, [record], [Att("prov-gava"), PASSED_QUIZ])
    assert complete.complete and complete.started_at == AT  # the round began with the group session
    assert rules.module_progress(complete, HELD, HELD, rules.DueRules()).quiz_passed
    # a group session counts in a round as a scenario played alone does: both at once are one part
    both = group_round(module, [record], [Att("prov-middag"), Att("prov-gava"), PASSED_QUIZ])
    assert both.complete and both.finished_scenarios == {"prov-middag", "prov-gava"}


def test_a_group_session_that_ended_before_an_ending_starts_the_round_but_plays_nothing_through(fixture_course):
    module = fixture_course.modules["prov"]
    current = group_round(module, [Rec(ending=None)], [Att("prov-gava"), PASSED_QUIZ])
    assert current.group and current.finished_scenarios == {"prov-gava"} and not current.complete
    shown = progress(group_round(module, [Rec(ending=None)]))
    assert shown.started and shown.status == Status.IN_PROGRESS and shown.group_done == ()


def test_in_a_refresher_round_the_scenario_played_in_the_group_session_is_the_one_asked_for(fixture_course):
    module = fixture_course.modules["prov"]
    done = LastDone(AT - timedelta(days=400), 90.0, False)
    before = [Att("prov-middag", started_at=done.at - timedelta(days=2), finished_at=done.at - timedelta(days=2)),
              Att("prov-gava", started_at=done.at - timedelta(days=1), finished_at=done.at - timedelta(days=1))]
    assert group_round(module, [], before, done).required == ("prov-middag",)  # played longest ago
    record = Rec(scenario_id="prov-gava")
    current = group_round(module, [record], before, done)
    assert current.required == ("prov-gava",) and current.finished_scenarios == {"prov-gava"}
    assert not current.complete
    assert group_round(module, [record], [*before, PASSED_QUIZ], done).complete
    # a group session before the completion counts as a scenario seen: the refresher asks for the other one
    earlier = Rec(scenario_id="prov-gava", confirmed_at=done.at - timedelta(hours=1))
    assert group_round(module, [earlier], before[:1], done).required == ("prov-middag",)
    assert group_round(module, [], before[:1], done).required == ("prov-gava",)


def test_a_group_session_in_another_language_starts_the_round_but_its_scenario_is_that_language_s(fixture_course):
    module = fixture_course.modules["prov"]
    english = Rec(scenario_id="prov-middag-en", content_version="v-en")
    current = group_round(module, [english], other_languages={"prov-en": "v-en"})
    assert current.started_elsewhere and current.group == () and current.finished_scenarios == frozenset()
    assert progress(current).status == Status.IN_PROGRESS
    stale = replaced(english, content_version="v-en-old")
    assert not group_round(module, [stale], other_languages={"prov-en": "v-en"}).started_elsewhere


def test_what_a_group_session_counts_for_is_part_of_the_rules_version(content):
    before = loaded(content).rules_version
    append_section(content, "group_sessions:\n  counts_for: scenario_part\n  modules:\n    prov: nothing\n")
    changed = loaded(content)
    assert changed.rules_version != before, "a changed counts_for makes the dashboard's day counts again"
    assert loaded(content).rules_version == changed.rules_version  # and it is stable


def test_a_group_session_after_a_completion_counts_for_the_next_round_and_the_page_stays_on_the_completion(
        fixture_course):
    module = fixture_course.modules["prov"]
    recent = LastDone(AT - timedelta(days=20), 100.0, False)
    shown = progress(group_round(module, [Rec()], (), recent))
    assert shown.status == Status.DONE and shown.started and shown.finished_scenarios == {"prov-middag"}
    assert rules.done_for_now(shown, HELD, 14) and rules.opens_on_completion(shown, HELD, 14)
    resumed = progress(group_round(module, [Rec()], [Att("prov-fragor", "quiz", finished_at=None)], recent))
    assert not rules.opens_on_completion(resumed, HELD, 14)  # a part the person began: the page shows it
