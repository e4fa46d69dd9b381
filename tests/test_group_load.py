"""Issue 14, point 6: 30 participants vote at once in a group session, over Streamlit's real websocket protocol
(bench/group.py), on SQLite. Every vote is acknowledged on its phone, the store counts exactly 30, also when
every click is sent twice (one vote per person and step), and nobody sees an exception or an error. Then the
check itself is shown to catch a count altered in the database. About 45 s; PostgreSQL is left to
`python -m bench group` (it would double the time)."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import create_engine, update

from bench import group
from bench.streamlit_client import Drawn, Page
from progress.models import GroupVoteCount

PHONES = 30


@pytest.fixture(scope="module")
def voted(tmp_path_factory):
    result = group.group_check("sqlite", PHONES, idle_seconds=3, workdir=tmp_path_factory.mktemp("group"))
    result.print()
    return result


def test_thirty_votes_at_once_are_acknowledged_and_counted_exactly_once(voted):
    summary = voted.summary()
    once, twice = voted.rounds
    assert not once.double_click and twice.double_click, summary
    assert twice.step_no == once.step_no + 1, summary  # the phones followed the group to the next step by polling
    for r in (once, twice):
        assert len({v.person for v in r.votes}) == PHONES, summary  # 30 distinct people
        assert r.acked == PHONES, summary  # every phone showed "Din röst är räknad"
        assert r.store_votes == PHONES, summary  # group_sessions.view(...).votes before the reveal
        assert r.participants == PHONES, summary
        assert sum(r.tally) == PHONES, summary  # after group_sessions.reveal
        assert r.mismatches == [], summary  # per choice too, what the phones picked
        assert all(v.latency_s is not None and v.latency_s < group.VOTE_TIMEOUT_S for v in r.votes), summary
    # the second click of a double click reached the vote and was not counted: "Du har redan röstat"
    assert twice.told_already_voted >= 1, summary
    assert voted.problems == [] and voted.failures == [] and voted.server_errors == [], summary
    assert voted.ok, summary


def test_the_idle_phones_poll_every_two_seconds(voted):
    polling = voted.polling
    assert polling is not None and polling.phones == PHONES
    assert polling.polls_sent >= PHONES  # each phone's timer ran (one poll per 2 s) ...
    assert polling.reruns >= PHONES // 2, polling.summary()  # ... and the server answered them
    assert polling.server_cpu_s > 0, polling.summary()


def test_the_check_finds_a_count_altered_in_the_database(voted):
    once, twice = voted.rounds
    assert group.check(voted.database_url, voted.session_id, voted.rounds) == []
    engine = create_engine(voted.database_url)
    choice = once.votes[0].choice_index
    with engine.begin() as connection:
        connection.execute(update(GroupVoteCount).where(
            GroupVoteCount.session_id == voted.session_id, GroupVoteCount.step_no == once.step_no,
            GroupVoteCount.choice_index == choice).values(count=GroupVoteCount.count + 1))
    try:
        found = group.check(voted.database_url, voted.session_id, voted.rounds)
        assert any(f"step {once.step_no}: {PHONES + 1} votes stored, {PHONES} acknowledged" in f for f in found), found
        assert any(f"step {once.step_no}: revealed" in f for f in found), found  # the tally no longer the counts
        assert not any(f"step {twice.step_no}" in f for f in found), found
    finally:
        with engine.begin() as connection:
            connection.execute(update(GroupVoteCount).where(
                GroupVoteCount.session_id == voted.session_id, GroupVoteCount.step_no == once.step_no,
                GroupVoteCount.choice_index == choice).values(count=GroupVoteCount.count - 1))
        engine.dispose()
    # a phone that claims an acknowledgement its vote does not have in the store
    claimed = copy.deepcopy(once)
    claimed.votes.append(copy.deepcopy(claimed.votes[0]))
    found = group.check(voted.database_url, voted.session_id, [claimed])
    assert found and f"{PHONES} votes stored, {PHONES + 1} acknowledged" in found[0], found
    failed = copy.copy(voted)
    failed.rounds = [claimed, twice]
    claimed.mismatches = found
    assert not failed.ok


def test_a_refusal_or_a_second_vote_on_a_phone_is_a_problem():
    def page(*texts: str) -> Page:
        return Page([Drawn((0, i), "", "alert", text=text, alert="warning") for i, text in enumerate(texts)])

    assert group.group_problems_on(page("Din röst är räknad. Vänta på att rösterna visas på skärmen.")) == []
    assert group.group_problems_on(page("Du är inte med i den här gruppövningen längre. Skriv koden igen.")) == [
        "group_not_joined"]
    already = "Du har redan röstat i det här steget. Bara den första rösten räknas."
    assert group.group_problems_on(page(already)) == ["group_already_voted"]
    assert group.group_problems_on(page(already), double_click=True) == []  # the second click of a double click
