"""A real server, spoken to over Streamlit's websocket protocol (bench.streamlit_client, as the frontend does):
an answer reruns only the part being played (a fragment run), the page around it is kept, and a full run
follows when the part is done, or when the learner is no longer employed. AppTest cannot show this: its every
interaction is a full run. About 15 s."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from datetime import date, timedelta

import pytest

from bench.streamlit_client import Session
from tests.browser_support import free_port, real_course, start_streamlit, stop, wait_for

FRAGMENT, FULL = "FINISHED_FRAGMENT_RUN_SUCCESSFULLY", "FINISHED_SUCCESSFULLY"


@pytest.fixture
def server(tmp_path):
    database = tmp_path / "demo.sqlite"
    port = free_port()
    env = {**os.environ, "COURSE_DATABASE_URL": f"sqlite:///{database}", "COURSE_AUTH": "demo",
           "COURSE_DB_BUSY_TIMEOUT_MS": "20"}  # a locked database is told at once
    env.pop("COURSE_CONTENT_ROOT", None)
    process = start_streamlit("app.py", port, env)
    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health", process)
        yield f"ws://127.0.0.1:{port}/_stcore/stream", database
    finally:
        stop(process)


def steps_of(database, person: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM steps s JOIN attempts a ON a.id = s.attempt_id "
                                  "WHERE a.person_id = ?", (person,)).fetchone()[0]


@functools.cache
def _good_choices() -> frozenset[str]:
    """The texts of the first mutor scenario's choices that can still lead to a good ending: choices are shown
    in an order of their own per attempt, so the first one shown may lead to a weak ending (an error alert)."""
    course = real_course()
    scenario = course.scenarios[course.modules["mutor"].scenarios[0]]
    good = {node_id for node_id, node in scenario.nodes.items() if node.ending == "bra"}
    while True:
        more = {node_id for node_id, node in scenario.nodes.items() if any(c.next in good for c in node.choices)}
        if more <= good:
            break
        good |= more
    return frozenset(choice.text.strip() for node in scenario.nodes.values() for choice in node.choices
                     if choice.next in good)


async def answer_first_choice(session: Session, send_twice: bool = False):
    """The first choice shown that can still lead to a good ending."""
    radio = session.page.with_key_prefix("choice-", "radio")[0]
    good = _good_choices()
    session.set_value(radio, next(option for option in radio.options if option.strip() in good))
    return await session.run(session.page.submitter(radio.form_id), send_twice=send_twice)


def in_a_started_scenario(url: str, body) -> None:
    """Open the new hire's first mutor scenario over the websocket, start it, then `await body(session)`."""

    async def play() -> None:
        session = Session(url, {"as": "demo-nyanstalld", "modul": "mutor", "del": "0"})
        await session.open()
        try:
            first = await session.run(timeout=120)  # the first start seeds the demo's database
            assert not first.exceptions, first.page.texts()[:5]
            await body(session, first, await session.run(session.page.with_key_prefix("start-", "button")[0]))
        finally:
            await session.close()

    asyncio.run(play())


def test_an_answer_reruns_only_the_scenario_and_a_finished_part_reruns_the_page(server):
    url, database = server

    async def body(session, first, started) -> None:
        assert first.status == FULL
        assert started.status == FRAGMENT and session.page.with_key_prefix("choice-", "radio")
        answers = 0
        while True:
            result = await answer_first_choice(session, send_twice=answers == 0)  # a double click first
            answers += 1
            assert not result.exceptions and not session.page.alerts("error"), session.page.texts()[:8]
            assert steps_of(database, "demo-nyanstalld") == answers  # each answer once
            if not session.page.with_key_prefix("choice-", "radio"):
                break
            assert result.status == FRAGMENT, "an answer reruns only the part being played"
            assert session.page.has_text("Återkoppling")  # the feedback on the choice, in the fragment
            assert session.page.widget("back") and session.page.widget("part-0")  # the page around it kept
        assert result.status == FULL, "the scenario is done: the whole page is drawn again (its parts)"
        assert session.page.widget("next-part") and session.page.widget("part-0")

    in_a_started_scenario(url, body)


def test_a_learner_who_has_left_is_refused_at_the_next_answer(server):
    url, database = server

    async def body(session, first, started) -> None:
        with sqlite3.connect(database) as connection:
            connection.execute("UPDATE people SET end_date = ? WHERE id = 'demo-nyanstalld'",
                               (str(date.today() - timedelta(days=1)),))
        result = await answer_first_choice(session)
        assert result.status == FULL, "the fragment hands over to app.py, which refuses"
        assert not session.page.with_key_prefix("choice-", "radio") and not session.page.widget("back")
        assert not result.exceptions

    in_a_started_scenario(url, body)


def test_an_answer_given_while_the_database_is_locked_is_kept_and_saved_once_from_the_fragment(server):
    url, database = server

    async def body(session, first, started) -> None:
        blocker = sqlite3.connect(database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            result = await answer_first_choice(session)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert result.status == FRAGMENT and not result.exceptions
        assert any("inte sparat" in text for text in session.page.alerts("error")), session.page.texts()[:8]
        assert steps_of(database, "demo-nyanstalld") == 0
        retried = await session.run(session.page.widget("retry_pending"))
        assert not retried.exceptions and not session.page.alerts("error"), session.page.texts()[:8]
        assert steps_of(database, "demo-nyanstalld") == 1
        await session.run()
        assert steps_of(database, "demo-nyanstalld") == 1

    in_a_started_scenario(url, body)
