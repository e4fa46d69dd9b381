"""Shared fixtures and helpers: the small fixture course (also copied, and with an English translation), the
store on SQLite and on the real PostgreSQL, and a session of the app through AppTest."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from course.content.loader import load_course
from progress.db import Database, make_engine, migrate
from progress.models import Base
from tests.pg_support import fresh_database

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def loaded(root: Path):
    """The course under `root`, which must load without a single problem."""
    result = load_course(root)
    assert result.ok, [p.as_text() for p in result.problems]
    return result.course


@pytest.fixture(scope="session")
def fixture_course():
    return loaded(FIXTURE_CONTENT)


@pytest.fixture
def content(tmp_path) -> Path:
    """A copy of the fixture content for the test to change."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    return root


@pytest.fixture(scope="module")
def bilingual_course(tmp_path_factory):
    """The fixture course with an English translation of its module (prov-en; see add_english_translation)."""
    root = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    add_english_translation(root)
    return loaded(root)


SEEDED_DAY = date(2026, 11, 23)  # the day the `seeded` store's history runs up to


@pytest.fixture(scope="module")
def real_course():
    return loaded(PROJECT_ROOT)


@pytest.fixture
def seeded(db, real_course) -> Database:
    """A store of 100 employees with three years of history up to SEEDED_DAY, on each database of `db`."""
    from progress.seed import seed

    seed(db, real_course, employees=100, history_years=3, today=SEEDED_DAY)
    return db


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away database on the local PostgreSQL server, dropped at the end of the session."""
    with fresh_database("gransfall_test") as url:
        yield url


_migrated: dict[str, Database] = {}


def _database(url: str) -> Database:
    if url not in _migrated:
        engine = make_engine(url)
        migrate(engine)
        _migrated[url] = Database(engine, retries=2, backoff=0.01)
    database = _migrated[url]
    with database.engine.begin() as connection:  # each test starts empty
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return database


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo store as the app's first run makes it (migrated, then the demo seed on the real course), made
    once per test process: seeding took seconds, and a hundred tests start from it."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.sqlite"
    seeded_sqlite(path, loaded(PROJECT_ROOT))
    assert not path.with_name(path.name + "-wal").exists(), "the copy would miss what the WAL still holds"
    return path


@pytest.fixture
def demo_env(tmp_path, monkeypatch, demo_template):
    """The app in demo mode on a SQLite file of its own: a copy of the demo store the app's first run makes."""
    database = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_template, database)
    monkeypatch.setenv("COURSE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("COURSE_AUTH", "demo")
    monkeypatch.delenv("COURSE_CONTENT_ROOT", raising=False)
    return database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path_factory) -> Database:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.getbasetemp() / 'store.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    return _database(url)


def add_english_translation(root: Path) -> None:
    """Give the fixture content under `root` an English translation of its module: copies of the module, its
    scenarios and its quiz with their own ids, marked `language: en` (the texts stay as they are)."""
    import re

    module = (root / "modules/prov.yaml").read_text(encoding="utf-8")
    module = module.replace("id: prov\n", "id: prov-en\nlanguage: en\ntranslation_of: prov\n")
    module = module.replace("[prov-middag, prov-gava]", "[prov-middag-en, prov-gava-en]")
    (root / "modules/prov-en.yaml").write_text(module.replace("quiz: prov-fragor", "quiz: prov-en-fragor"),
                                               encoding="utf-8")
    for scenario in ("prov-middag", "prov-gava"):
        text = (root / f"scenarios/{scenario}.yaml").read_text(encoding="utf-8")
        (root / f"scenarios/{scenario}-en.yaml").write_text(text.replace(f"id: {scenario}", f"id: {scenario}-en"),
                                                            encoding="utf-8")
    quiz = (root / "quizzes/prov-fragor.yaml").read_text(encoding="utf-8").replace("id: prov-fragor",
                                                                                  "id: prov-en-fragor")
    (root / "quizzes/prov-en-fragor.yaml").write_text(re.sub(r"id: (prov-q\d)", r"id: \1-en", quiz),
                                                      encoding="utf-8")


def open_app(user: str | None = None, page: str | None = None, *, timeout: float = 60, **params) -> AppTest:
    """A new session of the app (in the mode the test's environment sets) as `user`, from an address with
    `params`, switched to `page` if one is given; each run done within `timeout` seconds and free of exceptions."""
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=timeout)
    if user:
        at.query_params["as"] = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def seeded_sqlite(path: Path, course, **seed_args) -> str:
    """The URL of a new SQLite file at `path`: migrated, then filled by the demo seed (`seed_args`: its size),
    so that it carries the demo's mark."""
    from progress.seed import seed

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    seed(Database(engine), course, **seed_args)
    engine.dispose()
    return url


def migrate_to(engine, revision: str) -> None:
    """Alembic on `engine`: down to `revision`, or back up when it is "head" (as the app migrates)."""
    from alembic import command

    from progress.db import migrate_to as run

    run(engine, revision, command.upgrade if revision == "head" else command.downgrade)


# With pytest-xdist (scripts/test runs `-n 3 --dist loadfile`) each file runs whole on one worker, so a file's
# servers, browser and seeded stores are made once. The files that start servers and browsers take the longest:
# they go first, so that the many short files fill in beside them instead of one of them running alone at the end.
SERVER_TEST_FILES = ("test_journeys.py", "test_oidc_login.py", "test_deploy.py", "test_untrusted_browser.py",
                     "test_group_load.py", "test_group_browser.py", "test_browser.py", "test_learner_server.py",
                     "test_load.py")  # the longest first


def pytest_collection_modifyitems(config, items):
    first = {name: rank for rank, name in enumerate(SERVER_TEST_FILES)}
    items.sort(key=lambda item: first.get(item.path.name, len(first)))  # stable: each file keeps its order
