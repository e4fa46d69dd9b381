"""SQL statements per render of each page, counted on the app's own engine (AppTest runs the app in this process):
each page stays under a fixed bound, and one more module in the course does not add a single statement."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlalchemy import event
from streamlit.testing.v1 import AppTest

from tests import conftest
from tests.conftest import PROJECT_ROOT
from tests.test_learner import add_module_copy
from tests.test_app import quiz_part

# What one render of each page may cost (SQLite counts its BEGIN as a statement): Min utbildning reads the
# person and their records in a fixed set of queries whatever the course holds; app.py looks the user up first.
BOUNDS = {"learner home": 10, "module page": 10, "scenario step": 10, "quiz step": 10, "Min enhet": 32,
          "talk page": 30}


class Counter:
    def __init__(self):
        self.on, self.statements = False, []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append(statement)

    def render(self, at: AppTest) -> int:
        """Statements of one rerun of the page `at` shows."""
        self.statements, self.on = [], True
        try:
            at.run()
        finally:
            self.on = False
        assert not at.exception, at.exception
        return len(self.statements)


@pytest.fixture
def counter(monkeypatch) -> Counter:
    from progress import db as store_db

    counting, make_engine = Counter(), store_db.make_engine

    def listened(*args, **kwargs):
        engine = make_engine(*args, **kwargs)
        event.listen(engine, "before_cursor_execute", counting)
        return engine

    monkeypatch.setattr(store_db, "make_engine", listened)
    return counting


def open_app(user: str, page: str | None = None, **params) -> AppTest:
    """conftest's, with up to 120 s a run: the first run on a grown course seeds a new demo database."""
    return conftest.open_app(user, page, timeout=120, **params)


def keyed(elements, prefix: str):
    return [element for element in elements if (element.key or "").startswith(prefix)]


def counts_of_each_page(counter: Counter, database) -> dict[str, int]:
    found = {"learner home": counter.render(open_app("demo-medarbetare")),  # a learner with a history
             "module page": counter.render(open_app("demo-nyanstalld", modul="mutor"))}
    scenario = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})
    scenario.button(key=keyed(scenario.button, "start-")[0].key).click().run()
    keyed(scenario.radio, "choice-")[0].set_value(0)
    scenario.form_submit_button[0].click().run()  # one step in: the path so far and the feedback are drawn too
    found["scenario step"] = counter.render(scenario)
    quiz = open_app("demo-nyanstalld", modul="mutor", **{"del": quiz_part("mutor")})
    quiz.button(key="quiz-start").click().run()
    found["quiz step"] = counter.render(quiz)
    found["Min enhet"] = counter.render(open_app("demo-chef", "views/manager.py"))
    with sqlite3.connect(database) as connection:
        (person,) = connection.execute("SELECT id FROM people WHERE unit_id = 'sbf-bygglov' AND id != 'demo-chef' "
                                       "ORDER BY id LIMIT 1").fetchone()
    found["talk page"] = counter.render(open_app("demo-chef", "views/talk.py", person=person))
    return found


def test_each_page_renders_in_a_fixed_number_of_statements_whatever_the_course_holds(demo_env, counter, tmp_path,
                                                                                      monkeypatch):
    shipped = counts_of_each_page(counter, demo_env)
    for page, bound in BOUNDS.items():
        assert shipped[page] <= bound, (page, shipped[page], bound)

    root = tmp_path / "content"  # the same course with one more module in every track that has Mutor
    for folder in ("modules", "scenarios", "quizzes", "config"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    shutil.copy(PROJECT_ROOT / "topics.yaml", root / "topics.yaml")
    add_module_copy(root, "mutor", "mutor-fordjupning")
    bigger = tmp_path / "bigger.sqlite"
    monkeypatch.setenv("COURSE_CONTENT_ROOT", str(root))
    monkeypatch.setenv("COURSE_DATABASE_URL", f"sqlite:///{bigger}")
    home = open_app("demo-nyanstalld")
    assert any(m.value.startswith("### ") and "(fördjupning)" in m.value for m in home.markdown), \
        "the extra module is on the learner's page"
    assert counts_of_each_page(counter, bigger) == shipped
