"""Groups beside individuals at a scenario's decisions (issue 14, point 5): the pure shaping in course.itemstats,
the store's counts on SQLite and on PostgreSQL (progress.group_analytics: revealed tallies, first answers per
node and attempt, the period, first attempts, the admin's right, a fixed number of queries), and the analytics
page's "Grupper och enskilda" tab through AppTest.

The fixture scenario prov-middag: start: 0 Tacka nej -> chefen, 1 Tacka ja -> slut-svag;
chefen: 0 Ja -> slut-bra, 1 Nej -> slut-delvis."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta

import numpy
import pytest
import streamlit as st
from sqlalchemy import insert

from course import itemstats
from progress import group_analytics
from progress import group_sessions as groups
from progress.access import NotPermitted
from progress.attempts import Attempts, utcnow
from progress.db import Database, make_engine
from progress.models import Attempt, Person, PersonRole, Step, Unit
from tests.conftest import open_app
from tests.test_learner import statements

SCENARIO = "prov-middag"
NOW = datetime(2026, 3, 10, 13, 0)
DAY = NOW.date()
OLD = NOW - timedelta(days=400)  # before the period the tests ask for
PERIOD = (DAY - timedelta(days=30), DAY + timedelta(days=7))

PEOPLE = [("chef", ("chef", "medarbetare")), ("anna", ("medarbetare",)), ("bo", ("medarbetare",)),
          ("cecilia", ("medarbetare",)), ("admin", ("admin",))]


# --- the pure shaping ----------------------------------------------------------------------------------------

def test_the_best_ending_each_node_can_reach_and_the_order_of_the_decisions(fixture_course):
    scenario = fixture_course.scenarios[SCENARIO]
    assert itemstats.best_endings(scenario) == {"start": "bra", "chefen": "bra", "slut-bra": "bra",
                                                "slut-delvis": "delvis", "slut-svag": "svag"}
    assert itemstats.decision_nodes(scenario) == ["start", "chefen"]  # no ending: nobody votes at one


def test_the_comparison_adds_up_tallies_and_first_answers_with_their_shares(fixture_course):
    scenario = fixture_course.scenarios[SCENARIO]
    counts = itemstats.VoteCounts(
        # two steps revealed [2, 1], one [0, 2]; a tally from older content with a third choice loses that count
        tallies={"start": {"[2, 1]": 2, "[0, 2]": 1, "[1, 0, 7]": 1}, "chefen": {"[0, 0]": 1}},
        sessions={"start": 3, "chefen": 1}, all_sessions=3,
        # a lost choice (5) and a response that is no choice are left out
        responses={"start": {"0": 6, "1": 2, "5": 4, "\"x\"": 1}})
    comparison = itemstats.group_comparison(scenario, counts)
    start, chefen = comparison.nodes
    assert (start.node_id, start.text, start.group_votes, start.group_sessions, start.revealed_steps,
            start.individual_answers) == ("start", "En sökande bjuder dig på middag.", 9, 3, 4, 8)
    assert [(c.index, c.text, c.leads_to, c.best, c.group_votes, c.individual_answers) for c in start.choices] == [
        (0, "Tacka nej", "bra", True, 5, 6), (1, "Tacka ja", "svag", False, 4, 2)]
    assert [(c.group_share, c.individual_share) for c in start.choices] == [(5 / 9, 6 / 8), (4 / 9, 2 / 8)]
    # a vote revealed with nobody voting: a step, no votes, and no share (None, never 0 %)
    assert (chefen.group_votes, chefen.revealed_steps, chefen.individual_answers, chefen.counted) == (0, 1, 0, False)
    assert [(c.text, c.leads_to, c.best, c.group_share, c.individual_share) for c in chefen.choices] == [
        ("Ja", "bra", True, None, None), ("Nej", "delvis", False, None, None)]
    assert (comparison.group_sessions, comparison.group_votes, comparison.individual_answers) == (3, 9, 8)


def test_nothing_counted_gives_every_node_and_no_share(fixture_course):
    comparison = itemstats.group_comparison(fixture_course.scenarios[SCENARIO], itemstats.VoteCounts())
    assert [node.node_id for node in comparison.nodes] == ["start", "chefen"]
    assert not any(node.counted for node in comparison.nodes) and comparison.group_sessions == 0
    assert {c.group_share for node in comparison.nodes for c in node.choices} == {None}


def test_the_scenarios_groups_voted_in_come_first(fixture_course):
    order = itemstats.scenarios_in_order(fixture_course, {"prov-gava": 2})
    assert order[0] == "prov-gava" and set(order) == set(fixture_course.scenarios)
    assert itemstats.scenarios_in_order(fixture_course, {"prov-gava": 1, SCENARIO: 3})[:2] == [SCENARIO, "prov-gava"]


# --- the store ---------------------------------------------------------------------------------------------

@pytest.fixture
def org(db) -> Database:
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": "enh", "name": "Enheten", "kind": "enhet", "parent_id": None,
                                           "manager_id": "chef"}])
        connection.execute(insert(Person), [{"id": pid, "name": f"Namn {pid}", "unit_id": "enh",
                                             "start_date": date(2020, 1, 1), "end_date": None} for pid, _ in PEOPLE])
        connection.execute(insert(PersonRole), [{"person_id": pid, "role": role}
                                                for pid, roles in PEOPLE for role in roles])
    return db


def session_with(db, course, now, scenario_id, *steps):
    """A group session of `scenario_id` started at `now`; each step: (votes by person, the choice followed or
    None to end there, or "back" to step back after the reveal)."""
    screen = groups.start(db, course, "chef", "enh", scenario_id, "sv", now)
    for person in ("anna", "bo", "cecilia"):
        groups.join(db, person, screen.code, now)
    for by_person, then in steps:
        for person, choice in by_person.items():
            assert groups.vote(db, course, person, screen.id, screen.step_no, choice, now) == "counted"
        screen = groups.reveal(db, course, "chef", screen.id, screen.step_no, now)
        if then == "back":
            screen = groups.follow(db, course, "chef", screen.id, screen.step_no, 1, now)
            screen = groups.back(db, course, "chef", screen.id, screen.step_no, now)
        elif then is not None:
            screen = groups.follow(db, course, "chef", screen.id, screen.step_no, then, now)
    return groups.end(db, course, "chef", screen.id, now + timedelta(minutes=30))


def played(db, course, person, when, *choices):
    """A scenario attempt of `person` at prov-middag started at `when`, with these choices."""
    attempts = Attempts(db, course, clock=lambda: when)
    attempt = attempts.start_or_resume(person, "prov", "scenario", SCENARIO)
    for step_no, choice in enumerate(choices):
        attempts.record_choice(attempt.id, step_no, choice)
    return attempt


@pytest.fixture
def history(org, fixture_course):
    db, course = org, fixture_course
    # In the period: votes at the start [0, 2], a step into the poor ending and back, [2, 0] at the start again,
    # then [1, 1] at chefen; a second session [2, 1] at the start, ended there.
    session_with(db, course, NOW, SCENARIO, ({"anna": 1, "bo": 1}, "back"), ({"anna": 0, "bo": 0}, 0),
                 ({"anna": 0, "bo": 1}, 0))
    session_with(db, course, NOW + timedelta(days=1), SCENARIO, ({"anna": 0, "bo": 0, "cecilia": 1}, None))
    # Not counted: a session before the period, and one of another scenario (counted for that scenario)
    session_with(db, course, OLD, SCENARIO, ({"anna": 1, "bo": 1, "cecilia": 1}, None))
    session_with(db, course, NOW, "prov-gava", ({"anna": 0}, None))
    # Individuals: anna nej -> Nej; bo ja, then again nej -> Ja; cecilia's first attempt is before the period
    played(db, course, "anna", NOW, 0, 1)
    played(db, course, "bo", NOW, 1)
    played(db, course, "bo", NOW + timedelta(hours=1), 0, 0)
    played(db, course, "cecilia", OLD, 1)
    played(db, course, "cecilia", NOW, 0, 0)
    return db


def test_groups_votes_beside_individuals_first_answers_in_the_period(history, fixture_course):
    comparison = group_analytics.group_comparison(history, "admin", fixture_course, SCENARIO, *PERIOD)
    start, chefen = comparison.nodes
    assert comparison.group_sessions == 2
    assert [(c.group_votes, c.individual_answers) for c in start.choices] == [(4, 1), (3, 1)]
    assert (start.group_sessions, start.revealed_steps) == (2, 3)  # a step back and a fresh vote: two steps
    # first attempts only: anna's and bo's first; cecilia's first was before the period, so none of hers
    assert [(c.group_votes, c.individual_answers) for c in chefen.choices] == [(1, 0), (1, 1)]
    assert (chefen.group_sessions, chefen.revealed_steps) == (1, 1)
    assert [c.individual_share for c in start.choices] == [0.5, 0.5]

    every = group_analytics.group_comparison(history, "admin", fixture_course, SCENARIO, *PERIOD, first_only=False)
    assert [c.individual_answers for c in every.nodes[0].choices] == [3, 1]  # bo's and cecilia's second too
    assert [c.individual_answers for c in every.nodes[1].choices] == [2, 1]
    assert [c.group_votes for c in every.nodes[0].choices] == [4, 3]  # the groups are the same

    whole = group_analytics.group_comparison(history, "admin", fixture_course, SCENARIO)  # no period: the old too
    assert whole.group_sessions == 3 and [c.group_votes for c in whole.nodes[0].choices] == [4, 6]
    assert [c.individual_answers for c in whole.nodes[0].choices] == [1, 2]  # cecilia's first: Tacka ja


def test_the_scenarios_with_group_votes_in_the_period(history):
    assert group_analytics.scenario_sessions(history, "admin", *PERIOD) == {SCENARIO: 2, "prov-gava": 1}
    assert group_analytics.scenario_sessions(history, "admin", DAY + timedelta(days=2), DAY + timedelta(days=9)) == {}
    assert group_analytics.scenario_sessions(history, "admin", DAY + timedelta(days=1),
                                             DAY + timedelta(days=1)) == {SCENARIO: 1}  # the end day counts


def test_a_node_shown_twice_in_an_attempt_counts_its_first_answer(org, fixture_course):
    """A scenario with a cycle shows a node again; only the attempt's first answer there is counted. Written
    straight into the tables: the fixture scenario has no cycle, and the query does not replay."""
    with org.engine.begin() as connection:
        attempt_id = connection.execute(insert(Attempt).returning(Attempt.id), [{
            "person_id": "anna", "module_id": "prov", "kind": "scenario", "item_id": SCENARIO, "attempt_no": 1,
            "content_version": "v", "seed": 0, "started_at": NOW}]).scalar_one()
        connection.execute(insert(Step), [{"attempt_id": attempt_id, "step_no": no, "item": item,
                                           "response": json.dumps(choice), "idempotency_key": f"k{no}",
                                           "answered_at": NOW}
                                          for no, item, choice in ((0, "start", 1), (1, "start", 0),
                                                                   (2, "chefen", 0))])
    counts = group_analytics.vote_counts(org, "admin", SCENARIO, *PERIOD)
    assert counts.responses == {"start": {"1": 1}, "chefen": {"0": 1}}
    assert (counts.tallies, counts.sessions, counts.all_sessions) == ({}, {}, 0)


def test_only_admins_may_ask(history, fixture_course):
    for viewer in ("chef", "anna", None):
        with pytest.raises(NotPermitted):
            group_analytics.group_comparison(history, viewer, fixture_course, SCENARIO, *PERIOD)
        with pytest.raises(NotPermitted):
            group_analytics.scenario_sessions(history, viewer, *PERIOD)


def test_a_fixed_number_of_queries_however_many_sessions_and_attempts(history, fixture_course):
    def queries() -> int:
        with statements(history) as seen:
            group_analytics.group_comparison(history, "admin", fixture_course, SCENARIO, *PERIOD)
        return len(seen)

    before = queries()
    assert before <= 8
    session_with(history, fixture_course, NOW + timedelta(days=2), SCENARIO, ({"anna": 1}, 0), ({"bo": 0}, None))
    played(history, fixture_course, "chef", NOW, 0, 1)
    assert queries() == before
    after = group_analytics.group_comparison(history, "admin", fixture_course, SCENARIO, *PERIOD)
    assert after.group_sessions == 3 and [c.group_votes for c in after.nodes[0].choices] == [4, 4]


# --- the analytics page ------------------------------------------------------------------------------------

GROUPS_TAB = "Grupper och enskilda"


def text_of(at) -> str:
    return "\n".join(str(e.value) for kind in ("subheader", "markdown", "caption", "info") for e in getattr(at, kind))


def test_the_page_says_so_when_no_group_has_voted_then_shows_the_groups_beside_individuals(demo_env):
    from tests.browser_support import real_course

    at = open_app("demo-admin", "views/compliance.py")
    assert GROUPS_TAB in [tab.label for tab in at.tabs]
    assert any("Inga grupper har röstat" in info.value for info in at.info)
    assert not group_charts(at)

    # A group session led by the admin (any unit), two people vote at the start and see the votes
    course = real_course()
    db = Database(make_engine(f"sqlite:///{demo_env}"))
    with db.read() as session:
        unit_id = session.get(Person, "demo-chef").unit_id
    scenario_id = next(iter(course.modules[next(m for m in course.modules
                                                if course.modules[m].language == "sv")].scenarios))
    now = utcnow()
    screen = groups.start(db, course, "demo-admin", unit_id, scenario_id, "sv", now)
    scenario = course.scenarios[scenario_id]
    for person, choice in (("demo-medarbetare", 0), ("demo-nyanstalld", 1)):
        groups.join(db, person, screen.code, now)
        groups.vote(db, course, person, screen.id, screen.step_no, choice, now)
    groups.reveal(db, course, "demo-admin", screen.id, screen.step_no, now)
    expected = group_analytics.group_comparison(db, "demo-admin", course, scenario_id, now.date() - timedelta(days=365),
                                                now.date())
    db.engine.dispose()
    first = expected.nodes[0]
    assert first.node_id == scenario.start and first.group_votes == 2

    st.cache_data.clear()  # the page keeps its figures two minutes, in this process too
    at = open_app("demo-admin", "views/compliance.py")
    box = at.selectbox(key="compliance_groups_scenario")
    assert box.value == scenario_id and "(1 gruppövningar)" in box.format_func(scenario_id)
    shown = text_of(at)
    assert scenario.nodes[scenario.start].text in shown and "Beslut 1" in shown
    assert (f"Grupper: 2 röster i 1 gruppövningar (1 omröstningar). Enskilda: {first.individual_answers} svar."
            in shown)
    assert not any("Inga grupper har röstat" in info.value for info in at.info)
    chart = next(c for c in group_charts(at) if c.proto.id.endswith(f"compliance_groups_chart_{scenario.start}"))
    bars = {trace["name"]: numbers(trace["x"]) for trace in json.loads(chart.proto.spec)["data"]}
    assert set(bars) == {"Grupper", "Enskilda"}
    assert bars["Grupper"] == [100 * c.group_share for c in first.choices]  # the file's order, as the store's
    assert sorted(bars["Grupper"], reverse=True)[:2] == [50.0, 50.0]


def numbers(values) -> list[float]:
    """A trace's values from the chart's JSON: a list, or Plotly's typed array ({"dtype", "bdata": base64})."""
    if isinstance(values, dict):
        return numpy.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def group_charts(at) -> list:
    """The tab's charts: Streamlit ends a keyed element's id with its key."""
    return [chart for chart in at.get("plotly_chart") if "compliance_groups_chart_" in chart.proto.id]
