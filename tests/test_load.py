"""A short load test with the bench's own generator (bench/soak.py): 10 distinct learners answer scenarios and
quizzes as fast as one app server lets them, over Streamlit's real websocket protocol, for 8 s on SQLite. Every
acknowledged answer must be in the store exactly once, as given, and nobody may see an exception or an error
page. Then the check itself is shown to catch a lost, a changed and an unsent answer. About 30 s."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import create_engine, delete

from bench import soak
from bench.learner import problems_on
from bench.streamlit_client import Page, _drawn
from progress.models import Step
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@pytest.fixture(scope="module")
def soaked(tmp_path_factory):
    result = soak.soak("sqlite", learners=10, seconds=8, workdir=tmp_path_factory.mktemp("soak"))
    result.print()
    return result


def test_every_acknowledged_answer_is_stored_once_and_nobody_sees_an_error(soaked):
    summary = soaked.summary()
    assert soaked.answers_acked >= 10, summary  # the learners really answered, through the forms
    assert {a.kind for a in soaked.answers if a.acked} == {"scenario", "quiz"}, summary
    assert len({a.learner for a in soaked.answers}) >= 8, summary  # distinct learners
    assert soaked.problems == [] and soaked.failures == [], summary
    assert soaked.lost == [] and soaked.duplicated == [] and soaked.wrong == [] and soaked.unexpected == [], summary
    assert soaked.not_moved_on == 0, summary  # each acknowledged answer moved its learner on
    assert soaked.ok


def _check_again(soaked, answers) -> soak.SoakResult:
    again = soak.SoakResult("sqlite", soaked.learners, soaked.seconds)
    soak.check(soaked.database_url, answers, soaked.people, soaked.since, again)
    return again


def test_the_check_finds_a_lost_a_changed_and_an_unsent_answer(soaked):
    acked = [a for a in soaked.answers if a.acked]
    lost, changed, unsent = acked[0], acked[1], acked[2]
    engine = create_engine(soaked.database_url)
    with engine.begin() as connection:
        connection.execute(delete(Step).where(Step.attempt_id == lost.attempt_id, Step.step_no == lost.step_no))
    engine.dispose()
    forged = copy.deepcopy(changed)
    forged.shown_index = [forged.shown_index[0] + 1]
    forged.chosen = ["(ett annat alternativ)"]
    log = [forged if a is changed else a for a in soaked.answers if a is not unsent]
    again = _check_again(soaked, log)
    assert len(again.lost) == 1 and f"attempt {lost.attempt_id} step {lost.step_no}" in again.lost[0]
    assert len(again.wrong) == 1 and f"attempt {changed.attempt_id} step {changed.step_no}" in again.wrong[0]
    assert len(again.unexpected) == 1 and f"attempt {unsent.attempt_id} step {unsent.step_no}" in again.unexpected[0]
    assert not again.ok


def test_an_exception_element_is_a_problem_on_the_page():
    fwd = ForwardMsg()
    fwd.metadata.delta_path[:] = [0, 3]
    fwd.delta.new_element.exception.type = "IndexError"
    fwd.delta.new_element.exception.message = "list index out of range"
    drawn = _drawn(fwd)
    page = Page([drawn], exceptions=[drawn.text])
    assert problems_on(page) == ["exception: IndexError: list index out of range"]
    assert problems_on(Page()) == []
