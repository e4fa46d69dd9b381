"""Shared fixtures: the small fixture course, and the store on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from sqlalchemy import create_engine, text

from course.content.loader import load_course
from progress.db import Database, make_engine, migrate
from progress.models import Base

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = os.environ.get("COURSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def fixture_course():
    result = load_course(FIXTURE_CONTENT)
    assert result.ok, [p.as_text() for p in result.problems]
    return result.course


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away database on the local PostgreSQL server, dropped at the end of the session."""
    if os.environ.get("COURSE_SKIP_POSTGRES") == "1":
        pytest.skip("COURSE_SKIP_POSTGRES=1")
    name = f"gransfall_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # a clear failure: CI must test PostgreSQL for real
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable ({error}); start it or set "
                    "COURSE_SKIP_POSTGRES=1 to skip these tests locally.")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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


@pytest.fixture
def demo_env(tmp_path, monkeypatch):
    """The app in demo mode on a fresh SQLite file of its own (seeded by the app's first run)."""
    database = tmp_path / "demo.sqlite"
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


def open_app(user: str | None = None, **params) -> AppTest:
    """A new session of the app (in the mode the test's environment sets) as `user`, from an address with
    `params`; its first run done and free of exceptions."""
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    if user:
        at.query_params["as"] = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at
