"""A throw-away database on the local PostgreSQL server, for the tests that run the store on PostgreSQL for real."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get("COURSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, empty database named `prefix`_<random> (its URL), dropped afterwards with every connection to it.
    Skips under COURSE_SKIP_POSTGRES=1; fails when the server is not reachable, since CI must test PostgreSQL."""
    if os.environ.get("COURSE_SKIP_POSTGRES") == "1":
        pytest.skip("COURSE_SKIP_POSTGRES=1")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # a clear failure, not a skip
        admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable ({error}); start it or set "
                    "COURSE_SKIP_POSTGRES=1 to skip these tests locally.")
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
